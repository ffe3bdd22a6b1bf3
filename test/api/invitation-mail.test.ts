/**
 * Invitation e-mail end to end, in process: the app's delivery worker (SMTP_URL set)
 * sends through a real SMTP server (test/support/smtp.ts), and what arrives is parsed
 * and checked: recipient, subject, language, the accept link and its token. Time for
 * retries is moved with the app's ManualClock, never slept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DELIVERED_BODY, retryDelaySeconds } from '../../src/modules/mail/mail.service.ts';
import { startSmtp, type ReceivedMessage, type SmtpSink } from '../support/smtp.ts';
import { createWorkspace, register, startSecondApp, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

const PUBLIC_URL = 'https://app.example.test';
const POLL_MS = 50;

let smtp: SmtpSink;
let t: TestApp;
let owner: Session;

beforeAll(async () => {
  smtp = await startSmtp();
  t = await startTestApp({ env: { SMTP_URL: smtp.url, MAIL_POLL_INTERVAL_MS: String(POLL_MS), PUBLIC_URL } });
  owner = await register(t, { name: 'Olga Owner' });
});

afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined; fails after timeoutMs naming `what`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const acceptLink = (token: string, tenant = 'default') => `${PUBLIC_URL}/console/t/${tenant}/invitations/accept#token=${encodeURIComponent(token)}`;
const inWorkspace = (id: number, extra: Record<string, string> = {}) => ({ ...owner.auth, 'x-workspace-id': String(id), ...extra });
const messagesTo = (email: string) => smtp.messages.filter((message) => message.recipients.includes(email));
const outboxId = (message: ReceivedMessage) => Number(/^<outbox-(\d+)-\d+@tessera>$/.exec(message.messageId)?.[1]);

async function invite(workspaceId: number, email: string, options: { role?: string; headers?: Record<string, string> } = {}) {
  const response = await t.request({
    method: 'POST',
    url: '/api/v1/invitations',
    headers: inWorkspace(workspaceId, options.headers),
    payload: { email, ...(options.role ? { role: options.role } : {}) },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data as { id: number; email: string; role: string; token: string; delivery: string };
}

async function outboxRows(email: string) {
  return t.db.selectFrom('outbox_messages').selectAll().where('recipient', '=', email).where('kind', '=', 'invitation').orderBy('id').execute();
}

/** Waits for the `count`-th message to `email`, and for its outbox row to be marked sent. */
async function delivered(email: string, count = 1): Promise<ReceivedMessage> {
  await smtp.waitUntil((messages) => messages.filter((m) => m.recipients.includes(email)).length >= count, 10_000, `message ${count} to ${email}`);
  const message = messagesTo(email)[count - 1]!;
  await eventually(`outbox row of ${message.messageId} marked sent`, async () => {
    const row = (await outboxRows(email)).find((r) => r.id === outboxId(message));
    return row?.status === 'sent' ? row : undefined;
  });
  return message;
}

/** The stored row after delivery: sent, and nothing left that holds the token. */
async function expectScrubbed(email: string, tokens: readonly string[]) {
  const rows = await outboxRows(email);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row).toMatchObject({ status: 'sent', kind: 'invitation', text_body: DELIVERED_BODY, html_body: DELIVERED_BODY, last_error: null, claimed_until: null });
    expect(row.sent_at).not.toBeNull();
    for (const token of tokens) {
      expect(JSON.stringify(row)).not.toContain(token);
      expect(JSON.stringify(row)).not.toContain(encodeURIComponent(token));
    }
  }
}

