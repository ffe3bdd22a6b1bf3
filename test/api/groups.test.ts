/**
 * Workspace groups (seed 004), black-box over HTTP: an admin workspace invites a sub
 * workspace, whose owner accepts; from then on the admin workspace's members and API keys
 * act in the sub workspace through `x-as-workspace`, with the permissions they hold in the
 * admin workspace, until either side ends the link. Proves the seed's walkthrough as
 * written, its limitations and error answers, who `x-as-workspace` admits, what acting may
 * never do (and that such refusals change nothing), the response headers, the double audit
 * trail, and that a removal is enforced on the very next request in another process.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import {
  addMembership,
  createTenant,
  createWorkspace,
  register,
  startSecondApp,
  startTestApp,
  succeed,
  uniqueEmail,
  type SecondApp,
  type Session,
  type TestApp,
} from '../support/test-app.ts';

type Headers = Record<string, string>;
type Response = Awaited<ReturnType<TestApp['request']>>;
/** A workspace with its owner, created over HTTP for one test. */
interface Ws {
  id: number;
  name: string;
  owner: Session;
  ownerName: string;
}

const DAY_MS = 24 * 3600 * 1000;
const MISSING_ID = 99_999_999;
/** The seed writes the member routes at the root; the invitation routes are used under /api/v1. */
const MEMBERS = '/workspace-group-members';
const INVITATIONS = '/api/v1/workspace-group-invitations';

let t: TestApp;
/** The tenant's first user, so its owner: sees every workspace read-only, and is a member of none used below. */
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
const asSub = (auth: Headers, subId: number) => ({ ...auth, 'x-as-workspace': String(subId) });

async function workspaceOf(label: string): Promise<Ws> {
  seq += 1;
  const ownerName = `${label} Owner ${seq}`;
  const owner = await register(t, { name: ownerName, email: uniqueEmail(label.toLowerCase().replace(/\W+/g, '.')) });
  const created = await createWorkspace(t, owner, `${label} ${seq} ${process.pid}`);
  return { id: created.id, name: created.name, owner, ownerName };
}

function expectError(response: Response, status: number, code: string, details?: Record<string, unknown>) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.json().error.code).toBe(code);
  if (details) expect(response.json().error.details).toMatchObject(details);
}

const invite = (admin: Ws, subId: number, extra: Headers = {}) =>
  t.request({ method: 'POST', url: MEMBERS, headers: inWs(admin.owner.auth, admin.id, extra), payload: { sub_workspace_id: subId } });

/** A pending invitation of `sub` by `admin`; its id. */
async function invited(admin: Ws, sub: Ws, extra: Headers = {}): Promise<number> {
  const response = await invite(admin, sub.id, extra);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data.id as number;
}

const answer = (auth: Headers, workspaceId: number, invitationId: number, verb: 'accept' | 'decline') =>
  t.request({ method: 'POST', url: `${INVITATIONS}/${invitationId}/${verb}`, headers: inWs(auth, workspaceId) });

/** `sub` invited by `admin` and accepted by its owner; the link (workspace group member) id. */
async function linked(admin: Ws, sub: Ws): Promise<number> {
  const accepted = await answer(sub.owner.auth, sub.id, await invited(admin, sub), 'accept');
  expect(accepted.statusCode, accepted.body).toBe(200);
  return accepted.json().data.workspace_group_member_id as number;
}

async function group(): Promise<{ admin: Ws; sub: Ws; linkId: number }> {
  const admin = await workspaceOf('Admin');
  const sub = await workspaceOf('Sub');
  return { admin, sub, linkId: await linked(admin, sub) };
}

/** A user added to a workspace with `role` (fixture set-up). */
async function memberOf(ws: Ws, role: string): Promise<Session> {
  const user = await register(t, { name: `${role} of ${ws.name}` });
  await addMembership(t, ws.id, user.userId, role);
  return user;
}

async function apiKey(ws: Ws, scopes: string[]): Promise<{ id: number; auth: Headers }> {
  const response = await succeed(t, { method: 'POST', url: '/api/v1/api-keys', headers: inWs(ws.owner.auth, ws.id), payload: { name: 'group key', scopes } }, 201);
  const data = response.json().data as { id: number; secret: string };
  return { id: data.id, auth: { authorization: `Bearer ${data.secret}` } };
}

const listMembers = (headers: Headers) => t.request({ method: 'GET', url: '/api/v1/members', headers });

const createRole = (headers: Headers, name: string, permissions: string[] = ['members:view']) =>
  t.request({ method: 'POST', url: '/api/v1/roles', headers, payload: { name, display_name: name, permissions } });

async function roleNames(ws: Ws): Promise<string[]> {
  const response = await succeed(t, { method: 'GET', url: '/api/v1/roles?limit=100', headers: inWs(ws.owner.auth, ws.id) });
  return response.json().data.map((role: { name: string }) => role.name);
}

const linkOf = (subId: number) => t.db.selectFrom('workspace_group_members').selectAll().where('sub_workspace_id', '=', subId).executeTakeFirst();

async function invitationStatus(id: number): Promise<string> {
  const row = await t.db.selectFrom('workspace_group_invitations').select('status').where('id', '=', id).executeTakeFirstOrThrow();
  return row.status;
}

