/**
 * Guessing a tenant's portal access code: wrong codes are counted per tenant and client
 * address (AUTH_RATE_LIMIT_MAX per AUTH_RATE_LIMIT_WINDOW_SECONDS); past the limit that
 * address is refused (429) on the tenant's portal before its code is compared, so even the
 * right code is refused until the window ends, and nothing it asks for is done. A missing
 * or empty code is not a guess, and a wrong one sent again is one guess; a burst of guesses
 * in parallel is counted as each is compared. Other addresses and other tenants' portals are not affected.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, register, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

const MAX = 3;
const WINDOW_SECONDS = 2;
const CODE = 'portal-code-123';
const HEADER = 'x-portal-access-code';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: String(MAX), AUTH_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS) } });
});
afterAll(async () => t.close());

/** A tenant of its own with a portal code, and its owner. */
async function portalTenant(slug: string): Promise<Session> {
  await createTenant(t, slug);
  const owner = await register(t, { tenant: slug, email: uniqueEmail(slug) });
  const set = await t.request({ method: 'PATCH', url: '/api/v1/tenant', headers: { ...owner.auth, 'x-tenant': slug }, payload: { portal_access_code: CODE } });
  expect(set.statusCode, set.body).toBe(200);
  return owner;
}

function fromAddress(address: string, slug: string, owner: Session, code: string | undefined, write = false) {
  return t.request({
    method: write ? 'POST' : 'GET',
    url: write ? '/web/v1/workspaces/self' : '/web/v1/tenant/workspaces/mine',
    remoteAddress: address,
    headers: { ...owner.auth, 'x-tenant': slug, ...(code === undefined ? {} : { [HEADER]: code }) },
    ...(write ? { payload: { name: `Guessed ${address}` } } : {}),
  });
}

async function workspacesOf(slug: string): Promise<number> {
  const row = await t.db
    .selectFrom('workspaces')
    .innerJoin('tenants', 'tenants.id', 'workspaces.tenant_id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenants.slug', '=', slug)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('wrong portal access codes', () => {
  it('refuse an address past the limit, the right code included, until the window ends; a missing code is not counted', async () => {
    const slug = `portal-guess-${process.pid}`;
    const owner = await portalTenant(slug);
    const guesser = '10.20.30.40';
    for (const missing of [undefined, '', undefined, '', undefined]) expect((await fromAddress(guesser, slug, owner, missing)).statusCode).toBe(403);
    // A stale code sent again (an open tab after the code changed) is one guess, not many.
    for (let i = 0; i < MAX + 2; i += 1) expect((await fromAddress(guesser, slug, owner, 'wrong-code-000')).statusCode).toBe(403);
    for (let i = 0; i < MAX; i += 1) {
      const wrong = await fromAddress(guesser, slug, owner, `wrong-code-00${i}`);
      expect(wrong.statusCode, wrong.body).toBe(403);
      expect(wrong.json().error.code).toBe('PORTAL.ACCESS_DENIED');
    }
    const past = await fromAddress(guesser, slug, owner, 'wrong-code-999');
    expect(past.statusCode, past.body).toBe(429);
    expect(past.json().error.code).toBe('AUTH.RATE_LIMITED');
    expect(Number(past.headers['retry-after'])).toBeGreaterThan(0);

    // Refused before the code is compared: the right one too, and a write does nothing.
    const before = await workspacesOf(slug);
    for (const code of [CODE, undefined]) {
      const refused = await fromAddress(guesser, slug, owner, code, true);
      expect(refused.statusCode, refused.body).toBe(429);
      expect(refused.json().error.code).toBe('AUTH.RATE_LIMITED');
    }
    expect(await workspacesOf(slug)).toBe(before);

    // Another address keeps its own count and gets in with the code.
    expect((await fromAddress('10.20.30.41', slug, owner, CODE)).statusCode).toBe(200);
    expect((await fromAddress('10.20.30.41', slug, owner, 'wrong-code-000')).statusCode).toBe(403);

    // Another tenant's portal is not this one: the same address is counted there afresh.
    const otherSlug = `portal-other-${process.pid}`;
    const otherOwner = await portalTenant(otherSlug);
    expect((await fromAddress(guesser, otherSlug, otherOwner, CODE)).statusCode).toBe(200);
    expect((await fromAddress(guesser, otherSlug, otherOwner, 'wrong-code-000')).statusCode).toBe(403);

    // The /api/v1 surface is not behind the portal code: the limited address still uses it.
    const api = await t.request({ method: 'GET', url: '/api/v1/me', remoteAddress: guesser, headers: { ...owner.auth, 'x-tenant': slug } });
    expect(api.statusCode, api.body).toBe(200);

    // A burst from a new address: the guesses are counted as each is compared, not after the
    // load they all wait for, so no more than the limit are compared.
    const burst = await Promise.all(
      Array.from({ length: MAX + 12 }, (_, i) => fromAddress('10.20.30.42', slug, owner, `burst-code-${String(i).padStart(3, '0')}`)),
    );
    const statuses = burst.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 403)).toHaveLength(MAX);
    expect(statuses.filter((status) => status === 429)).toHaveLength(12);

    await sleep(WINDOW_SECONDS * 1000 + 300);
    const after = await fromAddress(guesser, slug, owner, CODE, true);
    expect(after.statusCode, after.body).toBe(201);
    expect(await workspacesOf(slug)).toBe(before + 1);
  }, 20_000);
});
