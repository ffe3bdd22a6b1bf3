/**
 * /api/v1/locations in the workspace of X-Workspace-ID: create, read, rename, archive,
 * delete; the "Inventory" location every workspace starts with; names unique per workspace
 * after normalization; defaults that can be neither archived nor deleted (409); the plan's
 * locations limit (402, nothing written) and its counter, which follows the rows.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Locations Owner' });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

interface LocationBody {
  id: number;
  name: string;
  type: string;
  address: string | null;
  archived: boolean;
  archived_at: string | null;
  default_for: string[];
  created_at: string;
  updated_at: string;
}

const inWs = (id: number, session: Session = owner) => ({ ...session.auth, 'x-workspace-id': String(id) });

const post = (ws: number, payload: unknown, session: Session = owner) =>
  t.request({ method: 'POST', url: '/api/v1/locations', headers: inWs(ws, session), payload: payload as object });
const patch = (ws: number, id: number | string, payload: unknown, session: Session = owner) =>
  t.request({ method: 'PATCH', url: `/api/v1/locations/${id}`, headers: inWs(ws, session), payload: payload as object });
const del = (ws: number, id: number | string, session: Session = owner) =>
  t.request({ method: 'DELETE', url: `/api/v1/locations/${id}`, headers: inWs(ws, session) });
const getOne = (ws: number, id: number | string, session: Session = owner) =>
  t.request({ method: 'GET', url: `/api/v1/locations/${id}`, headers: inWs(ws, session) });

async function list(ws: number, archived = false, session: Session = owner): Promise<LocationBody[]> {
  const response = await succeed(t, { method: 'GET', url: `/api/v1/locations?limit=100${archived ? '&archived=true' : ''}`, headers: inWs(ws, session) });
  return response.json().data;
}

async function create(ws: number, name: string, extra: Record<string, unknown> = {}): Promise<LocationBody> {
  const response = await post(ws, { name, ...extra });
  if (response.statusCode !== 201) throw new Error(`create location ${name}: ${response.statusCode} ${response.body}`);
  return response.json().data;
}

async function details(ws: number): Promise<Record<string, any>> {
  return (await succeed(t, { method: 'GET', url: `/api/v1/workspaces/${ws}`, headers: owner.auth })).json().data;
}

async function rowCount(ws: number): Promise<number> {
  const rows = await t.db.selectFrom('locations').select('id').where('workspace_id', '=', ws).execute();
  return rows.length;
}

async function storedUsage(ws: number): Promise<number> {
  const row = await t.db.selectFrom('workspace_plans').select('locations_usage').where('workspace_id', '=', ws).executeTakeFirstOrThrow();
  return Number(row.locations_usage);
}

/** The API's usage figure, the stored counter and the row count agree. */
async function expectUsageMatchesRows(ws: number, expected?: number): Promise<void> {
  const rows = await rowCount(ws);
  if (expected !== undefined) expect(rows).toBe(expected);
  expect((await details(ws)).locations_usage).toBe(rows);
  expect(await storedUsage(ws)).toBe(rows);
}

async function auditCount(ws: number): Promise<number> {
  const rows = await t.db.selectFrom('audit_events').select('id').where('workspace_id', '=', ws).execute();
  return rows.length;
}

describe('the first location', () => {
  it('gives every new workspace one "Inventory" warehouse, named by default_location_id, counted as 1', async () => {
    const ws = await createWorkspace(t, owner, 'First Location Co');
    const live = await list(ws.id);
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ name: 'Inventory', type: 'warehouse', address: null, archived: false, archived_at: null, default_for: ['default_location_id'] });
    const shown = await details(ws.id);
    expect(shown.default_location_id).toBe(live[0]?.id);
    expect(shown).toMatchObject({ locations_usage: 1, users_usage: 1, plan: 'enterprise', stripe_id: null });
    expect(await list(ws.id, true)).toEqual([]);
    await expectUsageMatchesRows(ws.id, 1);
  });
});

