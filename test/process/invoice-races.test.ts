/**
 * Invoices issued at once across two server processes on one database (SQLite file in WAL
 * across processes, PostgreSQL across connections): numbers and NCFs come out consecutive,
 * distinct and gapless whatever the interleaving, a refused issue uses up nothing, and two
 * workspaces never wait for each other.
 *
 * - 50 issues of 50 drafts in one workspace at once: numbers 1…50 and NCFs 1…50, each once.
 * - 50 issues against an NCF range of 30: exactly 30 issued with NCFs 1…30 and numbers 1…30;
 *   the 20 others 409 NCF.SEQUENCE_EXHAUSTED, still drafts, without a number.
 * - 50 issues each drawing one unit from a level of 40: 40 issued (numbers 1…40), 10 409
 *   STOCK.INSUFFICIENT, the level at zero.
 * - PostgreSQL: while a transaction holds workspace A's number series, an issue in workspace
 *   B completes and one in A waits (SQLite runs one writer at a time for the whole file).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fiscalDate } from '../../src/modules/invoices/ncf.ts';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { currentEngine } from '../support/engines.ts';
import { invariantViolations } from '../support/invariants.ts';
import { api, registerUser, startServerPair, uniqueProcessEmail, type ApiResponse, type ServerPair } from '../support/process.ts';

/** Rounds of each race; RACE_REPEATS overrides (say, 30 when hunting a rare failure). */
const ROUNDS = Number(process.env.RACE_REPEATS ?? 2);
const RACERS = 50;
const TEST_TIMEOUT_MS = 90_000 + ROUNDS * 30_000;

let servers: ServerPair;
let owner: { accessToken: string; userId: number };
/** Every race takes NCF numbers of its own: ranges of one type never overlap in a tenant. */
let nextRangeStart = 1;

beforeAll(async () => {
  servers = await startServerPair();
  owner = await registerUser(servers.a, uniqueProcessEmail('invoice-race-owner'));
}, 90_000);

afterAll(async () => servers?.close());

const describeAnswer = (response: ApiResponse) => `${response.status} ${JSON.stringify(response.body?.error?.code ?? response.body?.data?.number ?? null)}`;

