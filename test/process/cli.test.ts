import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import { Secret, TOTP } from 'otpauth';
import { api, killAllServers, PASSWORD, REPO_ROOT, spawnServer } from '../support/process.ts';

/**
 * The operator CLI as an operator runs it: real processes on a fresh database (a temp
 * DATA_DIR, or a new PostgreSQL database on that project), nothing from the runner's
 * environment but PATH and HOME.
 */

const CLI = path.join(REPO_ROOT, 'src/cli/tessera.ts');
const COMMAND_TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const databases: TestDatabase[] = [];
afterEach(async () => killAllServers());
afterAll(async () => {
  for (const database of databases) await database.drop();
});

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  databases.push(database);
  return database;
}

/** A clean environment: the database's, the given variables, and what npm and node need to run. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { LOG_LEVEL: 'warn', ...extra };
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function run(command: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const describeRun = (label: string, result: Run) =>
  `${label} exited ${result.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;

/** The shell commands of the README's "Operator CLI" block, literally: continuation lines joined, comments and blank lines left out. */
function readmeCliCommands(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Operator CLI'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md: no sh block in "## Operator CLI"');
  return block
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('the README’s Operator CLI block', () => {
  it('runs top to bottom, as written, on a fresh database: every command exits 0', { timeout: 300_000 }, async () => {
    const commands = readmeCliCommands();
    expect(commands.length).toBeGreaterThanOrEqual(8);
    expect(commands.some((command) => command.startsWith('npm run tessera -- demo'))).toBe(true);

    const database = await freshDatabase();
    const env = cleanEnv({ ...database.env, TESSERA_PASSWORD: 'correct horse battery staple' });
    // One shell per command, in order: the block sets no variable one line would pass to the next.
    for (const command of commands) {
      const result = await run('bash', ['-c', command], env);
      expect(result.code, describeRun(command, result)).toBe(0);
    }
  });

  it('creates a tenant with self sign-up off: nobody can register into it and become its owner before the operator’s admin', { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const created = await run('npm', ['run', '-s', 'tessera', '--', 'tenant', 'create', 'openco', '--name', 'Open Co'], env);
    expect(created.code, describeRun('tenant create', created)).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ slug: 'openco', self_signup: false });
    const server = await spawnServer(database.env);
    await server.waitReady(30_000);
    const grab = await api(server.url, 'POST', '/api/v1/auth/register', {
      headers: { 'x-tenant': 'openco' },
      body: { name: 'Mallory', email: 'mallory@evil.test', password: 'correct horse battery' },
    });
    expect(grab.status).toBe(403);
    expect(grab.body.error.code).toBe('AUTH.SIGNUP_DISABLED');
  });
});

describe('tessera user reset-mfa', () => {
  it("turns off a user's second factor for the operator: the password alone signs in again, and an unknown user is exit 1", { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const server = await spawnServer(database.env);
    await server.waitReady(30_000);
    const email = 'lost.phone@example.com';
    const registered = await api(server.url, 'POST', '/api/v1/auth/register', { body: { name: 'Lost Phone', email, password: PASSWORD } });
    expect(registered.status).toBe(201);
    const token = registered.body.data.access_token as string;
    const started = await api(server.url, 'POST', '/api/v1/me/mfa/totp', { token });
    const code = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(started.body.data.secret as string) }).generate();
    expect((await api(server.url, 'POST', '/api/v1/me/mfa/totp/confirm', { token, body: { code } })).status).toBe(200);
    expect((await api(server.url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } })).status).toBe(202);

    const env = cleanEnv(database.env);
    const reset = await run('npm', ['run', '-s', 'tessera', '--', 'user', 'reset-mfa', '--tenant', 'default', '--email', email], env);
    expect(reset.code, describeRun('user reset-mfa', reset)).toBe(0);
    expect(JSON.parse(reset.stdout)).toMatchObject({ email, mfa_enabled: false });
    expect((await api(server.url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } })).status).toBe(200);
    const unknown = await run('npm', ['run', '-s', 'tessera', '--', 'user', 'reset-mfa', '--tenant', 'default', '--email', 'nobody@example.com'], env);
    expect(unknown.code, describeRun('user reset-mfa (unknown)', unknown)).toBe(1);
  });
});

