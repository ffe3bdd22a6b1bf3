/**
 * Workspace groups (seed 004) under real concurrency: two server processes on one database
 * (SQLite in WAL across processes, PostgreSQL across connections), the two racing requests
 * sent together, one to each process (which process gets which alternates by round), over
 * several rounds so a lost race would show. Proves that:
 * - a workspace accepting two admin workspaces' invitations at once ends in one group: one
 *   200, one 409, one link for the sub;
 * - G accepting H's invitation while H accepts G's never links them both ways, and a
 *   workspace accepting an admin while its own sub accepts it never makes a chain: one 200,
 *   one 409 GROUP.ADMIN_AND_SUB, and no workspace is both an admin and a sub;
 * - the admin side removing a link while the sub's owner leaves it: one 200, one 404
 *   GROUP.MEMBER_NOT_FOUND, no link left, one audited ending;
 * - cancelling an invitation while it is accepted ends one way or the other, never half:
 *   accepted with a link (cancel 410), or cancelled without one (accept 410).
 * After every round the database itself is checked (a direct Kysely handle, behind the
 * API's back): the group tables' invariants, the round's links and invitations, and the
 * general invariants of test/support/invariants.ts. No answer is ever a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import {
  api,
  registerUser,
  startServerPair,
  uniqueProcessEmail,
  type ApiResponse,
  type ServerPair,
  type ServerProcess,
} from '../support/process.ts';

/** Rounds per race; RACE_REPEATS overrides (say, 50 when hunting a rare failure). */
const ROUNDS = Number(process.env.RACE_REPEATS ?? 24);
/** The seed writes the member routes at the root; the invitation routes are used under /api/v1. */
const MEMBERS = '/workspace-group-members';
const INVITATIONS = '/api/v1/workspace-group-invitations';
const OWNER_COUNT = 3;

/** A workspace of the race and the token of its owner (who alone holds groups:join). */
interface Ws {
  id: number;
  token: string;
}

/** What one racer sends, given the process it was dealt. */
type Request = (server: ServerProcess) => Promise<ApiResponse>;

let servers: ServerPair;
/** Distinct users, so the racing sides are different owners where the scenario has two. */
const owners: string[] = [];
let workspaceSeq = 0;

/**
 * The group invitation limits (per inviter, per invited workspace) out of the way: every
 * round sends new invitations, some to the same workspace, and the limits are not what
 * these races are about.
 */
const UNLIMITED_INVITATIONS = { INVITATION_RATE_LIMIT_MAX: '1000000', INVITATION_RECIPIENT_RATE_LIMIT_MAX: '1000000' };

beforeAll(async () => {
  servers = await startServerPair(UNLIMITED_INVITATIONS);
  for (let i = 0; i < OWNER_COUNT; i += 1) {
    owners.push((await registerUser(i % 2 ? servers.b : servers.a, uniqueProcessEmail(`group-racer-${i}`))).accessToken);
  }
}, 60_000);

afterAll(async () => servers?.close());

// ---- requests ----------------------------------------------------------------------------

const inWs = (ws: Ws) => ({ token: ws.token, headers: { 'x-workspace-id': String(ws.id) } });

function expectAnswer(response: ApiResponse, status: number, what: string): void {
  expect(response.status, `${what}: ${JSON.stringify(response.body)}`).toBe(status);
}

/** A fresh workspace owned by owners[owner]. */
async function workspace(owner: number): Promise<Ws> {
  workspaceSeq += 1;
  const token = owners[owner]!;
  const created = await api(servers.a.url, 'POST', '/api/v1/workspaces', { token, body: { name: `Group race ${workspaceSeq} ${process.pid}` } });
  expectAnswer(created, 201, 'create workspace');
  return { id: created.body.data.id as number, token };
}

