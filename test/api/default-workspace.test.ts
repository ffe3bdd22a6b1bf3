/**
 * The default workspace (seed 003): signing in enters it when no workspace is current, and
 * it is forgotten whenever its user stops being able to see it, so sign-in never enters a
 * workspace the user has lost.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, signInAgain, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let tenantOwner: Session;

beforeAll(async () => {
  t = await startTestApp();
  tenantOwner = await register(t, { name: 'Tenant Owner' });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

async function pointers(session: Session) {
  const me = await succeed(t, { method: 'GET', url: '/api/v1/me', headers: session.auth });
  const { current_workspace_id: current, default_workspace_id: byDefault } = me.json().data as Record<string, number | null>;
  return { current, byDefault };
}

const setDefault = (session: Session, workspaceId: number) =>
  succeed(t, { method: 'POST', url: `/api/v1/workspaces/${workspaceId}/default`, headers: session.auth });
const clearCurrent = (session: Session, workspaceId: number) =>
  succeed(t, { method: 'DELETE', url: `/api/v1/workspace-context/${workspaceId}`, headers: session.auth });

describe('signing in', () => {
  it('enters the default workspace when none is current, and keeps a current one', async () => {
    const user = await register(t);
    const home = await createWorkspace(t, user, `Home ${user.userId}`);
    const other = await createWorkspace(t, user, `Other ${user.userId}`);
    await setDefault(user, home.id);
    await clearCurrent(user, other.id);
    expect(await pointers(user)).toEqual({ current: null, byDefault: home.id });

    const signedIn = await signInAgain(t, user);
    expect(await pointers(signedIn)).toEqual({ current: home.id, byDefault: home.id });
    // The context follows: a workspace route without X-Workspace-ID runs in the default one.
    const members = await t.request({ method: 'GET', url: '/api/v1/members', headers: signedIn.auth });
    expect(members.statusCode).toBe(200);
    expect(members.headers['x-workspace-id']).toBe(String(home.id));

    await succeed(t, { method: 'PATCH', url: `/api/v1/workspace-context/${other.id}`, headers: signedIn.auth });
    expect(await pointers(await signInAgain(t, user))).toEqual({ current: other.id, byDefault: home.id });
  });

  it('leaves a user without a default with no current workspace', async () => {
    const user = await register(t);
    const only = await createWorkspace(t, user, `Only ${user.userId}`);
    await clearCurrent(user, only.id);
    expect(await pointers(await signInAgain(t, user))).toEqual({ current: null, byDefault: null });
  });
});

describe('losing the default workspace', () => {
  async function memberWithDefaultIn(workspaceId: number): Promise<Session> {
    const member = await register(t);
    await addMembership(t, workspaceId, member.userId, 'member');
    await setDefault(member, workspaceId);
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspace-context/${workspaceId}`, headers: member.auth });
    return member;
  }

  it('forgets it on leaving: the next sign-in enters nothing', async () => {
    const owner = await register(t);
    const shop = await createWorkspace(t, owner, `Shop ${owner.userId}`);
    const member = await memberWithDefaultIn(shop.id);
    await succeed(t, { method: 'POST', url: `/api/v1/workspaces/${shop.id}/leave`, headers: member.auth });
    expect(await pointers(member)).toEqual({ current: null, byDefault: null });
    expect(await pointers(await signInAgain(t, member))).toEqual({ current: null, byDefault: null });
  });

  it('forgets it when the member is removed', async () => {
    const owner = await register(t);
    const shop = await createWorkspace(t, owner, `Removal ${owner.userId}`);
    const member = await memberWithDefaultIn(shop.id);
    await succeed(t, { method: 'DELETE', url: `/api/v1/members/${member.userId}`, headers: { ...owner.auth, 'x-workspace-id': String(shop.id) } });
    expect(await pointers(await signInAgain(t, member))).toEqual({ current: null, byDefault: null });
  });

  it('forgets it when the workspace is deleted', async () => {
    const owner = await register(t);
    const shop = await createWorkspace(t, owner, `Deleted ${owner.userId}`);
    const member = await memberWithDefaultIn(shop.id);
    await succeed(t, { method: 'DELETE', url: `/api/v1/workspaces/${shop.id}`, headers: owner.auth });
    expect(await pointers(await signInAgain(t, member))).toEqual({ current: null, byDefault: null });
  });

  it('forgets one seen only as a tenant admin once the tenant role is lowered, and keeps those of its memberships', async () => {
    const admin = await register(t);
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${admin.userId}`, headers: tenantOwner.auth, payload: { tenant_role: 'admin' } });
    const owner = await register(t);
    const seenOnly = await createWorkspace(t, owner, `Seen ${owner.userId}`);
    const own = await createWorkspace(t, admin, `Own ${admin.userId}`);
    // Tenant admins see every workspace read-only, enough to make one their default.
    await setDefault(admin, seenOnly.id);
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspace-context/${seenOnly.id}`, headers: admin.auth });
    expect(await pointers(admin)).toEqual({ current: seenOnly.id, byDefault: seenOnly.id });

    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${admin.userId}`, headers: tenantOwner.auth, payload: { tenant_role: 'member' } });
    expect(await pointers(admin)).toEqual({ current: null, byDefault: null });
    const after = await t.request({ method: 'GET', url: `/api/v1/workspaces/${seenOnly.id}`, headers: admin.auth });
    expect(after.statusCode).toBe(404);

    // A workspace of their own stays theirs to enter.
    await setDefault(admin, own.id);
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${admin.userId}`, headers: tenantOwner.auth, payload: { tenant_role: 'admin' } });
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${admin.userId}`, headers: tenantOwner.auth, payload: { tenant_role: 'member' } });
    expect((await pointers(admin)).byDefault).toBe(own.id);
  });

  it('never keeps a default set while the tenant role that showed it is being lowered (raced)', async () => {
    const owner = await register(t);
    const seenOnly = await createWorkspace(t, owner, `Raced ${owner.userId}`);
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < 30; round += 1) {
      const admin = await register(t);
      await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${admin.userId}`, headers: tenantOwner.auth, payload: { tenant_role: 'admin' } });
      const [set] = await Promise.all([
        t.request({ method: 'POST', url: `/api/v1/workspaces/${seenOnly.id}/default`, headers: admin.auth }),
        succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${admin.userId}`, headers: tenantOwner.auth, payload: { tenant_role: 'member' } }),
      ]);
      const label = String(set.statusCode);
      outcomes[label] = (outcomes[label] ?? 0) + 1;
      expect([200, 404]).toContain(set.statusCode);
      // Whichever landed first, a member of nothing there ends with no pointer at it.
      expect(await pointers(admin)).toEqual({ current: null, byDefault: null });
    }
    console.log(`default set racing a lowered tenant role: ${JSON.stringify(outcomes)}`);
  });
});