describe('tessera user set-role', () => {
  it("changes a user's tenant role for the operator, audited in the tenant log as the operator's", { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const server = await spawnServer(database.env);
    await server.waitReady(30_000);
    const owner = await api(server.url, 'POST', '/api/v1/auth/register', { body: { name: 'First Owner', email: 'first.owner@example.com', password: PASSWORD } });
    const email = 'made.admin@example.com';
    const registered = await api(server.url, 'POST', '/api/v1/auth/register', { body: { name: 'Made Admin', email, password: PASSWORD } });
    expect(registered.status).toBe(201);

    const set = await run('npm', ['run', '-s', 'tessera', '--', 'user', 'set-role', '--tenant', 'default', '--email', email, '--role', 'admin'], cleanEnv(database.env));
    expect(set.code, describeRun('user set-role', set)).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ email, tenant_role: 'admin' });
    const log = await api(server.url, 'GET', '/api/v1/tenant/audit-events?action=tenant.user_role_changed', { token: owner.body.data.access_token as string });
    expect(log.body.data).toEqual([
      expect.objectContaining({ actor: null, target_user: expect.objectContaining({ email }), details: { from: 'member', to: 'admin', via: 'operator' } }),
    ]);
  });
});

describe('tessera sso verify-domain', () => {
  it("proves a workspace's claimed domain without DNS, audited as the operator's; a domain nobody claimed is exit 1", { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const server = await spawnServer(database.env);
    await server.waitReady(30_000);
    const registered = await api(server.url, 'POST', '/api/v1/auth/register', { body: { name: 'Owner', email: 'owner@cli-sso.test', password: PASSWORD } });
    const token = registered.body.data.access_token as string;
    const workspace = await api(server.url, 'POST', '/api/v1/workspaces', { token, body: { name: 'Claimant' } });
    const id = workspace.body.data.id as number;
    expect((await api(server.url, 'PUT', `/api/v1/workspaces/${id}/sso/domain`, { token, body: { domain: 'Offline-Corp.test' } })).status).toBe(200);

    const env = cleanEnv(database.env);
    const verified = await run('npm', ['run', '-s', 'tessera', '--', 'sso', 'verify-domain', '--tenant', 'default', '--domain', 'OFFLINE-corp.test'], env);
    expect(verified.code, describeRun('sso verify-domain', verified)).toBe(0);
    expect(JSON.parse(verified.stdout)).toEqual({ workspace_id: id, email_domain: 'offline-corp.test', verified: true });
    const settings = await api(server.url, 'GET', `/api/v1/workspaces/${id}/sso`, { token });
    expect(settings.body.data).toMatchObject({ email_domain: 'offline-corp.test', domain_verified_at: expect.any(String) });
    const audit = await api(server.url, 'GET', '/api/v1/audit-events', { token, headers: { 'x-workspace-id': String(id) } });
    expect(audit.body.data).toContainEqual(expect.objectContaining({ action: 'sso.domain_verified', details: { domain: 'offline-corp.test', via: 'operator' } }));

    // Again: the same answer, and no second audit event.
    const again = await run('npm', ['run', '-s', 'tessera', '--', 'sso', 'verify-domain', '--tenant', 'default', '--domain', 'offline-corp.test'], env);
    expect(again.code, describeRun('sso verify-domain (again)', again)).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ workspace_id: id, email_domain: 'offline-corp.test', verified: true });
    const events = (await api(server.url, 'GET', '/api/v1/audit-events', { token, headers: { 'x-workspace-id': String(id) } })).body.data as Array<{ action: string }>;
    expect(events.filter((event) => event.action === 'sso.domain_verified')).toHaveLength(1);

    const unclaimed = await run('npm', ['run', '-s', 'tessera', '--', 'sso', 'verify-domain', '--tenant', 'default', '--domain', 'nobody-claimed.test'], env);
    expect(unclaimed.code, describeRun('sso verify-domain (unclaimed)', unclaimed)).toBe(1);
  });
});

