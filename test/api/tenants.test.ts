import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { createTenantsService } from '../../src/modules/tenants/tenants.service.ts';
import { createTenant, register, startTestApp, type Session, type TestApp, succeed } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let admin: Session;
let member: Session;

beforeAll(async () => {
  t = await startTestApp({ env: { TENANT_BASE_DOMAIN: 'tessera.test' } });
  owner = await register(t, { name: 'Owner' });
  admin = await register(t, { name: 'Admin' });
  member = await register(t, { name: 'Member' });
  const promoted = await t.request({
    method: 'PUT',
    url: `/api/v1/tenant/users/${admin.userId}`,
    headers: owner.auth,
    payload: { tenant_role: 'admin' },
  });
  expect(promoted.statusCode).toBe(200);
  await createTenant(t, 'acme', 'Acme');
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

describe('tenant settings', () => {
  it('shows the settings to owners and admins (200) and refuses members with 403 naming the permission', async () => {
    for (const actor of [owner, admin]) {
      const response = await t.request({ method: 'GET', url: '/api/v1/tenant', headers: actor.auth });
      expect(response.statusCode).toBe(200);
      expect(response.json().data).toMatchObject({ slug: 'default', self_signup: true, max_owned_workspaces_per_user: null });
    }
    const denied = await t.request({ method: 'GET', url: '/api/v1/tenant', headers: member.auth });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toMatchObject({ code: 'AUTH.FORBIDDEN', details: { permission: 'tenant:view' } });
  });

  it('updates the settings with 200 and a localized message, and rejects out-of-range values with 422 changing nothing', async () => {
    const updated = await t.request({
      method: 'PATCH',
      url: '/api/v1/tenant',
      headers: { ...admin.auth, 'accept-language': 'es' },
      payload: { name: 'Casa Matriz', max_owned_workspaces_per_user: 1, portal_access_code: 'let-me-in' },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      data: { name: 'Casa Matriz', max_owned_workspaces_per_user: 1, portal_access_code_set: true },
      message: 'Configuración del inquilino actualizada.',
    });
    // The code is kept only as a digest: no answer ever carries it.
    expect(updated.body).not.toContain('let-me-in');

    const bad = await t.request({
      method: 'PATCH',
      url: '/api/v1/tenant',
      headers: owner.auth,
      payload: { name: 'Changed', max_owned_workspaces_per_user: 0, default_locale: 'fr' },
    });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.details).sort()).toEqual(['default_locale', 'max_owned_workspaces_per_user']);
    const after = await t.request({ method: 'GET', url: '/api/v1/tenant', headers: owner.auth });
    expect(after.json().data.name).toBe('Casa Matriz');

    const empty = await t.request({ method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: {} });
    expect(empty.statusCode).toBe(422);
  });

  it('closes self sign-up: registering then answers 403 AUTH.SIGNUP_DISABLED', async () => {
    await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { self_signup: false } });
    try {
      const response = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { name: 'Late', email: 'late@example.com', password: 'correct horse battery' },
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().error.code).toBe('AUTH.SIGNUP_DISABLED');
    } finally {
      await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { self_signup: true } });
    }
  });
});

