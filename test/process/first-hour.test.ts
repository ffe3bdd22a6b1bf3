import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import {
  api,
  freePort,
  killAllServers,
  openDirect,
  registerUser,
  serverOutput,
  spawnServer,
  tcpReachable,
  uniqueProcessEmail,
  type ServerProcess,
} from '../support/process.ts';

/**
 * What a newcomer meets in the first hour, each proven on a real process: browser apps
 * (CORS), links and issuer that follow PORT, an honest start-up log, a Redis that is down,
 * a readable 413, and `npm start` stopped the way a service manager stops it.
 */

const execFileAsync = promisify(execFile);
const REDIS_PORT = 6379;
const redisUp = await tcpReachable('127.0.0.1', REDIS_PORT);
if (!redisUp && process.env.CI) throw new Error(`CI needs Redis on 127.0.0.1:${REDIS_PORT}; it does not answer`);

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterEach(async () => {
  await killAllServers();
});

afterAll(async () => {
  await database.drop();
});

async function started(env: Record<string, string> = {}, via: 'node' | 'npm' = 'node'): Promise<ServerProcess> {
  const server = await spawnServer({ ...database.env, ...env }, { via });
  await server.waitReady(30_000);
  return server;
}

/** The JSON lines a server logged, parsed (a line that is not JSON fails the test). */
function logLines(server: ServerProcess): Array<{ level: number; msg: string }> {
  return server
    .output()
    .stdout.split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('>'))
    .map((line) => {
      try {
        return JSON.parse(line) as { level: number; msg: string };
      } catch {
        throw new Error(`log line is not JSON: ${line}\n${serverOutput(server)}`);
      }
    });
}

