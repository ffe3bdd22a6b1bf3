/**
 * The plan's limits raced across two server processes on one database (SQLite file in WAL
 * across processes, PostgreSQL across connections). N requests that each add one counted
 * thing leave at the same moment, split between both processes, against a limit that
 * leaves room for N−2: exactly N−2 succeed, the rest get 402 PLAN.LIMIT_REACHED, and the
 * counter equals the rows it counts, read through the API and in the database. Locations
 * (POST /api/v1/locations), items, suppliers and tags of the catalogue, members by invitation
 * accept, and members by registration with an invitation token; then removals racing
 * additions at the limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import { api, PASSWORD, registerUser, startServerPair, uniqueProcessEmail, type ApiResponse, type ServerPair, type ServerProcess } from '../support/process.ts';

/** Rounds of each race; RACE_REPEATS overrides (say, 30 when hunting a rare failure). */
const ROUNDS = Number(process.env.RACE_REPEATS ?? 10);
/** Racers per round. */
const N = 12;
/** What each round's limit leaves room for. */
const ALLOWED = N - 2;
const TEST_TIMEOUT_MS = 60_000 + ROUNDS * 15_000;

let servers: ServerPair;
let owner: { accessToken: string; userId: number };

beforeAll(async () => {
  servers = await startServerPair({ INVITATION_RATE_LIMIT_MAX: '100000', INVITATION_RECIPIENT_RATE_LIMIT_MAX: '100000' });
  owner = await registerUser(servers.a, uniqueProcessEmail('plan-race-owner'));
}, 90_000);

afterAll(async () => servers?.close());

const describeAnswer = (response: ApiResponse) => `${response.status} ${JSON.stringify(response.body)}`;
const serverFor = (i: number): ServerProcess => (i % 2 ? servers.b : servers.a);
const inWs = (workspaceId: number) => ({ 'x-workspace-id': String(workspaceId) });

/** A fresh workspace of the owner's, on the plan `plan` whose limits are set by the caller. */
async function workspaceOnPlan(name: string, plan: 'free' | 'pro' | 'business'): Promise<number> {
  const created = await api(serverFor(0).url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name } });
  expect(created.status, describeAnswer(created)).toBe(201);
  const id = created.body.data.id as number;
  await planAdministration.assign(servers.direct.db, id, { plan_key: plan });
  return id;
}

async function shownUsage(workspaceId: number, server: ServerProcess): Promise<Record<string, number>> {
  const response = await api(server.url, 'GET', `/api/v1/workspaces/${workspaceId}`, { token: owner.accessToken });
  expect(response.status, describeAnswer(response)).toBe(200);
  const data = response.body.data;
  return { locations_usage: data.locations_usage, locations_limit: data.locations_limit, users_usage: data.users_usage, users_limit: data.users_limit };
}

async function storedCounters(workspaceId: number): Promise<{ locations: number; users: number; locationRows: number; memberRows: number }> {
  const db = servers.direct.db;
  const plan = await db.selectFrom('workspace_plans').select(['locations_usage', 'users_usage']).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  const locationRows = (await db.selectFrom('locations').select('id').where('workspace_id', '=', workspaceId).execute()).length;
  const memberRows = (await db.selectFrom('memberships').select('user_id').where('workspace_id', '=', workspaceId).execute()).length;
  return { locations: Number(plan.locations_usage), users: Number(plan.users_usage), locationRows, memberRows };
}

/** Both processes show the counters the database holds, and those equal the row counts. */
async function expectCountersMatchRows(workspaceId: number, described: string): Promise<{ locationRows: number; memberRows: number }> {
  const stored = await storedCounters(workspaceId);
  expect(stored.locations, described).toBe(stored.locationRows);
  expect(stored.users, described).toBe(stored.memberRows);
  for (const server of [servers.a, servers.b]) {
    const shown = await shownUsage(workspaceId, server);
    expect(shown.locations_usage, described).toBe(stored.locationRows);
    expect(shown.users_usage, described).toBe(stored.memberRows);
  }
  return stored;
}

function tally(responses: ApiResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const response of responses) counts[response.status] = (counts[response.status] ?? 0) + 1;
  return counts;
}

