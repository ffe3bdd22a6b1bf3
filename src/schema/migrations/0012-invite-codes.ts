import type { Kysely } from 'kysely';
import { timestampType, type Engine } from '../../core/db/dialect.ts';

/**
 * Seed 002's `inviteCode`: at most one live code per workspace (the primary key), unique in
 * its tenant, where joins look it up. Rotating replaces the row, disabling deletes it, so an
 * old code names nothing the moment the change commits.
 */
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('workspace_invite_codes')
    .addColumn('workspace_id', 'integer', (c) => c.primaryKey())
    .addColumn('tenant_id', 'integer', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', timestampType(engine), (c) => c.notNull())
    .addUniqueConstraint('workspace_invite_codes_tenant_code', ['tenant_id', 'code'])
    .addForeignKeyConstraint('workspace_invite_codes_workspace', ['tenant_id', 'workspace_id'], 'workspaces', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
}
