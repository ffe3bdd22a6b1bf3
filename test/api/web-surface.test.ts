/**
 * Seed 003's `/web/v1` surface, from outside. Each route is the twin of an `/api/v1` route
 * over the same service, so beyond one test per route and per error of the seed, a parity
 * table drives every rule the two share through both surfaces from the same starting
 * state: a rule that drifts on one surface only shows as a row whose two answers differ.
 * Around the routes: the workspace named in the path is the request's context (invisible
 * is 404, whatever the reason), the tenant's portal access code gates the whole surface
 * before any credential is looked at, bad and expired JWTs carry legacy_code 4010, and
 * signing in enters the default workspace.
 */
import type { InjectOptions } from 'fastify';
import { UnsecuredJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import {
  addMembership,
  createTenant,
  createWorkspace,
  register,
  signInAgain,
  startTestApp,
  succeed,
  uniqueEmail,
  type Session,
  type TestApp,
} from '../support/test-app.ts';

const WEB = '/web/v1';
const PORTAL_HEADER = 'x-portal-access-code';
/** Access tokens live 15 minutes; one second more and they are expired. */
const PAST_ACCESS_TOKEN_LIFETIME_MS = 901_000;
const DAY_MS = 24 * 3600 * 1000;
const BIZ_ID = /^ws_[A-Za-z0-9_-]{16}$/;
/** Ids that name no workspace, in the right form for each kind of path parameter. */
const UNKNOWN = { id: '987654321', biz_id: `ws_${'Q'.repeat(16)}` } as const;

/** A tenant whose workspaces must never show through the default tenant's paths. */
const ELSEWHERE = 'web-elsewhere';
/** A tenant with max_owned_workspaces_per_user = 1. */
const LIMITED = 'web-limited';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Headers = Record<string, string>;
type Reply = Awaited<ReturnType<TestApp['request']>>;
interface Workspace {
  id: number;
  biz_id: string;
  name: string;
}

let t: TestApp;
/** Regular users of the default tenant (no view_all_locations), cast into fresh workspaces by `team`. */
let cast: { owner: Session; admin: Session; member: Session; viewer: Session; stranger: Session };
let foreignOwner: Session;
let foreignWorkspace: Workspace;

beforeAll(async () => {
  t = await startTestApp({ env: { INVITATION_RATE_LIMIT_MAX: '100000', INVITATION_RECIPIENT_RATE_LIMIT_MAX: '100000' } });
  // The first user of a tenant owns it and sees all its workspaces; the cast must see only their own.
  await register(t, { name: 'Tenant Owner' });
  cast = {
    owner: await register(t, { name: 'Owner' }),
    admin: await register(t, { name: 'Admin' }),
    member: await register(t, { name: 'Member' }),
    viewer: await register(t, { name: 'Viewer' }),
    stranger: await register(t, { name: 'Stranger' }),
  };
  await createTenant(t, ELSEWHERE);
  foreignOwner = await register(t, { name: 'Foreign Owner', tenant: ELSEWHERE });
  foreignWorkspace = await createWorkspace(t, foreignOwner, 'Elsewhere HQ', { 'x-tenant': ELSEWHERE });
  await createTenant(t, LIMITED);
  const limitedOwner = await register(t, { tenant: LIMITED });
  await succeed(t, {
    method: 'PATCH',
    url: '/api/v1/tenant',
    headers: { ...limitedOwner.auth, 'x-tenant': LIMITED },
    payload: { max_owned_workspaces_per_user: 1 },
  });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

// ---- requests ------------------------------------------------------------------------------

function send(method: Method, url: string, headers: Headers, payload?: object): Promise<Reply> {
  return t.request({ method, url, headers, ...(payload === undefined ? {} : { payload }) });
}

const inWs = (session: Session, workspaceId: number): Headers => ({ ...session.auth, 'x-workspace-id': String(workspaceId) });

function errorOf(reply: Reply): { code: string; details?: Record<string, unknown>; legacy_code?: number } {
  return reply.json().error;
}

function expectError(reply: Reply, status: number, code: string): void {
  expect(reply.statusCode, reply.body).toBe(status);
  expect(errorOf(reply).code, reply.body).toBe(code);
}

let nameSeq = 0;
/** Workspace names are unique per tenant; every test takes its own. */
function uniqueName(label: string): string {
  nameSeq += 1;
  return `${label} ${nameSeq}`;
}

/** A fresh workspace of cast.owner with cast.admin, cast.member and cast.viewer in their roles: the same starting state every time. */
async function team(label = 'Team'): Promise<Workspace> {
  const ws = await createWorkspace(t, cast.owner, uniqueName(label));
  await addMembership(t, ws.id, cast.admin.userId, 'admin');
  await addMembership(t, ws.id, cast.member.userId, 'member');
  await addMembership(t, ws.id, cast.viewer.userId, 'viewer');
  return ws;
}

async function createRoleThroughApi(workspaceId: number, permissions: string[], by: Session = cast.owner): Promise<string> {
  nameSeq += 1;
  const name = `role_${nameSeq}`;
  await succeed(t, { method: 'POST', url: '/api/v1/roles', headers: inWs(by, workspaceId), payload: { name, display_name: name, permissions } }, 201);
  return name;
}

async function roleOf(workspaceId: number, userId: number): Promise<string | undefined> {
  const row = await t.db.selectFrom('memberships').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role;
}

async function pointers(session: Session, headers: Headers = {}) {
  const me = await succeed(t, { method: 'GET', url: '/api/v1/me', headers: { ...session.auth, ...headers } });
  const { current_workspace_id: current, default_workspace_id: byDefault } = me.json().data as Record<string, number | null>;
  return { current, byDefault };
}

/**
 * The /web/v1 routes that name a workspace in their path, each as a request naming `ref`
 * (an id or a biz_id, according to `by`), sent by cast.owner unless the caller says otherwise.
 */
const PATH_NAMED: Array<{ route: string; by: 'id' | 'biz_id'; method: Method; path: (ref: string) => string; payload?: () => object }> = [
  { route: 'POST /tenant/workspaces/{workspaceBizId}/default', by: 'biz_id', method: 'POST', path: (ref) => `/tenant/workspaces/${ref}/default` },
  { route: 'POST /tenant/workspaces/{workspaceBizId}/leave', by: 'biz_id', method: 'POST', path: (ref) => `/tenant/workspaces/${ref}/leave` },
  { route: 'GET /workspaces/{workspaceId}/roles', by: 'id', method: 'GET', path: (ref) => `/workspaces/${ref}/roles` },
  {
    route: 'POST /workspaces/{workspaceId}/roles',
    by: 'id',
    method: 'POST',
    path: (ref) => `/workspaces/${ref}/roles`,
    payload: () => ({ name: 'path_probe', display_name: 'Path probe', permissions: ['members:view'] }),
  },
  {
    route: 'POST /workspaces/{workspaceBizId}/invitations',
    by: 'biz_id',
    method: 'POST',
    path: (ref) => `/workspaces/${ref}/invitations`,
    payload: () => ({ email: 'path.probe@example.com', role: 'member' }),
  },
  {
    route: 'POST /workspaces/{workspaceId}/members/role/change',
    by: 'id',
    method: 'POST',
    path: (ref) => `/workspaces/${ref}/members/role/change`,
    payload: () => ({ user_id: foreignOwner.userId, role: 'viewer' }),
  },
];

const refOf = (ws: Workspace, by: 'id' | 'biz_id') => (by === 'id' ? String(ws.id) : ws.biz_id);

/** What a workspace's rows look like, to prove that refused requests changed nothing in it. */
async function snapshotOf(workspaceId: number) {
  const [roles, memberships, invitations, pointing] = await Promise.all([
    t.db
      .selectFrom('roles as r')
      .leftJoin('role_permissions as p', 'p.role_id', 'r.id')
      .select(['r.name', 'p.permission'])
      .where('r.workspace_id', '=', workspaceId)
      .orderBy('r.name')
      .orderBy('p.permission')
      .execute(),
    t.db.selectFrom('memberships').select(['user_id', 'role']).where('workspace_id', '=', workspaceId).orderBy('user_id').execute(),
    t.db.selectFrom('invitations').select(['email_key', 'status']).where('workspace_id', '=', workspaceId).orderBy('id').execute(),
    t.db
      .selectFrom('users')
      .select(['id', 'current_workspace_id', 'default_workspace_id'])
      .where((eb) => eb.or([eb('current_workspace_id', '=', workspaceId), eb('default_workspace_id', '=', workspaceId)]))
      .orderBy('id')
      .execute(),
  ]);
  return { roles, memberships, invitations, pointing };
}

// ---- the routes ----------------------------------------------------------------------------

describe('GET /web/v1/tenant/workspaces/mine', () => {
  it('lists, page for page, what GET /api/v1/workspaces lists (200), and an empty list for a user in no workspace', async () => {
    const user = await register(t);
    const owned = [await createWorkspace(t, user, uniqueName('Mine')), await createWorkspace(t, user, uniqueName('Mine'))];
    const joined = await createWorkspace(t, cast.owner, uniqueName('Joined'));
    await addMembership(t, joined.id, user.userId, 'viewer');
    const unrelated = await createWorkspace(t, cast.owner, uniqueName('Unrelated'));

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const web = await send('GET', `${WEB}/tenant/workspaces/mine${query}`, user.auth);
      const api = await send('GET', `/api/v1/workspaces${query}`, user.auth);
      expect(web.statusCode, web.body).toBe(200);
      expect(web.json()).toEqual(api.json());
      for (const workspace of web.json().data) {
        expect(workspace.biz_id).toMatch(BIZ_ID);
        seen.push(workspace.id);
      }
      cursor = web.json().meta.next_cursor;
    } while (cursor !== null);
    expect(seen.sort((x, y) => x - y)).toEqual([...owned.map((w) => w.id), joined.id].sort((x, y) => x - y));
    expect(seen).not.toContain(unrelated.id);

    const newcomer = await register(t);
    const empty = await send('GET', `${WEB}/tenant/workspaces/mine`, newcomer.auth);
    expect(empty.statusCode).toBe(200);
    expect(empty.json()).toEqual({ data: [], meta: { next_cursor: null } });
  });

  it('refuses a limit out of 1–100 and a forged cursor with 422, as /api/v1 does', async () => {
    for (const query of ['?limit=0', '?limit=101', '?cursor=bm9wZQ']) {
      const web = await send('GET', `${WEB}/tenant/workspaces/mine${query}`, cast.owner.auth);
      const api = await send('GET', `/api/v1/workspaces${query}`, cast.owner.auth);
      expect(web.statusCode, query).toBe(422);
      expect(errorOf(web).code).toBe(errorOf(api).code);
    }
  });
});

describe('POST /web/v1/tenant/workspaces/{workspaceBizId}/default', () => {
  it('makes the workspace the caller’s default (200 with the /api/v1 message), shown by GET /api/v1/me', async () => {
    const ws = await team('Default');
    const other = await team('Not Default');
    const viaApi = await succeed(t, { method: 'POST', url: `/api/v1/workspaces/${other.id}/default`, headers: cast.member.auth });
    expect((await pointers(cast.member)).byDefault).toBe(other.id);

    const viaWeb = await send('POST', `${WEB}/tenant/workspaces/${ws.biz_id}/default`, cast.member.auth);
    expect(viaWeb.statusCode, viaWeb.body).toBe(200);
    expect(viaWeb.json()).toEqual({ message: viaApi.json().message });
    expect(viaWeb.headers['x-workspace-id']).toBe(String(ws.id));
    expect((await pointers(cast.member)).byDefault).toBe(ws.id);
  });
});

describe('POST /web/v1/tenant/workspaces/{workspaceBizId}/leave', () => {
  it('lets a member leave (200), forgetting the current and default workspace that named it; the owner gets 409 WORKSPACE.OWNER_CANNOT_LEAVE', async () => {
    const ws = await team('Leave');
    const leaver = await register(t);
    await addMembership(t, ws.id, leaver.userId, 'member');
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspace-context/${ws.id}`, headers: leaver.auth });
    await succeed(t, { method: 'POST', url: `/api/v1/workspaces/${ws.id}/default`, headers: leaver.auth });
    expect(await pointers(leaver)).toEqual({ current: ws.id, byDefault: ws.id });

    const ownerLeaves = await send('POST', `${WEB}/tenant/workspaces/${ws.biz_id}/leave`, cast.owner.auth);
    expectError(ownerLeaves, 409, 'WORKSPACE.OWNER_CANNOT_LEAVE');
    expect(await roleOf(ws.id, cast.owner.userId)).toBe('owner');

    const leaves = await send('POST', `${WEB}/tenant/workspaces/${ws.biz_id}/leave`, leaver.auth);
    expect(leaves.statusCode, leaves.body).toBe(200);
    expect(leaves.json()).toEqual({ message: 'You left the workspace.' });
    expect(leaves.headers['x-workspace-id']).toBe(String(ws.id));
    expect(await roleOf(ws.id, leaver.userId)).toBeUndefined();
    expect(await pointers(leaver)).toEqual({ current: null, byDefault: null });
    // No longer a member, the workspace is invisible to them.
    expectError(await send('POST', `${WEB}/tenant/workspaces/${ws.biz_id}/leave`, leaver.auth), 404, 'WORKSPACE.NOT_FOUND');
  });

  it('keeps the current and default workspace when they name another one', async () => {
    const left = await team('Left Behind');
    const home = await team('Still Home');
    const leaver = await register(t);
    await addMembership(t, left.id, leaver.userId, 'member');
    await addMembership(t, home.id, leaver.userId, 'member');
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspace-context/${home.id}`, headers: leaver.auth });
    await succeed(t, { method: 'POST', url: `/api/v1/workspaces/${home.id}/default`, headers: leaver.auth });

    await succeed(t, { method: 'POST', url: `${WEB}/tenant/workspaces/${left.biz_id}/leave`, headers: leaver.auth });
    expect(await pointers(leaver)).toEqual({ current: home.id, byDefault: home.id });
  });
});

