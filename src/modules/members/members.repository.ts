import type { Db, Executor, Tx } from '../../schema/database.ts';
import { precompile } from '../../core/db/precompiled.ts';

export interface MemberRecord {
  userId: number;
  name: string;
  email: string;
  role: string;
  addedAt: string;
}

function membersOf(db: Executor, workspaceId: number) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id as userId', 'u.name as name', 'u.email as email', 'm.role as role', 'm.created_at as addedAt'])
    .where('m.workspace_id', '=', workspaceId);
}

const memberPage = precompile((db: Db, page: { workspaceId: number; afterUserId: number; limit: number }) =>
  membersOf(db, page.workspaceId).where('m.user_id', '>', page.afterUserId).orderBy('m.user_id').limit(page.limit),
);

/** Keyset page on the (workspace_id, user_id) primary key: as fast on page 1 of 10 as of 10,000. */
export function listMembers(db: Db, workspaceId: number, afterUserId: number, limit: number): Promise<MemberRecord[]> {
  return memberPage(db, { workspaceId, afterUserId, limit });
}

export async function findMember(db: Executor, workspaceId: number, userId: number): Promise<MemberRecord | undefined> {
  return membersOf(db, workspaceId).where('m.user_id', '=', userId).executeTakeFirst();
}

/** False when the user already is a member (nothing is changed then). */
export async function insertMembership(
  tx: Tx,
  values: { workspaceId: number; userId: number; role: string; now: string },
): Promise<boolean> {
  const inserted = await tx
    .insertInto('memberships')
    .values({ workspace_id: values.workspaceId, user_id: values.userId, role: values.role, created_at: values.now, updated_at: values.now })
    .onConflict((conflict) => conflict.columns(['workspace_id', 'user_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Guarded: the owner's row never matches, so ownership changes only through transfer. */
export async function updateNonOwnerRole(tx: Tx, workspaceId: number, userId: number, role: string, now: string): Promise<boolean> {
  const result = await tx
    .updateTable('memberships')
    .set({ role, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('role', '<>', 'owner')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Guarded: the owner's row never matches. */
export async function deleteNonOwner(tx: Tx, workspaceId: number, userId: number): Promise<boolean> {
  const result = await tx
    .deleteFrom('memberships')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('role', '<>', 'owner')
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Moves the owner role from one member to another; false when `from` no longer owns it or `to` is not a member. */
export async function moveOwnership(tx: Tx, workspaceId: number, from: number, to: number, now: string): Promise<boolean> {
  // Demote first: the one-owner partial unique index would refuse a second owner.
  const demoted = await tx
    .updateTable('memberships')
    .set({ role: 'admin', updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', from)
    .where('role', '=', 'owner')
    .executeTakeFirst();
  if (demoted.numUpdatedRows === 0n) return false;
  const promoted = await tx
    .updateTable('memberships')
    .set({ role: 'owner', updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', to)
    .executeTakeFirst();
  return promoted.numUpdatedRows > 0n;
}

export async function reassignRole(tx: Tx, workspaceId: number, from: string, to: string, now: string): Promise<void> {
  await tx
    .updateTable('memberships')
    .set({ role: to, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', from)
    .execute();
}

export async function countOwnedWorkspaces(tx: Tx, userId: number): Promise<number> {
  const row = await tx
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('owned'))
    .where('user_id', '=', userId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.owned);
}
