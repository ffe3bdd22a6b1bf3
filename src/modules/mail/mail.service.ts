import { createTransport, type Transporter } from 'nodemailer';
import type { Clock } from '../../core/clock.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import type { Db, Tx } from '../../schema/database.ts';
import * as repository from './mail.repository.ts';
import type { OutboxMessageRow, OutboxStatus } from './mail.table.ts';

export { CANCELLED_BODY, DELIVERED_BODY } from './mail.repository.ts';
export type { OutboxStatus } from './mail.table.ts';

/**
 * E-mail leaves through an outbox: a message is written in the same transaction as
 * the change that causes it (never sent for a change that rolled back, never lost
 * for one that committed), and a worker delivers it afterwards.
 */
export interface OutgoingMessage {
  tenantId: number;
  kind: string;
  /** What the message is about (`invitation:42`), so it can be cancelled while unsent. */
  reference: string;
  recipient: string;
  subject: string;
  text: string;
  html: string;
  /** When the message stops being worth sending; unsent by then, it is cancelled. */
  expiresAt?: string;
}

export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'sending', 'sent', 'failed', 'cancelled'];

/** A transaction step: the message is sent only if the transaction that wrote it commits. */
export async function enqueueMessage(tx: Tx, message: OutgoingMessage, now: string): Promise<number> {
  return repository.insertMessage(tx, {
    tenant_id: message.tenantId,
    kind: message.kind,
    reference: message.reference,
    recipient: message.recipient,
    subject: message.subject,
    text_body: message.text,
    html_body: message.html,
    status: 'pending',
    next_attempt_at: now,
    created_at: now,
    expires_at: message.expiresAt ?? null,
  });
}

/** Cancels what is not yet sent about a reference (a revoked invitation's mail, a resent one's old link). */
export async function cancelUnsent(tx: Tx, reference: string): Promise<void> {
  await repository.cancelUnsentOf(tx, reference);
}

/** Operator CLI: the outbox, newest first, after cancelling what expired unsent (so nothing dead reads as waiting). */
export async function listOutbox(db: Db, query: { status?: OutboxStatus; limit: number }, now: string): Promise<OutboxMessageRow[]> {
  await inTransaction(db, (tx) => repository.cancelExpired(tx, now));
  return repository.listMessages(db, query);
}

/** Operator CLI: puts given-up messages back in line after an outage. */
export function requeueFailed(db: Db, now: string): Promise<number> {
  return inTransaction(db, (tx) => repository.requeueFailedMessages(tx, now));
}

// With delays capped at an hour, 30 attempts keep retrying for about a day before giving up.
const MAX_ATTEMPTS = 30;
const BATCH = 20;
// Messages sent at once, each on a pooled SMTP connection: one at a time, a backlog drains
// at the speed of one relay round trip (measured: 9–48 of 2,000–4,500 invitations delivered
// during a storm, when every step waited behind the requests on the event loop).
const SENDERS = 4;
// Longer than the transport can spend on one message (connect + greeting + socket timeouts below),
// so a claim never lapses while its sender is still at work.
const CLAIM_SECONDS = 120;
const SMTP_TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };
// On shutdown, an in-flight send gets this long; a claim it leaves behind lapses and is retried.
const STOP_GRACE_MS = 2000;

/** 5 s, 10 s, 20 s … capped at an hour. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Claims one due message for this worker, identified by the attempt number it sets. A
 * worker that dies mid-send leaves a claim that lapses, and the message is sent again (at
 * least once; the stable Message-ID lets receivers drop the duplicate).
 */
async function claim(db: Db, message: OutboxMessageRow, now: Date): Promise<number | undefined> {
  const attempt = message.attempts + 1;
  const until = new Date(now.getTime() + CLAIM_SECONDS * 1000).toISOString();
  const claimed = await inTransaction(db, (tx) => repository.claimMessage(tx, message, { now: now.toISOString(), until, attempt }));
  return claimed ? attempt : undefined;
}

