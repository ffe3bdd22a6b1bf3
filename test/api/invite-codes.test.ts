/**
 * Workspace invite codes, black-box over HTTP: a holder of invitations:create rotates a
 * code (the old one dies at once) or disables it; any signed-in user of the tenant joins
 * by it as a member, once however often they use it, counted against the plan's users
 * limit; registration may carry a code (one transaction: a bad code leaves no account,
 * and a code admits where self sign-up is off). Also: who sees the code in the workspace
 * object, what the audit log records (never the code), the per-IP and per-user limits on
 * joining, and that API keys and admin workspaces acting as a sub cannot use codes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import {
  addMembership,
  createTenant,
  createWorkspace,
  register,
  startTestApp,
  succeed,
  uniqueEmail,
  type Session,
  type TestApp,
} from '../support/test-app.ts';

type Headers = Record<string, string>;
type Response = Awaited<ReturnType<TestApp['request']>>;

const CODE_SHAPE = /^[abcdefghjkmnpqrstuvwxyz23456789]{12}$/;
const PASSWORD = 'correct horse battery';

let t: TestApp;
/** The tenant's first user, so its owner (sets self_signup); a member of no workspace used below. */
let tenantOwner: Session;
let seq = 0;

beforeAll(async () => {
  t = await startTestApp();
  tenantOwner = await register(t, { name: 'Tenant Owner' });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t?.close());

// ---- helpers ---------------------------------------------------------------------------

const inWs = (auth: Headers, workspaceId: number, extra: Headers = {}) => ({ ...auth, 'x-workspace-id': String(workspaceId), ...extra });

async function workspace(label: string): Promise<{ id: number; owner: Session }> {
  seq += 1;
  const owner = await register(t, { name: `${label} Owner` });
  const created = await createWorkspace(t, owner, `${label} ${seq} ${process.pid}`);
  return { id: created.id, owner };
}

const rotate = (auth: Headers, workspaceId: number, extra: Headers = {}) =>
  t.request({ method: 'POST', url: `/api/v1/workspaces/${workspaceId}/invite-code`, headers: { ...auth, ...extra } });
const disable = (auth: Headers, workspaceId: number, extra: Headers = {}) =>
  t.request({ method: 'DELETE', url: `/api/v1/workspaces/${workspaceId}/invite-code`, headers: { ...auth, ...extra } });
const join = (auth: Headers, code: string, extra: Headers = {}) =>
  t.request({ method: 'POST', url: `/api/v1/invite-codes/${encodeURIComponent(code)}/join`, headers: { ...auth, ...extra } });

async function rotated(auth: Headers, workspaceId: number): Promise<string> {
  const response = await rotate(auth, workspaceId);
  expect(response.statusCode, response.body).toBe(200);
  const code = response.json().data.invite_code as string;
  expect(code).toMatch(CODE_SHAPE);
  return code;
}

function expectError(response: Response, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.json().error.code, response.body).toBe(code);
}

async function membershipsOf(workspaceId: number, userId: number): Promise<Array<{ role: string }>> {
  return t.db.selectFrom('memberships').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
}

async function memberCount(workspaceId: number): Promise<number> {
  const rows = await t.db.selectFrom('memberships').select('user_id').where('workspace_id', '=', workspaceId).execute();
  return rows.length;
}

async function usersUsage(owner: Session, workspaceId: number): Promise<number> {
  const response = await succeed(t, { method: 'GET', url: `/api/v1/workspaces/${workspaceId}`, headers: owner.auth });
  return response.json().data.users_usage as number;
}

const registerWith = (payload: Record<string, unknown>, extra: Headers = {}) =>
  t.request({ method: 'POST', url: '/api/v1/auth/register', headers: extra, payload: { name: 'Code Joiner', password: PASSWORD, ...payload } });

async function userByEmail(email: string) {
  return t.db.selectFrom('users').select(['id', 'current_workspace_id']).where('email', '=', email).executeTakeFirst();
}

// ---- rotate, disable, join ---------------------------------------------------------------