describe('POST /web/v1/workspaces/self', () => {
  it('creates a workspace the caller owns and enters (201 {data, message}); a name taken in the tenant is 409 WORKSPACE.NAME_TAKEN', async () => {
    const user = await register(t);
    const name = uniqueName('Self Service');
    const created = await send('POST', `${WEB}/workspaces/self`, user.auth, { name, slug: `self-service-${nameSeq}` });
    expect(created.statusCode, created.body).toBe(201);
    const { data, message } = created.json();
    expect(message).toBe('Workspace created successfully.');
    expect(data).toMatchObject({ name, slug: `self-service-${nameSeq}` });
    expect(data.biz_id).toMatch(BIZ_ID);
    expect(await roleOf(data.id, user.userId)).toBe('owner');
    expect((await pointers(user)).current).toBe(data.id);
    const read = await succeed(t, { method: 'GET', url: `/api/v1/workspaces/${data.id}`, headers: user.auth });
    expect(read.json().data).toMatchObject({ id: data.id, biz_id: data.biz_id, is_owner: true });

    const rival = await register(t);
    const taken = await send('POST', `${WEB}/workspaces/self`, rival.auth, { name: `${name.toUpperCase()} ` });
    expectError(taken, 409, 'WORKSPACE.NAME_TAKEN');
    expect(await pointers(rival)).toEqual({ current: null, byDefault: null });
  });

  it('refuses a second owned workspace at the tenant’s max_owned_workspaces_per_user with 409 WORKSPACE.ALREADY_OWNS_WORKSPACE', async () => {
    const user = await register(t, { tenant: LIMITED });
    const headers = { ...user.auth, 'x-tenant': LIMITED };
    const first = await send('POST', `${WEB}/workspaces/self`, headers, { name: uniqueName('Only Owned') });
    expect(first.statusCode, first.body).toBe(201);
    const second = await send('POST', `${WEB}/workspaces/self`, headers, { name: uniqueName('One Too Many') });
    expectError(second, 409, 'WORKSPACE.ALREADY_OWNS_WORKSPACE');
    const owned = await t.db.selectFrom('memberships').select('workspace_id').where('user_id', '=', user.userId).where('role', '=', 'owner').execute();
    expect(owned).toEqual([{ workspace_id: first.json().data.id }]);
  });
});