async function listedInvitation(ws: Ws, id: number, direction: 'received' | 'sent' = 'received') {
  const response = await succeed(t, { method: 'GET', url: `${INVITATIONS}?direction=${direction}&limit=100`, headers: inWs(ws.owner.auth, ws.id) });
  return response.json().data.find((invitation: { id: number }) => invitation.id === id);
}

// ---- 1. the seed's walkthrough -----------------------------------------------------------

describe('seed 004 walkthrough', () => {
  it('invites, accepts, manages the sub with ONE API key of the admin, then removes it, and it leaves', async () => {
    const a = await workspaceOf('Head Office');
    const b = await workspaceOf('Branch');

    // Adding sub workspaces using the API: POST /workspace-group-members {sub_workspace_id}.
    const sent = await invite(a, b.id);
    expect(sent.statusCode, sent.body).toBe(201);
    const invitation = sent.json().data;
    expect(sent.json().message).toBe('Invitation sent to the workspace owner.');
    expect(invitation).toMatchObject({ admin_workspace_id: a.id, sub_workspace_id: b.id, status: 'pending' });
    expect(Date.parse(invitation.expires_at) - Date.parse(invitation.created_at)).toBe(7 * DAY_MS);

    // The sub workspace's owner sees it and accepts; only then is it a sub workspace.
    expect(await listedInvitation(b, invitation.id)).toMatchObject({
      direction: 'received',
      admin_workspace_id: a.id,
      admin_workspace_name: a.name,
      sub_workspace_id: b.id,
      status: 'pending',
    });
    const accepted = await answer(b.owner.auth, b.id, invitation.id, 'accept');
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().data).toMatchObject({ id: a.id, name: a.name });

    // Using a single API key (of the admin workspace, with the scopes the endpoints need).
    const key = await apiKey(a, ['members:view', 'roles:view', 'roles:manage']);
    const members = await listMembers(asSub(key.auth, b.id));
    expect(members.statusCode, members.body).toBe(200);
    expect(members.json().data.map((member: { id: number }) => member.id)).toEqual([b.owner.userId]);
    const role = await createRole(asSub(key.auth, b.id), 'branch_auditor');
    expect(role.statusCode, role.body).toBe(201);
    expect(await roleNames(b)).toContain('branch_auditor');
    expect(await roleNames(a)).not.toContain('branch_auditor');

    // Removing sub workspaces using the API: list, find by sub_workspace_id, delete by the member id.
    const subs = await succeed(t, { method: 'GET', url: MEMBERS, headers: inWs(a.owner.auth, a.id) });
    const item = subs.json().data.find((link: { sub_workspace_id: number }) => link.sub_workspace_id === b.id);
    expect(item).toMatchObject({ id: accepted.json().data.workspace_group_member_id, admin_workspace_id: a.id, sub_workspace_name: b.name });
    // The same list is served under /api/v1 too.
    expect((await succeed(t, { method: 'GET', url: `/api/v1${MEMBERS}`, headers: inWs(a.owner.auth, a.id) })).json()).toEqual(subs.json());
    const removed = await t.request({ method: 'DELETE', url: `${MEMBERS}/${item.id}`, headers: inWs(a.owner.auth, a.id) });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().message).toBe('Sub workspace removed from the group.');
    expectError(await listMembers(asSub(key.auth, b.id)), 404, 'WORKSPACE.NOT_FOUND');

    // Leaving a workspace group through the API: GET /workspace-group-members/admin, then DELETE.
    await linked(a, b);
    expect((await listMembers(asSub(key.auth, b.id))).statusCode).toBe(200);
    const adminOf = await succeed(t, { method: 'GET', url: `${MEMBERS}/admin`, headers: inWs(b.owner.auth, b.id) });
    expect(adminOf.json().data).toMatchObject({ id: a.id, name: a.name });
    const left = await t.request({ method: 'DELETE', url: `${MEMBERS}/${adminOf.json().data.workspace_group_member_id}`, headers: inWs(b.owner.auth, b.id) });
    expect(left.statusCode, left.body).toBe(200);
    expect(left.json().message).toBe('Your workspace left the workspace group.');
    const noAdmin = await succeed(t, { method: 'GET', url: `${MEMBERS}/admin`, headers: inWs(b.owner.auth, b.id) });
    expect(noAdmin.json()).toEqual({ data: null });
    expectError(await listMembers(asSub(key.auth, b.id)), 404, 'WORKSPACE.NOT_FOUND');
  });
});

// ---- 2. privacy and the invitation e-mail ----------------------------------------------

