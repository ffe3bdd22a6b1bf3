/**
 * Signing-key rotation (issue 20), as `tessera keys rotate` runs it: a new key signs from then
 * on; the older ones stay published and keep verifying until what they signed has expired,
 * then a later rotation drops them; a server started before the rotation verifies tokens
 * signed after it by reading the keys again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rotateSigningKey, SUPERSEDED_KEY_KEPT_SECONDS } from '../../src/modules/identity/signing-keys.service.ts';
import { register, signInAgain, startSecondApp, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

const apps: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (apps.length > 0) await apps.pop()?.close();
});

const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid: string }).kid;
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
    expect(rotation).toEqual({ added: expect.any(String), dropped: [], kept: [oldKid] });

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

  it('drops a superseded key only on a rotation after its successor is older than the longest token lifetime, and never the oldest', async () => {
    const t = await startTestApp();
    apps.push(t);
    const [first] = await publishedKids(t.app);
    const second = await rotate(t);

    t.clock.advance((SUPERSEDED_KEY_KEPT_SECONDS - 10) * 1000);
    const third = await rotate(t);
    expect(third).toMatchObject({ dropped: [], kept: [first, second.added] });

    // The first is past its time too, but the refresh-token successor key is derived from the oldest.
    t.clock.advance(10_000);
    const fourth = await rotate(t);
    expect(fourth).toMatchObject({ dropped: [], kept: [first, second.added, third.added] });

    t.clock.advance(SUPERSEDED_KEY_KEPT_SECONDS * 1000);
    const fifth = await rotate(t);
    expect(fifth).toMatchObject({ dropped: [second.added, third.added], kept: [first, fourth.added] });

    const restarted = await startSecondApp(t, {});
    apps.push(restarted);
    expect(await publishedKids(restarted.app)).toEqual([first, fourth.added, fifth.added]);
  });
});