function expectLimitRefusals(responses: ApiResponse[], okStatus: number, limit: string, plan: string, allowed: number, described: string): void {
  expect(tally(responses), described).toEqual({ [okStatus]: ALLOWED, 402: N - ALLOWED });
  for (const refused of responses.filter((response) => response.status === 402)) {
    expect(refused.body?.error, described).toMatchObject({ code: 'PLAN.LIMIT_REACHED', details: { limit, plan, allowed } });
  }
}

describe('the catalogue limits raced across two processes', () => {
  const kinds = [
    { plural: 'items', limit: 'items', body: (tag: string) => ({ sku: `RACE-${tag}`, name: `Racer ${tag}` }) },
    { plural: 'suppliers', limit: 'suppliers', body: (tag: string) => ({ name: `Racer ${tag}` }) },
    { plural: 'tags', limit: 'tags', body: (tag: string) => ({ name: `Racer ${tag}` }) },
  ] as const;
  for (const kind of kinds) {
    it(`gives exactly ${ALLOWED} 201s and ${N - ALLOWED} 402s for ${N} concurrent ${kind.plural} creates, the counter equal to the rows (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
      await planAdministration.setLimits(servers.direct.db, 'pro', { [kind.limit]: ALLOWED });
      for (let round = 0; round < ROUNDS; round += 1) {
        const workspaceId = await workspaceOnPlan(`${kind.plural} race ${round} ${process.pid}`, 'pro');
        const responses = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            api(serverFor(i + round).url, 'POST', `/api/v1/${kind.plural}`, { token: owner.accessToken, headers: inWs(workspaceId), body: kind.body(`${round}-${i}`) }),
          ),
        );
        const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
        expectLimitRefusals(responses, 201, `${kind.limit}_limit`, 'pro', ALLOWED, described);
        const db = servers.direct.db;
        const counter = await db.selectFrom('workspace_plans').select(`${kind.limit}_usage as usage`).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
        const ids = (await db.selectFrom(kind.plural).select('id').where('workspace_id', '=', workspaceId).execute()).map((row) => row.id).sort((a, b) => a - b);
        const winners = responses.filter((response) => response.status === 201).map((response) => response.body.data.id as number).sort((a, b) => a - b);
        expect({ counter: Number(counter.usage), ids }, described).toEqual({ counter: ALLOWED, ids: winners });
        expect(await invariantViolations(db), described).toEqual({});
      }
    });
  }
});

describe('the locations limit raced across two processes', () => {
  it(`gives exactly ${ALLOWED} 201s and ${N - ALLOWED} 402s for ${N} concurrent creates, the counter equal to the rows (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    // Inventory counts 1: room for N−2 more.
    await planAdministration.setLimits(servers.direct.db, 'free', { locations: 1 + ALLOWED });
    for (let round = 0; round < ROUNDS; round += 1) {
      const workspaceId = await workspaceOnPlan(`Location race ${round} ${process.pid}`, 'free');
      const responses = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          api(serverFor(i + round).url, 'POST', '/api/v1/locations', {
            token: owner.accessToken,
            headers: inWs(workspaceId),
            body: { name: `Racer ${round}-${i}`, type: 'van' },
          }),
        ),
      );
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      expectLimitRefusals(responses, 201, 'locations_limit', 'free', 1 + ALLOWED, described);

      const stored = await expectCountersMatchRows(workspaceId, described);
      expect(stored.locationRows, described).toBe(1 + ALLOWED);
      // The rows are exactly the winners (and Inventory).
      const names = (await servers.direct.db.selectFrom('locations').select('name').where('workspace_id', '=', workspaceId).execute()).map((row) => row.name).sort();
      const winners = responses.filter((response) => response.status === 201).map((response) => response.body.data.name as string);
      expect(names, described).toEqual(['Inventory', ...winners].sort());
      const listed = await api(servers.b.url, 'GET', '/api/v1/locations?limit=100', { token: owner.accessToken, headers: inWs(workspaceId) });
      expect(listed.body.data.length, described).toBe(1 + ALLOWED);
    }
    expect(await invariantViolations(servers.direct.db)).toEqual({});
  });

  it(`keeps the counter equal to the rows and within the limit when deletes race creates at the limit (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    await planAdministration.setLimits(servers.direct.db, 'free', { locations: 1 + ALLOWED });
    for (let round = 0; round < ROUNDS; round += 1) {
      const workspaceId = await workspaceOnPlan(`Location churn ${round} ${process.pid}`, 'free');
      const existing: number[] = [];
      for (let i = 0; i < ALLOWED; i += 1) {
        const made = await api(serverFor(i).url, 'POST', '/api/v1/locations', { token: owner.accessToken, headers: inWs(workspaceId), body: { name: `Old ${i}` } });
        expect(made.status, describeAnswer(made)).toBe(201);
        existing.push(made.body.data.id);
      }
      const deletes = existing.slice(0, 4);
      const responses = await Promise.all([
        ...deletes.map((id, i) => api(serverFor(i + round).url, 'DELETE', `/api/v1/locations/${id}`, { token: owner.accessToken, headers: inWs(workspaceId) })),
        ...Array.from({ length: N }, (_, i) =>
          api(serverFor(i + round + 1).url, 'POST', '/api/v1/locations', { token: owner.accessToken, headers: inWs(workspaceId), body: { name: `New ${i}` } }),
        ),
      ]);
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      const [deleted, created] = [responses.slice(0, deletes.length), responses.slice(deletes.length)];
      expect(deleted.map((response) => response.status), described).toEqual(deletes.map(() => 200));
      const createdCount = created.filter((response) => response.status === 201).length;
      expect(created.every((response) => response.status === 201 || response.status === 402), described).toBe(true);
      // At most as many as the deletes freed; at least none.
      expect(createdCount, described).toBeLessThanOrEqual(deletes.length);
      const stored = await expectCountersMatchRows(workspaceId, described);
      expect(stored.locationRows, described).toBe(1 + ALLOWED - deletes.length + createdCount);
      expect(stored.locationRows, described).toBeLessThanOrEqual(1 + ALLOWED);
    }
  });
});

/** `count` users registered (in parallel, on both processes) and invited to the workspace as members. */
async function invitedUsers(workspaceId: number, count: number, register: boolean) {
  const emails = Array.from({ length: count }, () => uniqueProcessEmail('plan-race-invitee'));
  const sessions = register ? await Promise.all(emails.map((email, i) => registerUser(serverFor(i), email))) : [];
  const tokens: string[] = [];
  for (const [i, email] of emails.entries()) {
    const invited = await api(serverFor(i).url, 'POST', '/api/v1/invitations', {
      token: owner.accessToken,
      headers: inWs(workspaceId),
      body: { email, role: 'member' },
    });
    expect(invited.status, describeAnswer(invited)).toBe(201);
    tokens.push(invited.body.data.token);
  }
  return emails.map((email, i) => ({ email, token: tokens[i] as string, session: sessions[i] }));
}

async function invitationStatuses(workspaceId: number): Promise<Record<string, number>> {
  const rows = await servers.direct.db.selectFrom('invitations').select('status').where('workspace_id', '=', workspaceId).execute();
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

describe('the users limit raced across two processes', () => {
  it(`gives exactly ${ALLOWED} accepts and ${N - ALLOWED} 402s for ${N} concurrent invitation accepts; refused invitations stay pending (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
    // The owner counts 1: room for N−2 more.
    await planAdministration.setLimits(servers.direct.db, 'pro', { users: 1 + ALLOWED });
    for (let round = 0; round < ROUNDS; round += 1) {
      const workspaceId = await workspaceOnPlan(`Member race ${round} ${process.pid}`, 'pro');
      const invitees = await invitedUsers(workspaceId, N, true);
      const responses = await Promise.all(
        invitees.map((invitee, i) =>
          api(serverFor(i + round).url, 'POST', '/api/v1/invitations/accept', { token: invitee.session?.accessToken, body: { token: invitee.token } }),
        ),
      );
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      expectLimitRefusals(responses, 200, 'users_limit', 'pro', 1 + ALLOWED, described);
      const stored = await expectCountersMatchRows(workspaceId, described);
      expect(stored.memberRows, described).toBe(1 + ALLOWED);
      // A refused accept rolled back whole: its invitation is still pending, usable once a place frees.
      expect(await invitationStatuses(workspaceId), described).toEqual({ accepted: ALLOWED, pending: N - ALLOWED });

      // A member leaving frees a place; one of the refused ones now gets in, the next does not.
      const winner = invitees[responses.findIndex((response) => response.status === 200)];
      const losers = invitees.filter((_, i) => responses[i]?.status === 402);
      const left = await api(servers.b.url, 'POST', `/api/v1/workspaces/${workspaceId}/leave`, { token: winner?.session?.accessToken });
      expect(left.status, describeAnswer(left)).toBe(200);
      const [firstLoser, secondLoser] = losers;
      const retried = await api(servers.a.url, 'POST', '/api/v1/invitations/accept', { token: firstLoser?.session?.accessToken, body: { token: firstLoser?.token } });
      expect(retried.status, describeAnswer(retried)).toBe(200);
      const stillFull = await api(servers.b.url, 'POST', '/api/v1/invitations/accept', { token: secondLoser?.session?.accessToken, body: { token: secondLoser?.token } });
      expect(stillFull.status, describeAnswer(stillFull)).toBe(402);
      await expectCountersMatchRows(workspaceId, `${described} (after leave and retry)`);
    }
    expect(await invariantViolations(servers.direct.db)).toEqual({});
  });

  it(`gives exactly ${ALLOWED} 201s and ${N - ALLOWED} 402s for ${N} concurrent registrations with invitation tokens (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
    await planAdministration.setLimits(servers.direct.db, 'business', { users: 1 + ALLOWED });
    for (let round = 0; round < ROUNDS; round += 1) {
      const workspaceId = await workspaceOnPlan(`Signup race ${round} ${process.pid}`, 'business');
      const invitees = await invitedUsers(workspaceId, N, false);
      const responses = await Promise.all(
        invitees.map((invitee, i) =>
          api(serverFor(i + round).url, 'POST', '/api/v1/auth/register', {
            body: { name: 'Invited Racer', email: invitee.email, password: PASSWORD, invitation_token: invitee.token },
          }),
        ),
      );
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      expectLimitRefusals(responses, 201, 'users_limit', 'business', 1 + ALLOWED, described);
      const stored = await expectCountersMatchRows(workspaceId, described);
      expect(stored.memberRows, described).toBe(1 + ALLOWED);
      expect(await invitationStatuses(workspaceId), described).toEqual({ accepted: ALLOWED, pending: N - ALLOWED });
      // A refused registration wrote nothing: no account for its address, so the address can register later.
      const refusedEmails = invitees.filter((_, i) => responses[i]?.status === 402).map((invitee) => invitee.email);
      const accounts = await servers.direct.db.selectFrom('users').select('email').where('email', 'in', refusedEmails).execute();
      expect(accounts, described).toEqual([]);
    }
  });

  it(`keeps the counter equal to the members when removals race accepts at the limit (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
    await planAdministration.setLimits(servers.direct.db, 'pro', { users: 1 + ALLOWED });
    for (let round = 0; round < ROUNDS; round += 1) {
      const workspaceId = await workspaceOnPlan(`Member churn ${round} ${process.pid}`, 'pro');
      const invitees = await invitedUsers(workspaceId, ALLOWED + 6, true);
      const [members, waiting] = [invitees.slice(0, ALLOWED), invitees.slice(ALLOWED)];
      for (const [i, member] of members.entries()) {
        const accepted = await api(serverFor(i).url, 'POST', '/api/v1/invitations/accept', { token: member.session?.accessToken, body: { token: member.token } });
        expect(accepted.status, describeAnswer(accepted)).toBe(200);
      }
      const removed = members.slice(0, 3);
      const responses = await Promise.all([
        ...removed.map((member, i) =>
          api(serverFor(i + round).url, 'DELETE', `/api/v1/members/${member.session?.userId}`, { token: owner.accessToken, headers: inWs(workspaceId) }),
        ),
        ...waiting.map((invitee, i) =>
          api(serverFor(i + round + 1).url, 'POST', '/api/v1/invitations/accept', { token: invitee.session?.accessToken, body: { token: invitee.token } }),
        ),
      ]);
      const described = `round ${round}: ${responses.map(describeAnswer).join(' | ')}`;
      const [removals, accepts] = [responses.slice(0, removed.length), responses.slice(removed.length)];
      expect(removals.map((response) => response.status), described).toEqual(removed.map(() => 200));
      expect(accepts.every((response) => response.status === 200 || response.status === 402), described).toBe(true);
      const acceptedCount = accepts.filter((response) => response.status === 200).length;
      expect(acceptedCount, described).toBeLessThanOrEqual(removed.length);
      const stored = await expectCountersMatchRows(workspaceId, described);
      expect(stored.memberRows, described).toBe(1 + ALLOWED - removed.length + acceptedCount);
    }
    expect(await invariantViolations(servers.direct.db)).toEqual({});
  });
});
