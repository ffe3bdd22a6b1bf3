/**
 * The outbox's delivery promises, black box: real server processes (src/main.ts) on
 * one database, delivering to a real SMTP server (test/support/smtp.ts).
 *
 * - two instances racing for the same outbox send each message exactly once;
 * - a SIGKILL between an invitation's commit and its e-mail loses nothing;
 * - a SIGKILL at a random moment while invitations are created and sent loses
 *   nothing either; a message may go out twice only if the kill interrupted its claim.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import {
  api,
  killAllServers,
  openDirect,
  registerUser,
  serverOutput,
  spawnServer,
  uniqueProcessEmail,
  type ServerProcess,
} from '../support/process.ts';
import { startSmtp, type ReceivedMessage, type SmtpSink } from '../support/smtp.ts';

const PUBLIC_URL = 'https://app.example.test';
// src/core/config.ts refuses MAIL_POLL_INTERVAL_MS below 50 (start-up fails), so 50 is the fastest poll.
const POLL_MS = '50';
const CRASH_CYCLES = Number(process.env.MAIL_CRASH_CYCLES ?? 3);
const INVITE_PAUSE_MS = 80;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function mailEnv(database: TestDatabase, smtp: SmtpSink | undefined): Record<string, string> {
  return {
    ...database.env,
    // Empty is "not set" to loadConfig, so a runner's own SMTP_URL cannot leak into an instance meant to send nothing.
    SMTP_URL: smtp ? smtp.url : '',
    MAIL_POLL_INTERVAL_MS: POLL_MS,
    PUBLIC_URL,
    // Inviter and workspace limits: far above what these tests create in a window.
    INVITATION_RATE_LIMIT_MAX: '1000000',
  };
}

const acceptLink = (token: string, tenant = 'default') => `${PUBLIC_URL}/console/t/${tenant}/invitations/accept#token=${encodeURIComponent(token)}`;
/** The invitation e-mail among what arrived: the owner's registration mailed a verification link too. */
const invitationMail = (messages: readonly ReceivedMessage[]) => messages.filter((message) => message.subject.startsWith("You're invited"));
const outboxIdOf = (message: ReceivedMessage) => Number(/^<outbox-(\d+)-\d+@tessera>$/.exec(message.messageId)?.[1] ?? NaN);

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** An owner and a workspace to invite into; the token works on every instance of the database. */
async function ownerWithWorkspace(server: ServerProcess, label: string) {
  const owner = await registerUser(server, uniqueProcessEmail(`${label}-owner`));
  const created = await api(server.url, 'POST', '/api/v1/workspaces', {
    token: owner.accessToken,
    body: { name: `Mail ${label} ${process.pid} ${Date.now()}` },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { token: owner.accessToken, headers: { 'x-workspace-id': String(created.body.data.id) } };
}

type Owner = Awaited<ReturnType<typeof ownerWithWorkspace>>;

async function invite(server: ServerProcess, owner: Owner, email: string) {
  return api(server.url, 'POST', '/api/v1/invitations', { token: owner.token, headers: owner.headers, body: { email }, timeoutMs: 20_000 });
}

/** Creates one invitation per email, `concurrency` at a time, round-robin over `servers`; every one must be a 201. */
async function inviteAll(servers: readonly ServerProcess[], owner: Owner, emails: readonly string[], concurrency = 6): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < emails.length) {
        const index = next++;
        const email = emails[index]!;
        const server = servers[index % servers.length]!;
        const response = await invite(server, owner, email);
        expect(response.status, `${email} on ${server.url}: ${JSON.stringify(response.body)}\n${serverOutput(server)}`).toBe(201);
        tokens.set(email, response.body.data.token as string);
      }
    }),
  );
  return tokens;
}

/** Every expected email arrived (at least once), with the accept link of its token. */
function expectLinks(messages: readonly ReceivedMessage[], tokens: ReadonlyMap<string, string>) {
  const problems: string[] = [];
  for (const [email, token] of tokens) {
    const received = messages.filter((message) => message.recipients.includes(email));
    if (received.length === 0) problems.push(`${email}: no message`);
    else if (!received.every((message) => message.text.includes(acceptLink(token)))) problems.push(`${email}: link without its token`);
  }
  expect(problems).toEqual([]);
}