describe('the invitation e-mail', () => {
  let workspace: { id: number; name: string };

  beforeAll(async () => {
    // Non-ASCII on purpose: the subject goes out as RFC 2047 encoded-words and the body as quoted-printable.
    workspace = await createWorkspace(t, owner, `Café Ñandú ${process.pid}`);
  });

  it('reaches the invitee in English, with the accept link carrying the token the API returned', async () => {
    const email = uniqueEmail('Invitee.EN');
    const invitation = await invite(workspace.id, email, { role: 'viewer' });
    expect(invitation.token).toMatch(/^inv_/);
    expect(invitation.delivery).toBe('smtp');

    const message = await delivered(email);
    expect(message.recipients).toEqual([email]);
    expect(messagesTo(email)).toHaveLength(1);
    expect(message.headers.get('to')).toContain(email);
    expect(message.headers.get('from')).toBe(t.config.mailFrom);
    expect(message.subject).toBe(`You're invited to join ${workspace.name}`);
    expect(message.messageId).toMatch(/^<outbox-\d+-\d+@tessera>$/);
    expect(message.text).toContain(`Olga Owner invited you to join ${workspace.name} as viewer.`);
    expect(message.text).toContain(`Accept the invitation: ${acceptLink(invitation.token)}`);
    expect(message.html).toContain(acceptLink(invitation.token));

    // The token in the mail is the live one: the invitation page finds it.
    const lookup = await t.request({ method: 'POST', url: '/api/v1/invitations/lookup', payload: { token: invitation.token } });
    expect(lookup.statusCode, lookup.body).toBe(200);
    expect(lookup.json().data).toMatchObject({ workspace_name: workspace.name, inviter_name: 'Olga Owner', role: 'viewer' });

    await expectScrubbed(email, [invitation.token]);
    const [row] = await outboxRows(email);
    expect(row?.id).toBe(outboxId(message));
    expect(row?.attempts).toBe(1);
  });

  it('is written in Spanish when the inviter asked in Spanish', async () => {
    const email = uniqueEmail('invitee.es');
    const invitation = await invite(workspace.id, email, { headers: { 'accept-language': 'es' } });

    const message = await delivered(email);
    expect(message.recipients).toEqual([email]);
    expect(message.subject).toBe(`Te han invitado a unirte a ${workspace.name}`);
    expect(message.text).toContain(`Olga Owner te ha invitado a unirte a ${workspace.name} con el rol member.`);
    expect(message.text).toContain('La invitación vence el ');
    expect(message.text).toContain(`Aceptar la invitación: ${acceptLink(invitation.token)}`);
    await expectScrubbed(email, [invitation.token]);
  });

  it('sends a second message with the new token on resend, and the old token dies', async () => {
    const email = uniqueEmail('invitee.resend');
    const first = await invite(workspace.id, email);
    const firstMessage = await delivered(email);
    expect(firstMessage.text).toContain(acceptLink(first.token));

    const response = await t.request({ method: 'POST', url: `/api/v1/invitations/${first.id}/resend`, headers: inWorkspace(workspace.id) });
    expect(response.statusCode, response.body).toBe(200);
    const resent = response.json().data as { id: number; token: string };
    expect(resent.id).toBe(first.id);
    expect(resent.token).not.toBe(first.token);

    const second = await delivered(email, 2);
    expect(messagesTo(email)).toHaveLength(2);
    expect(second.recipients).toEqual([email]);
    expect(second.subject).toBe(`You're invited to join ${workspace.name}`);
    expect(second.messageId).not.toBe(firstMessage.messageId);
    expect(second.text).toContain(`Accept the invitation: ${acceptLink(resent.token)}`);
    expect(second.text).not.toContain(first.token);

    const oldLookup = await t.request({ method: 'POST', url: '/api/v1/invitations/lookup', payload: { token: first.token } });
    expect(oldLookup.statusCode).toBe(404);
    const newLookup = await t.request({ method: 'POST', url: '/api/v1/invitations/lookup', payload: { token: resent.token } });
    expect(newLookup.statusCode).toBe(200);

    expect(await outboxRows(email)).toHaveLength(2);
    await expectScrubbed(email, [first.token, resent.token]);
  });
});

