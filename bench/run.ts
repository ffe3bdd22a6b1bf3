import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startSmtp, type SmtpSink } from '../test/support/smtp.ts';
import { loadConfig } from '../src/core/config.ts';
import { openDatabase } from '../src/schema/database.ts';
import { findPostgres, postgresDatabase, sqliteDatabase, type BenchDatabase } from './databases.ts';
import { cacheLookups, call, expectPage, hitRatesBetween, json, type CacheLookups, type Load, type Request } from './http.ts';
import { INVOICING_WORKSPACES, setUpInvoicing } from './invoices.ts';
import { SIGNED_IN, setUpMixedWorkload } from './mixed.ts';
import { REPO_ROOT, startServer, stopAllServers, type Server } from './processes.ts';
import {
  formatTable,
  formatTargets,
  scenarioNotes,
  writeReport,
  type BenchReport,
  type EngineReport,
  type ScenarioResult,
  type TargetCheck,
} from './report.ts';
import { seedMembers, seedMemberships, seedStockedItems } from './seed.ts';

/**
 * `npm run bench`: per engine, a fresh database, Tessera and a bare-Fastify floor each
 * in their own node process, driven over 127.0.0.1 by autocannon from this process.
 * Every read and write is paired with a floor measurement taken just before it.
 * A measurement, not a gate: a missed target still exits 0; only a broken run exits 1.
 */
const SECONDS = secondsFromEnv(process.env.BENCH_SECONDS, 5);
// Unrecorded, so the JIT and the database caches are warm in every measured second.
const WARMUP_SECONDS = 1;
const READ_CONNECTIONS = 32;
const WRITE_CONNECTIONS = 32;
// One signed-in user per connection (bench/mixed.ts).
const MIXED_CONNECTIONS = SIGNED_IN;
// argon2id takes both cores by design; more connections only queue behind it.
const LOGIN_CONNECTIONS = 8;
const TARGET_RATIO = 0.5;
const TARGET_READ_P99_MS = 20;
// The first page of members must not cost more (nor, suspiciously, much less) as a workspace grows.
const TARGET_MEMBERS_SPREAD = 0.2;
// Of the mixed workload: its reads per second against the floor, with the caches on and off.
const TARGET_MIXED_RATIO = 0.5;
const TARGET_MIXED_CACHES_OFF_RATIO = 0.35;
const TARGET_MIXED_P99_MS = 25;
const TARGET_MIXED_RSS_MIB = 200;
const TARGET_WRITE_RATIO = 0.5;
// Acting as a sub workspace (x-as-workspace) against the same page read directly, each to its own paired floor.
const TARGET_ACTING_RATIO = 0.8;
// A member with permission overrides against one without, the same page, each to its own paired floor.
const TARGET_OVERRIDES_RATIO = 0.9;
// A 10 % target is within one run's noise on two shared cores: the pair is measured this many
// times, alternating which goes first, and the median of the pairs' ratios is what counts.
const OVERRIDES_PAIRS = 3;
const TARGET_WRITE_P99_MS = 50;
// Each scenario held to a floor-ratio target (TARGETED, below) is measured this many times, each
// right after a floor run of its own; the pair of median ratio is the one reported and checked.
// On two shared cores the floor itself moved from ~9,000 to ~18,000 req/s between two runs of
// one day, and one pair's ratio by as much as ±40 % (GET /api/v1/me: 0.33×, 0.70×, 0.50× in one run).
const TARGET_PAIRS = 3;
// Per engine, beyond the scenarios: three server start-ups, the set-up requests, seeding,
// and the mixed workload's 2,000 users, 64 sign-ins and 50 workspaces.
const SETUP_SECONDS = 120;
// How often a server's RSS is sampled during the measured seconds.
const RSS_SAMPLE_MS = 100;
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
// The tokens' issuer. Without it each Tessera names its own address (its port differs), so
// the caches-off instance would refuse every token the first one issued: two instances on
// one database share one PUBLIC_URL, as src/main.ts warns.
const PUBLIC_URL = 'http://tessera.bench.invalid';
// GET /metrics, read before and after each mixed run for the caches' hit rates.
const METRICS_TOKEN = randomBytes(16).toString('hex');

