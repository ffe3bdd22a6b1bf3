import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';
import { coverWithVersionTriggers, VERSION_SHARDS, type CoveredTable } from '../data-versions.ts';

/**
 * The tenant data versions (see ../data-versions.ts), covering the tables request contexts
 * and cached pages are read from. An API key's `last_used_at` is not covered: it is
 * bookkeeping written in batches and would otherwise empty every cache.
 */
export const COVERED: readonly CoveredTable[] = [
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
  // A new tenant gets its shards at once; inserting and deleting tenants moves no version.
  const newTenantShards = `insert into tenant_data_versions (tenant_id, shard, version) select NEW.id, s.shard, 0 from (${shardList(engine)}) s`;
  if (engine === 'postgres') {
    await sql
      .raw(`create function tenant_data_versions_new_tenant() returns trigger language plpgsql as $$ begin ${newTenantShards}; return null; end $$`)
      .execute(db);
    await sql
      .raw(`create trigger tenant_data_versions_new_tenant after insert on tenants for each row execute function tenant_data_versions_new_tenant()`)
      .execute(db);
  } else {
    await sql.raw(`create trigger tenant_data_versions_new_tenant after insert on tenants begin ${newTenantShards}; end`).execute(db);
  }
  await coverWithVersionTriggers(db, engine, COVERED);
}

/** The shard numbers as a one-column select: `select 0 as shard union all select 1 …`. */
function shardList(engine: Engine): string {
  return Array.from({ length: VERSION_SHARDS[engine] }, (_, shard) => `select ${shard} as shard`).join(' union all ');
}
