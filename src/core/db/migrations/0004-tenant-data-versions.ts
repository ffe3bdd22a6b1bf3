import { sql, type Kysely } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * One counter per tenant that moves whenever anything a request context or a cached
 * read depends on changes: the database moves it, by trigger, in the same transaction
 * as the change, so no code path can forget it and every process sees the change and
 * the new version together. A process may answer from what it read at version v only
 * while the tenant is still at v (see src/core/cache/versioned-cache.ts).
 *
 * Append-only logs (audit events, the outbox), invitations and refresh tokens are not
 * covered: nothing cached is read from them. Neither is an API key's `last_used_at`,
 * which is bookkeeping written in batches and would otherwise empty every cache.
 */

/** How a row of each covered table leads to its tenant; `R` stands for the row (NEW or OLD). */
const TENANT_OF = {
  tenant: 'R.id',
  tenantId: 'R.tenant_id',
  workspace: '(select w.tenant_id from workspaces w where w.id = R.workspace_id)',
  role: '(select w.tenant_id from roles r join workspaces w on w.id = r.workspace_id where r.id = R.role_id)',
  apiKey: '(select k.tenant_id from api_keys k where k.id = R.api_key_id)',
} as const;
type TenantPath = keyof typeof TENANT_OF;

interface Covered {
  table: string;
  path: TenantPath;
  /** The columns whose update matters; every column when absent. */
  updateOf?: readonly string[];
  /** Inserts and deletes of tenants are handled by their own triggers below. */
  updatesOnly?: boolean;
}

const COVERED: readonly Covered[] = [
  { table: 'tenants', path: 'tenant', updatesOnly: true },
  { table: 'users', path: 'tenantId' },
  { table: 'sessions', path: 'tenantId' },
  { table: 'workspaces', path: 'tenantId' },
  {
    table: 'api_keys',
    path: 'tenantId',
    updateOf: ['tenant_id', 'workspace_id', 'created_by', 'name', 'prefix', 'key_hash', 'expires_at', 'revoked_at', 'created_at'],
  },
  { table: 'api_key_scopes', path: 'apiKey' },
  { table: 'memberships', path: 'workspace' },
  { table: 'roles', path: 'workspace' },
  { table: 'role_permissions', path: 'role' },
];

/**
 * A tenant's version is the sum of its shards. On PostgreSQL each transaction bumps the
 * shard its transaction id picks, so concurrent writers of one tenant rarely queue on one
 * row; the sum still grows with every committed change. SQLite has one writer at a time
 * and one shard.
 */
export const VERSION_SHARDS = { sqlite: 1, postgres: 8 } as const;

const bump = (tenantExpression: string, shardExpression: string) =>
  `update tenant_data_versions set version = version + 1 where tenant_id = ${tenantExpression} and shard = ${shardExpression}`;

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('tenant_data_versions')
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('shard', 'integer', (c) => c.notNull())
    .addColumn('version', engine === 'postgres' ? 'bigint' : 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('tenant_data_versions_pk', ['tenant_id', 'shard'])
    .execute();
  await sql
    .raw(
      `insert into tenant_data_versions (tenant_id, shard, version) ` +
        `select t.id, s.shard, 0 from tenants t, (${shardList(engine)}) s`,
    )
    .execute(db);
  if (engine === 'postgres') await postgresTriggers(db);
  else await sqliteTriggers(db);
}

function insertShardsOfNewTenant(engine: Engine): string {
  return `insert into tenant_data_versions (tenant_id, shard, version) select NEW.id, s.shard, 0 from (${shardList(engine)}) s`;
}

/** The shard numbers as a one-column select: `select 0 as shard union all select 1 …`. */
function shardList(engine: Engine): string {
  return Array.from({ length: VERSION_SHARDS[engine] }, (_, shard) => `select ${shard} as shard`).join(' union all ');
}

/** SQLite runs one writer at a time, so plain row triggers cost no concurrency. */
async function sqliteTriggers(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `create trigger tenant_data_versions_new_tenant after insert on tenants begin ` +
        `${insertShardsOfNewTenant('sqlite')}; end`,
    )
    .execute(db);
  for (const { table, path, updateOf, updatesOnly } of COVERED) {
    const events: Array<['insert' | 'update' | 'delete', 'NEW' | 'OLD']> = updatesOnly
      ? [['update', 'NEW']]
      : [
          ['insert', 'NEW'],
          ['update', 'NEW'],
          ['delete', 'OLD'],
        ];
    for (const [event, row] of events) {
      const on = event === 'update' && updateOf ? `update of ${updateOf.join(', ')}` : event;
      const statement = bump(TENANT_OF[path].replaceAll('R.', `${row}.`), '0');
      await sql
        .raw(`create trigger tenant_data_versions_${table}_${event} after ${on} on ${table} begin ${statement}; end`)
        .execute(db);
    }
  }
}

/**
 * Deferred to commit: the version shard row is locked as the transaction's last act, after
 * every lock the transaction took for its own work, so it cannot take part in a lock
 * cycle, and concurrent writers of one tenant queue on it only while committing.
 */
async function postgresTriggers(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `create function tenant_data_versions_new_tenant() returns trigger language plpgsql as $$ begin ` +
        `${insertShardsOfNewTenant('postgres')}; return null; end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger tenant_data_versions_new_tenant after insert on tenants ` +
        `for each row execute function tenant_data_versions_new_tenant()`,
    )
    .execute(db);
  const shard = `(txid_current() % ${VERSION_SHARDS.postgres})`;
  for (const path of Object.keys(TENANT_OF) as TenantPath[]) {
    const of = (row: string) => TENANT_OF[path].replaceAll('R.', `${row}.`);
    await sql
      .raw(
        `create function tenant_data_versions_bump_${path}() returns trigger language plpgsql as $$ begin ` +
          `if TG_OP = 'DELETE' then ${bump(of('OLD'), shard)}; else ${bump(of('NEW'), shard)}; end if; return null; end $$`,
      )
      .execute(db);
  }
  for (const { table, path, updateOf, updatesOnly } of COVERED) {
    const update = updateOf ? `update of ${updateOf.join(', ')}` : 'update';
    const events = updatesOnly ? update : `insert or ${update} or delete`;
    await sql
      .raw(
        `create constraint trigger tenant_data_versions_${table} after ${events} on ${table} ` +
          `deferrable initially deferred for each row execute function tenant_data_versions_bump_${path}()`,
      )
      .execute(db);
  }
}