describe('an SMTP outage', () => {
  it('keeps the message in the outbox with its error, and delivers it once the server is back and the retry is due', async () => {
    const workspace = await createWorkspace(t, owner, `Outage ${process.pid}`);
    await smtp.stop();
    try {
      const email = uniqueEmail('invitee.outage');
      const invitation = await invite(workspace.id, email);

      const failed = await eventually('the first failed attempt', async () => {
        const [row] = await outboxRows(email);
        return row && row.attempts >= 1 && row.last_error !== null ? row : undefined;
      });
      expect(failed).toMatchObject({ status: 'pending', attempts: 1, claimed_until: null });
      expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);
      // Not delivered, so the body (and the token) is still there to send later.
      expect(failed.text_body).toContain(acceptLink(invitation.token));
      const due = new Date(failed.next_attempt_at).getTime();
      expect(due - t.clock.now().getTime()).toBe(retryDelaySeconds(1) * 1000);

      // The app's clock stands still: several poll intervals later the retry is still not due.
      await sleep(POLL_MS * 8);
      expect(await outboxRows(email)).toMatchObject([{ status: 'pending', attempts: 1 }]);

      await smtp.start();
      // Back, but the backoff holds until the clock reaches next_attempt_at.
      await sleep(POLL_MS * 6);
      expect(messagesTo(email)).toHaveLength(0);
      expect(await outboxRows(email)).toMatchObject([{ status: 'pending', attempts: 1 }]);

      t.clock.advance(due - t.clock.now().getTime());
      const message = await delivered(email);
      expect(message.recipients).toEqual([email]);
      expect(message.text).toContain(acceptLink(invitation.token));
      expect(messagesTo(email)).toHaveLength(1);
      expect(await outboxRows(email)).toMatchObject([{ status: 'sent', attempts: 2, last_error: null }]);
      await expectScrubbed(email, [invitation.token]);
    } finally {
      await smtp.start();
    }
  });

  it('backs off 5 s, 10 s, 20 s across repeated failures and still delivers after the outage', async () => {
    const workspace = await createWorkspace(t, owner, `Long outage ${process.pid}`);
    await smtp.stop();
    try {
      const email = uniqueEmail('invitee.long-outage');
      const invitation = await invite(workspace.id, email);
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const row = await eventually(`failed attempt ${attempt}`, async () => {
          const [found] = await outboxRows(email);
          return found && found.attempts >= attempt && found.status === 'pending' && found.claimed_until === null ? found : undefined;
        });
        expect(row.attempts).toBe(attempt);
        const wait = new Date(row.next_attempt_at).getTime() - t.clock.now().getTime();
        expect(wait).toBe(retryDelaySeconds(attempt) * 1000);
        if (attempt < 3) t.clock.advance(wait);
        else {
          await smtp.start();
          t.clock.advance(wait);
        }
      }
      const message = await delivered(email);
      expect(message.text).toContain(acceptLink(invitation.token));
      expect(messagesTo(email)).toHaveLength(1);
      expect(await outboxRows(email)).toMatchObject([{ status: 'sent', attempts: 4 }]);
    } finally {
      await smtp.start();
    }
  });
});

describe('a backlog', () => {
  it('drains several messages at a time, and batch after batch without waiting a poll interval', async () => {
    // Queued by an instance that sends nothing; drained by one that polls only once a minute,
    // through a relay that takes 250 ms per message.
    const queuing = await startTestApp({ env: { PUBLIC_URL } });
    const slowRelay = await startSmtp({ dataDelayMs: 250 });
    try {
      const inviter = await register(queuing, { name: 'Backlog Owner' });
      const workspace = await createWorkspace(queuing, inviter, 'Backlog Store');
      const emails = Array.from({ length: 45 }, (_, i) => uniqueEmail(`backlog-${i}`).toLowerCase());
      for (const email of emails) {
        const response = await queuing.request({
          method: 'POST',
          url: '/api/v1/invitations',
          headers: { ...inviter.auth, 'x-workspace-id': String(workspace.id) },
          payload: { email },
        });
        expect(response.statusCode, response.body).toBe(201);
      }
      const started = Date.now();
      const sending = await startSecondApp(queuing, { SMTP_URL: slowRelay.url, MAIL_POLL_INTERVAL_MS: '60000', PUBLIC_URL });
      try {
        // Its first poll runs at start-up; 46 messages (the invitations and the owner's verification
        // link) are more than two batches of 20.
        await slowRelay.waitFor(46, 20_000);
        const drainedMs = Date.now() - started;
        expect(new Set(slowRelay.messages.flatMap((message) => message.recipients))).toEqual(new Set([...emails, inviter.email]));
        // One at a time would take 46 × 250 ms; waiting a poll interval between batches, minutes.
        expect(drainedMs).toBeLessThan((46 * 250) / 2);
      } finally {
        await sending.close();
      }
    } finally {
      await queuing.close();
      await slowRelay.stop();
    }
  }, 60_000);
});
