/**
 * Member access (issue 16): escalation through per-member overrides. Every attempt is refused
 * with the documented status and code AND changes nothing: the target's overrides as the API
 * answers them, the rows of `member_permission_overrides`, and the number of `audit_events`
 * are the same before and after. Each refusal has an allowed twin next to it (same caller,
 * same route, a change within the caller's reach), so a refusal is about the escalation, not
 * about the request.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
/** W's owner (the tenant's first user, so also the tenant owner). */
let owner: Session;
/** An admin of W. */
let admin: Session;
/** A plain member of W granted members:manage and revoked contacts:create by the owner. */
let manager: Session;
/** Plain members of W, the targets. */
let target: Session;
let bare: Session;
/** S: a sub workspace of W's group, owned by its own user; `subMember` is a member of S. */
let subOwner: Session;
let subMember: Session;
let ws: number;
let sub: number;

beforeAll(async () => {
  t = await startTestApp({ env: { INVITATION_RATE_LIMIT_MAX: '1000000', INVITATION_RECIPIENT_RATE_LIMIT_MAX: '1000000' } });
  owner = await register(t, { name: 'Escalation Owner' });
  admin = await register(t, { name: 'Escalation Admin' });
  manager = await register(t, { name: 'Escalation Manager' });
  target = await register(t, { name: 'Escalation Target' });
  bare = await register(t, { name: 'Escalation Bare' });
  subOwner = await register(t, { name: 'Sub Owner' });
  subMember = await register(t, { name: 'Sub Member' });
  ws = (await createWorkspace(t, owner, 'Escalation W')).id;
  sub = (await createWorkspace(t, subOwner, 'Escalation S')).id;
  await succeed(t, { method: 'POST', url: '/api/v1/roles', headers: inWs(owner), payload: { name: 'bare', display_name: 'Bare', permissions: [] } }, 201);
  await addMembership(t, ws, admin.userId, 'admin');
  await addMembership(t, ws, manager.userId, 'member');
  await addMembership(t, ws, target.userId, 'member');
  await addMembership(t, ws, bare.userId, 'bare');
  await addMembership(t, sub, subMember.userId, 'member');
  await succeed(t, { method: 'POST', url: '/api/v1/roles', headers: inWs(subOwner, sub), payload: { name: 'bare', display_name: 'Bare', permissions: [] } }, 201);
  await addMembership(t, sub, bare.userId, 'bare');
  await setAsOwner(manager.userId, { grant: ['members:manage'], revoke: ['contacts:create'] });
  // W administers S (seed 004): W's owner invites, S's owner accepts.
  const invited = await succeed(t, { method: 'POST', url: '/workspace-group-members', headers: inWs(owner), payload: { sub_workspace_id: sub } }, 201);
  await succeed(t, { method: 'POST', url: `/api/v1/workspace-group-invitations/${invited.json().data.id}/accept`, headers: inWs(subOwner, sub) });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t?.close());

const inWs = (session: Session, id = ws) => ({ ...session.auth, 'x-workspace-id': String(id) });
const actingAs = (session: Session, id = sub) => ({ ...session.auth, 'x-as-workspace': String(id) });
const bearer = (secret: string, id = ws) => ({ authorization: `Bearer ${secret}`, 'x-workspace-id': String(id) });

interface Overrides {
  grant?: string[];
  revoke?: string[];
}

const putOverrides = (headers: Record<string, string>, userId: number, payload: Overrides) =>
  t.request({ method: 'PUT', url: `/api/v1/members/${userId}/permissions`, headers, payload: payload });

/** The owner sets a member's overrides (the owner holds everything, so it never escalates). */
async function setAsOwner(userId: number, payload: Overrides, workspaceId = ws, by = owner) {
  const response = await putOverrides(inWs(by, workspaceId), userId, payload);
  if (response.statusCode !== 200) throw new Error(`set-up PUT overrides of ${userId} answered ${response.statusCode}: ${response.body}`);
  return response.json().data;
}

/** A member's overrides as the API answers them to the workspace's owner. */
async function overridesViaApi(userId: number, workspaceId = ws, by = owner) {
  const response = await succeed(t, { method: 'GET', url: `/api/v1/members/${userId}/permissions`, headers: inWs(by, workspaceId) });
  const data = response.json().data;
  return { role: data.role, grant: data.grant, revoke: data.revoke, permissions: data.permissions };
}

/** Every override row of the database, sorted. */
async function overrideRows(): Promise<string[]> {
  const rows = await t.db.selectFrom('member_permission_overrides').select(['workspace_id', 'user_id', 'permission', 'effect']).execute();
  return rows.map((row) => `${row.workspace_id}/${row.user_id} ${row.effect} ${row.permission}`).sort();
}

async function auditCount(): Promise<number> {
  const row = await t.db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function roleOf(userId: number, workspaceId = ws): Promise<string | undefined> {
  const row = await t.db.selectFrom('memberships').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).executeTakeFirst();
  return row?.role;
}

async function myPermissions(headers: Record<string, string>): Promise<string[]> {
  return (await succeed(t, { method: 'GET', url: '/api/v1/permissions/me', headers })).json().data.permissions;
}

interface Refusal {
  status: number;
  code: string;
  permission?: string;
  reason?: string;
}

/**
 * Sends `request` and expects the refusal; the target's overrides (API and table), every
 * override row, the target's role and the audit log are the same afterwards.
 */
async function expectRefusedUnchanged(request: InjectOptions, refusal: Refusal, watched: { userId: number; workspaceId?: number }) {
  const workspaceId = watched.workspaceId ?? ws;
  const owning = workspaceId === ws ? owner : subOwner;
  const before = {
    api: await overridesViaApi(watched.userId, workspaceId, owning),
    rows: await overrideRows(),
    role: await roleOf(watched.userId, workspaceId),
    audit: await auditCount(),
  };
  const response = await t.request(request);
  const error = response.json().error ?? {};
  expect(
    { status: response.statusCode, code: error.code, permission: error.details?.permission, reason: error.details?.reason },
    `${request.method} ${JSON.stringify(request.url)}: ${response.body}`,
  ).toEqual({ status: refusal.status, code: refusal.code, permission: refusal.permission, reason: refusal.reason });
  const after = {
    api: await overridesViaApi(watched.userId, workspaceId, owning),
    rows: await overrideRows(),
    role: await roleOf(watched.userId, workspaceId),
    audit: await auditCount(),
  };
  expect(after).toEqual(before);
}

/** The member.permissions_changed events about a member in a workspace. */
async function changeEvents(userId: number, workspaceId: number): Promise<number> {
  const row = await t.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('action', '=', 'member.permissions_changed')
    .where('workspace_id', '=', workspaceId)
    .where('target_id', '=', String(userId))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** An allowed change: 200, the overrides as asked, one member.permissions_changed event more in the workspace. */
async function expectChanged(headers: Record<string, string>, userId: number, payload: Overrides, workspaceId = ws) {
  const audit = await changeEvents(userId, workspaceId);
  const response = await putOverrides(headers, userId, payload);
  expect(response.statusCode, response.body).toBe(200);
  expect({ grant: response.json().data.grant, revoke: response.json().data.revoke }).toEqual({
    grant: [...(payload.grant ?? [])].sort(),
    revoke: [...(payload.revoke ?? [])].sort(),
  });
  const rows = await t.db
    .selectFrom('member_permission_overrides')
    .select(['permission', 'effect'])
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .execute();
  expect(rows.map((row) => `${row.effect} ${row.permission}`).sort()).toEqual(
    [...(payload.grant ?? []).map((p) => `grant ${p}`), ...(payload.revoke ?? []).map((p) => `revoke ${p}`)].sort(),
  );
  expect(await changeEvents(userId, workspaceId)).toBe(audit + 1);
}

async function createKey(headers: Record<string, string>, scopes: string[]): Promise<string> {
  const response = await succeed(t, { method: 'POST', url: '/api/v1/api-keys', headers, payload: { name: `escalation key ${scopes.join(' ')}`, scopes } }, 201);
  return response.json().data.secret;
}

const put = (headers: Record<string, string>, userId: number, payload: Overrides): InjectOptions => ({
  method: 'PUT',
  url: `/api/v1/members/${userId}/permissions`,
  headers,
  payload: payload,
});

describe('escalation through overrides: refused, and nothing changes', () => {
  it('nobody changes their own overrides, by session or by their own API key, not even to take something away', async () => {
    await expectRefusedUnchanged(put(inWs(admin), admin.userId, { grant: ['workspaces:delete'] }), { status: 403, code: 'AUTH.FORBIDDEN', reason: 'cannot_change_own_permissions' }, { userId: admin.userId });
    await expectRefusedUnchanged(put(inWs(admin), admin.userId, { revoke: ['audit:view'] }), { status: 403, code: 'AUTH.FORBIDDEN', reason: 'cannot_change_own_permissions' }, { userId: admin.userId });
    await expectRefusedUnchanged(put(inWs(manager), manager.userId, {}), { status: 403, code: 'AUTH.FORBIDDEN', reason: 'cannot_change_own_permissions' }, { userId: manager.userId });
    const key = await createKey(inWs(admin), ['members:view', 'members:manage', 'audit:view']);
    await expectRefusedUnchanged(put(bearer(key), admin.userId, { grant: ['workspaces:delete'] }), { status: 403, code: 'AUTH.FORBIDDEN', reason: 'cannot_change_own_permissions' }, { userId: admin.userId });
    // The owner's key, about the owner: own (403) before owner (409).
    const ownerKey = await createKey(inWs(owner), ['members:view', 'members:manage']);
    await expectRefusedUnchanged(put(bearer(ownerKey), owner.userId, { revoke: ['members:view'] }), { status: 403, code: 'AUTH.FORBIDDEN', reason: 'cannot_change_own_permissions' }, { userId: owner.userId });
    // The same key changes someone else: it is the target that refused.
    await expectChanged(bearer(key), bare.userId, { grant: ['audit:view'] });
    await setAsOwner(bare.userId, {});
  });

  it('nobody grants what they lack', async () => {
    await expectRefusedUnchanged(put(inWs(admin), target.userId, { grant: ['workspaces:delete'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'workspaces:delete' }, { userId: target.userId });
    await expectRefusedUnchanged(put(inWs(admin), target.userId, { grant: ['audit:view', 'workspaces:transfer'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'workspaces:transfer' }, { userId: target.userId });
    // The manager (a member granted members:manage) lacks invitations:create, and contacts:create (revoked).
    await expectRefusedUnchanged(put(inWs(manager), bare.userId, { grant: ['invitations:create'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'invitations:create' }, { userId: bare.userId });
    await expectRefusedUnchanged(put(inWs(manager), bare.userId, { grant: ['contacts:create'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'contacts:create' }, { userId: bare.userId });
    // What the manager holds, members:manage included, it may grant.
    await expectChanged(inWs(manager), bare.userId, { grant: ['members:manage', 'invoices:create'] });
    await setAsOwner(bare.userId, {});
  });

  it('nobody takes back a revoke of what they lack', async () => {
    await setAsOwner(target.userId, { revoke: ['contacts:create', 'quotations:create'] });
    try {
      // The manager lacks contacts:create: lifting its revoke would hand it back.
      await expectRefusedUnchanged(put(inWs(manager), target.userId, { revoke: ['quotations:create'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'contacts:create' }, { userId: target.userId });
      await expectRefusedUnchanged(put(inWs(manager), target.userId, {}), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'contacts:create' }, { userId: target.userId });
      // Lifting the revoke of what the manager holds is fine.
      await expectChanged(inWs(manager), target.userId, { revoke: ['contacts:create'] });
    } finally {
      await setAsOwner(target.userId, {});
    }
  });

  it('nobody changes a member who holds more than they do, nor the owner', async () => {
    // The manager holds members:manage but not what an admin holds: not even a revoke is allowed.
    const response = await t.request(put(inWs(manager), admin.userId, { revoke: ['audit:view'] }));
    expect(response.statusCode, response.body).toBe(403);
    const missing: string = response.json().error.details.permission;
    expect((await myPermissions(inWs(manager))).includes(missing)).toBe(false);
    expect((await overridesViaApi(admin.userId)).permissions).toContain(missing);
    await expectRefusedUnchanged(put(inWs(manager), admin.userId, { revoke: ['audit:view'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: missing }, { userId: admin.userId });
    // The owner: 409, for an admin and for the manager alike.
    await expectRefusedUnchanged(put(inWs(admin), owner.userId, { revoke: ['members:view'] }), { status: 409, code: 'MEMBER.IS_OWNER' }, { userId: owner.userId });
    await expectRefusedUnchanged(put(inWs(admin), owner.userId, {}), { status: 409, code: 'MEMBER.IS_OWNER' }, { userId: owner.userId });
    await expectRefusedUnchanged(put(inWs(manager), owner.userId, { grant: ['members:view'] }), { status: 409, code: 'MEMBER.IS_OWNER' }, { userId: owner.userId });
    expect(await overridesViaApi(owner.userId)).toMatchObject({ grant: [], revoke: [] });
  });

  it("an API key grants nothing outside its scopes, though its creator holds it", async () => {
    const key = await createKey(inWs(owner), ['members:view', 'members:manage', 'audit:view']);
    await expectRefusedUnchanged(put(bearer(key), bare.userId, { grant: ['invitations:create'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'invitations:create' }, { userId: bare.userId });
    // A member holds more than the key's scopes: the key may not change them at all.
    const response = await t.request(put(bearer(key), target.userId, { revoke: ['audit:view'] }));
    expect(response.statusCode, response.body).toBe(403);
    expect(['members:view', 'members:manage', 'audit:view']).not.toContain(response.json().error.details.permission);
    await expectChanged(bearer(key), bare.userId, { grant: ['audit:view'] });
    await setAsOwner(bare.userId, {});
  });

  it("an API key loses, on the very next request, what a revoke override takes from its creator", async () => {
    const key = await createKey(inWs(admin), ['workspaces:view', 'members:view', 'members:manage', 'invitations:create']);
    await expectChanged(bearer(key), bare.userId, { grant: ['invitations:create'] });
    await setAsOwner(bare.userId, {});
    await setAsOwner(admin.userId, { revoke: ['invitations:create'] });
    try {
      await expectRefusedUnchanged(put(bearer(key), bare.userId, { grant: ['invitations:create'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'invitations:create' }, { userId: bare.userId });
      const invite = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: bearer(key), payload: { email: 'key.invitee@example.com', role: 'bare' } });
      expect({ status: invite.statusCode, permission: invite.json().error?.details?.permission }).toEqual({ status: 403, permission: 'invitations:create' });
      await setAsOwner(admin.userId, { revoke: ['members:manage'] });
      await expectRefusedUnchanged(put(bearer(key), bare.userId, { grant: ['members:view'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'members:manage' }, { userId: bare.userId });
      // The override replaced the earlier one: invitations:create is back, members:manage gone.
      expect((await myPermissions(bearer(key))).sort()).toEqual(['invitations:create', 'members:view', 'workspaces:view']);
    } finally {
      await setAsOwner(admin.userId, {});
    }
    // Given back, the key may again.
    await expectChanged(bearer(key), bare.userId, { grant: ['invitations:create'] });
    await setAsOwner(bare.userId, {});
  });

  it('acting as a sub workspace, nobody grants a permission withheld when acting', async () => {
    // The admin of W acts as S with W's admin role, minus what is withheld when acting.
    const acting = await myPermissions(actingAs(admin));
    expect(acting).toContain('members:manage');
    for (const withheld of ['workspaces:delete', 'workspaces:transfer', 'groups:manage', 'groups:join']) {
      expect(acting).not.toContain(withheld);
      await expectRefusedUnchanged(put(actingAs(admin), subMember.userId, { grant: [withheld] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: withheld }, { userId: subMember.userId, workspaceId: sub });
    }
    // Also through the admin's key of W acting as S (scoped with groups:manage, which it holds in W),
    // about S's member who holds nothing.
    const key = await createKey(inWs(admin), ['members:view', 'members:manage', 'groups:manage', 'audit:view']);
    const keyActing = { authorization: `Bearer ${key}`, 'x-as-workspace': String(sub) };
    await expectRefusedUnchanged(put(keyActing, bare.userId, { grant: ['groups:manage'] }), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'groups:manage' }, { userId: bare.userId, workspaceId: sub });
    await expectChanged(keyActing, bare.userId, { grant: ['audit:view'] }, sub);
    await setAsOwner(bare.userId, {}, sub, subOwner);
    // In W itself, the same key may grant groups:manage: the refusal above was the acting.
    await expectChanged(bearer(key), bare.userId, { grant: ['groups:manage'] });
    await setAsOwner(bare.userId, {});
    // What is not withheld, the admin may grant acting as S (the change is S's).
    await expectChanged(actingAs(admin), subMember.userId, { grant: ['audit:view'] }, sub);
    await setAsOwner(subMember.userId, {}, sub, subOwner);
    // S's owner, as itself, may grant groups:manage: the refusal above was the acting.
    await expectChanged(inWs(subOwner, sub), subMember.userId, { grant: ['groups:manage'] }, sub);
    await setAsOwner(subMember.userId, {}, sub, subOwner);
  });
});

describe('overrides take effect on the very next request', () => {
  it("a revoke on an admin stops that admin at once, and removing it restores them", async () => {
    const invite = (email: string) => t.request({ method: 'POST', url: '/api/v1/invitations', headers: inWs(admin), payload: { email, role: 'bare' } });
    expect((await invite('before.revoke@example.com')).statusCode).toBe(201);
    await setAsOwner(admin.userId, { revoke: ['invitations:create'] });
    const refused = await invite('during.revoke@example.com');
    expect({ status: refused.statusCode, code: refused.json().error?.code, permission: refused.json().error?.details?.permission }).toEqual({
      status: 403,
      code: 'AUTH.FORBIDDEN',
      permission: 'invitations:create',
    });
    const pending = await t.db.selectFrom('invitations').select('email').where('email', '=', 'during.revoke@example.com').execute();
    expect(pending).toEqual([]);
    // Acting as S too: the admin's role in W is what acts.
    expect(await myPermissions(actingAs(admin))).not.toContain('invitations:create');
    await setAsOwner(admin.userId, {});
    expect((await invite('after.revoke@example.com')).statusCode).toBe(201);
    expect(await myPermissions(actingAs(admin))).toContain('invitations:create');
  });

  it('a member removed and added again starts with no overrides', async () => {
    const returning = await register(t, { name: 'Returning Member' });
    await addMembership(t, ws, returning.userId, 'member');
    await setAsOwner(returning.userId, { grant: ['audit:view'], revoke: ['members:view'] });
    expect(await myPermissions(inWs(returning))).toContain('audit:view');
    await succeed(t, { method: 'DELETE', url: `/api/v1/members/${returning.userId}`, headers: inWs(owner) });
    expect((await overrideRows()).filter((row) => row.startsWith(`${ws}/${returning.userId} `))).toEqual([]);
    const gone = await t.request({ method: 'GET', url: `/api/v1/members/${returning.userId}/permissions`, headers: inWs(owner) });
    expect({ status: gone.statusCode, code: gone.json().error?.code }).toEqual({ status: 404, code: 'MEMBER.NOT_FOUND' });
    // Back through an invitation, accepted.
    const invited = await succeed(t, { method: 'POST', url: '/api/v1/invitations', headers: inWs(owner), payload: { email: returning.email, role: 'member' } }, 201);
    await succeed(t, { method: 'POST', url: '/api/v1/invitations/accept', headers: returning.auth, payload: { token: invited.json().data.token } });
    expect(await overridesViaApi(returning.userId)).toMatchObject({ role: 'member', grant: [], revoke: [] });
    const now = await myPermissions(inWs(returning));
    expect(now).not.toContain('audit:view');
    expect(now).toContain('members:view');
    const audit = await t.request({ method: 'GET', url: '/api/v1/audit-events', headers: inWs(returning) });
    expect(audit.statusCode).toBe(403);
  });

  it("ownership transfer clears the new owner's overrides", async () => {
    const from = await register(t, { name: 'Transfer From' });
    const to = await register(t, { name: 'Transfer To' });
    const other = (await createWorkspace(t, from, 'Transfer W')).id;
    await addMembership(t, other, to.userId, 'member');
    await setAsOwner(to.userId, { grant: ['audit:view'], revoke: ['members:view'] }, other, from);
    expect(await myPermissions(inWs(to, other))).not.toContain('members:view');
    await succeed(t, { method: 'POST', url: `/api/v1/workspaces/${other}/transfer-ownership`, headers: from.auth, payload: { user_id: to.userId } });
    expect((await overrideRows()).filter((row) => row.startsWith(`${other}/`))).toEqual([]);
    const view = await overridesViaApi(to.userId, other, to);
    expect(view).toMatchObject({ role: 'owner', grant: [], revoke: [] });
    expect(await myPermissions(inWs(to, other))).toContain('members:view');
    const event = await t.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'workspace.ownership_transferred')
      .where('workspace_id', '=', other)
      .executeTakeFirstOrThrow();
    const details = typeof event.details === 'string' ? JSON.parse(event.details) : event.details;
    expect(details.cleared_overrides).toEqual({ grant: ['audit:view'], revoke: ['members:view'] });
    // The old owner, now an admin, starts with none and may be given some.
    expect(await overridesViaApi(from.userId, other, to)).toMatchObject({ role: 'admin', grant: [], revoke: [] });
  });

  it('nobody changes their own role, not even acting as a sub workspace they are also a member of', async () => {
    const changeRole = (headers: Record<string, string>, userId: number, role: string): InjectOptions => ({ method: 'PUT', url: `/api/v1/members/${userId}`, headers, payload: { role } });
    const own = { status: 403, code: 'AUTH.FORBIDDEN', reason: 'cannot_change_own_role' };
    await expectRefusedUnchanged(changeRole(inWs(manager), manager.userId, 'viewer'), own, { userId: manager.userId });
    await expectRefusedUnchanged(changeRole(inWs(admin), admin.userId, 'member'), own, { userId: admin.userId });
    // W's admin is also a viewer of S: acting as S with W's admin role, a raise of the S
    // membership would outlive the link between W and S.
    await addMembership(t, sub, admin.userId, 'viewer');
    try {
      await expectRefusedUnchanged(changeRole(actingAs(admin), admin.userId, 'admin'), own, { userId: admin.userId, workspaceId: sub });
      expect(await roleOf(admin.userId, sub)).toBe('viewer');
      // The same caller acting as S changes someone else's role there: it was the self that refused.
      await succeed(t, changeRole(actingAs(admin), subMember.userId, 'viewer'));
      expect(await roleOf(subMember.userId, sub)).toBe('viewer');
      await succeed(t, changeRole(actingAs(admin), subMember.userId, 'member'));
    } finally {
      await succeed(t, { method: 'DELETE', url: `/api/v1/members/${admin.userId}`, headers: inWs(subOwner, sub) });
    }
  });

  it('a role change keeps the overrides, and is refused when the caller lacks what the member holds or would hold', async () => {
    const member = await register(t, { name: 'Role Change Member' });
    await addMembership(t, ws, member.userId, 'member');
    await setAsOwner(member.userId, { grant: ['audit:view'], revoke: ['contacts:create'] });
    const changeRole = (headers: Record<string, string>, role: string): InjectOptions => ({ method: 'PUT', url: `/api/v1/members/${member.userId}`, headers, payload: { role } });
    // An admin moves the member to `bare` (nothing): the overrides stay, and are all the member holds.
    await succeed(t, changeRole(inWs(admin), 'bare'));
    const kept = await overridesViaApi(member.userId);
    expect(kept).toMatchObject({ role: 'bare', grant: ['audit:view'], revoke: ['contacts:create'], permissions: ['audit:view'] });
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-events', headers: inWs(member) })).statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: inWs(member) })).statusCode).toBe(403);
    // The manager (member + members:manage, without audit:view): the member's kept grant is beyond them.
    await expectRefusedUnchanged(changeRole(inWs(manager), 'viewer'), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'audit:view' }, { userId: member.userId });
    await expectRefusedUnchanged(changeRole(inWs(manager), 'bare'), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'audit:view' }, { userId: member.userId });
    // An admin whose audit:view is revoked: any role the admin holds, the kept grant is not.
    await setAsOwner(admin.userId, { revoke: ['audit:view'] });
    try {
      await expectRefusedUnchanged(changeRole(inWs(admin), 'member'), { status: 403, code: 'AUTH.FORBIDDEN', permission: 'audit:view' }, { userId: member.userId });
    } finally {
      await setAsOwner(admin.userId, {});
    }
    // Restored, the admin moves the member back to `member`: the overrides are still there.
    await succeed(t, changeRole(inWs(admin), 'member'));
    const back = await overridesViaApi(member.userId);
    expect(back).toMatchObject({ role: 'member', grant: ['audit:view'], revoke: ['contacts:create'] });
    expect(back.permissions).toContain('invoices:create');
    expect(back.permissions).not.toContain('contacts:create');
    // Nobody makes the member an admin without holding all of it: the manager is refused.
    await setAsOwner(member.userId, {});
    const refused = await t.request(changeRole(inWs(manager), 'admin'));
    expect(refused.statusCode, refused.body).toBe(403);
    expect(await roleOf(member.userId)).toBe('member');
  });
});
