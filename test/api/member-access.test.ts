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

  it('refuses escalation', async () => {
    expect((await putOverrides(clerk, admin.userId, { grant: ['workspaces:delete'] })).statusCode).toBe(403);
    expect((await putOverrides(admin, admin.userId, { grant: ['workspaces:delete'] })).statusCode).toBe(403);
    expect((await putOverrides(admin, clerk.userId, { grant: ['workspaces:delete'] })).statusCode).toBe(403);
    expect((await putOverrides(admin, owner.userId, { revoke: ['members:view'] })).statusCode).toBe(409);
  });
});
