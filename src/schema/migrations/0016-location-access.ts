import type { Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';
import { coverWithWorkspaceVersionTriggers } from '../workspace-data-versions.ts';

/**
 * Location access per member (issue 17, seed 002's `locationAccess`): a member is either
 * unrestricted (no row here) or restricted to the locations listed for them, possibly
 * none (then they see no location-bound record at all: fail closed).
 *
 * - A restriction belongs to a membership and goes with it (cascade); a listed location
 *   belongs to the same workspace (composite foreign key) and leaves the lists when it is
 *   deleted, so a list never names what is gone and never widens.
 * - Both tables move their workspace's version, so the next request in every process
 *   works within the new list.
 */
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema
    .createTable('member_location_restrictions')
    .addColumn('workspace_id', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_location_restrictions_pk', ['workspace_id', 'user_id'])
    .addForeignKeyConstraint('member_location_restrictions_member', ['workspace_id', 'user_id'], 'memberships', ['workspace_id', 'user_id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createTable('member_locations')
    .addColumn('workspace_id', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull())
    .addColumn('location_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_locations_pk', ['workspace_id', 'user_id', 'location_id'])
    .addForeignKeyConstraint('member_locations_restriction', ['workspace_id', 'user_id'], 'member_location_restrictions', ['workspace_id', 'user_id'], (fk) =>
      fk.onDelete('cascade'),
    )
    .addForeignKeyConstraint('member_locations_location', ['workspace_id', 'location_id'], 'locations', ['workspace_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('member_locations_location').on('member_locations').columns(['workspace_id', 'location_id']).execute();
  await coverWithWorkspaceVersionTriggers(db, engine, [
    { table: 'member_location_restrictions', path: 'workspaceId' },
    { table: 'member_locations', path: 'workspaceId' },
  ]);
}
