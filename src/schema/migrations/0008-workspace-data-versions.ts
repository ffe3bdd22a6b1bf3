import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';
import { VERSION_SHARDS } from '../data-versions.ts';
import { coverWithWorkspaceVersionTriggers, type WorkspaceCoveredTable } from '../workspace-data-versions.ts';

/**
 * Invalidation that follows what changed: memberships, roles and role permissions no longer
 * move the tenant's version (every cached context and page of the tenant) but the version of
 * their workspace, and a membership also its user's version (their list of workspaces).
 * One exception stays tenant-wide: a change that involves an owner's membership, because
 * every member's list of workspaces shows the owner.
 */
export const WORKSPACE_COVERED: readonly WorkspaceCoveredTable[] = [
  { table: 'memberships', path: 'workspaceId' },
  { table: 'roles', path: 'workspaceId' },
  { table: 'role_permissions', path: 'role' },
];

/** Triggers that only create a version row for a new workspace or user, and so cover nothing. */
export const VERSION_ROW_TRIGGERS = ['workspace_data_versions_new_workspace', 'user_data_versions_new_user'] as const;

const bumpUser = (row: 'NEW' | 'OLD') => `update user_data_versions set version = version + 1 where user_id = ${row}.user_id`;

/** The tenant's version, moved only when the membership row `row` is an owner's. */
const bumpTenantForOwner = (row: 'NEW' | 'OLD', shard: string) =>
  `update tenant_data_versions set version = version + 1 where ${row}.role = 'owner' and shard = ${shard} ` +
  `and tenant_id = (select w.tenant_id from workspaces w where w.id = ${row}.workspace_id)`;

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const counter = engine === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('workspace_data_versions')
    .addColumn('workspace_id', 'integer', (c) => c.primaryKey().references('workspaces.id').onDelete('cascade'))
    .addColumn('version', counter, (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('user_data_versions')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('version', counter, (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`insert into workspace_data_versions (workspace_id, version) select id, 0 from workspaces`.execute(db);
  await sql`insert into user_data_versions (user_id, version) select id, 0 from users`.execute(db);

  const newRows = [
    { name: VERSION_ROW_TRIGGERS[0], table: 'workspaces', insert: 'insert into workspace_data_versions (workspace_id, version) values (NEW.id, 0)' },
    { name: VERSION_ROW_TRIGGERS[1], table: 'users', insert: 'insert into user_data_versions (user_id, version) values (NEW.id, 0)' },
  ];
  for (const { name, table, insert } of newRows) {
    if (engine === 'postgres') {
      await sql.raw(`create function ${name}() returns trigger language plpgsql as $$ begin ${insert}; return null; end $$`).execute(db);
      await sql.raw(`create trigger ${name} after insert on ${table} for each row execute function ${name}()`).execute(db);
    } else {
      await sql.raw(`create trigger ${name} after insert on ${table} begin ${insert}; end`).execute(db);
    }
  }

  for (const { table } of WORKSPACE_COVERED) {
    if (engine === 'postgres') {
      await sql.raw(`drop trigger tenant_data_versions_${table} on ${table}`).execute(db);
    } else {
      for (const event of ['insert', 'update', 'delete']) await sql.raw(`drop trigger tenant_data_versions_${table}_${event}`).execute(db);
    }
  }
  await coverWithWorkspaceVersionTriggers(db, engine, WORKSPACE_COVERED);

  if (engine === 'postgres') {
    const shard = `(txid_current() % ${VERSION_SHARDS.postgres})`;
    await sql
      .raw(
        `create function user_data_versions_memberships() returns trigger language plpgsql as $$ begin ` +
          `if TG_OP <> 'INSERT' then ${bumpUser('OLD')}; ${bumpTenantForOwner('OLD', shard)}; end if; ` +
          `if TG_OP <> 'DELETE' then ${bumpUser('NEW')}; ${bumpTenantForOwner('NEW', shard)}; end if; return null; end $$`,
      )
      .execute(db);
    await sql
      .raw(
        `create constraint trigger user_data_versions_memberships after insert or update or delete on memberships ` +
          `deferrable initially deferred for each row execute function user_data_versions_memberships()`,
      )
      .execute(db);
  } else {
    const events = [
      ['insert', ['NEW']],
      ['update', ['OLD', 'NEW']],
      ['delete', ['OLD']],
    ] as const;
    for (const [event, rows] of events) {
      const body = rows.map((row) => `${bumpUser(row)}; ${bumpTenantForOwner(row, '0')};`).join(' ');
      await sql.raw(`create trigger user_data_versions_memberships_${event} after ${event} on memberships begin ${body} end`).execute(db);
    }
  }
}
