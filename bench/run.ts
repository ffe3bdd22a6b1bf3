import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { findPostgres, postgresDatabase, sqliteDatabase, type BenchDatabase } from './databases.ts';
import { REPO_ROOT, startServer, stopAllServers, type Server } from './processes.ts';
import {
  formatTable,
  formatTargets,
  writeReport,
  type BenchReport,
  type EngineReport,
  type ScenarioResult,
} from './report.ts';

/**
 * `npm run bench`: per engine, a fresh database, Tessera and a bare-Fastify floor each
 * in their own node process, driven over 127.0.0.1 by autocannon from this process.
 * A measurement, not a gate: a missed target still exits 0; only a broken run exits 1.
 */
const SECONDS = secondsFromEnv(process.env.BENCH_SECONDS, 5);
// Unrecorded, so the JIT and the database caches are warm in every measured second.
const WARMUP_SECONDS = 1;
const READ_CONNECTIONS = 32;
// argon2id takes both cores by design; more connections only queue behind it.
const LOGIN_CONNECTIONS = 8;
const TARGET_RATIO = 0.5;
const SCENARIOS_PER_ENGINE = 4;
// src/core/config.ts caps AUTH_RATE_LIMIT_MAX at 100000 (a higher value stops start-up);
// that is still far above the attempts one login scenario makes within one window.
const AUTH_RATE_LIMIT_MAX = '100000';
const PASSWORD = 'bench-password-1';

