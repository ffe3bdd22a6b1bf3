import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { fetch } from 'undici';
import { ENV_VARIABLES } from '../../src/core/config.ts';
import { openDatabase, type Db } from '../../src/schema/database.ts';
import { createTestDatabase } from './engines.ts';

/**
 * Real Tessera server processes for black-box tests: `node --import tsx src/main.ts`
 * spawned directly (no npm in between), so the pid a test signals is the server itself.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(REPO_ROOT, 'src/main.ts');
const OUTPUT_LIMIT = 64 * 1024;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Resolves once the process has exited, however it ended. */
  readonly exited: Promise<ExitStatus>;
  /** Undefined while the process runs. */
  exitStatus(): ExitStatus | undefined;
  /** What the process wrote so far (bounded to the last 64 KiB of each stream). */
  output(): { stdout: string; stderr: string };
  /** Polls GET /healthz until 200; fails early, with the process's stderr, if it exits first. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM (graceful shutdown) and wait for the exit; SIGKILL after timeoutMs as a last resort. */
  stop(timeoutMs?: number): Promise<ExitStatus>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<ExitStatus>;
}

const live = new Set<ServerProcess>();
// Last resort if the test worker goes away without its hooks running: no orphaned servers.
process.once('exit', () => {
  for (const server of live) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A port that was free a moment ago: listen on port 0, read the port, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port assigned'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Whether something accepts TCP connections at host:port within timeoutMs. */
export async function tcpReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function appendBounded(current: string, chunk: string): string {
  const next = current + chunk;
  return next.length > OUTPUT_LIMIT ? next.slice(next.length - OUTPUT_LIMIT) : next;
}

/**
 * Starts a server on a free port of 127.0.0.1. `env` is laid over the defaults
 * (LOG_LEVEL=warn, AUTH_RATE_LIMIT_MAX=100000); pass the test database's env here.
 * The process is tracked until it exits, so `killAllServers` can clean up after a failure.
 * `via: 'npm'` starts it as the README does (`npm start`): the pid is then npm's.
 */
export async function spawnServer(env: Record<string, string>, options: { via?: 'node' | 'npm' } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const inherited = { ...process.env };
  for (const key of ENV_VARIABLES) delete inherited[key];
  // The runner's own flags (inspector, loaders) are not the server's business.
  delete inherited.NODE_OPTIONS;

  const [command, args] = options.via === 'npm' ? ['npm', ['start', '--silent']] : [process.execPath, ['--import', 'tsx', MAIN]];
  const child: ChildProcess = spawn(command, args, {
    cwd: REPO_ROOT,
    env: {
      ...inherited,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT_MAX: '100000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      // One issuer for every server of a test, as several instances behind one address share
      // one PUBLIC_URL: a token from one is good at the others. '' restores the default (HOST:PORT).
      PUBLIC_URL: 'http://tessera.test',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('spawn failed: no pid');
  const pid = child.pid;
  const url = `http://127.0.0.1:${port}`;

  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout = appendBounded(stdout, chunk)));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = appendBounded(stderr, chunk)));

  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
    child.once('error', (error) => {
      stderr = appendBounded(stderr, `\n[spawn error] ${error.stack ?? String(error)}\n`);
      status ??= { code: null, signal: null };
      resolve(status);
    });
  });

  const describe = () =>
    `server pid ${pid} on ${url}` +
    (status ? ` exited (code ${status.code}, signal ${status.signal})` : '') +
    `\n--- stderr ---\n${stderr.trim() || '(empty)'}\n--- stdout ---\n${stdout.trim() || '(empty)'}`;

  const server: ServerProcess = {
    url,
    port,
    pid,
    exited,
    exitStatus: () => status,
    output: () => ({ stdout, stderr }),

    async waitReady(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let lastProblem = 'no answer yet';
      while (Date.now() < deadline) {
        if (status) throw new Error(`server exited before it was ready: ${describe()}`);
        try {
          const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
          await response.body?.cancel();
          if (response.status === 200) return;
          lastProblem = `GET /healthz answered ${response.status}`;
        } catch (error) {
          lastProblem = error instanceof Error ? `${error.message} ${String((error.cause as Error)?.message ?? '')}` : String(error);
        }
        await Promise.race([new Promise((resolve) => setTimeout(resolve, 50)), exited]);
      }
      throw new Error(`server not ready after ${timeoutMs} ms (${lastProblem}): ${describe()}`);
    },

    async stop(timeoutMs = 15_000) {
      if (!status) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!status) child.kill('SIGKILL');
      }, timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },

    async kill() {
      if (!status) child.kill('SIGKILL');
      return exited;
    },
  };

  live.add(server);
  void exited.then(() => live.delete(server));
  return server;
}

