/**
 * Stock raced across two server processes on one database (SQLite file in WAL across
 * processes, PostgreSQL across connections). Nothing ever goes below zero, however the
 * requests interleave: each level is lowered by one guarded statement decided on the
 * latest committed row, inside the movement's transaction, and a check in the database
 * stands behind it.
 *
 * - Many transfers among three locations at once, in both directions: every answer is 201
 *   or 409 STOCK.INSUFFICIENT (never a deadlock's 503, never a 500), the total is
 *   conserved, no level is negative, the ledger holds exactly two legs per 201, and every
 *   level equals the sum of its ledger.
 * - N takes of one unit from a level of N−2: exactly N−2 succeed and the level ends at zero.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import { api, registerUser, startServerPair, uniqueProcessEmail, type ApiResponse, type ServerPair, type ServerProcess } from '../support/process.ts';

/** Rounds of each race; RACE_REPEATS overrides (say, 30 when hunting a rare failure). */
const ROUNDS = Number(process.env.RACE_REPEATS ?? 5);
/** Transfers per round of the first race. */
const TRANSFERS = 50;
/** Racers per round of the second; the level leaves room for N−2. */
const N = 12;
const TEST_TIMEOUT_MS = 60_000 + ROUNDS * 20_000;

let servers: ServerPair;
let owner: { accessToken: string; userId: number };

beforeAll(async () => {
  servers = await startServerPair();
  owner = await registerUser(servers.a, uniqueProcessEmail('stock-race-owner'));
}, 90_000);

afterAll(async () => servers?.close());

const describeAnswer = (response: ApiResponse) => `${response.status} ${JSON.stringify(response.body?.error ?? response.body?.data?.transfer_id ?? null)}`;
const serverFor = (i: number): ServerProcess => (i % 2 ? servers.b : servers.a);

/** A fresh workspace on the business plan with one item and three locations (its default and two more). */
async function stockedWorkspace(name: string): Promise<{ send: (i: number, path: string, body: object) => Promise<ApiResponse>; item: number; locations: [number, number, number] }> {
  const created = await api(servers.a.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const workspaceId = created.body.data.id as number;
  await planAdministration.assign(servers.direct.db, workspaceId, { plan_key: 'business' });
  const headers = { 'x-workspace-id': String(workspaceId) };
  const send = async (i: number, path: string, body: object) => api(serverFor(i).url, 'POST', path, { token: owner.accessToken, headers, body });
  const created201 = async (path: string, body: object) => {
    const response = await send(0, path, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return response.body.data.id as number;
  };
  const item = await created201('/api/v1/items', { sku: 'RACE', name: 'Raced item' });
  const locations: [number, number, number] = [
    created.body.data.default_location_id as number,
    await created201('/api/v1/locations', { name: 'Van', type: 'van' }),
    await created201('/api/v1/locations', { name: 'Shop', type: 'site' }),
  ];
  return { send, item, locations };
}

/** The workspace's levels, in ten-thousandths, by location; and how many movements it holds. */
async function stored(item: number): Promise<{ levels: Map<number, number>; movements: number }> {
  const db = servers.direct.db;
  const levels = await db.selectFrom('stock_levels').select(['location_id', 'quantity_e4']).where('item_id', '=', item).execute();
  const movements = await db.selectFrom('stock_movements').select('id').where('item_id', '=', item).execute();
  return { levels: new Map(levels.map((level) => [level.location_id, Number(level.quantity_e4)])), movements: movements.length };
}

/** A small deterministic generator, so a failing round can be replayed. */
function generator(seed: number) {
  let state = seed >>> 0 || 1;
  return (below: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

describe('stock raced across two processes', () => {
  it(`conserves the total through ${TRANSFERS} concurrent transfers among three locations, never below zero, the ledger equal to the levels (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { send, item, locations } = await stockedWorkspace(`Transfer race ${round} ${process.pid}`);
      // 10 at each location: a total of 30 (300,000 ten-thousandths).
      for (const location of locations) expect((await send(round, '/api/v1/stock/receipts', { item_id: item, location_id: location, quantity: '10' })).status).toBe(201);
      const random = generator(20261203 + round);
      const quantities = ['1', '2.5', '4', '0.0001', '7'];
      const plans = Array.from({ length: TRANSFERS }, () => {
        const from = random(3);
        const to = (from + 1 + random(2)) % 3;
        return { from_location_id: locations[from], to_location_id: locations[to], quantity: quantities[random(quantities.length)] };
      });
      const responses = await Promise.all(plans.map((plan, i) => send(i + round, '/api/v1/stock/transfers', { item_id: item, ...plan })));
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      for (const response of responses) {
        if (response.status === 201) continue;
        expect([response.status, response.body?.error?.code], described).toEqual([409, 'STOCK.INSUFFICIENT']);
      }
      const moved = responses.filter((response) => response.status === 201).length;
      // Not vacuous: most of them moved stock.
      expect(moved, described).toBeGreaterThan(TRANSFERS / 2);
      const after = await stored(item);
      expect([...after.levels.values()].reduce((sum, level) => sum + level, 0), described).toBe(300_000);
      for (const level of after.levels.values()) expect(level, described).toBeGreaterThanOrEqual(0);
      expect(after.movements, described).toBe(3 + 2 * moved);
      expect(await invariantViolations(servers.direct.db), described).toEqual({});
    }
  });

  it(`lets exactly ${N - 2} of ${N} concurrent takes of one unit from a level of ${N - 2} through, ending at zero (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { send, item, locations } = await stockedWorkspace(`Take race ${round} ${process.pid}`);
      const [here, there] = locations;
      expect((await send(0, '/api/v1/stock/receipts', { item_id: item, location_id: here, quantity: String(N - 2) })).status).toBe(201);
      // Half of them transfer the unit away, half adjust it away: two paths to one guarded level.
      const responses = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          i % 2
            ? send(i + round, '/api/v1/stock/transfers', { item_id: item, from_location_id: here, to_location_id: there, quantity: '1' })
            : send(i + round, '/api/v1/stock/adjustments', { item_id: item, location_id: here, quantity_change: '-1', reason: `Racer ${i}` }),
        ),
      );
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      expect(responses.filter((response) => response.status === 201).length, described).toBe(N - 2);
      for (const refused of responses.filter((response) => response.status !== 201)) {
        expect([refused.status, refused.body?.error?.code, refused.body?.error?.details?.available], described).toEqual([409, 'STOCK.INSUFFICIENT', '0']);
      }
      const after = await stored(item);
      expect(after.levels.get(here), described).toBe(0);
      expect(await invariantViolations(servers.direct.db), described).toEqual({});
    }
  });
});