interface Request {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Undo steps, newest first, run at the end of an engine, on error and on a signal alike. */
const undo: Array<() => Promise<void>> = [];

async function unwind(): Promise<void> {
  for (let step = undo.pop(); step; step = undo.pop()) {
    try {
      await step();
    } catch (error) {
      console.error('bench: cleanup step failed:', error);
    }
  }
  await stopAllServers();
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const postgres = await findPostgres(process.env);
  const engineCount = postgres.skip === undefined ? 2 : 1;
  // Each scenario is bounded by autocannon's duration; this only catches a hang elsewhere.
  const budgetSeconds = engineCount * (SCENARIOS_PER_ENGINE * (SECONDS + WARMUP_SECONDS) + 60);
  setTimeout(() => {
    console.error(`bench: still running after ${budgetSeconds} s; aborting`);
    void unwind().finally(() => process.exit(1));
  }, budgetSeconds * 1000).unref();

  console.log(
    `tessera bench: ${SECONDS} s per scenario after ${WARMUP_SECONDS} s warm-up; ` +
      `${READ_CONNECTIONS} connections for reads and the floor, ${LOGIN_CONNECTIONS} for login; ` +
      `${os.cpus().length} CPUs, node ${process.version}\n`,
  );

  const engines: EngineReport[] = [];
  engines.push(await benchEngine(sqliteDatabase()));
  if (postgres.skip === undefined) {
    engines.push(await benchEngine(await postgresDatabase(postgres.adminUrl)));
  } else {
    console.log(`postgres: skipped: ${postgres.skip}\n`);
    engines.push({ engine: 'postgres', skipped: postgres.skip });
  }

  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    engines,
  };
  console.log(`\n${formatTable(engines)}\n\n${formatTargets(engines)}\n`);
  const file = writeReport(path.join(REPO_ROOT, 'bench', 'results'), report);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

async function benchEngine(database: BenchDatabase): Promise<EngineReport> {
  undo.push(() => database.drop());
  console.log(`${database.engine}: ${database.label}`);
  try {
    const env = serverEnv(database);
    const tessera = await startServer('tessera', 'src/main.ts', env);
    undo.push(() => tessera.stop());

    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const registered = await call(tessera, {
      method: 'POST',
      path: '/api/v1/auth/register',
      ...json({ name: 'Bench User', email, password: PASSWORD }),
    });
    const { access_token: token, user } = (registered as { data: { access_token: string; user: { id: number } } })
      .data;
    const me: Request = { method: 'GET', path: '/api/v1/me', headers: { authorization: `Bearer ${token}` } };
    const login: Request = { method: 'POST', path: '/api/v1/auth/login', ...json({ email, password: PASSWORD }) };
    const select: Request = { method: 'GET', path: `/floor/users/${user.id}` };

    // Started after Tessera has migrated the database, and stopped before Tessera is measured.
    const floorServer = await startServer('floor', 'bench/floor-server.ts', env);
    undo.push(() => floorServer.stop());
    await call(floorServer, select);
    const floor = await measure('floor (bare select)', floorServer, select, READ_CONNECTIONS);
    await floorServer.stop();

    await call(tessera, me);
    await call(tessera, login);
    const scenarios = [floor];
    for (const [name, request, connections] of [
      ['GET /healthz', { method: 'GET', path: '/healthz' }, READ_CONNECTIONS],
      ['GET /api/v1/me', me, READ_CONNECTIONS],
      ['POST /api/v1/auth/login', login, LOGIN_CONNECTIONS],
    ] as const) {
      scenarios.push(await measure(name, tessera, request, connections, floor.requestsPerSec));
    }

    const meResult = scenarios.find((s) => s.scenario === 'GET /api/v1/me');
    const ratio = meResult?.ratioToFloor ?? 0;
    console.log();
    return {
      engine: database.engine,
      database: database.label,
      scenarios,
      target: {
        description: `GET /api/v1/me ≥ ${TARGET_RATIO}× floor`,
        ratio,
        pass: ratio >= TARGET_RATIO,
      },
    };
  } finally {
    await unwind();
  }
}

function serverEnv(database: BenchDatabase): NodeJS.ProcessEnv {
  // The caller's own DATABASE_URL or DATA_DIR must not leak into the run.
  const { DATABASE_URL: _url, DATA_DIR: _dir, ...inherited } = process.env;
  return { ...inherited, LOG_LEVEL: 'warn', AUTH_RATE_LIMIT_MAX, ...database.env };
}

async function measure(
  scenario: string,
  server: Server,
  request: Request,
  connections: number,
  floorRequestsPerSec?: number,
): Promise<ScenarioResult> {
  const { path: requestPath, ...rest } = request;
  const options = { ...rest, url: `${server.url}${requestPath}`, connections, timeout: 10 };
  await autocannon({ ...options, duration: WARMUP_SECONDS });
  const result = await autocannon({ ...options, duration: SECONDS });
  // autocannon counts a dead server as errors; that is a broken bench, not a measurement.
  if (!server.alive()) throw new Error(`${server.name} exited during ${scenario}`);
  const requestsPerSec = result.requests.mean;
  const measured: ScenarioResult = {
    scenario,
    connections,
    seconds: SECONDS,
    requestsPerSec,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    rssMiB: server.rssMiB() ?? null,
    ratioToFloor: requestsPerSec / (floorRequestsPerSec ?? requestsPerSec),
  };
  console.log(
    `  ${scenario.padEnd(26)} ${requestsPerSec.toFixed(0).padStart(7)} req/s  ` +
      `p99 ${result.latency.p99.toFixed(1)} ms  non-2xx ${result.non2xx}  errors ${result.errors}`,
  );
  return measured;
}

/** One request outside the measurement: a scenario that would only count 4xx is a broken bench. */
async function call(server: Server, request: Request): Promise<unknown> {
  const where = `${server.name}: ${request.method} ${request.path}`;
  const response = await fetch(`${server.url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    throw new Error(`${where} failed${server.alive() ? '' : ' (server exited)'}: ${String(error)}`);
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${where} answered ${response.status}: ${text}\n--- ${server.name} output ---\n${server.output()}`);
  }
  return JSON.parse(text) as unknown;
}

function json(body: object): Pick<Request, 'headers' | 'body'> {
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function secondsFromEnv(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 1) throw new Error(`BENCH_SECONDS must be a number ≥ 1, got "${value}"`);
  return seconds;
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}; stopping servers`);
    void unwind().finally(() => process.exit(code));
  });
}

try {
  await main();
} catch (error) {
  console.error('bench failed:', error instanceof Error ? error.message : error);
  await unwind();
  process.exitCode = 1;
}