describe('GET /web/v1/workspaces/{workspaceId}/roles', () => {
  it('lists the roles GET /api/v1/roles lists in that workspace (200), whatever the caller’s current workspace', async () => {
    const ws = await team('Roles Listed');
    await createRoleThroughApi(ws.id, ['members:view']);
    // Created last, this one is the owner's current workspace: the path must win over it.
    await team('Current Elsewhere');
    for (const caller of [cast.owner, cast.member, cast.viewer]) {
      const web = await send('GET', `${WEB}/workspaces/${ws.id}/roles?limit=100`, caller.auth);
      const api = await send('GET', '/api/v1/roles?limit=100', inWs(caller, ws.id));
      expect(web.statusCode, web.body).toBe(200);
      expect(web.json()).toEqual(api.json());
      expect(web.headers['x-workspace-id']).toBe(String(ws.id));
    }
    const names = (await send('GET', `${WEB}/workspaces/${ws.id}/roles`, cast.owner.auth)).json().data.map((r: { name: string }) => r.name);
    expect(names).toEqual(expect.arrayContaining(['owner', 'admin', 'member', 'viewer']));
  });
});

describe('POST /web/v1/workspaces/{workspaceId}/roles', () => {
  it('creates a custom role in that workspace (201); the same name again is 409 WORKSPACE.ROLE_NAME_EXISTS', async () => {
    const ws = await team('Roles Created');
    const current = await team('Roles Not Here');
    const body = { name: 'stock_clerk', display_name: 'Stock clerk', permissions: ['stock:view', 'stock:edit'] };
    const created = await send('POST', `${WEB}/workspaces/${ws.id}/roles`, cast.owner.auth, body);
    expect(created.statusCode, created.body).toBe(201);
    const { permissions, ...named } = body;
    expect(created.json()).toMatchObject({ data: { ...named, is_builtin: false }, message: 'Role created successfully.' });
    expect([...created.json().data.permissions].sort()).toEqual([...permissions].sort());
    expect(created.headers['x-workspace-id']).toBe(String(ws.id));
    const listed = (await send('GET', '/api/v1/roles?limit=100', inWs(cast.owner, ws.id))).json().data;
    expect(listed.map((r: { name: string }) => r.name)).toContain('stock_clerk');
    const elsewhere = (await send('GET', '/api/v1/roles?limit=100', inWs(cast.owner, current.id))).json().data;
    expect(elsewhere.map((r: { name: string }) => r.name)).not.toContain('stock_clerk');

    const again = await send('POST', `${WEB}/workspaces/${ws.id}/roles`, cast.admin.auth, { ...body, display_name: 'Another clerk' });
    expectError(again, 409, 'WORKSPACE.ROLE_NAME_EXISTS');
  });

  it('refuses a role granting a permission the caller lacks with 403 AUTH.FORBIDDEN naming it, and creates nothing', async () => {
    const ws = await team('No Escalation');
    const response = await send('POST', `${WEB}/workspaces/${ws.id}/roles`, cast.admin.auth, {
      name: 'sneaky',
      display_name: 'Sneaky',
      permissions: ['members:view', 'workspaces:delete'],
    });
    expectError(response, 403, 'AUTH.FORBIDDEN');
    expect(errorOf(response).details).toMatchObject({ permission: 'workspaces:delete' });
    const roles = await t.db.selectFrom('roles').select('name').where('workspace_id', '=', ws.id).where('name', '=', 'sneaky').execute();
    expect(roles).toEqual([]);
  });
});

describe('POST /web/v1/workspaces/{workspaceBizId}/invitations', () => {
  it('invites with the /api/v1 shape (201); a second pending invitation for the same address is 409 WORKSPACE.INVITATION_EXISTS', async () => {
    const ws = await team('Invitations');
    const email = uniqueEmail('web.invitee');
    const before = t.clock.now().getTime();
    const created = await send('POST', `${WEB}/workspaces/${ws.biz_id}/invitations`, cast.admin.auth, { email, role: 'viewer' });
    expect(created.statusCode, created.body).toBe(201);
    const { data, message } = created.json();
    expect(message).toBe('Invitation sent successfully.');
    expect(data).toMatchObject({ email, role: 'viewer', status: 'pending' });
    expect(data.token).toMatch(/^inv_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(data.expires_at) - before).toBe(7 * DAY_MS);
    expect(created.headers['x-workspace-id']).toBe(String(ws.id));
    const stored = await t.db.selectFrom('invitations').select(['workspace_id', 'status']).where('id', '=', data.id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ workspace_id: ws.id, status: 'pending' });

    const again = await send('POST', `${WEB}/workspaces/${ws.biz_id}/invitations`, cast.owner.auth, { email: email.toUpperCase(), role: 'member' });
    expectError(again, 409, 'WORKSPACE.INVITATION_EXISTS');
    const pending = await t.db.selectFrom('invitations').select('id').where('workspace_id', '=', ws.id).where('status', '=', 'pending').execute();
    expect(pending).toHaveLength(1);
  });
});

