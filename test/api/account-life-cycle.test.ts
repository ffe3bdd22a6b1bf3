/**
 * The account life cycle (issue 19), black-box over HTTP with the mail read from a real SMTP
 * server (test/support/smtp.ts): e-mail verification, password reset and change, e-mail change,
 * the profile, sessions, TOTP with recovery codes, and the tenant's account policy. Expiry is
 * tested by moving the app's clock, never by sleeping.
 */
import { Secret, TOTP } from 'otpauth';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { startSmtp, type ReceivedMessage, type SmtpSink } from '../support/smtp.ts';
import { createTenant, createWorkspace, register, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

const PUBLIC_URL = 'https://app.example.test';
const PASSWORD = 'correct horse battery';

let smtp: SmtpSink;
let t: TestApp;

beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: '50', PUBLIC_URL } });
  await createTenant(t, 'other');
});

afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});

afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

type Headers = Record<string, string>;

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, options: { headers?: Headers; body?: unknown } = {}) {
  const response = await t.request({ method, url: `/api/v1${url}`, headers: options.headers ?? {}, ...(options.body === undefined ? {} : { payload: options.body as object }) });
  return { status: response.statusCode, body: response.json<{ data?: any; error?: { code: string }; message?: string }>() };
}

const messagesTo = (email: string) => smtp.messages.filter((message) => message.recipients.includes(email));

/** Waits for the `count`-th message to `email` whose subject matches. */
async function mailTo(email: string, subject: RegExp, count = 1): Promise<ReceivedMessage> {
  const matching = () => messagesTo(email).filter((message) => subject.test(message.subject));
  await smtp.waitUntil(() => matching().length >= count, 10_000, `message ${count} to ${email} matching ${subject}`);
  return matching()[count - 1]!;
}

/** The token of an account link (`/account?tenant=…#verify=…`) in a message's text. */
function linkToken(message: ReceivedMessage, action: 'verify' | 'reset' | 'email', tenant = 'default'): string {
  const match = new RegExp(`${PUBLIC_URL}/account\\?tenant=${tenant}#${action}=([^\\s]+)`).exec(message.text);
  if (!match) throw new Error(`no ${action} link in: ${message.text}`);
  return decodeURIComponent(match[1]!);
}

async function signIn(email: string, password = PASSWORD, headers: Headers = {}) {
  return call('POST', '/auth/login', { headers: { 'user-agent': 'test-agent/1.0', ...headers }, body: { email, password } });
}

const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

/** A registered user whose address was proved through the mailed link. */
async function verifiedUser(name = 'Verified'): Promise<Session> {
  const session = await register(t, { name });
  const token = linkToken(await mailTo(session.email, /Confirm your e-mail/), 'verify');
  expect((await call('POST', '/auth/email-verification/confirm', { body: { token } })).status).toBe(200);
  return session;
}

const codeAt = (secret: string, offsetSeconds = 0) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: t.clock.now().getTime() + offsetSeconds * 1000 });

