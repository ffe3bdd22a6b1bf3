/**
 * The outbox worker reads a backlog in the order it sends it, whatever the backlog's size:
 * what is due comes from one range of an index per status, and the expiry sweep finds the
 * expired messages by their expiry. An earlier read (an OR across the two statuses, ordered
 * by id) sorted every waiting message for each batch of 20: 36 ms per batch at 20,000
 * waiting on SQLite, on the one thread that also answers requests. Checked here on the
 * engine's own plan of the very statements the repository sends, over a backlog large
 * enough for PostgreSQL's planner to prefer an index when one fits.
 */
import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/core/db/transaction.ts';
import * as outbox from '../../src/modules/mail/mail.repository.ts';
import type { NewOutboxMessageRow } from '../../src/modules/mail/mail.table.ts';
import { planOf, statementsOf } from '../support/query-plans.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const WAITING = 5000;
const NOW = '2026-06-01T12:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();

let t: TestApp;
let tenantId: number;
beforeAll(async () => {
  t = await startTestApp();
  tenantId = (await t.db.selectFrom('tenants').select('id').executeTakeFirstOrThrow()).id;
});
afterAll(async () => t.close());

const message = (reference: string, fields: Partial<NewOutboxMessageRow>): NewOutboxMessageRow => ({
  tenant_id: tenantId,
  kind: 'backlog-test',
  reference,
  recipient: `${reference}@example.com`,
  subject: reference,
  text_body: 'text',
  html_body: '<p>html</p>',
  status: 'pending',
  attempts: 0,
  claimed_until: null,
  next_attempt_at: at(-60),
  created_at: at(-60),
  expires_at: at(24 * 60),
  ...fields,
});

/** Empties the outbox and fills it with `rows`, in batches the engines take in one statement. */
async function fill(rows: NewOutboxMessageRow[]): Promise<void> {
  await t.db.deleteFrom('outbox_messages').execute();
  for (let start = 0; start < rows.length; start += 500) await t.db.insertInto('outbox_messages').values(rows.slice(start, start + 500)).execute();
}

describe(`the outbox worker over a backlog of ${WAITING.toLocaleString('en-US')}`, () => {
  beforeAll(async () => {
    await fill([
      ...Array.from({ length: WAITING }, (_, i) => message(`waiting-${i}`, { next_attempt_at: at(-60 + i / 1000) })),
      message('lapsed-claim', { status: 'sending', claimed_until: at(-1), attempts: 1 }),
    ]);
    if (t.database.engine === 'postgres') await t.db.executeQuery(CompiledQuery.raw('analyze outbox_messages'));
  });

  it('reads what is due from the outbox_due index in sending order, sorting nothing', async () => {
    const statements = await statementsOf(t, (db) => outbox.listDueMessages(db, NOW, 20));
    expect(statements).toHaveLength(2);
    for (const statement of statements) {
      const plan = await planOf(t, statement);
      expect(plan, statement.sql).toMatch(/outbox_due/);
      expect(plan, statement.sql).not.toMatch(/TEMP B-TREE|Sort|Seq Scan/);
    }
  });

  it('sweeps expired messages through the outbox_expiry index, not every waiting message', async () => {
    const statements = await statementsOf(t, (db) => inTransaction(db, (tx) => outbox.cancelExpired(tx, NOW)));
    const updates = statements.filter((statement) => /^update/i.test(statement.sql));
    expect(updates).toHaveLength(1);
    const plan = await planOf(t, updates[0] as CompiledQuery);
    expect(plan).toMatch(/outbox_expiry/);
    expect(plan).not.toMatch(/Seq Scan/);
  });
});

describe('what the outbox worker takes', () => {
  it('takes lapsed claims first, then the waiting messages in the order they fell due, leaving out what is not due or not worth sending', async () => {
    await fill([
      message('due-second', { next_attempt_at: at(-30) }),
      message('not-yet-due', { next_attempt_at: at(5) }),
      message('due-first', { next_attempt_at: at(-45) }),
      message('expired', { next_attempt_at: at(-50), expires_at: at(-1) }),
      message('claim-held', { status: 'sending', claimed_until: at(1), attempts: 1 }),
      message('claim-lapsed', { status: 'sending', claimed_until: at(-1), attempts: 1 }),
      message('sent', { status: 'sent' }),
      message('given-up', { status: 'failed', attempts: 30 }),
      message('due-third', { next_attempt_at: at(-30) }),
    ]);
    const references = async (limit: number) => (await outbox.listDueMessages(t.db, NOW, limit)).map((row) => row.reference);

    expect(await references(20)).toEqual(['claim-lapsed', 'due-first', 'due-second', 'due-third']);
    expect(await references(2)).toEqual(['claim-lapsed', 'due-first']);
    expect(await references(1)).toEqual(['claim-lapsed']);

    await inTransaction(t.db, (tx) => outbox.cancelExpired(tx, NOW));
    const cancelled = await t.db.selectFrom('outbox_messages').select('reference').where('status', '=', 'cancelled').execute();
    expect(cancelled.map((row) => row.reference)).toEqual(['expired']);
  });
});