describe('POST /web/v1/workspaces/{workspaceId}/members/role/change', () => {
  it('changes a member’s role (200 with the message of PUT /api/v1/members/{user_id})', async () => {
    const ws = await team('Role Change');
    const viaWeb = await send('POST', `${WEB}/workspaces/${ws.id}/members/role/change`, cast.admin.auth, { user_id: cast.member.userId, role: 'viewer' });
    expect(viaWeb.statusCode, viaWeb.body).toBe(200);
    expect(viaWeb.headers['x-workspace-id']).toBe(String(ws.id));
    expect(await roleOf(ws.id, cast.member.userId)).toBe('viewer');
    const viaApi = await succeed(t, { method: 'PUT', url: `/api/v1/members/${cast.member.userId}`, headers: inWs(cast.admin, ws.id), payload: { role: 'member' } });
    expect(viaWeb.json()).toEqual({ message: viaApi.json().message });
  });

  it('refuses the owner’s role with 409 MEMBER.IS_OWNER and a user who is not a member with 404 MEMBER.NOT_FOUND', async () => {
    const ws = await team('Role Change Refusals');
    const url = `${WEB}/workspaces/${ws.id}/members/role/change`;
    expectError(await send('POST', url, cast.admin.auth, { user_id: cast.owner.userId, role: 'member' }), 409, 'MEMBER.IS_OWNER');
    expect(await roleOf(ws.id, cast.owner.userId)).toBe('owner');
    // Unknown, of this tenant but not a member, of another tenant, beyond any stored id: all the same.
    for (const userId of [987654321, cast.stranger.userId, foreignOwner.userId, 2 ** 53]) {
      expectError(await send('POST', url, cast.admin.auth, { user_id: userId, role: 'viewer' }), 404, 'MEMBER.NOT_FOUND');
    }
    expect(await roleOf(ws.id, cast.stranger.userId)).toBeUndefined();
  });

  it('refuses a role the caller could not grant with 403 AUTH.FORBIDDEN naming the permission, changing nothing', async () => {
    const ws = await team('Role Change Grants');
    const coOwner = await createRoleThroughApi(ws.id, ['workspaces:edit']);
    const response = await send('POST', `${WEB}/workspaces/${ws.id}/members/role/change`, cast.admin.auth, { user_id: cast.member.userId, role: coOwner });
    expectError(response, 403, 'AUTH.FORBIDDEN');
    expect(errorOf(response).details).toMatchObject({ permission: 'workspaces:edit' });
    expect(await roleOf(ws.id, cast.member.userId)).toBe('member');
  });
});

// ---- the workspace in the path -------------------------------------------------------------

describe('the workspace named in the path', () => {
  it('answers one and the same 404 WORKSPACE.NOT_FOUND for a workspace the caller is not in, a malformed id or biz_id and an unknown one', async () => {
    const own = await team('Path Own');
    const notMine = await createWorkspace(t, cast.stranger, uniqueName('Path Not Mine'));
    const before = await snapshotOf(notMine.id);
    for (const { route, by, method, path, payload } of PATH_NAMED) {
      const unknown = await send(method, `${WEB}${path(UNKNOWN[by])}`, cast.owner.auth, payload?.());
      expectError(unknown, 404, 'WORKSPACE.NOT_FOUND');
      const malformed =
        by === 'id'
          ? ['01', 'abc', '1e3', '-1', '99999999999999999', own.biz_id]
          : ['nope', 'ws_', `ws_${'a'.repeat(65)}`, 'ws_a.b', String(own.id)];
      for (const ref of [refOf(notMine, by), ...malformed]) {
        const response = await send(method, `${WEB}${path(ref)}`, cast.owner.auth, payload?.());
        expect(response.statusCode, `${route} with ${ref}: ${response.body}`).toBe(404);
        expect(response.json(), `${route} with ${ref}`).toEqual(unknown.json());
      }
    }
    expect(await snapshotOf(notMine.id)).toEqual(before);
  });

  it('sends a member without the route’s permission away with 403 AUTH.FORBIDDEN naming it', async () => {
    const ws = await team('Path Permissions');
    const cases = [
      { url: `${WEB}/workspaces/${ws.id}/roles`, payload: { name: 'viewer_made', display_name: 'Viewer made', permissions: ['members:view'] }, permission: 'roles:manage' },
      { url: `${WEB}/workspaces/${ws.biz_id}/invitations`, payload: { email: uniqueEmail('by.viewer'), role: 'viewer' }, permission: 'invitations:create' },
      { url: `${WEB}/workspaces/${ws.id}/members/role/change`, payload: { user_id: cast.member.userId, role: 'viewer' }, permission: 'members:manage' },
    ];
    const before = await snapshotOf(ws.id);
    for (const { url, payload, permission } of cases) {
      const response = await send('POST', url, cast.viewer.auth, payload);
      expectError(response, 403, 'AUTH.FORBIDDEN');
      expect(errorOf(response).details, url).toMatchObject({ permission });
    }
    expect(await snapshotOf(ws.id)).toEqual(before);
  });
});

describe('tenant isolation on /web/v1', () => {
  it('answers another tenant’s workspace id and biz_id with the 404 an unknown id gets, in both directions, and changes nothing there', async () => {
    const own = await team('Isolation Own');
    const foreignBefore = await snapshotOf(foreignWorkspace.id);
    const ownBefore = await snapshotOf(own.id);
    const directions = [
      { caller: cast.owner.auth, target: foreignWorkspace },
      { caller: { ...foreignOwner.auth, 'x-tenant': ELSEWHERE }, target: own },
    ];
    for (const { caller, target } of directions) {
      for (const { route, by, method, path, payload } of PATH_NAMED) {
        const unknown = await send(method, `${WEB}${path(UNKNOWN[by])}`, caller, payload?.());
        const crossed = await send(method, `${WEB}${path(refOf(target, by))}`, caller, payload?.());
        expect(crossed.statusCode, `${route}: ${crossed.body}`).toBe(404);
        expect(crossed.json(), route).toEqual(unknown.json());
        expect(errorOf(crossed).code).toBe('WORKSPACE.NOT_FOUND');
      }
    }
    expect(await snapshotOf(foreignWorkspace.id)).toEqual(foreignBefore);
    expect(await snapshotOf(own.id)).toEqual(ownBefore);
  });
});

// ---- the portal access code ----------------------------------------------------------------