/** Turns TOTP on for a signed-in user; returns the secret and the recovery codes. */
async function enrollTotp(session: Session) {
  const started = await call('POST', '/me/mfa/totp', { headers: session.auth });
  expect(started.status).toBe(201);
  const secret = started.body.data.secret as string;
  expect(started.body.data.otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
  const confirmed = await call('POST', '/me/mfa/totp/confirm', { headers: session.auth, body: { code: codeAt(secret) } });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { secret, recoveryCodes: confirmed.body.data.recovery_codes as string[] };
}

/** Moves past the current TOTP step, so the next code is a new one. */
const nextStep = () => t.clock.advance(30_000);

async function setPolicy(admin: Session, policy: Record<string, unknown>) {
  const response = await call('PATCH', '/tenant/account-policy', { headers: admin.auth, body: policy });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
}

// The tenant's first user is its owner; every policy change below is made by them.
let tenantOwner: Session;
let ownerSecret: string;
beforeAll(async () => {
  tenantOwner = await verifiedUser('Tenant Owner');
  ownerSecret = (await enrollTotp(tenantOwner)).secret;
});

describe('e-mail verification', () => {
  it('mails a single-use link at registration; /me shows the address proved only once it is followed', async () => {
    const session = await register(t, { name: 'Vera' });
    expect((await call('GET', '/me', { headers: session.auth })).body.data.email_verified).toBe(false);
    const message = await mailTo(session.email, /Confirm your e-mail/);
    const token = linkToken(message, 'verify');
    expect(message.html).toContain('/account?tenant=default#verify=');

    expect((await call('POST', '/auth/email-verification/confirm', { body: { token } })).status).toBe(200);
    expect((await call('GET', '/me', { headers: session.auth })).body.data.email_verified).toBe(true);
    const reused = await call('POST', '/auth/email-verification/confirm', { body: { token } });
    expect(reused).toMatchObject({ status: 400, body: { error: { code: 'ACCOUNT.TOKEN_INVALID' } } });
  });

  it('refuses a token after its 24 hours, and one from another tenant', async () => {
    const session = await register(t, { name: 'Late' });
    const token = linkToken(await mailTo(session.email, /Confirm your e-mail/), 'verify');
    const elsewhere = await call('POST', '/auth/email-verification/confirm', { headers: { 'x-tenant': 'other' }, body: { token } });
    expect(elsewhere).toMatchObject({ status: 400, body: { error: { code: 'ACCOUNT.TOKEN_INVALID' } } });

    t.clock.advance(24 * 3600 * 1000 + 1000);
    const expired = await call('POST', '/auth/email-verification/confirm', { body: { token } });
    expect(expired).toMatchObject({ status: 400, body: { error: { code: 'ACCOUNT.TOKEN_INVALID' } } });
    // A new link on demand works, and retires the old one.
    const again = await call('POST', '/auth/email-verification', { body: { email: session.email } });
    expect(again.status).toBe(202);
    const fresh = linkToken(await mailTo(session.email, /Confirm your e-mail/, 2), 'verify');
    expect(fresh).not.toBe(token);
    // Asked again within the minute: the same answer, and no third link.
    expect((await call('POST', '/auth/email-verification', { body: { email: session.email } })).status).toBe(202);
    const links = await t.db.selectFrom('outbox_messages').select('id').where('recipient', '=', session.email).where('kind', '=', 'account.verify_email').execute();
    expect(links).toHaveLength(2);
    expect((await call('POST', '/auth/email-verification/confirm', { body: { token: fresh } })).status).toBe(200);
  });

  it('answers a request for a link alike for known, unknown and already proved addresses', async () => {
    const known = await register(t, { name: 'Known' });
    const proved = await verifiedUser('Proved');
    const answers = await Promise.all(
      [known.email, uniqueEmail('nobody'), proved.email].map((email) => call('POST', '/auth/email-verification', { body: { email } })),
    );
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]!.status).toBe(202);
  });
});

describe('password reset', () => {
  it('answers alike for an address with an account and one without', async () => {
    const known = await verifiedUser('Reset known');
    const a = await call('POST', '/auth/password-reset', { body: { email: known.email } });
    const b = await call('POST', '/auth/password-reset', { body: { email: uniqueEmail('unknown') } });
    expect(a).toEqual(b);
    expect(a.status).toBe(202);
    await mailTo(known.email, /Reset your/);
  });

  it('sets a new password once; every session of the account, here and elsewhere, dies on its next request', async () => {
    const user = await verifiedUser('Reset');
    const elsewhere = await signIn(user.email);
    expect(elsewhere.status).toBe(200);
    await call('POST', '/auth/password-reset', { body: { email: user.email } });
    const token = linkToken(await mailTo(user.email, /Reset your/), 'reset');

    const reset = await call('POST', '/auth/password-reset/confirm', { body: { token, password: 'a brand new password' } });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect((await call('GET', '/me', { headers: user.auth })).status).toBe(401);
    expect((await call('GET', '/me', { headers: bearer(elsewhere.body.data.access_token) })).status).toBe(401);
    expect((await call('POST', '/auth/refresh', { body: { refresh_token: elsewhere.body.data.refresh_token } })).status).toBe(401);

    expect((await call('POST', '/auth/password-reset/confirm', { body: { token, password: 'yet another password' } })).body.error?.code).toBe('ACCOUNT.TOKEN_INVALID');
    expect((await signIn(user.email)).status).toBe(401);
    expect((await signIn(user.email, 'a brand new password')).status).toBe(200);
  });

  it('expires after 30 minutes; a newer link retires the older one', async () => {
    const user = await verifiedUser('Reset expiry');
    await call('POST', '/auth/password-reset', { body: { email: user.email } });
    const first = linkToken(await mailTo(user.email, /Reset your/), 'reset');
    await call('POST', '/auth/password-reset', { body: { email: user.email } });
    const second = linkToken(await mailTo(user.email, /Reset your/, 2), 'reset');
    expect((await call('POST', '/auth/password-reset/confirm', { body: { token: first, password: 'new password one' } })).status).toBe(400);

    t.clock.advance(30 * 60 * 1000 + 1000);
    expect((await call('POST', '/auth/password-reset/confirm', { body: { token: second, password: 'new password two' } })).status).toBe(400);
    expect((await signIn(user.email)).status).toBe(200);
  });
});

