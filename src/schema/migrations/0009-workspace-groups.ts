import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';
import { coverWithVersionTriggers } from '../data-versions.ts';

/**
 * Workspace groups (seed 004): an admin workspace acting for its sub workspaces.
 *
 * The database keeps seed 004's limitations, not only the service:
 * - a sub workspace has one admin workspace at most: `sub_workspace_id` is unique;
 * - no self-links: a check;
 * - no cross-tenant links: both workspaces are referenced through (tenant_id, id);
 * - a workspace is never admin and sub at once (so no chains): the trigger
 *   `workspace_group_roles`. On PostgreSQL it first takes a per-tenant advisory lock, so
 *   two links inserted at the same moment (G over H while H over G) are checked one after
 *   the other and the second sees the first; SQLite runs one writer at a time anyway.
 *
 * Links move the tenant's data version: a cached context acting as a sub workspace must
 * stop answering on the next request after the link goes, in every process.
 */
export const GROUP_ROLES_RULE = 'workspace_group_roles';
/** The advisory lock class of group changes on PostgreSQL (the second key is the tenant id). */
const GROUP_LOCK_CLASS = 7235102;

/** Another link in which the new link's admin is a sub, or its sub an admin (SQLite may not have assigned NEW.id yet). */
const conflictingLink = (engine: Engine) =>
  `select 1 from workspace_group_members g where g.id ${engine === 'postgres' ? 'is distinct from' : 'is not'} NEW.id ` +
  `and (g.sub_workspace_id = NEW.admin_workspace_id or g.admin_workspace_id = NEW.sub_workspace_id)`;

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);
  // Lets links and group invitations name a workspace together with its tenant.
  await db.schema.createIndex('workspaces_tenant_id_unique').on('workspaces').columns(['tenant_id', 'id']).unique().execute();

  await withIdColumn(db.schema.createTable('workspace_group_members'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('restrict'))
    .addColumn('admin_workspace_id', 'integer', (c) => c.notNull())
    .addColumn('sub_workspace_id', 'integer', (c) => c.notNull())
    .addColumn('invited_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('accepted_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', ts, (c) => c.notNull())
    .addUniqueConstraint('workspace_group_members_one_admin', ['sub_workspace_id'])
    .addCheckConstraint('workspace_group_members_not_self', sql`admin_workspace_id <> sub_workspace_id`)
    .addForeignKeyConstraint('workspace_group_members_admin', ['tenant_id', 'admin_workspace_id'], 'workspaces', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('workspace_group_members_sub', ['tenant_id', 'sub_workspace_id'], 'workspaces', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.createIndex('workspace_group_members_admin').on('workspace_group_members').columns(['admin_workspace_id', 'id']).execute();

  if (engine === 'postgres') {
    await sql
      .raw(
        `create function ${GROUP_ROLES_RULE}() returns trigger language plpgsql as $$ begin ` +
          `perform pg_advisory_xact_lock(${GROUP_LOCK_CLASS}, NEW.tenant_id); ` +
          `if exists (${conflictingLink(engine)}) then ` +
          `raise exception '${GROUP_ROLES_RULE}' using errcode = 'check_violation', constraint = '${GROUP_ROLES_RULE}'; ` +
          `end if; return NEW; end $$`,
      )
      .execute(db);
    await sql
      .raw(`create trigger ${GROUP_ROLES_RULE} before insert or update on workspace_group_members for each row execute function ${GROUP_ROLES_RULE}()`)
      .execute(db);
  } else {
    for (const event of ['insert', 'update']) {
      await sql
        .raw(
          `create trigger ${GROUP_ROLES_RULE}_${event} before ${event} on workspace_group_members ` +
            `when exists (${conflictingLink(engine)}) begin select raise(abort, '${GROUP_ROLES_RULE}'); end`,
        )
        .execute(db);
    }
  }
  await coverWithVersionTriggers(db, engine, [{ table: 'workspace_group_members', path: 'tenantId' }]);

  await withIdColumn(db.schema.createTable('workspace_group_invitations'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('restrict'))
    .addColumn('admin_workspace_id', 'integer', (c) => c.notNull())
    .addColumn('sub_workspace_id', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'accepted', 'declined', 'cancelled', 'expired')`))
    .addColumn('invited_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('locale', 'text', (c) => c.notNull())
    .addColumn('expires_at', ts, (c) => c.notNull())
    .addColumn('responded_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('responded_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .addCheckConstraint('workspace_group_invitations_not_self', sql`admin_workspace_id <> sub_workspace_id`)
    .addForeignKeyConstraint('workspace_group_invitations_admin', ['tenant_id', 'admin_workspace_id'], 'workspaces', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('workspace_group_invitations_sub', ['tenant_id', 'sub_workspace_id'], 'workspaces', ['tenant_id', 'id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  // One pending invitation per pair: the database decides, not a read-then-insert.
  await db.schema
    .createIndex('workspace_group_invitations_one_pending')
    .on('workspace_group_invitations')
    .columns(['admin_workspace_id', 'sub_workspace_id'])
    .unique()
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.createIndex('workspace_group_invitations_sub').on('workspace_group_invitations').columns(['sub_workspace_id', 'id']).execute();

  // Attribution of what an admin workspace does while acting as a sub workspace.
  await db.schema.alterTable('audit_events').addColumn('admin_workspace_id', 'integer').execute();
  // A workspace invitation sent while acting as a sub workspace: the inviter's authority comes from there.
  await db.schema
    .alterTable('invitations')
    .addColumn('acting_from_workspace_id', 'integer', (c) => c.references('workspaces.id').onDelete('set null'))
    .execute();
}
