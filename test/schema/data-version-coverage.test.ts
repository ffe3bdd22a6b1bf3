/**
 * Every table is either covered by tenant-data-version triggers or listed, with a reason,
 * in UNVERSIONED_TABLES: a new area's table that cached reads depend on cannot be
 * forgotten silently. Checked on the migrated schema of the engine under test.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNVERSIONED_TABLES } from '../../src/schema/data-versions.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

async function tablesAndCovered(): Promise<{ tables: string[]; covered: Set<string> }> {
  if (t.database.engine === 'postgres') {
    const tables = await sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(t.db);
    const triggers = await sql<{ name: string }>`
      select distinct event_object_table as name from information_schema.triggers
      where trigger_schema = current_schema() and trigger_name like 'tenant_data_versions_%'
        and trigger_name <> 'tenant_data_versions_new_tenant'`.execute(t.db);
    return { tables: tables.rows.map((r) => r.name), covered: new Set(triggers.rows.map((r) => r.name)) };
  }
  const tables = await sql<{ name: string }>`
    select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(t.db);
  const triggers = await sql<{ name: string }>`
    select distinct tbl_name as name from sqlite_master
    where type = 'trigger' and name like 'tenant_data_versions_%' and name <> 'tenant_data_versions_new_tenant'`.execute(t.db);
  return { tables: tables.rows.map((r) => r.name), covered: new Set(triggers.rows.map((r) => r.name)) };
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
