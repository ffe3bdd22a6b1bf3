import { createTransport, type Transporter } from 'nodemailer';
import type { Clock } from '../clock.ts';
import type { Db, Executor, Tx } from '../db/database.ts';
import { inTransaction } from '../db/transaction.ts';
import type { OutboxMessageRow } from './outbox.table.ts';

/**
 * E-mail leaves through an outbox: a message is written in the same transaction as
 * the change that causes it (never sent for a change that rolled back, never lost
 * for one that committed), and a worker delivers it afterwards.
 */
export interface OutgoingMessage {
  tenantId: number;
  kind: string;
  recipient: string;
  subject: string;
  text: string;
  html: string;
}

export async function enqueueMessage(tx: Tx, message: OutgoingMessage, now: string): Promise<number> {
  const row = await tx
    .insertInto('outbox_messages')
    .values({
      tenant_id: message.tenantId,
      kind: message.kind,
      recipient: message.recipient,
      subject: message.subject,
      text_body: message.text,
      html_body: message.html,
      status: 'pending',
      next_attempt_at: now,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function listOutbox(db: Executor, query: { status?: OutboxMessageRow['status']; limit: number }): Promise<OutboxMessageRow[]> {
  return db
    .selectFrom('outbox_messages')
    .selectAll()
    .$if(query.status !== undefined, (q) => q.where('status', '=', query.status ?? 'pending'))
    .orderBy('id', 'desc')
    .limit(query.limit)
    .execute();
}

const MAX_ATTEMPTS = 8;
export const DELIVERED_BODY = '[delivered; body removed]';
const CLAIM_SECONDS = 60;
const BATCH = 20;

/** 5 s, 10 s, 20 s … capped at an hour: an SMTP outage is retried until it ends. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Claims one due message for this worker: of several instances racing for it, the
 * guarded update lets exactly one through. A claim lasts CLAIM_SECONDS; a worker that
 * dies mid-send leaves a claim that expires, and the message is sent again (at least
 * once; the stable Message-ID lets receivers drop the duplicate).
 */
async function claim(db: Db, id: number, now: Date): Promise<boolean> {
  const nowIso = now.toISOString();
  const result = await inTransaction(db, (tx) =>
    tx
      .updateTable('outbox_messages')
      .set((eb) => ({
        status: 'sending',
        claimed_until: new Date(now.getTime() + CLAIM_SECONDS * 1000).toISOString(),
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', id)
      .where('next_attempt_at', '<=', nowIso)
      .where((eb) =>
        eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('claimed_until', '<', nowIso)])]),
      )
      .executeTakeFirst(),
  );
  return result.numUpdatedRows > 0n;
}

export interface MailDeliverer {
  /** Delivers what is due now; resolves with the number of messages sent. */
  deliverDue(): Promise<number>;
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
}): MailDeliverer {
  const transport: Transporter = createTransport(deps.smtpUrl);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function deliver(message: OutboxMessageRow, attempts: number): Promise<boolean> {
    try {
      await transport.sendMail({
        from: deps.from,
        to: message.recipient,
        subject: message.subject,
        text: message.text_body,
        html: message.html_body,
        messageId: `<outbox-${message.id}-${message.created_at.replace(/[^0-9]/g, '')}@tessera>`,
      });
      await inTransaction(deps.db, (tx) =>
        tx
          .updateTable('outbox_messages')
          // Bodies carry live tokens (invitation links): once delivered they are dropped from storage.
          .set({
            status: 'sent',
            sent_at: deps.clock.now().toISOString(),
            claimed_until: null,
            last_error: null,
            text_body: DELIVERED_BODY,
            html_body: DELIVERED_BODY,
          })
          .where('id', '=', message.id)
          .execute(),
      );
      return true;
    } catch (error) {
      const now = deps.clock.now();
      const failed = attempts >= MAX_ATTEMPTS;
      await inTransaction(deps.db, (tx) =>
        tx
          .updateTable('outbox_messages')
          .set({
            status: failed ? 'failed' : 'pending',
            claimed_until: null,
            last_error: String(error instanceof Error ? error.message : error).slice(0, 500),
            next_attempt_at: new Date(now.getTime() + retryDelaySeconds(attempts) * 1000).toISOString(),
          })
          .where('id', '=', message.id)
          .execute(),
      );
      return false;
    }
  }

  async function deliverDue(): Promise<number> {
    const now = deps.clock.now();
    const nowIso = now.toISOString();
    const due = await deps.db
      .selectFrom('outbox_messages')
      .selectAll()
      .where('next_attempt_at', '<=', nowIso)
      .where((eb) =>
        eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'sending'), eb('claimed_until', '<', nowIso)])]),
      )
      .orderBy('id')
      .limit(BATCH)
      .execute();
    let sent = 0;
    for (const message of due) {
      if (!(await claim(deps.db, message.id, now))) continue;
      if (await deliver(message, message.attempts + 1)) sent += 1;
    }
    return sent;
  }

  const tick = () => {
    running = deliverDue().catch((error: unknown) => {
      deps.onError?.(error);
      return 0;
    });
    void running.finally(() => {
      if (timer !== undefined) timer = setTimeout(tick, deps.pollIntervalMs);
    });
  };

  return {
    deliverDue,
    start() {
      timer = setTimeout(tick, 0);
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await running;
      transport.close();
    },
  };
}
