import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, type Session, type TestApp, succeed } from '../support/test-app.ts';

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

const ctx = (id: number) => ({ 'x-workspace-id': String(id) });

async function ownerCount(workspaceId: number): Promise<number> {
  const rows = await t.db.selectFrom('memberships').select('user_id').where('workspace_id', '=', workspaceId).where('role', '=', 'owner').execute();
  return rows.length;
}

describe('creating workspaces', () => {
  it('gives one 201 and 409s when the same name is created concurrently', async () => {
    const users = await Promise.all([1, 2, 3, 4, 5].map(() => register(t)));
    const responses = await Promise.all(
      users.map((user, i) =>
        t.request({ method: 'POST', url: '/api/v1/workspaces', headers: user.auth, payload: { name: i % 2 ? 'Race Store' : 'race store ' } }),
      ),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
  });

  it('refuses a taken slug with 409 and a bad slug with 422', async () => {
    const user = await register(t);
    const first = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: user.auth, payload: { name: 'Slug One', slug: 'shared-slug' } });
    expect(first.statusCode).toBe(201);
    const taken = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: user.auth, payload: { name: 'Slug Two', slug: 'shared-slug' } });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('WORKSPACE.SLUG_TAKEN');
    const bad = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: user.auth, payload: { name: 'Slug Three', slug: 'Not A Slug' } });
    expect(bad.statusCode).toBe(422);
  });

  it('enforces the tenant limit on owned workspaces with 409 WORKSPACE.ALREADY_OWNS_WORKSPACE', async () => {
    await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: tenantOwner.auth, payload: { max_owned_workspaces_per_user: 1 } });
    try {
      const user = await register(t);
      await createWorkspace(t, user, 'Only One');
      const second = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: user.auth, payload: { name: 'Second One' } });
      expect(second.statusCode).toBe(409);
      expect(second.json().error.code).toBe('WORKSPACE.ALREADY_OWNS_WORKSPACE');
    } finally {
      await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: tenantOwner.auth, payload: { max_owned_workspaces_per_user: null } });
    }
  });
});

describe('visibility', () => {
  it('lets tenant owners and admins see every workspace, read-only where they are not members', async () => {
    const user = await register(t);
    const ws = await createWorkspace(t, user, 'Private Branch');
    const list = await t.request({ method: 'GET', url: '/api/v1/workspaces?limit=100', headers: tenantOwner.auth });
    const seen = list.json().data.find((w: { id: number }) => w.id === ws.id);
    expect(seen).toMatchObject({ role: null, is_owner: false });

    const read = await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...tenantOwner.auth, ...ctx(ws.id) } });
    expect(read.statusCode).toBe(200);
    const write = await t.request({ method: 'PUT', url: `/api/v1/members/${user.userId}`, headers: { ...tenantOwner.auth, ...ctx(ws.id) }, payload: { role: 'admin' } });
    expect(write.statusCode).toBe(403);

    const stranger = await register(t);
    const hidden = await t.request({ method: 'GET', url: `/api/v1/workspaces/${ws.id}`, headers: stranger.auth });
    expect(hidden.statusCode).toBe(404);
    const strangerList = await t.request({ method: 'GET', url: '/api/v1/workspaces', headers: stranger.auth });
    expect(strangerList.json().data).toEqual([]);
  });

  it('answers a huge but well-formed id with 404 and a malformed header with 400', async () => {
    const huge = await t.request({ method: 'GET', url: '/api/v1/workspaces/9999999999999999', headers: tenantOwner.auth });
    expect(huge.statusCode).toBe(404);
    const malformed = await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...tenantOwner.auth, 'x-workspace-id': '01' } });
    expect(malformed.statusCode).toBe(400);
    const conflict = await t.request({
      method: 'GET',
      url: '/api/v1/members',
      headers: { ...tenantOwner.auth, 'x-workspace-id': '1', 'x-as-workspace': '2' },
    });
    expect(conflict.statusCode).toBe(400);
    expect(conflict.json().error.code).toBe('CONTEXT.CONFLICT');
  });
});