describe('tessera demo', () => {
  it('fills the default tenant through the API; the printed credentials sign in; a second run refuses and changes nothing', { timeout: 180_000 }, async () => {
    const database = await freshDatabase();
    // The server first: it migrates (creating the tenant default) and its URL goes into the printed sign-in.
    const server = await spawnServer(database.env);
    await server.waitReady();
    const env = cleanEnv({ ...database.env, PUBLIC_URL: server.url });

    const first = await run(process.execPath, ['--import', 'tsx', CLI, 'demo'], env);
    expect(first.code, describeRun('demo', first)).toBe(0);
    const password = /^ {2}password {2}(\S+) {3}\(generated, shown once/m.exec(first.stdout)?.[1];
    const secret = /(tsk_\S+) {3}\(shown once\)/.exec(first.stdout)?.[1];
    const curl = /^ {2}(curl -s -X POST [^\n]*\\\n[^\n]*)$/m.exec(first.stdout)?.[1];
    expect(password, first.stdout).toMatch(/^.{8,}$/);
    expect(secret, first.stdout).toBeDefined();
    expect(curl, first.stdout).toBeDefined();

    // The sign-in the summary prints works, pasted into a shell as it is.
    const signIn = await run('bash', ['-c', curl as string], cleanEnv({}));
    expect(signIn.code, describeRun('printed curl', signIn)).toBe(0);
    const ownerToken = JSON.parse(signIn.stdout).data.access_token as string;
    expect(ownerToken).toEqual(expect.any(String));

    const workspaces = await api(server.url, 'GET', '/api/v1/workspaces', { token: ownerToken });
    expect(workspaces.status).toBe(200);
    const listed = workspaces.body.data as Array<{ id: number; name: string; role: string }>;
    expect(listed.map((workspace) => [workspace.name, workspace.role]).sort()).toEqual([
      ['Santiago Branch', 'owner'],
      ['Santo Domingo HQ', 'owner'],
      ['Warehouse Norte', 'owner'],
    ]);
    const hq = listed.find((workspace) => workspace.name === 'Santo Domingo HQ')?.id as number;
    const santiago = listed.find((workspace) => workspace.name === 'Santiago Branch')?.id as number;

    const me = await api(server.url, 'GET', '/api/v1/me', { token: ownerToken });
    expect(me.body.data).toMatchObject({ email: 'owner@demo.test', tenant_role: 'owner', current_workspace_id: hq });

    const members = await api(server.url, 'GET', '/api/v1/members', { token: ownerToken, headers: { 'x-workspace-id': String(hq) } });
    expect(members.status).toBe(200);
    const roles = Object.fromEntries((members.body.data as Array<{ email: string; role: string }>).map((member) => [member.email, member.role]));
    expect(roles).toEqual({ 'owner@demo.test': 'owner', 'ana@demo.test': 'admin', 'luis@demo.test': 'member', 'carmen@demo.test': 'cashier' });

    // A member in two workspaces, with a different role in each, signs in with the same password.
    const ana = await api(server.url, 'POST', '/api/v1/auth/login', { body: { email: 'ana@demo.test', password } });
    expect(ana.status).toBe(200);
    const anas = await api(server.url, 'GET', '/api/v1/workspaces', { token: ana.body.data.access_token });
    expect((anas.body.data as Array<{ name: string; role: string }>).map((workspace) => [workspace.name, workspace.role]).sort()).toEqual([
      ['Santiago Branch', 'member'],
      ['Santo Domingo HQ', 'admin'],
    ]);

    const customRoles = await api(server.url, 'GET', '/api/v1/roles', { token: ownerToken, headers: { 'x-workspace-id': String(hq) } });
    expect(customRoles.body.data.find((role: { name: string }) => role.name === 'cashier')).toMatchObject({
      is_builtin: false,
      permissions: expect.arrayContaining(['invoices:create']),
    });

    const pending = async (workspaceId: number) => {
      const response = await api(server.url, 'GET', '/api/v1/invitations?status=pending', { token: ownerToken, headers: { 'x-workspace-id': String(workspaceId) } });
      return (response.body.data as Array<{ email: string; role: string }>).map((invitation) => [invitation.email, invitation.role]);
    };
    expect(await pending(hq)).toEqual([['new.hire@demo.test', 'member']]);
    expect(await pending(santiago)).toEqual([['auditor@demo.test', 'viewer']]);

    // The printed API key acts in its workspace, and as the sub workspace of its group.
    const byKey = await api(server.url, 'GET', '/api/v1/members', { token: secret as string });
    expect(byKey.status).toBe(200);
    const warehouse = listed.find((workspace) => workspace.name === 'Warehouse Norte')?.id as number;
    expect(first.stdout).toContain(`Santo Domingo HQ administers Warehouse Norte: send \`x-as-workspace: ${warehouse}\``);
    const actingByKey = await api(server.url, 'GET', '/api/v1/members', { token: secret as string, headers: { 'x-as-workspace': String(warehouse) } });
    expect(actingByKey.status).toBe(200);
    expect((actingByKey.body.data as Array<{ email: string }>).map((member) => member.email).sort()).toEqual(['owner@demo.test', 'pedro@demo.test', 'sofia@demo.test']);

    // What the API writes along the way: audit events (read through the API) and queued e-mails.
    const audit = await api(server.url, 'GET', '/api/v1/audit-events?limit=100', { token: ownerToken, headers: { 'x-workspace-id': String(hq) } });
    const actions = (audit.body.data as Array<{ action: string }>).map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['workspace.created', 'role.created', 'invitation.created', 'api_key.created']));
    const outbox = await run(process.execPath, ['--import', 'tsx', CLI, 'outbox', 'list', '--status', 'pending', '--limit', '100'], env);
    expect(outbox.code, describeRun('outbox list', outbox)).toBe(0);
    for (const invitee of ['new.hire@demo.test', 'auditor@demo.test']) expect(outbox.stdout).toContain(`to ${invitee}\n`);

    // Twice: a clear refusal, no stack trace, nothing changed.
    const second = await run(process.execPath, ['--import', 'tsx', CLI, 'demo'], env);
    expect(second.code, describeRun('second demo', second)).toBe(1);
    expect(second.stderr).toMatch(/^tessera: demo: the tenant "default" already has demo data \(owner@demo\.test, .*\); nothing was changed\n$/);
    const after = await api(server.url, 'GET', '/api/v1/workspaces', { token: ownerToken });
    expect(after.body.data).toHaveLength(3);

    // Another tenant: named with --tenant, refused clearly until it exists.
    const missing = await run(process.execPath, ['--import', 'tsx', CLI, 'demo', '--tenant', 'acme'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^tessera: demo: no tenant "acme": create it first/);
  });
});

