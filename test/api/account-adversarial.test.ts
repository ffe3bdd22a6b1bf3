/**
 * The account life cycle (issue 19) as an attacker tries it, kept from an adversarial review:
 * a closed tenant's sign-up through made-up invitations, a pending e-mail change or a sign-in
 * challenge that outlives the owner locking the intruder out, what an account taken back by
 * its address's owner leaves behind, policy bypasses and races with the policy, tokens across
 * purposes, tenants and disabled accounts, odd input, enumeration and rate limits. Each test's
 * name says what must hold; the bracketed tag is the finding it was written for.
 */
import { Secret, TOTP } from 'otpauth';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { createTenantsService } from '../../src/modules/tenants/tenants.service.ts';
import { startSmtp, type ReceivedMessage, type SmtpSink } from '../support/smtp.ts';
import { createWorkspace, register, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

const PUBLIC_URL = 'https://app.example.test';
const PASSWORD = 'correct horse battery';

let smtp: SmtpSink;
let t: TestApp;

type Headers = Record<string, string>;
type Call = { status: number; body: { data?: any; error?: { code: string; details?: unknown }; message?: string } };

beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '50', PUBLIC_URL } });
});

afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});

afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

async function callOn(app: TestApp, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options: { headers?: Headers; body?: unknown } = {}): Promise<Call> {
  const response = await app.request({ method, url: `/api/v1${url}`, headers: options.headers ?? {}, ...(options.body === undefined ? {} : { payload: options.body as object }) });
  let body: Call['body'];
  try {
    body = response.json();
  } catch {
    body = { message: response.body };
  }
  return { status: response.statusCode, body };
}
const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options: { headers?: Headers; body?: unknown } = {}) => callOn(t, method, url, options);

const messagesTo = (email: string) => smtp.messages.filter((message) => message.recipients.includes(email));
async function mailTo(email: string, subject: RegExp, count = 1): Promise<ReceivedMessage> {
  const matching = () => messagesTo(email).filter((message) => subject.test(message.subject));
  await smtp.waitUntil(() => matching().length >= count, 10_000, `message ${count} to ${email} matching ${subject}`);
  return matching()[count - 1]!;
}
function linkToken(message: ReceivedMessage, action: 'verify' | 'reset' | 'email', tenant = 'default'): string {
  const match = new RegExp(`${PUBLIC_URL}/account\\?tenant=${tenant}#${action}=([^\\s]+)`).exec(message.text);
  if (!match) throw new Error(`no ${action} link in: ${message.text}`);
  return decodeURIComponent(match[1]!);
}
async function signIn(email: string, password = PASSWORD, headers: Headers = {}) {
  return call('POST', '/auth/login', { headers: { 'user-agent': 'probe/1.0', ...headers }, body: { email, password } });
}
const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

async function verifiedUser(name = 'Verified', tenant = 'default'): Promise<Session> {
  const session = await register(t, { name, ...(tenant === 'default' ? {} : { tenant }) });
  const token = linkToken(await mailTo(session.email, /Confirm your e-mail/), 'verify', tenant);
  const confirmed = await call('POST', '/auth/email-verification/confirm', { headers: { 'x-tenant': tenant }, body: { token } });
  expect(confirmed.status).toBe(200);
  return session;
}
const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() + offsetSeconds * 1000 });
const nextStep = () => t.clock.advance(30_000);

async function enrollTotp(auth: Headers, extra: Headers = {}) {
  const started = await call('POST', '/me/mfa/totp', { headers: { ...auth, ...extra } });
  expect(started.status).toBe(201);
  const secret = started.body.data.secret as string;
  const confirmed = await call('POST', '/me/mfa/totp/confirm', { headers: { ...auth, ...extra }, body: { code: codeAt(secret) } });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { secret, recoveryCodes: confirmed.body.data.recovery_codes as string[] };
}
async function signInWithCode(email: string, secret: string, headers: Headers = {}): Promise<Headers> {
  const challenge = await signIn(email, PASSWORD, headers);
  expect(challenge.status, JSON.stringify(challenge.body)).toBe(202);
  nextStep();
  const verified = await call('POST', '/auth/mfa/verify', { headers, body: { mfa_token: challenge.body.data.mfa_token, code: codeAt(secret) } });
  expect(verified.status, JSON.stringify(verified.body)).toBe(200);
  return bearer(verified.body.data.access_token);
}

