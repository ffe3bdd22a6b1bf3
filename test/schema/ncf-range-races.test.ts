/**
 * Overlapping NCF ranges inserted by transactions that overlap in time, straight into the
 * table past the service, on PostgreSQL: the later one is refused by the exclusion
 * constraint (23P01, which the service answers 409 NCF.RANGE_OVERLAPS), never as a
 * deadlock (40P01, answered 503), whatever the two do next.
 *
 * The interleaving is forced, not hoped for: PostgreSQL puts a new range in the index before
 * checking it, so without migration 0027's per-tenant lock a waiting insert already holds
 * its row there, and the first transaction's next range meets it and waits in turn. Six
 * overlapping inserts let loose at once deadlocked one round in five that way (a scratch
 * run of 200 rounds). SQLite runs one writer at a time; its trigger is checked through
 * the API (test/api/invoices.test.ts).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/core/db/transaction.ts';
import type { Tx } from '../../src/schema/database.ts';
import { currentEngine } from '../support/engines.ts';
import { createWorkspace, register, startTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let tenantId: number;
let workspaceIds: number[];

beforeAll(async () => {
  t = await startTestApp();
  const owner = await register(t);
  tenantId = (await t.db.selectFrom('tenants').select('id').where('slug', '=', 'default').executeTakeFirstOrThrow()).id;
  workspaceIds = [(await createWorkspace(t, owner, 'Range A')).id, (await createWorkspace(t, owner, 'Range B')).id];
});
afterAll(async () => t?.close());

function insertRange(tx: Tx, workspaceId: number, start: number, end: number) {
  return tx
    .insertInto('ncf_sequences')
    .values({
      tenant_id: tenantId,
      workspace_id: workspaceId,
      document_type: 'B01',
      range_start: start,
      range_end: end,
      next_number: start,
      authorization_number: 'RACE',
      authorized_on: '2026-01-02',
      expires_on: '2027-12-31',
      low_remaining_threshold: 1,
      created_at: new Date().toISOString(),
    })
    .execute();
}

/** Resolves once another connection's insert into ncf_sequences waits on a lock. */
async function insertWaiting(): Promise<void> {
  for (;;) {
    const waiting = await sql<{ pid: number }>`select pid from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into "ncf_sequences"%'`.execute(t.db);
    if (waiting.rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const outcome = (work: Promise<unknown>) =>
  work.then(
    () => 'inserted',
    (error: { code?: string; message?: string }) => error.code ?? error.message,
  );

describe.runIf(currentEngine() === 'postgres')('NCF ranges inserted by overlapping transactions', () => {
  it('refuses the later of two overlapping ranges as overlapping while the earlier transaction goes on inserting', { timeout: 30_000 }, async () => {
    let firstInserted = () => {};
    const first = new Promise<void>((resolve) => {
      firstInserted = resolve;
    });
    const [earlier, later] = await Promise.all([
      outcome(
        inTransaction(t.db, async (tx) => {
          await insertRange(tx, workspaceIds[0]!, 100, 200);
          firstInserted();
          await insertWaiting();
          // Clear of its own first range, but overlapping the later transaction's.
          await insertRange(tx, workspaceIds[0]!, 300, 400);
        }),
      ),
      first.then(() => outcome(inTransaction(t.db, (tx) => insertRange(tx, workspaceIds[1]!, 150, 350)))),
    ]);
    expect({ earlier, later }).toEqual({ earlier: 'inserted', later: '23P01' });
    const stored = await t.db.selectFrom('ncf_sequences').select(['range_start', 'range_end']).where('tenant_id', '=', tenantId).orderBy('range_start').execute();
    expect(stored).toEqual([
      { range_start: 100, range_end: 200 },
      { range_start: 300, range_end: 400 },
    ]);
  });
});
