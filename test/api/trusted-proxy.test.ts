/**
 * X-Forwarded-For, -Host and -Proto come from whoever opened the connection: Tessera may
 * believe them only from the proxy named in TRUST_PROXY. Anyone else sending them could pick
 * their tenant by Host, or escape the per-address login limit by inventing a new address on
 * every attempt. `remoteAddress` on inject stands for the TCP peer.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import {
  createTenant,
  createWorkspace,
  register,
  startSecondApp,
  startTestApp,
  uniqueEmail,
  type SecondApp,
  type Session,
  type TestApp,
} from '../support/test-app.ts';

const PROXY = '203.0.113.10';
const STRANGER = '192.0.2.50';
const BASE_DOMAIN = 'example.test';
const PUBLIC_URL = 'https://app.example.test';
const PASSWORD = 'correct horse battery';
const LOGIN_LIMIT = 3;

let t: TestApp;
let trustingNobody: SecondApp;
let acmeOwner: Session;

beforeAll(async () => {
  t = await startTestApp({ env: { TENANT_BASE_DOMAIN: BASE_DOMAIN, TRUST_PROXY: PROXY, PUBLIC_URL } });
  trustingNobody = await startSecondApp(t, { TENANT_BASE_DOMAIN: BASE_DOMAIN, PUBLIC_URL });
  await createTenant(t, 'acme', 'Acme');
  // The only account in acme: signing in with it succeeds exactly when the request lands in acme.
  acmeOwner = await register(t, { name: 'Acme Owner', tenant: 'acme' });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => {
  await trustingNobody?.close();
  await t?.close();
});

const acmeLogin = (app: Pick<TestApp['app'], 'inject'>, options: Omit<InjectOptions, 'method' | 'url' | 'payload'>) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: acmeOwner.email, password: PASSWORD }, ...options });

describe('the tenant named by the Host', () => {
  it('comes from X-Forwarded-Host when the configured proxy sends it', async () => {
    const viaProxy = await acmeLogin(t.app, {
      remoteAddress: PROXY,
      headers: { host: 'tessera.internal:3000', 'x-forwarded-host': `acme.${BASE_DOMAIN}` },
    });
    expect(viaProxy.statusCode, viaProxy.body).toBe(200);

    const me = await t.request({
      method: 'GET',
      url: '/api/v1/me',
      remoteAddress: PROXY,
      headers: { authorization: `Bearer ${viaProxy.json().data.access_token}`, 'x-forwarded-host': `acme.${BASE_DOMAIN}` },
    });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().data.tenant.slug).toBe('acme');
  });

  it('reads an unknown forwarded subdomain from the proxy, overriding the Host, and answers 404 TENANT.NOT_FOUND', async () => {
    const response = await acmeLogin(t.app, {
      remoteAddress: PROXY,
      headers: { host: `acme.${BASE_DOMAIN}`, 'x-forwarded-host': `nowhere.${BASE_DOMAIN}` },
    });
    expect(response.statusCode, response.body).toBe(404);
    expect(response.json().error.code).toBe('TENANT.NOT_FOUND');
  });

  it('ignores X-Forwarded-Host from a peer that is not the proxy: its own Host decides', async () => {
    const forwardedOnly = await acmeLogin(t.app, {
      remoteAddress: STRANGER,
      headers: { host: 'tessera.internal:3000', 'x-forwarded-host': `acme.${BASE_DOMAIN}` },
    });
    // Landed in the default tenant, where this account does not exist.
    expect(forwardedOnly.statusCode, forwardedOnly.body).toBe(401);
    expect(forwardedOnly.json().error.code).toBe('AUTH.INVALID_CREDENTIALS');

    const hostWins = await acmeLogin(t.app, {
      remoteAddress: STRANGER,
      headers: { host: `acme.${BASE_DOMAIN}`, 'x-forwarded-host': `nowhere.${BASE_DOMAIN}` },
    });
    expect(hostWins.statusCode, hostWins.body).toBe(200);
  });

  it('ignores X-Forwarded-Host from every peer when TRUST_PROXY is unset, the would-be proxy included', async () => {
    for (const remoteAddress of [PROXY, STRANGER, '127.0.0.1']) {
      const forwardedOnly = await acmeLogin(trustingNobody.app, {
        remoteAddress,
        headers: { host: 'tessera.internal:3000', 'x-forwarded-host': `acme.${BASE_DOMAIN}` },
      });
      expect(forwardedOnly.statusCode, `${remoteAddress}: ${forwardedOnly.body}`).toBe(401);

      const hostWins = await acmeLogin(trustingNobody.app, {
        remoteAddress,
        headers: { host: `acme.${BASE_DOMAIN}`, 'x-forwarded-host': `nowhere.${BASE_DOMAIN}` },
      });
      expect(hostWins.statusCode, `${remoteAddress}: ${hostWins.body}`).toBe(200);
    }
  });
});

describe('the client address that login attempts are counted against', () => {
  let limitedBehindProxy: SecondApp;
  let limitedWithoutProxy: SecondApp;
  const limitEnv = { AUTH_RATE_LIMIT_MAX: String(LOGIN_LIMIT), AUTH_RATE_LIMIT_WINDOW_SECONDS: '600' };

  beforeAll(async () => {
    limitedBehindProxy = await startSecondApp(t, { ...limitEnv, TRUST_PROXY: PROXY });
    limitedWithoutProxy = await startSecondApp(t, limitEnv);
  });
  afterAll(async () => {
    await limitedBehindProxy?.close();
    await limitedWithoutProxy?.close();
  });

  /**
   * Wrong-password logins, each for a new address so only the per-client-address counter can
   * refuse one; returns the statuses in order.
   */
  async function wrongLogins(app: SecondApp, attempts: ReadonlyArray<{ remoteAddress: string; forwardedFor?: string }>) {
    const statuses: number[] = [];
    for (const { remoteAddress, forwardedFor } of attempts) {
      const response = await app.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress,
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
        payload: { email: uniqueEmail('guess'), password: 'wrong password' },
      });
      if (response.statusCode === 429) expect(response.json().error.code).toBe('AUTH.RATE_LIMITED');
      else expect(response.json().error.code, response.body).toBe('AUTH.INVALID_CREDENTIALS');
      statuses.push(response.statusCode);
    }
    return statuses;
  }

  const repeat = <T>(count: number, make: (index: number) => T): T[] => Array.from({ length: count }, (_, index) => make(index));
  const lockedOutAfterLimit = [...repeat(LOGIN_LIMIT, () => 401), 429];

  it('behind the proxy, limits each forwarded client on its own: one locked out, another still heard', async () => {
    const lockedOut = await wrongLogins(limitedBehindProxy, repeat(LOGIN_LIMIT + 1, () => ({ remoteAddress: PROXY, forwardedFor: '198.51.100.1' })));
    expect(lockedOut).toEqual(lockedOutAfterLimit);

    const neighbour = await wrongLogins(limitedBehindProxy, [{ remoteAddress: PROXY, forwardedFor: '198.51.100.2' }]);
    expect(neighbour).toEqual([401]);
    // Nor did the locked-out client's attempts count against the proxy's own address.
    const proxyItself = await wrongLogins(limitedBehindProxy, [{ remoteAddress: PROXY }]);
    expect(proxyItself).toEqual([401]);
  });

  it('behind the proxy, counts the address the proxy saw, not what the client wrote before it in X-Forwarded-For', async () => {
    // The proxy appends the real peer to whatever the client sent; only that last entry is vouched for.
    const statuses = await wrongLogins(
      limitedBehindProxy,
      repeat(LOGIN_LIMIT + 1, (index) => ({ remoteAddress: PROXY, forwardedFor: `10.9.9.${index + 1}, 198.51.100.3` })),
    );
    expect(statuses).toEqual(lockedOutAfterLimit);
  });

  it('counts a peer that is not the proxy against its own address, however its X-Forwarded-For rotates', async () => {
    const statuses = await wrongLogins(
      limitedBehindProxy,
      repeat(LOGIN_LIMIT + 1, (index) => ({ remoteAddress: STRANGER, forwardedFor: `198.51.100.${100 + index}` })),
    );
    expect(statuses).toEqual(lockedOutAfterLimit);
    expect(await wrongLogins(limitedBehindProxy, [{ remoteAddress: STRANGER }])).toEqual([429]);
    // A forwarded address the stranger already used is not locked out: the strangers' attempts never counted against it.
    expect(await wrongLogins(limitedBehindProxy, [{ remoteAddress: PROXY, forwardedFor: '198.51.100.100' }])).toEqual([401]);
  });

  it('with TRUST_PROXY unset, counts every peer against its own address, the would-be proxy included', async () => {
    for (const remoteAddress of [PROXY, STRANGER]) {
      const statuses = await wrongLogins(
        limitedWithoutProxy,
        repeat(LOGIN_LIMIT + 1, (index) => ({ remoteAddress, forwardedFor: `198.51.100.${200 + index}` })),
      );
      expect(statuses, remoteAddress).toEqual(lockedOutAfterLimit);
    }
  });
});

