/**
 * Per-address limits count an IPv6 client as its /64: one host may use any address in it.
 * Wrong-password sign-ins from several addresses of one /64 share one count (each with
 * another e-mail, so only the per-address key counts them), and another /64 or an IPv4
 * address keeps its own; a portal access code guessed from several addresses of one /64
 * is one guesser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, register, startTestApp, uniqueEmail, type TestApp } from '../support/test-app.ts';

const MAX = 3;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: String(MAX), AUTH_RATE_LIMIT_WINDOW_SECONDS: '60' } });
});
afterAll(async () => t.close());

const login = (remoteAddress: string) =>
  t.request({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { email: uniqueEmail('nobody'), password: 'wrong password 1' } });

describe('per-address limits and IPv6', () => {
  it('count the addresses of one /64 as one client at sign-in', async () => {
    for (const suffix of ['a', 'b', 'c']) expect((await login(`2001:db8:7:1::${suffix}`)).statusCode).toBe(401);
    const fourth = await login('2001:db8:7:1:ffff:ffff:ffff:ffff');
    expect(fourth.statusCode, fourth.body).toBe(429);
    expect(fourth.json().error.code).toBe('AUTH.RATE_LIMITED');
    expect((await login('2001:db8:7:2::a')).statusCode).toBe(401);
    expect((await login('198.51.100.9')).statusCode).toBe(401);
  });

  it('count the addresses of one /64 as one guesser of a portal access code', async () => {
    const slug = `v6-portal-${process.pid}`;
    await createTenant(t, slug);
    const owner = await register(t, { tenant: slug, email: uniqueEmail(slug) });
    const set = await t.request({ method: 'PATCH', url: '/api/v1/tenant', headers: { ...owner.auth, 'x-tenant': slug }, payload: { portal_access_code: 'v6-portal-code-1' } });
    expect(set.statusCode, set.body).toBe(200);
    const portal = (remoteAddress: string, code: string) =>
      t.request({ method: 'GET', url: '/web/v1/tenant/workspaces/mine', remoteAddress, headers: { ...owner.auth, 'x-tenant': slug, 'x-portal-access-code': code } });
    for (let i = 1; i <= MAX; i += 1) expect((await portal(`2001:db8:9:1::${i}`, `wrong-code-${i}`)).statusCode).toBe(403);
    expect((await portal('2001:db8:9:1::99', 'v6-portal-code-1')).statusCode).toBe(429);
    expect((await portal('2001:db8:9:2::1', 'v6-portal-code-1')).statusCode).toBe(200);
  });
});