describe('tenant roles', () => {
  it('lists users for admins, paginated with an opaque cursor', async () => {
    const first = await t.request({ method: 'GET', url: '/api/v1/tenant/users?limit=2', headers: admin.auth });
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.data).toHaveLength(2);
    expect(page.data[0]).not.toHaveProperty('password_hash');
    expect(typeof page.meta.next_cursor).toBe('string');
    const second = await t.request({
      method: 'GET',
      url: `/api/v1/tenant/users?limit=2&cursor=${page.meta.next_cursor}`,
      headers: admin.auth,
    });
    expect(second.json().data[0].id).toBeGreaterThan(page.data[1].id);
    const bad = await t.request({ method: 'GET', url: '/api/v1/tenant/users?cursor=bm9wZQ', headers: admin.auth });
    expect(bad.statusCode).toBe(422);
    const tooMany = await t.request({ method: 'GET', url: '/api/v1/tenant/users?limit=101', headers: admin.auth });
    expect(tooMany.statusCode).toBe(422);
  });

  it('lets only owners change tenant roles (admin gets 403)', async () => {
    const response = await t.request({
      method: 'PUT',
      url: `/api/v1/tenant/users/${member.userId}`,
      headers: admin.auth,
      payload: { tenant_role: 'admin' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.details.permission).toBe('tenant_users:manage');
  });

  it('refuses to demote or disable the last owner with 409 TENANT.LAST_OWNER', async () => {
    for (const payload of [{ tenant_role: 'member' }, { disabled: true }]) {
      const response = await t.request({ method: 'PUT', url: `/api/v1/tenant/users/${owner.userId}`, headers: owner.auth, payload });
      expect(response.statusCode).toBe(409);
      expect(response.json().error.code).toBe('TENANT.LAST_OWNER');
    }
    const me = await t.request({ method: 'GET', url: '/api/v1/me', headers: owner.auth });
    expect(me.json().data.tenant_role).toBe('owner');
  });

  it('keeps exactly one owner when two owners demote each other at once', async () => {
    const second = await register(t, { name: 'Second owner' });
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${second.userId}`, headers: owner.auth, payload: { tenant_role: 'owner' } });
    const [a, b] = await Promise.all([
      t.request({ method: 'PUT', url: `/api/v1/tenant/users/${second.userId}`, headers: owner.auth, payload: { tenant_role: 'member' } }),
      t.request({ method: 'PUT', url: `/api/v1/tenant/users/${owner.userId}`, headers: second.auth, payload: { tenant_role: 'member' } }),
    ]);
    const owners = await t.db
      .selectFrom('users')
      .select('id')
      .where('tenant_id', '=', 1)
      .where('tenant_role', '=', 'owner')
      .execute();
    const survivor = owners[0]?.id === owner.userId ? owner : second;
    if (survivor !== owner) {
      await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${owner.userId}`, headers: second.auth, payload: { tenant_role: 'owner' } });
    }
    expect(owners).toHaveLength(1);
    // The loser either lost the race inside the guarded update (409) or was already demoted when resolved (403).
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
  });

  it('answers an unknown or huge user id with 404 USER.NOT_FOUND', async () => {
    for (const id of ['999999', '9999999999999999']) {
      const response = await t.request({ method: 'PUT', url: `/api/v1/tenant/users/${id}`, headers: owner.auth, payload: { tenant_role: 'admin' } });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('USER.NOT_FOUND');
    }
    for (const id of ['0', '01', '-1', '1e3', '99999999999999999']) {
      const response = await t.request({ method: 'PUT', url: `/api/v1/tenant/users/${id}`, headers: owner.auth, payload: { tenant_role: 'admin' } });
      expect(response.statusCode).toBe(422);
    }
  });

  it('disabling a user ends their sessions on the very next request (401) and blocks login', async () => {
    const victim = await register(t, { password: 'victim password' });
    const disabled = await t.request({ method: 'PUT', url: `/api/v1/tenant/users/${victim.userId}`, headers: owner.auth, payload: { disabled: true } });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json().data.disabled).toBe(true);
    expect((await t.request({ method: 'GET', url: '/api/v1/me', headers: victim.auth })).statusCode).toBe(401);
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: victim.email, password: 'victim password' } });
    expect(login.statusCode).toBe(401);
  });
});

describe('tenant isolation', () => {
  it('rejects a token issued in tenant acme on tenant default with 401', async () => {
    const acmeUser = await register(t, { tenant: 'acme' });
    const own = await t.request({ method: 'GET', url: '/api/v1/me', headers: { ...acmeUser.auth, 'x-tenant': 'acme' } });
    expect(own.statusCode).toBe(200);
    const crossed = await t.request({ method: 'GET', url: '/api/v1/me', headers: acmeUser.auth });
    expect(crossed.statusCode).toBe(401);
    expect(crossed.json().error.legacy_code).toBe(4010);
    const refresh = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: acmeUser.refreshToken } });
    expect(refresh.statusCode).toBe(401);
  });

  it('keeps emails per tenant: the same email registers in two tenants', async () => {
    const email = 'shared.person@example.com';
    await register(t, { email, tenant: 'acme' });
    const other = await register(t, { email });
    expect(other.userId).toBeGreaterThan(0);
  });

  it('resolves the tenant from the Host subdomain when TENANT_BASE_DOMAIN is set', async () => {
    const acmeUser = await register(t, { tenant: 'acme' });
    const viaHost = await t.request({ method: 'GET', url: '/api/v1/me', headers: { ...acmeUser.auth, host: 'acme.tessera.test' } });
    expect(viaHost.statusCode).toBe(200);
    expect(viaHost.json().data.tenant.slug).toBe('acme');
    const unknown = await t.request({ method: 'GET', url: '/api/v1/me', headers: { host: 'nobody.tessera.test' } });
    expect(unknown.statusCode).toBe(404);
  });

  it('answers every request of a disabled tenant with 403 TENANT.DISABLED', async () => {
    await createTenant(t, 'shut');
    const user = await register(t, { tenant: 'shut' });
    await createTenantsService({ db: t.db, clock: t.clock }).setTenantDisabled('shut', true);
    const response = await t.request({ method: 'GET', url: '/api/v1/me', headers: { ...user.auth, 'x-tenant': 'shut' } });
    expect(response.statusCode).toBe(403);
    expect(response.json().error.code).toBe('TENANT.DISABLED');
  });
});

