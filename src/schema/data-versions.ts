import { sql, type Kysely } from 'kysely';
import type { Engine } from '../core/db/dialect.ts';

/**
 * Tenant data versions: one counter per tenant that the database moves, by trigger, in
 * the same transaction as any change a request context or a cached read depends on, so
 * no code path can forget it and every process sees the change and the new version
 * together (see core/cache/versioned-cache.ts).
 *
 * FROZEN: migrations call `coverWithVersionTriggers`, and a released migration must create
 * the same triggers on a fresh database forever. Change nothing that alters the statements
 * it produces (test/unit/data-versions.test.ts pins them); a different kind of trigger
 * needs a new helper next to this one.
 */
export interface TenantDataVersionsTable {
  tenant_id: number;
  shard: number;
  version: number;
}

/**
 * A tenant's version is the sum of its shards. On PostgreSQL each transaction bumps the
 * shard its transaction id picks, so concurrent writers of one tenant rarely queue on one
 * row; the sum still grows with every committed change. SQLite has one writer at a time
 * and one shard.
 */
export const VERSION_SHARDS = { sqlite: 1, postgres: 8 } as const;

/** How a row of a covered table leads to its tenant; `R` stands for the row (NEW or OLD). */
const TENANT_OF = {
  tenant: 'R.id',
  tenantId: 'R.tenant_id',
  workspace: '(select w.tenant_id from workspaces w where w.id = R.workspace_id)',
  role: '(select w.tenant_id from roles r join workspaces w on w.id = r.workspace_id where r.id = R.role_id)',
  apiKey: '(select k.tenant_id from api_keys k where k.id = R.api_key_id)',
} as const;
type TenantPath = keyof typeof TENANT_OF;

export interface CoveredTable {
  table: string;
  /** How its rows name their tenant: a `tenant_id` column, a `workspace_id` column, … */
  path: TenantPath;
  /** The columns whose update matters; every column when absent. */
  updateOf?: readonly string[];
  /** Only updates move the version (inserts and deletes are handled elsewhere, as for tenants themselves). */
  updatesOnly?: boolean;
}

/**
 * Tables that hold tenant rows yet move no version, each with the reason: nothing cached
 * is read from them. A table is either covered by a migration's `coverWithVersionTriggers`
 * or listed here; test/schema/data-version-coverage.test.ts fails otherwise.
 */
export const UNVERSIONED_TABLES: Readonly<Record<string, string>> = {
  schema_migrations: 'not tenant data',
  tenant_data_versions: 'the versions themselves',
  workspace_data_versions: 'the versions themselves (migration 0008)',
  user_data_versions: 'the versions themselves (migration 0008)',
  workspace_record_versions: 'the versions themselves (migration 0018)',
  signing_keys: 'read at start-up, and again when a token names a key added since',
  refresh_tokens: 'read only by the refresh that rotates them, never cached',
  sessions: "a session's liveness is read on every request, with the version (migration 0007)",
  audit_events: 'append-only log, read uncached',
  audit_event_locations: 'written with its audit event, read uncached (migration 0020)',
  invitations: 'read uncached; accepting one writes memberships, which are covered',
  outbox_messages: 'append-only mail queue, read uncached',
  workspace_group_invitations: 'read uncached; accepting one writes a workspace group link, which is covered',
  plans: 'operator data, read uncached (migration 0011)',
  workspace_plans: 'plan and usage counters, read uncached (migration 0011)',
  workspace_settings: 'read uncached (migration 0011)',
  locations: 'read uncached (migration 0011)',
  suppliers: 'read uncached (migration 0014)',
  tags: 'read uncached (migration 0014)',
  stock_movements: 'read uncached (migration 0015)',
  contacts: 'read uncached (migration 0019)',
  invoices: 'read uncached (migration 0021)',
  invoice_lines: 'read uncached (migration 0021)',
  invoice_payments: 'read uncached (migration 0021)',
  invoice_number_series: 'read only by the issue that draws from it (migration 0021)',
  ncf_sequences: 'read uncached (migration 0021)',
  quotations: 'read uncached (migration 0022)',
  quotation_lines: 'read uncached (migration 0022)',
  account_tokens: 'read uncached, by digest (migration 0023)',
  recovery_codes: 'read uncached (migration 0023)',
  sso_connections: 'read uncached; requiring single sign-on ends sessions, whose liveness is read on every request (migration 0024)',
  sso_identities: 'read uncached, by a sign-in (migration 0024)',
  sso_sign_ins: 'read only by the callback that completes them (migration 0024)',
  workspace_invite_codes: 'read uncached; joining by one writes memberships, which are covered (migration 0012)',
};