describe('the invitation', () => {
  it("reveals neither the invited workspace's name nor its owner", async () => {
    const a = await workspaceOf('Curious');
    const b = await workspaceOf('Private');
    const response = await invite(a, b.id);
    expect(response.statusCode, response.body).toBe(201);
    for (const secret of [b.name, b.ownerName, b.owner.email]) expect(response.body).not.toContain(secret);
    expect(Object.keys(response.json().data).sort()).toEqual(['admin_workspace_id', 'created_at', 'expires_at', 'id', 'status', 'sub_workspace_id']);
  });

  it("is mailed to the sub workspace owner's address, in Spanish with Accept-Language: es and in English otherwise", async () => {
    const b = await workspaceOf('Mailed');
    const english = await workspaceOf('English HQ');
    const spanish = await workspaceOf('Spanish HQ');
    const mailOf = (invitationId: number) =>
      t.db
        .selectFrom('outbox_messages')
        .select(['kind', 'recipient', 'subject', 'text_body'])
        .where('reference', '=', `group-invitation:${invitationId}`)
        .execute();

    const [en] = await mailOf(await invited(english, b));
    expect(en).toMatchObject({ kind: 'group_invitation', recipient: b.owner.email, subject: `${english.name} invites ${b.name} to its workspace group` });
    expect(en?.text_body).toContain(`${english.name} invited your workspace ${b.name} to become one of its sub workspaces.`);

    const [es] = await mailOf(await invited(spanish, b, { 'accept-language': 'es' }));
    expect(es).toMatchObject({ kind: 'group_invitation', recipient: b.owner.email, subject: `${spanish.name} invita a ${b.name} a su grupo de sucursales` });
    expect(es?.text_body).toContain(`${spanish.name} invitó a tu sucursal ${b.name} a ser una de sus sucursales subordinadas.`);
  });
});

// ---- 3. errors and limitations ---------------------------------------------------------