describe('tenant administration in the tenant log', () => {
  it('lists the tenant roles and the tenant permissions each grants, to owners and admins only', async () => {
    const roles = await t.request({ method: 'GET', url: '/api/v1/tenant/roles', headers: admin.auth });
    expect(roles.statusCode).toBe(200);
    const byName = Object.fromEntries((roles.json().data as Array<{ name: string; permissions: string[] }>).map((role) => [role.name, role.permissions]));
    expect(Object.keys(byName)).toEqual(['owner', 'admin', 'member']);
    expect(byName.owner).toContain('tenant_users:manage');
    expect(byName.admin).not.toContain('tenant_users:manage');
    expect(byName.admin).toContain('tenant:edit');
    expect(byName.member).toEqual([]);
    const denied = await t.request({ method: 'GET', url: '/api/v1/tenant/roles', headers: member.auth });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.details.permission).toBe('tenant:view');
  });

  it('records settings, role changes, disabling and enabling, by whom and about whom, never the portal code', async () => {
    const subject = await register(t, { name: 'Audited Subject' });
    // The app's clock stands still: what earlier tests recorded is before this instant.
    t.clock.advance(1000);
    const start = t.clock.now().toISOString();
    await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: admin.auth, payload: { self_signup: false, portal_access_code: 'sesame-open-42', name: '  Audited Tenant ' } });
    await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: admin.auth, payload: { self_signup: true, portal_access_code: null } });
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${subject.userId}`, headers: owner.auth, payload: { tenant_role: 'admin' } });
    // The same role again changes nothing, and records nothing.
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${subject.userId}`, headers: owner.auth, payload: { tenant_role: 'admin' } });
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${subject.userId}`, headers: owner.auth, payload: { tenant_role: 'member', disabled: true } });
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${subject.userId}`, headers: owner.auth, payload: { disabled: false } });

    const log = await succeed(t, { method: 'GET', url: `/api/v1/tenant/audit-events?action=tenant.&since=${encodeURIComponent(start)}`, headers: admin.auth });
    expect(log.body).not.toContain('sesame-open-42');
    const events = (log.json().data as Array<{ action: string; actor: { id: number } | null; target_user: { id: number } | null; details: Record<string, unknown> }>).reverse();
    expect(events.map((event) => [event.action, event.details])).toEqual([
      ['tenant.settings_updated', { self_signup: false, name: 'Audited Tenant', portal_access_code_set: true, via: null }],
      ['tenant.settings_updated', { self_signup: true, portal_access_code_set: false, via: null }],
      ['tenant.user_role_changed', { from: 'member', to: 'admin', via: null }],
      ['tenant.user_role_changed', { from: 'admin', to: 'member', via: null }],
      ['tenant.user_disabled', { via: null }],
      ['tenant.user_enabled', { via: null }],
    ]);
    expect(events.slice(0, 2).every((event) => event.actor?.id === admin.userId && event.target_user === null)).toBe(true);
    expect(events.slice(2).every((event) => event.actor?.id === owner.userId && event.target_user?.id === subject.userId)).toBe(true);
    // The tenant's own log only: no workspace's log holds them.
    expect(await t.db.selectFrom('audit_events').select('id').where('action', 'like', 'tenant.%').where('workspace_id', 'is not', null).execute()).toEqual([]);

    // A refused change records nothing.
    const refused = await t.request({ method: 'PUT', url: `/api/v1/tenant/users/${subject.userId}`, headers: admin.auth, payload: { tenant_role: 'admin' } });
    expect(refused.statusCode).toBe(403);
    const after = await succeed(t, { method: 'GET', url: `/api/v1/tenant/audit-events?action=tenant.user_role_changed&since=${encodeURIComponent(start)}`, headers: admin.auth });
    expect(after.json().data).toHaveLength(2);
  });
});
