import type { Executor, Tx } from '../../schema/database.ts';

/** A member's stored location access: null when unrestricted, else the listed ids, ascending. */
export async function findLocationAccess(db: Executor, workspaceId: number, userId: number): Promise<number[] | null> {
  const restriction = await db
    .selectFrom('member_location_restrictions')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!restriction) return null;
  const rows = await db
    .selectFrom('member_locations')
    .select('location_id')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .orderBy('location_id')
    .execute();
  return rows.map((row) => row.location_id);
}

/** Sets a member's access to exactly this: null lifts the restriction (its list goes with it, by cascade). */
export async function replaceLocationAccess(tx: Tx, workspaceId: number, userId: number, locationIds: readonly number[] | null): Promise<void> {
  await deleteLocationAccess(tx, workspaceId, userId);
  if (locationIds === null) return;
  await tx.insertInto('member_location_restrictions').values({ workspace_id: workspaceId, user_id: userId }).execute();
  if (locationIds.length > 0) {
    await tx
      .insertInto('member_locations')
      .values(locationIds.map((locationId) => ({ workspace_id: workspaceId, user_id: userId, location_id: locationId })))
      .execute();
  }
}

export async function deleteLocationAccess(tx: Tx, workspaceId: number, userId: number): Promise<void> {
  await tx.deleteFrom('member_location_restrictions').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
}

export async function tenantRoleOf(db: Executor, userId: number) {
  const row = await db.selectFrom('users').select('tenant_role').where('id', '=', userId).executeTakeFirst();
  return row?.tenant_role;
}
