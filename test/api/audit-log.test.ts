import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

/**
 * Reading the audit logs: who acted and whom it was about, by name; narrowed by action (or an
 * area's actions), by the person who acted, by target and by time, the filters kept across pages.
 */

interface Event {
  id: number;
  action: string;
  target_type: string;
  target_id: string | null;
  actor: { id: number; name: string; email: string } | null;
  target_user: { id: number; name: string; email: string } | null;
  created_at: string;
}

let t: TestApp;
let owner: Session;
let admin: Session;
let member: Session;
let leaver: Session;
let workspaceId: number;
/** Between the first role change and the later ones, by the app's clock. */
let midway: string;

const inWorkspace = (session: Session) => ({ ...session.auth, 'x-workspace-id': String(workspaceId) });

async function events(session: Session, query: string): Promise<Event[]> {
  const response = await succeed(t, { method: 'GET', url: `/api/v1/audit-events?${query}`, headers: inWorkspace(session) });
  return response.json().data as Event[];
}

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Olga Owner' });
  admin = await register(t, { name: 'Adam Admin', email: `Adam.${Date.now()}@Example.com` });
  member = await register(t, { name: 'Mia Member' });
  workspaceId = (await createWorkspace(t, owner, 'Audited Branch')).id;
  await addMembership(t, workspaceId, admin.userId, 'admin');
  await addMembership(t, workspaceId, member.userId, 'member');
  await succeed(t, { method: 'PUT', url: `/api/v1/members/${member.userId}`, headers: inWorkspace(owner), payload: { role: 'viewer' } });
  t.clock.advance(60_000);
  midway = t.clock.now().toISOString();
  t.clock.advance(60_000);
  await succeed(t, { method: 'PUT', url: `/api/v1/members/${member.userId}`, headers: inWorkspace(admin), payload: { role: 'member' } });
  await succeed(t, { method: 'POST', url: '/api/v1/roles', headers: inWorkspace(admin), payload: { name: 'auditor', display_name: 'Auditor', permissions: ['audit:view'] } }, 201);
  leaver = await register(t, { name: 'Lou Leaver' });
  await addMembership(t, workspaceId, leaver.userId, 'admin');
  await succeed(t, { method: 'POST', url: '/api/v1/roles', headers: inWorkspace(leaver), payload: { name: 'clerk', display_name: 'Clerk', permissions: ['members:view'] } }, 201);
  await succeed(t, { method: 'POST', url: `/api/v1/workspaces/${workspaceId}/leave`, headers: inWorkspace(leaver) });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

describe('the workspace audit log', () => {
  it('names who acted and the user an event is about', async () => {
    const [latestRoleChange] = await events(owner, 'action=member.role_changed');
    expect(latestRoleChange).toMatchObject({
      action: 'member.role_changed',
      actor: { id: admin.userId, name: 'Adam Admin', email: admin.email },
      target_user: { id: member.userId, name: 'Mia Member', email: member.email },
    });
    const [created] = await events(owner, 'action=workspace.created');
    expect(created).toMatchObject({ actor: { id: owner.userId, name: 'Olga Owner' }, target_type: 'workspace', target_user: null });
  });

  it('names only its members: someone who has left is their id alone, and not found by address', async () => {
    const [clerk] = await events(owner, 'action=role.created');
    expect(clerk).toMatchObject({ action: 'role.created', actor_user_id: leaver.userId, actor: null });
    const [left] = await events(owner, 'action=member.left');
    expect(left).toMatchObject({ actor: null, target_user: null });
    expect(await events(owner, `actor_email=${encodeURIComponent(leaver.email)}`)).toEqual([]);
    // The tenant's log, read by its owners and admins, names every user of the tenant.
    await succeed(t, { method: 'PUT', url: `/api/v1/tenant/users/${leaver.userId}`, headers: owner.auth, payload: { tenant_role: 'admin' } });
    const tenantLog = await succeed(t, { method: 'GET', url: `/api/v1/tenant/audit-events?actor_email=${encodeURIComponent(owner.email)}`, headers: owner.auth });
    expect(tenantLog.json().data[0]).toMatchObject({ action: 'tenant.user_role_changed', target_user: { id: leaver.userId, name: 'Lou Leaver' } });
  });

  it('narrows by one action, by an area, by the person who acted (any case of the address), by target and by time', async () => {
    const roleChanges = await events(owner, 'action=member.role_changed');
    expect(roleChanges.map((event) => event.actor?.id)).toEqual([admin.userId, owner.userId]);

    const area = await events(owner, 'action=role.');
    expect(area.length).toBeGreaterThan(0);
    expect(area.every((event) => event.action.startsWith('role.'))).toBe(true);
    // An area is a whole word: `member.` is not `member_x.`, and underscores are not wildcards.
    expect((await events(owner, 'action=member.')).every((event) => event.action.startsWith('member.'))).toBe(true);
    expect(await events(owner, 'action=member_role.')).toEqual([]);

    const byAdmin = await events(owner, `actor_email=${encodeURIComponent(admin.email.toUpperCase())}`);
    expect(byAdmin.map((event) => event.action).sort()).toEqual(['member.role_changed', 'role.created']);
    expect(await events(owner, 'actor_email=nobody%40example.com')).toEqual([]);

    const aboutMember = await events(owner, `target_type=user&target_id=${member.userId}`);
    expect(aboutMember.length).toBeGreaterThanOrEqual(2);
    expect(aboutMember.every((event) => event.target_user?.id === member.userId)).toBe(true);

    const before = await events(owner, `action=member.role_changed&until=${encodeURIComponent(midway)}`);
    expect(before.map((event) => event.actor?.id)).toEqual([owner.userId]);
    // Any offset names the same instant.
    const local = new Date(midway).toISOString().replace('Z', '+00:00');
    const after = await events(owner, `action=member.role_changed&since=${encodeURIComponent(local)}`);
    expect(after.map((event) => event.actor?.id)).toEqual([admin.userId]);
  });

  it('keeps the filter on every page', async () => {
    const all = await events(owner, 'action=member.');
    expect(all.length).toBe(3);
    const seen: string[] = [];
    for (let cursor: string | null = null, pages = 0; pages === 0 || cursor !== null; pages += 1) {
      const response = await succeed(t, {
        method: 'GET',
        url: `/api/v1/audit-events?action=member.&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        headers: inWorkspace(owner),
      });
      const body = response.json<{ data: Event[]; meta: { next_cursor: string | null } }>();
      seen.push(...body.data.map((event) => event.action));
      cursor = body.meta.next_cursor;
    }
    expect(seen).toEqual(all.map((event) => event.action));
  });

  it('refuses malformed filters with 422 naming each, a leap second included, and an unknown one', async () => {
    for (const [query, field] of [
      ['action=Member.Role', 'action'],
      ['action=member..x', 'action'],
      ['actor_email=not-an-address', 'actor_email'],
      ['since=yesterday', 'since'],
      ['until=2024-13-01T00:00:00Z', 'until'],
      ['since=2016-12-31T23:59:60Z', 'since'],
      ['target_type=User', 'target_type'],
      ['colour=blue', 'colour'],
    ] as const) {
      const response = await t.request({ method: 'GET', url: `/api/v1/audit-events?${query}`, headers: inWorkspace(owner) });
      expect(response.statusCode, query).toBe(422);
      expect(JSON.stringify(response.json().error.details), query).toContain(field);
    }
  });

  it('still needs audit:view, filtered or not', async () => {
    const denied = await t.request({ method: 'GET', url: '/api/v1/audit-events?action=member.', headers: inWorkspace(member) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error.details.permission).toBe('audit:view');
  });
});
