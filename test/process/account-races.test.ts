/**
 * The account life cycle's single-use promises under real concurrency: two server processes
 * on one database (SQLite in WAL across processes, PostgreSQL across connections), the racing
 * requests split across both and sent in the same tick, over several rounds. Proves that:
 * - a password-reset token sent N times at once sets exactly one password;
 * - an e-mail verification token sent N times at once is taken once;
 * - one TOTP code sent against N sign-in challenges at once opens exactly one session;
 * - one recovery code sent against N challenges at once opens exactly one session.
 * The mailed tokens are read from the outbox (no SMTP_URL: messages wait there). No answer is
 * ever a 5xx, and the general invariants hold after every round.
 */
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { api, PASSWORD, registerUser, startServerPair, uniqueProcessEmail, type ApiResponse, type ServerPair, type ServerProcess } from '../support/process.ts';

const ROUNDS = Number(process.env.RACE_REPEATS ?? 5);
const RACERS = 8;
const TEST_TIMEOUT_MS = 60_000 + ROUNDS * 8_000;

let servers: ServerPair;
beforeAll(async () => {
  servers = await startServerPair();
}, 120_000);
afterAll(async () => servers?.close());

const serverOf = (i: number): ServerProcess => (i % 2 ? servers.b : servers.a);
const statuses = (responses: ApiResponse[]) => responses.map((response) => response.status).sort((x, y) => x - y);

/** The token of the newest account link mailed to `email` (`#reset=…`, `#verify=…`), read from the outbox. */
async function mailedToken(email: string, action: 'reset' | 'verify'): Promise<string> {
  const row = await servers.direct.db
    .selectFrom('outbox_messages')
    .select('text_body')
    .where('recipient', '=', email)
    .where('kind', '=', action === 'reset' ? 'account.reset_password' : 'account.verify_email')
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  const match = new RegExp(`#${action}=(\\S+)`).exec(row.text_body);
  if (!match) throw new Error(`no ${action} link mailed to ${email}`);
  return decodeURIComponent(match[1]!);
}

const totpCode = (secret: string, offsetSeconds = 0) =>
  new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });

async function expectInvariants() {
  expect(await invariantViolations(servers.direct.db)).toEqual({});
}

/** A user with TOTP on: the secret and the recovery codes. */
async function enrolledUser(): Promise<{ email: string; secret: string; recoveryCodes: string[] }> {
  const email = uniqueProcessEmail('totp');
  const { accessToken } = await registerUser(servers.a, email);
  const started = await api(servers.a.url, 'POST', '/api/v1/me/mfa/totp', { token: accessToken });
  expect(started.status).toBe(201);
  const secret = started.body.data.secret as string;
  const confirmed = await api(servers.b.url, 'POST', '/api/v1/me/mfa/totp/confirm', { token: accessToken, body: { code: totpCode(secret) } });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { email, secret, recoveryCodes: confirmed.body.data.recovery_codes as string[] };
}

/** RACERS sign-in challenges of one user, each waiting for its second factor. */
async function challenges(email: string): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < RACERS; i += 1) {
    const login = await api(serverOf(i).url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
    expect(login.status, JSON.stringify(login.body)).toBe(202);
    tokens.push(login.body.data.mfa_token as string);
  }
  return tokens;
}

describe('single-use account tokens and codes under concurrency', () => {
  it(`a reset token sent ${RACERS} times at once sets one password (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const email = uniqueProcessEmail('reset-race');
      await registerUser(servers.a, email);
      expect((await api(servers.b.url, 'POST', '/api/v1/auth/password-reset', { body: { email } })).status).toBe(202);
      const token = await mailedToken(email, 'reset');
      const passwords = Array.from({ length: RACERS }, (_, i) => `racing password ${round}-${i}`);
      const answers = await Promise.all(passwords.map((password, i) => api(serverOf(i).url, 'POST', '/api/v1/auth/password-reset/confirm', { body: { token, password } })));
      expect(statuses(answers), answers.map((a) => JSON.stringify(a.body)).join('\n')).toEqual([200, ...Array<number>(RACERS - 1).fill(400)]);
      const winner = passwords[answers.findIndex((answer) => answer.status === 200)]!;
      for (const [i, password] of passwords.entries()) {
        const login = await api(serverOf(i).url, 'POST', '/api/v1/auth/login', { body: { email, password } });
        expect(login.status, `password ${i}`).toBe(password === winner ? 200 : 401);
      }
      await expectInvariants();
    }
  });

  it(`a verification token sent ${RACERS} times at once is taken once (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const email = uniqueProcessEmail('verify-race');
      await registerUser(servers.b, email);
      const token = await mailedToken(email, 'verify');
      const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => api(serverOf(i).url, 'POST', '/api/v1/auth/email-verification/confirm', { body: { token } })));
      expect(statuses(answers)).toEqual([200, ...Array<number>(RACERS - 1).fill(400)]);
      const verified = await servers.direct.db.selectFrom('users').select('email_verified_at').where('email', '=', email).executeTakeFirstOrThrow();
      expect(verified.email_verified_at).not.toBeNull();
    }
  });

  it(`one TOTP code against ${RACERS} challenges at once opens one session (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      // A user of its own each round: the enrollment spent the current step, so the race sends the
      // next step's code (one step of skew is accepted), and no round waits for the clock.
      const user = await enrolledUser();
      const tokens = await challenges(user.email);
      const code = totpCode(user.secret, 30);
      const answers = await Promise.all(tokens.map((mfa_token, i) => api(serverOf(i).url, 'POST', '/api/v1/auth/mfa/verify', { body: { mfa_token, code } })));
      expect(statuses(answers), answers.map((a) => JSON.stringify(a.body)).join('\n')).toEqual([200, ...Array<number>(RACERS - 1).fill(401)]);
      await expectInvariants();
    }
  });

  it(`one recovery code against ${RACERS} challenges at once opens one session (${ROUNDS} rounds)`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const user = await enrolledUser();
    for (let round = 0; round < ROUNDS; round += 1) {
      const tokens = await challenges(user.email);
      const code = user.recoveryCodes[round]!;
      const answers = await Promise.all(tokens.map((mfa_token, i) => api(serverOf(i).url, 'POST', '/api/v1/auth/mfa/verify', { body: { mfa_token, code } })));
      expect(statuses(answers)).toEqual([200, ...Array<number>(RACERS - 1).fill(401)]);
      const used = await servers.direct.db.selectFrom('recovery_codes').select('id').where('used_at', 'is not', null).execute();
      expect(used.length).toBeGreaterThanOrEqual(round + 1);
    }
  });
});