describe('the portal access code', () => {
  const PORTAL = 'web-portal';
  const CODE = 'some-code-123';
  let portalOwner: Session;
  let collaborator: Session;
  let portalWs: Workspace;
  const inPortal = (session: Session | undefined, code?: string): Headers => ({
    ...session?.auth,
    'x-tenant': PORTAL,
    ...(code === undefined ? {} : { [PORTAL_HEADER]: code }),
  });

  beforeAll(async () => {
    await createTenant(t, PORTAL);
    portalOwner = await register(t, { name: 'Portal Owner', tenant: PORTAL });
    collaborator = await register(t, { name: 'Portal Collaborator', tenant: PORTAL });
    portalWs = await createWorkspace(t, portalOwner, 'Portal HQ', { 'x-tenant': PORTAL });
    await addMembership(t, portalWs.id, collaborator.userId, 'member');
    const set = await send('PATCH', '/api/v1/tenant', inPortal(portalOwner), { portal_access_code: CODE });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().data).toMatchObject({ portal_access_code_set: true });
    expect(set.json().data).not.toHaveProperty('portal_access_code');
  });

  /** Every /web/v1 route, each sent by a caller for whom it would succeed with the code; in an order where each still can. */
  function everyRoute(name: string, email: string): Array<{ caller: Session; method: Method; url: string; payload?: object; status: number }> {
    return [
      { caller: collaborator, method: 'GET', url: `${WEB}/tenant/workspaces/mine`, status: 200 },
      { caller: collaborator, method: 'POST', url: `${WEB}/tenant/workspaces/${portalWs.biz_id}/default`, status: 200 },
      { caller: portalOwner, method: 'GET', url: `${WEB}/workspaces/${portalWs.id}/roles`, status: 200 },
      { caller: portalOwner, method: 'POST', url: `${WEB}/workspaces/${portalWs.id}/roles`, payload: { name, display_name: name, permissions: ['members:view'] }, status: 201 },
      { caller: portalOwner, method: 'POST', url: `${WEB}/workspaces/${portalWs.biz_id}/invitations`, payload: { email, role: 'member' }, status: 201 },
      { caller: portalOwner, method: 'POST', url: `${WEB}/workspaces/${portalWs.id}/members/role/change`, payload: { user_id: collaborator.userId, role: 'viewer' }, status: 200 },
      { caller: collaborator, method: 'POST', url: `${WEB}/workspaces/self`, payload: { name: `Portal ${name}` }, status: 201 },
      { caller: collaborator, method: 'POST', url: `${WEB}/tenant/workspaces/${portalWs.biz_id}/leave`, status: 200 },
    ];
  }

  it('refuses every /web/v1 route without the code or with a wrong one (403 PORTAL.ACCESS_DENIED), changing nothing; the right code lets each through', async () => {
    const routes = everyRoute('portal_clerk', uniqueEmail('portal.invitee'));
    const before = await snapshotOf(portalWs.id);
    const workspacesBefore = await t.db.selectFrom('workspaces').select('id').orderBy('id').execute();
    for (const code of [undefined, '', 'some-code-12', 'some-code-1234', 'SOME-CODE-123', 'some-code-124']) {
      for (const { caller, method, url, payload } of routes) {
        const response = await send(method, url, inPortal(caller, code), payload);
        expect(response.statusCode, `${method} ${url} with ${String(code)}: ${response.body}`).toBe(403);
        expect(errorOf(response).code).toBe('PORTAL.ACCESS_DENIED');
      }
    }
    expect(await snapshotOf(portalWs.id)).toEqual(before);
    expect(await t.db.selectFrom('workspaces').select('id').orderBy('id').execute()).toEqual(workspacesBefore);

    for (const { caller, method, url, payload, status } of routes) {
      const response = await send(method, url, inPortal(caller, CODE), payload);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(status);
    }
  });

  it('checks the code before the credentials: a wrong or missing code is 403 whatever the token, the right one with a bad token 401', async () => {
    const url = `${WEB}/tenant/workspaces/mine`;
    const refused: Headers[] = [
      { 'x-tenant': PORTAL, [PORTAL_HEADER]: 'wrong-code-000', authorization: 'Bearer not-a-jwt' },
      { 'x-tenant': PORTAL, authorization: 'Bearer not-a-jwt' },
      { 'x-tenant': PORTAL },
    ];
    for (const headers of refused) {
      expectError(await send('GET', url, headers), 403, 'PORTAL.ACCESS_DENIED');
    }
    const badToken = await send('GET', url, { 'x-tenant': PORTAL, [PORTAL_HEADER]: CODE, authorization: 'Bearer not-a-jwt' });
    expectError(badToken, 401, 'AUTH.INVALID_TOKEN');
    expectError(await send('GET', url, { 'x-tenant': PORTAL, [PORTAL_HEADER]: CODE }), 401, 'AUTH.UNAUTHENTICATED');
  });

  it('leaves /api/v1 alone: no code, or a wrong one, changes nothing there', async () => {
    for (const code of [undefined, 'wrong-code-000']) {
      const listed = await send('GET', '/api/v1/workspaces', inPortal(portalOwner, code));
      expect(listed.statusCode, listed.body).toBe(200);
      const role = await send('POST', '/api/v1/roles', { ...inPortal(portalOwner, code), 'x-workspace-id': String(portalWs.id) }, {
        name: `api_role_${code === undefined ? 'no_code' : 'wrong_code'}`,
        display_name: 'Through the API',
        permissions: ['members:view'],
      });
      expect(role.statusCode, role.body).toBe(201);
    }
  });

  it('gates only the tenant that set a code', async () => {
    const response = await send('GET', `${WEB}/tenant/workspaces/mine`, cast.owner.auth);
    expect(response.statusCode, response.body).toBe(200);
  });

  it('never shows the code: GET /api/v1/tenant has portal_access_code_set instead', async () => {
    const tenant = await send('GET', '/api/v1/tenant', inPortal(portalOwner));
    expect(tenant.statusCode).toBe(200);
    expect(tenant.json().data.portal_access_code_set).toBe(true);
    expect(tenant.json().data).not.toHaveProperty('portal_access_code');
    expect(tenant.body).not.toContain(CODE);
  });
});

describe('setting and removing the portal access code', () => {
  const CODES = 'web-portal-codes';
  let codesOwner: Session;
  const headers = (code?: string): Headers => ({ ...codesOwner.auth, 'x-tenant': CODES, ...(code === undefined ? {} : { [PORTAL_HEADER]: code }) });
  const mine = (code?: string) => send('GET', `${WEB}/tenant/workspaces/mine`, headers(code));
  const setCode = (code: string | null) => send('PATCH', '/api/v1/tenant', headers(), { portal_access_code: code });
  const codeIsSet = async () => (await succeed(t, { method: 'GET', url: '/api/v1/tenant', headers: headers() })).json().data.portal_access_code_set as boolean;

  beforeAll(async () => {
    await createTenant(t, CODES);
    codesOwner = await register(t, { tenant: CODES });
  });

  it('accepts 8 to 128 printable ASCII characters and refuses anything else with 422, keeping the code in force', async () => {
    expect(await codeIsSet()).toBe(false);
    expect((await mine()).statusCode).toBe(200);

    const eight = 'abcd1234';
    expect((await setCode(eight)).statusCode).toBe(200);
    expect(await codeIsSet()).toBe(true);
    expectError(await mine(), 403, 'PORTAL.ACCESS_DENIED');
    expect((await mine(eight)).statusCode).toBe(200);

    for (const refused of ['abc1234', 'x'.repeat(129), 'código-secreto', 'tab\tinside-code', '']) {
      const response = await setCode(refused);
      expectError(response, 422, 'VALIDATION.FAILED');
      expect(errorOf(response).details, JSON.stringify(refused)).toHaveProperty('portal_access_code');
    }
    expect((await mine(eight)).statusCode).toBe(200);

    const longest = `~!${'Z'.repeat(124)}#}`;
    expect(longest).toHaveLength(128);
    expect((await setCode(longest)).statusCode).toBe(200);
    expectError(await mine(eight), 403, 'PORTAL.ACCESS_DENIED');
    expect((await mine(longest)).statusCode).toBe(200);
  });

  it('lifts the requirement with portal_access_code: null', async () => {
    expect((await setCode('to-be-removed')).statusCode).toBe(200);
    expectError(await mine(), 403, 'PORTAL.ACCESS_DENIED');
    const removed = await setCode(null);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().data.portal_access_code_set).toBe(false);
    expect(await codeIsSet()).toBe(false);
    expect((await mine()).statusCode).toBe(200);
    // A client still sending the old code is not refused for it.
    expect((await mine('to-be-removed')).statusCode).toBe(200);
  });
});

