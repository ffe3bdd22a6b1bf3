import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startSmtp, type SmtpSink } from '../test/support/smtp.ts';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/schema/database.ts';
import { findPostgres, postgresDatabase, sqliteDatabase, type BenchDatabase } from './databases.ts';
import { REPO_ROOT, startServer, stopAllServers, type Server } from './processes.ts';
import {
  formatTable,
  formatTargets,
  writeReport,
  type BenchReport,
  type EngineReport,
  type ScenarioResult,
  type TargetCheck,
} from './report.ts';
import { seedMembers } from './seed.ts';

/**
 * `npm run bench`: per engine, a fresh database, Tessera and a bare-Fastify floor each
 * in their own node process, driven over 127.0.0.1 by autocannon from this process.
 * Every read is paired with a floor measurement taken just before it.
 * A measurement, not a gate: a missed target still exits 0; only a broken run exits 1.
 */
const SECONDS = secondsFromEnv(process.env.BENCH_SECONDS, 5);
// Unrecorded, so the JIT and the database caches are warm in every measured second.
const WARMUP_SECONDS = 1;
const READ_CONNECTIONS = 32;
// argon2id takes both cores by design; more connections only queue behind it.
const LOGIN_CONNECTIONS = 8;
const TARGET_RATIO = 0.5;
const TARGET_READ_P99_MS = 20;
// The first page of members must not cost more (nor, suspiciously, much less) as a workspace grows.
const TARGET_MEMBERS_SPREAD = 0.2;
// Twelve scenarios, and a floor measurement before each of the eight reads.
const SCENARIOS_PER_ENGINE = 20;
// Per engine, beyond the scenarios: two server start-ups, the set-up requests and seeding.
const SETUP_SECONDS = 90;
// Members in all, the owner included. Both workspaces are read with the same page size, so
// the two figures differ only by the workspace's size: a 50-row page against a 10-row one
// would measure serializing 40 more rows, not whether paging slows down as members grow.
const SMALL_WORKSPACE_MEMBERS = 10;
const LARGE_WORKSPACE_MEMBERS = 10_000;
const FIRST_PAGE = SMALL_WORKSPACE_MEMBERS;
// src/core/config.ts caps AUTH_RATE_LIMIT_MAX at 100000 (a higher value stops start-up);
// that is still far above the attempts one login scenario makes within one window.
const AUTH_RATE_LIMIT_MAX = '100000';
// The invitation limits, per inviter and workspace and per address, out of the way of a
// write scenario: config.ts caps both at 1,000,000 per window (more stops start-up).
const INVITATION_RATE_LIMIT_MAX = '1000000';
const INVITATION_RECIPIENT_RATE_LIMIT_MAX = '1000000';
// The outbox worker runs through the whole bench, polling a real SMTP server (test/support/smtp.ts).
const MAIL_POLL_INTERVAL_MS = '100';
const PASSWORD = 'bench-password-1';

const ME = 'GET /api/v1/me';
const WORKSPACES = 'GET /api/v1/workspaces';
const MEMBERS_SMALL = `GET /api/v1/members?limit=${FIRST_PAGE} (${SMALL_WORKSPACE_MEMBERS.toLocaleString('en-US')} members)`;
const MEMBERS_LARGE = `GET /api/v1/members?limit=${FIRST_PAGE} (${LARGE_WORKSPACE_MEMBERS.toLocaleString('en-US')} members)`;
const MEMBERS_API_KEY = 'GET /api/v1/members (API key)';
const FLOOR = 'floor (bare select)';
const INVITE = 'POST /api/v1/invitations (outbox worker on)';
// The same reads on a second Tessera with both versioned caches off: what every read costs
// right after a change in its tenant. Reported next to the floor, not held to a target.
const CACHES_OFF = ' (caches off)';
const CACHES_OFF_ENV = { CONTEXT_CACHE_ENTRIES: '0', READ_CACHE_ENTRIES: '0' };
/** The reads held to the floor-ratio and p99 targets. */
const READS = [ME, WORKSPACES, MEMBERS_SMALL, MEMBERS_LARGE, MEMBERS_API_KEY] as const;

interface Request {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * A fresh body for every request. Not autocannon's `idReplacement`: in autocannon 8 it
   * declares a Content-Length for 33-character ids while its ids are 24–29 characters,
   * so every request waits for bytes that never come and times out.
   */
  nextBody?: () => string;
}

