import { SignJWT, UnsecuredJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, register, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Default Owner' });
});
afterAll(async () => t.close());

const me = (authorization: string, headers: Record<string, string> = {}) =>
  t.request({ method: 'GET', url: '/api/v1/me', headers: { authorization, ...headers } });

describe('register, login, me', () => {
  it('registers the first user of a tenant as its owner with 201 and a token pair', async () => {
    await createTenant(t, 'first-user');
    const response = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'x-tenant': 'first-user' },
      payload: { name: 'First Owner', email: uniqueEmail('first'), password: 'correct horse battery' },
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.data).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { tenant_role: 'owner' } });
    expect(body.data.user).not.toHaveProperty('password_hash');
    expect(body.message).toBe('Account created successfully.');

    const second = await register(t, { tenant: 'first-user' });
    const meResponse = await me(second.auth.authorization, { 'x-tenant': 'first-user' });
    expect(meResponse.statusCode).toBe(200);
    expect(meResponse.json().data).toMatchObject({ id: second.userId, tenant_role: 'member', tenant: { slug: 'first-user' } });
  });

  it('logs in with the right password (200) and gives the same 401 for a wrong password or an unknown email', async () => {
    const user = await register(t, { password: 'right password 1' });
    const ok = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email.toUpperCase(), password: 'right password 1' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().data.user.id).toBe(user.userId);

    const wrong = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'nope nope' } });
    const unknown = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: uniqueEmail('ghost'), password: 'nope nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json().error.code).toBe('AUTH.INVALID_CREDENTIALS');
  });

  it('rejects a duplicate email, case-insensitively and Unicode-normalized, with 409 IDENTITY.EMAIL_TAKEN', async () => {
    const email = uniqueEmail('dup');
    await register(t, { email });
    for (const variant of [email.toUpperCase(), `  ${email}  `.trim(), email.replace('@', '\uFF20')]) {
      const response = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { name: 'Again', email: variant, password: 'correct horse battery' },
      });
      if (variant.includes('\uFF20')) {
        // A fullwidth @ is not a valid address to the validator: refused before it can collide.
        expect([409, 422]).toContain(response.statusCode);
      } else {
        expect(response.statusCode).toBe(409);
        expect(response.json().error.code).toBe('IDENTITY.EMAIL_TAKEN');
      }
    }
  });

  it('treats a compatibility-equivalent local part as the same email (NFKC) with 409', async () => {
    const email = uniqueEmail('ﬁle'); // U+FB01 ligature
    await register(t, { email });
    const response = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { name: 'Again', email: email.replace('ﬁ', 'FI'), password: 'correct horse battery' },
    });
    expect(response.statusCode).toBe(409);
  });
});

describe('refresh and logout', () => {
  it('rotates the refresh token (200) and revokes the whole family when an old one is reused (401)', async () => {
    const user = await register(t);
    const first = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: user.refreshToken } });
    expect(first.statusCode).toBe(200);
    const rotated = first.json().data;
    expect(rotated.refresh_token).not.toBe(user.refreshToken);
    expect((await me(`Bearer ${rotated.access_token}`)).statusCode).toBe(200);

    // Past the grace interval (REFRESH_TOKEN_REUSE_SECONDS, 10 s by default) a reuse is a replay.
    t.clock.advance(10_001);
    const reuse = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: user.refreshToken } });
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error).toMatchObject({ code: 'AUTH.INVALID_TOKEN', legacy_code: 4010 });

    // The family is gone: the newest refresh token and every access token of the session die too.
    const afterReuse = await t.request({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: rotated.refresh_token },
    });
    expect(afterReuse.statusCode).toBe(401);
    expect((await me(`Bearer ${rotated.access_token}`)).statusCode).toBe(401);
    expect((await me(user.auth.authorization)).statusCode).toBe(401);
  });

  it('gives two tabs refreshing one token within the grace interval the same successor, and keeps the session', async () => {
    const user = await register(t);
    const refresh = (token: string) => t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });
    const [one, two] = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    expect([one.statusCode, two.statusCode]).toEqual([200, 200]);
    expect(one.json().data.refresh_token).toBe(two.json().data.refresh_token);
    t.clock.advance(9_000);
    const third = await refresh(user.refreshToken);
    expect(third.statusCode).toBe(200);
    expect(third.json().data.refresh_token).toBe(one.json().data.refresh_token);
    expect((await me(`Bearer ${third.json().data.access_token}`)).statusCode).toBe(200);
    // The successor rotates as usual.
    const next = await refresh(one.json().data.refresh_token);
    expect(next.statusCode).toBe(200);
  });

  it('treats a reuse as a replay, even within the interval, once the successor itself was used', async () => {
    const user = await register(t);
    const refresh = (token: string) => t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });
    const successor = (await refresh(user.refreshToken)).json().data.refresh_token as string;
    expect((await refresh(successor)).statusCode).toBe(200);
    expect((await refresh(user.refreshToken)).statusCode).toBe(401);
    expect((await refresh(successor)).statusCode).toBe(401);
  });

  it('ignores an unknown refresh token with 401 and revokes nothing', async () => {
    const user = await register(t);
    const response = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: 'rt_made_up' } });
    expect(response.statusCode).toBe(401);
    expect((await me(user.auth.authorization)).statusCode).toBe(200);
  });

  it('kills the access token on the very next request after logout (401 with legacy_code 4010)', async () => {
    const user = await register(t);
    expect((await me(user.auth.authorization)).statusCode).toBe(200);
    const logout = await t.request({ method: 'POST', url: '/api/v1/auth/logout', headers: user.auth });
    expect(logout.statusCode).toBe(200);
    const after = await me(user.auth.authorization);
    expect(after.statusCode).toBe(401);
    expect(after.json().error.legacy_code).toBe(4010);
    const refresh = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: user.refreshToken } });
    expect(refresh.statusCode).toBe(401);
  });

  it('keeps other sessions of the same user alive after one logs out', async () => {
    const user = await register(t, { password: 'two sessions!' });
    const login = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'two sessions!' } });
    await t.request({ method: 'POST', url: '/api/v1/auth/logout', headers: user.auth });
    expect((await me(`Bearer ${login.json().data.access_token}`)).statusCode).toBe(200);
  });
});