// ---- tokens --------------------------------------------------------------------------------

describe('bad and expired JWTs on /web/v1', () => {
  function everyRoute(ws: Workspace): Array<{ method: Method; url: string; payload?: object }> {
    return [
      { method: 'GET', url: `${WEB}/tenant/workspaces/mine` },
      { method: 'POST', url: `${WEB}/tenant/workspaces/${ws.biz_id}/default` },
      { method: 'POST', url: `${WEB}/tenant/workspaces/${ws.biz_id}/leave` },
      { method: 'POST', url: `${WEB}/workspaces/self`, payload: { name: uniqueName('Token Probe') } },
      { method: 'GET', url: `${WEB}/workspaces/${ws.id}/roles` },
      { method: 'POST', url: `${WEB}/workspaces/${ws.id}/roles`, payload: { name: 'token_probe', display_name: 'Token probe', permissions: ['members:view'] } },
      { method: 'POST', url: `${WEB}/workspaces/${ws.biz_id}/invitations`, payload: { email: uniqueEmail('token.probe'), role: 'member' } },
      { method: 'POST', url: `${WEB}/workspaces/${ws.id}/members/role/change`, payload: { user_id: cast.member.userId, role: 'viewer' } },
    ];
  }

  it('answers a bad JWT with 401 AUTH.INVALID_TOKEN and legacy_code 4010 on every route', async () => {
    const ws = await team('Bad Tokens');
    const [header, payload, signature] = cast.owner.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const badTokens = {
      'wrong signature': `${header}.${payload}.${flipped}`,
      'alg none': new UnsecuredJWT(claims).encode(),
      'not a JWT': 'not-a-jwt',
    };
    const before = await snapshotOf(ws.id);
    for (const [kind, token] of Object.entries(badTokens)) {
      for (const { method, url, payload: body } of everyRoute(ws)) {
        const response = await send(method, url, { authorization: `Bearer ${token}` }, body);
        expect(response.statusCode, `${kind}, ${method} ${url}: ${response.body}`).toBe(401);
        expect(errorOf(response), `${kind}, ${method} ${url}`).toMatchObject({ code: 'AUTH.INVALID_TOKEN', legacy_code: 4010 });
      }
    }
    expect(await snapshotOf(ws.id)).toEqual(before);
  });

  it('answers an expired JWT with 401 AUTH.TOKEN_EXPIRED and legacy_code 4010 on every route', async () => {
    const ws = await team('Expired Tokens');
    const before = await snapshotOf(ws.id);
    t.clock.advance(PAST_ACCESS_TOKEN_LIFETIME_MS);
    try {
      for (const { method, url, payload } of everyRoute(ws)) {
        const response = await send(method, url, cast.owner.auth, payload);
        expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(401);
        expect(errorOf(response), `${method} ${url}`).toMatchObject({ code: 'AUTH.TOKEN_EXPIRED', legacy_code: 4010 });
      }
    } finally {
      t.clock.advance(-PAST_ACCESS_TOKEN_LIFETIME_MS);
    }
    expect(await snapshotOf(ws.id)).toEqual(before);
  });

  it('answers no credentials at all with 401 AUTH.UNAUTHENTICATED', async () => {
    expectError(await send('GET', `${WEB}/tenant/workspaces/mine`, {}), 401, 'AUTH.UNAUTHENTICATED');
  });
});

// ---- signing in ----------------------------------------------------------------------------

describe('signing in enters the default workspace', () => {
  it('makes the default set through /web/v1 the current workspace when none is current', async () => {
    const user = await register(t);
    const home = await createWorkspace(t, user, uniqueName('Web Home'));
    const other = await createWorkspace(t, user, uniqueName('Web Other'));
    await succeed(t, { method: 'POST', url: `${WEB}/tenant/workspaces/${home.biz_id}/default`, headers: user.auth });
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspace-context/${other.id}`, headers: user.auth });
    expect(await pointers(user)).toEqual({ current: null, byDefault: home.id });

    const signedIn = await signInAgain(t, user);
    expect(await pointers(signedIn)).toEqual({ current: home.id, byDefault: home.id });
  });

  it('leaves a user without a default with no current workspace', async () => {
    const user = await register(t);
    const only = await createWorkspace(t, user, uniqueName('Web Only'));
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspace-context/${only.id}`, headers: user.auth });
    expect(await pointers(await signInAgain(t, user))).toEqual({ current: null, byDefault: null });
  });
});

// ---- seed 003's typical developer sequence -------------------------------------------------

describe('seed 003’s typical developer sequence', () => {
  it('runs through /web/v1 alone behind the portal code: empty list, self-service workspace, default, custom role, invitation, role change, effective permissions', async () => {
    const SEQUENCE = 'web-sequence';
    const CODE = 'dev-portal-code-42';
    const CASHIER = ['workspaces:view', 'members:view', 'invoices:view', 'invoices:create', 'contacts:view'];
    await createTenant(t, SEQUENCE);
    const tenantAdmin = await register(t, { tenant: SEQUENCE });
    await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: { ...tenantAdmin.auth, 'x-tenant': SEQUENCE }, payload: { portal_access_code: CODE } });
    const developer = await register(t, { tenant: SEQUENCE });
    const portal = (session: Session): Headers => ({ ...session.auth, 'x-tenant': SEQUENCE, [PORTAL_HEADER]: CODE });
    const step = async (label: string, method: Method, url: string, headers: Headers, status: number, payload?: object) => {
      const response = await send(method, url, headers, payload);
      expect(response.statusCode, `${label}: ${response.body}`).toBe(status);
      return response.json();
    };

    const none = await step('load the accessible workspaces', 'GET', `${WEB}/tenant/workspaces/mine`, portal(developer), 200);
    expect(none).toEqual({ data: [], meta: { next_cursor: null } });

    const ws = (await step('create one', 'POST', `${WEB}/workspaces/self`, portal(developer), 201, { name: 'Colmado Central' })).data as Workspace;

    await step('set it as the default', 'POST', `${WEB}/tenant/workspaces/${ws.biz_id}/default`, portal(developer), 200);
    const mine = await step('see it listed', 'GET', `${WEB}/tenant/workspaces/mine`, portal(developer), 200);
    expect(mine.data).toEqual([expect.objectContaining({ id: ws.id, biz_id: ws.biz_id, is_owner: true })]);

    const roles = await step('list the roles', 'GET', `${WEB}/workspaces/${ws.id}/roles`, portal(developer), 200);
    expect(roles.data.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining(['owner', 'admin', 'member', 'viewer']));
    const cashier = await step('create a custom role', 'POST', `${WEB}/workspaces/${ws.id}/roles`, portal(developer), 201, {
      name: 'cashier',
      display_name: 'Cashier',
      permissions: CASHIER,
    });
    expect([...cashier.data.permissions].sort()).toEqual([...CASHIER].sort());

    const email = uniqueEmail('collaborator');
    const invitation = await step('invite a collaborator', 'POST', `${WEB}/workspaces/${ws.biz_id}/invitations`, portal(developer), 201, { email, role: 'member' });
    const joined = await send('POST', '/api/v1/auth/register', { 'x-tenant': SEQUENCE }, {
      name: 'Collaborator',
      email,
      password: 'correct horse battery',
      invitation_token: invitation.data.token,
    });
    expect(joined.statusCode, joined.body).toBe(201);
    const collaboratorId = joined.json().data.user.id as number;
    const collaboratorAuth = { authorization: `Bearer ${joined.json().data.access_token}`, 'x-tenant': SEQUENCE };
    expect(await roleOf(ws.id, collaboratorId)).toBe('member');

    await step('give them the custom role', 'POST', `${WEB}/workspaces/${ws.id}/members/role/change`, portal(developer), 200, {
      user_id: collaboratorId,
      role: 'cashier',
    });

    const effective = await send('GET', '/api/v1/permissions/me', { ...collaboratorAuth, 'x-workspace-id': String(ws.id) });
    expect(effective.statusCode, effective.body).toBe(200);
    expect(effective.json().data).toMatchObject({ workspace_id: ws.id, role: 'cashier' });
    expect(effective.json().data.permissions).toEqual([...CASHIER].sort());
    expect(await pointers(developer, { 'x-tenant': SEQUENCE })).toMatchObject({ byDefault: ws.id });
  });
});