describe('rotating and disabling a code', () => {
  it('rotation answers a fresh 12-character code each time, and the old one answers 404 INVITE_CODE.NOT_FOUND at once', async () => {
    const ws = await workspace('Rotate');
    const first = await rotated(ws.owner.auth, ws.id);
    const second = await rotated(ws.owner.auth, ws.id);
    expect(second).not.toBe(first);

    const joiner = await register(t);
    expectError(await join(joiner.auth, first), 404, 'INVITE_CODE.NOT_FOUND');
    expect(await membershipsOf(ws.id, joiner.userId)).toEqual([]);

    const joined = await join(joiner.auth, second);
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json().data).toEqual({ workspace_id: ws.id, joined: true });
    expect(await membershipsOf(ws.id, joiner.userId)).toEqual([{ role: 'member' }]);

    // Still dead after the join: rotation is not undone by anything.
    const late = await register(t);
    expectError(await join(late.auth, first), 404, 'INVITE_CODE.NOT_FOUND');
  });

  it('disabling makes the live code 404 for everyone, and only a new rotation turns joining back on', async () => {
    const ws = await workspace('Disable');
    const code = await rotated(ws.owner.auth, ws.id);
    const off = await disable(ws.owner.auth, ws.id);
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json().message).toEqual(expect.any(String));

    const joiner = await register(t);
    expectError(await join(joiner.auth, code), 404, 'INVITE_CODE.NOT_FOUND');
    expect(await membershipsOf(ws.id, joiner.userId)).toEqual([]);

    // Disabling again (nothing live) is harmless.
    expect((await disable(ws.owner.auth, ws.id)).statusCode).toBe(200);

    const next = await rotated(ws.owner.auth, ws.id);
    expect(next).not.toBe(code);
    expectError(await join(joiner.auth, code), 404, 'INVITE_CODE.NOT_FOUND');
    expect((await join(joiner.auth, next)).json().data).toEqual({ workspace_id: ws.id, joined: true });
  });

  it('needs invitations:create: an admin may rotate (200), a member or viewer gets 403, a non-member 404, and nothing changes', async () => {
    const ws = await workspace('Perms');
    const code = await rotated(ws.owner.auth, ws.id);
    const admin = await register(t);
    const member = await register(t);
    const viewer = await register(t);
    await addMembership(t, ws.id, admin.userId, 'admin');
    await addMembership(t, ws.id, member.userId, 'member');
    await addMembership(t, ws.id, viewer.userId, 'viewer');
    const stranger = await register(t);

    for (const session of [member, viewer]) {
      expectError(await rotate(session.auth, ws.id), 403, 'AUTH.FORBIDDEN');
      expectError(await disable(session.auth, ws.id), 403, 'AUTH.FORBIDDEN');
    }
    expect((await rotate(stranger.auth, ws.id)).statusCode).toBe(404);
    expect((await disable(stranger.auth, ws.id)).statusCode).toBe(404);
    // The tenant owner sees every workspace read-only: not enough to rotate.
    expect((await rotate(tenantOwner.auth, ws.id)).statusCode).toBe(403);

    // None of those refusals touched the live code.
    const probe = await register(t);
    expect((await join(probe.auth, code)).json().data).toEqual({ workspace_id: ws.id, joined: true });

    const byAdmin = await rotated(admin.auth, ws.id);
    expectError(await join((await register(t)).auth, code), 404, 'INVITE_CODE.NOT_FOUND');
    expect((await join((await register(t)).auth, byAdmin)).statusCode).toBe(200);
  });

  it('is refused while acting as a sub workspace (403 CONTEXT.ACTING_AS_FORBIDDEN), leaving the code as it was', async () => {
    const admin = await workspace('Group Admin');
    const sub = await workspace('Group Sub');
    const invited = await succeed(
      t,
      { method: 'POST', url: '/workspace-group-members', headers: inWs(admin.owner.auth, admin.id), payload: { sub_workspace_id: sub.id } },
      201,
    );
    await succeed(t, {
      method: 'POST',
      url: `/api/v1/workspace-group-invitations/${invited.json().data.id}/accept`,
      headers: inWs(sub.owner.auth, sub.id),
    });
    const code = await rotated(sub.owner.auth, sub.id);
    const acting = { 'x-as-workspace': String(sub.id) };

    expectError(await rotate(admin.owner.auth, sub.id, acting), 403, 'CONTEXT.ACTING_AS_FORBIDDEN');
    expectError(await disable(admin.owner.auth, sub.id, acting), 403, 'CONTEXT.ACTING_AS_FORBIDDEN');
    // Acting as the sub, the object shows no code either.
    const seen = await t.request({ method: 'GET', url: `/api/v1/workspaces/${sub.id}`, headers: { ...admin.owner.auth, ...acting } });
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json().data.invite_code).toBeNull();

    const joiner = await register(t);
    expect((await join(joiner.auth, code)).json().data).toEqual({ workspace_id: sub.id, joined: true });
  });
});

