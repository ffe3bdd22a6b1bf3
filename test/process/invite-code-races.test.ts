/**
 * Invite codes under real concurrency: two server processes on one database (SQLite in WAL
 * across processes, PostgreSQL across connections), the racing requests split across both
 * processes and sent in the same tick, over several rounds. Proves that:
 * - N distinct users joining by one code against a users limit with room for N−2 of them
 *   end in exactly N−2 joined:true and two 402 PLAN.LIMIT_REACHED, and the plan's
 *   users_usage counter equals the membership count afterwards;
 * - one user sending six joins at once gets one membership: one joined:true, the rest
 *   joined:false;
 * - a rotation racing joins of the old code: every join either succeeded (and its
 *   membership exists) or answered 404 INVITE_CODE.NOT_FOUND; once the rotation has
 *   answered, no new membership appears, and joins sent after it all answer 404.
 * After every round the database is checked directly, behind the API's back, and the
 * general invariants of test/support/invariants.ts hold. No answer is ever a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import { api, registerUser, startServerPair, uniqueProcessEmail, type ApiResponse, type ServerPair, type ServerProcess } from '../support/process.ts';

/** Rounds per race; RACE_REPEATS overrides (say, 50 when hunting a rare failure). */
const ROUNDS = Number(process.env.RACE_REPEATS ?? 10);
/** Users joining by one code at once in the limit race. */
const JOINERS = 12;
/** Users racing a rotation. */
const ROTATION_RACERS = 8;
const TEST_TIMEOUT_MS = 60_000 + ROUNDS * 4_000;

interface User {
  accessToken: string;
  userId: number;
}

let servers: ServerPair;
let owner: User;
/** Reused every round (each round has its own workspace): registering is the slow part. */
const joiners: User[] = [];

beforeAll(async () => {
  servers = await startServerPair();
  owner = await registerUser(servers.a, uniqueProcessEmail('codes-owner'));
  for (let i = 0; i < JOINERS; i += 1) joiners.push(await registerUser(i % 2 ? servers.b : servers.a, uniqueProcessEmail('codes-joiner')));
}, 120_000);

afterAll(async () => servers?.close());

const describeAnswer = (label: string, response: ApiResponse) => `${label} ${response.status} ${JSON.stringify(response.body)}`;

let workspaceSeq = 0;
/** A fresh workspace of the owner with a live code. */
async function workspaceWithCode(server: ServerProcess): Promise<{ id: number; code: string; rotationMs: number }> {
  workspaceSeq += 1;
  const created = await api(server.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name: `Codes ${workspaceSeq} ${process.pid}` } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.data.id as number;
  const started = performance.now();
  const rotated = await api(server.url, 'POST', `/api/v1/workspaces/${id}/invite-code`, { token: owner.accessToken });
  const rotationMs = performance.now() - started;
  expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
  return { id, code: rotated.body.data.invite_code as string, rotationMs };
}

const join = (server: ServerProcess, user: User, code: string) => api(server.url, 'POST', `/api/v1/invite-codes/${code}/join`, { token: user.accessToken });

async function memberIds(workspaceId: number): Promise<number[]> {
  const rows = await servers.direct.db.selectFrom('memberships').select('user_id').where('workspace_id', '=', workspaceId).execute();
  return rows.map((row) => Number(row.user_id)).sort((x, y) => x - y);
}

async function usersUsage(workspaceId: number): Promise<number> {
  const row = await servers.direct.db.selectFrom('workspace_plans').select('users_usage').where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  return Number(row.users_usage);
}

/** The item at `index` (wrapping around) of a list known not to be empty. */
function pick<T>(items: T[], index: number): T {
  const item = items[index % items.length];
  if (item === undefined) throw new Error('empty list');
  return item;
}

const sorted = (ids: number[]) => [...ids].sort((x, y) => x - y);

describe('joining by one code at once, across processes', () => {
  it(`lets exactly N−2 of N=${JOINERS} users in under a users limit with room for N−2, the other two 402, users_usage = memberships (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const { a, b, direct } = servers;
    // The owner is one user: N−2 more fit.
    await planAdministration.setLimits(direct.db, 'pro', { users: 1 + JOINERS - 2 });
    const winnersPerServer = { a: 0, b: 0 };
    for (let round = 0; round < ROUNDS; round += 1) {
      const ws = await workspaceWithCode(round % 2 ? b : a);
      await planAdministration.assign(direct.db, ws.id, { plan_key: 'pro' });

      // Which process each user is sent to alternates with the round.
      const routed = joiners.map((user, i) => ({ user, server: (i + round) % 2 ? b : a }));
      const answers = await Promise.all(routed.map(({ user, server }) => join(server, user, ws.code)));
      const described = `round ${round}: ${answers.map((answer, i) => describeAnswer(`u${i}@${routed[i]?.server === a ? 'a' : 'b'}`, answer)).join(' | ')}`;

      expect(answers.map((answer) => answer.status).sort(), described).toEqual([...Array(JOINERS - 2).fill(200), 402, 402]);
      const winners: number[] = [];
      answers.forEach((answer, i) => {
        const { user, server } = routed[i] ?? {};
        if (answer.status === 200 && user && server) {
          expect(answer.body.data, described).toEqual({ workspace_id: ws.id, joined: true });
          winners.push(user.userId);
          winnersPerServer[server === a ? 'a' : 'b'] += 1;
        } else {
          expect(answer.body?.error?.code, described).toBe('PLAN.LIMIT_REACHED');
        }
      });

      const members = await memberIds(ws.id);
      expect(members, described).toEqual(sorted([owner.userId, ...winners]));
      expect(await usersUsage(ws.id), described).toBe(members.length);
      expect(members.length).toBe(JOINERS - 1);
    }
    expect(await invariantViolations(direct.db)).toEqual({});
    console.log(`invite-code limit race: joins won per process ${JSON.stringify(winnersPerServer)}`);
  });

  it(`gives one user sending 6 joins at once exactly one membership: one joined:true, five joined:false (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const { a, b, direct } = servers;
    const REPEATS = 6;
    for (let round = 0; round < ROUNDS; round += 1) {
      const ws = await workspaceWithCode(round % 2 ? b : a);
      const user = pick(joiners, round);
      const routed = Array.from({ length: REPEATS }, (_, i) => ((i + round) % 2 ? b : a));
      const answers = await Promise.all(routed.map((server) => join(server, user, ws.code)));
      const described = `round ${round}: ${answers.map((answer, i) => describeAnswer(routed[i] === a ? 'a' : 'b', answer)).join(' | ')}`;

      expect(answers.map((answer) => answer.status), described).toEqual(Array(REPEATS).fill(200));
      expect(answers.map((answer) => answer.body.data.workspace_id), described).toEqual(Array(REPEATS).fill(ws.id));
      expect(answers.filter((answer) => answer.body.data.joined === true).length, described).toBe(1);

      const rows = await direct.db.selectFrom('memberships').select('role').where('workspace_id', '=', ws.id).where('user_id', '=', user.userId).execute();
      expect(rows, described).toEqual([{ role: 'member' }]);
      expect(await usersUsage(ws.id), described).toBe(2);
      const audited = await direct.db
        .selectFrom('audit_events')
        .select('id')
        .where('workspace_id', '=', ws.id)
        .where('action', '=', 'member.joined_by_code')
        .execute();
      expect(audited.length, described).toBe(1);
    }
    expect(await invariantViolations(direct.db)).toEqual({});
  });
});

