/**
 * Single sign-on's promises under real concurrency: two server processes on one database, the
 * racing requests split across both and sent in the same tick, over several rounds, against a
 * real OpenID provider and DNS responder on loopback. Proves that:
 * - a sign-in's callback sent N times at once signs in once (the state is used once);
 * - the first sign-ins of one person through two states at once make one account, one link and
 *   one membership, and both succeed;
 * - two workspaces claiming one domain at once: one claim, one 409;
 * - password sign-ins racing the switch to required single sign-on leave no live password
 *   session at the domain, and each either opened a session or was told to use single sign-on.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsResponder, type DnsResponder } from '../support/dns-responder.ts';
import { invariantViolations } from '../support/invariants.ts';
import { startTestIdentityProvider, type TestIdentityProvider } from '../support/oidc-provider.ts';
import { api, PASSWORD, registerUser, startServerPair, uniqueProcessEmail, type ApiResponse, type ServerPair, type ServerProcess } from '../support/process.ts';

const ROUNDS = Number(process.env.RACE_REPEATS ?? 4);
const RACERS = 6;
const TEST_TIMEOUT_MS = 60_000 + ROUNDS * 10_000;
const CLIENT = { client_id: 'tessera-races', client_secret: 'races client secret 7c1e' };
const PUBLIC_URL = 'http://tessera.test';

let servers: ServerPair;
let idp: TestIdentityProvider;
let dns: DnsResponder;
let owner: { accessToken: string };
let roundCounter = 0;

beforeAll(async () => {
  dns = await startDnsResponder();
  idp = await startTestIdentityProvider();
  idp.addClient({ ...CLIENT, redirect_uris: [`${PUBLIC_URL}/api/v1/auth/sso/callback`] });
  servers = await startServerPair({ DNS_SERVERS: dns.address, SSO_ALLOW_LOOPBACK_ISSUERS: 'true', PUBLIC_URL });
  owner = await registerUser(servers.a, uniqueProcessEmail('sso-owner'));
}, 120_000);
afterAll(async () => {
  await servers?.close();
  await idp?.close();
  await dns?.close();
});

const serverOf = (i: number): ServerProcess => (i % 2 ? servers.b : servers.a);
const statuses = (responses: ApiResponse[]) => responses.map((response) => response.status).sort((x, y) => x - y);


/** A new workspace with a proved domain and the provider connected. */
async function workspaceWithSso(): Promise<{ id: number; domain: string }> {
  roundCounter += 1;
  const created = await api(servers.a.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name: `Races ${roundCounter} ${Date.now()}` } });
  expect(created.status).toBe(201);
  const id = created.body.data.id as number;
  const domain = `races-${roundCounter}-${Date.now().toString(36)}.test`;
  const claim = await api(servers.b.url, 'PUT', `/api/v1/workspaces/${id}/sso/domain`, { token: owner.accessToken, body: { domain } });
  expect(claim.status).toBe(200);
  dns.setTxt(claim.body.data.verification_record.name, [claim.body.data.verification_record.value]);
  expect((await api(servers.a.url, 'POST', `/api/v1/workspaces/${id}/sso/domain/verify`, { token: owner.accessToken })).status).toBe(200);
  const connected = await api(servers.b.url, 'PUT', `/api/v1/workspaces/${id}/sso/connection`, { token: owner.accessToken, body: { issuer_url: idp.issuer, ...CLIENT } });
  expect(connected.status, JSON.stringify(connected.body)).toBe(200);
  return { id, domain };
}

/** The callback path the provider sends the browser back to, after `sub` signed in there. */
async function callbackAfterProvider(server: ServerProcess, email: string, sub: string): Promise<string> {
  const start = await api(server.url, 'GET', `/api/v1/auth/sso/start?email=${encodeURIComponent(email)}`, { headers: { accept: 'application/json' } });
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  const callback = new URL(await idp.signIn(start.body.data.authorization_url as string, sub));
  return `${callback.pathname}${callback.search}`;
}

async function expectInvariants() {
  expect(await invariantViolations(servers.direct.db)).toEqual({});
}