// The default tenant's owner (first user), with TOTP.
let owner: Session;
let ownerSecret: string;
const ownerAuth = () => signInWithCode(owner.email, ownerSecret);
async function setPolicy(policy: Record<string, unknown>, tenant = 'default', auth?: Headers) {
  const headers = { ...(auth ?? (await ownerAuth())), 'x-tenant': tenant };
  const response = await call('PATCH', '/tenant/account-policy', { headers, body: policy });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

beforeAll(async () => {
  owner = await verifiedUser('Owner');
  ownerSecret = (await enrollTotp(owner.auth)).secret;
});

const no500 = (responses: Call[]) => {
  for (const response of responses) expect(response.status, JSON.stringify(response.body)).toBeLessThan(500);
};

// ---------------------------------------------------------------------------------------------
describe('registration under a non-optional policy with self sign-up off', () => {
  let closedOwner: Headers;
  beforeAll(async () => {
    await createTenantsService({ db: t.db, clock: t.clock }).createTenant({ slug: 'closed', name: 'Closed', selfSignup: true });
    const first = await register(t, { name: 'Closed owner', tenant: 'closed' });
    const token = linkToken(await mailTo(first.email, /Confirm your e-mail/), 'verify', 'closed');
    expect((await call('POST', '/auth/email-verification/confirm', { headers: { 'x-tenant': 'closed' }, body: { token } })).status).toBe(200);
    closedOwner = { ...first.auth, 'x-tenant': 'closed' };
    expect((await call('PATCH', '/tenant', { headers: closedOwner, body: { self_signup: false } })).status).toBe(200);
    // Self sign-up is now closed:
    const plain = await call('POST', '/auth/register', { headers: { 'x-tenant': 'closed' }, body: { name: 'X', email: uniqueEmail('plain'), password: PASSWORD } });
    expect(plain.body.error?.code).toBe('AUTH.SIGNUP_DISABLED');
  });

  for (const policy of ['before_joining', 'before_sign_in'] as const) {
    it(`[P1:${policy}] a bogus invitation_token or invite_code does not open a closed tenant`, async () => {
      await setPolicy({ email_verification: policy }, 'closed', closedOwner);
      try {
        const withToken = await call('POST', '/auth/register', {
          headers: { 'x-tenant': 'closed' },
          body: { name: 'Intruder', email: uniqueEmail('intruder'), password: PASSWORD, invitation_token: 'not-a-real-token' },
        });
        const withCode = await call('POST', '/auth/register', {
          headers: { 'x-tenant': 'closed' },
          body: { name: 'Intruder', email: uniqueEmail('intruder'), password: PASSWORD, invite_code: 'NOPE' },
        });
        expect.soft(withToken.status, `bogus invitation_token: ${JSON.stringify(withToken.body)}`).toBeGreaterThanOrEqual(400);
        expect.soft(withCode.status, `bogus invite_code: ${JSON.stringify(withCode.body)}`).toBeGreaterThanOrEqual(400);
      } finally {
        await setPolicy({ email_verification: 'optional' }, 'closed', closedOwner);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
describe('a pending e-mail change outlives the recovery of the account', () => {
  it('[P3a] changing the password retires a pending e-mail change link (an intruder with the old password asked for it)', async () => {
    const victim = await verifiedUser('Email victim');
    // The intruder has a session and the password: asks to move the account to their address.
    const intruder = await signIn(victim.email);
    const attackerAddress = uniqueEmail('attacker');
    expect((await call('POST', '/me/email', { headers: bearer(intruder.body.data.access_token), body: { email: attackerAddress, current_password: PASSWORD } })).status).toBe(202);
    const token = linkToken(await mailTo(attackerAddress, /Confirm your new e-mail/), 'email');
    // The victim notices and changes the password (ending every other session).
    const changed = await call('PUT', '/me/password', { headers: victim.auth, body: { current_password: PASSWORD, new_password: 'the victims new password' } });
    expect(changed.status).toBe(200);
    expect((await call('GET', '/me', { headers: bearer(intruder.body.data.access_token) })).status).toBe(401);
    // The intruder's link must be dead now.
    const taken = await call('POST', '/auth/email-change/confirm', { body: { token } });
    expect(taken.status, 'pending e-mail change survived a password change').toBe(400);
  });

  it('[P3b] ending all other sessions retires a pending e-mail change link too', async () => {
    const victim = await verifiedUser('Email victim 2');
    const intruder = await signIn(victim.email);
    const attackerAddress = uniqueEmail('attacker');
    await call('POST', '/me/email', { headers: bearer(intruder.body.data.access_token), body: { email: attackerAddress, current_password: PASSWORD } });
    const token = linkToken(await mailTo(attackerAddress, /Confirm your new e-mail/), 'email');
    expect((await call('DELETE', '/me/sessions', { headers: victim.auth })).status).toBe(200);
    const taken = await call('POST', '/auth/email-change/confirm', { body: { token } });
    expect.soft(taken.status, 'pending e-mail change survived "sign out everywhere"').toBe(400);
  });

  it('[P3c] a newer e-mail change request retires the older link', async () => {
    const user = await verifiedUser('Two moves');
    const first = uniqueEmail('first');
    const second = uniqueEmail('second');
    await call('POST', '/me/email', { headers: user.auth, body: { email: first, current_password: PASSWORD } });
    await call('POST', '/me/email', { headers: user.auth, body: { email: second, current_password: PASSWORD } });
    const secondToken = linkToken(await mailTo(second, /Confirm your new e-mail/), 'email');
    const firstMessages = messagesTo(first);
    if (firstMessages.length > 0) {
      const firstToken = linkToken(firstMessages[0]!, 'email');
      expect((await call('POST', '/auth/email-change/confirm', { body: { token: firstToken } })).status).toBe(400);
    }
    expect((await call('POST', '/auth/email-change/confirm', { body: { token: secondToken } })).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------
describe('invitation squatting: the squatter loses everything', () => {
  it('[P5] an API key the squatter made dies when the address owner takes the account back', async () => {
    const admin = await verifiedUser('Squat admin');
    const workspace = await createWorkspace(t, admin, 'Squatted branch');
    const ws = { 'x-workspace-id': String(workspace.id) };
    const victim = uniqueEmail('ceo');
    const invitation = await call('POST', '/invitations', { headers: { ...admin.auth, ...ws }, body: { email: victim, role: 'admin' } });
    expect(invitation.status, JSON.stringify(invitation.body)).toBe(201);
    const squatted = await call('POST', '/auth/register', { body: { name: 'Squatter', email: victim, password: 'squatters password', invitation_token: invitation.body.data.token } });
    expect(squatted.status).toBe(201);
    const squatter = bearer(squatted.body.data.access_token);
    const key = await call('POST', '/api-keys', { headers: { ...squatter, ...ws }, body: { name: 'backdoor', scopes: ['workspaces:view'] } });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const keyAuth = bearer(key.body.data.secret);
    expect((await call('GET', `/workspaces/${workspace.id}`, { headers: { ...keyAuth, ...ws } })).status).toBe(200);

    await call('POST', '/auth/password-reset', { body: { email: victim } });
    const token = linkToken(await mailTo(victim, /Reset your/), 'reset');
    expect((await call('POST', '/auth/password-reset/confirm', { body: { token, password: 'the real owners password' } })).status).toBe(200);
    expect((await call('GET', '/me', { headers: squatter })).status).toBe(401);
    const after = await call('GET', `/workspaces/${workspace.id}`, { headers: { ...keyAuth, ...ws } });
    expect(after.status, "the squatter's API key still works after the take-back").toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------
describe('before_sign_in and a second-factor challenge issued before it', () => {
  it('[P6] an unproved account cannot finish an MFA challenge started before the policy', async () => {
    const unproved = await register(t, { name: 'Unproved MFA' });
    const { secret } = await enrollTotp(unproved.auth);
    const challenge = await signIn(unproved.email);
    expect(challenge.status).toBe(202);
    await setPolicy({ email_verification: 'before_sign_in' });
    try {
      expect((await call('GET', '/me', { headers: unproved.auth })).status).toBe(401);
      nextStep();
      const verified = await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge.body.data.mfa_token, code: codeAt(secret) } });
      expect(verified.status, `unproved account signed in under before_sign_in: ${JSON.stringify(verified.body.data?.user)}`).toBeGreaterThanOrEqual(400);
    } finally {
      await setPolicy({ email_verification: 'optional' });
    }
  });

  it('[P6b] an admin without a second factor cannot use a refresh token after mfa_required_for_admins (held)', async () => {
    const admin = await verifiedUser('Refresh admin');
    const auth = await ownerAuth();
    expect((await call('PUT', `/tenant/users/${admin.userId}`, { headers: auth, body: { tenant_role: 'admin' } })).status).toBe(200);
    await setPolicy({ mfa_required_for_admins: true }, 'default', auth);
    try {
      const refreshed = await call('POST', '/auth/refresh', { body: { refresh_token: admin.refreshToken } });
      expect(refreshed.status).toBe(401);
    } finally {
      await setPolicy({ mfa_required_for_admins: false }, 'default', auth);
      await call('PUT', `/tenant/users/${admin.userId}`, { headers: auth, body: { tenant_role: 'member' } });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('API keys on /me routes', () => {
  it('[P7] every /me and account route answers an API key with 403 (or 401), never 2xx or 500', async () => {
    const user = await verifiedUser('Key maker');
    const workspace = await createWorkspace(t, user, 'Key branch');
    const ws = { 'x-workspace-id': String(workspace.id) };
    const key = await call('POST', '/api-keys', { headers: { ...user.auth, ...ws }, body: { name: 'k', scopes: ['workspaces:view'] } });
    expect(key.status).toBe(201);
    const keyAuth = { ...bearer(key.body.data.secret), ...ws };
    const routes: Array<[any, string, unknown?]> = [
      ['GET', '/me'],
      ['PATCH', '/me', { name: 'Key renamed' }],
      ['PUT', '/me/password', { current_password: PASSWORD, new_password: 'whatever password' }],
      ['POST', '/me/email', { email: uniqueEmail('key'), current_password: PASSWORD }],
      ['GET', '/me/sessions'],
      ['DELETE', '/me/sessions'],
      ['DELETE', '/me/sessions/1'],
      ['GET', '/me/mfa'],
      ['POST', '/me/mfa/totp'],
      ['POST', '/me/mfa/totp/confirm', { code: '123456' }],
      ['POST', '/me/mfa/disable', { code: '123456' }],
      ['POST', '/me/mfa/recovery-codes', { code: '123456' }],
      ['GET', `/tenant/users/${user.userId}/sessions`],
      ['DELETE', `/tenant/users/${user.userId}/sessions`],
      ['GET', '/tenant/account-policy'],
      ['PATCH', '/tenant/account-policy', { email_verification: 'optional' }],
      ['GET', '/tenant/audit-events'],
    ];
    const results: string[] = [];
    for (const [method, url, body] of routes) {
      const response = await call(method, url, { headers: keyAuth, ...(body === undefined ? {} : { body }) });
      results.push(`${method} ${url} -> ${response.status} ${response.body.error?.code ?? ''}`);
      expect.soft(response.status, `${method} ${url}`).toBeGreaterThanOrEqual(401);
      expect.soft(response.status, `${method} ${url}`).toBeLessThan(500);
    }
    console.log(results.join('\n'));
    expect((await call('GET', '/me', { headers: user.auth })).body.data.name).toBe('Key maker');
  });
});

// ---------------------------------------------------------------------------------------------
describe('PATCH /me with odd input', () => {
  it('[P8] every bad input is a 4xx that changes nothing', async () => {
    const user = await verifiedUser('Odd Input');
    const bad: unknown[] = [
      { name: '' },
      { name: '   ' },
      { name: '\u00a0\u00a0' },
      { name: '\u200b' },
      { name: 'a\u0000b' },
      { name: 'line\nbreak' },
      { name: 'bidi\u202eevil' },
      { name: 'x'.repeat(101) },
      { name: 'x'.repeat(100_000) },
      { name: null },
      { name: 42 },
      { name: ['a'] },
      { locale: 'fr' },
      { locale: 'EN' },
      { locale: '' },
      { locale: 123 },
      { locale: 'en', extra: 1 },
      {},
      [],
      'string',
      { name: '\ud800' },
      { __proto__: { name: 'x' } },
    ];
    const results: string[] = [];
    for (const body of bad) {
      const response = await t.request({ method: 'PATCH', url: '/api/v1/me', headers: { ...user.auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      results.push(`${JSON.stringify(body)?.slice(0, 40)} -> ${response.statusCode}`);
      expect.soft(response.statusCode, JSON.stringify(body)?.slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect.soft(response.statusCode, JSON.stringify(body)?.slice(0, 60)).toBeLessThan(500);
    }
    // Raw bodies that are not JSON at all.
    for (const payload of ['{', 'null', '"x"', '{"name": "a", "name": ""}']) {
      const response = await t.request({ method: 'PATCH', url: '/api/v1/me', headers: { ...user.auth, 'content-type': 'application/json' }, payload });
      results.push(`raw ${payload} -> ${response.statusCode}`);
      expect.soft(response.statusCode, `raw ${payload}`).toBeGreaterThanOrEqual(400);
      expect.soft(response.statusCode, `raw ${payload}`).toBeLessThan(500);
    }
    console.log(results.join('\n'));
    const me = await call('GET', '/me', { headers: user.auth });
    expect(me.body.data).toMatchObject({ name: 'Odd Input', locale: null });
  });

  it('[P8b] a visually blank name made of non-space filler characters (U+3164, U+2800) is refused', async () => {
    const user = await verifiedUser('Filler');
    for (const name of ['\u3164', '\u2800', '\u115f']) {
      const response = await call('PATCH', '/me', { headers: user.auth, body: { name } });
      expect.soft(response.status, `name ${JSON.stringify(name)}`).toBe(422);
    }
  });

  it('[P8c] a name with surrounding spaces is stored trimmed; null locale goes back to the tenant (held?)', async () => {
    const user = await verifiedUser('Trim');
    const patched = await call('PATCH', '/me', { headers: user.auth, body: { name: '  Spaced  ', locale: 'es' } });
    expect(patched.body.data).toMatchObject({ name: 'Spaced', locale: 'es' });
    const back = await call('PATCH', '/me', { headers: user.auth, body: { locale: null } });
    expect(back.body.data.locale).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
describe('sessions: odd ids, other users, other tenants', () => {
  it('[P9] odd session ids are 404/422, never 500', async () => {
    const user = await verifiedUser('Odd ids');
    const results: string[] = [];
    for (const id of ['0', '-1', 'abc', '1.5', '99999999999999999999', '9007199254740993', '%00', '1e3', '0x10', ' 1']) {
      const response = await call('DELETE', `/me/sessions/${encodeURIComponent(id)}`, { headers: user.auth });
      results.push(`${id} -> ${response.status} ${response.body.error?.code}`);
      expect.soft(response.status, id).toBeGreaterThanOrEqual(400);
      expect.soft(response.status, id).toBeLessThan(500);
      const admin = await call('GET', `/tenant/users/${encodeURIComponent(id)}/sessions`, { headers: user.auth });
      expect.soft(admin.status, `tenant users ${id}`).toBeLessThan(500);
    }
    console.log(results.join('\n'));
    expect((await call('GET', '/me', { headers: user.auth })).status).toBe(200);
  });

  it("[P10] another tenant's owner can neither list nor end a default-tenant user's sessions", async () => {
    await createTenantsService({ db: t.db, clock: t.clock }).createTenant({ slug: 'elsewhere', name: 'Elsewhere', selfSignup: true });
    const foreignOwner = await register(t, { name: 'Foreign owner', tenant: 'elsewhere' });
    const target = await verifiedUser('Target');
    const foreign = { ...foreignOwner.auth, 'x-tenant': 'elsewhere' };
    const list = await call('GET', `/tenant/users/${target.userId}/sessions`, { headers: foreign });
    const end = await call('DELETE', `/tenant/users/${target.userId}/sessions`, { headers: foreign });
    expect(list.status).toBe(404);
    expect(end.status).toBe(404);
    // Their token with the default tenant's header: refused.
    const crossed = await call('DELETE', `/tenant/users/${target.userId}/sessions`, { headers: { ...foreignOwner.auth, 'x-tenant': 'default' } });
    expect(crossed.status).toBeGreaterThanOrEqual(401);
    const targetSessions = await call('GET', '/me/sessions', { headers: target.auth });
    const mine = await call('DELETE', `/me/sessions/${targetSessions.body.data[0].id}`, { headers: foreign });
    expect(mine.status).toBe(404);
    expect((await call('GET', '/me', { headers: target.auth })).status).toBe(200);
  });

  it("[P11] a tenant admin sees and ends a member's sessions, never an owner's", async () => {
    const admin = await verifiedUser('Plain admin');
    const member = await verifiedUser('Plain member of the tenant');
    const auth = await ownerAuth();
    expect((await call('PUT', `/tenant/users/${admin.userId}`, { headers: auth, body: { tenant_role: 'admin' } })).status).toBe(200);
    try {
      const adminAuth = bearer((await signIn(admin.email)).body.data.access_token);
      expect((await call('DELETE', `/tenant/users/${owner.userId}/sessions`, { headers: adminAuth })).status).toBe(403);
      expect((await call('GET', `/tenant/users/${owner.userId}/sessions`, { headers: adminAuth })).status).toBe(403);
      expect((await call('GET', '/me', { headers: auth })).status, "the owner's session lives").toBe(200);
      expect((await call('GET', `/tenant/users/${member.userId}/sessions`, { headers: adminAuth })).body.data).toHaveLength(1);
      expect((await call('DELETE', `/tenant/users/${member.userId}/sessions`, { headers: adminAuth })).body.data).toEqual({ sessions_ended: 1 });
      expect((await call('GET', '/me', { headers: member.auth })).status).toBe(401);
    } finally {
      await call('PUT', `/tenant/users/${admin.userId}`, { headers: auth, body: { tenant_role: 'member' } });
    }
  });

});

// ---------------------------------------------------------------------------------------------
describe('tokens across purposes and tenants; disabled users', () => {
  it('[P12] a token of one purpose is refused by every other; across tenants too', async () => {
    const user = await verifiedUser('Purposes');
    const { secret } = await enrollTotp(user.auth);
    await call('POST', '/auth/password-reset', { body: { email: user.email } });
    const reset = linkToken(await mailTo(user.email, /Reset your/), 'reset');
    const moved = uniqueEmail('purpose-move');
    await call('POST', '/me/email', { headers: user.auth, body: { email: moved, current_password: PASSWORD } });
    const change = linkToken(await mailTo(moved, /Confirm your new e-mail/), 'email');
    const challenge = (await signIn(user.email)).body.data.mfa_token as string;
    const unverified = await register(t, { name: 'Purpose unverified' });
    const verify = linkToken(await mailTo(unverified.email, /Confirm your e-mail/), 'verify');

    const tokens = { reset, change, challenge, verify };
    const uses: Record<string, (token: string, headers?: Headers) => Promise<Call>> = {
      verify: (token, headers) => call('POST', '/auth/email-verification/confirm', { headers, body: { token } }),
      reset: (token, headers) => call('POST', '/auth/password-reset/confirm', { headers, body: { token, password: 'hijacked password' } }),
      change: (token, headers) => call('POST', '/auth/email-change/confirm', { headers, body: { token } }),
      challenge: (token, headers) => call('POST', '/auth/mfa/verify', { headers, body: { mfa_token: token, code: codeAt(secret, 30) } }),
      enroll: (token, headers) => call('POST', '/auth/mfa/enroll', { headers, body: { mfa_token: token } }),
    };
    for (const [kind, token] of Object.entries(tokens)) {
      for (const [use, fn] of Object.entries(uses)) {
        if (use === kind || (kind === 'challenge' && use === 'enroll')) continue;
        const response = await fn(token);
        expect.soft(response.status, `${kind} token at ${use}: ${JSON.stringify(response.body)}`).toBeGreaterThanOrEqual(400);
        expect.soft(response.status, `${kind} token at ${use}`).toBeLessThan(500);
      }
      // and the right use in another tenant
      const use = kind === 'challenge' ? 'challenge' : kind;
      const elsewhere = await uses[use]!(token, { 'x-tenant': 'elsewhere' });
      expect.soft(elsewhere.status, `${kind} in another tenant`).toBeGreaterThanOrEqual(400);
    }
    // The enroll route with an enrolled user's challenge: refused, and the secret unchanged.
    const enroll = await uses.enroll!(challenge);
    expect(enroll.body.error?.code).toBe('MFA.ALREADY_ENABLED');
    // All still good for their own purpose afterwards (nothing was consumed by the wrong uses).
    nextStep();
    expect((await uses.challenge!(challenge)).status).toBe(200);
    expect((await uses.verify!(verify)).status).toBe(200);
    expect((await uses.change!(change)).status).toBe(200);
    // The e-mail change retired the reset link mailed to the old address.
    expect((await uses.reset!(reset)).status).toBe(400);
  });

  it('[P13] a disabled user: reset/verify/email-change links and MFA challenges do nothing; requests answer alike', async () => {
    const victim = await register(t, { name: 'To disable' });
    const verify = linkToken(await mailTo(victim.email, /Confirm your e-mail/), 'verify');
    await call('POST', '/auth/password-reset', { body: { email: victim.email } });
    const reset = linkToken(await mailTo(victim.email, /Reset your/), 'reset');
    const moved = uniqueEmail('disabled-move');
    await call('POST', '/me/email', { headers: victim.auth, body: { email: moved, current_password: PASSWORD } });
    const change = linkToken(await mailTo(moved, /Confirm your new e-mail/), 'email');
    const auth = await ownerAuth();
    expect((await call('PUT', `/tenant/users/${victim.userId}`, { headers: auth, body: { disabled: true } })).status).toBe(200);
    expect((await call('POST', '/auth/email-verification/confirm', { body: { token: verify } })).status).toBe(400);
    expect((await call('POST', '/auth/password-reset/confirm', { body: { token: reset, password: 'while disabled' } })).status).toBe(400);
    expect((await call('POST', '/auth/email-change/confirm', { body: { token: change } })).status).toBe(400);
    const known = await call('POST', '/auth/password-reset', { body: { email: victim.email } });
    const unknown = await call('POST', '/auth/password-reset', { body: { email: uniqueEmail('nobody') } });
    expect(known).toEqual(unknown);
    expect((await signIn(victim.email)).status).toBe(401);
    expect((await signIn(victim.email, 'while disabled')).status).toBe(401);
    // Re-enabled: the links taken while disabled are still unused; reset works (documenting).
    expect((await call('PUT', `/tenant/users/${victim.userId}`, { headers: auth, body: { disabled: false } })).status).toBe(200);
    const late = await call('POST', '/auth/password-reset/confirm', { body: { token: reset, password: 'after re-enable' } });
    console.log('reset link from before the disable, used after re-enable:', late.status);
  });
});

// ---------------------------------------------------------------------------------------------
describe('races (Promise.all)', () => {
  const times = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));

  it('[R1] one e-mail change link confirmed 8 times at once: one 200, the rest 400', async () => {
    const user = await verifiedUser('Race mover');
    const next = uniqueEmail('race-moved');
    await call('POST', '/me/email', { headers: user.auth, body: { email: next, current_password: PASSWORD } });
    const token = linkToken(await mailTo(next, /Confirm your new e-mail/), 'email');
    const results = await times(8, () => call('POST', '/auth/email-change/confirm', { body: { token } }));
    no500(results);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    // The old address is told once.
    await mailTo(user.email, /e-mail address was changed/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(messagesTo(user.email).filter((m) => /e-mail address was changed/.test(m.subject))).toHaveLength(1);
  });

  it('[R2] two accounts moving to one address, confirmed at once: one 200, one 409 (no 500)', async () => {
    const a = await verifiedUser('Race A');
    const b = await verifiedUser('Race B');
    const target = uniqueEmail('contested');
    await call('POST', '/me/email', { headers: a.auth, body: { email: target, current_password: PASSWORD } });
    const tokenA = linkToken(await mailTo(target, /Confirm your new e-mail/), 'email');
    await call('POST', '/me/email', { headers: b.auth, body: { email: target, current_password: PASSWORD } });
    const tokenB = linkToken(await mailTo(target, /Confirm your new e-mail/, 2), 'email');
    const results = await Promise.all([call('POST', '/auth/email-change/confirm', { body: { token: tokenA } }), call('POST', '/auth/email-change/confirm', { body: { token: tokenB } })]);
    no500(results);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
  });

  it('[R3] e-mail change to an address registered meanwhile: 409, and the link stays unused', async () => {
    const user = await verifiedUser('Late mover');
    const target = uniqueEmail('taken-meanwhile');
    await call('POST', '/me/email', { headers: user.auth, body: { email: target, current_password: PASSWORD } });
    const token = linkToken(await mailTo(target, /Confirm your new e-mail/), 'email');
    const [registered, confirmed] = await Promise.all([
      call('POST', '/auth/register', { body: { name: 'Quick', email: target.toUpperCase(), password: PASSWORD } }),
      call('POST', '/auth/email-change/confirm', { body: { token } }),
    ]);
    no500([registered, confirmed]);
    expect([[201, 409], [200, 409]].map(String)).toContain(String([registered.status, confirmed.status].sort()));
    expect((await call('GET', '/me', { headers: user.auth })).body.data.email).toBe(confirmed.status === 200 ? target : user.email);
  });

  it('[R4] one MFA challenge, a TOTP code and two recovery codes at once: one session, unspent recovery codes stay', async () => {
    const user = await verifiedUser('Race MFA');
    const { secret, recoveryCodes } = await enrollTotp(user.auth);
    nextStep();
    const challenge = (await signIn(user.email)).body.data.mfa_token;
    const codes = [codeAt(secret), recoveryCodes[0]!, recoveryCodes[1]!, recoveryCodes[2]!];
    const results = await Promise.all(codes.map((code) => call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge, code } })));
    no500(results);
    expect(results.filter((r) => r.status === 200), JSON.stringify(results.map((r) => r.status))).toHaveLength(1);
    const left = (await call('GET', '/me/mfa', { headers: user.auth })).body.data.recovery_codes_left;
    const usedRecovery = results[0]!.status === 200 ? 0 : 1;
    expect(left, 'recovery codes burnt by requests that opened no session').toBe(10 - usedRecovery);
  });

  it('[R5] one recovery code used on 8 challenges at once: one session', async () => {
    const user = await verifiedUser('Race recovery');
    const { recoveryCodes } = await enrollTotp(user.auth);
    const challenges = await times(8, async () => (await signIn(user.email)).body.data.mfa_token as string);
    const results = await Promise.all(challenges.map((mfa_token) => call('POST', '/auth/mfa/verify', { body: { mfa_token, code: recoveryCodes[0] } })));
    no500(results);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('[R6] 10 wrong codes at once against one challenge: it still dies after five (no extra guesses)', async () => {
    const user = await verifiedUser('Race wrong');
    const { secret } = await enrollTotp(user.auth);
    const challenge = (await signIn(user.email)).body.data.mfa_token;
    const results = await times(10, (i) => call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge, code: String(100000 + i) } }));
    no500(results);
    const wrong = results.filter((r) => r.body.error?.code === 'MFA.CODE_INVALID').length;
    expect(wrong, JSON.stringify(results.map((r) => r.body.error?.code))).toBeLessThanOrEqual(5);
    nextStep();
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge, code: codeAt(secret) } })).body.error?.code).toBe('AUTH.MFA_CHALLENGE_INVALID');
  });

  it('[R7] disable and regenerate at once with one TOTP code: only one of them happens', async () => {
    const user = await verifiedUser('Race disable');
    const { secret } = await enrollTotp(user.auth);
    nextStep();
    const code = codeAt(secret);
    const [disabled, regenerated] = await Promise.all([
      call('POST', '/me/mfa/disable', { headers: user.auth, body: { code } }),
      call('POST', '/me/mfa/recovery-codes', { headers: user.auth, body: { code } }),
    ]);
    no500([disabled, regenerated]);
    expect([disabled.status, regenerated.status].filter((s) => s === 200)).toHaveLength(1);
  });

  it('[R8] TOTP enrollment confirmed twice at once: one set of recovery codes', async () => {
    const user = await verifiedUser('Race enroll');
    const started = await call('POST', '/me/mfa/totp', { headers: user.auth });
    const code = codeAt(started.body.data.secret);
    const results = await times(4, () => call('POST', '/me/mfa/totp/confirm', { headers: user.auth, body: { code } }));
    no500(results);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
  });

  it('[R9] two password changes at once from one password: one wins, the other is refused', async () => {
    const user = await verifiedUser('Race password');
    const results = await Promise.all(
      ['first new password', 'second new password'].map((new_password) => call('PUT', '/me/password', { headers: user.auth, body: { current_password: PASSWORD, new_password } })),
    );
    no500(results);
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    expect(results.find((r) => r.status === 422)?.body.error?.code).toBe('ACCOUNT.PASSWORD_INCORRECT');
  });

  it('[R10] a reset confirmed while the password is being changed: no 500, and the final password is one of them', async () => {
    const user = await verifiedUser('Race reset+change');
    await call('POST', '/auth/password-reset', { body: { email: user.email } });
    const token = linkToken(await mailTo(user.email, /Reset your/), 'reset');
    const results = await Promise.all([
      call('POST', '/auth/password-reset/confirm', { body: { token, password: 'reset password' } }),
      call('PUT', '/me/password', { headers: user.auth, body: { current_password: PASSWORD, new_password: 'changed password' } }),
    ]);
    no500(results);
    console.log('reset vs change:', results.map((r) => `${r.status} ${r.body.error?.code ?? ''}`));
  });

  it('[R11] verification link confirmed 8 times at once while the address changes: no 500', async () => {
    const user = await register(t, { name: 'Race verify' });
    const verify = linkToken(await mailTo(user.email, /Confirm your e-mail/), 'verify');
    const next = uniqueEmail('race-verify-move');
    await call('POST', '/me/email', { headers: user.auth, body: { email: next, current_password: PASSWORD } });
    const change = linkToken(await mailTo(next, /Confirm your new e-mail/), 'email');
    const results = await Promise.all([
      ...Array.from({ length: 4 }, () => call('POST', '/auth/email-verification/confirm', { body: { token: verify } })),
      call('POST', '/auth/email-change/confirm', { body: { token: change } }),
    ]);
    no500(results);
    expect(results.slice(0, 4).filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
  });
});

// ---------------------------------------------------------------------------------------------
describe('policy bypasses', () => {
  it('[P14] before_joining: a signed-in unproved user cannot join by invite code; a valid code at registration does not join', async () => {
    const inviter = await verifiedUser('Code inviter');
    const workspace = await createWorkspace(t, inviter, 'Code branch');
    const rotated = await call('POST', `/workspaces/${workspace.id}/invite-code`, { headers: inviter.auth });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const code = rotated.body.data.invite_code as string;
    await setPolicy({ email_verification: 'before_joining' });
    try {
      const registered = await call('POST', '/auth/register', { body: { name: 'Coder', email: uniqueEmail('coder'), password: PASSWORD, invite_code: code } });
      expect(registered.status).toBe(201);
      const auth = bearer(registered.body.data.access_token);
      expect((await call('GET', '/me', { headers: auth })).body.data.current_workspace_id).toBeNull();
      const joined = await call('POST', `/invite-codes/${code}/join`, { headers: auth });
      expect(joined).toMatchObject({ status: 403, body: { error: { code: 'AUTH.EMAIL_NOT_VERIFIED' } } });
      const seen = await call('GET', `/workspaces/${workspace.id}`, { headers: auth });
      expect(seen.status).toBe(404);
    } finally {
      await setPolicy({ email_verification: 'optional' });
    }
  });

  it("[P15] before_sign_in ends an unproved account's sessions; its API keys, integrations acting in a workspace, keep working (documented)", async () => {
    const unproved = await register(t, { name: 'Unproved key maker' });
    const workspace = await createWorkspace(t, unproved, 'Unproved branch');
    const ws = { 'x-workspace-id': String(workspace.id) };
    const key = await call('POST', '/api-keys', { headers: { ...unproved.auth, ...ws }, body: { name: 'k', scopes: ['workspaces:view'] } });
    expect(key.status).toBe(201);
    await setPolicy({ email_verification: 'before_sign_in' });
    try {
      expect((await call('GET', '/me', { headers: unproved.auth })).status).toBe(401);
      const byKey = await call('GET', `/workspaces/${workspace.id}`, { headers: { ...bearer(key.body.data.secret), ...ws } });
      expect(byKey.status, 'a key is no sign-in: the policy governs signing in').toBe(200);
    } finally {
      await setPolicy({ email_verification: 'optional' });
    }
  });

  it('[P16] before_sign_in: a user whose address was proved, then moved, stays able to sign in (held); a reset proves the address', async () => {
    await setPolicy({ email_verification: 'before_sign_in' });
    try {
      const email = uniqueEmail('reset-proves');
      expect((await call('POST', '/auth/register', { body: { name: 'Reset proves', email, password: PASSWORD } })).status).toBe(202);
      await call('POST', '/auth/password-reset', { body: { email } });
      const token = linkToken(await mailTo(email, /Reset your/), 'reset');
      expect((await call('POST', '/auth/password-reset/confirm', { body: { token, password: 'proved by reset' } })).status).toBe(200);
      expect((await signIn(email, 'proved by reset')).status).toBe(200);
    } finally {
      await setPolicy({ email_verification: 'optional' });
    }
  });

  it('[P17] a verified account with TOTP: a password reset does not drop the second factor (held)', async () => {
    const user = await verifiedUser('Reset MFA');
    const { secret } = await enrollTotp(user.auth);
    const challenge = await signIn(user.email);
    await call('POST', '/auth/password-reset', { body: { email: user.email } });
    const token = linkToken(await mailTo(user.email, /Reset your/), 'reset');
    expect((await call('POST', '/auth/password-reset/confirm', { body: { token, password: 'post reset password' } })).status).toBe(200);
    const after = await signIn(user.email, 'post reset password');
    expect(after.status).toBe(202);
    nextStep();
    // The challenge from before the reset is dead.
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge.body.data.mfa_token, code: codeAt(secret) } })).status).toBe(401);
    // Refresh token from before: dead.
    expect((await call('POST', '/auth/refresh', { body: { refresh_token: user.refreshToken } })).status).toBe(401);
  });

  it("[P18] a password change retires the old password's pending MFA challenges", async () => {
    const user = await verifiedUser('Change MFA');
    const { secret } = await enrollTotp(user.auth);
    const challenge = await signIn(user.email); // made with the old password (an intruder, say)
    expect((await call('PUT', '/me/password', { headers: user.auth, body: { current_password: PASSWORD, new_password: 'changed password x' } })).status).toBe(200);
    nextStep();
    const verified = await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge.body.data.mfa_token, code: codeAt(secret) } });
    expect.soft(verified.status, 'a challenge opened with the old password still opens a session').toBe(401);
  });
});

// ---------------------------------------------------------------------------------------------
describe('enumeration', () => {
  it('[E1] reset and verification requests answer alike for unknown, unproved, proved, disabled, and odd spellings', async () => {
    const proved = await verifiedUser('Enum proved');
    const unproved = await register(t, { name: 'Enum unproved' });
    const disabled = await register(t, { name: 'Enum disabled' });
    await call('PUT', `/tenant/users/${disabled.userId}`, { headers: await ownerAuth(), body: { disabled: true } });
    const emails = [uniqueEmail('nobody'), proved.email, unproved.email, disabled.email, proved.email.toUpperCase()];
    for (const route of ['/auth/password-reset', '/auth/email-verification']) {
      const answers = [];
      for (const email of emails) answers.push(await call('POST', route, { body: { email } }));
      for (const answer of answers) expect.soft(answer, `${route}`).toEqual(answers[0]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('rate limits (an app with AUTH_RATE_LIMIT_MAX=3)', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '50', PUBLIC_URL, AUTH_RATE_LIMIT_MAX: '3' } });
  });
  afterAll(async () => {
    await limited?.close();
  });
  const on = (method: any, url: string, options: { headers?: Headers; body?: unknown } = {}) => callOn(limited, method, url, options);

  it('[L1] reset requests: 429 after 3 per IP; a spoofed X-Forwarded-For does not reset the count', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await on('POST', '/auth/password-reset', { headers: { 'x-forwarded-for': `203.0.113.${i}` }, body: { email: uniqueEmail('rl') } })).status);
    console.log('reset requests:', statuses);
    expect(statuses.slice(3)).toEqual([429, 429]);
  });

  it('[L2] MFA verify and /me/password: 429 after 3 (per user / per IP)', async () => {
    // Its own IP for this test, so L1 does not count.
    const ip = { 'x-forwarded-for': '198.51.100.7' };
    const reg = await on('POST', '/auth/register', { body: { name: 'RL', email: uniqueEmail('rl-user'), password: PASSWORD } });
    expect(reg.status).toBe(201);
    const auth = bearer(reg.body.data.access_token);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await on('PUT', '/me/password', { headers: { ...auth, ...ip }, body: { current_password: 'wrong password', new_password: 'whatever new pass' } })).status);
    console.log('/me/password:', statuses);
    expect(statuses.at(-1)).toBe(429);
    const mfa: number[] = [];
    for (let i = 0; i < 5; i += 1) mfa.push((await on('POST', '/auth/mfa/verify', { body: { mfa_token: 'mfa_nothing', code: '123456' } })).status);
    console.log('/auth/mfa/verify:', mfa);
    expect(mfa.at(-1)).toBe(429);
    const disable: number[] = [];
    for (let i = 0; i < 5; i += 1) disable.push((await on('POST', '/me/mfa/disable', { headers: auth, body: { code: '123456' } })).status);
    console.log('/me/mfa/disable:', disable);
  });

  it('[L3] the rate limit on one address: a 429 for a known address is the same as for an unknown', async () => {
    const known = await on('POST', '/auth/register', { body: { name: 'RL known', email: uniqueEmail('rl-known'), password: PASSWORD } });
    const email = known.body.data.user.email as string;
    const nobody = uniqueEmail('rl-nobody');
    const a: Call[] = [];
    const b: Call[] = [];
    for (let i = 0; i < 4; i += 1) a.push(await on('POST', '/auth/email-verification', { body: { email } }));
    for (let i = 0; i < 4; i += 1) b.push(await on('POST', '/auth/email-verification', { body: { email: nobody } }));
    console.log('verification known:', a.map((r) => r.status), 'unknown:', b.map((r) => r.status));
    expect(a.map((r) => r.status)).toEqual(b.map((r) => r.status));
  });
});

// ---------------------------------------------------------------------------------------------
describe('more', () => {
  it('[P13b] disabling (and re-enabling) an account retires a pending e-mail change link', async () => {
    const victim = await verifiedUser('Disable move');
    const attackerAddress = uniqueEmail('attacker-d');
    await call('POST', '/me/email', { headers: victim.auth, body: { email: attackerAddress, current_password: PASSWORD } });
    const token = linkToken(await mailTo(attackerAddress, /Confirm your new e-mail/), 'email');
    const auth = await ownerAuth();
    await call('PUT', `/tenant/users/${victim.userId}`, { headers: auth, body: { disabled: true } });
    await call('PUT', `/tenant/users/${victim.userId}`, { headers: auth, body: { disabled: false } });
    const ended = await call('DELETE', `/tenant/users/${victim.userId}/sessions`, { headers: auth });
    expect(ended.status).toBe(200);
    const taken = await call('POST', '/auth/email-change/confirm', { body: { token } });
    expect.soft(taken.status, 'e-mail change link survived disable + re-enable + admin ending the sessions').toBe(400);
  });

  it('[P19] policy before_sign_in racing sign-ins of an unproved account: no session of it survives', async () => {
    const unproved = await register(t, { name: 'Racing unproved' });
    const auth = await ownerAuth();
    let survivors = 0;
    try {
      for (let round = 0; round < 6; round += 1) {
        const logins = Array.from({ length: 6 }, () => signIn(unproved.email));
        const [policy, ...results] = await Promise.all([call('PATCH', '/tenant/account-policy', { headers: auth, body: { email_verification: 'before_sign_in' } }), ...logins]);
        no500([policy, ...results]);
        for (const result of results) {
          if (result.status !== 200) continue;
          if ((await call('GET', '/me', { headers: bearer(result.body.data.access_token) })).status === 200) survivors += 1;
        }
        await call('PATCH', '/tenant/account-policy', { headers: auth, body: { email_verification: 'optional' } });
      }
    } finally {
      await call('PATCH', '/tenant/account-policy', { headers: auth, body: { email_verification: 'optional' } });
    }
    expect.soft(survivors, 'sessions of an unproved account alive under before_sign_in').toBe(0);
  });
});