describe('joining by code', () => {
  it('is idempotent: the same user joining again answers joined:false and never gets a second membership', async () => {
    const ws = await workspace('Idempotent');
    const code = await rotated(ws.owner.auth, ws.id);
    const joiner = await register(t);
    const first = await join(joiner.auth, code);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().data).toEqual({ workspace_id: ws.id, joined: true });
    const usageAfterFirst = await usersUsage(ws.owner, ws.id);
    expect(usageAfterFirst).toBe(2);

    for (let again = 0; again < 3; again += 1) {
      const repeat = await join(joiner.auth, code);
      expect(repeat.statusCode, repeat.body).toBe(200);
      expect(repeat.json().data).toEqual({ workspace_id: ws.id, joined: false });
    }
    expect(await membershipsOf(ws.id, joiner.userId)).toEqual([{ role: 'member' }]);
    expect(await usersUsage(ws.owner, ws.id)).toBe(usageAfterFirst);

    // The owner and an existing admin "joining" keep their roles.
    expect((await join(ws.owner.auth, code)).json().data).toEqual({ workspace_id: ws.id, joined: false });
    expect(await membershipsOf(ws.id, ws.owner.userId)).toEqual([{ role: 'owner' }]);
    const admin = await register(t);
    await addMembership(t, ws.id, admin.userId, 'admin');
    expect((await join(admin.auth, code)).json().data).toEqual({ workspace_id: ws.id, joined: false });
    expect(await membershipsOf(ws.id, admin.userId)).toEqual([{ role: 'admin' }]);
  });

  it('the joiner is a member at once: GET /api/v1/members in the workspace lists them with role member', async () => {
    const ws = await workspace('Members');
    const code = await rotated(ws.owner.auth, ws.id);
    const joiner = await register(t);
    await succeed(t, { method: 'POST', url: `/api/v1/invite-codes/${code}/join`, headers: joiner.auth });
    const members = await t.request({ method: 'GET', url: '/api/v1/members', headers: inWs(joiner.auth, ws.id) });
    expect(members.statusCode, members.body).toBe(200);
    expect(members.json().data).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: joiner.userId, role: 'member' }), expect.objectContaining({ id: ws.owner.userId, role: 'owner' })]),
    );
  });

  it('takes the code typed in capitals with surrounding spaces; unknown, malformed and other-workspace codes answer 404 or 422, never 500', async () => {
    const ws = await workspace('Typed');
    const code = await rotated(ws.owner.auth, ws.id);
    const joiner = await register(t);
    const typed = await join(joiner.auth, ` ${code.toUpperCase()} `);
    expect(typed.statusCode, typed.body).toBe(200);
    expect(typed.json().data).toEqual({ workspace_id: ws.id, joined: true });

    const other = await register(t);
    for (const bad of ['abcdefghjkmn', 'x', code.slice(0, 11), `${code}a`, '%00', "' or 1=1 --"]) {
      expectError(await join(other.auth, bad), 404, 'INVITE_CODE.NOT_FOUND');
    }
    expect((await join(other.auth, 'a'.repeat(65))).statusCode).toBe(422);
    expect(await membershipsOf(ws.id, other.userId)).toEqual([]);
  });

  it('needs a signed-in user: anonymous 401, an API key 403, and neither writes a membership', async () => {
    const ws = await workspace('Keys');
    const code = await rotated(ws.owner.auth, ws.id);
    const anonymous = await join({}, code);
    expect(anonymous.statusCode, anonymous.body).toBe(401);

    // A key of this very workspace, and a key of another workspace with every scope it may hold.
    const own = await succeed(t, { method: 'POST', url: '/api/v1/api-keys', headers: inWs(ws.owner.auth, ws.id), payload: { name: 'own', scopes: ['members:view'] } }, 201);
    const elsewhere = await workspace('Key Elsewhere');
    const foreignKey = await succeed(
      t,
      { method: 'POST', url: '/api/v1/api-keys', headers: inWs(elsewhere.owner.auth, elsewhere.id), payload: { name: 'other', scopes: ['members:view', 'invitations:create'] } },
      201,
    );
    const membersBefore = await memberCount(ws.id);
    for (const key of [own, foreignKey]) {
      const response = await join({ authorization: `Bearer ${key.json().data.secret}` }, code);
      expect(response.statusCode, response.body).toBe(403);
    }
    expect(await memberCount(ws.id)).toBe(membersBefore);
    const keyOwnerWorkspace = await t.db.selectFrom('memberships').select('user_id').where('workspace_id', '=', ws.id).execute();
    expect(keyOwnerWorkspace.map((row) => row.user_id)).toEqual([ws.owner.userId]);
  });

  it("never crosses tenants: another tenant's user gets 404 for a live code", async () => {
    const ws = await workspace('Tenant A');
    const code = await rotated(ws.owner.auth, ws.id);
    const slug = `codes-other-${process.pid}`;
    await createTenant(t, slug);
    const foreigner = await register(t, { tenant: slug });
    expectError(await join(foreigner.auth, code, { 'x-tenant': slug }), 404, 'INVITE_CODE.NOT_FOUND');
    expect(await membershipsOf(ws.id, foreigner.userId)).toEqual([]);
  });

  it("answers 402 PLAN.LIMIT_REACHED at the plan's users limit, writing nothing and leaving users_usage unchanged", async () => {
    const ws = await workspace('Limited');
    await planAdministration.setLimits(t.db, 'business', { users: 3 });
    await planAdministration.assign(t.db, ws.id, { plan_key: 'business' });
    const code = await rotated(ws.owner.auth, ws.id);

    // The owner is one user; two more fit.
    const [fitsFirst, fitsSecond] = [await register(t), await register(t)];
    const fits = [fitsFirst, fitsSecond];
    for (const user of fits) expect((await join(user.auth, code)).json().data).toEqual({ workspace_id: ws.id, joined: true });
    expect(await usersUsage(ws.owner, ws.id)).toBe(3);

    const auditBefore = await t.db.selectFrom('audit_events').select('id').where('workspace_id', '=', ws.id).execute();
    const over = await register(t);
    const refused = await join(over.auth, code);
    expectError(refused, 402, 'PLAN.LIMIT_REACHED');
    expect(await membershipsOf(ws.id, over.userId)).toEqual([]);
    expect(await memberCount(ws.id)).toBe(3);
    expect(await usersUsage(ws.owner, ws.id)).toBe(3);
    const auditAfter = await t.db.selectFrom('audit_events').select('id').where('workspace_id', '=', ws.id).execute();
    expect(auditAfter).toEqual(auditBefore);

    // A member already in answers joined:false, not 402: a repeat join asks for no new place.
    expect((await join(fitsFirst.auth, code)).json().data).toEqual({ workspace_id: ws.id, joined: false });

    // Registration with the code at the limit: 402 and no account.
    const email = uniqueEmail('over-limit');
    expectError(await registerWith({ email, invite_code: code }), 402, 'PLAN.LIMIT_REACHED');
    expect(await userByEmail(email)).toBeUndefined();
    expect(await usersUsage(ws.owner, ws.id)).toBe(3);

    // A place given back (a member removed) lets the next one in.
    await succeed(t, { method: 'DELETE', url: `/api/v1/members/${fitsSecond.userId}`, headers: inWs(ws.owner.auth, ws.id) });
    expect(await usersUsage(ws.owner, ws.id)).toBe(2);
    expect((await join(over.auth, code)).json().data).toEqual({ workspace_id: ws.id, joined: true });
    expect(await usersUsage(ws.owner, ws.id)).toBe(3);
    expect(await memberCount(ws.id)).toBe(3);
  });
});

