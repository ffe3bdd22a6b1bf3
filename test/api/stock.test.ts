/**
 * Stock (issue 17, second part): /api/v1/stock in the workspace of X-Workspace-ID. Levels
 * per item and location come only from the ledger (receipts, adjustments with a reason,
 * transfers as two legs); quantities exact as decimal strings; nothing ever below zero
 * (409, nothing written); a transfer is both legs or neither, from the workspace's default
 * transfer location unless told; items and locations of another workspace, archived ones,
 * or none: 422 naming the field; the ledger is append-only in the database itself; an item
 * or location with history is not deleted. Levels equal the ledger after every test.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { invariantViolations } from '../support/invariants.ts';
import { createWorkspace, register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let ws: number;
let other: number;
let inventory: number;
let van: number;
let shop: number;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Stock Owner' });
  const created = await createWorkspace(t, owner, 'Stock Branch');
  ws = created.id;
  other = (await createWorkspace(t, owner, 'Stock Other')).id;
  inventory = (await send('GET', `/api/v1/workspaces/${ws}`)).json().data.default_location_id;
  van = (await post('/api/v1/locations', { name: 'Van', type: 'van' })).id;
  shop = (await post('/api/v1/locations', { name: 'Shop', type: 'site' })).id;
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

const inWs = (id = ws) => ({ ...owner.auth, 'x-workspace-id': String(id) });
function send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, id = ws) {
  return t.request({ method, url, headers: inWs(id), ...(payload === undefined ? {} : { payload: payload as object }) });
}
async function post(url: string, payload: unknown, id = ws) {
  const response = await send('POST', url, payload, id);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data;
}
const levelsOf = async (itemId: number) =>
  Object.fromEntries(
    ((await send('GET', `/api/v1/stock?item_id=${itemId}`)).json().data as { location_id: number; quantity: string }[]).map((level) => [level.location_id, level.quantity]),
  );
const ledgerCount = async () => Number((await t.db.selectFrom('stock_movements').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
let skus = 0;
const newItem = async (id = ws) => post('/api/v1/items', { sku: `STK-${(skus += 1)}`, name: `Stock item ${skus}`, unit_cost: '2.00' }, id);

describe('stock', () => {
  it('receives, adjusts and transfers exactly; levels and the ledger agree', async () => {
    const item = await newItem();
    const receipt = await post('/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: '10.5', reason: 'PO 12' });
    expect(receipt).toMatchObject({ kind: 'receipt', quantity: '10.5', reason: 'PO 12', item_id: item.id, location_id: inventory, actor_user_id: owner.userId });
    await post('/api/v1/stock/adjustments', { item_id: item.id, location_id: inventory, quantity_change: '-0.25', reason: 'Broken' });
    const transfer = await post('/api/v1/stock/transfers', { item_id: item.id, from_location_id: inventory, to_location_id: van, quantity: '3.0001' });
    expect(transfer).toMatchObject({ item_id: item.id, from_location_id: inventory, to_location_id: van, quantity: '3.0001' });
    expect(transfer.movements.map((m: { kind: string; quantity: string; location_id: number; transfer_id: number | null }) => [m.kind, m.quantity, m.location_id, m.transfer_id])).toEqual([
      ['transfer_out', '-3.0001', inventory, null],
      ['transfer_in', '3.0001', van, transfer.transfer_id],
    ]);
    expect(await levelsOf(item.id)).toEqual({ [inventory]: '7.2499', [van]: '3.0001' });
    const history = (await send('GET', `/api/v1/stock/movements?item_id=${item.id}`)).json().data.map((m: { kind: string }) => m.kind);
    expect(history).toEqual(['receipt', 'adjustment', 'transfer_out', 'transfer_in']);
    const atVan = (await send('GET', `/api/v1/stock/movements?location_id=${van}`)).json().data.map((m: { kind: string }) => m.kind);
    expect(atVan).toEqual(['transfer_in']);
  });

  it('never goes below zero: 409 naming what is there, nothing written, both legs or neither', async () => {
    const item = await newItem();
    await post('/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: '2' });
    const before = await ledgerCount();
    for (const [url, payload] of [
      ['/api/v1/stock/transfers', { item_id: item.id, from_location_id: inventory, to_location_id: shop, quantity: '2.0001' }],
      ['/api/v1/stock/adjustments', { item_id: item.id, location_id: inventory, quantity_change: '-3', reason: 'Count' }],
      ['/api/v1/stock/transfers', { item_id: item.id, from_location_id: van, to_location_id: shop, quantity: '1' }],
    ] as const) {
      const response = await send('POST', url, payload);
      expect([response.statusCode, response.json().error.code], url).toEqual([409, 'STOCK.INSUFFICIENT']);
    }
    expect((await send('POST', '/api/v1/stock/adjustments', { item_id: item.id, location_id: inventory, quantity_change: '-3', reason: 'Count' })).json().error.details).toMatchObject({ available: '2' });
    expect(await ledgerCount()).toBe(before);
    expect(await levelsOf(item.id)).toEqual({ [inventory]: '2' });
    // Down to exactly zero is fine.
    await post('/api/v1/stock/transfers', { item_id: item.id, from_location_id: inventory, to_location_id: shop, quantity: '2' });
    expect(await levelsOf(item.id)).toEqual({ [inventory]: '0', [shop]: '2' });
  });

  it('never goes past the largest level either: 409 naming it, nothing written, by receipt or by transfer', async () => {
    const item = await newItem();
    const most = '99999999999.9999';
    await post('/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: most });
    await post('/api/v1/stock/receipts', { item_id: item.id, location_id: shop, quantity: '1' });
    const before = await ledgerCount();
    for (const [url, payload] of [
      ['/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: '0.0001' }],
      ['/api/v1/stock/adjustments', { item_id: item.id, location_id: inventory, quantity_change: '1', reason: 'Count' }],
      ['/api/v1/stock/transfers', { item_id: item.id, from_location_id: shop, to_location_id: inventory, quantity: '1' }],
    ] as const) {
      const response = await send('POST', url, payload);
      expect([response.statusCode, response.json().error.code], url).toEqual([409, 'STOCK.LEVEL_TOO_LARGE']);
      expect(response.json().error.details).toMatchObject({ level: most, largest: most });
    }
    expect(await ledgerCount()).toBe(before);
    expect(await levelsOf(item.id)).toEqual({ [inventory]: most, [shop]: '1' });
  });

  it("transfers from the workspace's default transfer location unless told, and never to the same place", async () => {
    const item = await newItem();
    await post('/api/v1/stock/receipts', { item_id: item.id, location_id: van, quantity: '5' });
    const none = await send('POST', '/api/v1/stock/transfers', { item_id: item.id, to_location_id: shop, quantity: '1' });
    expect([none.statusCode, Object.keys(none.json().error.details)]).toEqual([422, ['from_location_id']]);
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspaces/${ws}/settings`, headers: inWs(), payload: { default_transfer_from_location_id: van } });
    expect((await post('/api/v1/stock/transfers', { item_id: item.id, to_location_id: shop, quantity: '1' })).from_location_id).toBe(van);
    const same = await send('POST', '/api/v1/stock/transfers', { item_id: item.id, from_location_id: shop, to_location_id: shop, quantity: '1' });
    expect([same.statusCode, Object.keys(same.json().error.details)]).toEqual([422, ['to_location_id']]);
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspaces/${ws}/settings`, headers: inWs(), payload: { default_transfer_from_location_id: null } });
  });

  it('refuses zero, bad quantities, and items or locations not live in this workspace (422 naming each), writing nothing', async () => {
    const item = await newItem();
    const theirs = await newItem(other);
    const theirLocation = (await send('GET', `/api/v1/workspaces/${other}`, undefined, other)).json().data.default_location_id;
    const archived = (await post('/api/v1/locations', { name: `Archived ${skus}`, type: 'other' })).id;
    await succeed(t, { method: 'PATCH', url: `/api/v1/locations/${archived}`, headers: inWs(), payload: { archived: true } });
    const before = await ledgerCount();
    const cases: [string, unknown, string[]][] = [
      ['/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: '0' }, ['quantity']],
      ['/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: '-1' }, ['quantity']],
      ['/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: 1 }, ['quantity']],
      ['/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: '1.00001' }, ['quantity']],
      ['/api/v1/stock/adjustments', { item_id: item.id, location_id: inventory, quantity_change: '-0', reason: 'x' }, ['quantity_change']],
      ['/api/v1/stock/adjustments', { item_id: item.id, location_id: inventory, quantity_change: '1' }, ['reason']],
      ['/api/v1/stock/receipts', { item_id: theirs.id, location_id: theirLocation, quantity: '1' }, ['item_id', 'location_id']],
      ['/api/v1/stock/receipts', { item_id: item.id, location_id: archived, quantity: '1' }, ['location_id']],
      ['/api/v1/stock/receipts', { item_id: 2147483648, location_id: inventory, quantity: '1' }, ['item_id']],
      ['/api/v1/stock/transfers', { item_id: item.id, from_location_id: inventory, to_location_id: theirLocation, quantity: '1' }, ['to_location_id']],
    ];
    for (const [url, payload, fields] of cases) {
      const response = await send('POST', url, payload);
      expect([response.statusCode, Object.keys(response.json().error?.details ?? {}).sort()], `${url} ${JSON.stringify(payload)}: ${response.body}`).toEqual([422, fields]);
    }
    expect(await ledgerCount()).toBe(before);
  });

  it('keeps the ledger append-only in the database, and history keeps its item and location', async () => {
    const item = await newItem();
    const receipt = await post('/api/v1/stock/receipts', { item_id: item.id, location_id: shop, quantity: '1' });
    await expect(sql`update stock_movements set quantity_e4 = 99 where id = ${receipt.id}`.execute(t.db)).rejects.toThrow(/stock_ledger_append_only/);
    await expect(sql`delete from stock_movements where id = ${receipt.id}`.execute(t.db)).rejects.toThrow(/stock_ledger_append_only/);
    const deleteItem = await send('DELETE', `/api/v1/items/${item.id}`);
    expect([deleteItem.statusCode, deleteItem.json().error.code]).toEqual([409, 'ITEM.IN_USE']);
    expect((await send('GET', `/api/v1/items/${item.id}`)).statusCode).toBe(200);
    const deleteShop = await send('DELETE', `/api/v1/locations/${shop}`);
    expect([deleteShop.statusCode, deleteShop.json().error.code]).toEqual([409, 'LOCATION.IN_USE']);
    expect((await send('GET', `/api/v1/locations/${shop}`)).statusCode).toBe(200);
    // A whole workspace goes with its ledger.
    const gone = (await createWorkspace(t, owner, 'Stock Gone')).id;
    const goneItem = await newItem(gone);
    const goneInventory = (await send('GET', `/api/v1/workspaces/${gone}`, undefined, gone)).json().data.default_location_id;
    await post('/api/v1/stock/receipts', { item_id: goneItem.id, location_id: goneInventory, quantity: '4' }, gone);
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspaces/${gone}`, headers: owner.auth });
    expect(await t.db.selectFrom('stock_movements').select('id').where('workspace_id', '=', gone).execute()).toEqual([]);
  });

  it('values stock per location exactly and exports the levels as CSV, formulas made inert', async () => {
    const reports = (await createWorkspace(t, owner, 'Stock Reports')).id;
    const home = (await send('GET', `/api/v1/workspaces/${reports}`, undefined, reports)).json().data.default_location_id;
    const annex = (await post('/api/v1/locations', { name: 'Annex, "east"', type: 'site' }, reports)).id;
    const third = await post('/api/v1/items', { sku: 'THIRD', name: 'A third', unit_cost: '0.3333' }, reports);
    const formula = await post('/api/v1/items', { sku: 'FORMULA', name: '=HYPERLINK("http://evil.example")', unit: 'kg', unit_cost: '1.25' }, reports);
    await post('/api/v1/stock/receipts', { item_id: third.id, location_id: home, quantity: '3' }, reports);
    await post('/api/v1/stock/receipts', { item_id: formula.id, location_id: home, quantity: '2.5' }, reports);
    await post('/api/v1/stock/receipts', { item_id: formula.id, location_id: annex, quantity: '0.0001' }, reports);

    const valuation = (await send('GET', '/api/v1/stock/valuation', undefined, reports)).json().data;
    // 3 × 0.3333 = 0.9999 and 2.5 × 1.25 = 3.125, exactly; 0.0001 × 1.25 = 0.000125, shown half up at 4 places.
    expect(valuation).toEqual({
      currency: expect.any(String),
      locations: [
        { location_id: home, location_name: 'Inventory', items: 2, quantity: '5.5', value: '4.1249' },
        { location_id: annex, location_name: 'Annex, "east"', items: 1, quantity: '0.0001', value: '0.0001' },
      ],
      total: { quantity: '5.5001', value: '4.125' },
    });
    expect((await send('GET', `/api/v1/stock/valuation?location_id=${annex}`, undefined, reports)).json().data.locations).toHaveLength(1);
    expect((await send('GET', '/api/v1/stock/valuation?location_id=2000000000000', undefined, reports)).json().data.total).toEqual({ quantity: '0', value: '0.00' });

    const csv = await send('GET', '/api/v1/stock/export.csv', undefined, reports);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="stock-[^"]+\.csv"$/);
    expect(csv.body.split('\r\n')).toEqual([
      'location_id,location,item_id,sku,item,unit,quantity,unit_cost,value',
      `${home},Inventory,${third.id},THIRD,A third,unit,3,0.3333,0.9999`,
      `${home},Inventory,${formula.id},FORMULA,"'=HYPERLINK(""http://evil.example"")",kg,2.5,1.25,3.125`,
      `${annex},"Annex, ""east""",${formula.id},FORMULA,"'=HYPERLINK(""http://evil.example"")",kg,0.0001,1.25,0.0001`,
      '',
    ]);
  });

  it('goes below zero only where the workspace allows it, in the database too; turning it off keeps what is negative, to be booked back up', async () => {
    const negative = (await createWorkspace(t, owner, 'Stock Negative')).id;
    const home = (await send('GET', `/api/v1/workspaces/${negative}`, undefined, negative)).json().data.default_location_id;
    const annex = (await post('/api/v1/locations', { name: 'Annex', type: 'site' }, negative)).id;
    const item = await newItem(negative);
    const setNegative = async (allowed: boolean) => {
      const response = await send('PATCH', `/api/v1/workspaces/${negative}/settings`, { allow_negative_stock: allowed }, negative);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().data.allow_negative_stock).toBe(allowed);
    };
    const levels = async () =>
      Object.fromEntries(
        ((await send('GET', `/api/v1/stock?item_id=${item.id}`, undefined, negative)).json().data as { location_id: number; quantity: string }[]).map((level) => [level.location_id, level.quantity]),
      );
    expect((await send('GET', `/api/v1/workspaces/${negative}`, undefined, negative)).json().data.allow_negative_stock).toBe(false);
    const refused = await send('POST', '/api/v1/stock/transfers', { item_id: item.id, from_location_id: home, to_location_id: annex, quantity: '1' }, negative);
    expect([refused.statusCode, refused.json().error.code, refused.json().error.details.available]).toEqual([409, 'STOCK.INSUFFICIENT', '0']);

    await setNegative(true);
    await post('/api/v1/stock/transfers', { item_id: item.id, from_location_id: home, to_location_id: annex, quantity: '2.5' }, negative);
    await post('/api/v1/stock/adjustments', { item_id: item.id, location_id: home, quantity_change: '-1', reason: 'Sold before booked in' }, negative);
    expect(await levels()).toEqual({ [home]: '-3.5', [annex]: '2.5' });
    const valuation = (await send('GET', '/api/v1/stock/valuation', undefined, negative)).json().data;
    expect(valuation.locations.find((row: { location_id: number }) => row.location_id === home)).toMatchObject({ quantity: '-3.5', value: '-7.00' });
    // Still bounded below by the largest level.
    await post('/api/v1/stock/adjustments', { item_id: item.id, location_id: annex, quantity_change: '-99999999999.9999', reason: 'Far' }, negative);
    const pastFloor = await send('POST', '/api/v1/stock/adjustments', { item_id: item.id, location_id: annex, quantity_change: '-99999999999.9999', reason: 'Too far' }, negative);
    expect([pastFloor.statusCode, pastFloor.json().error.code]).toEqual([409, 'STOCK.INSUFFICIENT']);
    await post('/api/v1/stock/receipts', { item_id: item.id, location_id: annex, quantity: '99999999999.9999' }, negative);

    await setNegative(false);
    const lower = await send('POST', '/api/v1/stock/adjustments', { item_id: item.id, location_id: home, quantity_change: '-1', reason: 'More' }, negative);
    expect([lower.statusCode, lower.json().error.code, lower.json().error.details.available]).toEqual([409, 'STOCK.INSUFFICIENT', '-3.5']);
    await post('/api/v1/stock/receipts', { item_id: item.id, location_id: home, quantity: '1.5' }, negative);
    expect(await levels()).toEqual({ [home]: '-2', [annex]: '2.5' });

    // The database keeps the setting too: no statement takes a level lower below zero while it is off.
    const rule = /stock_level_not_negative/;
    await expect(sql`update stock_levels set quantity_e4 = quantity_e4 - 1 where workspace_id = ${negative} and location_id = ${home}`.execute(t.db)).rejects.toThrow(rule);
    await expect(sql`update stock_levels set quantity_e4 = -1 where workspace_id = ${negative} and location_id = ${annex}`.execute(t.db)).rejects.toThrow(rule);
    const third = await newItem(negative);
    await expect(
      sql`insert into stock_levels (workspace_id, item_id, location_id, quantity_e4, updated_at) values (${negative}, ${third.id}, ${home}, -1, ${new Date().toISOString()})`.execute(t.db),
    ).rejects.toThrow(rule);
    expect(await levels()).toEqual({ [home]: '-2', [annex]: '2.5' });
  });

  it("answers another workspace's levels and ledger with nothing", async () => {
    const theirs = await newItem(other);
    const theirLocation = (await send('GET', `/api/v1/workspaces/${other}`, undefined, other)).json().data.default_location_id;
    await post('/api/v1/stock/receipts', { item_id: theirs.id, location_id: theirLocation, quantity: '9' }, other);
    for (const url of [`/api/v1/stock?item_id=${theirs.id}`, `/api/v1/stock?location_id=${theirLocation}`, `/api/v1/stock/movements?item_id=${theirs.id}`]) {
      expect((await send('GET', url)).json().data, url).toEqual([]);
    }
  });
});
