/**
 * A delete racing a write inside what it deletes, across two server processes on one
 * database (SQLite file in WAL, or PostgreSQL): the loser gets a 4xx with a code, never a
 * 500, and nothing is left half-done. @see issue 10
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { api, registerUser, startServerPair, uniqueProcessEmail, type ServerPair, type ServerProcess } from '../support/process.ts';

const ROUNDS = Number(process.env.RACE_REPEATS ?? 20);

let servers: ServerPair;

beforeAll(async () => {
  servers = await startServerPair();
}, 60_000);

afterAll(async () => servers.close());

type Write = (server: ServerProcess, token: string, workspaceId: number, round: number) => ReturnType<typeof api>;

const WRITES: Record<string, Write> = {
  'creating an API key': (s, token, id) =>
    api(s.url, 'POST', '/api/v1/api-keys', { token, headers: { 'x-workspace-id': String(id) }, body: { name: 'racing', scopes: ['members:view'] } }),
  'creating a role': (s, token, id, round) =>
    api(s.url, 'POST', '/api/v1/roles', { token, headers: { 'x-workspace-id': String(id) }, body: { name: `racer_${round}`, display_name: 'Racer', permissions: ['members:view'] } }),
  'inviting someone': (s, token, id, round) =>
    api(s.url, 'POST', '/api/v1/invitations', { token, headers: { 'x-workspace-id': String(id) }, body: { email: `racer.${round}.${Date.now()}@example.com`, role: 'member' } }),
  'switching to it': (s, token, id) => api(s.url, 'PATCH', `/api/v1/workspace-context/${id}`, { token }),
};

describe('deleting a workspace while another process writes inside it', () => {
  for (const [label, write] of Object.entries(WRITES)) {
    it(`answers the write 2xx or 404, never 5xx, when racing ${label} (${ROUNDS} rounds)`, async () => {
      const { a, b, direct } = servers;
      const owner = await registerUser(a, uniqueProcessEmail('racer'));
      const outcomes = new Map<string, number>();
      for (let round = 0; round < ROUNDS; round += 1) {
        const created = await api(a.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name: `Race ${label} ${round}` } });
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        const id = created.body.data.id as number;
        const [deleter, writer] = round % 2 ? [a, b] : [b, a];
        const [deleted, written] = await Promise.all([
          api(deleter.url, 'DELETE', `/api/v1/workspaces/${id}`, { token: owner.accessToken }),
          write(writer, owner.accessToken, id, round),
        ]);
        expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
        expect([200, 201, 404], `${written.status} ${JSON.stringify(written.body)}`).toContain(written.status);
        if (written.status === 404) expect(written.body.error.code).toBe('WORKSPACE.NOT_FOUND');
        outcomes.set(String(written.status), (outcomes.get(String(written.status)) ?? 0) + 1);
      }
      expect(await invariantViolations(direct.db)).toEqual({});
      // What the races gave, for the record (which side wins depends on timing).
      console.log(`${label}: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    }, 120_000);
  }
});