// ---- registration -------------------------------------------------------------------------

describe('registering with a code', () => {
  it('creates the account and its member place in one go; the new workspace is current', async () => {
    const ws = await workspace('Register');
    const code = await rotated(ws.owner.auth, ws.id);
    const email = uniqueEmail('with-code');
    const response = await registerWith({ email, invite_code: code });
    expect(response.statusCode, response.body).toBe(201);
    const { user, access_token: accessToken } = response.json().data;
    expect(user.tenant_role).toBe('member');
    expect(await membershipsOf(ws.id, user.id)).toEqual([{ role: 'member' }]);
    expect((await userByEmail(email))?.current_workspace_id).toBe(ws.id);
    const me = await succeed(t, { method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.json().data.current_workspace_id).toBe(ws.id);
    expect(await usersUsage(ws.owner, ws.id)).toBe(2);
  });

  it('a bad, rotated or disabled code answers 404 INVITE_CODE.NOT_FOUND and rolls the account back: the e-mail can register afterwards', async () => {
    const ws = await workspace('Rollback');
    const old = await rotated(ws.owner.auth, ws.id);
    const live = await rotated(ws.owner.auth, ws.id);
    const usersBefore = (await t.db.selectFrom('users').select('id').execute()).length;
    const email = uniqueEmail('rolled-back');

    for (const bad of ['nosuchcode22', old]) {
      expectError(await registerWith({ email, invite_code: bad }), 404, 'INVITE_CODE.NOT_FOUND');
      expect(await userByEmail(email)).toBeUndefined();
    }
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspaces/${ws.id}/invite-code`, headers: ws.owner.auth });
    expectError(await registerWith({ email, invite_code: live }), 404, 'INVITE_CODE.NOT_FOUND');
    expect(await userByEmail(email)).toBeUndefined();
    expect((await t.db.selectFrom('users').select('id').execute()).length).toBe(usersBefore);
    expect(await memberCount(ws.id)).toBe(1);

    // Nothing of the refused attempts is left in the way: the same address signs up, and signs in.
    const plain = await registerWith({ email });
    expect(plain.statusCode, plain.body).toBe(201);
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD } });
    expect(login.statusCode, login.body).toBe(200);
  });

  it('invitation_token and invite_code together answer 422 and create nothing', async () => {
    const ws = await workspace('Both');
    const code = await rotated(ws.owner.auth, ws.id);
    const email = uniqueEmail('both');
    const response = await registerWith({ email, invite_code: code, invitation_token: 'inv_whatever' });
    expect(response.statusCode, response.body).toBe(422);
    expect(await userByEmail(email)).toBeUndefined();
    expect(await memberCount(ws.id)).toBe(1);
  });

  it('admits an account while self sign-up is off (a code is the workspace’s own invitation); without a code it stays 403', async () => {
    const ws = await workspace('Closed');
    const code = await rotated(ws.owner.auth, ws.id);
    await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: tenantOwner.auth, payload: { self_signup: false } });
    try {
      const refused = uniqueEmail('closed-plain');
      expectError(await registerWith({ email: refused }), 403, 'AUTH.SIGNUP_DISABLED');
      expect(await userByEmail(refused)).toBeUndefined();

      const badCode = uniqueEmail('closed-bad');
      expectError(await registerWith({ email: badCode, invite_code: 'nosuchcode22' }), 404, 'INVITE_CODE.NOT_FOUND');
      expect(await userByEmail(badCode)).toBeUndefined();

      const email = uniqueEmail('closed-code');
      const admitted = await registerWith({ email, invite_code: code });
      expect(admitted.statusCode, admitted.body).toBe(201);
      expect(admitted.json().data.user.tenant_role).toBe('member');
      expect(await membershipsOf(ws.id, admitted.json().data.user.id)).toEqual([{ role: 'member' }]);
    } finally {
      await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: tenantOwner.auth, payload: { self_signup: true } });
    }
  });
});

// ---- visibility and audit -----------------------------------------------------------------

describe('the code in the workspace object', () => {
  it('shows to holders of invitations:create (owner, admin) on both surfaces; member, viewer and the tenant owner get null', async () => {
    const ws = await workspace('Visible');
    const admin = await register(t);
    const member = await register(t);
    const viewer = await register(t);
    await addMembership(t, ws.id, admin.userId, 'admin');
    await addMembership(t, ws.id, member.userId, 'member');
    await addMembership(t, ws.id, viewer.userId, 'viewer');

    const seenBy = async (session: Session) => {
      const snake = await t.request({ method: 'GET', url: `/api/v1/workspaces/${ws.id}`, headers: session.auth });
      const camel = await t.request({ method: 'GET', url: `/workspaces/${ws.id}`, headers: session.auth });
      expect(snake.statusCode, snake.body).toBe(200);
      expect(camel.statusCode, camel.body).toBe(200);
      expect(snake.json().data).toHaveProperty('invite_code');
      expect(camel.json()).toHaveProperty('inviteCode');
      expect(camel.json().inviteCode).toBe(snake.json().data.invite_code);
      return snake.json().data.invite_code as string | null;
    };

    // No code yet: null for everyone, the owner included.
    expect(await seenBy(ws.owner)).toBeNull();

    const code = await rotated(ws.owner.auth, ws.id);
    expect(await seenBy(ws.owner)).toBe(code);
    expect(await seenBy(admin)).toBe(code);
    for (const session of [member, viewer, tenantOwner]) expect(await seenBy(session)).toBeNull();

    // A joiner (role member) does not see the code they used.
    const joiner = await register(t);
    await succeed(t, { method: 'POST', url: `/api/v1/invite-codes/${code}/join`, headers: joiner.auth });
    expect(await seenBy(joiner)).toBeNull();

    // Rotation shows the new code; disabling shows null.
    const next = await rotated(admin.auth, ws.id);
    expect(await seenBy(ws.owner)).toBe(next);
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspaces/${ws.id}/invite-code`, headers: ws.owner.auth });
    expect(await seenBy(ws.owner)).toBeNull();
    expect(await seenBy(admin)).toBeNull();
  });

  it('the code never appears in a member’s view of the workspace list', async () => {
    const ws = await workspace('Listed');
    const code = await rotated(ws.owner.auth, ws.id);
    const member = await register(t);
    await addMembership(t, ws.id, member.userId, 'member');
    for (const url of ['/api/v1/workspaces', `/api/v1/workspaces/${ws.id}`, `/workspaces/${ws.id}`]) {
      const response = await succeed(t, { method: 'GET', url, headers: member.auth });
      expect(response.body, url).not.toContain(code);
    }
  });
});

