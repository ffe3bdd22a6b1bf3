import { sql, type Kysely } from 'kysely';
import type { Engine } from '../core/db/dialect.ts';

/**
 * Workspace data versions (migration 0008): one counter per workspace that the database
 * moves, by trigger, in the same transaction as any change to what a cached read of that
 * workspace depends on (its memberships, roles and role permissions, and a later area's
 * workspace-owned rows). A change in one workspace then empties only that workspace's
 * cached contexts and pages; the tenant's version (./data-versions.ts) still covers what
 * every workspace shows (users, workspaces themselves, API keys, the tenant).
 *
 * FROZEN, as ./data-versions.ts: released migrations replay `coverWithWorkspaceVersionTriggers`
 * on every fresh database (test/unit/data-versions.test.ts pins its statements).
 */
export interface WorkspaceDataVersionsTable {
  workspace_id: number;
  version: number;
}

/** One counter per user, moved by changes to that user's memberships: what their list of workspaces depends on. */
export interface UserDataVersionsTable {
  user_id: number;
  version: number;
}

/** How a row of a covered table leads to its workspace; `R` stands for the row (NEW or OLD). */
const WORKSPACE_OF = {
  workspaceId: 'R.workspace_id',
  role: '(select r.workspace_id from roles r where r.id = R.role_id)',
} as const;
type WorkspacePath = keyof typeof WORKSPACE_OF;

export interface WorkspaceCoveredTable {
  table: string;
  /** How its rows name their workspace: a `workspace_id` column, or a `role_id` column. */
  path: WorkspacePath;
}

/** The trigger names this helper gives, so the coverage test can tell covered tables. */
export const WORKSPACE_VERSION_TRIGGER_PREFIX = 'workspace_data_versions_';

const bumpWorkspace = (workspaceExpression: string) =>
  `update workspace_data_versions set version = version + 1 where workspace_id = ${workspaceExpression}`;

/**
 * The statements that make every change to `tables` move its workspace's version. On
 * SQLite, row triggers (one writer at a time); on PostgreSQL, constraint triggers deferred
 * to commit, so the version row is locked as the transaction's last act, as the tenant's
 * shards are. An update moves both the old and the new row's workspace.
 */
export function workspaceVersionTriggerStatements(engine: Engine, tables: readonly WorkspaceCoveredTable[]): string[] {
  return tables.flatMap(({ table, path }) => {
    const of = (row: 'NEW' | 'OLD') => WORKSPACE_OF[path].replaceAll('R.', `${row}.`);
    const name = `${WORKSPACE_VERSION_TRIGGER_PREFIX}${table}`;
    if (engine === 'sqlite') {
      return [
        `create trigger ${name}_insert after insert on ${table} begin ${bumpWorkspace(of('NEW'))}; end`,
        `create trigger ${name}_update after update on ${table} begin ${bumpWorkspace(of('OLD'))}; ${bumpWorkspace(of('NEW'))}; end`,
        `create trigger ${name}_delete after delete on ${table} begin ${bumpWorkspace(of('OLD'))}; end`,
      ];
    }
    return [
      `create function ${name}() returns trigger language plpgsql as $$ begin ` +
        `if TG_OP <> 'INSERT' then ${bumpWorkspace(of('OLD'))}; end if; ` +
        `if TG_OP <> 'DELETE' then ${bumpWorkspace(of('NEW'))}; end if; return null; end $$`,
      `create constraint trigger ${name} after insert or update or delete on ${table} ` +
        `deferrable initially deferred for each row execute function ${name}()`,
    ];
  });
}

/**
 * Covers `tables` with workspace version triggers. A migration creating a workspace-owned
 * table whose rows a cached read shows calls it.
 * @example await coverWithWorkspaceVersionTriggers(db, engine, [{ table: 'stock_levels', path: 'workspaceId' }]);
 */
export async function coverWithWorkspaceVersionTriggers(
  db: Kysely<any>,
  engine: Engine,
  tables: readonly WorkspaceCoveredTable[],
): Promise<void> {
  for (const statement of workspaceVersionTriggerStatements(engine, tables)) await sql.raw(statement).execute(db);
}