/** A user as the tenant's owner sees them in `GET /tenant/users`, page after page. */
async function tenantUserByEmail(email: string): Promise<Record<string, unknown> | undefined> {
  // Signed in afresh: earlier tests moved the clock past the first session's access token.
  const owner = await signInWithCode(tenantOwner.email, ownerSecret);
  for (let cursor: string | null = ''; cursor !== null; ) {
    const page = await call('GET', `/tenant/users?limit=50${cursor ? `&cursor=${cursor}` : ''}`, { headers: owner });
    expect(page.status).toBe(200);
    const found = page.body.data.find((user: { email: string }) => user.email === email);
    if (found) return found;
    cursor = (page.body as { meta: { next_cursor: string | null } }).meta.next_cursor;
  }
  return undefined;
}

describe('an address taken with an invitation token', () => {
  it('stays unverified, shows so to admins, and its owner takes it back (sessions and second factor gone)', async () => {
    const admin = await verifiedUser('Workspace admin');
    const workspace = await createWorkspace(t, admin, 'Victim branch');
    const victim = uniqueEmail('ceo');
    const invitation = await call('POST', '/invitations', { headers: { ...admin.auth, 'x-workspace-id': String(workspace.id) }, body: { email: victim } });
    expect(invitation.status).toBe(201);
    const squatted = await call('POST', '/auth/register', { body: { name: 'Not the CEO', email: victim, password: 'the squatters password', invitation_token: invitation.body.data.token } });
    expect(squatted.status).toBe(201);
    expect(squatted.body.data.user.email_verified).toBe(false);
    const squatter = bearer(squatted.body.data.access_token);
    const squatterTotp = await enrollTotp({ auth: squatter } as Session);

    expect(await tenantUserByEmail(victim)).toMatchObject({ email_verified: false, mfa_enabled: true });

    // The address's owner resets the password from the mail only they can read.
    await call('POST', '/auth/password-reset', { body: { email: victim } });
    const token = linkToken(await mailTo(victim, /Reset your/), 'reset');
    expect((await call('POST', '/auth/password-reset/confirm', { body: { token, password: 'the real owners password' } })).status).toBe(200);

    expect((await call('GET', '/me', { headers: squatter })).status).toBe(401);
    expect((await signIn(victim, 'the squatters password')).status).toBe(401);
    const owner = await signIn(victim, 'the real owners password');
    expect(owner.status, 'no second factor left from the squatter').toBe(200);
    const me = await call('GET', '/me', { headers: bearer(owner.body.data.access_token) });
    expect(me.body.data).toMatchObject({ email_verified: true, mfa_enabled: false });
    nextStep();
    expect((await call('POST', '/me/mfa/disable', { headers: bearer(owner.body.data.access_token), body: { code: codeAt(squatterTotp.secret) } })).body.error?.code).toBe('MFA.NOT_ENABLED');
  });
});

