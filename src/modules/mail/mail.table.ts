import type { Generated, Insertable, Selectable } from 'kysely';

export interface OutboxMessagesTable {
  id: Generated<number>;
  tenant_id: number;
  kind: string;
  recipient: string;
  subject: string;
  text_body: string;
  html_body: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';
  /** What the message is about (`invitation:42`); unsent messages of a reference can be cancelled. */
  reference: string | null;
  attempts: Generated<number>;
  next_attempt_at: string;
  /** While `sending`: the claim's end; a claim left by a crashed process expires and the message is retried. */
  claimed_until: string | null;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  /** When the message stops being worth sending (its invitation expired); unsent by then, it is cancelled. */
  expires_at: string | null;
}

export type OutboxMessageRow = Selectable<OutboxMessagesTable>;
export type NewOutboxMessageRow = Insertable<OutboxMessagesTable>;
export type OutboxStatus = OutboxMessageRow['status'];