describe('outbox delivery across processes', () => {
  let database: TestDatabase | undefined;
  let smtp: SmtpSink | undefined;
  let direct: ReturnType<typeof openDirect> | undefined;

  afterEach(async () => {
    await killAllServers();
    await direct?.close();
    await smtp?.stop();
    await database?.drop();
    database = undefined;
    smtp = undefined;
    direct = undefined;
  });

  it('sends each message exactly once when two instances deliver from one outbox', { timeout: 60_000 }, async () => {
    database = await createTestDatabase();
    // A little latency per message, so the two workers' batches overlap in time.
    smtp = await startSmtp({ dataDelayMs: 5 });
    const env = mailEnv(database, smtp);
    const a = await spawnServer(env);
    await a.waitReady(30_000);
    const b = await spawnServer(env);
    await b.waitReady(30_000);

    const owner = await ownerWithWorkspace(a, 'pair');
    const emails = Array.from({ length: 30 }, (_, i) => uniqueProcessEmail(`pair-${i}`));
    const tokens = await inviteAll([a, b], owner, emails);
    expect(tokens.size).toBe(30);

    await smtp.waitUntil((received) => invitationMail(received).length >= 30, 20_000, '30 invitation messages');
    direct = openDirect(database.env);
    const db = direct.db;
    await eventually(
      'every outbox row sent',
      async () => {
        const open = await db.selectFrom('outbox_messages').select('id').where('status', '<>', 'sent').execute();
        return open.length === 0 ? true : undefined;
      },
      20_000,
    );
    // Ten poll intervals more: a duplicate on its way would arrive by now.
    await sleep(500);

    const messages = invitationMail(smtp.messages);
    const byMessageId = countBy(messages, (message) => message.messageId);
    const byRecipient = countBy(messages, (message) => message.recipients.join(','));
    expect([...byMessageId.values()].filter((count) => count !== 1), 'Message-IDs received more than once').toEqual([]);
    expect([...byRecipient.entries()].filter(([, count]) => count !== 1), 'recipients with more than one message').toEqual([]);
    expect(messages).toHaveLength(30);
    expect([...byRecipient.keys()].sort()).toEqual([...emails].sort());
    expectLinks(messages, tokens);

    const rows = await db.selectFrom('outbox_messages').select(['id', 'status', 'attempts', 'recipient']).where('kind', '=', 'invitation').execute();
    expect(rows).toHaveLength(30);
    expect(rows.filter((row) => row.status !== 'sent' || row.attempts !== 1), 'rows not sent on the first attempt').toEqual([]);
    expect(new Set(messages.map(outboxIdOf))).toEqual(new Set(rows.map((row) => row.id)));

    // Both stop cleanly with their workers running.
    const [stopA, stopB] = await Promise.all([a.stop(), b.stop()]);
    expect(stopA, serverOutput(a)).toEqual({ code: 0, signal: null });
    expect(stopB, serverOutput(b)).toEqual({ code: 0, signal: null });
  });

  it('loses no message to a SIGKILL between the commit and the send', { timeout: 60_000 }, async () => {
    database = await createTestDatabase();
    smtp = await startSmtp();

    // No SMTP_URL: nothing is sent, every message stays committed and unsent.
    const first = await spawnServer(mailEnv(database, undefined));
    await first.waitReady(30_000);
    const owner = await ownerWithWorkspace(first, 'commit');
    const emails = Array.from({ length: 12 }, (_, i) => uniqueProcessEmail(`commit-${i}`));
    const tokens = await inviteAll([first], owner, emails);
    expect((await first.kill()).signal).toBe('SIGKILL');
    expect(smtp.messages).toHaveLength(0);

    const second = await spawnServer(mailEnv(database, smtp));
    await second.waitReady(30_000);
    await smtp.waitUntil((received) => invitationMail(received).length >= emails.length, 20_000, `${emails.length} invitation messages`);
    direct = openDirect(database.env);
    const db = direct.db;
    await eventually(
      'every outbox row sent',
      async () => ((await db.selectFrom('outbox_messages').select('id').where('status', '<>', 'sent').execute()).length === 0 ? true : undefined),
      20_000,
    );
    await sleep(300);

    const invitations = invitationMail(smtp.messages);
    expect(invitations).toHaveLength(emails.length);
    expect([...countBy(invitations, (message) => message.messageId).values()].every((count) => count === 1)).toBe(true);
    expect(invitations.map((message) => message.recipients.join(',')).sort()).toEqual([...emails].sort());
    expectLinks(invitations, tokens);
    expect(await second.stop(), serverOutput(second)).toEqual({ code: 0, signal: null });
  });

  it(
    'loses no acknowledged invitation e-mail to a SIGKILL at a random moment while sending',
    { timeout: 30_000 + CRASH_CYCLES * 15_000 },
    async () => {
      expect(CRASH_CYCLES).toBeGreaterThan(0);
      database = await createTestDatabase();
      // Every send spends ~100 ms before the greeting and 30 ms after the data: the kill has a fair
      // chance of landing between a claim and its "sent", before or after the relay took the message.
      smtp = await startSmtp({ dataDelayMs: 30 });
      direct = openDirect(database.env);
      const db = direct.db;
      const acknowledged = new Map<string, string>();
      /** Outbox id → how many of its claims a kill interrupted (left `sending`): only these may arrive more than once. */
      const interrupted = new Map<number, number>();
      const log: string[] = [];
      let owner: Owner | undefined;

      for (let cycle = 1; cycle <= CRASH_CYCLES; cycle += 1) {
        const server = await spawnServer(mailEnv(database, smtp));
        await server.waitReady(30_000);
        owner ??= await ownerWithWorkspace(server, 'crash');
        const inviter = owner;

        let killed = false;
        const unexpected: string[] = [];
        let thisCycle = 0;
        const clients = Array.from({ length: 2 }, async (_, client) => {
          while (!killed) {
            const email = uniqueProcessEmail(`crash-c${cycle}-k${client}`);
            let response;
            try {
              response = await invite(server, inviter, email);
            } catch (error) {
              if (!killed) unexpected.push(`${email}: ${String(error)}`);
              return;
            }
            if (response.status === 201) {
              acknowledged.set(email, response.body.data.token as string);
              thisCycle += 1;
            } else unexpected.push(`${email}: ${response.status} ${JSON.stringify(response.body)}`);
            // Paced: a worker sends about ten a second (see test/support/smtp.ts); a flood would only make the test slow.
            await sleep(INVITE_PAUSE_MS);
          }
        });
        const delay = 300 + Math.floor(Math.random() * 1200);
        await sleep(delay);
        killed = true;
        const sentBefore = smtp.messages.length;
        expect((await server.kill()).signal, serverOutput(server)).toBe('SIGKILL');
        await Promise.all(clients);
        expect(unexpected, `cycle ${cycle}\n${serverOutput(server)}`).toEqual([]);

        // A claim lasts 60 s; rather than wait it out, expire the claims the dead process left,
        // exactly as time would. Nothing runs on the database at this moment.
        const stuck = await db.selectFrom('outbox_messages').select('id').where('status', '=', 'sending').execute();
        for (const row of stuck) interrupted.set(row.id, (interrupted.get(row.id) ?? 0) + 1);
        if (stuck.length > 0) {
          await db
            .updateTable('outbox_messages')
            .set({ claimed_until: new Date(Date.now() - 1000).toISOString() })
            .where('status', '=', 'sending')
            .execute();
        }
        const pending = await db.selectFrom('outbox_messages').select('id').where('status', '=', 'pending').execute();
        log.push(
          `cycle ${cycle}: killed after ${delay} ms; ${thisCycle} acknowledged, ${sentBefore} received so far, ` +
            `${stuck.length} claim(s) interrupted, ${pending.length} unsent`,
        );
      }

      const last = await spawnServer(mailEnv(database, smtp));
      await last.waitReady(30_000);
      await smtp.waitUntil(
        (messages) => [...acknowledged.keys()].every((email) => messages.some((message) => message.recipients.includes(email))),
        30_000,
        `a message for each of the ${acknowledged.size} acknowledged invitations`,
      );
      await eventually(
        'every outbox row sent',
        async () => ((await db.selectFrom('outbox_messages').select('id').where('status', '<>', 'sent').execute()).length === 0 ? true : undefined),
        30_000,
      );
      await sleep(300);
      expect(await last.stop(), serverOutput(last)).toEqual({ code: 0, signal: null });

      const messages = invitationMail(smtp.messages);
      expectLinks(messages, acknowledged);

      // Every message belongs to a committed invitation, and every invitation has exactly one message row.
      const invitations = await db.selectFrom('invitations').select('email').execute();
      const rows = await db.selectFrom('outbox_messages').select(['id', 'recipient', 'status']).where('kind', '=', 'invitation').execute();
      expect(rows.map((row) => row.recipient).sort()).toEqual(invitations.map((row) => row.email).sort());
      const committed = new Set(invitations.map((row) => row.email));
      expect(messages.filter((message) => !message.recipients.every((recipient) => committed.has(recipient)))).toEqual([]);
      expect(new Set(messages.map(outboxIdOf))).toEqual(new Set(rows.map((row) => row.id)));

      // At least once: each interrupted claim may have cost one extra copy, nothing else may.
      const duplicates = [...countBy(messages, (message) => String(outboxIdOf(message)))].filter(([, count]) => count > 1);
      expect(
        duplicates.filter(([id, count]) => count > 1 + (interrupted.get(Number(id)) ?? 0)),
        'outbox ids received more often than 1 + their interrupted claims',
      ).toEqual([]);
      const interruptedClaims = [...interrupted.values()].reduce((sum, n) => sum + n, 0);

      console.log(
        `mail crash (${database.engine}): ${CRASH_CYCLES} cycles, ${acknowledged.size} acknowledged invitations ` +
          `(${invitations.length} committed), ${messages.length} messages received, ` +
          `${interruptedClaims} interrupted claim(s), ${duplicates.length} message(s) received more than once` +
          `${duplicates.length ? ` [${duplicates.map(([id, count]) => `outbox #${id} ×${count}`).join(', ')}]` : ''}\n  ${log.join('\n  ')}`,
      );
      expect(acknowledged.size, 'nothing was acknowledged: the test proved nothing').toBeGreaterThan(0);
    },
  );
});