describe('changing the password and the address', () => {
  it('needs the current password; ends the other sessions, keeps this one, and tells the user', async () => {
    const user = await verifiedUser('Changer');
    const other = await signIn(user.email);
    const wrong = await call('PUT', '/me/password', { headers: user.auth, body: { current_password: 'not it at all', new_password: 'a new password' } });
    expect(wrong).toMatchObject({ status: 422, body: { error: { code: 'ACCOUNT.PASSWORD_INCORRECT' } } });

    const changed = await call('PUT', '/me/password', { headers: user.auth, body: { current_password: PASSWORD, new_password: 'a new password' } });
    expect(changed).toMatchObject({ status: 200, body: { data: { sessions_ended: 1 } } });
    expect((await call('GET', '/me', { headers: user.auth })).status).toBe(200);
    expect((await call('GET', '/me', { headers: bearer(other.body.data.access_token) })).status).toBe(401);
    await mailTo(user.email, /password was changed/);
    expect((await signIn(user.email, 'a new password')).status).toBe(200);
  });

  it('changes the address only once the new one confirms; the old one is told, and a taken address is refused', async () => {
    const user = await verifiedUser('Mover');
    const taken = await call('POST', '/me/email', { headers: user.auth, body: { email: tenantOwner.email, current_password: PASSWORD } });
    expect(taken).toMatchObject({ status: 409, body: { error: { code: 'IDENTITY.EMAIL_TAKEN' } } });

    const next = uniqueEmail('moved');
    expect((await call('POST', '/me/email', { headers: user.auth, body: { email: next, current_password: PASSWORD } })).status).toBe(202);
    expect((await call('GET', '/me', { headers: user.auth })).body.data.email).toBe(user.email);
    const token = linkToken(await mailTo(next, /Confirm your new e-mail/), 'email');
    expect((await call('POST', '/auth/email-change/confirm', { body: { token } })).status).toBe(200);

    expect((await call('GET', '/me', { headers: user.auth })).body.data).toMatchObject({ email: next, email_verified: true });
    const notice = await mailTo(user.email, /e-mail address was changed/);
    expect(notice.text).toContain(next);
    expect((await signIn(user.email)).status).toBe(401);
    expect((await signIn(next)).status).toBe(200);
    expect((await call('POST', '/auth/email-change/confirm', { body: { token } })).status).toBe(400);
  });
});

describe('profile', () => {
  it('changes the name and the language, and the account mail follows the language', async () => {
    const user = await verifiedUser('Before');
    const patched = await call('PATCH', '/me', { headers: user.auth, body: { name: 'After', locale: 'es' } });
    expect(patched).toMatchObject({ status: 200, body: { data: { name: 'After', locale: 'es' } } });
    expect((await call('GET', '/me', { headers: user.auth })).body.data).toMatchObject({ name: 'After', locale: 'es' });
    await call('POST', '/auth/password-reset', { body: { email: user.email } });
    await mailTo(user.email, /Restablece tu contraseña/);
    expect((await call('PATCH', '/me', { headers: user.auth, body: {} })).status).toBe(422);
    expect((await call('PATCH', '/me', { headers: user.auth, body: { locale: 'fr' } })).status).toBe(422);
  });
});

describe('sessions', () => {
  it('lists the live ones with where they came from, and ends one or all the others', async () => {
    const user = await verifiedUser('Sessions');
    const laptop = await signIn(user.email, PASSWORD, { 'user-agent': 'Laptop browser' });
    const phone = await signIn(user.email, PASSWORD, { 'user-agent': 'Phone app' });
    const listed = await call('GET', '/me/sessions', { headers: bearer(laptop.body.data.access_token) });
    expect(listed.body.data).toHaveLength(3);
    const current = listed.body.data.find((session: { current: boolean }) => session.current);
    expect(current).toMatchObject({ user_agent: 'Laptop browser' });
    expect(current.ip).toBeTruthy();
    const phoneSession = listed.body.data.find((session: { user_agent: string }) => session.user_agent === 'Phone app');

    expect((await call('DELETE', `/me/sessions/${phoneSession.id}`, { headers: bearer(laptop.body.data.access_token) })).status).toBe(200);
    expect((await call('GET', '/me', { headers: bearer(phone.body.data.access_token) })).status).toBe(401);
    expect((await call('DELETE', `/me/sessions/${phoneSession.id}`, { headers: bearer(laptop.body.data.access_token) })).status).toBe(404);

    const others = await call('DELETE', '/me/sessions', { headers: bearer(laptop.body.data.access_token) });
    expect(others).toMatchObject({ status: 200, body: { data: { sessions_ended: 1 } } });
    expect((await call('GET', '/me', { headers: user.auth })).status).toBe(401);
    expect((await call('GET', '/me', { headers: bearer(laptop.body.data.access_token) })).status).toBe(200);
  });

  it("cannot end another user's session; a tenant owner ends all of a user's, a member cannot", async () => {
    const a = await verifiedUser('Session A');
    const b = await verifiedUser('Session B');
    const bSessions = await call('GET', '/me/sessions', { headers: b.auth });
    expect((await call('DELETE', `/me/sessions/${bSessions.body.data[0].id}`, { headers: a.auth })).status).toBe(404);
    expect((await call('GET', '/me', { headers: b.auth })).status).toBe(200);

    expect((await call('DELETE', `/tenant/users/${b.userId}/sessions`, { headers: a.auth })).status).toBe(403);
    const admin = await signInWithCode(tenantOwner.email, ownerSecret);
    expect((await call('GET', `/tenant/users/${b.userId}/sessions`, { headers: admin })).body.data).toHaveLength(1);
    expect((await call('DELETE', `/tenant/users/${b.userId}/sessions`, { headers: admin })).body.data).toEqual({ sessions_ended: 1 });
    expect((await call('GET', '/me', { headers: b.auth })).status).toBe(401);
  });
});