/** A pending invitation of `sub` by `admin`; its id. */
async function invitation(admin: Ws, sub: Ws): Promise<number> {
  const response = await api(servers.b.url, 'POST', MEMBERS, { ...inWs(admin), body: { sub_workspace_id: sub.id } });
  expectAnswer(response, 201, `invite ${sub.id} by ${admin.id}`);
  return response.body.data.id as number;
}

const accept = (sub: Ws, invitationId: number): Request => (server) => api(server.url, 'POST', `${INVITATIONS}/${invitationId}/accept`, inWs(sub));
const cancel = (admin: Ws, invitationId: number): Request => (server) => api(server.url, 'DELETE', `${INVITATIONS}/${invitationId}`, inWs(admin));
const endLink = (side: Ws, linkId: number): Request => (server) => api(server.url, 'DELETE', `${MEMBERS}/${linkId}`, inWs(side));

/** `sub` invited by `admin` and accepted, without racing; the link id. */
async function linked(admin: Ws, sub: Ws): Promise<number> {
  const accepted = await accept(sub, await invitation(admin, sub))(servers.a);
  expectAnswer(accepted, 200, 'accept');
  return accepted.body.data.workspace_group_member_id as number;
}

// ---- the database, read directly -----------------------------------------------------------

const links = (workspaceIds: number[]) =>
  servers.direct.db
    .selectFrom('workspace_group_members')
    .select(['id', 'admin_workspace_id', 'sub_workspace_id'])
    .where((eb) => eb.or([eb('admin_workspace_id', 'in', workspaceIds), eb('sub_workspace_id', 'in', workspaceIds)]))
    .orderBy('id')
    .execute();

async function invitationStatus(id: number): Promise<string> {
  const row = await servers.direct.db.selectFrom('workspace_group_invitations').select('status').where('id', '=', id).executeTakeFirstOrThrow();
  return row.status;
}

/** Seed 004's limitations over the whole table, and the suite's general invariants. */
async function expectDatabaseInvariants(round: string): Promise<void> {
  const { db } = servers.direct;
  const adminAndSub = await db
    .selectFrom('workspace_group_members as g')
    .innerJoin('workspace_group_members as other', 'other.sub_workspace_id', 'g.admin_workspace_id')
    .select(['g.admin_workspace_id as workspace_id', 'g.id as admin_link', 'other.id as sub_link'])
    .execute();
  expect(adminAndSub, `${round}: workspaces both admin and sub`).toEqual([]);
  const subsWithTwoAdmins = await db
    .selectFrom('workspace_group_members')
    .select(['sub_workspace_id', (eb) => eb.fn.countAll<number>().as('admins')])
    .groupBy('sub_workspace_id')
    .having((eb) => eb.fn.countAll(), '>', 1)
    .execute();
  expect(subsWithTwoAdmins, `${round}: sub workspaces with several admins`).toEqual([]);
  expect(await invariantViolations(db), `${round}: general invariants`).toEqual({});
}

// ---- racing ------------------------------------------------------------------------------

/**
 * Sends both requests in the same tick, one to each process. Over four rounds each side of
 * the race is served by each process and leaves first (by a hair) once with each, so no
 * process or sending order is always the one that wins.
 */
function together(round: number, first: Request, second: Request): Promise<[ApiResponse, ApiResponse]> {
  const [one, two] = round % 2 ? [servers.b, servers.a] : [servers.a, servers.b];
  if (Math.floor(round / 2) % 2 === 0) return Promise.all([first(one), second(two)]);
  const secondSent = second(two);
  return Promise.all([first(one), secondSent]);
}

/** How `together` dealt a round, for the record of outcomes. */
const dealt = (round: number) => `${round % 2 ? 'b/a' : 'a/b'}, ${Math.floor(round / 2) % 2 ? 'second' : 'first'} sent first`;