describe('the audit log', () => {
  it('records invite_code.rotated, invite_code.disabled and member.joined_by_code with their actors, and never the code', async () => {
    const ws = await workspace('Audited');
    const first = await rotated(ws.owner.auth, ws.id);
    const joiner = await register(t);
    await succeed(t, { method: 'POST', url: `/api/v1/invite-codes/${first}/join`, headers: joiner.auth });
    // A repeat join changes nothing, so it records nothing.
    await succeed(t, { method: 'POST', url: `/api/v1/invite-codes/${first}/join`, headers: joiner.auth });
    const second = await rotated(ws.owner.auth, ws.id);
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspaces/${ws.id}/invite-code`, headers: ws.owner.auth });
    // Disabling with nothing live is no change either.
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspaces/${ws.id}/invite-code`, headers: ws.owner.auth });

    const response = await t.request({ method: 'GET', url: '/api/v1/audit-events?limit=100', headers: inWs(ws.owner.auth, ws.id) });
    expect(response.statusCode, response.body).toBe(200);
    const events = (response.json().data as Array<{ action: string; actor_user_id: number | null; target_type: string; target_id: string | null; workspace_id: number | null }>)
      .filter((event) => event.action.startsWith('invite_code.') || event.action === 'member.joined_by_code')
      .reverse();
    expect(events.map((event) => [event.action, event.actor_user_id])).toEqual([
      ['invite_code.rotated', ws.owner.userId],
      ['member.joined_by_code', joiner.userId],
      ['invite_code.rotated', ws.owner.userId],
      ['invite_code.disabled', ws.owner.userId],
    ]);
    for (const event of events) expect(event).toMatchObject({ target_type: 'workspace', target_id: String(ws.id), workspace_id: ws.id });

    for (const code of [first, second]) {
      expect(response.body).not.toContain(code);
      expect(response.body).not.toContain(code.toUpperCase());
    }
    const stored = await t.db.selectFrom('audit_events').selectAll().where('workspace_id', '=', ws.id).execute();
    const dump = JSON.stringify(stored);
    for (const code of [first, second]) expect(dump).not.toContain(code);

    // The joiner is a member: not allowed to read the log.
    const asJoiner = await t.request({ method: 'GET', url: '/api/v1/audit-events', headers: inWs(joiner.auth, ws.id) });
    expect(asJoiner.statusCode).toBe(403);
  });
});

