import type { ExpressionBuilder } from 'kysely';
import type { Database, Executor, Tx } from '../../schema/database.ts';
import type { NewOutboxMessageRow, OutboxMessageRow, OutboxStatus } from './mail.table.ts';

/** What a delivered message keeps instead of its body (which held live links). */
export const DELIVERED_BODY = '[delivered; body removed]';
/** What a message cancelled unsent keeps instead of its body. */
export const CANCELLED_BODY = '[cancelled unsent; body removed]';

export async function insertMessage(tx: Tx, row: NewOutboxMessageRow): Promise<number> {
  const inserted = await tx.insertInto('outbox_messages').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

export async function cancelUnsentOf(tx: Tx, reference: string): Promise<void> {
  await tx
    .updateTable('outbox_messages')
    .set({ status: 'cancelled', text_body: CANCELLED_BODY, html_body: CANCELLED_BODY })
    .where('reference', '=', reference)
    .where('status', 'in', ['pending', 'failed'])
    .execute();
}

/** Cancels the unsent messages past their expiry, dropping their bodies. */
export async function cancelExpired(tx: Tx, now: string): Promise<void> {
  await tx
    .updateTable('outbox_messages')
    .set({ status: 'cancelled', text_body: CANCELLED_BODY, html_body: CANCELLED_BODY, claimed_until: null })
    .where('status', 'in', ['pending', 'failed'])
    .where('expires_at', '<=', now)
    .execute();
}

export async function listMessages(db: Executor, query: { status?: OutboxStatus; limit: number }): Promise<OutboxMessageRow[]> {
  return db
    .selectFrom('outbox_messages')
    .selectAll()
    .$if(query.status !== undefined, (q) => q.where('status', '=', query.status ?? 'pending'))
    .orderBy('id', 'desc')
    .limit(query.limit)
    .execute();
}

export async function requeueFailedMessages(tx: Tx, now: string): Promise<number> {
  const result = await tx
    .updateTable('outbox_messages')
    .set({ status: 'pending', attempts: 0, next_attempt_at: now, last_error: null })
    .where('status', '=', 'failed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Waiting to be sent, or claimed by a sender whose claim has lapsed; and still worth sending. */
const isDue = (now: string) => (eb: ExpressionBuilder<Database, 'outbox_messages'>) =>
  eb.and([
    eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('claimed_until', '<', now)])]),
    eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]),
  ]);

/** Due messages of one status in the order they fell due: one range of the `outbox_due` index. */
function dueWithStatus(db: Executor, status: 'pending' | 'sending', now: string, limit: number): Promise<OutboxMessageRow[]> {
  return db
    .selectFrom('outbox_messages')
    .selectAll()
    .where('status', '=', status)
    .where('next_attempt_at', '<=', now)
    .where(isDue(now))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Up to `limit` due messages: lapsed claims first (few: one per sender at most, per
 * instance), then the waiting ones. Read status by status, so a backlog of any size
 * costs a batch the same; one read across both statuses sorted the whole backlog.
 */
export async function listDueMessages(db: Executor, now: string, limit: number): Promise<OutboxMessageRow[]> {
  const lapsed = await dueWithStatus(db, 'sending', now, limit);
  if (lapsed.length === limit) return lapsed;
  return [...lapsed, ...(await dueWithStatus(db, 'pending', now, limit - lapsed.length))];
}

/**
 * Claims one due message by a guarded update: of several instances racing for it, exactly
 * one gets through, identified by the attempt number it sets. Returns whether it did.
 */
export async function claimMessage(
  tx: Tx,
  message: Pick<OutboxMessageRow, 'id' | 'attempts'>,
  claim: { now: string; until: string; attempt: number },
): Promise<boolean> {
  const result = await tx
    .updateTable('outbox_messages')
    .set({ status: 'sending', claimed_until: claim.until, attempts: claim.attempt })
    .where('id', '=', message.id)
    .where('attempts', '=', message.attempts)
    .where('next_attempt_at', '<=', claim.now)
    .where(isDue(claim.now))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records a send's outcome, only while the claim identified by `attempt` still holds. */
export async function settleMessage(tx: Tx, id: number, attempt: number, outcome: Partial<OutboxMessageRow>): Promise<void> {
  await tx
    .updateTable('outbox_messages')
    .set({ ...outcome, claimed_until: null })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .where('attempts', '=', attempt)
    .execute();
}
