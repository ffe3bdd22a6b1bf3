import { sql, type Kysely } from 'kysely';
import { timestampType, withIdColumn, type Engine } from '../../core/db/dialect.ts';

export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  const ts = timestampType(engine);

  await withIdColumn(db.schema.createTable('workspaces'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('restrict'))
    .addColumn('biz_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('logo', 'text')
    .addColumn('preferred_document_subtype', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('workspaces_tenant_name_key').on('workspaces').columns(['tenant_id', 'name_key']).unique().execute();
  await db.schema.createIndex('workspaces_tenant_slug').on('workspaces').columns(['tenant_id', 'slug']).unique().execute();
  await db.schema.createIndex('workspaces_tenant_id').on('workspaces').columns(['tenant_id', 'id']).execute();

  // Built-in roles are rows too (their permissions come from code), so memberships reference any role the same way.
  await withIdColumn(db.schema.createTable('roles'), engine)
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('is_builtin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addUniqueConstraint('roles_workspace_name', ['workspace_id', 'name'])
    .execute();

  await db.schema
    .createTable('role_permissions')
    .addColumn('role_id', 'integer', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addColumn('permission', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('role_permissions_pk', ['role_id', 'permission'])
    .execute();

  await db.schema
    .createTable('memberships')
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['workspace_id', 'user_id'])
    // A role in use cannot be deleted (it must be reassigned first). NO ACTION rather than
    // RESTRICT: it is checked at the end of the statement, so deleting a workspace, which
    // cascades to its memberships and its roles at once, is not refused half-way.
    .addForeignKeyConstraint('memberships_role_fk', ['workspace_id', 'role'], 'roles', ['workspace_id', 'name'], (fk) =>
      fk.onUpdate('cascade'),
    )
    .execute();
  // At most one owner per workspace; "at least one" is kept by transfer and by refusing to remove the owner.
  await db.schema
    .createIndex('memberships_one_owner')
    .on('memberships')
    .column('workspace_id')
    .unique()
    .where(sql.ref('role'), '=', 'owner')
    .execute();
  await db.schema.createIndex('memberships_user').on('memberships').columns(['user_id', 'workspace_id']).execute();

  await db.schema
    .alterTable('users')
    .addColumn('current_workspace_id', 'integer', (c) => c.references('workspaces.id').onDelete('set null'))
    .execute();
  await db.schema
    .alterTable('users')
    .addColumn('default_workspace_id', 'integer', (c) => c.references('workspaces.id').onDelete('set null'))
    .execute();

  await withIdColumn(db.schema.createTable('api_keys'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('restrict'))
    .addColumn('workspace_id', 'integer', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
    .addColumn('created_by', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', ts)
    .addColumn('revoked_at', ts)
    .addColumn('last_used_at', ts)
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('api_keys_workspace').on('api_keys').columns(['workspace_id', 'id']).execute();

  await db.schema
    .createTable('api_key_scopes')
    .addColumn('api_key_id', 'integer', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('permission', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('api_key_scopes_pk', ['api_key_id', 'permission'])
    .execute();

  // Audit rows outlive what they describe: plain ids, no foreign keys but the tenant's.
  await withIdColumn(db.schema.createTable('audit_events'), engine)
    .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id').onDelete('restrict'))
    .addColumn('workspace_id', 'integer')
    .addColumn('actor_user_id', 'integer')
    .addColumn('actor_api_key_id', 'integer')
    .addColumn('acting_as_workspace_id', 'integer')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_workspace').on('audit_events').columns(['tenant_id', 'workspace_id', 'id']).execute();
}
