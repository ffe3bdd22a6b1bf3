import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';
import { coverWithWorkspaceVersionTriggers } from '../workspace-data-versions.ts';

/**
 * Member access (issue 16): a member's permissions are their role (the template) with
 * per-member overrides. One row per overridden permission, so a permission cannot be both
 * granted and revoked to one member (the primary key); a membership's overrides go with it
 * (the foreign key). They move their workspace's version, so the next request in every
 * process sees them. A role's `version` counts the changes to what it grants.
 */
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('member_permission_overrides')
    .addColumn('workspace_id', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addColumn('permission', 'text', (c) => c.notNull())
    .addColumn('effect', 'text', (c) => c.notNull().check(sql`effect in ('grant', 'revoke')`))
    .addPrimaryKeyConstraint('member_permission_overrides_pk', ['workspace_id', 'user_id', 'permission'])
    .addForeignKeyConstraint('member_permission_overrides_member', ['workspace_id', 'user_id'], 'memberships', ['workspace_id', 'user_id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema.alterTable('roles').addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await coverWithWorkspaceVersionTriggers(db, engine, [{ table: 'member_permission_overrides', path: 'workspaceId' }]);
}