/** Signs in a user with TOTP: the password, then a fresh code. */
async function signInWithCode(email: string, secret: string): Promise<Headers> {
  const challenge = await signIn(email);
  expect(challenge.status, JSON.stringify(challenge.body)).toBe(202);
  nextStep();
  const verified = await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge.body.data.mfa_token, code: codeAt(secret) } });
  expect(verified.status, JSON.stringify(verified.body)).toBe(200);
  return bearer(verified.body.data.access_token);
}

describe('second factor (TOTP)', () => {
  it('asks for a code at sign-in once enrolled; one step of clock skew either way is accepted, two are not', async () => {
    const user = await verifiedUser('Totp');
    const { secret } = await enrollTotp(user);
    expect((await call('GET', '/me', { headers: user.auth })).body.data.mfa_enabled).toBe(true);

    for (const [offset, accepted] of [[30, true], [-30, true], [60, false], [-60, false]] as const) {
      // Three steps on: the step a skewed code names was never taken by the one before.
      t.clock.advance(90_000);
      const challenge = await signIn(user.email);
      expect(challenge).toMatchObject({ status: 202, body: { data: { enrollment_required: false } } });
      expect(challenge.body.data.access_token).toBeUndefined();
      const verified = await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge.body.data.mfa_token, code: codeAt(secret, offset) } });
      expect(verified.status, `offset ${offset}s`).toBe(accepted ? 200 : 401);
    }
  });

  it('takes a code once, dies after five wrong codes, and expires', async () => {
    const user = await verifiedUser('Replay');
    const { secret } = await enrollTotp(user);
    nextStep();
    const code = codeAt(secret);
    const first = await signIn(user.email);
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: first.body.data.mfa_token, code } })).status).toBe(200);
    const second = await signIn(user.email);
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: second.body.data.mfa_token, code } })).body.error?.code).toBe('AUTH.MFA_CODE_INVALID');
    // The first token is used up.
    nextStep();
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: first.body.data.mfa_token, code: codeAt(secret) } })).body.error?.code).toBe('AUTH.MFA_CHALLENGE_INVALID');

    const worn = await signIn(user.email);
    for (let i = 0; i < 5; i += 1) {
      expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: worn.body.data.mfa_token, code: '000000' } })).status).toBe(401);
    }
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: worn.body.data.mfa_token, code: codeAt(secret) } })).body.error?.code).toBe('AUTH.MFA_CHALLENGE_INVALID');

    const late = await signIn(user.email);
    t.clock.advance(301_000);
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: late.body.data.mfa_token, code: codeAt(secret) } })).body.error?.code).toBe('AUTH.MFA_CHALLENGE_INVALID');
  });

  it('accepts each recovery code once; new codes retire the old; turning it off needs a code', async () => {
    const user = await verifiedUser('Recovery');
    const { secret, recoveryCodes } = await enrollTotp(user);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);

    const challenge = await signIn(user.email);
    const recovered = await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge.body.data.mfa_token, code: recoveryCodes[0]!.toUpperCase() } });
    expect(recovered.status).toBe(200);
    const again = await signIn(user.email);
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: again.body.data.mfa_token, code: recoveryCodes[0] } })).status).toBe(401);
    expect((await call('GET', '/me/mfa', { headers: user.auth })).body.data.recovery_codes_left).toBe(9);

    nextStep();
    const regenerated = await call('POST', '/me/mfa/recovery-codes', { headers: user.auth, body: { code: codeAt(secret) } });
    expect(regenerated.body.data.recovery_codes).toHaveLength(10);
    expect((await call('POST', '/auth/mfa/verify', { body: { mfa_token: again.body.data.mfa_token, code: recoveryCodes[1] } })).status).toBe(401);

    expect((await call('POST', '/me/mfa/disable', { headers: user.auth, body: { code: '123456' } })).status).toBe(422);
    expect((await call('POST', '/me/mfa/disable', { headers: user.auth, body: { code: regenerated.body.data.recovery_codes[0] } })).status).toBe(200);
    expect((await signIn(user.email)).status).toBe(200);
    expect((await call('GET', '/me/mfa', { headers: user.auth })).body.data).toEqual({ enabled: false, enabled_at: null, recovery_codes_left: 0 });
  });

  it("a tenant owner turns off a user's lost second factor: the user's sessions end, and the password alone signs in again", async () => {
    const user = await verifiedUser('Lost phone');
    await enrollTotp(user);
    const admin = await verifiedUser('Reset admin');
    const owner = await signInWithCode(tenantOwner.email, ownerSecret);
    expect((await call('PUT', `/tenant/users/${admin.userId}`, { headers: owner, body: { tenant_role: 'admin' } })).status).toBe(200);
    const adminAuth = bearer((await signIn(admin.email)).body.data.access_token);
    expect((await call('DELETE', `/tenant/users/${user.userId}/mfa`, { headers: adminAuth })).status, 'an admin may not').toBe(403);

    const reset = await call('DELETE', `/tenant/users/${user.userId}/mfa`, { headers: owner });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect((await call('GET', '/me', { headers: user.auth })).status).toBe(401);
    const again = await signIn(user.email);
    expect(again.status).toBe(200);
    expect((await call('GET', '/me', { headers: bearer(again.body.data.access_token) })).body.data.mfa_enabled).toBe(false);
    expect((await call('DELETE', `/tenant/users/${user.userId}/mfa`, { headers: owner })).body.error?.code).toBe('MFA.NOT_ENABLED');
    const events = await call('GET', '/tenant/audit-events?limit=20', { headers: owner });
    expect(events.body.data.map((event: { action: string }) => event.action)).toContain('tenant.user_mfa_reset');
    await call('PUT', `/tenant/users/${admin.userId}`, { headers: owner, body: { tenant_role: 'member' } });
  });

  it('enrolling twice is refused, and confirming needs a started enrollment and a right code', async () => {
    const user = await verifiedUser('Twice');
    expect((await call('POST', '/me/mfa/totp/confirm', { headers: user.auth, body: { code: '123456' } })).body.error?.code).toBe('MFA.NOT_PENDING');
    const started = await call('POST', '/me/mfa/totp', { headers: user.auth });
    expect((await call('POST', '/me/mfa/totp/confirm', { headers: user.auth, body: { code: codeAt(started.body.data.secret, 90) } })).body.error?.code).toBe('MFA.CODE_INVALID');
    expect((await call('GET', '/me', { headers: user.auth })).body.data.mfa_enabled).toBe(false);
    expect((await call('POST', '/me/mfa/totp/confirm', { headers: user.auth, body: { code: codeAt(started.body.data.secret) } })).status).toBe(200);
    expect((await call('POST', '/me/mfa/totp', { headers: user.auth })).body.error?.code).toBe('MFA.ALREADY_ENABLED');
  });
});

