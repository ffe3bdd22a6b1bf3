/**
 * Several processes on one database (SQLite file in WAL, or PostgreSQL): a change made
 * through one process is enforced by the other on its very next request, and
 * invariants hold when the processes race each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, registerUser, startServerPair, uniqueProcessEmail, type ServerPair, type ServerProcess } from '../support/process.ts';
import { inTransaction } from '../../src/core/db/transaction.ts';
import { addMember } from '../../src/modules/members/members.service.ts';

let servers: ServerPair;
let a: ServerProcess;
let b: ServerProcess;
let direct: ServerPair['direct'];

beforeAll(async () => {
  servers = await startServerPair();
  ({ a, b, direct } = servers);
}, 60_000);

afterAll(async () => servers.close());

async function workspaceWithMember(role: string) {
  const owner = await registerUser(a, uniqueProcessEmail('owner'));
  const member = await registerUser(b, uniqueProcessEmail('member'));
  const created = await api(a.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name: `WS ${uniqueProcessEmail()}`.slice(0, 90) } });
  expect(created.status).toBe(201);
  const workspaceId = created.body.data.id as number;
  await inTransaction(direct.db, (tx) => addMember(tx, workspaceId, member.userId, role, new Date().toISOString()));
  return { owner, member, workspaceId, headers: { 'x-workspace-id': String(workspaceId) } };
}

describe('revocation across processes', () => {
  it('denies a demoted member on process B right after the change on process A', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { owner, member, workspaceId, headers } = await workspaceWithMember('admin');
      const [first, second] = round % 2 ? [a, b] : [b, a];
      // Twice: the second read answers from a kept context, checked against the database.
      for (let read = 0; read < 2; read += 1) {
        expect((await api(first.url, 'GET', '/api/v1/audit-events', { token: member.accessToken, headers })).status).toBe(200);
      }
      const demoted = await api(second.url, 'PUT', `/api/v1/members/${member.userId}`, { token: owner.accessToken, headers, body: { role: 'viewer' } });
      expect(demoted.status).toBe(200);
      expect((await api(first.url, 'GET', '/api/v1/audit-events', { token: member.accessToken, headers })).status).toBe(403);
      const removed = await api(second.url, 'DELETE', `/api/v1/members/${member.userId}`, { token: owner.accessToken, headers });
      expect(removed.status).toBe(200);
      expect((await api(first.url, 'GET', `/api/v1/workspaces/${workspaceId}`, { token: member.accessToken })).status).toBe(404);
    }
  }, 60_000);

  it('applies an override made on process A to the next request on process B, for the member and their API key', async () => {
    for (let round = 0; round < 4; round += 1) {
      const { owner, member, headers } = await workspaceWithMember('admin');
      const [first, second] = round % 2 ? [a, b] : [b, a];
      const key = await api(first.url, 'POST', '/api/v1/api-keys', { token: member.accessToken, headers, body: { name: 'k', scopes: ['audit:view'] } });
      expect(key.status).toBe(201);
      const secret = key.body.data.secret as string;
      for (let read = 0; read < 2; read += 1) {
        expect((await api(first.url, 'GET', '/api/v1/audit-events', { token: member.accessToken, headers })).status).toBe(200);
        expect((await api(first.url, 'GET', '/api/v1/audit-events', { token: secret })).status).toBe(200);
      }
      const revoked = await api(second.url, 'PUT', `/api/v1/members/${member.userId}/permissions`, { token: owner.accessToken, headers, body: { revoke: ['audit:view'] } });
      expect(revoked.status).toBe(200);
      expect((await api(first.url, 'GET', '/api/v1/audit-events', { token: member.accessToken, headers })).status).toBe(403);
      expect((await api(first.url, 'GET', '/api/v1/audit-events', { token: secret })).status).toBe(403);
      const restored = await api(second.url, 'PUT', `/api/v1/members/${member.userId}/permissions`, { token: owner.accessToken, headers, body: {} });
      expect(restored.status).toBe(200);
      expect((await api(first.url, 'GET', '/api/v1/audit-events', { token: member.accessToken, headers })).status).toBe(200);
      expect((await api(first.url, 'GET', '/api/v1/audit-events', { token: secret })).status).toBe(200);
    }
  }, 60_000);

  it('rejects a revoked API key on the other process at once', async () => {
    const { owner, headers } = await workspaceWithMember('member');
    const key = await api(a.url, 'POST', '/api/v1/api-keys', { token: owner.accessToken, headers, body: { name: 'k', scopes: ['members:view'] } });
    expect(key.status).toBe(201);
    const secret = key.body.data.secret as string;
    for (let read = 0; read < 2; read += 1) expect((await api(b.url, 'GET', '/api/v1/members', { token: secret })).status).toBe(200);
    expect((await api(a.url, 'DELETE', `/api/v1/api-keys/${key.body.data.id}`, { token: owner.accessToken, headers })).status).toBe(200);
    expect((await api(b.url, 'GET', '/api/v1/members', { token: secret })).status).toBe(401);
  }, 30_000);
});

describe('races between processes', () => {
  it('gives one 201 and 409s when two processes create the same workspace name at once', async () => {
    for (let round = 0; round < 5; round += 1) {
      const users = await Promise.all([a, b, a, b].map((server) => registerUser(server, uniqueProcessEmail('racer'))));
      const name = `Race ${round} ${process.pid} ${Date.now()}`;
      const responses = await Promise.all(
        users.map((user, i) => api((i % 2 ? b : a).url, 'POST', '/api/v1/workspaces', { token: user.accessToken, body: { name } })),
      );
      expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    }
  }, 60_000);

  it('keeps exactly one owner when transfers race on two processes', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { owner, member, workspaceId } = await workspaceWithMember('admin');
      const other = await registerUser(a, uniqueProcessEmail('other'));
      await inTransaction(direct.db, (tx) => addMember(tx, workspaceId, other.userId, 'member', new Date().toISOString()));
      const responses = await Promise.all([
        api(a.url, 'POST', `/api/v1/workspaces/${workspaceId}/transfer-ownership`, { token: owner.accessToken, body: { user_id: member.userId } }),
        api(b.url, 'POST', `/api/v1/workspaces/${workspaceId}/transfer-ownership`, { token: owner.accessToken, body: { user_id: other.userId } }),
      ]);
      for (const response of responses) expect(response.status).toBeLessThan(500);
      const owners = await direct.db.selectFrom('memberships').select('user_id').where('workspace_id', '=', workspaceId).where('role', '=', 'owner').execute();
      expect(owners).toHaveLength(1);
    }
  }, 60_000);
});
