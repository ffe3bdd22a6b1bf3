import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import {
  api,
  killAllServers,
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

  it('both processes shut down cleanly on SIGTERM with the Redis connection open', { timeout: 30_000 }, async () => {
    const [exitA, exitB] = await Promise.all([a.stop(), b.stop()]);
    expect(exitA, serverOutput(a)).toEqual({ code: 0, signal: null });
    expect(exitB, serverOutput(b)).toEqual({ code: 0, signal: null });
  });
});
