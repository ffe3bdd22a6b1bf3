/**
 * Pages of records kept at their record version (src/core/cache/record-pages.ts, migration
 * 0018): GET /api/v1/items and GET /api/v1/stock are answered from the process's cache
 * until the database moves the scope's counter, which every change to the scope's tables
 * does in its own transaction. Two in-process apps share one database as two processes
 * would; a change through one shows on the very next read through the other. A stock
 * movement moves the `stock` counter only: item pages, request contexts and members pages
 * are kept. A restricted member's page is never an unrestricted one's.
 */
import { sql } from 'kysely';
import type { InjectOptions } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startSecondApp, startTestApp, succeed, type SecondApp, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let other: SecondApp;
let owner: Session;
let clerk: Session;
let ws: number;
let home: number;
let annex: number;

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const inWs = (session: Session, id = ws) => ({ ...session.auth, 'x-workspace-id': String(id) });
function send(app: 'this' | 'other', session: Session, method: Method, url: string, payload?: unknown, id = ws) {
  const options: InjectOptions = { method, url, headers: inWs(session, id), ...(payload === undefined ? {} : { payload: payload as object }) };
  return app === 'this' ? t.request(options) : other.app.inject(options);
}
async function created(app: 'this' | 'other', url: string, payload: unknown, id = ws) {
  const response = await send(app, owner, 'POST', url, payload, id);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data;
}
const itemNames = async (app: 'this' | 'other', session = owner, id = ws) =>
  ((await send(app, session, 'GET', '/api/v1/items?limit=50', undefined, id)).json().data as { name: string }[]).map((item) => item.name);
const levels = async (app: 'this' | 'other', session = owner, query = '') =>
  ((await send(app, session, 'GET', `/api/v1/stock?limit=50${query}`)).json().data as { location_id: number; quantity: string }[]).map(
    (level) => `${level.location_id}:${level.quantity}`,
  );
const recordVersion = async (scope: string, id = ws) =>
  Number(
    (await t.db.selectFrom('workspace_record_versions').select('version').where('workspace_id', '=', id).where('scope', '=', scope).executeTakeFirst())?.version ?? 0,
  );
const workspaceVersion = async (id = ws) =>
  Number((await t.db.selectFrom('workspace_data_versions').select('version').where('workspace_id', '=', id).executeTakeFirstOrThrow()).version);
const METRICS_TOKEN = 'metrics-token-0123456789';
async function cacheStats(app: 'this' | 'other') {
  const request: InjectOptions = { method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } };
  const metrics = (await (app === 'this' ? t.request(request) : other.app.inject(request))).body;
  const count = (cache: string, result: string) => Number(new RegExp(`tessera_cache_lookups_total\\{cache="${cache}",result="${result}"\\} (\\d+)`).exec(metrics)?.[1] ?? NaN);
  return { items: { hits: count('item_pages', 'hit'), misses: count('item_pages', 'miss') }, stock: { hits: count('stock_pages', 'hit'), misses: count('stock_pages', 'miss') } };
}