describe('a rotation racing joins of the old code', () => {
  it(`never lets a join of the old code land after the rotation answered (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const { a, b, direct } = servers;
    const racers = joiners.slice(0, ROTATION_RACERS);
    const late = joiners.slice(ROTATION_RACERS);
    const outcomes: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const ws = await workspaceWithCode(a);
      const rotationServer = round % 2 ? a : b;
      // Joins on both processes. Who leaves first varies with the round, so the rotation lands
      // before, among and after the joins: all together; the rotation 3 ms late; the joins 2 ms
      // late; the joins spread evenly over one and a half, or four, times what a rotation took
      // just now (so some arrive before it commits and some after, whatever the engine's speed).
      const pattern = round % 5;
      const spread = ((pattern === 4 ? 4 : 1.5) * ws.rotationMs) / racers.length;
      const joinDelay = (i: number) => (pattern === 2 ? 2 : pattern >= 3 ? Math.round(i * spread) : 0);
      const rotationDelay = pattern === 1 ? 3 : 0;
      const later = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());
      const joinsSent = racers.map(async (user, i) => {
        await later(joinDelay(i));
        return join((i + round) % 2 ? a : b, user, ws.code);
      });
      const rotation = (async () => {
        await later(rotationDelay);
        const answer = await api(rotationServer.url, 'POST', `/api/v1/workspaces/${ws.id}/invite-code`, { token: owner.accessToken });
        // The moment the rotation has answered: what the database holds then is final for the old code.
        const membersThen = await memberIds(ws.id);
        return { answer, membersThen };
      })();
      const [{ answer: rotated, membersThen }, answers] = await Promise.all([rotation, Promise.all(joinsSent)]);
      const described = `round ${round}: rotation ${describeAnswer('', rotated)} | ${answers.map((answer, i) => describeAnswer(`u${i}`, answer)).join(' | ')}`;
      expect(rotated.status, described).toBe(200);
      const newCode = rotated.body.data.invite_code as string;
      expect(newCode, described).not.toBe(ws.code);

      const winners: number[] = [];
      answers.forEach((answer, i) => {
        expect([200, 404], described).toContain(answer.status);
        if (answer.status === 200) {
          expect(answer.body.data, described).toEqual({ workspace_id: ws.id, joined: true });
          winners.push(pick(racers, i).userId);
        } else {
          expect(answer.body?.error?.code, described).toBe('INVITE_CODE.NOT_FOUND');
        }
      });

      // Joins of the old code sent after the rotation answered: every one 404, on both processes.
      const after = await Promise.all(late.map((user, i) => join(i % 2 ? a : b, user, ws.code)));
      for (const answer of after) {
        expect(answer.status, `${described} | late ${describeAnswer('', answer)}`).toBe(404);
        expect(answer.body?.error?.code).toBe('INVITE_CODE.NOT_FOUND');
      }

      const members = await memberIds(ws.id);
      // Every 200 is a membership, every 404 is none; and nothing was added after the rotation answered.
      expect(members, described).toEqual(sorted([owner.userId, ...winners]));
      expect(members, described).toEqual(membersThen);
      expect(await usersUsage(ws.id), described).toBe(members.length);

      // The new code works for a loser (when there is one).
      const loser = racers.find((user) => !winners.includes(user.userId)) ?? pick(late, 0);
      const joinedNew = await join(round % 2 ? b : a, loser, newCode);
      expect(joinedNew.status, JSON.stringify(joinedNew.body)).toBe(200);
      expect(joinedNew.body.data).toEqual({ workspace_id: ws.id, joined: true });
      outcomes.push(winners.length);
    }
    expect(await invariantViolations(direct.db)).toEqual({});
    // How many of the racers got in before the rotation, per round: a mix shows the race was real.
    console.log(`invite-code rotation race: old-code joins that won per round ${JSON.stringify(outcomes)} of ${ROTATION_RACERS}`);
  });
});
