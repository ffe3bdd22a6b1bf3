/**
 * Member access under real concurrency: two server processes on one database (SQLite in
 * WAL across processes, PostgreSQL across connections), the racing requests sent together,
 * one to each process (alternating by round). Proves that:
 * - two override changes of one member at once end as one of the two, never a mix, each
 *   200 that changed something audited once;
 * - an override change racing the member's ownership transfer never leaves overrides on the
 *   owner: either the change lands first and the transfer clears it, or it comes second
 *   and answers 409 MEMBER.IS_OWNER;
 * - an override change racing the member's removal leaves no overrides behind: 200 then
 *   removed, or 404 MEMBER.NOT_FOUND;
 * - an override change racing a role change ends with both applied, in one order or the
 *   other, and what the member holds is what the final role and overrides say;
 * - a manager whose own right to manage is taken away while their change waits for the
 *   membership rows is refused on what they hold when it runs, not on the context read
 *   before it waited (the other change is held open behind the API's back until the request
 *   is seen waiting on PostgreSQL, or for a moment on SQLite, then committed).
 * After every round the database is checked behind the API's back (test/support/invariants.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember } from '../../src/modules/members/members.service.ts';
import { inTransaction } from '../../src/core/db/transaction.ts';
import { engineOf, lockClause } from '../../src/core/db/dialect.ts';
import type { Tx } from '../../src/schema/database.ts';
import { sql } from 'kysely';
import { invariantViolations } from '../support/invariants.ts';
import { api, registerUser, startServerPair, uniqueProcessEmail, type ApiResponse, type ServerPair, type ServerProcess } from '../support/process.ts';

const ROUNDS = Number(process.env.RACE_REPEATS ?? 10);

let servers: ServerPair;
let owner: { accessToken: string; userId: number };
let round = 0;

beforeAll(async () => {
  servers = await startServerPair();
  owner = await registerUser(servers.a, uniqueProcessEmail('access-owner'));
}, 60_000);

afterAll(async () => servers?.close());

/** A workspace of `owner` with an admin and a member, each signed in on a different process. */
async function scene() {
  round += 1;
  const created = await api(servers.a.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name: `Access race ${round} ${process.pid}` } });
  expect(created.status).toBe(201);
  const workspaceId = created.body.data.id as number;
  const admin = await registerUser(servers.a, uniqueProcessEmail('access-admin'));
  const member = await registerUser(servers.b, uniqueProcessEmail('access-member'));
  const now = new Date().toISOString();
  await inTransaction(servers.direct.db, async (tx) => {
    await addMember(tx, workspaceId, admin.userId, 'admin', now);
    await addMember(tx, workspaceId, member.userId, 'member', now);
  });
  const as = (token: string) => ({ token, headers: { 'x-workspace-id': String(workspaceId) } });
  return { workspaceId, admin, member, asOwner: as(owner.accessToken), asAdmin: as(admin.accessToken), asMember: as(member.accessToken) };
}

/** Both requests at once, each to its own process; which gets which alternates by round. */
function together(first: (server: ServerProcess) => Promise<ApiResponse>, second: (server: ServerProcess) => Promise<ApiResponse>) {
  const [x, y] = round % 2 ? [servers.a, servers.b] : [servers.b, servers.a];
  return Promise.all([first(x), second(y)]);
}

async function overridesOf(workspaceId: number, userId: number) {
  const rows = await servers.direct.db
    .selectFrom('member_permission_overrides')
    .select(['permission', 'effect'])
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .orderBy('permission')
    .execute();
  return { grant: rows.filter((r) => r.effect === 'grant').map((r) => r.permission), revoke: rows.filter((r) => r.effect === 'revoke').map((r) => r.permission) };
}