beforeAll(async () => {
  t = await startTestApp({ env: { METRICS_TOKEN } });
  other = await startSecondApp(t, { METRICS_TOKEN });
  owner = await register(t, { name: 'Pages Owner' });
  clerk = await register(t, { name: 'Pages Clerk' });
  ws = (await createWorkspace(t, owner, 'Pages Branch')).id;
  await addMembership(t, ws, clerk.userId, 'admin');
  home = (await send('this', owner, 'GET', `/api/v1/workspaces/${ws}`)).json().data.default_location_id;
  annex = (await created('this', '/api/v1/locations', { name: 'Annex', type: 'site' })).id;
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => {
  await other.close();
  await t.close();
});

describe('record pages', () => {
  it('show a change made through the other app on the very next read, and are kept between changes', async () => {
    expect(await itemNames('this')).toEqual([]);
    const hammer = await created('other', '/api/v1/items', { sku: 'PG-1', name: 'Hammer' });
    expect(await itemNames('this')).toEqual(['Hammer']);
    await send('other', owner, 'PATCH', `/api/v1/items/${hammer.id}`, { name: 'Claw hammer' });
    expect(await itemNames('this')).toEqual(['Claw hammer']);
    const tag = await created('other', '/api/v1/tags', { name: 'Tools' });
    await send('other', owner, 'PATCH', `/api/v1/items/${hammer.id}`, { tag_ids: [tag.id] });
    const tagged = async (app: 'this' | 'other') => (await send(app, owner, 'GET', '/api/v1/items?limit=50')).json().data[0].tag_ids;
    expect(await tagged('this')).toEqual([tag.id]);
    // Deleting the tag takes it off the item (item_tags moves the items version too).
    await succeed(t, { method: 'DELETE', url: `/api/v1/tags/${tag.id}`, headers: inWs(owner) });
    expect(await tagged('other')).toEqual([]);

    await created('other', '/api/v1/stock/receipts', { item_id: hammer.id, location_id: home, quantity: '4' });
    expect(await levels('this')).toEqual([`${home}:4`]);
    await created('other', '/api/v1/stock/transfers', { item_id: hammer.id, from_location_id: home, to_location_id: annex, quantity: '1.5' });
    expect(await levels('this')).toEqual([`${home}:2.5`, `${annex}:1.5`]);

    expect(await itemNames('this')).toEqual(['Claw hammer']);
    const before = await cacheStats('this');
    for (let i = 0; i < 3; i += 1) {
      await itemNames('this');
      await levels('this');
    }
    const after = await cacheStats('this');
    expect([after.items.hits - before.items.hits, after.items.misses - before.items.misses]).toEqual([3, 0]);
    expect([after.stock.hits - before.stock.hits, after.stock.misses - before.stock.misses]).toEqual([3, 0]);
  });

  it('follow what changed: a stock movement moves only the stock version, an item change only the items version', async () => {
    const item = await created('this', '/api/v1/items', { sku: 'PG-FOLLOW', name: 'Followed' });
    const snapshot = async () => ({ items: await recordVersion('items'), stock: await recordVersion('stock'), workspace: await workspaceVersion() });
    const start = await snapshot();
    await created('this', '/api/v1/stock/receipts', { item_id: item.id, location_id: home, quantity: '2' });
    await created('this', '/api/v1/stock/adjustments', { item_id: item.id, location_id: home, quantity_change: '-1', reason: 'Count' });
    const moved = await snapshot();
    expect(moved).toEqual({ ...start, stock: start.stock + 2 });
    await send('this', owner, 'PATCH', `/api/v1/items/${item.id}`, { name: 'Followed again' });
    expect(await snapshot()).toEqual({ ...moved, items: moved.items + 1 });
    // A refused movement changes nothing, so it moves nothing.
    const refused = await send('this', owner, 'POST', '/api/v1/stock/transfers', { item_id: item.id, from_location_id: home, to_location_id: annex, quantity: '50' });
    expect(refused.statusCode).toBe(409);
    expect(await snapshot()).toEqual({ ...moved, items: moved.items + 1 });
  });

  it("never serves one member's page to another whose location access differs, and shows a change of access on the next read", async () => {
    const item = await created('this', '/api/v1/items', { sku: 'PG-LOC', name: 'Located' });
    for (const location of [home, annex]) await created('this', '/api/v1/stock/receipts', { item_id: item.id, location_id: location, quantity: '3' });
    const query = `&item_id=${item.id}`;
    expect(await levels('this', clerk, query)).toEqual([`${home}:3`, `${annex}:3`]);
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${clerk.userId}/locations`, headers: inWs(owner), payload: { restricted: true, location_ids: [annex] } });
    expect(await levels('this', clerk, query)).toEqual([`${annex}:3`]);
    expect(await levels('this', owner, query)).toEqual([`${home}:3`, `${annex}:3`]);
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${clerk.userId}/locations`, headers: inWs(owner), payload: { restricted: true, location_ids: [] } });
    expect(await levels('this', clerk, query)).toEqual([]);
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${clerk.userId}/locations`, headers: inWs(owner), payload: { restricted: false } });
    expect(await levels('other', clerk, query)).toEqual([`${home}:3`, `${annex}:3`]);
  });

  it("keep one workspace's pages apart from another's, and let a workspace with records be deleted", async () => {
    const second = (await createWorkspace(t, owner, 'Pages Second')).id;
    await created('this', '/api/v1/items', { sku: 'PG-SECOND', name: 'Second only' }, second);
    const secondHome = (await send('this', owner, 'GET', `/api/v1/workspaces/${second}`, undefined, second)).json().data.default_location_id;
    const items = (await send('this', owner, 'GET', '/api/v1/items?limit=50', undefined, second)).json().data as { id: number }[];
    await created('this', '/api/v1/stock/receipts', { item_id: items[0]?.id, location_id: secondHome, quantity: '1' }, second);
    expect(await itemNames('this', owner, second)).toEqual(['Second only']);
    expect(await itemNames('this')).not.toContain('Second only');
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspaces/${second}`, headers: owner.auth });
    expect(await t.db.selectFrom('workspace_record_versions').select('scope').where('workspace_id', '=', second).execute()).toEqual([]);
    expect((await sql<{ n: number }>`select count(*) as n from items where workspace_id = ${second}`.execute(t.db)).rows[0]?.n).toBe(0);
  });
});
