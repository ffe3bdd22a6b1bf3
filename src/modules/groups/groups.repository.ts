import { sql } from 'kysely';
import { hasStatusAt } from '../../core/expiry.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Executor, Tx } from '../../schema/database.ts';
import type { GroupInvitationRow, GroupInvitationStatus, GroupLinkRow } from './groups.table.ts';

/** A workspace of the tenant, by id: what an invitation names. */
export async function findTenantWorkspace(db: Executor, tenantId: number, id: number): Promise<{ id: number; name: string } | undefined> {
  return db.selectFrom('workspaces').select(['id', 'name']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** The owner of a workspace, whom a group invitation is addressed to. */
export async function findOwner(db: Executor, workspaceId: number): Promise<{ email: string } | undefined> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('u.email')
    .where('m.workspace_id', '=', workspaceId)
    .where('m.role', '=', 'owner')
    .executeTakeFirst();
}

/** Which side of a group a workspace is on now: an admin (it has subs), a sub (it has an admin), or neither. */
export async function groupSideOf(db: Executor, workspaceId: number): Promise<'admin' | 'sub' | null> {
  const link = await db
    .selectFrom('workspace_group_members')
    .select(['admin_workspace_id'])
    .where((eb) => eb.or([eb('admin_workspace_id', '=', workspaceId), eb('sub_workspace_id', '=', workspaceId)]))
    .limit(1)
    .executeTakeFirst();
  if (!link) return null;
  return link.admin_workspace_id === workspaceId ? 'admin' : 'sub';
}

export async function isLinked(db: Executor, adminWorkspaceId: number, subWorkspaceId: number): Promise<boolean> {
  const row = await db
    .selectFrom('workspace_group_members')
    .select('id')
    .where('admin_workspace_id', '=', adminWorkspaceId)
    .where('sub_workspace_id', '=', subWorkspaceId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertInvitation(
  tx: Tx,
  row: Omit<GroupInvitationRow, 'id' | 'status' | 'responded_by' | 'responded_at'>,
): Promise<GroupInvitationRow> {
  return tx.insertInto('workspace_group_invitations').values({ ...row, status: 'pending' }).returningAll().executeTakeFirstOrThrow();
}

/** Frees the pair's pending slot when the invitation holding it has expired. */
export async function expireStalePending(tx: Tx, adminWorkspaceId: number, subWorkspaceId: number, now: string): Promise<void> {
  await tx
    .updateTable('workspace_group_invitations')
    .set({ status: 'expired' })
    .where('admin_workspace_id', '=', adminWorkspaceId)
    .where('sub_workspace_id', '=', subWorkspaceId)
    // A literal, not a parameter: PostgreSQL's generic plan (what a named statement may settle
    // on after a few runs) can use the partial unique index of pending invitations only then,
    // and otherwise reads every invitation of the workspace. SQLite plans with the bound value.
    .where('status', '=', sql.lit('pending'))
    .where('expires_at', '<=', now)
    .execute();
}

export interface GroupInvitationWithNames extends GroupInvitationRow {
  admin_workspace_name: string;
  sub_workspace_name: string;
}

function invitationsWithNames(db: Executor) {
  return db
    .selectFrom('workspace_group_invitations as i')
    .innerJoin('workspaces as a', 'a.id', 'i.admin_workspace_id')
    .innerJoin('workspaces as s', 's.id', 'i.sub_workspace_id')
    .selectAll('i')
    .select(['a.name as admin_workspace_name', 's.name as sub_workspace_name']);
}

/** Invitations a workspace received (it is the sub) or sent (it is the admin), oldest first. */
export async function listInvitations(
  db: Executor,
  query: { workspaceId: number; direction: 'received' | 'sent'; status?: GroupInvitationStatus; now: string; afterId: number; limit: number },
): Promise<GroupInvitationWithNames[]> {
  const { status } = query;
  return invitationsWithNames(db)
    .where(query.direction === 'received' ? 'i.sub_workspace_id' : 'i.admin_workspace_id', '=', query.workspaceId)
    .$if(status !== undefined, (q) => q.where(hasStatusAt('i', status ?? 'pending', query.now)))
    .$call(afterKey('i.id', query.afterId, query.limit))
    .execute();
}

/** One invitation on one side of it: the workspace is its sub (received it) or its admin (sent it). */
export async function findInvitationOn(
  db: Executor,
  where: { side: 'sub' | 'admin'; workspaceId: number },
  id: number,
): Promise<GroupInvitationWithNames | undefined> {
  return invitationsWithNames(db)
    .where('i.id', '=', id)
    .where(where.side === 'sub' ? 'i.sub_workspace_id' : 'i.admin_workspace_id', '=', where.workspaceId)
    .executeTakeFirst();
}

/**
 * Answers a pending, unexpired invitation once: true for the one caller whose update took
 * it; a second answer, a cancellation or the expiry got there first otherwise.
 */
export async function claimPending(
  tx: Tx,
  id: number,
  answer: { status: Exclude<GroupInvitationStatus, 'pending' | 'expired'>; by: number; now: string },
): Promise<boolean> {
  const result = await tx
    .updateTable('workspace_group_invitations')
    .set({ status: answer.status, responded_by: answer.by, responded_at: answer.now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', answer.now)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function insertLink(tx: Tx, row: Omit<GroupLinkRow, 'id'>): Promise<GroupLinkRow> {
  return tx.insertInto('workspace_group_members').values(row).returningAll().executeTakeFirstOrThrow();
}

export interface SubWorkspaceLink {
  id: number;
  sub_workspace_id: number;
  sub_workspace_name: string;
  created_at: string;
}

/** An admin workspace's sub workspaces, by link id. */
export async function listSubLinks(db: Executor, adminWorkspaceId: number, afterId: number, limit: number): Promise<SubWorkspaceLink[]> {
  return db
    .selectFrom('workspace_group_members as g')
    .innerJoin('workspaces as s', 's.id', 'g.sub_workspace_id')
    .select(['g.id', 'g.sub_workspace_id', 's.name as sub_workspace_name', 'g.created_at'])
    .where('g.admin_workspace_id', '=', adminWorkspaceId)
    .$call(afterKey('g.id', afterId, limit))
    .execute();
}

export interface AdminWorkspaceLink {
  id: number;
  admin_workspace_id: number;
  admin_workspace_name: string;
  created_at: string;
}

/** A sub workspace's admin workspace, if it has one. */
export async function findAdminLink(db: Executor, subWorkspaceId: number): Promise<AdminWorkspaceLink | undefined> {
  return db
    .selectFrom('workspace_group_members as g')
    .innerJoin('workspaces as a', 'a.id', 'g.admin_workspace_id')
    .select(['g.id', 'g.admin_workspace_id', 'a.name as admin_workspace_name', 'g.created_at'])
    .where('g.sub_workspace_id', '=', subWorkspaceId)
    .executeTakeFirst();
}

/** A link the workspace is one of the two sides of. */
export async function findLinkOf(db: Executor, workspaceId: number, id: number): Promise<GroupLinkRow | undefined> {
  return db
    .selectFrom('workspace_group_members')
    .selectAll()
    .where('id', '=', id)
    .where((eb) => eb.or([eb('admin_workspace_id', '=', workspaceId), eb('sub_workspace_id', '=', workspaceId)]))
    .executeTakeFirst();
}

/** True for the one caller whose delete removed the link. */
export async function deleteLink(tx: Tx, id: number): Promise<boolean> {
  const result = await tx.deleteFrom('workspace_group_members').where('id', '=', id).executeTakeFirst();
  return result.numDeletedRows === 1n;
}