/** A workspace on the business plan with an item, `stocked` units of it at the default location, and a B01 range of `ncfs`. */
async function invoicingWorkspace(name: string, options: { stocked: number; ncfs: number }) {
  const created = await api(servers.a.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const workspaceId = created.body.data.id as number;
  const location = created.body.data.default_location_id as number;
  await planAdministration.assign(servers.direct.db, workspaceId, { plan_key: 'business' });
  const headers = { 'x-workspace-id': String(workspaceId) };
  const send = (i: number, path: string, body: object = {}) => api((i % 2 ? servers.b : servers.a).url, 'POST', path, { token: owner.accessToken, headers, body, timeoutMs: 60_000 });
  const created201 = async (path: string, body: object) => {
    const response = await send(0, path, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.data.id as number;
  };
  const item = await created201('/api/v1/items', { sku: 'RACE', name: 'Raced item', sell_price: '10' });
  if (options.stocked > 0) await created201('/api/v1/stock/receipts', { item_id: item, location_id: location, quantity: String(options.stocked) });
  await created201('/api/v1/ncf-sequences', { document_type: 'B01', range_start: nextRangeStart, range_end: nextRangeStart + options.ncfs - 1, authorization_number: 'RACE', authorized_on: fiscalDate(new Date()) });
  const firstNcf = nextRangeStart;
  nextRangeStart += options.ncfs;
  const drafts = [];
  for (let i = 0; i < RACERS; i += 1) drafts.push(await created201('/api/v1/invoices', { document_subtype: 'B01', lines: [{ item_id: item, quantity: '1' }] }));
  return { workspaceId, location, item, drafts, firstNcf, send };
}

const ncfOf = (number: number) => `B01${String(number).padStart(8, '0')}`;
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** The workspace's invoices as stored: issued numbers and NCFs, and how many are still drafts without either. */
async function storedInvoices(workspaceId: number) {
  const rows = await servers.direct.db.selectFrom('invoices').select(['status', 'number', 'number_sequence', 'ncf']).where('workspace_id', '=', workspaceId).execute();
  const issued = rows.filter((row) => row.status !== 'draft');
  return {
    sequences: issued.map((row) => Number(row.number_sequence)).sort((a, b) => a - b),
    ncfs: issued.map((row) => row.ncf).sort(),
    bareDrafts: rows.filter((row) => row.status === 'draft' && row.number === null && row.ncf === null).length,
  };
}

describe('invoices issued at once across two processes', () => {
  it(`numbers ${RACERS} concurrent issues in one workspace 1…${RACERS} and draws NCFs in the same order, no gap, no duplicate (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const w = await invoicingWorkspace(`Issue race ${round} ${process.pid}`, { stocked: RACERS, ncfs: 1000 });
      const responses = await Promise.all(w.drafts.map((id, i) => w.send(i + round, `/api/v1/invoices/${id}/issue`)));
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      expect(responses.map((response) => response.status), described).toEqual(Array(RACERS).fill(200));
      const numbers = responses.map((response) => response.body.data.number as string).sort();
      expect(numbers, described).toEqual(range(1, RACERS).map((n) => `INV-${String(n).padStart(6, '0')}`));
      // The number and the NCF are drawn in one transaction, in the same order.
      for (const response of responses) {
        const { number, ncf } = response.body.data as { number: string; ncf: string };
        expect(ncf, described).toBe(ncfOf(w.firstNcf + Number(number.slice(4)) - 1));
      }
      const stored = await storedInvoices(w.workspaceId);
      expect(stored.sequences).toEqual(range(1, RACERS));
      expect(stored.ncfs).toEqual(range(w.firstNcf, RACERS).map(ncfOf));
      expect(await invariantViolations(servers.direct.db), described).toEqual({});
    }
  });

  it(`issues exactly 30 of ${RACERS} concurrent issues against a range of 30 NCFs; the others use up no number (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const w = await invoicingWorkspace(`Exhaustion race ${round} ${process.pid}`, { stocked: RACERS, ncfs: 30 });
      const responses = await Promise.all(w.drafts.map((id, i) => w.send(i + round, `/api/v1/invoices/${id}/issue`)));
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      expect(responses.filter((response) => response.status === 200), described).toHaveLength(30);
      for (const refused of responses.filter((response) => response.status !== 200)) {
        expect([refused.status, refused.body?.error?.code], described).toEqual([409, 'NCF.SEQUENCE_EXHAUSTED']);
      }
      const stored = await storedInvoices(w.workspaceId);
      expect(stored).toEqual({ sequences: range(1, 30), ncfs: range(w.firstNcf, 30).map(ncfOf), bareDrafts: RACERS - 30 });
      // Nothing of theirs moved: 30 units sold of 50.
      const level = await servers.direct.db.selectFrom('stock_levels').select('quantity_e4').where('item_id', '=', w.item).executeTakeFirstOrThrow();
      expect(Number(level.quantity_e4)).toBe((RACERS - 30) * 10_000);
      expect(await invariantViolations(servers.direct.db), described).toEqual({});
    }
  });

  it(`issues exactly 40 of ${RACERS} concurrent issues each drawing one unit from a level of 40, numbering them 1…40 (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const w = await invoicingWorkspace(`Stock race ${round} ${process.pid}`, { stocked: 40, ncfs: 1000 });
      const responses = await Promise.all(w.drafts.map((id, i) => w.send(i + round, `/api/v1/invoices/${id}/issue`)));
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      expect(responses.filter((response) => response.status === 200), described).toHaveLength(40);
      for (const refused of responses.filter((response) => response.status !== 200)) {
        expect([refused.status, refused.body?.error?.code], described).toEqual([409, 'STOCK.INSUFFICIENT']);
      }
      const stored = await storedInvoices(w.workspaceId);
      expect(stored).toEqual({ sequences: range(1, 40), ncfs: range(w.firstNcf, 40).map(ncfOf), bareDrafts: RACERS - 40 });
      const level = await servers.direct.db.selectFrom('stock_levels').select('quantity_e4').where('item_id', '=', w.item).executeTakeFirstOrThrow();
      expect(Number(level.quantity_e4)).toBe(0);
      expect(await invariantViolations(servers.direct.db), described).toEqual({});
    }
  });

  it.runIf(currentEngine() === 'postgres')("lets a workspace issue while another workspace's number series is held, and makes an issue there wait", { timeout: 60_000 }, async () => {
    const a = await invoicingWorkspace(`Held A ${process.pid}`, { stocked: RACERS, ncfs: 100 });
    const b = await invoicingWorkspace(`Free B ${process.pid}`, { stocked: RACERS, ncfs: 100 });
    // A's series row exists once it has issued one.
    expect((await a.send(0, `/api/v1/invoices/${a.drafts[0]}/issue`)).status).toBe(200);
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = () => {};
    const holding = new Promise<void>((resolve) => {
      held = resolve;
    });
    const holder = servers.direct.db.transaction().execute(async (tx) => {
      await sql`select last_number from invoice_number_series where workspace_id = ${a.workspaceId} for update`.execute(tx);
      held();
      await released;
    });
    await holding;
    let waitingSettled = false;
    const waiting = a.send(1, `/api/v1/invoices/${a.drafts[1]}/issue`).finally(() => {
      waitingSettled = true;
    });
    const started = Date.now();
    const free = await Promise.all(b.drafts.slice(0, 5).map((id, i) => b.send(i, `/api/v1/invoices/${id}/issue`)));
    const freeMs = Date.now() - started;
    expect(free.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
    // B issued five while A's one waited on the held series.
    expect(waitingSettled).toBe(false);
    release();
    await holder;
    const after = await waiting;
    expect([after.status, after.body.data.number]).toEqual([200, 'INV-000002']);
    console.log(`[invoice-races] 5 issues in B while A's series was held: ${freeMs} ms`);
  });
});
