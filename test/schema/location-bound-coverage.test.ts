/**
 * Location access is kept in one place, the workspace-scoped kit, for the tables the areas
 * declare location-bound (`AreaCatalogue.locationBound`). A new table naming a location
 * that no area declares would be read past a member's restriction: every table with a
 * `location_id` column is declared, or exempt here with the reason; every declared table
 * and column exists. Checked on the migrated schema of the engine under test.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundLocationColumns } from '../../src/core/db/workspace-scope.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** Tables with a location column that are no location-bound record, each with the reason. */
const EXEMPT: Readonly<Record<string, string>> = {
  member_locations: 'the access lists themselves, read and written by who manages members',
  audit_event_locations: 'no workspace_id of its own: the audit log reads it to hide events naming a location the caller may not see (audit-log.repository.ts)',
};

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t.close());

async function columnsByTable(): Promise<Map<string, string[]>> {
  const rows =
    t.database.engine === 'postgres'
      ? (await sql<{ table: string; column: string }>`
          select table_name as "table", column_name as "column" from information_schema.columns
          where table_schema = current_schema()`.execute(t.db)).rows
      : (await sql<{ table: string; column: string }>`
          select m.name as "table", c.name as "column" from sqlite_master m join pragma_table_info(m.name) c
          where m.type = 'table' and m.name not like 'sqlite_%'`.execute(t.db)).rows;
  const byTable = new Map<string, string[]>();
  for (const row of rows) byTable.set(row.table, [...(byTable.get(row.table) ?? []), row.column]);
  return byTable;
}

describe('location-bound tables', () => {
  it('declares every table with a location_id column, or exempts it with a reason', async () => {
    const declared = boundLocationColumns();
    const tables = [...(await columnsByTable())].filter(([, columns]) => columns.includes('location_id')).map(([table]) => table);
    expect(tables.filter((table) => !declared.has(table) && !(table in EXEMPT))).toEqual([]);
    // Not vacuous: the stock tables are among them, and the locations themselves are bound by id.
    expect(Object.fromEntries(declared)).toMatchObject({ stock_levels: 'location_id', stock_movements: 'location_id', locations: 'id' });
  });

  it('declares only tables and columns that exist', async () => {
    const columns = await columnsByTable();
    const missing = [...boundLocationColumns()].filter(([table, column]) => !(columns.get(table) ?? []).includes(column));
    expect(missing).toEqual([]);
  });
});