describe('tessera plan', () => {
  const PLAN_ORDER = ['free', 'pro', 'business', 'advanced', 'business plus', 'business extra', 'business max', 'enterprise'];

  /** `tessera plan …` run directly by node on a database. */
  const plan = (env: Record<string, string>, ...args: string[]) => run(process.execPath, ['--import', 'tsx', CLI, 'plan', ...args], env);

  /** `plan list` parsed: key → { default, limits }. */
  async function planList(env: Record<string, string>): Promise<Map<string, { isDefault: boolean; limits: Record<string, number> }>> {
    const listed = await plan(env, 'list');
    expect(listed.code, describeRun('plan list', listed)).toBe(0);
    const plans = new Map<string, { isDefault: boolean; limits: Record<string, number> }>();
    for (const line of listed.stdout.trimEnd().split('\n')) {
      const match = /^([* ]) ([a-z ]+)\t(.*)$/.exec(line);
      expect(match, `plan list line ${JSON.stringify(line)}`).not.toBeNull();
      const [, mark, key, limits] = match as RegExpExecArray;
      plans.set(key as string, {
        isDefault: mark === '*',
        limits: Object.fromEntries((limits as string).split(', ').map((pair) => [pair.split(' ')[0], Number(pair.split(' ')[1])])),
      });
    }
    return plans;
  }

  /** A refusal as an operator should see it: exit 2, one `tessera:` line and the usage, no stack trace. */
  function expectUsageError(label: string, result: Run): void {
    expect(result.code, describeRun(label, result)).toBe(2);
    expect(result.stderr, describeRun(label, result)).toMatch(/^tessera: .+\n\nUsage: npm run tessera -- <command>/);
    expect(result.stderr, describeRun(label, result)).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  }

  /** A server on the database, its first user (the tenant owner) and one workspace of theirs. */
  async function serverWithWorkspace(database: TestDatabase) {
    const server = await spawnServer(database.env);
    await server.waitReady(30_000);
    const registered = await api(server.url, 'POST', '/api/v1/auth/register', {
      body: { name: 'Plan Owner', email: 'plan.owner@example.com', password: 'correct horse battery' },
    });
    expect(registered.status).toBe(201);
    const token = registered.body.data.access_token as string;
    const created = await api(server.url, 'POST', '/api/v1/workspaces', { token, body: { name: 'Plan Shop' } });
    expect(created.status).toBe(201);
    const workspaceId = created.body.data.id as number;
    const details = async () => (await api(server.url, 'GET', `/api/v1/workspaces/${workspaceId}`, { token })).body.data;
    const createLocation = (name: string) => api(server.url, 'POST', '/api/v1/locations', { token, headers: { 'x-workspace-id': String(workspaceId) }, body: { name } });
    return { server, token, workspaceId, details, createLocation };
  }

  it('plan list prints the eight plans cheapest first, their six limits, and marks enterprise as the default (also through npm run)', { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const plans = await planList(env);
    expect([...plans.keys()]).toEqual(PLAN_ORDER);
    expect([...plans].filter(([, p]) => p.isDefault).map(([key]) => key)).toEqual(['enterprise']);
    for (const [key, { limits }] of plans) {
      expect(Object.keys(limits), key).toEqual(['users', 'locations', 'items', 'suppliers', 'tags', 'usage']);
      for (const value of Object.values(limits)) expect(Number.isInteger(value) && value >= 0, key).toBe(true);
    }
    // Cheapest first: no limit shrinks from one plan to the next.
    const rows = [...plans.values()];
    for (let i = 1; i < rows.length; i += 1) {
      for (const limit of Object.keys(rows[i]?.limits ?? {})) expect(rows[i]?.limits[limit]).toBeGreaterThanOrEqual(rows[i - 1]?.limits[limit] as number);
    }
    const viaNpm = await run('npm', ['run', '-s', 'tessera', '--', 'plan', 'list'], env);
    expect(viaNpm.code, describeRun('npm run tessera -- plan list', viaNpm)).toBe(0);
    expect(viaNpm.stdout).toBe((await plan(env, 'list')).stdout);
  });

  it('plan set changes only the named limits, at once for a running server (402 at the new limit)', { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const before = await planList(env);
    const set = await plan(env, 'set', 'free', '--locations', '3', '--users', '2');
    expect(set.code, describeRun('plan set', set)).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ key: 'free', locations_limit: 3, users_limit: 2, items_limit: before.get('free')?.limits.items });
    const after = await planList(env);
    expect(after.get('free')?.limits).toEqual({ ...before.get('free')?.limits, locations: 3, users: 2 });
    for (const key of PLAN_ORDER.filter((k) => k !== 'free')) expect(after.get(key)).toEqual(before.get(key));

    // A name with a space, as one argument; 0 and the top of the range are values too.
    const spaced = await plan(env, 'set', 'business plus', '--items', '0', '--usage', '2000000000');
    expect(spaced.code, describeRun('plan set "business plus"', spaced)).toBe(0);
    expect((await planList(env)).get('business plus')?.limits).toMatchObject({ items: 0, usage: 2_000_000_000 });

    const { details, createLocation, workspaceId } = await serverWithWorkspace(database);
    const assigned = await plan(env, 'assign', String(workspaceId), '--plan', 'free');
    expect(assigned.code, describeRun('plan assign', assigned)).toBe(0);
    expect(await details()).toMatchObject({ plan: 'free', locations_limit: 3, locations_usage: 1, users_limit: 2, users_usage: 1 });
    expect((await createLocation('Two')).status).toBe(201);
    expect((await createLocation('Three')).status).toBe(201);
    const refused = await createLocation('Four');
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({ code: 'PLAN.LIMIT_REACHED', details: { limit: 'locations_limit', plan: 'free', allowed: 3 } });
    // Raised from the command line while the server runs: the next create passes.
    expect((await plan(env, 'set', 'free', '--locations', '4')).code).toBe(0);
    expect((await createLocation('Four')).status).toBe(201);
    expect(await details()).toMatchObject({ locations_limit: 4, locations_usage: 4 });
  });

  it('plan set refuses bad values with exit 2 and a one-line reason, changing nothing', { timeout: 180_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const before = await planList(env);
    const bad: string[][] = [
      ['set', 'nope', '--locations', '3'],
      ['set', 'Free', '--locations', '3'],
      ['set', 'free'],
      ['set', '--locations', '3'],
      ['set', 'free', '--locations=-1'],
      ['set', 'free', '--locations', '1.5'],
      ['set', 'free', '--locations', '1e3'],
      ['set', 'free', '--locations', ''],
      ['set', 'free', '--locations', 'abc'],
      ['set', 'free', '--locations', '2000000001'],
      ['set', 'free', '--users', '3', '--locations', 'lots'],
      ['frobnicate'],
    ];
    for (const args of bad) expectUsageError(`plan ${args.join(' ')}`, await plan(env, ...args));
    expect(await planList(env)).toEqual(before);
  });

  it('refuses a negative number written as its own argument (plan set free --locations -1, plan assign -1) with exit 2, not a stack trace', { timeout: 60_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const before = await planList(env);
    expectUsageError('plan set free --locations -1', await plan(env, 'set', 'free', '--locations', '-1'));
    expectUsageError('plan assign -1 --plan free', await plan(env, 'assign', '-1', '--plan', 'free'));
    expect(await planList(env)).toEqual(before);
  });

  it('plan set refuses a mistyped option (--location for --locations) with exit 2, not a stack trace', { timeout: 60_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const before = await planList(env);
    expectUsageError('plan set free --location 3', await plan(env, 'set', 'free', '--location', '3'));
    expect(await planList(env)).toEqual(before);
  });

  it('plan default moves the mark: new workspaces start on that plan; an unknown plan is refused with exit 2', { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const moved = await plan(env, 'default', 'pro');
    expect(moved.code, describeRun('plan default pro', moved)).toBe(0);
    expect(moved.stdout).toBe('new workspaces start on pro\n');
    const plans = await planList(env);
    expect([...plans].filter(([, p]) => p.isDefault).map(([key]) => key)).toEqual(['pro']);

    for (const args of [['default', 'nope'], ['default'], ['default', 'PRO']]) expectUsageError(`plan ${args.join(' ')}`, await plan(env, ...args));
    expect(await planList(env)).toEqual(plans);

    // Twice in a row is fine and leaves one mark.
    expect((await plan(env, 'default', 'business max')).code).toBe(0);
    expect((await plan(env, 'default', 'business max')).code).toBe(0);
    expect([...(await planList(env))].filter(([, p]) => p.isDefault).map(([key]) => key)).toEqual(['business max']);

    const { details } = await serverWithWorkspace(database);
    const limits = (await planList(env)).get('business max')?.limits;
    expect(await details()).toMatchObject({ plan: 'business max', locations_limit: limits?.locations, users_limit: limits?.users, locations_usage: 1, users_usage: 1 });
  });

  it('plan assign changes a workspace’s plan, trial end and billing day; refuses bad values (exit 2) and a missing workspace (exit 1)', { timeout: 180_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const { details, workspaceId } = await serverWithWorkspace(database);
    const id = String(workspaceId);

    const assigned = await plan(env, 'assign', id, '--plan', 'business', '--trial-ends-at', '2030-01-31T12:00:00Z', '--billing-cycle-start', '15');
    expect(assigned.code, describeRun('plan assign', assigned)).toBe(0);
    expect(JSON.parse(assigned.stdout)).toMatchObject({ workspace_id: workspaceId, plan_key: 'business', trial_ends_at: '2030-01-31T12:00:00.000Z', billing_cycle_start: 15 });
    const limits = (await planList(env)).get('business')?.limits;
    expect(await details()).toMatchObject({
      plan: 'business',
      trial_ends_at: '2030-01-31T12:00:00.000Z',
      billing_cycle_start: 15,
      stripe_id: null,
      locations_limit: limits?.locations,
      users_limit: limits?.users,
      locations_usage: 1,
      users_usage: 1,
    });

    // One field at a time leaves the others; `none` clears the trial; 1 and 31 are billing days.
    expect((await plan(env, 'assign', id, '--billing-cycle-start', '31')).code).toBe(0);
    expect(await details()).toMatchObject({ plan: 'business', billing_cycle_start: 31, trial_ends_at: '2030-01-31T12:00:00.000Z' });
    expect((await plan(env, 'assign', id, '--trial-ends-at', 'none', '--billing-cycle-start', '1')).code).toBe(0);
    expect(await details()).toMatchObject({ plan: 'business', billing_cycle_start: 1, trial_ends_at: null });
    expect((await plan(env, 'assign', id, '--plan', 'business plus')).code).toBe(0);
    expect((await details()).plan).toBe('business plus');

    const settled = await details();
    const bad: string[][] = [
      ['assign', id],
      ['assign', 'abc', '--plan', 'free'],
      ['assign', '0', '--plan', 'free'],
      ['assign', '2147483648', '--plan', 'free'],
      ['assign', id, '--plan', 'nope'],
      ['assign', id, '--plan', ''],
      ['assign', id, '--billing-cycle-start', '0'],
      ['assign', id, '--billing-cycle-start', '32'],
      ['assign', id, '--billing-cycle-start', '1.5'],
      ['assign', id, '--trial-ends-at', 'garbage'],
      ['assign', id, '--trial-ends-at', '2030-13-01'],
      ['assign', id, '--plan', 'free', '--billing-cycle-start', '40'],
    ];
    for (const args of bad) {
      const result = await plan(env, ...args);
      // `assign` with no field to change names nothing to do: a usage error too.
      expectUsageError(`plan ${args.join(' ')}`, result);
    }
    expect(await details()).toEqual(settled);

    const missing = await plan(env, 'assign', '999999', '--plan', 'free');
    expect(missing.code, describeRun('plan assign 999999', missing)).toBe(1);
    expect(missing.stderr).toBe('tessera: WORKSPACE.NOT_FOUND: No such workspace.\n');
  });

  it('plan assign refuses a --trial-ends-at that is not an ISO-8601 time (1, 2030-02-30, March 1 2030) with exit 2, changing nothing', { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const { details, workspaceId } = await serverWithWorkspace(database);
    const before = await details();
    for (const value of ['1', '2030-02-30', 'March 1 2030']) {
      expectUsageError(`plan assign --trial-ends-at ${value}`, await plan(env, 'assign', String(workspaceId), '--trial-ends-at', value));
    }
    expect(await details()).toEqual(before);
  });
});