const ME = 'GET /api/v1/me';
const WORKSPACES = 'GET /api/v1/workspaces';
const MEMBERS_SMALL = `GET /api/v1/members?limit=${FIRST_PAGE} (${SMALL_WORKSPACE_MEMBERS.toLocaleString('en-US')} members)`;
const MEMBERS_LARGE = `GET /api/v1/members?limit=${FIRST_PAGE} (${LARGE_WORKSPACE_MEMBERS.toLocaleString('en-US')} members)`;
const MEMBERS_API_KEY = 'GET /api/v1/members (API key)';
const MEMBERS_ACTING = `${MEMBERS_SMALL.replace(')', ', x-as-workspace)')}`;
// The large workspace's first page, read by two members who joined last (so the page is the same for both):
// one on the plain role, one whose role is shaped by overrides, which the context query reads.
const MEMBERS_NO_OVERRIDES = `GET /api/v1/members?limit=${FIRST_PAGE} (a member without overrides)`;
const MEMBERS_OVERRIDES = `GET /api/v1/members?limit=${FIRST_PAGE} (a member with 6 overrides)`;
// Granted and revoked to the second member: members:view stays, so both read the same page.
const BENCH_OVERRIDES = { grant: ['invitations:view', 'api_keys:view', 'audit:view'], revoke: ['roles:view', 'settings:view', 'locations:view'] };
const pairName = (scenario: string, pair: number) => `${scenario} #${pair}`;
const FLOOR = 'floor (bare select)';
const WRITE_FLOOR = 'write floor (one-row update)';
const MIXED = `mixed workload (${MIXED_CONNECTIONS} users)`;
const SWITCH = 'PATCH /api/v1/workspace-context/:id';
const INVITE = 'POST /api/v1/invitations (outbox worker on)';
// The same reads on a second Tessera with both versioned caches off: what every read costs
// right after a change in its tenant. The single reads are reported next to the floor, not
// held to a target; the mixed workload is (TARGET_MIXED_CACHES_OFF_RATIO).
const CACHES_OFF = ' (caches off)';
const CACHES_OFF_ENV = { CONTEXT_CACHE_ENTRIES: '0', READ_CACHE_ENTRIES: '0' };
// The catalogue of one workspace: its first page of items, and a page of stock at its busiest location.
const CATALOGUE_ITEMS = 10_000;
const RECORDS_PAGE = 50;
const ITEMS_PAGE = `GET /api/v1/items?limit=${RECORDS_PAGE} (${CATALOGUE_ITEMS.toLocaleString('en-US')} items)`;
const STOCK_PAGE = `GET /api/v1/stock?location_id=…&limit=${RECORDS_PAGE} (${CATALOGUE_ITEMS.toLocaleString('en-US')} levels)`;
// Reported, held to no target: one unit back and forth between two locations, both legs and both levels per request.
const TRANSFERS = 'POST /api/v1/stock/transfers';
/** Draft and issue, one after the other on each connection: its requests per second count both. */
const INVOICING = 'POST /api/v1/invoices + …/issue';
/** The record reads held to the floor-ratio target (issue 17); their p99 is reported, not held. */
const RECORD_READS = [ITEMS_PAGE, STOCK_PAGE] as const;
/** The reads held to the floor-ratio and p99 targets. */
const READS = [ME, WORKSPACES, MEMBERS_SMALL, MEMBERS_LARGE, MEMBERS_API_KEY, MEMBERS_ACTING] as const;
/** The writes held to the write-floor ratio and p99 targets. */
const WRITES = [SWITCH, INVITE] as const;
/** Every scenario held to a floor-ratio target: each is measured in TARGET_PAIRS pairs with its floor. */
const TARGETED: ReadonlySet<string> = new Set([...READS, ...RECORD_READS, MIXED, MIXED + CACHES_OFF, ...WRITES]);
// Measured runs: the nine other reads and the two mixed runs, each after a floor run of its own
// (22); the overrides pair, cached and caches off, OVERRIDES_PAIRS times, each after a floor
// run (24); the workspace switch and the invitations, each after a write-floor run (4); login (1).
// The catalogue and stock: two reads and the transfers, each after a floor run of its own (6).
// The targeted scenarios' further pairs, a floor run and the scenario each.
const SCENARIOS_PER_ENGINE = 33 + 8 * OVERRIDES_PAIRS + 2 * (TARGET_PAIRS - 1) * TARGETED.size;