describe('browser apps (CORS_ORIGINS)', () => {
  it('answers preflights from a listed origin, lets it read answers and errors, and gives other origins nothing', async () => {
    const server = await started({ CORS_ORIGINS: 'http://localhost:5173, https://app.example.test' });
    const preflight = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-tenant' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-tenant');

    // An error answer (401) must be readable by the app too, with the request id exposed.
    const refused = await api(server.url, 'POST', '/api/v1/auth/login', {
      body: { email: 'nobody@example.com', password: 'wrong password' },
      headers: { origin: 'https://app.example.test' },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
    expect(refused.headers.get('access-control-expose-headers')).toContain('X-Request-Id');

    const foreign = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    const foreignRead = await api(server.url, 'GET', '/healthz', { headers: { origin: 'https://evil.example' } });
    expect(foreignRead.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('with "*" admits any origin, never with credentials; a path in an origin stops start-up naming it', async () => {
    const server = await started({ CORS_ORIGINS: '*' });
    const preflight = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const bad = await spawnServer({ ...database.env, CORS_ORIGINS: 'https://app.example.test/' });
    expect((await bad.exited).code).toBe(1);
    expect(bad.output().stderr).toMatch(/CORS_ORIGINS: "https:\/\/app\.example\.test\/" is not an origin/);
  });
});

describe('PUBLIC_URL follows HOST and PORT', () => {
  it('puts the server’s own address in invitation links and the token issuer, and serves the page the link opens', { timeout: 60_000 }, async () => {
    const server = await started({ PUBLIC_URL: '' });
    const owner = await registerUser(server, uniqueProcessEmail('owner'));
    expect(decodeJwt(owner.accessToken).iss).toBe(server.url);

    const workspace = await api(server.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name: 'Link Branch' } });
    const invited = uniqueProcessEmail('invitee');
    const invitation = await api(server.url, 'POST', '/api/v1/invitations', {
      token: owner.accessToken,
      headers: { 'x-workspace-id': String(workspace.body.data.id) },
      body: { email: invited, role: 'member' },
    });
    expect(invitation.status).toBe(201);
    // No SMTP_URL: the answer says the message waits for the operator instead of claiming it went out.
    expect(invitation.body.data.delivery).toBe('outbox');

    const direct = openDirect(database.env);
    try {
      const message = await direct.db
        .selectFrom('outbox_messages')
        .select(['text_body', 'status'])
        .where('recipient', '=', invited)
        .executeTakeFirstOrThrow();
      const link = `${server.url}/console/t/default/invitations/accept#token=${invitation.body.data.token}`;
      expect(message.text_body).toContain(link);

      // The console's page: its script reads the tenant from the path and the token from the fragment.
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const script = await fetch(`${server.url}/console/assets/console.js`);
      expect(script.status).toBe(200);
      expect(await script.text()).toContain('/api/v1/invitations/lookup');

      // Accepting the invitation cancels its still-unsent e-mail: the link in it is dead now.
      const registered = await api(server.url, 'POST', '/api/v1/auth/register', {
        body: { name: 'Invitee', email: invited, password: 'correct horse battery', invitation_token: invitation.body.data.token },
      });
      expect(registered.status).toBe(201);
      const after = await direct.db.selectFrom('outbox_messages').select('status').where('recipient', '=', invited).executeTakeFirstOrThrow();
      expect(after.status).toBe('cancelled');
    } finally {
      await direct.close();
    }
  });
});

describe('the start-up log', () => {
  it('says where the data lives, that e-mail is off and where queued mail is read, and the URLs, as JSON lines off a terminal', async () => {
    const server = await started({ LOG_LEVEL: 'info', PUBLIC_URL: '' });
    // The lines follow listen(): /healthz may answer before the last of them is written.
    await expect.poll(() => logLines(server).some((line) => line.msg.startsWith('browser origins allowed')), { timeout: 10_000 }).toBe(true);
    const messages = logLines(server).map((line) => line.msg);
    expect(messages).toContainEqual(expect.stringContaining(`API ${server.url}/api/v1 (portal ${server.url}/web/v1), reference ${server.url}/docs`));
    expect(messages).toContainEqual(expect.stringMatching(/^storage: (SQLite at .+tessera\.sqlite|PostgreSQL at postgres)/));
    expect(messages).toContainEqual(expect.stringMatching(/^e-mail: off \(no SMTP_URL\); messages wait in the outbox: (DATA_DIR|DATABASE_URL)=\S+ npm run tessera -- outbox list$/));
    expect(messages).toContainEqual(expect.stringContaining('rate limits: counted in this process'));
    expect(messages).toContainEqual(expect.stringMatching(/^secrets at rest: sealed with (SECRETS_KEY \(1 key\(s\)|the key in .+secrets\.key; back it up)/));
  });
});

describe.skipIf(!redisUp)('Redis as a dependency', () => {
  it('refuses to start when REDIS_URL does not answer, saying so in one line', async () => {
    const closedPort = await freePort();
    const server = await spawnServer({ ...database.env, REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    const status = await server.exited;
    expect(status.code).toBe(1);
    expect(server.output().stderr.trim()).toBe(
      `tessera: Redis at redis://127.0.0.1:${closedPort} does not answer (connect ECONNREFUSED 127.0.0.1:${closedPort}); start it, or unset REDIS_URL to keep rate-limit counters in this process`,
    );
  });

  it('when Redis holds the connection but stops answering: 503 within about a second, not a hung request', { timeout: 60_000 }, async () => {
    const proxy = await startTcpProxy(REDIS_PORT);
    try {
      const server = await started({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, TRUST_PROXY: '127.0.0.1' });
      proxy.freeze();
      const startedAt = Date.now();
      const login = await api(server.url, 'POST', '/api/v1/auth/login', {
        body: { email: uniqueProcessEmail('frozen'), password: 'correct horse battery' },
        headers: { 'x-forwarded-for': `10.${process.pid % 250}.${Date.now() % 250}.9` },
        timeoutMs: 10_000,
      });
      expect(login.status).toBe(503);
      expect(login.body.error.code).toBe('RATE_LIMIT.UNAVAILABLE');
      expect(Date.now() - startedAt).toBeLessThan(5_000);
      expect((await api(server.url, 'GET', '/readyz', { timeoutMs: 10_000 })).status).toBe(503);
    } finally {
      await proxy.stop();
    }
  });

  it('when Redis goes away: /readyz 503, limited routes 503 with Retry-After (never 500), JSON logs only; all well once it is back', { timeout: 60_000 }, async () => {
    const proxy = await startTcpProxy(REDIS_PORT);
    try {
      const server = await started({ REDIS_URL: `redis://127.0.0.1:${proxy.port}`, LOG_LEVEL: 'info', TRUST_PROXY: '127.0.0.1' });
      const client = { 'x-forwarded-for': `10.${process.pid % 250}.${Date.now() % 250}.7` };
      expect((await api(server.url, 'GET', '/readyz')).status).toBe(200);

      await proxy.stop();
      const notReady = await api(server.url, 'GET', '/readyz');
      expect(notReady.status).toBe(503);
      expect(notReady.body.error.code).toBe('RATE_LIMIT.UNAVAILABLE');
      const signUp = await api(server.url, 'POST', '/api/v1/auth/register', {
        body: { name: 'During Outage', email: uniqueProcessEmail('outage'), password: 'correct horse battery' },
        headers: client,
      });
      expect(signUp.status).toBe(503);
      expect(signUp.body.error.code).toBe('RATE_LIMIT.UNAVAILABLE');
      expect(signUp.headers.get('retry-after')).toBe('5');
      // Unlimited routes keep working.
      expect((await api(server.url, 'GET', '/healthz')).status).toBe(200);

      await proxy.resume();
      const deadline = Date.now() + 20_000;
      while ((await api(server.url, 'GET', '/readyz')).status !== 200) {
        if (Date.now() > deadline) throw new Error(`Redis never came back\n${serverOutput(server)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const again = await api(server.url, 'POST', '/api/v1/auth/register', {
        body: { name: 'After Outage', email: uniqueProcessEmail('after'), password: 'correct horse battery' },
        headers: client,
      });
      expect(again.status).toBe(201);

      const lines = logLines(server);
      expect(lines.some((line) => line.msg.startsWith('Redis does not answer'))).toBe(true);
      expect(lines.some((line) => line.msg === 'Redis answers again')).toBe(true);
      expect(server.output().stderr).toBe('');
    } finally {
      await proxy.stop();
    }
  });
});

describe('a body over the limit', () => {
  const FIVE_MB = 5 * 1024 * 1024;

  it('gets a 413 every client can read: Node’s fetch, keep-alive and all, and curl', { timeout: 60_000 }, async () => {
    const server = await started();
    const body = JSON.stringify({ name: 'x'.repeat(FIVE_MB) });
    for (let attempt = 0; attempt < 10; attempt++) {
      const response = await fetch(`${server.url}/api/v1/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('REQUEST.BODY_TOO_LARGE');
    }
    // The connection is still good for the next request.
    expect((await api(server.url, 'GET', '/healthz')).status).toBe(200);

    const file = path.join(os.tmpdir(), `tessera-413-${process.pid}.json`);
    writeFileSync(file, body);
    for (const transfer of [[], ['-H', 'Transfer-Encoding: chunked']]) {
      const { stdout } = await execFileAsync('curl', [
        '-sS', '-X', 'POST', `${server.url}/api/v1/auth/register`, '-H', 'Content-Type: application/json', ...transfer,
        '--data-binary', `@${file}`, '-w', '\n%{http_code}',
      ]);
      const [answer, status] = stdout.split('\n');
      expect(status).toBe('413');
      expect(JSON.parse(answer ?? '').error.code).toBe('REQUEST.BODY_TOO_LARGE');
    }
  });
});

describe('npm start', () => {
  it('stops gracefully when a service manager sends SIGTERM to the process it started, leaving nothing behind', { timeout: 60_000 }, async () => {
    const server = await started({ LOG_LEVEL: 'info' }, 'npm');
    const status = await server.stop();
    expect(status).toEqual({ code: 0, signal: null });
    expect(logLines(server).map((line) => line.msg)).toContain('stopped');
    // Nothing listens on the port any more: no orphaned server.
    expect(await tcpReachable('127.0.0.1', server.port, 500)).toBe(false);
  });
});

/** A TCP relay to a local port that can be cut (every connection dropped, new ones refused), frozen, and restored on the same port. */
async function startTcpProxy(
  targetPort: number,
): Promise<{ port: number; stop(): Promise<void>; resume(): Promise<void>; freeze(): void }> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const relay = net.createServer((incoming) => {
        const outgoing = net.connect(targetPort, '127.0.0.1');
        for (const socket of [incoming, outgoing]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        incoming.pipe(outgoing).pipe(incoming);
      });
      relay.once('error', reject);
      relay.listen(port, '127.0.0.1', () => resolve());
      server = relay;
    });
  await listen();
  return {
    port,
    async stop() {
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    resume: listen,
    /** Connections stay open, but nothing more passes either way: a Redis that hangs. */
    freeze() {
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
  };
}