describe('account policy', () => {
  it('before sign-in: registration waits for the address, sign-in is refused (a new link is mailed) until it is proved', async () => {
    const owner = await signInWithCode(tenantOwner.email, ownerSecret);
    const unproved = await register(t, { name: 'Unproved' });
    const refused = await call('PATCH', '/tenant/account-policy', { headers: unproved.auth, body: { email_verification: 'before_sign_in' } });
    expect(refused.status, 'a member may not change it at all').toBe(403);
    const unprovedAdmin = await register(t, { name: 'Unproved admin' });
    expect((await call('PUT', `/tenant/users/${unprovedAdmin.userId}`, { headers: owner, body: { tenant_role: 'admin' } })).status).toBe(200);
    const lockout = await call('PATCH', '/tenant/account-policy', { headers: unprovedAdmin.auth, body: { email_verification: 'before_sign_in' } });
    expect(lockout, 'an admin would shut themselves out').toMatchObject({ status: 409, body: { error: { code: 'ACCOUNT.VERIFY_FIRST' } } });
    expect((await call('GET', '/tenant/account-policy', { headers: owner })).body.data.email_verification).toBe('optional');
    expect((await call('PUT', `/tenant/users/${unprovedAdmin.userId}`, { headers: owner, body: { tenant_role: 'member' } })).status).toBe(200);
    await setPolicy({ auth: owner } as Session, { email_verification: 'before_sign_in' });
    try {
      expect((await call('GET', '/me', { headers: unproved.auth })).status, "an unproved account's session ended").toBe(401);
      const email = uniqueEmail('strict');
      const registered = await call('POST', '/auth/register', { body: { name: 'Strict', email, password: PASSWORD } });
      expect(registered).toMatchObject({ status: 202, body: { data: { email_verification_required: true, user: { email_verified: false } } } });
      expect(registered.body.data.access_token).toBeUndefined();
      await mailTo(email, /Confirm your e-mail/);

      t.clock.advance(61_000);
      expect(await signIn(email)).toMatchObject({ status: 403, body: { error: { code: 'AUTH.EMAIL_NOT_VERIFIED' } } });
      const token = linkToken(await mailTo(email, /Confirm your e-mail/, 2), 'verify');
      expect((await signIn(email, 'a wrong password')).status, 'a wrong password learns nothing').toBe(401);
      expect((await call('POST', '/auth/email-verification/confirm', { body: { token } })).status).toBe(200);
      expect((await signIn(email)).status).toBe(200);
    } finally {
      await setPolicy({ auth: owner } as Session, { email_verification: 'optional' });
    }
  });

  it('before joining: an invitation neither joins at registration nor signed in until the address is proved', async () => {
    const owner = await signInWithCode(tenantOwner.email, ownerSecret);
    const inviter = await verifiedUser('Inviter');
    const workspace = await createWorkspace(t, inviter, 'Strict branch');
    await setPolicy({ auth: owner } as Session, { email_verification: 'before_joining' });
    try {
      const email = uniqueEmail('joiner');
      const invitation = await call('POST', '/invitations', { headers: { ...inviter.auth, 'x-workspace-id': String(workspace.id) }, body: { email } });
      const registered = await call('POST', '/auth/register', { body: { name: 'Joiner', email, password: PASSWORD, invitation_token: invitation.body.data.token } });
      expect(registered.status).toBe(201);
      const joiner = bearer(registered.body.data.access_token);
      expect((await call('GET', '/me', { headers: joiner })).body.data.current_workspace_id).toBeNull();
      const refused = await call('POST', '/invitations/accept', { headers: joiner, body: { token: invitation.body.data.token } });
      expect(refused).toMatchObject({ status: 403, body: { error: { code: 'AUTH.EMAIL_NOT_VERIFIED' } } });

      const token = linkToken(await mailTo(email, /Confirm your e-mail/), 'verify');
      expect((await call('POST', '/auth/email-verification/confirm', { body: { token } })).status).toBe(200);
      expect((await call('POST', '/invitations/accept', { headers: joiner, body: { token: invitation.body.data.token } })).status).toBe(200);
    } finally {
      await setPolicy({ auth: owner } as Session, { email_verification: 'optional' });
    }
  });

  it('a second factor for owners and admins: asked of the caller first; the others sign in again and enroll', async () => {
    const admin = await verifiedUser('Tenant admin');
    const ownerAuth = await signInWithCode(tenantOwner.email, ownerSecret);
    expect((await call('PUT', `/tenant/users/${admin.userId}`, { headers: ownerAuth, body: { tenant_role: 'admin' } })).status).toBe(200);
    const unguarded = await call('PATCH', '/tenant/account-policy', { headers: admin.auth, body: { mfa_required_for_admins: true } });
    expect(unguarded).toMatchObject({ status: 409, body: { error: { code: 'MFA.ENROLL_FIRST' } } });

    await setPolicy({ auth: ownerAuth } as Session, { mfa_required_for_admins: true });
    try {
      expect((await call('GET', '/me', { headers: admin.auth })).status, "the admin's password-only session ended").toBe(401);
      const challenge = await signIn(admin.email);
      expect(challenge).toMatchObject({ status: 202, body: { data: { enrollment_required: true } } });
      const early = await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge.body.data.mfa_token, code: '123456' } });
      expect(early.body.error?.code).toBe('MFA.NOT_PENDING');
      const enrollment = await call('POST', '/auth/mfa/enroll', { body: { mfa_token: challenge.body.data.mfa_token } });
      expect(enrollment.status).toBe(200);
      const verified = await call('POST', '/auth/mfa/verify', { body: { mfa_token: challenge.body.data.mfa_token, code: codeAt(enrollment.body.data.secret) } });
      expect(verified.status, JSON.stringify(verified.body)).toBe(200);
      expect(verified.body.data.recovery_codes).toHaveLength(10);
      const adminAuth = bearer(verified.body.data.access_token);
      expect((await call('GET', '/me', { headers: adminAuth })).body.data.mfa_enabled).toBe(true);
      nextStep();
      const off = await call('POST', '/me/mfa/disable', { headers: adminAuth, body: { code: codeAt(enrollment.body.data.secret) } });
      expect(off).toMatchObject({ status: 409, body: { error: { code: 'MFA.REQUIRED_BY_POLICY' } } });
      // A member is not covered, until made an admin: then their password-only session ends.
      const member = await verifiedUser('Plain member');
      expect((await signIn(member.email)).status).toBe(200);
      expect((await call('PUT', `/tenant/users/${member.userId}`, { headers: ownerAuth, body: { tenant_role: 'admin' } })).status).toBe(200);
      expect((await call('GET', '/me', { headers: member.auth })).status).toBe(401);
      expect((await signIn(member.email)).body.data).toMatchObject({ enrollment_required: true });
    } finally {
      await setPolicy({ auth: ownerAuth } as Session, { mfa_required_for_admins: false });
    }
  });

  it('is read and changed by tenant roles only, and every change is audited in the tenant log', async () => {
    const member = await verifiedUser('Policy member');
    expect((await call('GET', '/tenant/account-policy', { headers: member.auth })).status).toBe(403);
    expect((await call('PATCH', '/tenant/account-policy', { headers: member.auth, body: { email_verification: 'before_sign_in' } })).status).toBe(403);
    const ownerAuth = await signInWithCode(tenantOwner.email, ownerSecret);
    expect((await call('GET', '/tenant/account-policy', { headers: ownerAuth })).body.data).toEqual({ email_verification: 'optional', mfa_required_for_admins: false });
    expect((await call('PATCH', '/tenant/account-policy', { headers: ownerAuth, body: { email_verification: 'sometimes' } })).status).toBe(422);

    const seen = new Set<string>();
    for (let cursor: string | null = ''; cursor !== null; ) {
      const page = await call('GET', `/tenant/audit-events?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers: ownerAuth });
      expect(page.status).toBe(200);
      for (const event of page.body.data as Array<{ action: string; workspace_id: number | null }>) {
        expect(event.workspace_id).toBeNull();
        seen.add(event.action);
      }
      cursor = (page.body as { meta: { next_cursor: string | null } }).meta.next_cursor;
    }
    expect((await call('GET', '/tenant/audit-events', { headers: member.auth })).status).toBe(403);
    for (const action of [
      'account.email_verified',
      'account.password_reset',
      'account.password_changed',
      'account.email_change_requested',
      'account.email_changed',
      'account.profile_updated',
      'account.session_ended',
      'account.other_sessions_ended',
      'account.mfa_enabled',
      'account.mfa_disabled',
      'account.recovery_codes_regenerated',
      'account.signed_in_with_second_factor',
      'tenant.user_sessions_ended',
      'tenant.account_policy_updated',
    ]) {
      expect(seen, action).toContain(action);
    }
  });
});
