import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, register, startSecondApp, startTestApp, uniqueEmail, type SecondApp, type TestApp } from '../support/test-app.ts';

/**
 * The refresh token as an HttpOnly cookie for browser apps (the console): set only when asked
 * with `X-Token-Transport: cookie`, read only with that header and from this server's own (or a
 * configured) origin, one per tenant, ended on sign-out.
 */

let t: TestApp;
let corsApp: SecondApp;
let httpsApp: SecondApp;
const PASSWORD = 'correct horse battery';
const HOST = 'tessera.example';
const ASKS = { 'x-token-transport': 'cookie', host: HOST };

beforeAll(async () => {
  t = await startTestApp();
  await createTenant(t, 'cookie-co');
  corsApp = await startSecondApp(t, { CORS_ORIGINS: 'https://app.example.com' });
  httpsApp = await startSecondApp(t, { PUBLIC_URL: 'https://id.example.com' });
});
afterAll(async () => {
  await corsApp.close();
  await httpsApp.close();
  await t.close();
});

/** The cookie a response set, as a name, a value and its attributes. */
function setCookieOf(response: { headers: Record<string, unknown> }) {
  const header = response.headers['set-cookie'];
  const text = Array.isArray(header) ? String(header[0]) : typeof header === 'string' ? header : '';
  const [pair = '', ...attributes] = text.split(/;\s*/);
  const separator = pair.indexOf('=');
  return { name: pair.slice(0, separator), value: pair.slice(separator + 1), attributes: attributes.map((a) => a.toLowerCase()) };
}

async function signInForCookie(app: TestApp['app'], email: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { ...ASKS, ...headers }, payload: { email, password: PASSWORD } });
}

describe('the refresh-token cookie', () => {
  it('is set instead of answered when asked: HttpOnly, SameSite=Strict, scoped to the token routes, never cached', async () => {
    const user = await register(t);
    const response = await signInForCookie(t.app, user.email);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.data.access_token).toEqual(expect.any(String));
    expect(body.data).not.toHaveProperty('refresh_token');
    expect(response.headers['cache-control']).toBe('no-store');
    const cookie = setCookieOf(response);
    expect(cookie.name).toBe('tessera_refresh_default');
    expect(cookie.value).toMatch(/^rt_/);
    expect(cookie.attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/api/v1/auth', 'max-age=2592000']));
    // PUBLIC_URL is http here (a development install): a Secure cookie would never come back.
    expect(cookie.attributes).not.toContain('secure');

    // Without the header nothing changes for API clients: the token in the body, no cookie.
    const plain = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: PASSWORD } });
    expect(plain.json().data.refresh_token).toMatch(/^rt_/);
    expect(plain.headers['set-cookie']).toBeUndefined();
  });

  it('refreshes from the cookie (rotating it), and only with the header: a request without it never uses the cookie', async () => {
    const user = await register(t);
    const first = setCookieOf(await signInForCookie(t.app, user.email));
    const cookieHeader = `${first.name}=${first.value}`;

    const withoutHeader = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { cookie: cookieHeader, host: HOST }, payload: {} });
    expect(withoutHeader.statusCode).toBe(422);
    expect(withoutHeader.json().error.details).toHaveProperty('refresh_token');

    const refreshed = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...ASKS, cookie: cookieHeader }, payload: {} });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().data).not.toHaveProperty('refresh_token');
    const second = setCookieOf(refreshed);
    expect(second.name).toBe(first.name);
    expect(second.value).not.toBe(first.value);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${refreshed.json().data.access_token}` } });
    expect(me.json().data.id).toBe(user.userId);

    const noCookie = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: ASKS, payload: {} });
    expect(noCookie.statusCode).toBe(401);
    expect(noCookie.json().error.code).toBe('AUTH.UNAUTHENTICATED');
  });

  it('refuses another origin with 403 AUTH.ORIGIN_REFUSED and rotates nothing; its own origin and a configured one pass', async () => {
    const user = await register(t);
    const cookie = setCookieOf(await signInForCookie(t.app, user.email));
    const refresh = (app: TestApp['app'], origin: string, value = cookie.value) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...ASKS, origin, cookie: `${cookie.name}=${value}` }, payload: {} });

    const foreign = await refresh(t.app, 'https://evil.example');
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().error.code).toBe('AUTH.ORIGIN_REFUSED');
    expect(foreign.headers['set-cookie']).toBeUndefined();
    // A look-alike of the server's own origin on another scheme or port is another origin.
    expect((await refresh(t.app, `https://${HOST}`)).statusCode).toBe(403);
    expect((await refresh(t.app, `http://${HOST}:8080`)).statusCode).toBe(403);
    expect((await refresh(corsApp.app, 'https://evil.example')).statusCode).toBe(403);

    // Refused, the token was not used: it still refreshes from the server's own origin.
    const own = await refresh(t.app, `http://${HOST}`);
    expect(own.statusCode).toBe(200);
    const listed = await refresh(corsApp.app, 'https://app.example.com', setCookieOf(own).value);
    expect(listed.statusCode).toBe(200);
  });

  it('is one per tenant: the cookie of one tenant signs nobody in at another', async () => {
    const email = uniqueEmail('two-tenants');
    await register(t, { email });
    await register(t, { email, tenant: 'cookie-co' });
    const atDefault = setCookieOf(await signInForCookie(t.app, email));
    const atCo = setCookieOf(await signInForCookie(t.app, email, { 'x-tenant': 'cookie-co' }));
    expect(atCo.name).toBe('tessera_refresh_cookie-co');
    expect(atDefault.name).toBe('tessera_refresh_default');

    const jar = `${atDefault.name}=${atDefault.value}; ${atCo.name}=${atCo.value}`;
    const co = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...ASKS, 'x-tenant': 'cookie-co', cookie: jar }, payload: {} });
    expect(co.statusCode).toBe(200);
    expect(setCookieOf(co).name).toBe('tessera_refresh_cookie-co');
    // The default tenant's token under the other tenant's name: refused like any foreign token.
    const swapped = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      headers: { ...ASKS, 'x-tenant': 'cookie-co', cookie: `${atCo.name}=${atDefault.value}` },
      payload: {},
    });
    expect(swapped.statusCode).toBe(401);
  });

  it('ends with sign-out: the cookie is cleared and its token is dead', async () => {
    const user = await register(t);
    const login = await signInForCookie(t.app, user.email);
    const cookie = setCookieOf(login);
    const logout = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { ...ASKS, authorization: `Bearer ${login.json().data.access_token}` },
    });
    expect(logout.statusCode).toBe(200);
    const cleared = setCookieOf(logout);
    expect(cleared).toMatchObject({ name: cookie.name, value: '' });
    expect(cleared.attributes).toContain('max-age=0');
    const after = await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', headers: { ...ASKS, cookie: `${cookie.name}=${cookie.value}` }, payload: {} });
    expect(after.statusCode).toBe(401);
  });

  it('is Secure where the public address is https, and registration sets it too', async () => {
    const response = await httpsApp.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: ASKS,
      payload: { name: 'Secure Cookie', email: uniqueEmail('secure'), password: PASSWORD },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().data).not.toHaveProperty('refresh_token');
    expect(setCookieOf(response).attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=strict']));
  });
});
