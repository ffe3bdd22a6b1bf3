import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.ts';
import { createTenantsService } from '../../src/modules/tenants/tenants.service.ts';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import {
  api,
  killAllServers,
  openDirect,
  registerUser,
  serverOutput,
  spawnServer,
  tcpReachable,
  uniqueProcessEmail,
  type ServerProcess,
} from '../support/process.ts';

const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;
const redisUp = await tcpReachable(REDIS_HOST, REDIS_PORT);
// A developer without Redis may skip this file; CI must not pass without having run it.
if (!redisUp && process.env.CI) throw new Error(`CI needs Redis on ${REDIS_HOST}:${REDIS_PORT}; it does not answer`);

const MAX = 5;
const WINDOW_SECONDS = 60;

/**
 * The limiter also counts per client IP, and every test process reaches the servers
 * from 127.0.0.1: in a shared Redis that counter would outlive this run and collide
 * with the other engine's run. The servers trust 127.0.0.1 as a proxy, so each test
 * presents its own client address in X-Forwarded-For.
 */
function uniqueClientIp(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

describe.skipIf(!redisUp)('with Redis, two processes on one database', () => {
  let database: TestDatabase | undefined;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      ...database.env,
      REDIS_URL: `redis://${REDIS_HOST}:${REDIS_PORT}`,
      AUTH_RATE_LIMIT_MAX: String(MAX),
      AUTH_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
      TRUST_PROXY: '127.0.0.1',
    };
    // One after the other: the first start migrates, the second finds the schema.
    a = await spawnServer(env);
    await a.waitReady(30_000);
    b = await spawnServer(env);
    await b.waitReady(30_000);
  }, 70_000);

  afterAll(async () => {
    await killAllServers();
    await database?.drop();
  });

  it('share one limit on wrong-password logins', { timeout: 30_000 }, async () => {
    const email = uniqueProcessEmail('ratelimit');
    const headers = { 'x-forwarded-for': uniqueClientIp() };
    const attempts = [];
    for (let attempt = 1; attempt <= MAX + 1; attempt += 1) {
      const server = attempt % 2 === 1 ? a : b;
      attempts.push(
        await api(server.url, 'POST', '/api/v1/auth/login', {
          body: { email, password: 'wrong password' },
          headers,
        }),
      );
    }

    for (const [index, response] of attempts.slice(0, MAX).entries()) {
      expect(response.status, `attempt ${index + 1}: ${JSON.stringify(response.body)}`).toBe(401);
      expect(response.body.error.code).toBe('AUTH.INVALID_CREDENTIALS');
    }
    const limited = attempts[MAX]!;
    expect(limited.status, `attempt ${MAX + 1} (on B): ${JSON.stringify(limited.body)}\n${serverOutput(b)}`).toBe(429);
    expect(limited.body.error.code).toBe('AUTH.RATE_LIMITED');
    const retryAfter = limited.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(WINDOW_SECONDS);

    // Still limited on A as well: the count lives in Redis, not in either process.
    const onA = await api(a.url, 'POST', '/api/v1/auth/login', { body: { email, password: 'wrong password' }, headers });
    expect(onA.status).toBe(429);
    expect(onA.body.error.code).toBe('AUTH.RATE_LIMITED');
  });

  it('logout in one process ends the session on the very next request to the other', { timeout: 30_000 }, async () => {
    const headers = { 'x-forwarded-for': uniqueClientIp() };
    const session = await registerUser(a, uniqueProcessEmail('logout'), headers);

    const before = await api(b.url, 'GET', '/api/v1/me', { token: session.accessToken, headers });
    expect(before.status, JSON.stringify(before.body)).toBe(200);

    const logout = await api(a.url, 'POST', '/api/v1/auth/logout', { token: session.accessToken, headers });
    expect(logout.status, JSON.stringify(logout.body)).toBe(200);

    const after = await api(b.url, 'GET', '/api/v1/me', { token: session.accessToken, headers });
    expect(after.status, JSON.stringify(after.body)).toBe(401);
    expect(after.body.error).toMatchObject({ code: 'AUTH.INVALID_TOKEN', legacy_code: 4010 });

    // And on A too, and the refresh token of the ended session is worthless.
    const onA = await api(a.url, 'GET', '/api/v1/me', { token: session.accessToken, headers });
    expect(onA.status).toBe(401);
    const refresh = await api(b.url, 'POST', '/api/v1/auth/refresh', {
      body: { refresh_token: session.refreshToken },
      headers,
    });
    expect(refresh.status).toBe(401);
  });

  it('share one count of wrong portal access codes: past it, each process refuses the address before comparing, a burst and the right code included', { timeout: 30_000 }, async () => {
    const slug = `portal-redis-${process.pid}-${randomInt(1_000_000)}`;
    const direct = openDirect(database!.env);
    try {
      await createTenantsService({ db: direct.db, clock: systemClock }).createTenant({ slug, name: slug, selfSignup: true });
    } finally {
      await direct.close();
    }
    const owner = await registerUser(a, uniqueProcessEmail('portal-owner'), { 'x-tenant': slug, 'x-forwarded-for': uniqueClientIp() });
    const code = 'portal-code-redis-1';
    const set = await api(a.url, 'PATCH', '/api/v1/tenant', { token: owner.accessToken, headers: { 'x-tenant': slug }, body: { portal_access_code: code } });
    expect(set.status, JSON.stringify(set.body)).toBe(200);

    const guesser = uniqueClientIp();
    const headers = (presented: string) => ({ 'x-tenant': slug, 'x-forwarded-for': guesser, 'x-portal-access-code': presented });
    const portal = (server: ServerProcess, presented: string) =>
      api(server.url, 'GET', '/web/v1/tenant/workspaces/mine', { token: owner.accessToken, headers: headers(presented) });
    for (let attempt = 1; attempt <= MAX; attempt += 1) {
      const wrong = await portal(attempt % 2 === 1 ? a : b, `wrong-code-${attempt}`);
      expect(wrong.status, `attempt ${attempt}: ${JSON.stringify(wrong.body)}`).toBe(403);
    }
    // The shared count is at the limit: each process refuses the address before comparing,
    // a burst at once included, whichever process counted the guesses.
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => portal(i % 2 ? a : b, i === 7 ? code : `burst-code-${i}`)));
    expect(burst.map((response) => response.status)).toEqual(Array.from({ length: 12 }, () => 429));
    for (const server of [a, b]) {
      for (const presented of [code, 'wrong-code-after']) {
        const refused = await portal(server, presented);
        expect(refused.status, JSON.stringify(refused.body)).toBe(429);
        expect(refused.body.error.code).toBe('AUTH.RATE_LIMITED');
      }
    }
    // Another address gets in with the code.
    const other = await api(a.url, 'GET', '/web/v1/tenant/workspaces/mine', {
      token: owner.accessToken,
      headers: { 'x-tenant': slug, 'x-forwarded-for': uniqueClientIp(), 'x-portal-access-code': code },
    });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
  });

  it('both processes shut down cleanly on SIGTERM with the Redis connection open', { timeout: 30_000 }, async () => {
    const [exitA, exitB] = await Promise.all([a.stop(), b.stop()]);
    expect(exitA, serverOutput(a)).toEqual({ code: 0, signal: null });
    expect(exitB, serverOutput(b)).toEqual({ code: 0, signal: null });
  });
});