/** A floor route of bench/floor-server.ts, and every run of it so far. */
interface Floor {
  name: string;
  request: Request;
  runs: ScenarioResult[];
}

/** What a scenario adds to its result beyond autocannon's figures. */
interface Observer {
  /** Before the warm-up. */
  start?(): void;
  /** Between the warm-up and the measured seconds. */
  measuring?(): void | Promise<void>;
  finish(run: {
    warmup: autocannon.Result;
    result: autocannon.Result;
    floorRequestsPerSec: number | undefined;
  }): Promise<Pick<ScenarioResult, 'mail' | 'mix' | 'invoicing'>>;
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
      `${READ_CONNECTIONS} connections for reads, ${WRITE_CONNECTIONS} for writes, ${MIXED_CONNECTIONS} for the mixed ` +
      `workload (each floor at the same count as what it is compared with), ${LOGIN_CONNECTIONS} for login; ` +
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

    // Three owned workspaces: one of 10 members, one of 10,000, one of the owner alone (and the catalogue's, below).
    const small = await createWorkspace(tessera, auth, `Bench ${SMALL_WORKSPACE_MEMBERS} members`);
    const large = await createWorkspace(tessera, auth, `Bench ${LARGE_WORKSPACE_MEMBERS} members`);
    const ownerOnly = await createWorkspace(tessera, auth, 'Bench owner only');
    const createdKey = await call(tessera, {
      method: 'POST',
      path: '/api/v1/api-keys',
      ...json({ name: 'bench', scopes: ['members:view'] }, inWorkspace(small)),
    });
    const { secret } = (createdKey as { data: { secret: string } }).data;
    // A workspace group: the owner-only workspace administers the small one (seed 004), so
    // the small workspace's page can be read acting as it, by the same user.
    const groupInvitation = await call(tessera, {
      method: 'POST',
      path: '/api/v1/workspace-group-members',
      ...json({ sub_workspace_id: small }, inWorkspace(ownerOnly)),
    });
    await call(tessera, {
      method: 'POST',
      path: `/api/v1/workspace-group-invitations/${(groupInvitation as { data: { id: number } }).data.id}/accept`,
      headers: inWorkspace(small),
    });

    const seedStarted = performance.now();
    await seedMembers(env, [
      { workspaceId: small, members: SMALL_WORKSPACE_MEMBERS },
      { workspaceId: large, members: LARGE_WORKSPACE_MEMBERS },
    ]);
    const [plainMember, overriddenMember] = [await registerMember(tessera, 'plain'), await registerMember(tessera, 'overridden')];
    await seedMemberships(env, [plainMember, overriddenMember].map(({ userId }) => ({ workspaceId: large, userId, role: 'member' })));
    await call(tessera, {
      method: 'PUT',
      path: `/api/v1/members/${overriddenMember.userId}/permissions`,
      ...json(BENCH_OVERRIDES, inWorkspace(large)),
    });
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
    const membersAs = (member: { token: string }): Request => ({
      method: 'GET',
      path: `/api/v1/members?limit=${FIRST_PAGE}`,
      headers: { authorization: `Bearer ${member.token}`, 'x-workspace-id': String(large) },
    });
    const membersNoOverrides = membersAs(plainMember);
    const membersOverrides = membersAs(overriddenMember);
    const membersActing: Request = { method: 'GET', path: `/api/v1/members?limit=${FIRST_PAGE}`, headers: { ...auth, 'x-as-workspace': String(small) } };
    // Back and forth between two workspaces: switching to the current one again would change no row.
    let switches = 0;
    const switchWorkspace: Request = {
      method: 'PATCH',
      path: `/api/v1/workspace-context/${small}`,
      headers: auth,
      nextPath: () => `/api/v1/workspace-context/${(switches += 1) % 2 === 0 ? small : ownerOnly}`,
    };
    const readFloor: Floor = { name: FLOOR, request: { method: 'GET', path: `/floor/users/${user.id}` }, runs: [] };
    const writeFloor: Floor = { name: WRITE_FLOOR, request: { method: 'POST', path: '/floor/write' }, runs: [] };
    // Into the owner-only workspace, so the member pages measured above stay as seeded.
    const run = randomBytes(4).toString('hex');
    let invited = 0;
    const invite: Request = {
      method: 'POST',
      path: '/api/v1/invitations',
      ...json({}, inWorkspace(ownerOnly)),
      nextBody: () => JSON.stringify({ email: `bench-invitee-${run}-${(invited += 1)}@example.com` }),
    };

