import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp, type App, type ExtraArea } from '../../src/app.ts';
import { SEALED_COLUMNS } from '../../src/areas.ts';
import { openSecretBox, type SecretBox } from '../../src/core/auth/secret-box.ts';
import { ManualClock, type Clock } from '../../src/core/clock.ts';
import { loadConfig, type Config } from '../../src/core/config.ts';
import { openDatabase, type Db } from '../../src/schema/database.ts';
import { applyMigrations, type Migration } from '../../src/core/db/migrations.ts';
import { MIGRATIONS } from '../../src/schema/migrate.ts';
import { createTenantsService } from '../../src/modules/tenants/tenants.service.ts';
import { createTestDatabase, type TestDatabase } from './engines.ts';
import { inTransaction } from '../../src/core/db/transaction.ts';
import { addMember } from '../../src/modules/members/members.service.ts';

export interface TestApp {
  app: App;
  db: Db;
  config: Config;
  clock: ManualClock;
  database: TestDatabase;
  /** The box the app seals its secrets at rest with. */
  secrets: SecretBox;
  request(options: InjectOptions): Promise<LightMyRequestResponse & { body: string }>;
  close(): Promise<void>;
}

/**
 * A fresh database and an in-process app on it. Auth rate limits are high unless a
 * test sets them, so suites that register many users do not trip them.
 */
export async function startTestApp(
  options: {
    env?: Record<string, string>;
    clock?: Clock;
    /** An area built outside src (a demonstration): its migrations run after the released ones. */
    extraArea?: { migrations: readonly Migration[]; build: (db: Db) => ExtraArea };
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT_MAX: '100000',
    ...database.env,
    ...options.env,
  });
  const db = openDatabase({ ...config, databasePoolSize: 5, sqliteSynchronous: 'NORMAL' });
  const clock = new ManualClock();
  const secrets = openSecretBox(config);
  await applyMigrations(db, [...MIGRATIONS, ...(options.extraArea?.migrations ?? [])], clock, { secrets, sealedColumns: SEALED_COLUMNS });
  const extraAreas = options.extraArea ? [options.extraArea.build(db)] : [];
  const app = await buildApp({ config, db, clock: options.clock ?? clock, logger: false, secrets, extraAreas });
  return {
    app,
    db,
    config,
    clock,
    database,
    secrets,
    request: (injectOptions) => app.inject(injectOptions),
    async close() {
      await app.close();
      await db.destroy();
      await database.drop();
    },
  };
}

let counter = 0;
/** Another app on a test app's database, with its own connections and its own caches: another process, in effect. */
export interface SecondApp {
  app: App;
  db: Db;
  config: Config;
  close(): Promise<void>;
}

export async function startSecondApp(t: TestApp, env: Record<string, string>): Promise<SecondApp> {
  const config = loadConfig({ LOG_LEVEL: 'silent', AUTH_RATE_LIMIT_MAX: '100000', ...t.database.env, ...env });
  // NORMAL unless the test asks for FULL: a disk sync per commit only slows the suite down.
  const db = openDatabase({ ...config, databasePoolSize: 5, ...(env.SQLITE_SYNCHRONOUS ? {} : { sqliteSynchronous: 'NORMAL' as const }) });
  const app = await buildApp({ config, db, clock: t.clock, logger: false });
  return {
    app,
    db,
    config,
    async close() {
      await app.close();
      await db.destroy();
    },
  };
}

export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${Date.now()}.${counter}@example.com`;
}

export interface Session {
  userId: number;
  email: string;
  accessToken: string;
  refreshToken: string;
  auth: { authorization: string };
}

export async function register(
  t: TestApp,
  input: { name?: string; email?: string; password?: string; tenant?: string } = {},
): Promise<Session> {
  const email = input.email ?? uniqueEmail();
  const response = await t.request({
    method: 'POST',
    url: '/api/v1/auth/register',
    headers: input.tenant ? { 'x-tenant': input.tenant } : {},
    payload: { name: input.name ?? 'Test User', email, password: input.password ?? 'correct horse battery' },
  });
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  const data = response.json().data;
  return {
    userId: data.user.id,
    email,
    accessToken: data.access_token,
    refreshToken: data.refresh_token,
    auth: { authorization: `Bearer ${data.access_token}` },
  };
}

/** A new tenant through the same service the operator CLI uses. */
export async function createTenant(t: TestApp, slug: string, name = slug): Promise<void> {
  await createTenantsService({ db: t.db, clock: t.clock }).createTenant({ slug, name, selfSignup: true });
}

/** A workspace created over HTTP by `owner`; it becomes the owner's current workspace. */
export async function createWorkspace(t: TestApp, owner: Session, name: string, headers: Record<string, string> = {}) {
  const response = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: { ...owner.auth, ...headers }, payload: { name } });
  if (response.statusCode !== 201) throw new Error(`create workspace failed: ${response.statusCode} ${response.body}`);
  return response.json().data as { id: number; biz_id: string; name: string; slug: string };
}

/**
 * Makes `userId` a member of a workspace with `role`. Fixture set-up only, written to
 * the table directly until invitations (their own issue) give an HTTP way in.
 */
/** A membership written through the members area's own step, so the plan's users counter moves with it. */
export async function addMembership(t: TestApp, workspaceId: number, userId: number, role: string): Promise<void> {
  await inTransaction(t.db, (tx) => addMember(tx, workspaceId, userId, role, new Date().toISOString()));
}

/** A fresh sign-in for a session's user (after the test clock moved past the token's expiry). */
export async function signInAgain(t: TestApp, session: Session, password = 'correct horse battery', tenant?: string): Promise<Session> {
  const response = await t.request({
    method: 'POST',
    url: '/api/v1/auth/login',
    headers: tenant ? { 'x-tenant': tenant } : {},
    payload: { email: session.email, password },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  const data = response.json().data;
  return { ...session, accessToken: data.access_token, refreshToken: data.refresh_token, auth: { authorization: `Bearer ${data.access_token}` } };
}

/** A set-up request that must succeed: a test whose set-up silently failed would assert nothing. */
export async function succeed(t: TestApp, options: InjectOptions, status = 200): Promise<LightMyRequestResponse & { body: string }> {
  const response = await t.request(options);
  if (response.statusCode !== status) {
    throw new Error(`set-up ${options.method ?? 'GET'} ${JSON.stringify(options.url)} answered ${response.statusCode}: ${response.body}`);
  }
  return response;
}