// ---- parity with /api/v1 -------------------------------------------------------------------

type Surface = 'api' | 'web';
interface Outcome {
  status: number;
  code?: string;
  permission?: unknown;
}
interface ParityCase {
  rule: string;
  expected: Outcome;
  /** Builds the starting state afresh (called once per surface) and says what each surface is sent. */
  arrange(): Promise<Record<Surface, InjectOptions>>;
}

function outcomeOf(reply: Reply): Outcome {
  if (reply.statusCode < 400) return { status: reply.statusCode };
  const error = errorOf(reply);
  return { status: reply.statusCode, code: error.code, ...(error.details?.permission === undefined ? {} : { permission: error.details.permission }) };
}

/** A change of `userId`'s role in `ws` by `by`, as each surface spells it. */
const roleChange = (by: Session, ws: Workspace, userId: number, role: string): Record<Surface, InjectOptions> => ({
  api: { method: 'PUT', url: `/api/v1/members/${userId}`, headers: inWs(by, ws.id), payload: { role } },
  web: { method: 'POST', url: `${WEB}/workspaces/${ws.id}/members/role/change`, headers: by.auth, payload: { user_id: userId, role } },
});
const roleCreation = (by: Session, ws: Workspace, payload: object): Record<Surface, InjectOptions> => ({
  api: { method: 'POST', url: '/api/v1/roles', headers: inWs(by, ws.id), payload },
  web: { method: 'POST', url: `${WEB}/workspaces/${ws.id}/roles`, headers: by.auth, payload },
});
const invitation = (by: Session, ws: Workspace, payload: object): Record<Surface, InjectOptions> => ({
  api: { method: 'POST', url: '/api/v1/invitations', headers: inWs(by, ws.id), payload },
  web: { method: 'POST', url: `${WEB}/workspaces/${ws.biz_id}/invitations`, headers: by.auth, payload },
});
const workspaceCreation = (headers: Headers, payload: object): Record<Surface, InjectOptions> => ({
  api: { method: 'POST', url: '/api/v1/workspaces', headers, payload },
  web: { method: 'POST', url: `${WEB}/workspaces/self`, headers, payload },
});
const userScoped = (by: Session, ws: Workspace, action: 'default' | 'leave'): Record<Surface, InjectOptions> => ({
  api: { method: 'POST', url: `/api/v1/workspaces/${ws.id}/${action}`, headers: by.auth },
  web: { method: 'POST', url: `${WEB}/tenant/workspaces/${ws.biz_id}/${action}`, headers: by.auth },
});

async function limitedUser(): Promise<Headers> {
  const user = await register(t, { tenant: LIMITED });
  return { ...user.auth, 'x-tenant': LIMITED };
}

async function apiKeyOf(ws: Workspace): Promise<Headers> {
  const key = await succeed(t, { method: 'POST', url: '/api/v1/api-keys', headers: inWs(cast.owner, ws.id), payload: { name: 'parity', scopes: ['members:view'] } }, 201);
  return { authorization: `Bearer ${key.json().data.secret}` };
}

const forbidden = (permission: string): Outcome => ({ status: 403, code: 'AUTH.FORBIDDEN', permission });