/** What the SMTP server saw of a scenario: the outbox worker's side of the invitations. */
interface MailSeen {
  /** Invitations acknowledged (2xx) during the warm-up and the measured seconds. */
  acknowledged: number;
  /** Messages the SMTP server received from the start of the warm-up to the end of the measurement. */
  received: number;
  /** Of those, during the measured seconds. */
  receivedMeasured: number;
  /** Outbox rows not yet sent right after the measurement. */
  backlog: number;
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
  const budgetSeconds = engineCount * (SCENARIOS_PER_ENGINE * (SECONDS + WARMUP_SECONDS) + SETUP_SECONDS);
  setTimeout(() => {
    console.error(`bench: still running after ${budgetSeconds} s; aborting`);
    void unwind().finally(() => process.exit(1));
  }, budgetSeconds * 1000).unref();

  console.log(
    `tessera bench: ${SECONDS} s per scenario after ${WARMUP_SECONDS} s warm-up; ` +
      `${READ_CONNECTIONS} connections for reads, the workspace switch and the floor, ${LOGIN_CONNECTIONS} for login; ` +
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
    const smtp = await startSmtp();
    // Pushed before Tessera's stop, so it is undone after it: the worker can finish its batch.
    undo.push(() => smtp.stop());
    const env = serverEnv(database, smtp);
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
    const auth = { authorization: `Bearer ${token}` };
    const inWorkspace = (id: number) => ({ ...auth, 'x-workspace-id': String(id) });

    // Three owned workspaces: one of 10 members, one of 10,000, one of the owner alone.
    const small = await createWorkspace(tessera, auth, `Bench ${SMALL_WORKSPACE_MEMBERS} members`);
    const large = await createWorkspace(tessera, auth, `Bench ${LARGE_WORKSPACE_MEMBERS} members`);
    const ownerOnly = await createWorkspace(tessera, auth, 'Bench owner only');
    const createdKey = await call(tessera, {
      method: 'POST',
      path: '/api/v1/api-keys',
      ...json({ name: 'bench', scopes: ['members:view'] }, inWorkspace(small)),
    });
    const { secret } = (createdKey as { data: { secret: string } }).data;

    const seedStarted = performance.now();
    await seedMembers(env, [
      { workspaceId: small, members: SMALL_WORKSPACE_MEMBERS },
      { workspaceId: large, members: LARGE_WORKSPACE_MEMBERS },
    ]);
    console.log(
      `  seeded ${SMALL_WORKSPACE_MEMBERS} and ${LARGE_WORKSPACE_MEMBERS} members ` +
        `in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
    );

    const me: Request = { method: 'GET', path: '/api/v1/me', headers: auth };
    const login: Request = { method: 'POST', path: '/api/v1/auth/login', ...json({ email, password: PASSWORD }) };
    const workspaces: Request = { method: 'GET', path: '/api/v1/workspaces', headers: auth };
    const membersSmall: Request = { method: 'GET', path: `/api/v1/members?limit=${FIRST_PAGE}`, headers: inWorkspace(small) };
    const membersLarge: Request = { method: 'GET', path: `/api/v1/members?limit=${FIRST_PAGE}`, headers: inWorkspace(large) };
    const membersByKey: Request = { method: 'GET', path: '/api/v1/members', headers: { authorization: `Bearer ${secret}` } };
    const switchWorkspace: Request = { method: 'PATCH', path: `/api/v1/workspace-context/${small}`, headers: auth };
    const select: Request = { method: 'GET', path: `/floor/users/${user.id}` };
    // Into the owner-only workspace, so the member pages measured above stay as seeded.
    const run = randomBytes(4).toString('hex');
    let invited = 0;
    const invite: Request = {
      method: 'POST',
      path: '/api/v1/invitations',
      ...json({}, inWorkspace(ownerOnly)),
      nextBody: () => JSON.stringify({ email: `bench-invitee-${run}-${(invited += 1)}@example.com` }),
    };

    // Started after Tessera has migrated the database and the members are seeded; idle
    // while Tessera is measured, and stopped before the writes.
    const floorServer = await startServer('floor', 'bench/floor-server.ts', env);
    undo.push(() => floorServer.stop());
    await call(floorServer, select);

    // Each once outside the measurement, and the lists checked: a seeding that went
    // wrong would otherwise be measured as a fast empty page.
    await call(tessera, me);
    await call(tessera, login);
    await call(tessera, switchWorkspace);
    await expectPage(tessera, workspaces, 3, false);
    await expectPage(tessera, membersSmall, SMALL_WORKSPACE_MEMBERS, false);
    await expectPage(tessera, membersLarge, FIRST_PAGE, true);
    await expectPage(tessera, membersByKey, SMALL_WORKSPACE_MEMBERS, false);
    // One invitation, and its e-mail through the worker: the scenario below measures a live outbox.
    await call(tessera, invite);
    await smtp.waitFor(1, 10_000).catch((error: unknown) => {
      throw new Error(`${String(error)}: the outbox worker delivers nothing\n--- tessera output ---\n${tessera.output()}`);
    });
    // The host is shared and its speed drifts within a run, so each read is measured right
    // after a floor measurement of its own, and its ratio is to that one.
    const floors: ScenarioResult[] = [];
    const reads: ScenarioResult[] = [];
    const measureAgainstFloor = async (name: string, server: Server, request: Request) => {
      const floor = await measure(FLOOR, floorServer, select, READ_CONNECTIONS);
      floors.push(floor);
      const read = await measure(name, server, request, READ_CONNECTIONS, floor.requestsPerSec);
      reads.push({ ...read, pairedFloor: { requestsPerSec: floor.requestsPerSec, p99Ms: floor.p99Ms } });
    };
    // Reads first, on the state seeded above; the writes last.
    for (const [name, request] of [
      ['GET /healthz', { method: 'GET', path: '/healthz' }],
      [ME, me],
      [WORKSPACES, workspaces],
      [MEMBERS_SMALL, membersSmall],
      [MEMBERS_LARGE, membersLarge],
      [MEMBERS_API_KEY, membersByKey],
    ] as const) {
      await measureAgainstFloor(name, tessera, request);
    }
    const uncached = await startServer('tessera (caches off)', 'src/main.ts', { ...env, ...CACHES_OFF_ENV });
    undo.push(() => uncached.stop());
    for (const [name, request] of [
      [WORKSPACES, workspaces],
      [MEMBERS_SMALL, membersSmall],
    ] as const) {
      await call(uncached, request);
      await measureAgainstFloor(name + CACHES_OFF, uncached, request);
    }
    await uncached.stop();
    await floorServer.stop();
    const floor = median(floors);
    const scenarios = [floor, ...reads];
    for (const [name, request, connections] of [
      ['PATCH /api/v1/workspace-context/:id', switchWorkspace, READ_CONNECTIONS],
      ['POST /api/v1/auth/login', login, LOGIN_CONNECTIONS],
    ] as const) {
      scenarios.push(await measure(name, tessera, request, connections, floor.requestsPerSec));
    }
    scenarios.push(await measure(INVITE, tessera, invite, READ_CONNECTIONS, floor.requestsPerSec, { smtp, env }));

    console.log();
    return {
      engine: database.engine,
      database: database.label,
      scenarios,
      targets: targetsFor(scenarios),
    };
  } finally {
    await unwind();
  }
}

function targetsFor(scenarios: readonly ScenarioResult[]): TargetCheck[] {
  const result = (scenario: string) => {
    const found = scenarios.find((s) => s.scenario === scenario);
    if (!found) throw new Error(`bench: no result for ${scenario}`);
    return found;
  };
  const ratios = READS.map((scenario): TargetCheck => {
    const { ratioToFloor } = result(scenario);
    return {
      description: `${scenario} ≥ ${TARGET_RATIO}× floor`,
      scenario,
      measured: ratioToFloor,
      unit: '×',
      pass: ratioToFloor >= TARGET_RATIO,
    };
  });
  const latencies = READS.map((scenario): TargetCheck => {
    const { p99Ms, connections } = result(scenario);
    return {
      description: `${scenario} p99 ≤ ${TARGET_READ_P99_MS} ms at ${connections} connections`,
      scenario,
      measured: p99Ms,
      unit: 'ms',
      pass: connections >= READ_CONNECTIONS && p99Ms <= TARGET_READ_P99_MS,
    };
  });
  const spread = result(MEMBERS_LARGE).requestsPerSec / result(MEMBERS_SMALL).requestsPerSec;
  const sameCost: TargetCheck = {
    description: `${MEMBERS_LARGE} req/s within ${TARGET_MEMBERS_SPREAD * 100} % of ${MEMBERS_SMALL}`,
    scenario: MEMBERS_LARGE,
    measured: spread,
    unit: '×',
    pass: Math.abs(spread - 1) <= TARGET_MEMBERS_SPREAD,
  };
  return [...ratios, ...latencies, sameCost];
}

/** The floor run of median throughput: what the writes and the report's floor row are compared with. */
function median(floors: readonly ScenarioResult[]): ScenarioResult {
  const sorted = [...floors].sort((a, b) => a.requestsPerSec - b.requestsPerSec);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error('bench: no floor measured');
  return middle;
}

async function createWorkspace(server: Server, headers: Record<string, string>, name: string): Promise<number> {
  const created = await call(server, { method: 'POST', path: '/api/v1/workspaces', ...json({ name }, headers) });
  return (created as { data: { id: number } }).data.id;
}

/** One request of a list; throws unless it answers `count` items, with or without a next page. */
async function expectPage(server: Server, request: Request, count: number, more: boolean): Promise<void> {
  const page = (await call(server, request)) as { data: unknown[]; meta: { next_cursor: string | null } };
  const hasMore = page.meta.next_cursor !== null;
  if (page.data.length !== count || hasMore !== more) {
    throw new Error(
      `${server.name}: ${request.method} ${request.path} answered ${page.data.length} items` +
        `${hasMore ? ' and a next page' : ''}; expected ${count}${more ? ' and a next page' : ''}`,
    );
  }
}

function serverEnv(database: BenchDatabase, smtp: SmtpSink): NodeJS.ProcessEnv {
  // The caller's own DATABASE_URL or DATA_DIR must not leak into the run.
  const { DATABASE_URL: _url, DATA_DIR: _dir, ...inherited } = process.env;
  return {
    ...inherited,
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMIT_MAX,
    SMTP_URL: smtp.url,
    MAIL_POLL_INTERVAL_MS,
    INVITATION_RATE_LIMIT_MAX,
    INVITATION_RECIPIENT_RATE_LIMIT_MAX,
    ...database.env,
  };
}

/** Outbox rows not yet sent, read from the database Tessera serves, opened as src/main.ts opens it. */
async function outboxBacklog(env: NodeJS.ProcessEnv): Promise<number> {
  const config = loadConfig(env);
  const db = openDatabase({ ...config, databasePoolSize: 1 });
  try {
    const row = await db
      .selectFrom('outbox_messages')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('status', 'in', ['pending', 'sending'])
      .executeTakeFirstOrThrow();
    return Number(row.count);
  } finally {
    await db.destroy();
  }
}

async function measure(
  scenario: string,
  server: Server,
  request: Request,
  connections: number,
  floorRequestsPerSec?: number,
  mail?: { smtp: SmtpSink; env: NodeJS.ProcessEnv },
): Promise<ScenarioResult> {
  const { path: requestPath, nextBody, ...rest } = request;
  const options = {
    ...rest,
    url: `${server.url}${requestPath}`,
    connections,
    timeout: 10,
    ...(nextBody ? { requests: [{ setupRequest: (built: autocannon.Request) => ({ ...built, body: nextBody() }) }] } : {}),
  };
  const receivedBefore = mail?.smtp.messages.length ?? 0;
  const warmup = await autocannon({ ...options, duration: WARMUP_SECONDS });
  const receivedAtStart = mail?.smtp.messages.length ?? 0;
  const result = await autocannon({ ...options, duration: SECONDS });
  // autocannon counts a dead server as errors; that is a broken bench, not a measurement.
  if (!server.alive()) throw new Error(`${server.name} exited during ${scenario}`);
  let mailSeen: MailSeen | undefined;
  if (mail) {
    const receivedAtEnd = mail.smtp.messages.length;
    mailSeen = {
      acknowledged: warmup['2xx'] + result['2xx'],
      received: receivedAtEnd - receivedBefore,
      receivedMeasured: receivedAtEnd - receivedAtStart,
      backlog: await outboxBacklog(mail.env),
    };
  }
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
    ...(mailSeen ? { mail: mailSeen } : {}),
  };
  console.log(
    `  ${scenario.padEnd(36)} ${requestsPerSec.toFixed(0).padStart(7)} req/s  ` +
      `p99 ${result.latency.p99.toFixed(1)} ms  non-2xx ${result.non2xx}  errors ${result.errors}`,
  );
  if (mailSeen) {
    console.log(
      `    SMTP received ${mailSeen.received} messages during the scenario (${mailSeen.receivedMeasured} in the measured ` +
        `${SECONDS} s) for ${mailSeen.acknowledged} invitations acknowledged; ${mailSeen.backlog} still in the outbox`,
    );
  }
  return measured;
}

/** One request outside the measurement: a scenario that would only count 4xx is a broken bench. */
async function call(server: Server, request: Request): Promise<unknown> {
  const where = `${server.name}: ${request.method} ${request.path}`;
  const response = await fetch(`${server.url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.nextBody ? request.nextBody() : request.body,
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

function json(body: object, headers: Record<string, string> = {}): Pick<Request, 'headers' | 'body'> {
  return { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
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
