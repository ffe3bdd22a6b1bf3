import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import {
  PASSWORD,
  api,
  killAllServers,
  registerUser,
  serverOutput,
  spawnServer,
  uniqueProcessEmail,
} from '../support/process.ts';

describe('a restart on the same data', () => {
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await killAllServers();
    await database?.drop();
    database = undefined;
  });

  it('keeps users, tenants and the signing key', { timeout: 60_000 }, async () => {
    database = await createTestDatabase();

    const first = await spawnServer(database.env);
    await first.waitReady();
    const jwksBefore = await api(first.url, 'GET', '/.well-known/jwks.json');
    expect(jwksBefore.status).toBe(200);
    expect(jwksBefore.body.keys).toHaveLength(1);

    const email = uniqueProcessEmail('restart');
    const session = await registerUser(first, email);
    // The first user owns the default tenant; a renamed tenant shows the change survived.
    const tenantName = `Renamed ${Date.now()}`;
    const renamed = await api(first.url, 'PATCH', '/api/v1/tenant', {
      token: session.accessToken,
      body: { name: tenantName },
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);

    const graceful = await first.stop();
    expect(graceful, `SIGTERM must shut down cleanly\n${serverOutput(first)}`).toEqual({ code: 0, signal: null });

    const second = await spawnServer(database.env);
    await second.waitReady();

    const me = await api(second.url, 'GET', '/api/v1/me', { token: session.accessToken });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.data).toMatchObject({ id: session.userId, email, tenant_role: 'owner' });
    expect(me.body.data.tenant).toEqual({ slug: 'default', name: tenantName });

    const tenant = await api(second.url, 'GET', '/api/v1/tenant', { token: session.accessToken });
    expect(tenant.status).toBe(200);
    expect(tenant.body.data).toMatchObject({ slug: 'default', name: tenantName });

    const login = await api(second.url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body.data.user.id).toBe(session.userId);

    // The refresh token issued before the restart still rotates.
    const refreshed = await api(second.url, 'POST', '/api/v1/auth/refresh', {
      body: { refresh_token: session.refreshToken },
    });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);

    const jwksAfter = await api(second.url, 'GET', '/.well-known/jwks.json');
    expect(jwksAfter.status).toBe(200);
    expect(jwksAfter.body.keys.map((key: { kid: string }) => key.kid)).toEqual(
      jwksBefore.body.keys.map((key: { kid: string }) => key.kid),
    );

    expect(await second.stop(), serverOutput(second)).toEqual({ code: 0, signal: null });
  });
});
