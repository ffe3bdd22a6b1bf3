import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { hasStatusAt } from '../../core/expiry.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { InvitationRow, InvitationStatus } from './invitations.table.ts';

/** Frees the pending slot of an invitation that has run out, so a new one can take it; returns the ids it expired. */
export async function expireStalePending(tx: Tx, workspaceId: number, emailKey: string, now: string): Promise<number[]> {
  const expired = await tx
    .updateTable('invitations')
    .set({ status: 'expired', updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('email_key', '=', emailKey)
    // A literal, not a parameter: PostgreSQL's generic plan (what a named statement may settle
    // on after a few runs) can use the partial unique index of pending invitations only then,
    // and otherwise reads every invitation of the workspace. SQLite plans with the bound value.
    .where('status', '=', sql.lit('pending'))
    .where('expires_at', '<=', now)
    .returning('id')
    .execute();
  return expired.map((row) => row.id);
}

export async function isMemberByEmail(executor: Executor, workspaceId: number, tenantId: number, emailKey: string): Promise<boolean> {
  const row = await executor
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('m.user_id')
    .where('m.workspace_id', '=', workspaceId)
    .where('u.tenant_id', '=', tenantId)
    .where('u.email_key', '=', emailKey)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the address is the given user's own (in their tenant). */
export async function isEmailOfUser(executor: Executor, userId: number, emailKey: string): Promise<boolean> {
  const row = await executor.selectFrom('users').select('id').where('id', '=', userId).where('email_key', '=', emailKey).executeTakeFirst();
  return row !== undefined;
}

export async function insertInvitation(
  tx: Tx,
  values: Omit<InvitationRow, 'id' | 'accepted_by' | 'responded_at' | 'updated_at' | 'status'>,
): Promise<InvitationRow> {
  return tx
    .insertInto('invitations')
    .values({ ...values, status: 'pending', updated_at: values.created_at })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A page of a workspace's invitations, optionally of one effective status (pending past expiry reads as expired). */
export async function listInvitations(
  db: Db,
  query: { workspaceId: number; status: InvitationStatus | undefined; now: string; afterId: number; limit: number },
): Promise<InvitationRow[]> {
  const { status } = query;
  return db
    .selectFrom('invitations')
    .selectAll()
    .where('workspace_id', '=', query.workspaceId)
    .$if(status !== undefined, (q) => q.where(hasStatusAt('invitations', status ?? 'pending', query.now)))
    .$call(afterKey('id', query.afterId, query.limit))
    .execute();
}

export async function findInvitation(executor: Executor, workspaceId: number, id: number): Promise<InvitationRow | undefined> {
  return executor.selectFrom('invitations').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
}

export interface InvitationWithNames extends InvitationRow {
  workspace_name: string;
  inviter_name: string | null;
}

/** An invitation by its token's digest, with what an invitation page shows. */
export async function findByTokenHash(executor: Executor, tenantId: number, tokenHash: string): Promise<InvitationWithNames | undefined> {
  return executor
    .selectFrom('invitations as i')
    .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
    .leftJoin('users as u', 'u.id', 'i.invited_by')
    .selectAll('i')
    .select(['w.name as workspace_name', 'u.name as inviter_name'])
    .where('i.tenant_id', '=', tenantId)
    .where('i.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/**
 * Single use: moves a pending, unexpired invitation to its answer. Of concurrent
 * answers (twenty accepts, or an accept racing a revoke) exactly one matches.
 */
export async function claimAnswer(
  tx: Tx,
  id: number,
  answer: { status: 'accepted' | 'declined'; acceptedBy: number | null; now: string },
): Promise<boolean> {
  const result = await tx
    .updateTable('invitations')
    .set({ status: answer.status, accepted_by: answer.acceptedBy, responded_at: answer.now, updated_at: answer.now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', answer.now)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function revokePending(tx: Tx, workspaceId: number, id: number, now: string): Promise<boolean> {
  const result = await tx
    .updateTable('invitations')
    .set({ status: 'revoked', responded_at: now, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A fresh token and expiry for a pending invitation; the old token stops matching at once. */
export async function rotateToken(
  tx: Tx,
  workspaceId: number,
  id: number,
  values: { tokenHash: string; expiresAt: string; invitedBy: number; actingFromWorkspaceId: number | null; now: string },
): Promise<InvitationRow | undefined> {
  return tx
    .updateTable('invitations')
    .set({
      token_hash: values.tokenHash,
      expires_at: values.expiresAt,
      invited_by: values.invitedBy,
      acting_from_workspace_id: values.actingFromWorkspaceId,
      updated_at: values.now,
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
}
