/**
 * Location access per member (issue 17, seed 002's `locationAccess`): unrestricted, or
 * restricted to listed locations of the workspace. A restricted member sees and moves stock
 * only at those locations, in every list and single read, and sees no other location; with
 * none listed they see nothing (fail closed); the owner and holders of view_all_locations
 * are never restricted. `GET|PUT /api/v1/members/{user_id}/locations`, under the rules of
 * overrides; audited; acting on the very next request.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let manager: Session;
let clerk: Session;
let ws: number;
let inventory: number;
let shop: number;
let van: number;
let item: number;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Locations Owner' });
  manager = await register(t, { name: 'Locations Manager' });
  clerk = await register(t, { name: 'Locations Clerk' });
  ws = (await createWorkspace(t, owner, 'Locations Branch')).id;
  await addMembership(t, ws, manager.userId, 'admin');
  await addMembership(t, ws, clerk.userId, 'admin');
  inventory = (await send(owner, 'GET', `/api/v1/workspaces/${ws}`)).json().data.default_location_id;
  shop = (await created(owner, '/api/v1/locations', { name: 'Shop', type: 'site' })).id;
  van = (await created(owner, '/api/v1/locations', { name: 'Van', type: 'van' })).id;
  item = (await created(owner, '/api/v1/items', { sku: 'LOC-1', name: 'Located item' })).id;
  for (const location of [inventory, shop, van]) await created(owner, '/api/v1/stock/receipts', { item_id: item, location_id: location, quantity: '5', reason: `Opening ${location}` });
});
afterEach(async () => {
  // Every test starts from unrestricted members.
  for (const member of [manager, clerk]) await succeed(t, { method: 'PUT', url: `/api/v1/members/${member.userId}/locations`, headers: inWs(owner), payload: { restricted: false } });
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

const inWs = (session: Session) => ({ ...session.auth, 'x-workspace-id': String(ws) });
function send(session: Session, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return t.request({ method, url, headers: inWs(session), ...(payload === undefined ? {} : { payload: payload as object }) });
}
async function created(session: Session, url: string, payload: unknown) {
  const response = await send(session, 'POST', url, payload);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data;
}
const restrict = (by: Session, member: Session, locationIds: number[]) => send(by, 'PUT', `/api/v1/members/${member.userId}/locations`, { restricted: true, location_ids: locationIds });
const ids = async (session: Session, url: string, field = 'id'): Promise<number[]> => {
  const response = await send(session, 'GET', url);
  expect(response.statusCode, response.body).toBe(200);
  return [...new Set((response.json().data as Record<string, number>[]).map((row) => row[field] as number))].sort((a, b) => a - b);
};
const errorOf = (response: { statusCode: number; json: () => { error?: { code?: string; details?: Record<string, unknown> } } }) => [
  response.statusCode,
  response.json().error?.code,
];

describe('location access', () => {
  it('restricts a member to the listed locations on the very next request: lists, reads, moves and the workspace object', async () => {
    expect(await ids(clerk, '/api/v1/locations')).toEqual([inventory, shop, van].sort((a, b) => a - b));
    const set = await restrict(manager, clerk, [shop]);
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().data).toEqual({ user_id: clerk.userId, workspace_id: ws, restricted: true, location_ids: [shop], lifted_by: null });

    expect(await ids(clerk, '/api/v1/locations')).toEqual([shop]);
    expect(await ids(clerk, '/api/v1/stock', 'location_id')).toEqual([shop]);
    expect(await ids(clerk, `/api/v1/stock?location_id=${van}`, 'location_id')).toEqual([]);
    expect(await ids(clerk, '/api/v1/stock/movements', 'location_id')).toEqual([shop]);
    // Reports too: the valuation's rows and total, and the export.
    const valuation = (await send(clerk, 'GET', '/api/v1/stock/valuation')).json().data;
    expect(valuation.locations.map((row: { location_id: number }) => row.location_id)).toEqual([shop]);
    expect(valuation.total.quantity).toBe(valuation.locations[0].quantity);
    const csv = (await send(clerk, 'GET', '/api/v1/stock/export.csv')).body.trim().split('\r\n');
    expect(csv.slice(1).map((line) => Number(line.split(',')[0]))).toEqual([shop]);
    expect(errorOf(await send(clerk, 'GET', `/api/v1/locations/${van}`))).toEqual([404, 'LOCATION.NOT_FOUND']);
    expect(errorOf(await send(clerk, 'PATCH', `/api/v1/locations/${van}`, { name: 'Mine now' }))).toEqual([404, 'LOCATION.NOT_FOUND']);
    // The default location answers as any other it cannot see: 404 before "it is a default".
    expect(errorOf(await send(clerk, 'DELETE', `/api/v1/locations/${inventory}`))).toEqual([404, 'LOCATION.NOT_FOUND']);
    expect(errorOf(await send(clerk, 'PATCH', `/api/v1/locations/${inventory}`, { archived: true }))).toEqual([404, 'LOCATION.NOT_FOUND']);

    // Moves only at its own location; elsewhere is no location of the workspace (422 naming the field).
    const at = { item_id: item, quantity: '1' };
    const receipt = await send(clerk, 'POST', '/api/v1/stock/receipts', { ...at, location_id: van });
    expect([...errorOf(receipt), receipt.json().error.details]).toEqual([422, 'VALIDATION.FAILED', { location_id: expect.stringContaining('no such location') }]);
    const out = await send(clerk, 'POST', '/api/v1/stock/transfers', { ...at, from_location_id: shop, to_location_id: van });
    expect(out.json().error.details).toEqual({ to_location_id: expect.any(String) });
    const into = await send(clerk, 'POST', '/api/v1/stock/transfers', { ...at, from_location_id: van, to_location_id: shop });
    expect(into.json().error.details).toEqual({ from_location_id: expect.any(String) });
    await created(clerk, '/api/v1/stock/adjustments', { item_id: item, location_id: shop, quantity_change: '-1', reason: 'Counted' });
    // A restricted member creates no location: they could not see it.
    const create = await send(clerk, 'POST', '/api/v1/locations', { name: 'Hidden', type: 'site' });
    expect([...errorOf(create), create.json().error.details]).toEqual([403, 'AUTH.FORBIDDEN', { reason: 'restricted_to_locations' }]);

    const object = (await send(clerk, 'GET', `/api/v1/workspaces/${ws}`)).json().data;
    expect(object.location_access).toEqual({ restricted: true, locations: [{ location_id: shop }] });
    const seed = (await t.request({ method: 'GET', url: `/workspaces/${ws}`, headers: clerk.auth })).json();
    expect(seed.locationAccess).toEqual({ restricted: true, locations: [{ locationId: String(shop) }] });

    // Lifted: everywhere again, on the next request.
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${clerk.userId}/locations`, headers: inWs(manager), payload: { restricted: false } });
    expect(await ids(clerk, '/api/v1/stock', 'location_id')).toEqual([inventory, shop, van].sort((a, b) => a - b));
    expect((await send(clerk, 'GET', `/api/v1/workspaces/${ws}`)).json().data.location_access).toEqual({ restricted: false, locations: [] });
  });

  it('fails closed: restricted to no location, or to one since deleted, a member sees and moves nothing', async () => {
    expect((await restrict(manager, clerk, [])).statusCode).toBe(200);
    expect(await ids(clerk, '/api/v1/locations')).toEqual([]);
    expect(await ids(clerk, '/api/v1/stock')).toEqual([]);
    expect(await ids(clerk, '/api/v1/stock/movements')).toEqual([]);
    expect((await send(clerk, 'GET', '/api/v1/stock/valuation')).json().data).toMatchObject({ locations: [], total: { quantity: '0', value: '0.00' } });
    expect((await send(clerk, 'GET', '/api/v1/stock/export.csv')).body.trim().split('\r\n')).toHaveLength(1);
    expect(errorOf(await send(clerk, 'POST', '/api/v1/stock/receipts', { item_id: item, location_id: shop, quantity: '1' }))).toEqual([422, 'VALIDATION.FAILED']);

    const spare = (await created(owner, '/api/v1/locations', { name: 'Spare', type: 'other' })).id;
    expect((await restrict(manager, clerk, [spare])).statusCode).toBe(200);
    expect(await ids(clerk, '/api/v1/locations')).toEqual([spare]);
    await succeed(t, { method: 'DELETE', url: `/api/v1/locations/${spare}`, headers: inWs(owner) });
    // The list lost its only location: nothing, never everything.
    expect(await ids(clerk, '/api/v1/locations')).toEqual([]);
    expect((await send(owner, 'GET', `/api/v1/members/${clerk.userId}/locations`)).json().data).toMatchObject({ restricted: true, location_ids: [] });
  });

  it('binds an API key made by a restricted member as it binds them', async () => {
    const key = (await created(clerk, '/api/v1/api-keys', { name: 'Clerk key', scopes: ['stock:view', 'locations:view'] })).secret as string;
    expect((await restrict(manager, clerk, [van])).statusCode).toBe(200);
    const byKey = await t.request({ method: 'GET', url: '/api/v1/stock', headers: { authorization: `Bearer ${key}` } });
    expect(byKey.statusCode, byKey.body).toBe(200);
    expect([...new Set(byKey.json().data.map((level: { location_id: number }) => level.location_id))]).toEqual([van]);
  });

  it('never binds the owner, nor a member whose tenant role sees every location', async () => {
    const own = await send(manager, 'PUT', `/api/v1/members/${owner.userId}/locations`, { restricted: true, location_ids: [] });
    expect(errorOf(own)).toEqual([409, 'MEMBER.IS_OWNER']);
    expect((await send(manager, 'GET', `/api/v1/members/${owner.userId}/locations`)).json().data).toMatchObject({ restricted: false, lifted_by: 'owner' });

    await t.db.updateTable('users').set({ tenant_role: 'admin' }).where('id', '=', clerk.userId).execute();
    try {
      const set = await restrict(owner, clerk, [shop]);
      expect(set.json().data).toMatchObject({ restricted: true, location_ids: [shop], lifted_by: 'view_all_locations' });
      expect(await ids(clerk, '/api/v1/locations')).toEqual([inventory, shop, van].sort((a, b) => a - b));
    } finally {
      await t.db.updateTable('users').set({ tenant_role: 'member' }).where('id', '=', clerk.userId).execute();
    }
    // Back to a plain member, the stored restriction binds at once.
    expect(await ids(clerk, '/api/v1/locations')).toEqual([shop]);
  });

  it('refuses one’s own, widening past one’s own access, and bad lists, changing nothing', async () => {
    const ownChange = await restrict(clerk, clerk, [shop]);
    expect([...errorOf(ownChange), ownChange.json().error.details]).toEqual([403, 'AUTH.FORBIDDEN', { reason: 'cannot_change_own_locations' }]);

    expect((await restrict(owner, manager, [shop, van])).statusCode).toBe(200);
    // A restricted manager narrows only a restricted member, within their own locations.
    const unrestrictedTarget = await restrict(manager, clerk, [shop]);
    expect([...errorOf(unrestrictedTarget), unrestrictedTarget.json().error.details]).toEqual([403, 'AUTH.FORBIDDEN', { reason: 'location_outside_your_access' }]);
    expect((await restrict(owner, clerk, [shop, inventory])).statusCode).toBe(200);
    const beyond = await restrict(manager, clerk, [shop]);
    expect(beyond.json().error.details).toEqual({ reason: 'location_outside_your_access' });
    expect((await restrict(owner, clerk, [shop, van])).statusCode).toBe(200);
    expect((await restrict(manager, clerk, [van])).statusCode).toBe(200);
    const outside = await restrict(manager, clerk, [inventory]);
    expect([...errorOf(outside), outside.json().error.details]).toEqual([422, 'VALIDATION.FAILED', { location_ids: expect.stringContaining(String(inventory)) }]);
    const lift = await send(manager, 'PUT', `/api/v1/members/${clerk.userId}/locations`, { restricted: false });
    expect(lift.json().error.details).toEqual({ reason: 'location_outside_your_access' });
    // What the restricted manager reads of another member leaves out what they cannot see.
    expect((await restrict(owner, clerk, [van, inventory])).statusCode).toBe(200);
    expect((await send(manager, 'GET', `/api/v1/members/${clerk.userId}/locations`)).json().data.location_ids).toEqual([van]);
    expect((await send(owner, 'GET', `/api/v1/members/${clerk.userId}/locations`)).json().data.location_ids).toEqual([inventory, van].sort((a, b) => a - b));

    const archived = (await created(owner, '/api/v1/locations', { name: 'Old depot', type: 'warehouse' })).id;
    await succeed(t, { method: 'PATCH', url: `/api/v1/locations/${archived}`, headers: inWs(owner), payload: { archived: true } });
    const other = (await createWorkspace(t, owner, 'Locations Elsewhere')).id;
    const foreign = (await t.request({ method: 'GET', url: `/api/v1/workspaces/${other}`, headers: owner.auth })).json().data.default_location_id;
    for (const bad of [[archived], [foreign], [2_000_000_000]]) {
      const response = await restrict(owner, clerk, bad);
      expect([...errorOf(response), Object.keys(response.json().error.details)], JSON.stringify(bad)).toEqual([422, 'VALIDATION.FAILED', ['location_ids']]);
    }
    for (const payload of [{ restricted: false, location_ids: [shop] }, { restricted: true, location_ids: [shop, shop] }, { location_ids: [shop] }, { restricted: true, location_ids: ['x'] }]) {
      expect(errorOf(await send(owner, 'PUT', `/api/v1/members/${clerk.userId}/locations`, payload)), JSON.stringify(payload)).toEqual([422, 'VALIDATION.FAILED']);
    }
    expect((await send(owner, 'GET', `/api/v1/members/${clerk.userId}/locations`)).json().data.location_ids).toEqual([inventory, van].sort((a, b) => a - b));
    expect(errorOf(await send(owner, 'GET', '/api/v1/members/2000000000/locations'))).toEqual([404, 'MEMBER.NOT_FOUND']);
  });

  it('audits each change with what it was and what it became, and nothing for a change that changes nothing', async () => {
    const changes = async () =>
      ((await send(owner, 'GET', '/api/v1/audit-events?limit=100')).json().data as { action: string; target_id: string; details: unknown }[]).filter(
        (event) => event.action === 'member.locations_changed' && event.target_id === String(clerk.userId),
      );
    const before = (await changes()).length;
    expect((await restrict(owner, clerk, [van, shop])).statusCode).toBe(200);
    expect((await restrict(owner, clerk, [shop, van])).statusCode).toBe(200);
    const after = await changes();
    expect(after).toHaveLength(before + 1);
    expect(after.map((event) => event.details)).toContainEqual(expect.objectContaining({ before: 'all', after: [shop, van].sort((a, b) => a - b) }));
  });

  it('clears a restriction when its member becomes the owner', async () => {
    expect((await restrict(owner, manager, [shop])).statusCode).toBe(200);
    const spareWs = (await createWorkspace(t, owner, 'Locations Handover')).id;
    await addMembership(t, spareWs, manager.userId, 'admin');
    const headers = { ...owner.auth, 'x-workspace-id': String(spareWs) };
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${manager.userId}/locations`, headers, payload: { restricted: true, location_ids: [] } });
    await succeed(t, { method: 'POST', url: `/api/v1/workspaces/${spareWs}/transfer-ownership`, headers, payload: { user_id: manager.userId } });
    const after = await t.request({ method: 'GET', url: '/api/v1/locations', headers: { ...manager.auth, 'x-workspace-id': String(spareWs) } });
    expect(after.json().data).toHaveLength(1);
    expect((await t.db.selectFrom('member_location_restrictions').select('user_id').where('workspace_id', '=', spareWs).execute()).length).toBe(0);
  });
});
