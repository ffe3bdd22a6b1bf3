/**
 * Member access (issue 16): a member's permissions are their role (the template) with
 * per-member overrides, a revoke winning; GET|PUT /api/v1/members/{user_id}/permissions;
 * "why" (GET /api/v1/members/{user_id}/effective-permissions) and "where"
 * (GET /api/v1/me/workspaces?can=); seed 002's memberPermissions; versioned templates.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let admin: Session;
let clerk: Session;
let ws: number;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Access Owner' });
  admin = await register(t, { name: 'Access Admin' });
  clerk = await register(t, { name: 'Access Clerk' });
  ws = (await createWorkspace(t, owner, 'Access Branch')).id;
  await addMembership(t, ws, admin.userId, 'admin');
  await addMembership(t, ws, clerk.userId, 'member');
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

const inWs = (session: Session, id = ws) => ({ ...session.auth, 'x-workspace-id': String(id) });
const putOverrides = (session: Session, userId: number, payload: unknown, id = ws) =>
  t.request({ method: 'PUT', url: `/api/v1/members/${userId}/permissions`, headers: inWs(session, id), payload: payload as object });
const getOverrides = (session: Session, userId: number, id = ws) =>
  t.request({ method: 'GET', url: `/api/v1/members/${userId}/permissions`, headers: inWs(session, id) });
const myPermissions = async (session: Session, id = ws): Promise<string[]> =>
  (await succeed(t, { method: 'GET', url: '/api/v1/permissions/me', headers: inWs(session, id) })).json().data.permissions;

describe('overrides', () => {
  it('a grant adds to the role and a revoke takes from it, on the very next request', async () => {
    expect(await myPermissions(clerk)).not.toContain('invitations:create');
    const response = await putOverrides(admin, clerk.userId, { grant: ['invitations:create'], revoke: ['members:view'] });
    expect(response.statusCode, response.body).toBe(200);
    const data = response.json().data;
    expect(data).toMatchObject({ user_id: clerk.userId, role: 'member', grant: ['invitations:create'], revoke: ['members:view'] });
    expect(data.profile).toMatchObject({ builtin_template_key: 'member', override_count: 2, permissions_managed: true, legacy_unrestricted: false });
    const now = await myPermissions(clerk);
    expect(now).toContain('invitations:create');
    expect(now).not.toContain('members:view');
    expect((await getOverrides(owner, clerk.userId)).json().data.permissions).toEqual(data.permissions);
    const ok = await putOverrides(admin, clerk.userId, {});
    expect(ok.statusCode).toBe(200);
    expect(await myPermissions(clerk)).toContain('members:view');
  });

  it('why: each permission with its sources, and what is withheld', async () => {
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${clerk.userId}/permissions`, headers: inWs(admin), payload: { grant: ['invitations:create'], revoke: ['members:view'] } });
    const response = await succeed(t, { method: 'GET', url: `/api/v1/members/${clerk.userId}/effective-permissions`, headers: inWs(owner) });
    const data = response.json().data;
    expect(data.withheld).toContainEqual({ permission: 'members:view', reason: 'revoked_by_override' });
    expect(data.permissions).toContainEqual({ permission: 'invitations:create', sources: [{ kind: 'override', workspace_id: ws }] });
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${clerk.userId}/permissions`, headers: inWs(admin), payload: {} });
  });

  it('where: /me/workspaces?can= lists the workspaces where the caller holds it', async () => {
    const response = await succeed(t, { method: 'GET', url: '/api/v1/me/workspaces?can=members:manage', headers: admin.auth });
    expect(response.json().data.map((w: { id: number }) => w.id)).toContain(ws);
    const clerkSide = await succeed(t, { method: 'GET', url: '/api/v1/me/workspaces?can=members:manage', headers: clerk.auth });
    expect(clerkSide.json().data).toEqual([]);
    const bad = await t.request({ method: 'GET', url: '/api/v1/me/workspaces?can=nope:nope', headers: clerk.auth });
    expect(bad.statusCode).toBe(422);
  });

  it('seed 002 memberPermissions shows the profile', async () => {
    const response = await succeed(t, { method: 'GET', url: `/api/v1/workspaces/${ws}`, headers: owner.auth });
    expect(response.json().data.member_permissions.profile).toEqual({
      builtin_template_key: 'owner',
      custom_template_id: null,
      custom_template_name: null,
      override_count: 0,
      permissions_managed: false,
      legacy_unrestricted: true,
    });
  });

  it('refuses, naming the list, a permission no area declares, and one both granted and revoked', async () => {
    const unknown = await putOverrides(admin, clerk.userId, { grant: ['invoices:create', 'nope:grant'], revoke: ['nope:revoke'] });
    expect(unknown.statusCode, unknown.body).toBe(422);
    expect(unknown.json().error.details).toEqual({ grant: 'unknown permissions: nope:grant', revoke: 'unknown permissions: nope:revoke' });
    const both = await putOverrides(admin, clerk.userId, { grant: ['audit:view'], revoke: ['audit:view'] });
    expect(both.statusCode, both.body).toBe(422);
    expect(both.json().error.details).toEqual({ revoke: 'granted and revoked at once: audit:view' });
    expect((await getOverrides(owner, clerk.userId)).json().data).toMatchObject({ grant: [], revoke: [] });
  });

  it('refuses escalation', async () => {
    expect((await putOverrides(clerk, admin.userId, { grant: ['workspaces:delete'] })).statusCode).toBe(403);
    expect((await putOverrides(admin, admin.userId, { grant: ['workspaces:delete'] })).statusCode).toBe(403);
    expect((await putOverrides(admin, clerk.userId, { grant: ['workspaces:delete'] })).statusCode).toBe(403);
    expect((await putOverrides(admin, owner.userId, { revoke: ['members:view'] })).statusCode).toBe(409);
  });
});

const latestAudit = async (action: string, id = ws) => {
  const events = (await succeed(t, { method: 'GET', url: '/api/v1/audit-events?limit=100', headers: inWs(owner, id) })).json().data as {
    action: string;
    details: Record<string, unknown>;
  }[];
  return events.find((event) => event.action === action);
};

describe('templates', () => {
  it('a custom role is versioned: an edit moves every member on it, audited with the sets before and after', async () => {
    const created = await succeed(
      t,
      { method: 'POST', url: '/api/v1/roles', headers: inWs(owner), payload: { name: 'cashier', display_name: 'Cashier', permissions: ['workspaces:view', 'members:view', 'invoices:view'] } },
      201,
    );
    const role = created.json().data;
    expect(role.version).toBe(1);
    const cashier = await register(t, { name: 'Cashier' });
    await addMembership(t, ws, cashier.userId, 'cashier');
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${cashier.userId}/permissions`, headers: inWs(owner), payload: { grant: ['invoices:create'] } });
    expect(await myPermissions(cashier)).toEqual(['invoices:create', 'invoices:view', 'members:view', 'workspaces:view']);

    const renamed = await succeed(t, { method: 'PUT', url: `/api/v1/roles/${role.id}`, headers: inWs(owner), payload: { display_name: 'Till' } });
    expect(renamed.json().data.version).toBe(1);
    const edited = await succeed(t, { method: 'PUT', url: `/api/v1/roles/${role.id}`, headers: inWs(owner), payload: { permissions: ['workspaces:view', 'members:view', 'quotations:view'] } });
    expect(edited.json().data.version).toBe(2);
    expect(await myPermissions(cashier)).toEqual(['invoices:create', 'members:view', 'quotations:view', 'workspaces:view']);
    expect((await latestAudit('role.updated'))?.details).toMatchObject({
      permissions_before: ['invoices:view', 'members:view', 'workspaces:view'],
      permissions_after: ['members:view', 'quotations:view', 'workspaces:view'],
      version_before: 1,
      version_after: 2,
    });
    const same = await succeed(t, { method: 'PUT', url: `/api/v1/roles/${role.id}`, headers: inWs(owner), payload: { permissions: ['quotations:view', 'members:view', 'workspaces:view'] } });
    expect(same.json().data.version).toBe(2);

    const profile = (await succeed(t, { method: 'GET', url: `/workspaces/${ws}`, headers: cashier.auth })).json().memberPermissions;
    expect(profile.profile).toEqual({
      builtinTemplateKey: null,
      customTemplateId: String(role.id),
      customTemplateName: 'Till',
      overrideCount: 1,
      permissionsManaged: true,
      legacyUnrestricted: false,
    });
    expect(profile.capabilities['invoices:create']).toBe(true);
    expect(profile.capabilities['invoices:view']).toBe(false);
    const permissions = (await getOverrides(owner, cashier.userId)).json().data;
    expect(permissions).toMatchObject({ role: 'cashier', template_version: 2, grant: ['invoices:create'], revoke: [] });

    // In use: deleted only by moving its members elsewhere; their overrides stay with them.
    const refused = await t.request({ method: 'DELETE', url: `/api/v1/roles/${role.id}`, headers: inWs(owner) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('ROLE.IN_USE');
    await succeed(t, { method: 'DELETE', url: `/api/v1/roles/${role.id}?reassign_to=viewer`, headers: inWs(owner) });
    expect((await getOverrides(owner, cashier.userId)).json().data).toMatchObject({ role: 'viewer', grant: ['invoices:create'] });
  });

  it('an admin is unmanaged until overridden; the read-only view of a tenant admin is no profile at all', async () => {
    const adminView = async () => (await succeed(t, { method: 'GET', url: `/api/v1/workspaces/${ws}`, headers: admin.auth })).json().data.member_permissions.profile;
    expect(await adminView()).toMatchObject({ builtin_template_key: 'admin', override_count: 0, permissions_managed: false, legacy_unrestricted: false });
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${admin.userId}/permissions`, headers: inWs(owner), payload: { revoke: ['audit:view'] } });
    expect(await adminView()).toMatchObject({ builtin_template_key: 'admin', override_count: 1, permissions_managed: true });
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-events', headers: inWs(admin) })).statusCode).toBe(403);
    const audited = await latestAudit('member.permissions_changed');
    expect(audited?.details).toMatchObject({
      role: 'admin',
      before: { grant: [], revoke: [] },
      after: { grant: [], revoke: ['audit:view'] },
      gained: [],
      lost: ['audit:view'],
    });
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${admin.userId}/permissions`, headers: inWs(owner), payload: {} });
  });
});

describe('why', () => {
  it('about oneself through an API key: the key is a source, and what lies outside its scopes is withheld', async () => {
    const key = (
      await succeed(t, { method: 'POST', url: '/api/v1/api-keys', headers: inWs(admin), payload: { name: 'why', scopes: ['workspaces:view', 'members:view', 'roles:view'] } }, 201)
    ).json().data;
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${admin.userId}/permissions`, headers: inWs(owner), payload: { revoke: ['roles:view'] } });
    const bearer = { authorization: `Bearer ${key.secret}` };
    const explained = (await succeed(t, { method: 'GET', url: `/api/v1/members/${admin.userId}/effective-permissions`, headers: bearer })).json().data;
    const fromKey = (permission: string) => ({ permission, sources: [{ kind: 'role', role: 'admin', workspace_id: ws }, { kind: 'api_key', api_key_id: key.id }] });
    // Catalogue order: the workspaces area comes before the members area.
    expect(explained.permissions).toEqual([fromKey('workspaces:view'), fromKey('members:view')]);
    expect(explained.withheld).toContainEqual({ permission: 'roles:view', reason: 'revoked_by_override' });
    expect(explained.withheld).toContainEqual({ permission: 'members:manage', reason: 'outside_api_key_scopes' });
    const mine = (await succeed(t, { method: 'GET', url: '/api/v1/permissions/me', headers: bearer })).json().data.permissions;
    expect(mine).toEqual(['members:view', 'workspaces:view']);
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${admin.userId}/permissions`, headers: inWs(owner), payload: {} });
  });

  it('about another: 404 for someone who is no member', async () => {
    const stranger = await register(t, { name: 'Stranger' });
    const response = await t.request({ method: 'GET', url: `/api/v1/members/${stranger.userId}/effective-permissions`, headers: inWs(owner) });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('MEMBER.NOT_FOUND');
  });
});

describe('acting as a sub workspace', () => {
  it('why and where follow the admin workspace, its overrides, and what is withheld while acting', async () => {
    const hq = (await createWorkspace(t, owner, 'Access HQ')).id;
    const branch = (await createWorkspace(t, owner, 'Access Sub Branch')).id;
    const invited = await succeed(t, { method: 'POST', url: '/api/v1/workspace-group-members', headers: inWs(owner, hq), payload: { sub_workspace_id: branch } }, 201);
    await succeed(t, { method: 'POST', url: `/api/v1/workspace-group-invitations/${invited.json().data.id}/accept`, headers: inWs(owner, branch) });
    const manager = await register(t, { name: 'HQ Manager' });
    await addMembership(t, hq, manager.userId, 'member');
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${manager.userId}/permissions`, headers: inWs(owner, hq), payload: { grant: ['members:manage', 'groups:manage'] } });

    const acting = { ...manager.auth, 'x-as-workspace': String(branch) };
    const explained = (await succeed(t, { method: 'GET', url: `/api/v1/members/${manager.userId}/effective-permissions`, headers: acting })).json().data;
    expect(explained).toMatchObject({ workspace_id: branch, role: 'member', role_workspace_id: hq });
    expect(explained.permissions).toContainEqual({
      permission: 'members:manage',
      sources: [{ kind: 'override', workspace_id: hq }, { kind: 'admin_workspace', workspace_id: hq }],
    });
    expect(explained.withheld).toContainEqual({ permission: 'groups:manage', reason: 'withheld_when_acting_as' });
    const mine = (await succeed(t, { method: 'GET', url: '/api/v1/permissions/me', headers: acting })).json().data.permissions;
    expect(explained.permissions.map((entry: { permission: string }) => entry.permission).sort()).toEqual(mine);

    const where = async (permission: string) =>
      (await succeed(t, { method: 'GET', url: `/api/v1/me/workspaces?can=${permission}`, headers: manager.auth })).json().data;
    expect(await where('members:manage')).toEqual([
      { id: hq, biz_id: expect.any(String), name: 'Access HQ', slug: expect.any(String), via: 'membership', role: 'member', acting_from_workspace_id: null },
      { id: branch, biz_id: expect.any(String), name: 'Access Sub Branch', slug: expect.any(String), via: 'admin_workspace', role: 'member', acting_from_workspace_id: hq },
    ]);
    expect((await where('groups:manage')).map((w: { id: number }) => w.id)).toEqual([hq]);
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${manager.userId}/permissions`, headers: inWs(owner, hq), payload: { revoke: ['members:view'], grant: ['members:manage'] } });
    expect((await where('members:view')).map((w: { id: number }) => w.id)).toEqual([]);
  });
});

describe('where', () => {
  it('a tenant owner reads every workspace, pages by id, and an API key may not ask', async () => {
    const other = await register(t, { name: 'Other Owner' });
    const theirs = (await createWorkspace(t, other, 'Someone Else Branch')).id;
    // `owner` registered first: the tenant's owner, who reads every workspace.
    const seen: { id: number; via: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: number; via: string }[]; meta: { next_cursor: string | null } } = (
        await succeed(t, { method: 'GET', url: `/api/v1/me/workspaces?can=members:view&limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: owner.auth })
      ).json();
      seen.push(...page.data);
      cursor = page.meta.next_cursor;
    } while (cursor);
    expect(seen.map((w) => w.id)).toEqual([...seen.map((w) => w.id)].sort((a, b) => a - b));
    expect(seen.find((w) => w.id === theirs)?.via).toBe('tenant_role');
    expect(seen.find((w) => w.id === ws)?.via).toBe('membership');
    const writes = (await succeed(t, { method: 'GET', url: '/api/v1/me/workspaces?can=members:manage&limit=100', headers: owner.auth })).json().data;
    expect(writes.map((w: { id: number }) => w.id)).not.toContain(theirs);

    const key = (await succeed(t, { method: 'POST', url: '/api/v1/api-keys', headers: inWs(owner), payload: { name: 'where', scopes: ['members:view'] } }, 201)).json().data;
    const byKey = await t.request({ method: 'GET', url: '/api/v1/me/workspaces?can=members:view', headers: { authorization: `Bearer ${key.secret}` } });
    expect(byKey.statusCode).toBe(403);
    const missing = await t.request({ method: 'GET', url: '/api/v1/me/workspaces', headers: owner.auth });
    expect(missing.statusCode).toBe(422);
  });
});

describe('authority checked again later', () => {
  it('an invitation sent before the inviter lost the right to grant its role is refused at acceptance', async () => {
    const inviteeEmail = `late.${Date.now()}@example.com`;
    const sent = await succeed(t, { method: 'POST', url: '/api/v1/invitations', headers: inWs(admin), payload: { email: inviteeEmail, role: 'viewer' } }, 201);
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${admin.userId}/permissions`, headers: inWs(owner), payload: { revoke: ['invitations:view'] } });
    const invitee = await register(t, { email: inviteeEmail, name: 'Late Invitee' });
    const accepted = await t.request({ method: 'POST', url: '/api/v1/invitations/accept', headers: invitee.auth, payload: { token: sent.json().data.token } });
    expect(accepted.statusCode).toBe(410);
    expect(accepted.json().error.code).toBe('INVITATION.NO_LONGER_VALID');
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${admin.userId}/permissions`, headers: inWs(owner), payload: {} });
  });
});

describe('where, for a tenant admin who is also a member', () => {
  it('lists a workspace by membership only: the read-only view is for workspaces one is no member of', async () => {
    const tenantAdmin = await register(t, { name: 'Tenant Admin Member' });
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${tenantAdmin.userId}`, headers: owner.auth, payload: { tenant_role: 'admin' } });
    const shop = (await createWorkspace(t, admin, 'Where Shop')).id;
    await addMembership(t, shop, tenantAdmin.userId, 'viewer');
    const where = async (permission: string) =>
      (await succeed(t, { method: 'GET', url: `/api/v1/me/workspaces?can=${permission}&limit=100`, headers: tenantAdmin.auth })).json().data as { id: number; via: string }[];
    // The viewer role does not read API keys, and here the membership decides (403 below), not the tenant role.
    expect((await where('api_keys:view')).map((w) => w.id)).not.toContain(shop);
    expect((await t.request({ method: 'GET', url: '/api/v1/api-keys', headers: inWs(tenantAdmin, shop) })).statusCode).toBe(403);
    expect((await where('members:view')).find((w) => w.id === shop)?.via).toBe('membership');
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${tenantAdmin.userId}/permissions`, headers: inWs(admin, shop), payload: { revoke: ['members:view'] } });
    expect((await where('members:view')).map((w) => w.id)).not.toContain(shop);
    expect((await where('members:view')).find((w) => w.id === ws)?.via).toBe('tenant_role');
  });
});