async function audited(workspaceId: number, action: string): Promise<number> {
  const row = await servers.direct.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('action', '=', action)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const permissionsPath = (userId: number) => `/api/v1/members/${userId}/permissions`;

describe('member access races across two processes', () => {
  it('two override changes of one member end as one of them, each change audited once', async () => {
    for (let i = 0; i < ROUNDS; i += 1) {
      const { workspaceId, member, asOwner, asAdmin } = await scene();
      const one = { grant: ['audit:view', 'invitations:view'], revoke: [] };
      const other = { grant: ['api_keys:view'], revoke: ['roles:view'] };
      const [a, b] = await together(
        (s) => api(s.url, 'PUT', permissionsPath(member.userId), { ...asOwner, body: one }),
        (s) => api(s.url, 'PUT', permissionsPath(member.userId), { ...asAdmin, body: other }),
      );
      expect([a.status, b.status], JSON.stringify([a.body, b.body])).toEqual([200, 200]);
      expect([one, other]).toContainEqual(await overridesOf(workspaceId, member.userId));
      expect(await audited(workspaceId, 'member.permissions_changed')).toBe(2);
      expect(await invariantViolations(servers.direct.db)).toEqual({});
    }
  }, 120_000);

  it('an override change racing the member becoming owner never leaves overrides on the owner', async () => {
    for (let i = 0; i < ROUNDS; i += 1) {
      const { workspaceId, member, asOwner, asAdmin } = await scene();
      const [changed, transferred] = await together(
        (s) => api(s.url, 'PUT', permissionsPath(member.userId), { ...asAdmin, body: { revoke: ['members:view'] } }),
        (s) => api(s.url, 'POST', `/api/v1/workspaces/${workspaceId}/transfer-ownership`, { ...asOwner, body: { user_id: member.userId } }),
      );
      expect(transferred.status, JSON.stringify(transferred.body)).toBe(200);
      expect([200, 409]).toContain(changed.status);
      if (changed.status === 409) expect(changed.body.error.code).toBe('MEMBER.IS_OWNER');
      expect(await overridesOf(workspaceId, member.userId)).toEqual({ grant: [], revoke: [] });
      expect(await invariantViolations(servers.direct.db)).toEqual({});
    }
  }, 120_000);

  it('an override change racing the member’s removal leaves nothing behind', async () => {
    for (let i = 0; i < ROUNDS; i += 1) {
      const { workspaceId, member, asOwner, asAdmin } = await scene();
      const [changed, removed] = await together(
        (s) => api(s.url, 'PUT', permissionsPath(member.userId), { ...asAdmin, body: { grant: ['audit:view'] } }),
        (s) => api(s.url, 'DELETE', `/api/v1/members/${member.userId}`, asOwner),
      );
      expect(removed.status, JSON.stringify(removed.body)).toBe(200);
      expect([200, 404]).toContain(changed.status);
      if (changed.status === 404) expect(changed.body.error.code).toBe('MEMBER.NOT_FOUND');
      expect(await overridesOf(workspaceId, member.userId)).toEqual({ grant: [], revoke: [] });
      expect(await invariantViolations(servers.direct.db)).toEqual({});
    }
  }, 120_000);

  it('an override change racing a role change applies both, and the member holds what they say', async () => {
    for (let i = 0; i < ROUNDS; i += 1) {
      const { workspaceId, member, asOwner, asAdmin, asMember } = await scene();
      const [changed, demoted] = await together(
        (s) => api(s.url, 'PUT', permissionsPath(member.userId), { ...asAdmin, body: { grant: ['audit:view'], revoke: ['roles:view'] } }),
        (s) => api(s.url, 'PUT', `/api/v1/members/${member.userId}`, { ...asOwner, body: { role: 'viewer' } }),
      );
      expect([changed.status, demoted.status], JSON.stringify([changed.body, demoted.body])).toEqual([200, 200]);
      expect(await overridesOf(workspaceId, member.userId)).toEqual({ grant: ['audit:view'], revoke: ['roles:view'] });
      const viewer = await api(servers.a.url, 'GET', '/api/v1/roles', asOwner);
      const viewerGrants = (viewer.body.data as { name: string; permissions: string[] }[]).find((r) => r.name === 'viewer')!.permissions;
      const expected = [...new Set([...viewerGrants, 'audit:view'])].filter((p) => p !== 'roles:view').sort();
      for (const server of [servers.a, servers.b]) {
        const mine = await api(server.url, 'GET', '/api/v1/permissions/me', asMember);
        expect(mine.body.data.permissions).toEqual(expected);
      }
      expect(await invariantViolations(servers.direct.db)).toEqual({});
    }
  }, 120_000);

  it('a manager losing the right to manage while their change waits is refused, and nothing changes', async () => {
    const takeAway: Record<string, (tx: Tx, workspaceId: number, userId: number) => Promise<unknown>> = {
      'a revoke of members:manage': (tx, workspaceId, userId) =>
        tx.insertInto('member_permission_overrides').values({ workspace_id: workspaceId, user_id: userId, permission: 'members:manage', effect: 'revoke' }).execute(),
      'a role without it': (tx, workspaceId, userId) =>
        tx.updateTable('memberships').set({ role: 'viewer' }).where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute(),
    };
    for (let i = 0; i < ROUNDS; i += 1) {
      for (const [how, apply] of Object.entries(takeAway)) {
        const { workspaceId, admin, member, asAdmin } = await scene();
        const [server] = round % 2 ? [servers.a] : [servers.b];
        // The admin's context is read (and cached) while they still manage members.
        expect((await api(server.url, 'GET', permissionsPath(member.userId), asAdmin)).status).toBe(200);
        let waiting: Promise<ApiResponse> | undefined;
        await inTransaction(servers.direct.db, async (tx) => {
          await tx.selectFrom('memberships').select('user_id').where('workspace_id', '=', workspaceId).where('user_id', '=', admin.userId).modifyEnd(lockClause(tx, 'update')).execute();
          await apply(tx, workspaceId, admin.userId);
          waiting = api(server.url, 'PUT', permissionsPath(member.userId), { ...asAdmin, body: { grant: ['audit:view'] } });
          await untilSomeoneWaits(tx);
        });
        const response = await waiting!;
        expect({ status: response.status, error: response.body.error?.code, permission: response.body.error?.details?.permission }, how).toEqual({
          status: 403,
          error: 'AUTH.FORBIDDEN',
          permission: 'members:manage',
        });
        expect(await overridesOf(workspaceId, member.userId)).toEqual({ grant: [], revoke: [] });
        expect(await audited(workspaceId, 'member.permissions_changed')).toBe(0);
        expect(await invariantViolations(servers.direct.db)).toEqual({});
      }
    }
  }, 120_000);
});

/**
 * Returns once another session waits on a lock this transaction holds (PostgreSQL), or after
 * a moment (SQLite, where the other writer retries BEGIN IMMEDIATE for up to five seconds).
 */
async function untilSomeoneWaits(tx: Tx): Promise<void> {
  if (engineOf(tx) !== 'postgres') return new Promise((resolve) => setTimeout(resolve, 400));
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(tx);
    if (Number(rows[0]?.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the change never waited on the held membership row');
}
