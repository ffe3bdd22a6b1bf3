import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingPolicyError, guardRoutePolicies, publicRoute } from '../../src/core/auth/policy.ts';
import { loadConfig } from '../../src/core/config.ts';
import { createWorkspace, register, startTestApp, uniqueEmail, type TestApp } from '../support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '3', AUTH_RATE_LIMIT_WINDOW_SECONDS: '60' } });
});
afterAll(async () => t.close());

describe('health and documentation', () => {
  it('answers /healthz and /readyz with 200 while the database answers', async () => {
    expect((await t.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.request({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' });
  });

  it('publishes every registered route but the hidden static files in /openapi.json (OpenAPI 3.1)', async () => {
    const document = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    expect(document.openapi).toBe('3.1.0');
    const documented = new Set(
      Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    const registered = t.app.routePolicies.filter((route) => route.method !== 'HEAD' && !route.hidden);
    expect(registered.length).toBeGreaterThan(10);
    for (const route of registered) expect(documented, `${route.method} ${route.url}`).toContain(`${route.method} ${route.url}`);
  });

  it('renders /docs with scripts from this server only (Swagger UI; more in openapi.test.ts)', async () => {
    const response = await t.request({ method: 'GET', url: '/docs' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.body).toContain('<script src="/docs/assets/swagger-ui-bundle.js');
    expect(response.body).not.toMatch(/https?:\/\//);
  });

  it('tags every response with an x-request-id', async () => {
    const response = await t.request({ method: 'GET', url: '/healthz' });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('deny by default', () => {
  it('refuses to register a route that declares no policy, and accepts one that does', async () => {
    const app = Fastify();
    guardRoutePolicies(app);
    expect(() => app.get('/unguarded', async () => 'open')).toThrow(MissingPolicyError);
    expect(() => app.get('/guarded', { config: { policy: publicRoute() } }, async () => 'ok')).not.toThrow();
    await app.close();
  });

  it('has a policy on every route of the real app, HEAD twins included', () => {
    const gets = t.app.routePolicies.filter((route) => route.method === 'GET').map((route) => route.url);
    const heads = t.app.routePolicies.filter((route) => route.method === 'HEAD').map((route) => route.url);
    expect(heads.sort()).toEqual(gets.sort());
  });
});

describe('rate limits', () => {
  it('answers the attempt past the limit for one email with 429 and Retry-After', async () => {
    const email = uniqueEmail('limited');
    const statuses: number[] = [];
    let last;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      last = await t.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: `198.51.100.${attempt + 1}`,
        payload: { email, password: 'wrong password' },
      });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.json().error.code).toBe('AUTH.RATE_LIMITED');
  });

  it('limits registrations per IP too', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const response = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        remoteAddress: '192.0.2.7',
        payload: { name: 'Spammer', email: uniqueEmail('spam'), password: 'correct horse battery' },
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
  });
});

describe('readiness', () => {
  it('answers /readyz with 503 STORAGE.UNAVAILABLE once the database does not answer, /healthz still 200', async () => {
    const separate = await startTestApp();
    try {
      await separate.db.destroy();
      const ready = await separate.request({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().error.code).toBe('STORAGE.UNAVAILABLE');
      expect((await separate.request({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await separate.app.close();
      await separate.database.drop();
    }
  });
});

describe('GET /metrics', () => {
  const token = 'metrics-token-of-the-operator';

  it('does not exist without METRICS_TOKEN', async () => {
    expect((await t.request({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(404);
  });

  it('answers only the operator\'s bearer token, with each cache\'s hits and misses in Prometheus\' format', async () => {
    const withMetrics = await startTestApp({ env: { METRICS_TOKEN: token } });
    try {
      const metrics = (authorization?: string) =>
        withMetrics.request({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
      for (const refused of [undefined, `Bearer ${token}x`, token, `Basic ${token}`, `Bearer ${token.slice(0, -1)}`]) {
        const response = await metrics(refused);
        expect({ refused, status: response.statusCode, body: response.body }).toMatchObject({ refused, status: 401 });
        expect(response.body).not.toContain('tessera_cache');
      }

      const lookups = async () => {
        const response = await metrics(`Bearer ${token}`);
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
        expect(response.body).toContain('# TYPE tessera_cache_lookups_total counter');
        const count = (cache: string, result: string) =>
          Number(new RegExp(`^tessera_cache_lookups_total\\{cache="${cache}",result="${result}"\\} (\\d+)$`, 'm').exec(response.body)?.[1]);
        return { contextHits: count('contexts', 'hit'), contextMisses: count('contexts', 'miss'), memberPageHits: count('member_pages', 'hit') };
      };
      const before = await lookups();
      const user = await register(withMetrics);
      const workspace = await createWorkspace(withMetrics, user, 'Metrics Store');
      const inWorkspace = { ...user.auth, 'x-workspace-id': String(workspace.id) };
      for (let i = 0; i < 3; i += 1) {
        expect((await withMetrics.request({ method: 'GET', url: '/api/v1/members', headers: inWorkspace })).statusCode).toBe(200);
      }
      const after = await lookups();
      // The first list reads the context and the page; the next two find both kept.
      expect(after.contextMisses).toBeGreaterThan(before.contextMisses);
      expect(after.contextHits - before.contextHits).toBeGreaterThanOrEqual(2);
      expect(after.memberPageHits - before.memberPageHits).toBe(2);
    } finally {
      await withMetrics.close();
    }
  });

  it('refuses a METRICS_TOKEN too short to guard anything', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});