    const catalogue = await setUpCatalogue(tessera, env, auth);

    const mixed = await setUpMixedWorkload(tessera, env);

    // Started after Tessera has migrated the database and the members are seeded; idle
    // while Tessera is measured.
    const floorServer = await startServer('floor', 'bench/floor-server.ts', env);
    undo.push(() => floorServer.stop());
    await call(floorServer, readFloor.request);
    await call(floorServer, writeFloor.request);

    // Each once outside the measurement, and the lists checked: a seeding that went
    // wrong would otherwise be measured as a fast empty page.
    await call(tessera, me);
    await call(tessera, login);
    await call(tessera, switchWorkspace);
    // The three above and the catalogue's.
    await expectPage(tessera, workspaces, 4, false);
    await expectPage(tessera, membersSmall, SMALL_WORKSPACE_MEMBERS, false);
    await expectPage(tessera, membersLarge, FIRST_PAGE, true);
    await expectPage(tessera, membersByKey, SMALL_WORKSPACE_MEMBERS, false);
    await expectPage(tessera, membersActing, SMALL_WORKSPACE_MEMBERS, false);
    await expectPage(tessera, membersNoOverrides, FIRST_PAGE, true);
    await expectPage(tessera, membersOverrides, FIRST_PAGE, true);
    await expectPage(tessera, catalogue.items, RECORDS_PAGE, true);
    await expectPage(tessera, catalogue.stock, RECORDS_PAGE, true);
    await call(tessera, catalogue.transfers);
    // One invitation, and its e-mail through the worker: the scenario below measures a live outbox.
    await call(tessera, invite);
    await smtp.waitFor(1, 10_000).catch((error: unknown) => {
      throw new Error(`${String(error)}: the outbox worker delivers nothing\n--- tessera output ---\n${tessera.output()}`);
    });
    // The host is shared and its speed drifts within a run, so each read or write is measured
    // right after a floor measurement of its own, at the same number of connections, and its
    // ratio is to that one.
    const measured: ScenarioResult[] = [];
    const measureAgainstFloor = async (
      name: string,
      server: Server,
      load: Load,
      { floor = readFloor, connections = READ_CONNECTIONS, observe }: { floor?: Floor; connections?: number; observe?: Observer } = {},
    ) => {
      const runs: ScenarioResult[] = [];
      for (let pair = 0; pair < (TARGETED.has(name) ? TARGET_PAIRS : 1); pair += 1) {
        const floorRun = await measure(floor.name, floorServer, floor.request, connections);
        floor.runs.push(floorRun);
        const result = await measure(name, server, load, connections, { floorRequestsPerSec: floorRun.requestsPerSec, observe });
        const { requestsPerSec, p99Ms } = floorRun;
        runs.push({ ...result, pairedFloor: { scenario: floor.name, requestsPerSec, p99Ms } });
      }
      measured.push(medianPair(runs));
    };
    const measureMixed = (name: string, server: Server) => {
      let lookupsBefore: CacheLookups = {};
      return measureAgainstFloor(name, server, mixed, {
        connections: MIXED_CONNECTIONS,
        observe: {
          measuring: async () => {
            lookupsBefore = await cacheLookups(server, METRICS_TOKEN);
            mixed.resetCounts();
          },
          finish: async ({ floorRequestsPerSec }) => {
            const hitRates = hitRatesBetween(lookupsBefore, await cacheLookups(server, METRICS_TOKEN));
            return { mix: mixed.seen(SECONDS, floorRequestsPerSec, hitRates) };
          },
        },
      });
    };
    // Reads first, on the state seeded above; the writes last.
    for (const [name, request] of [
      ['GET /healthz', { method: 'GET', path: '/healthz' }],
      [ME, me],
      [WORKSPACES, workspaces],
      [MEMBERS_SMALL, membersSmall],
      [MEMBERS_ACTING, membersActing],
      [MEMBERS_LARGE, membersLarge],
      [MEMBERS_API_KEY, membersByKey],
      [ITEMS_PAGE, catalogue.items],
      [STOCK_PAGE, catalogue.stock],
    ] as const) {
      await measureAgainstFloor(name, tessera, request);
    }
    const measureOverridesPairs = async (server: Server, variant: string) => {
      for (let pair = 1; pair <= OVERRIDES_PAIRS; pair += 1) {
        const both = [
          [MEMBERS_NO_OVERRIDES, membersNoOverrides],
          [MEMBERS_OVERRIDES, membersOverrides],
        ] as const;
        for (const [name, request] of pair % 2 ? both : [...both].reverse()) {
          await call(server, request);
          await measureAgainstFloor(pairName(name + variant, pair), server, request);
        }
      }
    };
    await measureOverridesPairs(tessera, '');
    await measureMixed(MIXED, tessera);
    const uncached = await startServer('tessera (caches off)', 'src/main.ts', { ...env, ...CACHES_OFF_ENV });
    undo.push(() => uncached.stop());
    // Caches off, every request runs the one context query: with overrides, it reads them too.
    for (const [name, request] of [
      [WORKSPACES, workspaces],
      [MEMBERS_SMALL, membersSmall],
    ] as const) {
      await call(uncached, request);
      await measureAgainstFloor(name + CACHES_OFF, uncached, request);
    }
    await measureOverridesPairs(uncached, CACHES_OFF);
    await measureMixed(MIXED + CACHES_OFF, uncached);
    await uncached.stop();