describe('links the server writes', () => {
  it('take their origin from PUBLIC_URL, never from forwarded Host or Proto, even from the trusted proxy', async () => {
    const viaProxy = { 'x-forwarded-host': `acme.${BASE_DOMAIN}`, 'x-forwarded-proto': 'http' };
    const workspace = await createWorkspace(t, acmeOwner, 'Forwarded HQ', { 'x-tenant': 'acme' });
    const email = uniqueEmail('invitee');
    const invited = await t.request({
      method: 'POST',
      url: '/api/v1/invitations',
      remoteAddress: PROXY,
      headers: { ...acmeOwner.auth, ...viaProxy, 'x-workspace-id': String(workspace.id) },
      payload: { email },
    });
    expect(invited.statusCode, invited.body).toBe(201);
    const token: string = invited.json().data.token;

    const mail = await t.db.selectFrom('outbox_messages').select(['text_body', 'html_body']).where('recipient', '=', email).executeTakeFirstOrThrow();
    // The tenant in the link is the forwarded one: the header was read, just not trusted for the origin.
    const link = `${PUBLIC_URL}/console/t/acme/invitations/accept#token=${encodeURIComponent(token)}`;
    expect(mail.text_body).toContain(link);
    expect(mail.html_body).toContain(link);
    for (const body of [mail.text_body, mail.html_body]) {
      expect(body).not.toContain(`acme.${BASE_DOMAIN}`);
      expect(body).not.toContain('http://');
    }
  });
});