describe('single sign-on under concurrency', () => {
  it(`a callback sent ${RACERS} times at once signs in once (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const { domain } = await workspaceWithSso();
    for (let round = 0; round < ROUNDS; round += 1) {
      const email = `once-${round}@${domain}`;
      idp.setAccount(`once-${round}`, { email, email_verified: true });
      const callback = await callbackAfterProvider(servers.a, email, `once-${round}`);
      const responses = await Promise.all(Array.from({ length: RACERS }, (_, i) => api(serverOf(i).url, 'GET', callback)));
      expect(statuses(responses)).toEqual([200, ...Array.from({ length: RACERS - 1 }, () => 400)]);
      for (const refused of responses.filter((response) => response.status === 400)) expect(refused.body.error.code).toBe('SSO.STATE_INVALID');
      await expectInvariants();
    }
  });

  it(`first sign-ins of one person through ${RACERS} states at once make one account, one link, one membership (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const { id, domain } = await workspaceWithSso();
    for (let round = 0; round < ROUNDS; round += 1) {
      const email = `first-${round}@${domain}`;
      const sub = `first-${round}`;
      idp.setAccount(sub, { email, email_verified: true });
      const callbacks = await Promise.all(Array.from({ length: RACERS }, (_, i) => callbackAfterProvider(serverOf(i), email, sub)));
      const responses = await Promise.all(callbacks.map((callback, i) => api(serverOf(i + 1).url, 'GET', callback)));
      expect(statuses(responses), JSON.stringify(responses.map((response) => response.body))).toEqual(Array.from({ length: RACERS }, () => 200));
      expect(new Set(responses.map((response) => response.body.data.user.id)).size).toBe(1);
      const userId = responses[0]!.body.data.user.id as number;
      const counts = await sql<{ users: number | string; links: number | string; memberships: number | string }>`
        select (select count(*) from users where email_key = ${email}) as users,
               (select count(*) from sso_identities where user_id = ${userId}) as links,
               (select count(*) from memberships where user_id = ${userId} and workspace_id = ${id}) as memberships`.execute(servers.direct.db);
      expect(counts.rows.map((row) => [Number(row.users), Number(row.links), Number(row.memberships)])).toEqual([[1, 1, 1]]);
      await expectInvariants();
    }
  });

  it(`two workspaces claiming one domain at once: one claim, one 409 (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const ids: number[] = [];
      for (const name of ['left', 'right']) {
        const created = await api(servers.a.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name: `Claim ${name} ${round} ${Date.now()}` } });
        ids.push(created.body.data.id as number);
      }
      const domain = `claimed-${round}-${Date.now().toString(36)}.test`;
      const responses = await Promise.all(ids.map((id, i) => api(serverOf(i).url, 'PUT', `/api/v1/workspaces/${id}/sso/domain`, { token: owner.accessToken, body: { domain } })));
      expect(statuses(responses)).toEqual([200, 409]);
      expect(responses.find((response) => response.status === 409)?.body.error.code).toBe('SSO.DOMAIN_TAKEN');
      await expectInvariants();
    }
  });

  it(`password sign-ins racing required single sign-on leave no live password session at the domain (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const { id, domain } = await workspaceWithSso();
      const emails = Array.from({ length: RACERS }, (_, i) => `password-${round}-${i}@${domain}`);
      for (const email of emails) await registerUser(servers.a, email);
      const [enforced, ...signIns] = await Promise.all([
        api(servers.b.url, 'PUT', `/api/v1/workspaces/${id}/sso/enforcement`, { token: owner.accessToken, body: { enforced: true } }),
        ...emails.map((email, i) => api(serverOf(i).url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } })),
      ]);
      expect(enforced?.status).toBe(200);
      for (const signIn of signIns) {
        expect([200, 403], JSON.stringify(signIn.body)).toContain(signIn.status);
        if (signIn.status === 403) expect(signIn.body.error.code).toBe('AUTH.SSO_REQUIRED');
      }
      const live = await sql<{ n: number | string }>`
        select count(*) as n from sessions join users on users.id = sessions.user_id
        where sessions.auth_method = 'password' and sessions.revoked_at is null and users.email_key like ${`%@${domain}`}`.execute(servers.direct.db);
      expect(Number(live.rows[0]?.n)).toBe(0);
      // A session a sign-in opened before the switch is dead on its next request, on either server.
      for (const [i, signIn] of signIns.entries()) {
        if (signIn.status !== 200) continue;
        expect((await api(serverOf(i + 1).url, 'GET', '/api/v1/me', { token: signIn.body.data.access_token })).status).toBe(401);
      }
      await expectInvariants();
    }
  });
});