const PARITY: ParityCase[] = [
  // Workspace names and the owned-workspace limit.
  {
    rule: 'a free workspace name',
    expected: { status: 201 },
    arrange: async () => workspaceCreation((await register(t)).auth, { name: uniqueName('Free Name') }),
  },
  {
    rule: 'a name taken in the tenant, in another case and with trailing space',
    expected: { status: 409, code: 'WORKSPACE.NAME_TAKEN' },
    arrange: async () => {
      const name = uniqueName('Taken Name');
      await createWorkspace(t, cast.stranger, name);
      return workspaceCreation((await register(t)).auth, { name: `${name.toUpperCase()} ` });
    },
  },
  {
    rule: 'a second owned workspace at a limit of one',
    expected: { status: 409, code: 'WORKSPACE.ALREADY_OWNS_WORKSPACE' },
    arrange: async () => {
      const headers = await limitedUser();
      await succeed(t, { method: 'POST', url: '/api/v1/workspaces', headers, payload: { name: uniqueName('Owned') } }, 201);
      return workspaceCreation(headers, { name: uniqueName('Over Limit') });
    },
  },
  {
    rule: 'a first owned workspace at a limit of one, for a member of someone else’s',
    expected: { status: 201 },
    arrange: async () => {
      const owner = await limitedUser();
      const ws = (await succeed(t, { method: 'POST', url: '/api/v1/workspaces', headers: owner, payload: { name: uniqueName('Theirs') } }, 201)).json().data;
      const memberHeaders = await limitedUser();
      const me = (await succeed(t, { method: 'GET', url: '/api/v1/me', headers: memberHeaders })).json().data;
      await addMembership(t, ws.id, me.id, 'member');
      return workspaceCreation(memberHeaders, { name: uniqueName('First Own') });
    },
  },
  {
    rule: 'an API key creating a workspace',
    expected: { status: 403, code: 'AUTH.FORBIDDEN' },
    arrange: async () => workspaceCreation(await apiKeyOf(await team('Key Creates')), { name: uniqueName('By Key') }),
  },
  {
    rule: 'an API key listing workspaces',
    expected: { status: 403, code: 'AUTH.FORBIDDEN' },
    arrange: async () => {
      const headers = await apiKeyOf(await team('Key Lists'));
      return { api: { method: 'GET', url: '/api/v1/workspaces', headers }, web: { method: 'GET', url: `${WEB}/tenant/workspaces/mine`, headers } };
    },
  },

  // Default and leave.
  { rule: 'a member setting their default', expected: { status: 200 }, arrange: async () => userScoped(cast.member, await team('Parity Default'), 'default') },
  {
    rule: 'a default the caller cannot see',
    expected: { status: 404, code: 'WORKSPACE.NOT_FOUND' },
    arrange: async () => userScoped(cast.stranger, await team('Parity Hidden Default'), 'default'),
  },
  { rule: 'a member leaving', expected: { status: 200 }, arrange: async () => userScoped(cast.member, await team('Parity Leave'), 'leave') },
  {
    rule: 'the owner leaving',
    expected: { status: 409, code: 'WORKSPACE.OWNER_CANNOT_LEAVE' },
    arrange: async () => userScoped(cast.owner, await team('Parity Owner Leave'), 'leave'),
  },

  // Who may change roles, and no escalation through them.
  { rule: 'an admin changing a member to viewer', expected: { status: 200 }, arrange: async () => roleChange(cast.admin, await team('Parity Change'), cast.member.userId, 'viewer') },
  {
    rule: 'a member changing another member’s role',
    expected: forbidden('members:manage'),
    arrange: async () => roleChange(cast.member, await team('Parity Member Changes'), cast.viewer.userId, 'member'),
  },
  {
    rule: 'a viewer changing a role',
    expected: forbidden('members:manage'),
    arrange: async () => roleChange(cast.viewer, await team('Parity Viewer Changes'), cast.member.userId, 'viewer'),
  },
  {
    rule: 'changing the owner’s role',
    expected: { status: 409, code: 'MEMBER.IS_OWNER' },
    arrange: async () => roleChange(cast.admin, await team('Parity Owner Role'), cast.owner.userId, 'member'),
  },
  {
    rule: 'making a member owner by a role change',
    expected: { status: 409, code: 'ROLE.OWNER_BY_TRANSFER' },
    arrange: async () => roleChange(cast.admin, await team('Parity To Owner'), cast.member.userId, 'owner'),
  },
  {
    rule: 'an admin giving a role with a permission only the owner holds',
    expected: forbidden('workspaces:edit'),
    arrange: async () => {
      const ws = await team('Parity Escalate Grant');
      return roleChange(cast.admin, ws, cast.member.userId, await createRoleThroughApi(ws.id, ['workspaces:edit']));
    },
  },
  {
    rule: 'a role change for a user who is not a member',
    expected: { status: 404, code: 'MEMBER.NOT_FOUND' },
    arrange: async () => roleChange(cast.admin, await team('Parity Not Member'), cast.stranger.userId, 'viewer'),
  },
  {
    rule: 'a role change to a role the workspace does not have',
    expected: { status: 422, code: 'VALIDATION.FAILED' },
    arrange: async () => roleChange(cast.admin, await team('Parity No Such Role'), cast.member.userId, 'no_such_role'),
  },

  // Custom roles.
  {
    rule: 'an admin creating a role within their permissions',
    expected: { status: 201 },
    arrange: async () => roleCreation(cast.admin, await team('Parity Role'), { name: 'clerk', display_name: 'Clerk', permissions: ['members:view', 'stock:edit'] }),
  },
  {
    rule: 'a role name the workspace already has',
    expected: { status: 409, code: 'WORKSPACE.ROLE_NAME_EXISTS' },
    arrange: async () => {
      const ws = await team('Parity Role Twice');
      const name = await createRoleThroughApi(ws.id, ['members:view']);
      return roleCreation(cast.admin, ws, { name, display_name: 'Again', permissions: ['members:view'] });
    },
  },
  {
    rule: 'a built-in role’s name',
    expected: { status: 409, code: 'WORKSPACE.ROLE_NAME_EXISTS' },
    arrange: async () => roleCreation(cast.owner, await team('Parity Builtin Name'), { name: 'viewer', display_name: 'Viewer again', permissions: ['members:view'] }),
  },
  {
    rule: 'an admin creating a role with a permission the admin lacks',
    expected: forbidden('workspaces:delete'),
    arrange: async () => roleCreation(cast.admin, await team('Parity Escalate Role'), { name: 'deleter', display_name: 'Deleter', permissions: ['workspaces:delete'] }),
  },
  {
    rule: 'a member creating a role',
    expected: forbidden('roles:manage'),
    arrange: async () => roleCreation(cast.member, await team('Parity Member Role'), { name: 'helper', display_name: 'Helper', permissions: ['members:view'] }),
  },
  {
    rule: 'a role with an unknown permission',
    expected: { status: 422, code: 'VALIDATION.FAILED' },
    arrange: async () => roleCreation(cast.owner, await team('Parity Typo Role'), { name: 'typo', display_name: 'Typo', permissions: ['invoices:viewww'] }),
  },

  // Invitations.
  {
    rule: 'an admin inviting a new address',
    expected: { status: 201 },
    arrange: async () => invitation(cast.admin, await team('Parity Invite'), { email: uniqueEmail('parity'), role: 'member' }),
  },
  {
    rule: 'a second pending invitation for the same address, in another case',
    expected: { status: 409, code: 'WORKSPACE.INVITATION_EXISTS' },
    arrange: async () => {
      const ws = await team('Parity Invite Twice');
      const email = uniqueEmail('twice');
      await succeed(t, { method: 'POST', url: '/api/v1/invitations', headers: inWs(cast.owner, ws.id), payload: { email } }, 201);
      return invitation(cast.admin, ws, { email: email.toUpperCase(), role: 'viewer' });
    },
  },
  {
    rule: 'an invitation for a current member',
    expected: { status: 409, code: 'MEMBER.ALREADY_MEMBER' },
    arrange: async () => invitation(cast.admin, await team('Parity Invite Member'), { email: cast.member.email, role: 'member' }),
  },
  {
    rule: 'an invitation offering owner',
    expected: { status: 409, code: 'ROLE.OWNER_BY_TRANSFER' },
    arrange: async () => invitation(cast.admin, await team('Parity Invite Owner'), { email: uniqueEmail('as.owner'), role: 'owner' }),
  },
  {
    rule: 'an admin inviting with a role holding a permission the admin lacks',
    expected: forbidden('workspaces:delete'),
    arrange: async () => {
      const ws = await team('Parity Invite Escalate');
      return invitation(cast.admin, ws, { email: uniqueEmail('escalate'), role: await createRoleThroughApi(ws.id, ['workspaces:delete']) });
    },
  },
  {
    rule: 'a viewer inviting',
    expected: forbidden('invitations:create'),
    arrange: async () => invitation(cast.viewer, await team('Parity Viewer Invites'), { email: uniqueEmail('by.viewer'), role: 'viewer' }),
  },
];

describe('parity: a rule shared with /api/v1 answers alike on both surfaces', () => {
  for (const parity of PARITY) {
    it(`${parity.rule}: ${parity.expected.status}${parity.expected.code ? ` ${parity.expected.code}` : ''} on both`, async () => {
      const outcomes = {} as Record<Surface, Outcome>;
      for (const surface of ['api', 'web'] as const) {
        const requests = await parity.arrange();
        outcomes[surface] = outcomeOf(await t.request(requests[surface]));
      }
      expect(outcomes).toEqual({ api: parity.expected, web: parity.expected });
    });
  }
});