function settle(db: Db, id: number, attempt: number, outcome: Partial<OutboxMessageRow>): Promise<void> {
  return inTransaction(db, (tx) => repository.settleMessage(tx, id, attempt, outcome));
}

export interface MailDeliverer {
  start(): void;
  stop(): Promise<void>;
}

/**
 * The delivery worker. Without SMTP_URL there is none: messages stay in the outbox
 * for the operator (`npm run tessera -- outbox list`).
 */
export function createMailDeliverer(deps: {
  db: Db;
  clock: Clock;
  smtpUrl: string;
  from: string;
  pollIntervalMs: number;
  onError?: (error: unknown) => void;
  /** A send that failed: `givenUp` when the message will not be tried again (until `outbox retry`). */
  onSendFailed?: (failure: { messageId: number; attempt: number; error: unknown; givenUp: boolean; nextAttemptAt: string }) => void;
}): MailDeliverer {
  // Pooled: one connection carries many messages instead of a handshake each.
  const transport: Transporter = createTransport({ url: deps.smtpUrl, pool: true, maxConnections: SENDERS, ...SMTP_TIMEOUTS });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopping = false;

  async function deliver(message: OutboxMessageRow, attempt: number): Promise<void> {
    try {
      await transport.sendMail({
        from: deps.from,
        to: message.recipient,
        subject: message.subject,
        text: message.text_body,
        html: message.html_body,
        messageId: `<outbox-${message.id}-${message.created_at.replace(/[^0-9]/g, '')}@tessera>`,
      });
    } catch (error) {
      const failed = attempt >= MAX_ATTEMPTS;
      const nextAttemptAt = new Date(deps.clock.now().getTime() + retryDelaySeconds(attempt) * 1000).toISOString();
      await settle(deps.db, message.id, attempt, {
        status: failed ? 'failed' : 'pending',
        last_error: String(error instanceof Error ? error.message : error).slice(0, 500),
        next_attempt_at: nextAttemptAt,
      });
      deps.onSendFailed?.({ messageId: message.id, attempt, error, givenUp: failed, nextAttemptAt });
      return;
    }
    // Bodies carry live tokens (invitation links): once delivered they are dropped from storage.
    await settle(deps.db, message.id, attempt, {
      status: 'sent',
      sent_at: deps.clock.now().toISOString(),
      last_error: null,
      text_body: repository.DELIVERED_BODY,
      html_body: repository.DELIVERED_BODY,
    });
  }

  /** One batch of due messages, SENDERS at a time; each is claimed just before its own send. */
  async function deliverBatch(): Promise<{ full: boolean }> {
    const now = deps.clock.now().toISOString();
    await inTransaction(deps.db, (tx) => repository.cancelExpired(tx, now));
    const due = await repository.listDueMessages(deps.db, now, BATCH);
    let next = 0;
    const sender = async () => {
      for (let message = due[next++]; message && !stopping; message = due[next++]) {
        // One message's failure (a busy database, say) is reported and ends only its own
        // attempt: the batch, which stop() waits for, ends when every sender has.
        try {
          const attempt = await claim(deps.db, message, deps.clock.now());
          if (attempt !== undefined) await deliver(message, attempt);
        } catch (error) {
          deps.onError?.(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SENDERS, due.length) }, sender));
    return { full: due.length === BATCH };
  }

  const tick = () => {
    const batch = deliverBatch().catch((error: unknown) => {
      deps.onError?.(error);
      return { full: false };
    });
    running = batch;
    // A full batch means more may be waiting: the next one starts at once, not after a poll interval.
    void batch.then(({ full }) => {
      if (!stopping) timer = setTimeout(tick, full ? 0 : deps.pollIntervalMs);
    });
  };

  return {
    start() {
      timer = setTimeout(tick, 0);
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      // A hung relay must not hold shutdown: what is left unsettled lapses and is retried.
      await Promise.race([running, new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
      transport.close();
    },
  };
}