describe('errors and limitations', () => {
  it('refuses a self-invitation (409) and a missing or other-tenant workspace (404)', async () => {
    const a = await workspaceOf('Lonely');
    expectError(await invite(a, a.id), 409, 'GROUP.SELF_INVITATION');
    expectError(await invite(a, MISSING_ID), 404, 'WORKSPACE.NOT_FOUND');

    const slug = `groups-other-${process.pid}`;
    await createTenant(t, slug);
    const foreigner = await register(t, { tenant: slug });
    const foreign = await createWorkspace(t, foreigner, 'Foreign', { 'x-tenant': slug });
    expectError(await invite(a, foreign.id), 404, 'WORKSPACE.NOT_FOUND');
  });

  it('refuses a second pending invitation of the pair (409) and a workspace already linked (409)', async () => {
    const a = await workspaceOf('Eager');
    const b = await workspaceOf('Wanted');
    await invited(a, b);
    expectError(await invite(a, b.id), 409, 'GROUP.INVITATION_EXISTS');
    const { admin, sub } = await group();
    expectError(await invite(admin, sub.id), 409, 'GROUP.ALREADY_LINKED');
  });

  it('refuses an invitation sent by a sub workspace (409 ADMIN_AND_SUB)', async () => {
    const { sub } = await group();
    const c = await workspaceOf('Bystander');
    expectError(await invite(sub, c.id), 409, 'GROUP.ADMIN_AND_SUB');
  });

  it('refuses acceptance by a workspace already in a group (409 ALREADY_IN_GROUP), which the invitation did not reveal', async () => {
    const { sub } = await group();
    const rival = await workspaceOf('Rival');
    const id = await invited(rival, sub);
    expectError(await answer(sub.owner.auth, sub.id, id, 'accept'), 409, 'GROUP.ALREADY_IN_GROUP');
    expect(await invitationStatus(id)).toBe('pending');
  });

  it('refuses acceptance by a workspace that is itself an admin workspace (409 ADMIN_AND_SUB)', async () => {
    const { admin: b } = await group();
    const a = await workspaceOf('Above');
    const id = await invited(a, b);
    expectError(await answer(b.owner.auth, b.id, id, 'accept'), 409, 'GROUP.ADMIN_AND_SUB');
    expect(await linkOf(b.id)).toBeUndefined();
  });

  it('refuses acceptance once the inviting workspace has itself become a sub workspace (409 ADMIN_AND_SUB)', async () => {
    const a = await workspaceOf('Turncoat');
    const c = await workspaceOf('Invitee');
    const id = await invited(a, c);
    await linked(await workspaceOf('Overlord'), a);
    expectError(await answer(c.owner.auth, c.id, id, 'accept'), 409, 'GROUP.ADMIN_AND_SUB');
    expect(await linkOf(c.id)).toBeUndefined();
  });

  it("lets only the sub's owner accept: its non-owner admin gets 403 groups:join, an admin of its admin workspace acting as it 403 ACTING_AS_FORBIDDEN", async () => {
    const { admin: a, sub: b } = await group();
    const id = await invited(await workspaceOf('Suitor'), b);
    const subAdmin = await memberOf(b, 'admin');
    expectError(await answer(subAdmin.auth, b.id, id, 'accept'), 403, 'AUTH.FORBIDDEN', { permission: 'groups:join' });
    const adminOfAdmin = await memberOf(a, 'admin');
    const acting = await t.request({ method: 'POST', url: `${INVITATIONS}/${id}/accept`, headers: asSub(adminOfAdmin.auth, b.id) });
    expectError(acting, 403, 'CONTEXT.ACTING_AS_FORBIDDEN');
    expect(await invitationStatus(id)).toBe('pending');
  });

  it('declines: the invitation is answered for good, and the admin side may invite again', async () => {
    const a = await workspaceOf('Rejected');
    const b = await workspaceOf('Reluctant');
    const id = await invited(a, b);
    const declined = await answer(b.owner.auth, b.id, id, 'decline');
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json().message).toBe('Workspace group invitation declined.');
    expectError(await answer(b.owner.auth, b.id, id, 'accept'), 410, 'GROUP.INVITATION_NO_LONGER_VALID');
    expect(await listedInvitation(a, id, 'sent')).toMatchObject({ direction: 'sent', status: 'declined', sub_workspace_name: null });
    await invited(a, b);
  });

  it('is cancelled by the admin side only; a cancelled invitation cannot be accepted and its e-mail is withdrawn', async () => {
    const a = await workspaceOf('Hesitant');
    const b = await workspaceOf('Spared');
    const id = await invited(a, b);
    const cancel = (ws: Ws) => t.request({ method: 'DELETE', url: `${INVITATIONS}/${id}`, headers: inWs(ws.owner.auth, ws.id) });
    expectError(await cancel(b), 404, 'GROUP.INVITATION_NOT_FOUND');
    const cancelled = await cancel(a);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json().message).toBe('Workspace group invitation cancelled.');
    expectError(await answer(b.owner.auth, b.id, id, 'accept'), 410, 'GROUP.INVITATION_NO_LONGER_VALID');
    const mail = await t.db.selectFrom('outbox_messages').select('status').where('reference', '=', `group-invitation:${id}`).execute();
    expect(mail).toEqual([{ status: 'cancelled' }]);
  });

  it("answers 404 GROUP.INVITATION_NOT_FOUND for a missing invitation or another workspace's", async () => {
    const a = await workspaceOf('Addresser');
    const b = await workspaceOf('Addressee');
    const c = await workspaceOf('Eavesdropper');
    const id = await invited(a, b);
    expectError(await answer(c.owner.auth, c.id, id, 'accept'), 404, 'GROUP.INVITATION_NOT_FOUND');
    expectError(await answer(c.owner.auth, c.id, id, 'decline'), 404, 'GROUP.INVITATION_NOT_FOUND');
    expectError(await answer(b.owner.auth, b.id, MISSING_ID, 'accept'), 404, 'GROUP.INVITATION_NOT_FOUND');
    expect(await invitationStatus(id)).toBe('pending');
  });

  it('answers an expired invitation with 410 GROUP.INVITATION_EXPIRED, lists it as expired, and frees the pair', async () => {
    const a = await workspaceOf('Slow');
    const b = await workspaceOf('Late');
    const id = await invited(a, b);
    const past = new Date(t.clock.now().getTime() - 1000).toISOString();
    await t.db.updateTable('workspace_group_invitations').set({ expires_at: past }).where('id', '=', id).execute();
    expectError(await answer(b.owner.auth, b.id, id, 'accept'), 410, 'GROUP.INVITATION_EXPIRED');
    expect(await listedInvitation(b, id)).toMatchObject({ status: 'expired' });
    expect(await linkOf(b.id)).toBeUndefined();
    await invited(a, b);
  });

  it("lets only the sub's owner leave: its non-owner admin gets 403 groups:join", async () => {
    const { sub: b, linkId } = await group();
    const subAdmin = await memberOf(b, 'admin');
    const adminOf = await succeed(t, { method: 'GET', url: `${MEMBERS}/admin`, headers: inWs(subAdmin.auth, b.id) });
    expect(adminOf.json().data.workspace_group_member_id).toBe(linkId);
    const leave = await t.request({ method: 'DELETE', url: `${MEMBERS}/${linkId}`, headers: inWs(subAdmin.auth, b.id) });
    expectError(leave, 403, 'AUTH.FORBIDDEN', { permission: 'groups:join' });
    expect((await linkOf(b.id))?.id).toBe(linkId);
  });

  it('lets only holders of groups:manage remove a sub: a member gets 403 groups:view, a groups:view-only role 403 groups:manage', async () => {
    const { admin: a, sub: b, linkId } = await group();
    const remove = (user: Session) => t.request({ method: 'DELETE', url: `${MEMBERS}/${linkId}`, headers: inWs(user.auth, a.id) });
    expectError(await remove(await memberOf(a, 'member')), 403, 'AUTH.FORBIDDEN', { permission: 'groups:view' });
    expect((await createRole(inWs(a.owner.auth, a.id), 'group_watcher', ['groups:view'])).statusCode).toBe(201);
    expectError(await remove(await memberOf(a, 'group_watcher')), 403, 'AUTH.FORBIDDEN', { permission: 'groups:manage' });
    expect((await linkOf(b.id))?.id).toBe(linkId);
  });

  it('answers 404 GROUP.MEMBER_NOT_FOUND for a missing link or one the workspace is on no side of', async () => {
    const { sub: b, linkId } = await group();
    const outsider = await workspaceOf('Outsider');
    for (const id of [linkId, MISSING_ID]) {
      const response = await t.request({ method: 'DELETE', url: `${MEMBERS}/${id}`, headers: inWs(outsider.owner.auth, outsider.id) });
      expectError(response, 404, 'GROUP.MEMBER_NOT_FOUND');
    }
    expect((await linkOf(b.id))?.id).toBe(linkId);
  });
});