describe('create, read, update, delete', () => {
  it('creates (201), reads (200), renames/retypes/moves (200) and deletes (200, then 404)', async () => {
    const ws = await createWorkspace(t, owner, 'Crud Co');
    const created = await post(ws.id, { name: '  North Van ', type: 'van', address: 'Calle 5, Santiago' });
    expect(created.statusCode, created.body).toBe(201);
    const van = created.json().data as LocationBody;
    expect(van).toMatchObject({ name: 'North Van', type: 'van', address: 'Calle 5, Santiago', archived: false, archived_at: null, default_for: [] });
    expect(van.id).toEqual(expect.any(Number));

    const read = await getOne(ws.id, van.id);
    expect(read.statusCode).toBe(200);
    expect(read.json().data).toEqual(van);
    expect((await list(ws.id)).map((l) => l.name).sort()).toEqual(['Inventory', 'North Van']);

    const renamed = await patch(ws.id, van.id, { name: 'South Truck', type: 'truck', address: null });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json().data).toMatchObject({ id: van.id, name: 'South Truck', type: 'truck', address: null });
    expect((await getOne(ws.id, van.id)).json().data).toMatchObject({ name: 'South Truck', type: 'truck', address: null });

    const removed = await del(ws.id, van.id);
    expect(removed.statusCode, removed.body).toBe(200);
    expect((await getOne(ws.id, van.id)).statusCode).toBe(404);
    expect((await del(ws.id, van.id)).statusCode).toBe(404);
    expect((await patch(ws.id, van.id, { name: 'Ghost' })).statusCode).toBe(404);
    await expectUsageMatchesRows(ws.id, 1);
  });

  it('takes the type from the default_location_type setting when none is sent', async () => {
    const ws = await createWorkspace(t, owner, 'Default Type Co');
    expect((await create(ws.id, 'Plain One')).type).toBe('warehouse');
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspaces/${ws.id}/settings`, headers: owner.auth, payload: { default_location_type: 'site' } });
    expect((await create(ws.id, 'Plain Two')).type).toBe('site');
    expect((await create(ws.id, 'Explicit', { type: 'other' })).type).toBe('other');
  });

  it('refuses bad input with 422 and writes nothing', async () => {
    const ws = await createWorkspace(t, owner, 'Bad Input Co');
    const audits = await auditCount(ws.id);
    for (const payload of [
      {},
      { name: '' },
      { name: '   ' },
      { name: 'x'.repeat(101) },
      { name: 'Bell\u0007' },
      { name: 'Boat', type: 'boat' },
      { name: 'Caps', type: 'Van' },
      { name: 'Addr', address: 'x'.repeat(501) },
      { name: 'Extra', colour: 'red' },
      { name: 42 },
    ]) {
      const response = await post(ws.id, payload);
      expect(response.statusCode, `${JSON.stringify(payload)} → ${response.body}`).toBe(422);
      expect(response.json().error.code).toBe('VALIDATION.FAILED');
    }
    expect((await post(ws.id, { name: 'x'.repeat(100), address: 'y'.repeat(500) })).statusCode).toBe(201);
    const inventory = (await list(ws.id)).find((l) => l.name === 'Inventory') as LocationBody;
    for (const payload of [{}, { name: '' }, { archived: 'yes' }, { type: 'boat' }, { id: 5 }]) {
      const response = await patch(ws.id, inventory.id, payload);
      expect(response.statusCode, `${JSON.stringify(payload)} → ${response.body}`).toBe(422);
    }
    expect(await auditCount(ws.id)).toBe(audits + 1);
    await expectUsageMatchesRows(ws.id, 2);
  });

  it('answers 404 for ids that name nothing here: another workspace’s location, huge or malformed ids (never 500)', async () => {
    const mine = await createWorkspace(t, owner, 'Mine Co');
    const stranger = await register(t, { name: 'Stranger' });
    const theirs = await createWorkspace(t, stranger, 'Theirs Co');
    const theirShelf = (
      await succeed(t, { method: 'POST', url: '/api/v1/locations', headers: inWs(theirs.id, stranger), payload: { name: 'Their Shelf' } }, 201)
    ).json().data as LocationBody;
    const ownOther = await createWorkspace(t, owner, 'Own Other Co');
    const otherShelf = await create(ownOther.id, 'Other Shelf');

    for (const id of [theirShelf.id, otherShelf.id, 9_999_999, 2_147_483_648, '9999999999999999']) {
      expect((await getOne(mine.id, id)).statusCode, `GET ${id}`).toBe(404);
      expect((await patch(mine.id, id, { name: 'Taken Over' })).statusCode, `PATCH ${id}`).toBe(404);
      expect((await del(mine.id, id)).statusCode, `DELETE ${id}`).toBe(404);
    }
    for (const id of ['abc', '0', '-1', '01', '1.5', '99999999999999999999']) {
      expect([400, 404, 422], `GET ${id}`).toContain((await getOne(mine.id, id)).statusCode);
    }
    // The other workspaces' locations are as they were.
    expect((await getOne(theirs.id, theirShelf.id, stranger)).json().data).toMatchObject({ name: 'Their Shelf', archived: false });
    expect((await getOne(ownOther.id, otherShelf.id)).json().data).toMatchObject({ name: 'Other Shelf', archived: false });
    // And the stranger's workspace is invisible to a user outside it (not a tenant owner or admin): 404, not 403.
    const outsider = await register(t, { name: 'Outsider' });
    expect((await t.request({ method: 'GET', url: '/api/v1/locations', headers: inWs(theirs.id, outsider) })).statusCode).toBe(404);
    expect((await post(theirs.id, { name: 'Planted' }, outsider)).statusCode).toBe(404);
    expect((await getOne(theirs.id, theirShelf.id, outsider)).statusCode).toBe(404);
  });
});

describe('names', () => {
  it('refuses a name taken in the workspace, whatever its case and surrounding or repeated spaces (409 LOCATION.NAME_TAKEN)', async () => {
    const ws = await createWorkspace(t, owner, 'Names Co');
    await create(ws.id, 'Main Van');
    for (const name of ['Main Van', 'main van', 'MAIN VAN', '  Main Van  ', 'Main  Van', 'main\u00a0van', 'ＭＡＩＮ ＶＡＮ', 'inventory', ' INVENTORY ']) {
      const response = await post(ws.id, { name });
      expect(response.statusCode, `${JSON.stringify(name)} → ${response.body}`).toBe(409);
      expect(response.json().error.code).toBe('LOCATION.NAME_TAKEN');
    }
    await expectUsageMatchesRows(ws.id, 2);
    // The same name in another workspace is fine.
    const other = await createWorkspace(t, owner, 'Names Other Co');
    expect((await post(other.id, { name: 'Main Van' })).statusCode).toBe(201);
  });

  it('refuses renaming onto a taken name (409) but allows renaming to a new case of its own name', async () => {
    const ws = await createWorkspace(t, owner, 'Rename Co');
    const a = await create(ws.id, 'Shelf A');
    await create(ws.id, 'Shelf B');
    const clash = await patch(ws.id, a.id, { name: ' shelf b ' });
    expect(clash.statusCode, clash.body).toBe(409);
    expect(clash.json().error.code).toBe('LOCATION.NAME_TAKEN');
    expect((await getOne(ws.id, a.id)).json().data.name).toBe('Shelf A');
    const recased = await patch(ws.id, a.id, { name: 'SHELF A' });
    expect(recased.statusCode, recased.body).toBe(200);
    expect(recased.json().data.name).toBe('SHELF A');
  });

  it('keeps an archived location’s name taken, and frees a deleted one’s', async () => {
    const ws = await createWorkspace(t, owner, 'Name Life Co');
    const archived = await create(ws.id, 'Old Depot');
    expect((await patch(ws.id, archived.id, { archived: true })).statusCode).toBe(200);
    expect((await post(ws.id, { name: 'old depot' })).statusCode).toBe(409);
    const deleted = await create(ws.id, 'Gone Depot');
    expect((await del(ws.id, deleted.id)).statusCode).toBe(200);
    expect((await post(ws.id, { name: 'GONE DEPOT' })).statusCode).toBe(201);
  });

  it('gives one 201 and 409s when the same name (in several spellings) is created concurrently', async () => {
    const ws = await createWorkspace(t, owner, 'Name Race Co');
    const responses = await Promise.all(['Race Van', 'race van', ' RACE VAN', 'Race  Van', 'rACE vAN'].map((name) => post(ws.id, { name })));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409]);
    await expectUsageMatchesRows(ws.id, 2);
  });
});

describe('archiving', () => {
  it('archives and unarchives: archived ones leave the default list for ?archived=true, and keep their place in the plan', async () => {
    const ws = await createWorkspace(t, owner, 'Archive Co');
    const depot = await create(ws.id, 'Depot');
    const archived = await patch(ws.id, depot.id, { archived: true });
    expect(archived.statusCode, archived.body).toBe(200);
    expect(archived.json().data).toMatchObject({ id: depot.id, archived: true, archived_at: expect.any(String) });
    expect((await list(ws.id)).map((l) => l.id)).not.toContain(depot.id);
    expect((await list(ws.id, true)).map((l) => l.id)).toEqual([depot.id]);
    expect((await getOne(ws.id, depot.id)).json().data.archived).toBe(true);
    await expectUsageMatchesRows(ws.id, 2);

    const back = await patch(ws.id, depot.id, { archived: false });
    expect(back.statusCode).toBe(200);
    expect(back.json().data).toMatchObject({ archived: false, archived_at: null });
    expect((await list(ws.id)).map((l) => l.id)).toContain(depot.id);
    expect(await list(ws.id, true)).toEqual([]);
  });

  it('refuses to archive or delete a location a default names (409 LOCATION.IS_DEFAULT), until the default moves', async () => {
    const ws = await createWorkspace(t, owner, 'Defaults Co');
    const inventory = (await list(ws.id))[0] as LocationBody;
    const audits = await auditCount(ws.id);
    for (const response of [await patch(ws.id, inventory.id, { archived: true }), await del(ws.id, inventory.id)]) {
      expect(response.statusCode, response.body).toBe(409);
      expect(response.json().error.code).toBe('LOCATION.IS_DEFAULT');
    }
    expect((await getOne(ws.id, inventory.id)).json().data).toMatchObject({ archived: false, default_for: ['default_location_id'] });
    expect(await auditCount(ws.id)).toBe(audits);

    // The other two defaults protect their location too.
    const source = await create(ws.id, 'Invoice Source');
    const transfer = await create(ws.id, 'Transfer From');
    await succeed(t, {
      method: 'PATCH',
      url: `/api/v1/workspaces/${ws.id}/settings`,
      headers: owner.auth,
      payload: { default_invoice_source_location_id: source.id, default_transfer_from_location_id: transfer.id },
    });
    expect((await getOne(ws.id, source.id)).json().data.default_for).toEqual(['default_invoice_source_location_id']);
    expect((await getOne(ws.id, transfer.id)).json().data.default_for).toEqual(['default_transfer_from_location_id']);
    for (const id of [source.id, transfer.id]) {
      expect((await patch(ws.id, id, { archived: true })).json().error?.code).toBe('LOCATION.IS_DEFAULT');
      expect((await del(ws.id, id)).json().error?.code).toBe('LOCATION.IS_DEFAULT');
    }
    // Renaming a default is fine; un-archiving (already live) is fine.
    expect((await patch(ws.id, inventory.id, { name: 'Main Inventory', archived: false })).statusCode).toBe(200);

    // Move every default to `source`: Inventory and `transfer` may now go.
    await succeed(t, {
      method: 'PATCH',
      url: `/api/v1/workspaces/${ws.id}/settings`,
      headers: owner.auth,
      payload: { default_location_id: source.id, default_transfer_from_location_id: source.id },
    });
    expect([...(await getOne(ws.id, source.id)).json().data.default_for].sort()).toEqual([
      'default_invoice_source_location_id',
      'default_location_id',
      'default_transfer_from_location_id',
    ]);
    expect((await patch(ws.id, inventory.id, { archived: true })).statusCode).toBe(200);
    expect((await del(ws.id, transfer.id)).statusCode).toBe(200);
    expect((await del(ws.id, inventory.id)).statusCode).toBe(200);
    await expectUsageMatchesRows(ws.id, 1);
  });
});

describe('the plan’s locations limit', () => {
  it('answers 402 PLAN.LIMIT_REACHED at the limit with nothing written; a delete frees a place, an archive does not', async () => {
    const ws = await createWorkspace(t, owner, 'Limited Co');
    // A plan of this database only this test uses: 3 locations (Inventory and two more).
    await planAdministration.setLimits(t.db, 'advanced', { locations: 3 });
    await planAdministration.assign(t.db, ws.id, { plan_key: 'advanced' });
    expect(await details(ws.id)).toMatchObject({ plan: 'advanced', locations_limit: 3, locations_usage: 1 });

    const first = await create(ws.id, 'Second Place');
    await create(ws.id, 'Third Place');
    await expectUsageMatchesRows(ws.id, 3);

    const before = { live: await list(ws.id), archived: await list(ws.id, true), audits: await auditCount(ws.id), details: await details(ws.id) };
    const refused = await post(ws.id, { name: 'Fourth Place', type: 'van' });
    expect(refused.statusCode, refused.body).toBe(402);
    expect(refused.json().error).toMatchObject({ code: 'PLAN.LIMIT_REACHED', details: { limit: 'locations_limit', plan: 'advanced', allowed: 3 } });
    // Nothing written: no row, no audit event, the counter unmoved, and the name still free.
    expect(await list(ws.id)).toEqual(before.live);
    expect(await list(ws.id, true)).toEqual(before.archived);
    expect(await auditCount(ws.id)).toBe(before.audits);
    expect(await details(ws.id)).toEqual(before.details);
    await expectUsageMatchesRows(ws.id, 3);

    // Archiving does not free a place.
    expect((await patch(ws.id, first.id, { archived: true })).statusCode).toBe(200);
    expect((await post(ws.id, { name: 'Fourth Place' })).statusCode).toBe(402);
    await expectUsageMatchesRows(ws.id, 3);

    // Deleting (the archived one) does.
    expect((await del(ws.id, first.id)).statusCode).toBe(200);
    await expectUsageMatchesRows(ws.id, 2);
    expect((await post(ws.id, { name: 'Fourth Place' })).statusCode).toBe(201);
    await expectUsageMatchesRows(ws.id, 3);
    expect((await post(ws.id, { name: 'Fifth Place' })).statusCode).toBe(402);

    // A raised limit applies at once; a lowered one refuses new places but removes none.
    await planAdministration.setLimits(t.db, 'advanced', { locations: 4 });
    expect((await post(ws.id, { name: 'Fifth Place' })).statusCode).toBe(201);
    await planAdministration.setLimits(t.db, 'advanced', { locations: 2 });
    expect((await post(ws.id, { name: 'Sixth Place' })).statusCode).toBe(402);
    await expectUsageMatchesRows(ws.id, 4);
    expect(await details(ws.id)).toMatchObject({ locations_limit: 2, locations_usage: 4 });
  });

  it('keeps the usage figure equal to the row count over a run of creates and deletes', async () => {
    const ws = await createWorkspace(t, owner, 'Counting Co');
    const made: number[] = [];
    for (let i = 0; i < 12; i += 1) {
      made.push((await create(ws.id, `Bin ${i}`)).id);
      if (i % 3 === 2) {
        const victim = made.splice(i % 2, 1)[0] as number;
        expect((await del(ws.id, victim)).statusCode).toBe(200);
      }
      await expectUsageMatchesRows(ws.id, 1 + made.length);
    }
    // Concurrent creates and deletes in one app.
    const results = await Promise.all([
      ...made.slice(0, 4).map((id) => del(ws.id, id)),
      ...Array.from({ length: 6 }, (_, i) => post(ws.id, { name: `Burst ${i}` })),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 201, 201, 201, 201, 201, 201]);
    await expectUsageMatchesRows(ws.id, 1 + made.length - 4 + 6);
  });
});

describe('who may do what', () => {
  it('lets a built-in member and viewer list and read but not create, edit or delete (403), changing nothing', async () => {
    const ws = await createWorkspace(t, owner, 'Roles Co');
    const shelf = await create(ws.id, 'Shelf');
    const member = await register(t, { name: 'Member' });
    const viewer = await register(t, { name: 'Viewer' });
    const admin = await register(t, { name: 'Admin' });
    await addMembership(t, ws.id, member.userId, 'member');
    await addMembership(t, ws.id, viewer.userId, 'viewer');
    await addMembership(t, ws.id, admin.userId, 'admin');

    for (const session of [member, viewer]) {
      expect((await list(ws.id, false, session)).map((l) => l.name).sort()).toEqual(['Inventory', 'Shelf']);
      expect((await getOne(ws.id, shelf.id, session)).statusCode).toBe(200);
      const created = await post(ws.id, { name: 'Not Allowed' }, session);
      expect(created.statusCode, created.body).toBe(403);
      expect((await patch(ws.id, shelf.id, { name: 'Renamed' }, session)).statusCode).toBe(403);
      expect((await patch(ws.id, shelf.id, { archived: true }, session)).statusCode).toBe(403);
      expect((await del(ws.id, shelf.id, session)).statusCode).toBe(403);
    }
    await expectUsageMatchesRows(ws.id, 2);
    expect((await getOne(ws.id, shelf.id)).json().data).toMatchObject({ name: 'Shelf', archived: false });

    // The built-in admin may.
    expect((await post(ws.id, { name: 'Admin Shelf' }, admin)).statusCode).toBe(201);
    // Anonymous: 401.
    expect((await t.request({ method: 'GET', url: '/api/v1/locations', headers: { 'x-workspace-id': String(ws.id) } })).statusCode).toBe(401);
  });
});
