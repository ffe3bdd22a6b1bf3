/**
 * Every table is either covered by data-version triggers (the tenant's, since migration
 * 0008 a workspace's, since 0018 a workspace's record scope's) or listed, with a reason, in UNVERSIONED_TABLES: a new area's table
 * that cached reads depend on cannot be forgotten silently. Checked on the migrated schema
 * of the engine under test.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNVERSIONED_TABLES } from '../../src/schema/data-versions.ts';
import { VERSION_ROW_TRIGGERS } from '../../src/schema/migrations/0008-workspace-data-versions.ts';
import { WORKSPACE_VERSION_TRIGGER_PREFIX } from '../../src/schema/workspace-data-versions.ts';
import { RECORD_VERSION_TRIGGER_PREFIX } from '../../src/schema/record-versions.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

/** Triggers that move a version, by name; those that only create a version row cover nothing. */
const movesAVersion = (trigger: string) =>
  ['tenant_data_versions_', WORKSPACE_VERSION_TRIGGER_PREFIX, RECORD_VERSION_TRIGGER_PREFIX].some((prefix) => trigger.startsWith(prefix)) &&
  trigger !== 'tenant_data_versions_new_tenant' &&
  !(VERSION_ROW_TRIGGERS as readonly string[]).includes(trigger);

async function tablesAndCovered(): Promise<{ tables: string[]; covered: Set<string> }> {
  const [tables, triggers] =
    t.database.engine === 'postgres'
      ? [
          await sql<{ name: string }>`
            select table_name as name from information_schema.tables
            where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(t.db),
          await sql<{ name: string; table: string }>`
            select trigger_name as name, event_object_table as table from information_schema.triggers
            where trigger_schema = current_schema()`.execute(t.db),
        ]
      : [
          await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(t.db),
          await sql<{ name: string; table: string }>`select name, tbl_name as "table" from sqlite_master where type = 'trigger'`.execute(t.db),
        ];
  const covered = new Set(triggers.rows.filter((trigger) => movesAVersion(trigger.name)).map((trigger) => trigger.table));
  return { tables: tables.rows.map((r) => r.name), covered };
}

describe('tenant data version coverage', () => {
  it('covers every table with version triggers or names it as unversioned, never both', async () => {
    const { tables, covered } = await tablesAndCovered();
    const exempt = new Set(Object.keys(UNVERSIONED_TABLES));
    const neither = tables.filter((table) => !covered.has(table) && !exempt.has(table));
    const both = tables.filter((table) => covered.has(table) && exempt.has(table));
    expect({ neither, both }).toEqual({ neither: [], both: [] });
    expect(covered.size).toBeGreaterThanOrEqual(8);
  });

  it('lists no unversioned table that does not exist', async () => {
    const { tables } = await tablesAndCovered();
    expect(Object.keys(UNVERSIONED_TABLES).filter((table) => !tables.includes(table))).toEqual([]);
  });
});