// ---- 4. who x-as-workspace admits, with what -------------------------------------------

/** The token of a workspace invitation, as its e-mail carries it (in the accept link's fragment). */
async function mailedToken(invitationId: number): Promise<string> {
  const mail = await t.db.selectFrom('outbox_messages').select('text_body').where('reference', '=', `invitation:${invitationId}`).executeTakeFirstOrThrow();
  const token = /#token=([^\s]+)/.exec(mail.text_body)?.[1];
  if (!token) throw new Error(`no token in the e-mail of invitation ${invitationId}`);
  return decodeURIComponent(token);
}

describe('rate limits', () => {
  it('limits group invitations to one workspace with 429 and Retry-After, on both paths together', async () => {
    const limited = await startTestApp({ env: { INVITATION_RECIPIENT_RATE_LIMIT_MAX: '2', INVITATION_RATE_LIMIT_MAX: '100' } });
    try {
      const boss = await register(limited);
      const admin = await createWorkspace(limited, boss, 'Limited admin');
      const other = await register(limited);
      const sub = await createWorkspace(limited, other, 'Limited sub');
      const headers = inWs(boss.auth, admin.id);
      const send = (url: string) => limited.request({ method: 'POST', url, headers, payload: { sub_workspace_id: sub.id } });
      const first = await send('/workspace-group-members');
      expect(first.statusCode, first.body).toBe(201);
      await limited.request({ method: 'DELETE', url: `/api/v1/workspace-group-invitations/${first.json().data.id}`, headers });
      expect((await send('/api/v1/workspace-group-members')).statusCode).toBe(201);
      const third = await send('/workspace-group-members');
      expect(third.statusCode).toBe(429);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
      // Counted per pair: another admin workspace may still invite the same workspace.
      const rivalOwner = await register(limited);
      const rivalWs = await createWorkspace(limited, rivalOwner, 'Limited rival');
      const fromRival = await limited.request({ method: 'POST', url: '/workspace-group-members', headers: inWs(rivalOwner.auth, rivalWs.id), payload: { sub_workspace_id: sub.id } });
      expect(fromRival.statusCode, fromRival.body).toBe(201);
    } finally {
      await limited.close();
    }
  });
});