describe('access tokens', () => {
  async function claimsOf(user: { accessToken: string }) {
    const [, payload] = user.accessToken.split('.');
    return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
  }

  it('answers an expired token with 401 AUTH.TOKEN_EXPIRED and legacy_code 4010', async () => {
    const user = await register(t);
    t.clock.advance(901_000);
    try {
      const response = await me(user.auth.authorization);
      expect(response.statusCode).toBe(401);
      expect(response.json().error).toMatchObject({ code: 'AUTH.TOKEN_EXPIRED', legacy_code: 4010 });
    } finally {
      t.clock.advance(-901_000);
    }
  });

  it('rejects tampered, alg:none, wrong-key, HS256 and wrong-audience tokens with 401 AUTH.INVALID_TOKEN', async () => {
    const user = await register(t);
    const claims = await claimsOf(user);
    const [header, payload, signature] = user.accessToken.split('.');
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url');
    const tampered = `${header}.${tamperedPayload}.${signature}`;
    const none = new UnsecuredJWT(claims).encode();

    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const jwks = (await t.request({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    const kid = jwks.keys[0].kid as string;
    const wrongKey = await new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid }).sign(privateKey);
    const publicJwk = JSON.stringify(jwks.keys[0]);
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid })
      .sign(new TextEncoder().encode(publicJwk));
    const { aud: _aud, ...withoutAudience } = claims;
    const wrongAudience = await new SignJWT({ ...withoutAudience, aud: 'someone-else' })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .sign(privateKey);

    for (const token of [tampered, none, wrongKey, hs256, wrongAudience, `${payload}`, 'not-a-jwt']) {
      const response = await me(`Bearer ${token}`);
      expect(response.statusCode, token).toBe(401);
      expect(response.json().error).toMatchObject({ code: 'AUTH.INVALID_TOKEN', legacy_code: 4010 });
    }
    // The published key is public only.
    expect(JSON.parse(publicJwk)).not.toHaveProperty('d');
  });

  it('answers a missing Authorization header with 401 AUTH.UNAUTHENTICATED', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/me' });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe('AUTH.UNAUTHENTICATED');
  });
});

describe('tenants', () => {
  it('answers an unknown tenant with 404 TENANT.NOT_FOUND', async () => {
    for (const tenant of ['no-such-tenant', 'Bad Slug!']) {
      const response = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-tenant': tenant }, payload: { email: 'a@b.co', password: 'x' } });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('TENANT.NOT_FOUND');
    }
  });
});

describe('error model', () => {
  it('answers malformed JSON with 400 REQUEST.MALFORMED', async () => {
    const response = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('REQUEST.MALFORMED');
  });

  it('answers an unknown field with 422 naming it, one entry per bad field', async () => {
    const response = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { name: '', email: 'not-an-email', password: 'short', is_admin: true },
    });
    expect(response.statusCode).toBe(422);
    const { code, details } = response.json().error;
    expect(code).toBe('VALIDATION.FAILED');
    expect(Object.keys(details).sort()).toEqual(['email', 'is_admin', 'name', 'password']);
  });

  it('does not coerce body types: a string where a boolean belongs is a 422', async () => {
        const response = await t.request({ method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { self_signup: 'false' } });
    expect(response.statusCode).toBe(422);
    expect(response.json().error.details).toHaveProperty('self_signup');
  });

  it('answers an oversized body with 413 and a wrong content type with 415', async () => {
    const big = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(t.config.bodyLimitBytes) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('REQUEST.BODY_TOO_LARGE');
    const text = await t.request({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'text/plain' }, payload: 'hi' });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('REQUEST.UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers an unknown route with a JSON 404', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('ROUTE.NOT_FOUND');
  });

  it('localizes messages by Accept-Language, falling back to the tenant default locale', async () => {
    const es = await t.request({ method: 'GET', url: '/api/v1/me', headers: { 'accept-language': 'es-DO,es;q=0.9,en;q=0.5' } });
    expect(es.json().error.message).toBe('Se requiere autenticación.');
    const fr = await t.request({ method: 'GET', url: '/api/v1/me', headers: { 'accept-language': 'fr' } });
    expect(fr.json().error.message).toBe('Authentication is required.');

        await t.request({ method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { default_locale: 'es' } });
    try {
      const fallback = await t.request({ method: 'GET', url: '/api/v1/me', headers: { 'accept-language': 'fr' } });
      expect(fallback.json().error.message).toBe('Se requiere autenticación.');
    } finally {
      await t.request({ method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { default_locale: 'en' } });
    }
  });
});

