import { sql, type Kysely } from 'kysely';
import type { Engine } from '../core/db/dialect.ts';

/**
 * Record versions (migration 0018): per workspace, one counter per scope of business
 * records (`items`, `stock`, …) that the database moves, by trigger, in the same
 * transaction as any change to the tables of that scope. A cached page of records is
 * checked against its scope's counter alone (core/cache/record-pages.ts), so a stock
 * movement leaves the item pages, the members pages and every request context alone, and
 * the busiest writes of a workspace (its stock) empty only what shows them.
 *
 * A scope's row is created by its first change; none reads as version 0. A change made while
 * its workspace is being deleted creates no row (the workspace is gone by then).
 *
 * FROZEN once released, as ./workspace-data-versions.ts: released migrations replay
 * `coverWithRecordVersionTriggers` on every fresh database.
 */
export interface WorkspaceRecordVersionsTable {
  workspace_id: number;
  scope: string;
  version: number;
}

export interface RecordCoveredTable {
  table: string;
  /** The scope whose counter a change to the table moves; rows name their workspace in `workspace_id`. */
  scope: string;
}

/** The trigger names this helper gives, so the coverage test can tell covered tables. */
export const RECORD_VERSION_TRIGGER_PREFIX = 'workspace_record_versions_';

const bump = (row: 'NEW' | 'OLD', scope: string) =>
  `insert into workspace_record_versions (workspace_id, scope, version) ` +
  `select ${row}.workspace_id, '${scope}', 1 where exists (select 1 from workspaces w where w.id = ${row}.workspace_id) ` +
  `on conflict (workspace_id, scope) do update set version = workspace_record_versions.version + 1`;

/**
 * The statements that make every change to `tables` move its scope's counter in its
 * workspace. On SQLite, row triggers (one writer at a time); on PostgreSQL, constraint
 * triggers deferred to commit, so the counter row is locked only as the transaction's last
 * act. A workspace's records never move to another workspace (the workspace-scoped kit
 * refuses it), so an update moves the new row's workspace only.
 */
export function recordVersionTriggerStatements(engine: Engine, tables: readonly RecordCoveredTable[]): string[] {
  for (const { scope } of tables) if (!/^[a-z_]+$/.test(scope)) throw new Error(`record version scope "${scope}": lower-case letters and _ only`);
  return tables.flatMap(({ table, scope }) => {
    const name = `${RECORD_VERSION_TRIGGER_PREFIX}${table}`;
    if (engine === 'sqlite') {
      return [
        `create trigger ${name}_insert after insert on ${table} begin ${bump('NEW', scope)}; end`,
        `create trigger ${name}_update after update on ${table} begin ${bump('NEW', scope)}; end`,
        `create trigger ${name}_delete after delete on ${table} begin ${bump('OLD', scope)}; end`,
      ];
    }
    return [
      `create function ${name}() returns trigger language plpgsql as $$ begin ` +
        `if TG_OP = 'DELETE' then ${bump('OLD', scope)}; else ${bump('NEW', scope)}; end if; return null; end $$`,
      `create constraint trigger ${name} after insert or update or delete on ${table} ` +
        `deferrable initially deferred for each row execute function ${name}()`,
    ];
  });
}

/**
 * Covers `tables` with record version triggers. A migration creating a workspace-owned table
 * whose rows a cached page shows calls it, naming the page's scope.
 * @example await coverWithRecordVersionTriggers(db, engine, [{ table: 'stock_levels', scope: 'stock' }]);
 */
export async function coverWithRecordVersionTriggers(db: Kysely<any>, engine: Engine, tables: readonly RecordCoveredTable[]): Promise<void> {
  for (const statement of recordVersionTriggerStatements(engine, tables)) await sql.raw(statement).execute(db);
}