    // Set up only now: its workspaces would change the owner's lists the reads above check and measure.
    const invoicing = await setUpInvoicing(tessera, auth);
    await measureAgainstFloor(SWITCH, tessera, switchWorkspace, { floor: writeFloor, connections: WRITE_CONNECTIONS });
    await measureAgainstFloor(TRANSFERS, tessera, catalogue.transfers, { floor: writeFloor, connections: WRITE_CONNECTIONS });
    for (const spread of [1, INVOICING_WORKSPACES] as const) {
      const workload = invoicing.workload(spread);
      await measureAgainstFloor(`${INVOICING} (${spread} workspace${spread > 1 ? 's' : ''})`, tessera, workload, {
        floor: writeFloor,
        connections: WRITE_CONNECTIONS,
        observe: { measuring: () => workload.resetCounts(), finish: async ({ floorRequestsPerSec }) => ({ invoicing: workload.seen(SECONDS, floorRequestsPerSec) }) },
      });
    }
    // argon2id-bound, not a database write: held to no floor, shown against the median read floor.
    const floor = median(readFloor.runs.filter((run) => run.connections === READ_CONNECTIONS));
    measured.push(
      await measure('POST /api/v1/auth/login', tessera, login, LOGIN_CONNECTIONS, { floorRequestsPerSec: floor.requestsPerSec }),
    );
    await measureAgainstFloor(INVITE, tessera, invite, {
      floor: writeFloor,
      connections: WRITE_CONNECTIONS,
      observe: mailObserver(smtp, env),
    });
    await floorServer.stop();