describe('x-as-workspace', () => {
  it("gives an admin workspace member their role's permissions there: a viewer reads the sub but cannot create a role in it", async () => {
    const { admin: a, sub: b } = await group();
    const viewer = await memberOf(a, 'viewer');
    const members = await listMembers(asSub(viewer.auth, b.id));
    expect(members.statusCode, members.body).toBe(200);
    expect(members.json().data.map((member: { id: number }) => member.id)).toEqual([b.owner.userId]);
    expectError(await createRole(asSub(viewer.auth, b.id), 'viewer_made'), 403, 'AUTH.FORBIDDEN', { permission: 'roles:manage' });
    expect(await roleNames(b)).not.toContain('viewer_made');
    // Without the header the viewer has no business in the sub workspace.
    expectError(await listMembers(inWs(viewer.auth, b.id)), 404, 'WORKSPACE.NOT_FOUND');
  });

  it('admits no tenant owner or admin who is not a member of the admin workspace (404), though they see the sub read-only', async () => {
    const { sub: b } = await group();
    const tenantAdmin = await register(t, { name: 'Tenant Admin' });
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${tenantAdmin.userId}`, headers: tenantOwner.auth, payload: { tenant_role: 'admin' } });
    for (const user of [tenantOwner, tenantAdmin]) {
      expect((await listMembers(inWs(user.auth, b.id))).statusCode).toBe(200);
      expectError(await listMembers(asSub(user.auth, b.id)), 404, 'WORKSPACE.NOT_FOUND');
    }
  });

  it("answers 404 for the admin workspace itself, another group's sub, a workspace in no group and a missing id", async () => {
    const { admin: a, sub: b } = await group();
    const { sub: otherSub } = await group();
    const unlinked = await createWorkspace(t, a.owner, `Unlinked ${process.pid} ${seq}`);
    const key = await apiKey(a, ['members:view']);
    for (const id of [a.id, otherSub.id, unlinked.id, MISSING_ID]) {
      expectError(await listMembers(asSub(a.owner.auth, id)), 404, 'WORKSPACE.NOT_FOUND');
      expectError(await listMembers(asSub(key.auth, id)), 404, 'WORKSPACE.NOT_FOUND');
    }
    // Nor may the sub act as its admin workspace.
    expectError(await listMembers(asSub(b.owner.auth, a.id)), 404, 'WORKSPACE.NOT_FOUND');
  });

  it('refuses a different X-Workspace-ID (400 CONTEXT.CONFLICT) and a malformed id (400 CONTEXT.INVALID); the same id is fine', async () => {
    const { admin: a, sub: b } = await group();
    expectError(await listMembers(inWs(asSub(a.owner.auth, b.id), a.id)), 400, 'CONTEXT.CONFLICT');
    expect((await listMembers(inWs(asSub(a.owner.auth, b.id), b.id))).statusCode).toBe(200);
    expectError(await listMembers({ ...a.owner.auth, 'x-as-workspace': 'abc' }), 400, 'CONTEXT.INVALID');
  });

  it("acts on a path route when x-as-workspace names the path's workspace, and refuses another id (400)", async () => {
    const { admin: a, sub: b } = await group();
    const show = (id: number, headers: Headers) => t.request({ method: 'GET', url: `/api/v1/workspaces/${id}`, headers });
    expectError(await show(b.id, a.owner.auth), 404, 'WORKSPACE.NOT_FOUND');
    const acting = await show(b.id, asSub(a.owner.auth, b.id));
    expect(acting.statusCode, acting.body).toBe(200);
    expect(acting.json().data).toMatchObject({ id: b.id, name: b.name });
    expectError(await show(a.id, asSub(a.owner.auth, b.id)), 400, 'CONTEXT.CONFLICT');
  });
});

// ---- 5. what acting may never do ---------------------------------------------------------

describe('refused while acting as a sub workspace', () => {
  it('refuses, even to the admin workspace owner, every route on the list with 403 CONTEXT.ACTING_AS_FORBIDDEN, and changes nothing', async () => {
    const { admin: a, sub: b, linkId } = await group();
    const c = await workspaceOf('Third');
    const pending = await invited(c, b);
    const meBefore = (await succeed(t, { method: 'GET', url: '/api/v1/me', headers: a.owner.auth })).json().data;
    const refused: Array<[method: 'DELETE' | 'POST' | 'PATCH', url: string, payload?: object]> = [
      ['DELETE', `/api/v1/workspaces/${b.id}`],
      ['POST', `/api/v1/workspaces/${b.id}/transfer-ownership`, { user_id: a.owner.userId }],
      ['PATCH', `/api/v1/workspace-context/${b.id}`],
      ['POST', `/api/v1/workspaces/${b.id}/default`],
      ['POST', `/api/v1/workspaces/${b.id}/leave`],
      ['POST', '/api/v1/api-keys', { name: 'smuggled', scopes: ['members:view'] }],
      ['POST', MEMBERS, { sub_workspace_id: c.id }],
      ['DELETE', `${MEMBERS}/${linkId}`],
      ['POST', `${INVITATIONS}/${pending}/accept`],
      ['POST', `${INVITATIONS}/${pending}/decline`],
      ['DELETE', `${INVITATIONS}/${pending}`],
    ];
    for (const [method, url, payload] of refused) {
      const response = await t.request({ method, url, headers: asSub(a.owner.auth, b.id), ...(payload ? { payload } : {}) });
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBe(403);
      expect(response.json().error, `${method} ${url}`).toMatchObject({ code: 'CONTEXT.ACTING_AS_FORBIDDEN', details: { admin_workspace_id: a.id } });
    }

    expect((await t.request({ method: 'GET', url: `/api/v1/workspaces/${b.id}`, headers: b.owner.auth })).statusCode).toBe(200);
    expect((await linkOf(b.id))?.id).toBe(linkId);
    expect(await t.db.selectFrom('api_keys').select('id').where('workspace_id', '=', b.id).execute()).toEqual([]);
    const memberships = await t.db.selectFrom('memberships').select(['user_id', 'role']).where('workspace_id', '=', b.id).execute();
    expect(memberships).toEqual([{ user_id: b.owner.userId, role: 'owner' }]);
    expect(await invitationStatus(pending)).toBe('pending');
    expect(await t.db.selectFrom('workspace_group_invitations').select('id').where('admin_workspace_id', '=', b.id).execute()).toEqual([]);
    const meAfter = (await succeed(t, { method: 'GET', url: '/api/v1/me', headers: a.owner.auth })).json().data;
    expect({ current: meAfter.current_workspace_id, default: meAfter.default_workspace_id }).toEqual({
      current: meBefore.current_workspace_id,
      default: meBefore.default_workspace_id,
    });
  });

  it('refuses inviting oneself into the sub (403), but invites others, who may accept: authority is checked in the admin workspace', async () => {
    const { admin: a, sub: b } = await group();
    const inviteIntoSub = (email: string) =>
      t.request({ method: 'POST', url: '/api/v1/invitations', headers: asSub(a.owner.auth, b.id), payload: { email } });
    expectError(await inviteIntoSub(a.owner.email.toUpperCase()), 403, 'CONTEXT.ACTING_AS_FORBIDDEN', { reason: 'self_invitation' });
    expect(await t.db.selectFrom('invitations').select('id').where('workspace_id', '=', b.id).execute()).toEqual([]);

    const email = uniqueEmail('guest');
    const sent = await inviteIntoSub(email);
    expect(sent.statusCode, sent.body).toBe(201);
    // The acting inviter never sees the token: only the invitee's mailbox gets it.
    expect(sent.json().data).not.toHaveProperty('token');
    const guest = await register(t, { email });
    const accepted = await t.request({ method: 'POST', url: '/api/v1/invitations/accept', headers: guest.auth, payload: { token: await mailedToken(sent.json().data.id) } });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json().data).toEqual({ workspace_id: b.id, role: 'member' });
  });

  it('voids an invitation sent while acting once the link is gone (410 INVITATION.NO_LONGER_VALID)', async () => {
    const { admin: a, sub: b, linkId } = await group();
    const email = uniqueEmail('stranded');
    const sent = await t.request({ method: 'POST', url: '/api/v1/invitations', headers: asSub(a.owner.auth, b.id), payload: { email } });
    expect(sent.statusCode, sent.body).toBe(201);
    await succeed(t, { method: 'DELETE', url: `${MEMBERS}/${linkId}`, headers: inWs(a.owner.auth, a.id) });
    const guest = await register(t, { email });
    const accepted = await t.request({ method: 'POST', url: '/api/v1/invitations/accept', headers: guest.auth, payload: { token: await mailedToken(sent.json().data.id) } });
    expectError(accepted, 410, 'INVITATION.NO_LONGER_VALID');
    expect(await t.db.selectFrom('memberships').select('user_id').where('workspace_id', '=', b.id).where('user_id', '=', guest.userId).execute()).toEqual([]);
  });
});

describe('what acting cannot hand on', () => {
  it("grants no sub workspace member what acting withholds: deleting the sub, transferring it, or changing its group", async () => {
    const { admin: a, sub: b } = await group();
    const acting = asSub(a.owner.auth, b.id);
    for (const permission of ['workspaces:delete', 'workspaces:transfer', 'groups:join', 'groups:manage']) {
      expectError(await createRole(acting, `boss_${permission.replace(':', '_')}`, ['workspaces:view', permission]), 403, 'AUTH.FORBIDDEN', { permission });
    }
    // A role holding them, made by the sub's own owner, cannot be handed out while acting either.
    await succeed(t, { method: 'POST', url: '/api/v1/roles', headers: inWs(b.owner.auth, b.id), payload: { name: 'deputy', display_name: 'Deputy', permissions: ['workspaces:view', 'workspaces:delete'] } }, 201);
    const clerk = await memberOf(b, 'member');
    expectError(await t.request({ method: 'PUT', url: `/api/v1/members/${clerk.userId}`, headers: acting, payload: { role: 'deputy' } }), 403, 'AUTH.FORBIDDEN', { permission: 'workspaces:delete' });
    expectError(await t.request({ method: 'POST', url: '/api/v1/invitations', headers: acting, payload: { email: uniqueEmail('deputy'), role: 'deputy' } }), 403, 'AUTH.FORBIDDEN', { permission: 'workspaces:delete' });
    const held = await succeed(t, { method: 'GET', url: '/api/v1/permissions/me', headers: acting });
    expect(JSON.stringify(held.json())).not.toMatch(/workspaces:delete|workspaces:transfer|groups:join|groups:manage/);
  });

  it("lets only the owner join or leave, whatever a custom role holds; the owner's API key with groups:join may", async () => {
    const a = await workspaceOf('Courting');
    const b = await workspaceOf('Courted');
    await succeed(t, { method: 'POST', url: '/api/v1/roles', headers: inWs(b.owner.auth, b.id), payload: { name: 'joiner', display_name: 'Joiner', permissions: ['groups:view', 'groups:join'] } }, 201);
    const joiner = await memberOf(b, 'joiner');
    const id = await invited(a, b);
    expectError(await answer(joiner.auth, b.id, id, 'accept'), 403, 'AUTH.FORBIDDEN', { reason: 'owner_only' });
    expectError(await answer(joiner.auth, b.id, id, 'decline'), 403, 'AUTH.FORBIDDEN', { reason: 'owner_only' });
    const ownerKey = await apiKey(b, ['groups:view', 'groups:join']);
    const accepted = await t.request({ method: 'POST', url: `${INVITATIONS}/${id}/accept`, headers: ownerKey.auth });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const leave = await t.request({ method: 'DELETE', url: `${MEMBERS}/${accepted.json().data.workspace_group_member_id}`, headers: inWs(joiner.auth, b.id) });
    expectError(leave, 403, 'AUTH.FORBIDDEN', { reason: 'owner_only' });
    expect(await linkOf(b.id)).toBeDefined();
  });

  it("voids a group invitation whose inviter no longer may invite (410)", async () => {
    const a = await workspaceOf('Reshuffled');
    const b = await workspaceOf('Target');
    const inviter = await memberOf(a, 'admin');
    const sent = await t.request({ method: 'POST', url: MEMBERS, headers: inWs(inviter.auth, a.id), payload: { sub_workspace_id: b.id } });
    expect(sent.statusCode, sent.body).toBe(201);
    await succeed(t, { method: 'DELETE', url: `/api/v1/members/${inviter.userId}`, headers: inWs(a.owner.auth, a.id) });
    expectError(await answer(b.owner.auth, b.id, sent.json().data.id, 'accept'), 410, 'GROUP.INVITATION_NO_LONGER_VALID');
    expect(await linkOf(b.id)).toBeUndefined();
  });

  it("keeps a sub workspace's other group invitations from its admin workspace (403 while acting)", async () => {
    const { admin: a, sub: b } = await group();
    expectError(await t.request({ method: 'GET', url: INVITATIONS, headers: asSub(a.owner.auth, b.id) }), 403, 'CONTEXT.ACTING_AS_FORBIDDEN');
  });
});

// ---- 6. response headers -----------------------------------------------------------------

describe('response headers', () => {
  it('say where the request ran: X-Workspace-ID on workspace routes, X-Acting-From-Workspace-ID only when acting', async () => {
    const { admin: a, sub: b } = await group();
    const where = (response: Response) => ({ workspace: response.headers['x-workspace-id'], actingFrom: response.headers['x-acting-from-workspace-id'] });

    expect(where(await listMembers(inWs(a.owner.auth, a.id)))).toEqual({ workspace: String(a.id), actingFrom: undefined });
    expect(where(await listMembers(inWs(b.owner.auth, b.id)))).toEqual({ workspace: String(b.id), actingFrom: undefined });
    expect(where(await listMembers(asSub(a.owner.auth, b.id)))).toEqual({ workspace: String(b.id), actingFrom: String(a.id) });
    const path = await t.request({ method: 'GET', url: `/api/v1/workspaces/${b.id}`, headers: asSub(a.owner.auth, b.id) });
    expect(where(path)).toEqual({ workspace: String(b.id), actingFrom: String(a.id) });
    // Also on a refusal made once the context was resolved.
    const refused = await t.request({ method: 'DELETE', url: `/api/v1/workspaces/${b.id}`, headers: asSub(a.owner.auth, b.id) });
    expect(refused.statusCode).toBe(403);
    expect(where(refused)).toEqual({ workspace: String(b.id), actingFrom: String(a.id) });
  });
});

// ---- 7. audit --------------------------------------------------------------------------

describe('audit while acting', () => {
  /** The audit events of `ws` (read by its owner) matching `action` and `targetId`. */
  async function auditOf(ws: Ws, action: string, targetId: number) {
    const response = await succeed(t, { method: 'GET', url: '/api/v1/audit-events?limit=100', headers: inWs(ws.owner.auth, ws.id) });
    return response.json().data.filter((event: { action: string; target_id: string | null }) => event.action === action && event.target_id === String(targetId));
  }

  async function expectInBothLogs(a: Ws, b: Ws, roleId: number, actor: { actor_user_id: number; actor_api_key_id: number | null }) {
    for (const ws of [b, a]) {
      expect(await auditOf(ws, 'role.created', roleId), `log of ${ws.name}`).toEqual([
        expect.objectContaining({ workspace_id: ws.id, acting_as: true, acting_as_workspace_id: b.id, admin_workspace_id: a.id, ...actor }),
      ]);
    }
  }

  it('records a write made through an API key acting as the sub in both logs, naming the key', async () => {
    const { admin: a, sub: b } = await group();
    const key = await apiKey(a, ['roles:view', 'roles:manage']);
    const role = await createRole(asSub(key.auth, b.id), 'key_made', ['roles:view']);
    expect(role.statusCode, role.body).toBe(201);
    await expectInBothLogs(a, b, role.json().data.id, { actor_user_id: a.owner.userId, actor_api_key_id: key.id });
  });

  it('records a write made by a member acting as the sub in both logs, naming the person; a direct write only in its own', async () => {
    const { admin: a, sub: b } = await group();
    const role = await createRole(asSub(a.owner.auth, b.id), 'owner_made');
    expect(role.statusCode, role.body).toBe(201);
    await expectInBothLogs(a, b, role.json().data.id, { actor_user_id: a.owner.userId, actor_api_key_id: null });

    const direct = await createRole(inWs(b.owner.auth, b.id), 'home_made');
    expect(direct.statusCode, direct.body).toBe(201);
    expect(await auditOf(b, 'role.created', direct.json().data.id)).toEqual([
      expect.objectContaining({ workspace_id: b.id, acting_as: false, acting_as_workspace_id: null, admin_workspace_id: null, actor_user_id: b.owner.userId }),
    ]);
    expect(await auditOf(a, 'role.created', direct.json().data.id)).toEqual([]);
  });
});

// ---- 8. another process ----------------------------------------------------------------

describe('across processes', () => {
  let other: SecondApp;
  beforeAll(async () => {
    other = await startSecondApp(t, {});
  });
  afterAll(async () => other?.close());

  it('stops acting on the very next request in another process once the link is removed, or the sub left', async () => {
    for (const endedBy of ['admin', 'sub'] as const) {
      const { admin: a, sub: b, linkId } = await group();
      const key = await apiKey(a, ['members:view']);
      const throughOther = (auth: Headers) => other.app.inject({ method: 'GET', url: '/api/v1/members', headers: asSub(auth, b.id) });
      for (let warm = 0; warm < 2; warm += 1) {
        expect((await throughOther(a.owner.auth)).statusCode, endedBy).toBe(200);
        expect((await throughOther(key.auth)).statusCode, endedBy).toBe(200);
      }
      const ender = endedBy === 'admin' ? a : b;
      await succeed(t, { method: 'DELETE', url: `${MEMBERS}/${linkId}`, headers: inWs(ender.owner.auth, ender.id) });
      expectError(await throughOther(a.owner.auth), 404, 'WORKSPACE.NOT_FOUND');
      expectError(await throughOther(key.auth), 404, 'WORKSPACE.NOT_FOUND');
    }
  });
});
