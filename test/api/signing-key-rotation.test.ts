/**
 * Signing-key rotation (issue 20), as `tessera keys rotate` runs it: a new key signs from then
 * on; the older ones stay published and keep verifying until what they signed has expired,
 * then they retire: they verify nothing, not even a token signed with them later (a leaked
 * key), and a later rotation drops them, all but the oldest. A server started before the
 * rotation verifies tokens signed after it by reading the keys again, signs with the new key
 * within a minute, and refuses a retired key without a restart.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createAccessTokens, KEY_SET_MAX_AGE_SECONDS } from '../../src/core/auth/jwt.ts';
import { readSigningKeys, rotateSigningKey, SUPERSEDED_KEY_KEPT_SECONDS } from '../../src/modules/identity/signing-keys.service.ts';
import { register, signInAgain, startSecondApp, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

const apps: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()?.close();
});

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function publishedKids(app: TestApp['app']): Promise<string[]> {
  const response = await app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
  return (response.json().keys as Array<{ kid: string }>).map((key) => key.kid);
}

/** Rotates as the CLI does, a second after whatever came before (keys are ordered by creation). */
async function rotate(t: TestApp) {
  t.clock.advance(1000);
  return rotateSigningKey({ db: t.db, clock: t.clock, secrets: t.secrets });
}

describe('tessera keys rotate', () => {
  /** A sign-in on another app than the test's own. */
  const signInOn = (t: TestApp, app: TestApp['app'], user: Session) => signInAgain({ ...t, request: (options) => app.inject(options) }, user);

  it('signs with the new key from then on, keeps the old one verifying, and servers started before learn the new key', async () => {
    const t = await startTestApp();
    apps.push(t);
    const startedBefore = await startSecondApp(t, {});
    apps.push(startedBefore);
    const user: Session = await register(t);
    const [oldKid] = await publishedKids(t.app);

    const rotation = await rotate(t);
    expect(rotation).toEqual({ added: expect.any(String), dropped: [], retired: [], kept: [oldKid] });

    const startedAfter = await startSecondApp(t, {});
    apps.push(startedAfter);
    expect(await publishedKids(startedAfter.app)).toEqual([oldKid, rotation.added]);
    const fresh = await signInOn(t, startedAfter.app, user);
    expect(kidOf(fresh.accessToken)).toBe(rotation.added);
    expect(kidOf(user.accessToken)).toBe(oldKid);

    // The old token verifies everywhere; the new one, on a server that loaded its keys before the rotation too.
    for (const app of [t.app, startedBefore.app, startedAfter.app]) {
      expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: user.auth })).statusCode).toBe(200);
    }
    expect(await publishedKids(startedBefore.app)).toEqual([oldKid]);
    expect((await startedBefore.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(fresh.accessToken) })).statusCode).toBe(200);
    expect(await publishedKids(startedBefore.app)).toEqual([oldKid, rotation.added]);
    // Having read them, it signs with the newest too.
    const signedThere = await signInOn(t, startedBefore.app, user);
    expect(kidOf(signedThere.accessToken)).toBe(rotation.added);
  });

  it(`has a server that meets no token of the new key sign with it once its keys are ${KEY_SET_MAX_AGE_SECONDS} s old`, async () => {
    const t = await startTestApp();
    apps.push(t);
    const user = await register(t);
    const rotation = await rotate(t);
    expect(kidOf((await signInAgain(t, user)).accessToken)).not.toBe(rotation.added);
    t.clock.advance(KEY_SET_MAX_AGE_SECONDS * 1000);
    const signed = await signInAgain(t, user);
    expect(kidOf(signed.accessToken)).toBe(rotation.added);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: signed.auth })).statusCode).toBe(200);
  });

  it('retires a superseded key once nothing it signed is valid: a token signed with it later is refused, by a server started before too', async () => {
    const t = await startTestApp();
    apps.push(t);
    const startedBefore = await startSecondApp(t, {});
    apps.push(startedBefore);
    const user = await register(t);
    const [leaked] = await readSigningKeys(t.db, t.secrets);
    const { iss } = decodeJwt(user.accessToken);
    // Whoever holds the leaked key signs what they like with it, as the server signed.
    const forger = await createAccessTokens({ keys: [leaked!], issuer: iss!, ttlSeconds: 900, clock: t.clock });
    const forge = async (session: Session) => {
      const { sub, sid, tid } = decodeJwt<{ sid: number; tid: number }>(session.accessToken);
      return bearer(await forger.sign({ userId: Number(sub), sessionId: sid, tenantId: tid }));
    };
    const rotation = await rotate(t);

    t.clock.advance((SUPERSEDED_KEY_KEPT_SECONDS - 10) * 1000);
    let session = await signInAgain(t, user);
    for (const app of [t.app, startedBefore.app]) {
      expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: await forge(session) })).statusCode).toBe(200);
      expect(await publishedKids(app)).toEqual([leaked!.kid, rotation.added]);
    }

    t.clock.advance(10_000);
    session = await signInAgain(t, user);
    for (const app of [t.app, startedBefore.app]) {
      const refused = await app.inject({ method: 'GET', url: '/api/v1/me', headers: await forge(session) });
      expect([refused.statusCode, refused.json().error.code]).toEqual([401, 'AUTH.INVALID_TOKEN']);
      expect(await publishedKids(app)).toEqual([rotation.added]);
      expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: session.auth })).statusCode).toBe(200);
    }
  });

  it('drops a superseded key only on a rotation after it retired, and keeps the oldest stored but retired', async () => {
    const t = await startTestApp();
    apps.push(t);
    const [first] = await publishedKids(t.app);
    const second = await rotate(t);

    t.clock.advance((SUPERSEDED_KEY_KEPT_SECONDS - 10) * 1000);
    const third = await rotate(t);
    expect(third).toMatchObject({ dropped: [], retired: [], kept: [first, second.added] });

    // The first is past its time too, but the refresh-token successor key is derived from the oldest.
    t.clock.advance(10_000);
    const fourth = await rotate(t);
    expect(fourth).toMatchObject({ dropped: [], retired: [first], kept: [second.added, third.added] });

    t.clock.advance(SUPERSEDED_KEY_KEPT_SECONDS * 1000);
    const fifth = await rotate(t);
    expect(fifth).toMatchObject({ dropped: [second.added, third.added], retired: [first], kept: [fourth.added] });

    const restarted = await startSecondApp(t, {});
    apps.push(restarted);
    expect(await publishedKids(restarted.app)).toEqual([fourth.added, fifth.added]);
    expect((await readSigningKeys(t.db, t.secrets)).map((key) => key.kid)).toEqual([first, fourth.added, fifth.added]);
  });
});