describe('the audit log of a registration with a code', () => {
  it('records member.joined_by_code for the new account, as for a signed-in join, and not the code', async () => {
    const ws = await workspace('Audited Signup');
    const code = await rotated(ws.owner.auth, ws.id);
    const email = uniqueEmail('audited-signup');
    const response = await registerWith({ email, invite_code: code });
    expect(response.statusCode, response.body).toBe(201);
    const userId = response.json().data.user.id as number;

    const log = await t.request({ method: 'GET', url: '/api/v1/audit-events?limit=100', headers: inWs(ws.owner.auth, ws.id) });
    expect(log.statusCode, log.body).toBe(200);
    const joins = (log.json().data as Array<{ action: string; actor_user_id: number | null; target_id: string | null }>).filter(
      (event) => event.action === 'member.joined_by_code',
    );
    expect(joins).toEqual([expect.objectContaining({ actor_user_id: userId, target_id: String(ws.id), workspace_id: ws.id })]);
    expect(log.body).not.toContain(code);
  });
});

// ---- rate limit ---------------------------------------------------------------------------

describe('join rate limits', () => {
  const LIMIT = 3;
  let limited: TestApp;

  beforeAll(async () => {
    limited = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: String(LIMIT), AUTH_RATE_LIMIT_WINDOW_SECONDS: '60' } });
  });
  afterAll(async () => limited?.close());

  /** Registration is limited per IP too: each account comes from its own address. */
  let address = 0;
  async function account(name: string): Promise<Session> {
    address += 1;
    const email = uniqueEmail(name);
    const response = await limited.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      remoteAddress: `198.51.100.${address}`,
      payload: { name, email, password: PASSWORD },
    });
    expect(response.statusCode, response.body).toBe(201);
    const data = response.json().data;
    return { userId: data.user.id, email, accessToken: data.access_token, refreshToken: data.refresh_token, auth: { authorization: `Bearer ${data.access_token}` } };
  }
  const joinFrom = (session: Session, code: string, ip: string) =>
    limited.request({ method: 'POST', url: `/api/v1/invite-codes/${code}/join`, headers: session.auth, remoteAddress: ip });

  function expectLimited(response: Response) {
    expectError(response, 429, 'AUTH.RATE_LIMITED');
    const retryAfter = Number(response.headers['retry-after']);
    expect(Number.isInteger(retryAfter), `Retry-After ${response.headers['retry-after']}`).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  }

  it(`answers 429 with Retry-After past ${LIMIT} joins per IP and per user, and a refused join writes nothing`, async () => {
    const owner = await account('limit-owner');
    const created = await limited.request({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: 'Rate Limited' } });
    expect(created.statusCode, created.body).toBe(201);
    const wsId = created.json().data.id as number;
    const rotation = await limited.request({ method: 'POST', url: `/api/v1/workspaces/${wsId}/invite-code`, headers: owner.auth });
    expect(rotation.statusCode, rotation.body).toBe(200);
    const code = rotation.json().data.invite_code as string;

    const first = await account('limit-first');
    const second = await account('limit-second');
    const ipA = '203.0.113.10';
    const ipB = '203.0.113.11';
    const ipC = '203.0.113.12';

    // Within the limit: one join and repeats, all 200.
    for (let attempt = 0; attempt < LIMIT; attempt += 1) {
      const response = await joinFrom(first, code, ipA);
      expect(response.statusCode, `attempt ${attempt + 1}: ${response.body}`).toBe(200);
      expect(response.json().data.joined).toBe(attempt === 0);
    }
    // Past it, from the same address and the same user.
    expectLimited(await joinFrom(first, code, ipA));
    // Per IP: another user from that address is refused, and is not made a member.
    expectLimited(await joinFrom(second, code, ipA));
    const secondRows = await limited.db.selectFrom('memberships').select('role').where('workspace_id', '=', wsId).where('user_id', '=', second.userId).execute();
    expect(secondRows).toEqual([]);
    // Per user: the first user from a fresh address is still refused.
    expectLimited(await joinFrom(first, code, ipC));
    // Another user from another address is not affected.
    const fromB = await joinFrom(second, code, ipB);
    expect(fromB.statusCode, fromB.body).toBe(200);
    expect(fromB.json().data).toEqual({ workspace_id: wsId, joined: true });

    const members = await limited.db.selectFrom('memberships').select(['user_id', 'role']).where('workspace_id', '=', wsId).orderBy('user_id').execute();
    expect(members).toEqual([
      { user_id: owner.userId, role: 'owner' },
      { user_id: first.userId, role: 'member' },
      { user_id: second.userId, role: 'member' },
    ]);
    expect(await invariantViolations(limited.db)).toEqual({});
  });

  it('limits unknown-code guessing the same way: 404s count, then 429', async () => {
    const guesser = await account('limit-guesser');
    const ip = '203.0.113.50';
    for (let attempt = 0; attempt < LIMIT; attempt += 1) {
      expectError(await joinFrom(guesser, `guess${String(attempt).padStart(7, '2')}`, ip), 404, 'INVITE_CODE.NOT_FOUND');
    }
    expectLimited(await joinFrom(guesser, 'guessguessgu', ip));
  });
});