/** The answers of a race that must have exactly one winner: [winner index, loser]; no 5xx. */
function oneWinner(answers: [ApiResponse, ApiResponse], round: string): { winner: 0 | 1; loser: ApiResponse } {
  const described = answers.map((answer) => `${answer.status} ${JSON.stringify(answer.body)}`).join(' | ');
  for (const answer of answers) expect(answer.status, `${round}: no 5xx: ${described}`).toBeLessThan(500);
  const winners = answers.filter((answer) => answer.status === 200).length;
  expect(winners, `${round}: exactly one 200: ${described}`).toBe(1);
  const winner = answers[0].status === 200 ? 0 : 1;
  return { winner, loser: answers[1 - winner]! };
}

function expectRefusal(response: ApiResponse, status: number, codes: string[], round: string): void {
  expect(response.status, `${round}: ${JSON.stringify(response.body)}`).toBe(status);
  expect(codes, `${round}: ${JSON.stringify(response.body)}`).toContain(response.body?.error?.code);
}

/**
 * Runs `ROUNDS` rounds of one race: `round` sets up, races and checks one round and says how
 * it ended; the database invariants are checked after each. Logs how the rounds ended, as
 * which side wins depends on timing.
 */
async function rounds(label: string, round: (n: number, name: string) => Promise<string>): Promise<void> {
  const outcomes = new Map<string, number>();
  for (let n = 0; n < ROUNDS; n += 1) {
    const name = `${label}, round ${n}`;
    const outcome = await round(n, name);
    await expectDatabaseInvariants(name);
    const key = `${outcome} (${dealt(n)})`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  console.log(`${label}: ${JSON.stringify(Object.fromEntries(outcomes))}`);
}

// ---- the races -----------------------------------------------------------------------------

const TEST_TIMEOUT_MS = 30_000 + ROUNDS * 2_000;

describe('workspace groups raced across two processes', () => {
  it(`a workspace accepting two admin workspaces' invitations at once joins one group (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    await rounds('two invitations accepted at once', async (n, name) => {
      const [sub, first, second] = [await workspace(0), await workspace(1), await workspace(2)];
      const invitations = [await invitation(first, sub), await invitation(second, sub)] as const;
      const answers = await together(n, accept(sub, invitations[0]), accept(sub, invitations[1]));

      const { winner, loser } = oneWinner(answers, name);
      expectRefusal(loser, 409, ['GROUP.ALREADY_IN_GROUP', 'GROUP.ADMIN_AND_SUB'], name);
      const admin = [first, second][winner]!;
      expect(answers[winner].body.data).toMatchObject({ id: admin.id });

      const subLinks = await servers.direct.db
        .selectFrom('workspace_group_members')
        .select(['id', 'admin_workspace_id'])
        .where('sub_workspace_id', '=', sub.id)
        .execute();
      expect(subLinks, `${name}: the sub's links`).toEqual([{ id: answers[winner].body.data.workspace_group_member_id, admin_workspace_id: admin.id }]);
      // The refused acceptance changed nothing: its invitation is still pending.
      expect(await invitationStatus(invitations[winner])).toBe('accepted');
      expect(await invitationStatus(invitations[1 - winner]!)).toBe('pending');
      return `${winner === 0 ? 'first' : 'second'} won, ${loser.body.error.code}`;
    });
  });

  /**
   * Two acceptances that would each be allowed alone, but together make a workspace both
   * admin and sub: only the database sees both. `pair` sets the two invitations up and
   * names the workspaces involved.
   */
  const ROLE_RACES: Record<string, () => Promise<{ workspaces: Ws[]; races: [Request, Request] }>> = {
    'G accepting H while H accepts G never links them both ways': async () => {
      const [g, h] = [await workspace(0), await workspace(1)];
      const gOverH = await invitation(g, h);
      const hOverG = await invitation(h, g);
      return { workspaces: [g, h], races: [accept(h, gOverH), accept(g, hOverG)] };
    },
    'B joining A while C joins B never makes a chain': async () => {
      const [a, b, c] = [await workspace(0), await workspace(1), await workspace(2)];
      const aOverB = await invitation(a, b);
      const bOverC = await invitation(b, c);
      return { workspaces: [a, b, c], races: [accept(b, aOverB), accept(c, bOverC)] };
    },
  };

  for (const [label, setUp] of Object.entries(ROLE_RACES)) {
    it(`${label} (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await rounds(label, async (n, name) => {
        const { workspaces, races } = await setUp();
        const answers = await together(n, ...races);

        const { winner, loser } = oneWinner(answers, name);
        expectRefusal(loser, 409, ['GROUP.ADMIN_AND_SUB'], name);
        const made = await links(workspaces.map((ws) => ws.id));
        expect(made, `${name}: links between the race's workspaces`).toHaveLength(1);
        expect(made[0]!.id).toBe(answers[winner].body.data.workspace_group_member_id);
        return `${winner === 0 ? 'first' : 'second'} won`;
      });
    });
  }

  it(`the admin side removing a link while the sub's owner leaves it: one 200, one 404 (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    // One pair of workspaces, linked anew each round.
    const [admin, sub] = [await workspace(0), await workspace(1)];
    await rounds('removal racing leaving', async (n, name) => {
      const linkId = await linked(admin, sub);
      const answers = await together(n, endLink(admin, linkId), endLink(sub, linkId));

      const { winner, loser } = oneWinner(answers, name);
      expectRefusal(loser, 404, ['GROUP.MEMBER_NOT_FOUND'], name);
      expect(await links([admin.id, sub.id]), `${name}: links left`).toEqual([]);
      // One ending, audited once in each workspace, by the side that won.
      const endings = await servers.direct.db
        .selectFrom('audit_events')
        .select(['workspace_id', 'action'])
        .where('target_type', '=', 'workspace_group_member')
        .where('target_id', '=', String(linkId))
        .where('action', 'in', ['group.sub_removed', 'group.left'])
        .orderBy('workspace_id')
        .execute();
      const action = winner === 0 ? 'group.sub_removed' : 'group.left';
      expect(endings, `${name}: audited endings`).toEqual(
        [admin.id, sub.id].sort((x, y) => x - y).map((workspace_id) => ({ workspace_id, action })),
      );
      return winner === 0 ? 'removed' : 'left';
    });
  });

  it(`cancelling an invitation while it is accepted ends one way, never half (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    // One pair of workspaces; the link an accepting round made is removed before the next.
    const [admin, sub] = [await workspace(0), await workspace(1)];
    await rounds('cancel racing accept', async (n, name) => {
      const invitationId = await invitation(admin, sub);
      const [cancelled, accepted] = await together(n, cancel(admin, invitationId), accept(sub, invitationId));

      const { winner, loser } = oneWinner([cancelled, accepted], name);
      expectRefusal(loser, 410, ['GROUP.INVITATION_NO_LONGER_VALID'], name);
      const made = await links([admin.id, sub.id]);
      const status = await invitationStatus(invitationId);
      if (winner === 1) {
        expect({ status, made }, name).toEqual({
          status: 'accepted',
          made: [{ id: accepted.body.data.workspace_group_member_id, admin_workspace_id: admin.id, sub_workspace_id: sub.id }],
        });
      } else {
        expect({ status, made }, name).toEqual({ status: 'cancelled', made: [] });
      }
      // Answered either way: the invitation's e-mail is no longer waiting to go out.
      const mail = await servers.direct.db
        .selectFrom('outbox_messages')
        .select('status')
        .where('reference', '=', `group-invitation:${invitationId}`)
        .execute();
      expect(mail.map((message) => message.status), `${name}: the invitation's e-mail`).not.toContain('pending');

      if (winner === 1) expectAnswer(await endLink(admin, made[0]!.id)(servers.a), 200, 'remove before the next round');
      return winner === 1 ? 'accepted' : 'cancelled';
    });
  });
});