const bump = (tenantExpression: string, shardExpression: string) =>
  `update tenant_data_versions set version = version + 1 where tenant_id = ${tenantExpression} and shard = ${shardExpression}`;

/** The statements that make every change to `tables` move its tenant's version. */
export function versionTriggerStatements(engine: Engine, tables: readonly CoveredTable[]): string[] {
  return engine === 'postgres' ? postgresStatements(tables) : sqliteStatements(tables);
}

/**
 * Covers `tables` with version triggers; a migration that creates a table holding tenant
 * rows calls it (or lists the table in UNVERSIONED_TABLES with a reason).
 * @example await coverWithVersionTriggers(db, engine, [{ table: 'stock_levels', path: 'workspace' }]);
 */
export async function coverWithVersionTriggers(db: Kysely<any>, engine: Engine, tables: readonly CoveredTable[]): Promise<void> {
  for (const statement of versionTriggerStatements(engine, tables)) await sql.raw(statement).execute(db);
}

/** SQLite runs one writer at a time, so plain row triggers cost no concurrency. */
function sqliteStatements(tables: readonly CoveredTable[]): string[] {
  return tables.flatMap(({ table, path, updateOf, updatesOnly }) => {
    const events: Array<['insert' | 'update' | 'delete', 'NEW' | 'OLD']> = updatesOnly
      ? [['update', 'NEW']]
      : [
          ['insert', 'NEW'],
          ['update', 'NEW'],
          ['delete', 'OLD'],
        ];
    return events.map(([event, row]) => {
      const on = event === 'update' && updateOf ? `update of ${updateOf.join(', ')}` : event;
      const statement = bump(TENANT_OF[path].replaceAll('R.', `${row}.`), '0');
      return `create trigger tenant_data_versions_${table}_${event} after ${on} on ${table} begin ${statement}; end`;
    });
  });
}

/**
 * Deferred to commit: the version shard row is locked as the transaction's last act, after
 * every lock the transaction took for its own work, so it cannot take part in a lock
 * cycle, and concurrent writers of one tenant queue on it only while committing.
 */
function postgresStatements(tables: readonly CoveredTable[]): string[] {
  const shard = `(txid_current() % ${VERSION_SHARDS.postgres})`;
  const paths = (Object.keys(TENANT_OF) as TenantPath[]).filter((path) => tables.some((table) => table.path === path));
  const functions = paths.map((path) => {
    const of = (row: string) => TENANT_OF[path].replaceAll('R.', `${row}.`);
    return (
      `create or replace function tenant_data_versions_bump_${path}() returns trigger language plpgsql as $$ begin ` +
      `if TG_OP = 'DELETE' then ${bump(of('OLD'), shard)}; else ${bump(of('NEW'), shard)}; end if; return null; end $$`
    );
  });
  const triggers = tables.map(({ table, path, updateOf, updatesOnly }) => {
    const update = updateOf ? `update of ${updateOf.join(', ')}` : 'update';
    const events = updatesOnly ? update : `insert or ${update} or delete`;
    return (
      `create constraint trigger tenant_data_versions_${table} after ${events} on ${table} ` +
      `deferrable initially deferred for each row execute function tenant_data_versions_bump_${path}()`
    );
  });
  return [...functions, ...triggers];
}
