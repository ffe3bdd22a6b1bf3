import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { versionTriggerStatements } from '../../src/schema/data-versions.ts';
import { COVERED } from '../../src/schema/migrations/0004-tenant-data-versions.ts';
import { WORKSPACE_COVERED } from '../../src/schema/migrations/0008-workspace-data-versions.ts';
import { workspaceVersionTriggerStatements } from '../../src/schema/workspace-data-versions.ts';

const digest = (statements: string[]) => createHash('sha256').update(statements.join('\n')).digest('hex');

/**
 * Released migrations replay the trigger helper on every fresh database, so what it
 * produces for them must never change. If this fails, the helper was edited: restore it,
 * and put a different kind of trigger in a new helper for new migrations.
 */
describe('the version-trigger helper is frozen', () => {
  it('produces the statements migration 0004 released, on SQLite', () => {
    const statements = versionTriggerStatements('sqlite', COVERED);
    expect(statements).toHaveLength(25);
    expect(statements[0]).toBe(
      'create trigger tenant_data_versions_tenants_update after update on tenants begin ' +
        'update tenant_data_versions set version = version + 1 where tenant_id = NEW.id and shard = 0; end',
    );
    expect(digest(statements)).toBe('9600ff5b1a044db967df46b0ef4b37d37ab8be5746bb585699cc84ad8450faa8');
  });

  it('produces the statements migration 0004 released, on PostgreSQL', () => {
    const statements = versionTriggerStatements('postgres', COVERED);
    expect(statements).toHaveLength(14);
    expect(digest(statements)).toBe('3e2cbb6a4ed31ab4d1a188f23dae6e740c187a4aa0fbcd66f9ce2b8e7327a29b');
  });
});

describe('the workspace version-trigger helper is frozen', () => {
  it('produces the statements migration 0008 released, on SQLite', () => {
    const statements = workspaceVersionTriggerStatements('sqlite', WORKSPACE_COVERED);
    expect(statements).toHaveLength(9);
    expect(statements[0]).toBe(
      'create trigger workspace_data_versions_memberships_insert after insert on memberships begin ' +
        'update workspace_data_versions set version = version + 1 where workspace_id = NEW.workspace_id; end',
    );
    expect(digest(statements)).toBe('1ecf26db78269b56c6271ed7052348167dea4c009723c27234824566a5cdae3f');
  });

  it('produces the statements migration 0008 released, on PostgreSQL', () => {
    const statements = workspaceVersionTriggerStatements('postgres', WORKSPACE_COVERED);
    expect(statements).toHaveLength(6);
    expect(digest(statements)).toBe('1c5a05bffc5c616949f52f47c621843df1067d4454780f4267a9d391c668cc95');
  });
});