    console.log();
    const scenarios = [floor, median(writeFloor.runs), ...measured];
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
  const ratios = [...READS, ...RECORD_READS].map((scenario): TargetCheck => {
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
  const mixedReads = ([scenario, target]: readonly [string, number]): TargetCheck => {
    const { mix } = result(scenario);
    if (!mix) throw new Error(`bench: no mix seen for ${scenario}`);
    return {
      description: `${scenario}: reads ≥ ${target}× floor`,
      scenario,
      measured: mix.readsRatioToFloor,
      unit: '×',
      pass: mix.readsRatioToFloor >= target,
    };
  };
  const mix = result(MIXED);
  const mixed: TargetCheck[] = [
    ...([
      [MIXED, TARGET_MIXED_RATIO],
      [MIXED + CACHES_OFF, TARGET_MIXED_CACHES_OFF_RATIO],
    ] as const).map(mixedReads),
    {
      description: `${MIXED} p99 ≤ ${TARGET_MIXED_P99_MS} ms at ${MIXED_CONNECTIONS} connections`,
      scenario: MIXED,
      measured: mix.p99Ms,
      unit: 'ms',
      pass: mix.connections >= MIXED_CONNECTIONS && mix.p99Ms <= TARGET_MIXED_P99_MS,
    },
    {
      description: `${MIXED}: server RSS ≤ ${TARGET_MIXED_RSS_MIB} MiB (peak of the measured seconds)`,
      scenario: MIXED,
      measured: mix.peakRssMiB ?? Number.NaN,
      unit: 'MiB',
      pass: mix.peakRssMiB !== null && mix.peakRssMiB <= TARGET_MIXED_RSS_MIB,
    },
  ];
  const writes = WRITES.flatMap((scenario): TargetCheck[] => {
    const { ratioToFloor, p99Ms, connections } = result(scenario);
    return [
      {
        description: `${scenario} ≥ ${TARGET_WRITE_RATIO}× write floor`,
        scenario,
        measured: ratioToFloor,
        unit: '×',
        pass: ratioToFloor >= TARGET_WRITE_RATIO,
      },
      {
        description: `${scenario} p99 ≤ ${TARGET_WRITE_P99_MS} ms at ${connections} connections`,
        scenario,
        measured: p99Ms,
        unit: 'ms',
        pass: connections >= WRITE_CONNECTIONS && p99Ms <= TARGET_WRITE_P99_MS,
      },
    ];
  });
  // Each to its own paired floor, so the host's drift between the two runs cancels out.
  const acting = result(MEMBERS_ACTING).ratioToFloor / result(MEMBERS_SMALL).ratioToFloor;
  const actingCost: TargetCheck = {
    description: `${MEMBERS_ACTING} ≥ ${TARGET_ACTING_RATIO}× ${MEMBERS_SMALL} (each to its paired floor)`,
    scenario: MEMBERS_ACTING,
    measured: acting,
    unit: '×',
    pass: acting >= TARGET_ACTING_RATIO,
  };
  const overridesCost = ['', CACHES_OFF].map((variant): TargetCheck => {
    const ratios = Array.from({ length: OVERRIDES_PAIRS }, (_, index) => {
      const pair = index + 1;
      return result(pairName(MEMBERS_OVERRIDES + variant, pair)).ratioToFloor / result(pairName(MEMBERS_NO_OVERRIDES + variant, pair)).ratioToFloor;
    }).sort((a, b) => a - b);
    const measured = medianBy(ratios, (ratio) => ratio);
    return {
      description:
        `${MEMBERS_OVERRIDES + variant} ≥ ${TARGET_OVERRIDES_RATIO}× ${MEMBERS_NO_OVERRIDES + variant} ` +
        `(each to its paired floor; median of ${OVERRIDES_PAIRS} alternated pairs: ${ratios.map((ratio) => ratio.toFixed(2)).join(', ')})`,
      scenario: pairName(MEMBERS_OVERRIDES + variant, 1),
      measured,
      unit: '×',
      pass: measured >= TARGET_OVERRIDES_RATIO,
    };
  });
  return [...ratios, ...latencies, sameCost, actingCost, ...overridesCost, ...mixed, ...writes];
}

/** What a scenario's target compares with its floor: the mixed workload's reads, or its requests. */
const targetRatioOf = (result: ScenarioResult) => result.mix?.readsRatioToFloor ?? result.ratioToFloor;

/** Of a scenario's pairs with its floor, the one of median ratio, carrying every pair's ratio in the order measured. */
function medianPair(runs: readonly ScenarioResult[]): ScenarioResult {
  const middle = medianBy(runs, targetRatioOf);
  return runs.length === 1 ? middle : { ...middle, pairRatios: runs.map(targetRatioOf) };
}

/** The floor run of median throughput: the report's floor rows, and what login is compared with. */
const median = (floors: readonly ScenarioResult[]) => medianBy(floors, (run) => run.requestsPerSec);

/** The item of median `key` (the lower middle of an even count). */
function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  const middle = [...items].sort((a, b) => key(a) - key(b))[Math.floor((items.length - 1) / 2)];
  if (middle === undefined) throw new Error('bench: a median of nothing measured');
  return middle;
}

/** A user of the default tenant (self sign-up), signed in. */
async function registerMember(server: Server, label: string): Promise<{ userId: number; token: string }> {
  const email = `bench-${label}-${randomBytes(4).toString('hex')}@example.com`;
  const registered = await call(server, { method: 'POST', path: '/api/v1/auth/register', ...json({ name: `Bench ${label}`, email, password: PASSWORD }) });
  const { access_token: token, user } = (registered as { data: { access_token: string; user: { id: number } } }).data;
  return { userId: user.id, token };
}

/**
 * A workspace of CATALOGUE_ITEMS items, each stocked at its default location, and one more
 * item with a million units at two other locations for the transfers to move back and forth
 * (never near zero, so every transfer is a 201).
 */
async function setUpCatalogue(server: Server, env: NodeJS.ProcessEnv, auth: Record<string, string>): Promise<{ items: Request; stock: Request; transfers: Request }> {
  const workspaceId = await createWorkspace(server, auth, 'Bench catalogue');
  const headers = { ...auth, 'x-workspace-id': String(workspaceId) };
  const created = async (path: string, body: object) => ((await call(server, { method: 'POST', path, ...json(body, headers) })) as { data: { id: number } }).data.id;
  const workspace = (await call(server, { method: 'GET', path: `/api/v1/workspaces/${workspaceId}`, headers: auth })) as { data: { default_location_id: number } };
  const home = workspace.data.default_location_id;
  await seedStockedItems(env, { workspaceId, count: CATALOGUE_ITEMS, locationId: home, quantityE4: 100_000 });
  const [here, there] = [await created('/api/v1/locations', { name: 'Bench shop', type: 'site' }), await created('/api/v1/locations', { name: 'Bench van', type: 'van' })];
  const moved = await created('/api/v1/items', { sku: 'BENCH-MOVED', name: 'Bench moved item' });
  for (const location of [here, there]) await created('/api/v1/stock/receipts', { item_id: moved, location_id: location, quantity: '1000000' });
  let transfers = 0;
  const transfer = (outward: boolean) =>
    JSON.stringify({ item_id: moved, from_location_id: outward ? here : there, to_location_id: outward ? there : here, quantity: '1' });
  return {
    items: { method: 'GET', path: `/api/v1/items?limit=${RECORDS_PAGE}`, headers },
    stock: { method: 'GET', path: `/api/v1/stock?location_id=${home}&limit=${RECORDS_PAGE}`, headers },
    transfers: { method: 'POST', path: '/api/v1/stock/transfers', ...json({}, headers), nextBody: () => transfer((transfers += 1) % 2 === 0) },
  };
}

async function createWorkspace(server: Server, headers: Record<string, string>, name: string): Promise<number> {
  const created = await call(server, { method: 'POST', path: '/api/v1/workspaces', ...json({ name }, headers) });
  return (created as { data: { id: number } }).data.id;
}

function serverEnv(database: BenchDatabase, smtp: SmtpSink): NodeJS.ProcessEnv {
  // The caller's own DATABASE_URL or DATA_DIR must not leak into the run.
  const { DATABASE_URL: _url, DATA_DIR: _dir, ...inherited } = process.env;
  return {
    ...inherited,
    LOG_LEVEL: 'warn',
    PUBLIC_URL,
    METRICS_TOKEN,
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

/** What the SMTP server saw of a scenario: the outbox worker's side of the invitations. */
function mailObserver(smtp: SmtpSink, env: NodeJS.ProcessEnv): Observer {
  let receivedBefore = 0;
  let receivedAtStart = 0;
  return {
    start: () => void (receivedBefore = smtp.messages.length),
    measuring: () => void (receivedAtStart = smtp.messages.length),
    finish: async ({ warmup, result }) => {
      const receivedAtEnd = smtp.messages.length;
      return {
        mail: {
          acknowledged: warmup['2xx'] + result['2xx'],
          received: receivedAtEnd - receivedBefore,
          receivedMeasured: receivedAtEnd - receivedAtStart,
          backlog: await outboxBacklog(env),
        },
      };
    },
  };
}

async function measure(
  scenario: string,
  server: Server,
  load: Load,
  connections: number,
  { floorRequestsPerSec, observe }: { floorRequestsPerSec?: number; observe?: Observer } = {},
): Promise<ScenarioResult> {
  observe?.start?.();
  const warmup = await autocannon({ ...autocannonOptions(server, load, connections), duration: WARMUP_SECONDS });
  await observe?.measuring?.();
  const [result, peakRssMiB] = await sampleRss(server, () =>
    autocannon({ ...autocannonOptions(server, load, connections), duration: SECONDS }),
  );
  // autocannon counts a dead server as errors; that is a broken bench, not a measurement.
  if (!server.alive()) throw new Error(`${server.name} exited during ${scenario}`);
  const seen = await observe?.finish({ warmup, result, floorRequestsPerSec });
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
    peakRssMiB,
    ratioToFloor: requestsPerSec / (floorRequestsPerSec ?? requestsPerSec),
    ...seen,
  };
  console.log(
    `  ${scenario.padEnd(36)} ${requestsPerSec.toFixed(0).padStart(7)} req/s  ` +
      `p99 ${result.latency.p99.toFixed(1)} ms  non-2xx ${result.non2xx}  errors ${result.errors}`,
  );
  for (const note of scenarioNotes(measured)) console.log(`    ${note}`);
  return measured;
}

/** `work`'s result, and the server's highest RSS sampled while it ran (null where /proc is missing). */
async function sampleRss<T>(server: Server, work: () => Promise<T>): Promise<[T, number | null]> {
  const samples: number[] = [];
  const sample = () => {
    const rss = server.rssMiB();
    if (rss !== undefined) samples.push(rss);
  };
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  try {
    const result = await work();
    sample();
    return [result, samples.length > 0 ? Math.max(...samples) : null];
  } finally {
    clearInterval(sampler);
  }
}

/** autocannon's options for one run: one request over and over, or a workload's own per connection. */
function autocannonOptions(server: Server, load: Load, connections: number): autocannon.Options {
  const common = { connections, timeout: 10 };
  if ('setupClient' in load) return { ...common, url: server.url, setupClient: load.setupClient(connections) };
  const { path: requestPath, nextBody, nextPath, ...rest } = load;
  const fresh = (built: autocannon.Request) => ({
    ...built,
    ...(nextBody ? { body: nextBody() } : {}),
    ...(nextPath ? { path: nextPath() } : {}),
  });
  return {
    ...common,
    ...rest,
    url: `${server.url}${requestPath}`,
    ...(nextBody || nextPath ? { requests: [{ setupRequest: fresh }] } : {}),
  };
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