describe('members and ownership', () => {
  it('lets an admin change roles but never grant owner or a permission the admin lacks', async () => {
    const owner = await register(t);
    const admin = await register(t);
    const member = await register(t);
    const ws = await createWorkspace(t, owner, 'Grant Rules');
    await addMembership(t, ws.id, admin.userId, 'admin');
    await addMembership(t, ws.id, member.userId, 'member');
    const h = { ...admin.auth, ...ctx(ws.id) };

    expect((await t.request({ method: 'PUT', url: `/api/v1/members/${member.userId}`, headers: h, payload: { role: 'viewer' } })).statusCode).toBe(200);
    const toOwner = await t.request({ method: 'PUT', url: `/api/v1/members/${member.userId}`, headers: h, payload: { role: 'owner' } });
    expect(toOwner.statusCode).toBe(409);
    expect(toOwner.json().error.code).toBe('ROLE.OWNER_BY_TRANSFER');
    const demoteOwner = await t.request({ method: 'PUT', url: `/api/v1/members/${owner.userId}`, headers: h, payload: { role: 'member' } });
    expect(demoteOwner.statusCode).toBe(409);

    // The owner makes a role with an owner-only permission; the admin may not hand it out.
    const ownerH = { ...owner.auth, ...ctx(ws.id) };
    const role = await t.request({ method: 'POST', url: '/api/v1/roles', headers: ownerH, payload: { name: 'co_owner', display_name: 'Co-owner', permissions: ['workspaces:edit'] } });
    expect(role.statusCode).toBe(201);
    const grant = await t.request({ method: 'PUT', url: `/api/v1/members/${member.userId}`, headers: h, payload: { role: 'co_owner' } });
    expect(grant.statusCode).toBe(403);
    expect(grant.json().error.details.permission).toBe('workspaces:edit');
    const adminRole = await t.request({ method: 'POST', url: '/api/v1/roles', headers: h, payload: { name: 'sneaky', display_name: 'Sneaky', permissions: ['workspaces:delete'] } });
    expect(adminRole.statusCode).toBe(403);
    const unknown = await t.request({ method: 'POST', url: '/api/v1/roles', headers: h, payload: { name: 'typo', display_name: 'Typo', permissions: ['invoices:viewww'] } });
    expect(unknown.statusCode).toBe(422);
  });

  it('takes a role change into account on the member’s very next request', async () => {
    const owner = await register(t);
    const member = await register(t);
    const ws = await createWorkspace(t, owner, 'Next Request');
    await addMembership(t, ws.id, member.userId, 'admin');
    const mh = { ...member.auth, ...ctx(ws.id) };
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-events', headers: mh })).statusCode).toBe(200);
    await succeed(t, { method: 'PUT', url: `/api/v1/members/${member.userId}`, headers: { ...owner.auth, ...ctx(ws.id) }, payload: { role: 'viewer' } });
    const after = await t.request({ method: 'GET', url: '/api/v1/audit-events', headers: mh });
    expect(after.statusCode).toBe(403);
    expect(after.json().error.details.permission).toBe('audit:view');
  });

  it('transfers ownership atomically; two concurrent transfers leave exactly one owner', async () => {
    const owner = await register(t);
    const a = await register(t);
    const b = await register(t);
    const ws = await createWorkspace(t, owner, 'Transfer Race');
    await addMembership(t, ws.id, a.userId, 'admin');
    await addMembership(t, ws.id, b.userId, 'member');
    const h = owner.auth;
    const [first, second] = await Promise.all([
      t.request({ method: 'POST', url: `/api/v1/workspaces/${ws.id}/transfer-ownership`, headers: h, payload: { user_id: a.userId } }),
      t.request({ method: 'POST', url: `/api/v1/workspaces/${ws.id}/transfer-ownership`, headers: h, payload: { user_id: b.userId } }),
    ]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([200, 403]);
    expect(await ownerCount(ws.id)).toBe(1);
    const members = (await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...owner.auth, ...ctx(ws.id) } })).json().data;
    expect(members.find((m: { id: number }) => m.id === owner.userId).role).toBe('admin');
  });

  it('lets members leave (not the owner) and clears their current workspace', async () => {
    const owner = await register(t);
    const member = await register(t);
    const ws = await createWorkspace(t, owner, 'Leaving');
    await addMembership(t, ws.id, member.userId, 'member');
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspace-context/${ws.id}`, headers: member.auth });
    await succeed(t, { method: 'POST', url: `/api/v1/workspaces/${ws.id}/default`, headers: member.auth });
    const ownerLeaves = await t.request({ method: 'POST', url: `/api/v1/workspaces/${ws.id}/leave`, headers: owner.auth });
    expect(ownerLeaves.statusCode).toBe(409);
    expect(ownerLeaves.json().error.code).toBe('WORKSPACE.OWNER_CANNOT_LEAVE');
    const leaves = await t.request({ method: 'POST', url: `/api/v1/workspaces/${ws.id}/leave`, headers: member.auth });
    expect(leaves.statusCode).toBe(200);
    const me = (await t.request({ method: 'GET', url: '/api/v1/me', headers: member.auth })).json().data;
    expect(me).toMatchObject({ current_workspace_id: null, default_workspace_id: null });
    expect((await t.request({ method: 'GET', url: `/api/v1/workspaces/${ws.id}`, headers: member.auth })).statusCode).toBe(404);
  });

  it('keeps exactly one owner when removals and transfers race', async () => {
    const owner = await register(t);
    const a = await register(t);
    const ws = await createWorkspace(t, owner, 'Remove Race');
    await addMembership(t, ws.id, a.userId, 'admin');
    const responses = await Promise.all([
      t.request({ method: 'POST', url: `/api/v1/workspaces/${ws.id}/transfer-ownership`, headers: owner.auth, payload: { user_id: a.userId } }),
      t.request({ method: 'DELETE', url: `/api/v1/members/${a.userId}`, headers: { ...owner.auth, ...ctx(ws.id) } }),
      t.request({ method: 'DELETE', url: `/api/v1/members/${owner.userId}`, headers: { ...a.auth, ...ctx(ws.id) } }),
    ]);
    for (const response of responses) expect(response.statusCode).toBeLessThan(500);
    expect(await ownerCount(ws.id)).toBe(1);
  });
});

describe('deleting a workspace', () => {
  it('removes its roles, memberships and keys in one go and clears pointers to it', async () => {
    const owner = await register(t);
    const member = await register(t);
    const ws = await createWorkspace(t, owner, 'Doomed');
    await addMembership(t, ws.id, member.userId, 'member');
    await succeed(t, { method: 'PATCH', url: `/api/v1/workspace-context/${ws.id}`, headers: member.auth });
    const key = await t.request({ method: 'POST', url: '/api/v1/api-keys', headers: owner.auth, payload: { name: 'k', scopes: ['members:view'] } });
    const secret = key.json().data.secret as string;

    expect((await t.request({ method: 'DELETE', url: `/api/v1/workspaces/${ws.id}`, headers: member.auth })).statusCode).toBe(403);
    const deleted = await t.request({ method: 'DELETE', url: `/api/v1/workspaces/${ws.id}`, headers: owner.auth });
    expect(deleted.statusCode).toBe(200);

    for (const table of ['memberships', 'roles', 'api_keys'] as const) {
      const rows = await t.db.selectFrom(table).select('workspace_id').where('workspace_id', '=', ws.id).execute();
      expect(rows, table).toHaveLength(0);
    }
    expect((await t.request({ method: 'GET', url: '/api/v1/me', headers: member.auth })).json().data.current_workspace_id).toBeNull();
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401);
    const audit = await t.db.selectFrom('audit_events').select('action').where('workspace_id', '=', ws.id).where('action', '=', 'workspace.deleted').execute();
    expect(audit).toHaveLength(1);
  });
});

describe('API keys', () => {
  it('shows the secret once, acts only in its workspace within its scopes, and dies on revoke', async () => {
    const owner = await register(t);
    const ws = await createWorkspace(t, owner, 'Keyed');
    const other = await createWorkspace(t, owner, 'Other Keyed');
    const created = await t.request({ method: 'POST', url: '/api/v1/api-keys', headers: { ...owner.auth, ...ctx(ws.id) }, payload: { name: 'ci', scopes: ['members:view'] } });
    expect(created.statusCode).toBe(201);
    const { secret, id } = created.json().data as { secret: string; id: number };
    expect(secret).toMatch(/^tsk_/);
    const key = { authorization: `Bearer ${secret}` };

    const list = await t.request({ method: 'GET', url: '/api/v1/api-keys', headers: { ...owner.auth, ...ctx(ws.id) } });
    expect(list.json().data[0]).not.toHaveProperty('secret');
    expect(JSON.stringify(list.json())).not.toContain(secret);

    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: key })).statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/api/v1/roles', headers: key })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...key, ...ctx(other.id) } })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: '/api/v1/me', headers: key })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...key, 'x-tenant': 'nope' } })).statusCode).toBe(404);

    const revoked = await t.request({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: { ...owner.auth, ...ctx(ws.id) } });
    expect(revoked.statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: key })).statusCode).toBe(401);
  });

  it('never lets a key exceed what its creator may do at the time of the request', async () => {
    const owner = await register(t);
    const admin = await register(t);
    const ws = await createWorkspace(t, owner, 'Bounded Keys');
    await addMembership(t, ws.id, admin.userId, 'admin');
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { ...admin.auth, ...ctx(ws.id) },
      payload: { name: 'admin key', scopes: ['members:view', 'audit:view'] },
    });
    expect(created.statusCode).toBe(201);
    const key = { authorization: `Bearer ${created.json().data.secret}` };
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-events', headers: key })).statusCode).toBe(200);

    const tooMuch = await t.request({ method: 'POST', url: '/api/v1/api-keys', headers: { ...admin.auth, ...ctx(ws.id) }, payload: { name: 'x', scopes: ['workspaces:delete'] } });
    expect(tooMuch.statusCode).toBe(403);

    await succeed(t, { method: 'PUT', url: `/api/v1/members/${admin.userId}`, headers: { ...owner.auth, ...ctx(ws.id) }, payload: { role: 'viewer' } });
    expect((await t.request({ method: 'GET', url: '/api/v1/audit-events', headers: key })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: key })).statusCode).toBe(200);
    await succeed(t, { method: 'DELETE', url: `/api/v1/members/${admin.userId}`, headers: { ...owner.auth, ...ctx(ws.id) } });
    // Removing the creator revokes the key itself (it used to answer 404, and work again on re-invitation). @see issue 10
    expect((await t.request({ method: 'GET', url: '/api/v1/members', headers: key })).statusCode).toBe(401);
  });

  it('records last_used_at in batches, not with a write per request', async () => {
    const owner = await register(t);
    const ws = await createWorkspace(t, owner, 'Used Keys');
    const created = await t.request({ method: 'POST', url: '/api/v1/api-keys', headers: { ...owner.auth, ...ctx(ws.id) }, payload: { name: 'u', scopes: ['members:view'] } });
    const { id, secret } = created.json().data as { id: number; secret: string };
    await succeed(t, { method: 'GET', url: '/api/v1/members', headers: { authorization: `Bearer ${secret}` } });
    const before = await t.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(before.last_used_at).toBeNull();
    await t.app.close();
    const after = await t.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow();
    expect(after.last_used_at).not.toBeNull();
  });
});
