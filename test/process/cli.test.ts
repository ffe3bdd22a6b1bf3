import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import { api, killAllServers, REPO_ROOT, spawnServer } from '../support/process.ts';

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