/** SIGKILLs every server this module started that still runs; for afterEach/afterAll. */
export async function killAllServers(): Promise<void> {
  await Promise.all([...live].map((server) => server.kill()));
}

/** A failure message with the server's output, for expectations that need context. */
export function serverOutput(server: ServerProcess): string {
  const { stdout, stderr } = server.output();
  return `--- ${server.url} (pid ${server.pid}) stderr ---\n${stderr.trim()}\n--- stdout ---\n${stdout.trim()}`;
}

export interface ApiResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: any;
}

/** One JSON request over a real socket; `body` is the parsed JSON, or the text when it is not JSON. */
export async function api(
  baseUrl: string,
  method: string,
  urlPath: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${baseUrl}${urlPath}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body };
}

let emailCounter = 0;
/** Unique across processes, runs and engines, so Redis leftovers never match. */
export function uniqueProcessEmail(prefix = 'proc'): string {
  emailCounter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}.${process.pid}.${Date.now()}.${random}.${emailCounter}@example.com`;
}

export const PASSWORD = 'correct horse battery';

/** Registers through the API; on anything but 201 the error carries the server's output when it is known. */
export async function registerUser(
  server: ServerProcess | string,
  email: string,
  headers: Record<string, string> = {},
): Promise<{ accessToken: string; refreshToken: string; userId: number }> {
  const baseUrl = typeof server === 'string' ? server : server.url;
  const response = await api(baseUrl, 'POST', '/api/v1/auth/register', {
    body: { name: 'Process Test', email, password: PASSWORD },
    headers,
  });
  if (response.status !== 201) {
    const context = typeof server === 'string' ? '' : `\n${serverOutput(server)}`;
    throw new Error(`register ${email} on ${baseUrl}: ${response.status} ${JSON.stringify(response.body)}${context}`);
  }
  return {
    accessToken: response.body.data.access_token,
    refreshToken: response.body.data.refresh_token,
    userId: response.body.data.user.id,
  };
}

/**
 * The test database opened directly, as the server opens it, for checks behind the
 * API's back. `close` returns only once PostgreSQL has let go of the connection:
 * pg's Pool.end() resolves before its clients have disconnected, and a
 * `drop database ... with (force)` that catches one of them makes the pool emit an
 * unhandled 'error' (57P01) in the test process.
 */
export function openDirect(env: Record<string, string>): { db: Db; close(): Promise<void> } {
  if (!env.DATA_DIR) throw new Error('openDirect needs the test database env (DATA_DIR)');
  const db = openDatabase({
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: 1,
    dataDir: env.DATA_DIR,
    sqliteSynchronous: 'FULL',
  });
  return {
    db,
    async close() {
      await db.destroy();
      if (!env.DATABASE_URL) return;
      const client = new pg.Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      try {
        const deadline = Date.now() + 5000;
        while (Date.now() < deadline) {
          const others = await client.query<{ count: string }>(
            'select count(*) as count from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
          );
          if (Number(others.rows[0]?.count) === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        await client.end();
      }
    },
  };
}

/** Two server processes on one fresh database, and a direct handle to it, for tests that race them. */
export interface ServerPair {
  a: ServerProcess;
  b: ServerProcess;
  direct: ReturnType<typeof openDirect>;
  /** Stops both servers, lets go of the database, then drops it. */
  close(): Promise<void>;
}

/** `env` adds settings both servers start with (limits out of the way of a race, say). */
export async function startServerPair(env: Record<string, string> = {}): Promise<ServerPair> {
  const database = await createTestDatabase();
  // Opened once: closing waits for PostgreSQL to see no other client.
  const direct = openDirect(database.env);
  const a = await spawnServer({ ...database.env, ...env });
  await a.waitReady();
  const b = await spawnServer({ ...database.env, ...env });
  await b.waitReady();
  return {
    a,
    b,
    direct,
    async close() {
      await killAllServers();
      await direct.close();
      await database.drop();
    },
  };
}
