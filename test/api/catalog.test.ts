/**
 * The product catalogue (issue 17, first part): /api/v1/items, /suppliers and /tags in the
 * workspace of X-Workspace-ID. SKUs and names unique per workspace after normalization,
 * barcodes unique where given; money exact as decimal strings, a sell price derived from the
 * workspace's default markup to the cent; search by barcode, SKU or name prefix (LIKE's
 * wildcards searched as themselves), filters and keyset pages; references to tags and
 * suppliers of the same workspace only (422 otherwise, nothing written); the plan's items,
 * suppliers and tags limits (402, nothing written) and counters that follow the rows; another
 * workspace's records answered 404 and left alone.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let viewer: Session;
let ws: number;
let other: number;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Catalog Owner' });
  viewer = await register(t, { name: 'Catalog Viewer' });
  ws = (await createWorkspace(t, owner, 'Catalog Branch')).id;
  other = (await createWorkspace(t, owner, 'Catalog Other')).id;
  await addMembership(t, ws, viewer.userId, 'viewer');
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

const inWs = (id = ws, session: Session = owner) => ({ ...session.auth, 'x-workspace-id': String(id) });
const send = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, id = ws, session: Session = owner) =>
  t.request({ method, url, headers: inWs(id, session), ...(payload === undefined ? {} : { payload: payload as object }) });
const create = async (plural: string, payload: unknown, id = ws) => {
  const response = await send('POST', `/api/v1/${plural}`, payload, id);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data;
};
const list = async (query: string, id = ws) => {
  const response = await send('GET', `/api/v1/items?${query}`, undefined, id);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: { id: number; sku: string }[]; meta: { next_cursor: string | null } }>();
};
const usage = async (id = ws) =>
  t.db.selectFrom('workspace_plans').select(['items_usage', 'suppliers_usage', 'tags_usage']).where('workspace_id', '=', id).executeTakeFirstOrThrow();

describe('items', () => {
  it('creates an item with exact money, its tags and supplier; derives the sell price from the default markup', async () => {
    const supplier = await create('suppliers', { name: 'Acme Tools', email: 'sales@acme.example' });
    const tag = await create('tags', { name: 'Hardware', color: '#aa3300' });
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspaces/${ws}/settings`, headers: inWs(), payload: { default_markup_percent: 33.3333 } });
    const item = await create('items', { sku: 'HAM-01', name: 'Claw hammer', unit_cost: '10', tag_ids: [tag.id], preferred_supplier_id: supplier.id });
    expect(item).toMatchObject({ sku: 'HAM-01', name: 'Claw hammer', unit: 'unit', barcode: null, unit_cost: '10.00', sell_price: '13.33', tag_ids: [tag.id], preferred_supplier_id: supplier.id, archived: false });
    const priced = await create('items', { sku: 'NAIL-1', name: 'Nails', unit: 'box', unit_cost: '0.1234', sell_price: '0.3' });
    expect(priced).toMatchObject({ unit_cost: '0.1234', sell_price: '0.30', unit: 'box' });
    // Half up, to the cent: 0.015 × 1.333333 = 0.019999… → 0.02.
    expect((await create('items', { sku: 'WASH-1', name: 'Washer', unit_cost: '0.015' })).sell_price).toBe('0.02');
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspaces/${ws}/settings`, headers: inWs(), payload: { default_markup_percent: null } });
    expect((await create('items', { sku: 'BIG-1', name: 'Big one', unit_cost: '99999999999.9999' })).sell_price).toBe('99999999999.9999');
    // The largest cost with a markup is past the largest price: named, not a 500.
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspaces/${ws}/settings`, headers: inWs(), payload: { default_markup_percent: 1000 } });
    const tooLarge = await send('POST', '/api/v1/items', { sku: 'BIG-2', name: 'Too big', unit_cost: '99999999999.9999' });
    expect([tooLarge.statusCode, Object.keys(tooLarge.json().error.details)]).toEqual([422, ['sell_price']]);
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspaces/${ws}/settings`, headers: inWs(), payload: { default_markup_percent: null } });
    expect((await send('GET', `/api/v1/items/${item.id}`)).json().data).toEqual(item);
  });

  it('refuses money that is not an exact decimal string, with nothing written', async () => {
    const before = await usage();
    for (const unit_cost of ['1.23456', '-1', '1e3', '', ' 1', '1.', '.5', '123456789012', '99999999999.99999', 12.5, null]) {
      const response = await send('POST', '/api/v1/items', { sku: `BAD-${String(unit_cost)}`, name: 'Bad', unit_cost });
      expect(response.statusCode, `${String(unit_cost)}: ${response.body}`).toBe(422);
      expect(response.json().error.details).toHaveProperty('unit_cost');
    }
    expect(await usage()).toEqual(before);
  });

  it('keeps SKUs unique as a person reads them, and barcodes unique where given', async () => {
    await create('items', { sku: 'Sku-Ünique 7', name: 'First', barcode: '0001112223334' });
    for (const sku of ['sku-ünique 7', '  SKU-ÜNIQUE   7 ', 'Ｓｋｕ-Ünique 7']) {
      const response = await send('POST', '/api/v1/items', { sku, name: 'Twin' });
      expect(response.statusCode, sku).toBe(409);
      expect(response.json().error.code).toBe('ITEM.SKU_TAKEN');
    }
    const twinBarcode = await send('POST', '/api/v1/items', { sku: 'OTHER-7', name: 'Twin', barcode: '0001112223334' });
    expect([twinBarcode.statusCode, twinBarcode.json().error.code]).toEqual([409, 'ITEM.BARCODE_TAKEN']);
    // Items without barcodes are many; another workspace may reuse both.
    await create('items', { sku: 'NOBAR-1', name: 'No barcode' });
    await create('items', { sku: 'NOBAR-2', name: 'No barcode either' });
    await create('items', { sku: 'SKU-ÜNIQUE 7', name: 'Elsewhere', barcode: '0001112223334' }, other);
  });

  it('finds by exact barcode or SKU or name prefix, LIKE wildcards as themselves, with filters and keyset pages', async () => {
    const tag = await create('tags', { name: 'Search tag' });
    const supplier = await create('suppliers', { name: 'Search supplier' });
    const a = await create('items', { sku: 'FIND-100%', name: 'Percent item', barcode: '777000', tag_ids: [tag.id] });
    const b = await create('items', { sku: 'FIND-1000', name: 'Zebra paint', preferred_supplier_id: supplier.id });
    const c = await create('items', { sku: 'FIND_X', name: 'Underscore', tag_ids: [tag.id] });
    const ids = (page: { data: { id: number }[] }) => page.data.map((item) => item.id);
    expect(ids(await list('q=777000'))).toEqual([a.id]);
    expect(ids(await list('q=find-100'))).toEqual([a.id, b.id]);
    expect(ids(await list(`q=${encodeURIComponent('FIND-100%')}`))).toEqual([a.id]);
    expect(ids(await list('q=FIND_'))).toEqual([c.id]);
    expect(ids(await list('q=zebra'))).toEqual([b.id]);
    expect(ids(await list(`tag_id=${tag.id}`))).toEqual([a.id, c.id]);
    expect(ids(await list(`supplier_id=${supplier.id}`))).toEqual([b.id]);
    // Ids no store holds name nothing: an empty page, never a 500.
    expect(ids(await list('tag_id=2147483648'))).toEqual([]);
    expect(ids(await list(`supplier_id=${Number.MAX_SAFE_INTEGER}`))).toEqual([]);
    // Pages by id: two, then the rest.
    const first = await list('q=find&limit=2');
    expect(ids(first)).toEqual([a.id, b.id]);
    const second = await list(`q=find&limit=2&cursor=${encodeURIComponent(first.meta.next_cursor!)}`);
    expect([ids(second), second.meta.next_cursor]).toEqual([[c.id], null]);
    // Archived ones leave the default list and appear with ?archived=true.
    await succeed(t, { method: 'PATCH', url: `/api/v1/items/${b.id}`, headers: inWs(), payload: { archived: true } });
    expect(ids(await list('q=find'))).toEqual([a.id, c.id]);
    expect(ids(await list('q=find&archived=true'))).toEqual([b.id]);
  });

  it('refuses tags and suppliers of another workspace (422) and writes nothing', async () => {
    const foreignTag = await create('tags', { name: 'Foreign tag' }, other);
    const foreignSupplier = await create('suppliers', { name: 'Foreign supplier' }, other);
    const before = await usage();
    const byTag = await send('POST', '/api/v1/items', { sku: 'REF-1', name: 'Ref', tag_ids: [foreignTag.id] });
    expect([byTag.statusCode, Object.keys(byTag.json().error.details)]).toEqual([422, ['tag_ids']]);
    const bySupplier = await send('POST', '/api/v1/items', { sku: 'REF-1', name: 'Ref', preferred_supplier_id: foreignSupplier.id });
    expect([bySupplier.statusCode, Object.keys(bySupplier.json().error.details)]).toEqual([422, ['preferred_supplier_id']]);
    expect(await usage()).toEqual(before);
    const mine = await create('items', { sku: 'REF-1', name: 'Ref' });
    const patched = await send('PATCH', `/api/v1/items/${mine.id}`, { tag_ids: [foreignTag.id] });
    expect(patched.statusCode).toBe(422);
    expect((await send('GET', `/api/v1/items/${mine.id}`)).json().data.tag_ids).toEqual([]);
  });

  it("answers another workspace's records 404 and leaves them alone", async () => {
    const theirs = {
      items: await create('items', { sku: 'THEIRS-1', name: 'Theirs' }, other),
      suppliers: await create('suppliers', { name: 'Their supplier' }, other),
      tags: await create('tags', { name: 'Their tag' }, other),
    };
    const codes = { items: 'ITEM.NOT_FOUND', suppliers: 'SUPPLIER.NOT_FOUND', tags: 'TAG.NOT_FOUND' };
    for (const [plural, record] of Object.entries(theirs) as [keyof typeof theirs, { id: number }][]) {
      for (const [method, payload] of [['GET'], ['PATCH', { name: 'Stolen' }], ['DELETE']] as const) {
        const response = await send(method, `/api/v1/${plural}/${record.id}`, payload);
        expect([response.statusCode, response.json().error.code], `${method} ${plural}`).toEqual([404, codes[plural]]);
      }
      expect((await send('GET', `/api/v1/${plural}/${record.id}`, undefined, other)).json().data).toEqual(record);
    }
  });

  it('a supplier or tag deleted leaves its items without it; a viewer reads but may not write', async () => {
    const supplier = await create('suppliers', { name: 'Going supplier' });
    const tag = await create('tags', { name: 'Going tag' });
    const item = await create('items', { sku: 'LEFT-1', name: 'Left behind', preferred_supplier_id: supplier.id, tag_ids: [tag.id] });
    await succeed(t, { method: 'DELETE', url: `/api/v1/suppliers/${supplier.id}`, headers: inWs() });
    await succeed(t, { method: 'DELETE', url: `/api/v1/tags/${tag.id}`, headers: inWs() });
    expect((await send('GET', `/api/v1/items/${item.id}`)).json().data).toMatchObject({ preferred_supplier_id: null, tag_ids: [] });
    expect((await send('GET', `/api/v1/items/${item.id}`, undefined, ws, viewer)).statusCode).toBe(200);
    const refused = await send('POST', '/api/v1/items', { sku: 'VIEW-1', name: 'Viewer' }, ws, viewer);
    expect([refused.statusCode, refused.json().error.details.permission]).toEqual([403, 'products:create']);
  });
});

describe("the plan's limits", () => {
  it('counts items, suppliers and tags exactly: 402 past the limit, nothing written, a deletion frees a place', async () => {
    const limited = (await createWorkspace(t, owner, 'Catalog Limited')).id;
    await planAdministration.setLimits(t.db, 'pro', { items: 2, suppliers: 1, tags: 1 });
    await planAdministration.assign(t.db, limited, { plan_key: 'pro' });
    const first = await create('items', { sku: 'L-1', name: 'One' }, limited);
    await create('items', { sku: 'L-2', name: 'Two' }, limited);
    await create('suppliers', { name: 'Only supplier' }, limited);
    await create('tags', { name: 'Only tag' }, limited);
    for (const [plural, payload, limit] of [
      ['items', { sku: 'L-3', name: 'Three' }, 'items_limit'],
      ['suppliers', { name: 'Second supplier' }, 'suppliers_limit'],
      ['tags', { name: 'Second tag' }, 'tags_limit'],
    ] as const) {
      const response = await send('POST', `/api/v1/${plural}`, payload, limited);
      expect([response.statusCode, response.json().error.code, response.json().error.details.limit], plural).toEqual([402, 'PLAN.LIMIT_REACHED', limit]);
    }
    expect(await usage(limited)).toEqual({ items_usage: 2, suppliers_usage: 1, tags_usage: 1 });
    await succeed(t, { method: 'DELETE', url: `/api/v1/items/${first.id}`, headers: inWs(limited) });
    await create('items', { sku: 'L-3', name: 'Three' }, limited);
    expect((await send('GET', `/api/v1/workspaces/${limited}`, undefined, limited)).json().data).toMatchObject({ items_usage: 2 });
  });
});