describe('secrets at rest from the command line', () => {
  const tessera = (env: Record<string, string>, ...args: string[]) => run('npm', ['run', '-s', 'tessera', '--', ...args], env);

  it('secrets generate-key needs no configuration; a server on PostgreSQL without SECRETS_KEY refuses to start, naming it', { timeout: 120_000 }, async () => {
    const env = cleanEnv({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    const generated = await tessera(env, 'secrets', 'generate-key');
    expect(generated.code, describeRun('secrets generate-key', generated)).toBe(0);
    expect(generated.stdout).toMatch(/^[A-Za-z0-9_-]{43}\n$/);

    const server = await spawnServer({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.output().stderr).toMatch(/SECRETS_KEY is required when DATABASE_URL is set/);
  });

  it('keys rotate and secrets rotate say what they did, and the server started after signs in with the new key', { timeout: 120_000 }, async () => {
    const database = await freshDatabase();
    const env = cleanEnv(database.env);
    const rotated = await tessera(env, 'keys', 'rotate');
    expect(rotated.code, describeRun('keys rotate', rotated)).toBe(0);
    const added = /^new signing key (\S+):/.exec(rotated.stdout)?.[1];
    expect(rotated.stdout).toMatch(/^new signing key \S+: running servers sign with it within 60 s\n/);
    expect(rotated.stdout).toMatch(
      /still published until the tokens they signed expired: \S+\ndropped \(superseded more than 86460 s ago\): none\nretired, verifying nothing \(kept to derive refresh-token successors\): none\n$/,
    );

    const resealed = await tessera(env, 'secrets', 'rotate');
    expect(resealed.code, describeRun('secrets rotate', resealed)).toBe(0);
    expect(resealed.stdout).toMatch(/^signing_keys\.private_jwk: \d+ sealed again, \d+ already under the new key$/m);
    expect(resealed.stdout).toMatch(database.env.SECRETS_KEY ? /once every instance runs with this key first/ : /restart every server on this DATA_DIR/);

    const server = await spawnServer(database.env);
    await server.waitReady(30_000);
    const jwks = await api(server.url, 'GET', '/.well-known/jwks.json');
    expect((jwks.body as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid)).toContain(added);
    const registered = await api(server.url, 'POST', '/api/v1/auth/register', { body: { name: 'After', email: 'after@example.test', password: PASSWORD } });
    expect(registered.status).toBe(201);
    const token = (registered.body as { data: { access_token: string } }).data.access_token;
    expect(decodeProtectedHeader(token).kid).toBe(added);
  });
});
