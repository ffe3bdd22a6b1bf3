import { randomBytes } from 'node:crypto';
import { buildApp, type App } from '../app.ts';
import type { Config } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { normalizeKey } from '../core/normalize.ts';
import type { IdentityService } from '../modules/identity/identity.service.ts';
import type { TenantsService } from '../modules/tenants/tenants.service.ts';
import type { Db } from '../schema/database.ts';
import { DemoError } from './demo-error.ts';

/**
 * `tessera demo`: a tenant worth exploring, made by the API itself. An app is built in
 * this process (never listening) and every step is the request a client would send, so
 * the schemas, policies, services, audit events and outbox e-mails are exactly the API's.
 * The one exception is the owner's account, made as `user create-admin` makes it.
 */

export const DEMO_OWNER = { name: 'Demo Owner', email: 'owner@demo.test' } as const;

export const DEMO_WORKSPACES = ['Santo Domingo HQ', 'Santiago Branch', 'Warehouse Norte'] as const;
type DemoWorkspace = (typeof DEMO_WORKSPACES)[number];

const CUSTOM_ROLE = {
  workspace: 'Santo Domingo HQ',
  name: 'cashier',
  display_name: 'Cashier',
  permissions: ['invoices:view', 'invoices:create', 'contacts:view', 'contacts:create'],
} as const satisfies { workspace: DemoWorkspace } & Record<string, unknown>;

/** Each joins the first workspace by registering through an invitation, the others by accepting one signed in. */
const DEMO_MEMBERS: ReadonlyArray<{ name: string; email: string; roles: ReadonlyArray<[DemoWorkspace, string]> }> = [
  { name: 'Ana Pérez', email: 'ana@demo.test', roles: [['Santo Domingo HQ', 'admin'], ['Santiago Branch', 'member']] },
  { name: 'Luis Gómez', email: 'luis@demo.test', roles: [['Santo Domingo HQ', 'member']] },
  { name: 'Carmen Díaz', email: 'carmen@demo.test', roles: [['Santo Domingo HQ', CUSTOM_ROLE.name]] },
  { name: 'Pedro Martínez', email: 'pedro@demo.test', roles: [['Santiago Branch', 'admin'], ['Warehouse Norte', 'viewer']] },
  { name: 'Sofía Reyes', email: 'sofia@demo.test', roles: [['Warehouse Norte', 'member']] },
];

const PENDING_INVITATIONS: ReadonlyArray<{ workspace: DemoWorkspace; email: string; role: string }> = [
  { workspace: 'Santo Domingo HQ', email: 'new.hire@demo.test', role: 'member' },
  { workspace: 'Santiago Branch', email: 'auditor@demo.test', role: 'viewer' },
];

const API_KEY = { workspace: 'Santo Domingo HQ', name: 'Demo integration', scopes: ['workspaces:view', 'members:view'] } as const;

/** A workspace group (seed 004): the headquarters acts for the warehouse, so the key above reaches it too. */
const GROUP = { admin: 'Santo Domingo HQ', sub: 'Warehouse Norte' } as const satisfies { admin: DemoWorkspace; sub: DemoWorkspace };

export interface DemoDeps {
  db: Db;
  config: Config;
  tenants: TenantsService;
  identity: IdentityService;
}

/** What was made, with the secrets shown once. */
export interface DemoResult {
  tenant: string;
  owner: { email: string; password: string; passwordGenerated: boolean };
  workspaces: Array<{ id: number; name: string }>;
  members: Array<{ name: string; email: string; roles: string[] }>;
  customRole: string;
  apiKey: { name: string; workspace: string; scopes: readonly string[]; secret: string };
  invitations: string[];
  group: { admin: string; sub: string; subId: number };
}

/** Refuses, before writing anything, when a demo account or workspace is already there (a second run). */
async function refuseExistingDemoData(deps: DemoDeps, tenant: { id: number; slug: string }): Promise<void> {
  const emails = [DEMO_OWNER.email, ...DEMO_MEMBERS.map((member) => member.email)];
  const found: string[] = [];
  for (const email of emails) if (await deps.identity.findUserByEmail(tenant.slug, email)) found.push(email);
  const workspaces = await deps.db
    .selectFrom('workspaces')
    .select('name')
    .where('tenant_id', '=', tenant.id)
    .where('name_key', 'in', DEMO_WORKSPACES.map((name) => normalizeKey(name)))
    .execute();
  found.push(...workspaces.map((row) => `workspace "${row.name}"`));
  if (found.length > 0) {
    throw new DemoError(`the tenant "${tenant.slug}" already has demo data (${found.join(', ')}); nothing was changed`);
  }
}

export async function runDemo(deps: DemoDeps, options: { tenant: string; password: string | undefined }): Promise<DemoResult> {
  const tenant = await deps.tenants.requireTenant(options.tenant).catch((error: unknown) => {
    if (error instanceof AppError && error.code === 'TENANT.NOT_FOUND') {
      throw new DemoError(`no tenant "${options.tenant}": create it first with \`tenant create ${options.tenant} --name "…"\``);
    }
    throw error;
  });
  if (tenant.disabledAt) throw new DemoError(`the tenant "${tenant.slug}" is disabled: \`tenant enable ${tenant.slug}\` first`);
  const limit = tenant.maxOwnedWorkspacesPerUser;
  if (limit !== null && limit < DEMO_WORKSPACES.length) {
    throw new DemoError(`the tenant "${tenant.slug}" lets a user own ${limit} workspace(s); the demo owner needs ${DEMO_WORKSPACES.length}`);
  }
  await refuseExistingDemoData(deps, tenant);

  const passwordGenerated = options.password === undefined;
  const password = options.password ?? randomBytes(12).toString('base64url');
  await deps.identity.createUserAs(tenant.slug, { ...DEMO_OWNER, password }, 'owner');

  // Nothing here listens, delivers mail or shares counters: no SMTP, no Redis, and the
  // sign-in limit (counted in this process only) out of the way of a dozen sign-ins.
  const app = await buildApp({
    config: { ...deps.config, smtpUrl: undefined, redisUrl: undefined, authRateLimit: { max: 100_000, windowSeconds: 60 } },
    db: deps.db,
    logger: false,
  });
  try {
    return await seed(app, { tenant: tenant.slug, password, passwordGenerated });
  } finally {
    await app.close();
  }
}

interface ApiCall {
  method: 'POST' | 'PATCH';
  url: string;
  payload?: object;
  token?: string;
  workspaceId?: number;
}

async function seed(app: App, input: { tenant: string; password: string; passwordGenerated: boolean }): Promise<DemoResult> {
  /** One API request; anything but the expected status stops the demo, naming the step and the API's answer. */
  async function call(step: string, request: ApiCall, status = 200): Promise<Record<string, unknown>> {
    const { token, workspaceId } = request;
    const response = await app.inject({
      method: request.method,
      url: `/api/v1${request.url}`,
      ...(request.payload === undefined ? {} : { payload: request.payload }),
      headers: {
        'x-tenant': input.tenant,
        'accept-language': 'en',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(workspaceId === undefined ? {} : { 'x-workspace-id': String(workspaceId) }),
      },
    });
    if (response.statusCode !== status) {
      const error = response.json<{ error?: { code: string; message: string } }>().error;
      const answer = error ? `${error.code}: ${error.message}` : response.body;
      throw new DemoError(`${step} failed: ${response.statusCode} ${answer} (what was made before this step stays)`);
    }
    return response.json<{ data: Record<string, unknown> }>().data;
  }
  const sessions: string[] = [];
  const signIn = async (email: string) => {
    const data = await call(`signing in as ${email}`, { method: 'POST', url: '/auth/login', payload: { email, password: input.password } });
    sessions.push(data.access_token as string);
    return data.access_token as string;
  };

  const owner = await signIn(DEMO_OWNER.email);
  const workspaceIds = new Map<DemoWorkspace, number>();
  for (const name of DEMO_WORKSPACES) {
    const created = await call(`creating workspace "${name}"`, { method: 'POST', url: '/workspaces', token: owner, payload: { name } }, 201);
    workspaceIds.set(name, created.id as number);
  }
  const idOf = (name: DemoWorkspace) => workspaceIds.get(name) as number;

  const { workspace: roleWorkspace, ...role } = CUSTOM_ROLE;
  await call(`creating role ${role.name}`, { method: 'POST', url: '/roles', token: owner, workspaceId: idOf(roleWorkspace), payload: role }, 201);

  const invite = async (workspace: DemoWorkspace, email: string, roleName: string) => {
    const step = `inviting ${email} to "${workspace}" as ${roleName}`;
    const invitation = await call(step, { method: 'POST', url: '/invitations', token: owner, workspaceId: idOf(workspace), payload: { email, role: roleName } }, 201);
    return invitation.token as string;
  };

  for (const member of DEMO_MEMBERS) {
    const [[first, firstRole], ...others] = member.roles as [[DemoWorkspace, string], ...Array<[DemoWorkspace, string]>];
    const payload = { name: member.name, email: member.email, password: input.password, invitation_token: await invite(first, member.email, firstRole) };
    const registered = await call(`registering ${member.email}`, { method: 'POST', url: '/auth/register', payload }, 201);
    sessions.push(registered.access_token as string);
    for (const [workspace, roleName] of others) {
      const token = await invite(workspace, member.email, roleName);
      await call(`${member.email} accepting "${workspace}"`, {
        method: 'POST',
        url: '/invitations/accept',
        token: registered.access_token as string,
        payload: { token },
      });
    }
  }

  const { workspace: keyWorkspace, ...key } = API_KEY;
  const apiKey = await call(`creating API key "${key.name}"`, { method: 'POST', url: '/api-keys', token: owner, workspaceId: idOf(keyWorkspace), payload: key }, 201);

  for (const pending of PENDING_INVITATIONS) await invite(pending.workspace, pending.email, pending.role);

  // The owner of both: invites as the admin workspace, accepts as the sub workspace's owner.
  const groupInvitation = await call(
    `inviting "${GROUP.sub}" into the group of "${GROUP.admin}"`,
    { method: 'POST', url: '/workspace-group-members', token: owner, workspaceId: idOf(GROUP.admin), payload: { sub_workspace_id: idOf(GROUP.sub) } },
    201,
  );
  await call(`"${GROUP.sub}" joining the group`, {
    method: 'POST',
    url: `/workspace-group-invitations/${groupInvitation.id as number}/accept`,
    token: owner,
    workspaceId: idOf(GROUP.sub),
  });

  // The owner signs in to the first workspace; the demo's own sessions end here.
  await call('switching to the first workspace', { method: 'PATCH', url: `/workspace-context/${idOf(DEMO_WORKSPACES[0])}`, token: owner });
  for (const token of sessions) await call('signing out', { method: 'POST', url: '/auth/logout', token });

  return {
    tenant: input.tenant,
    owner: { email: DEMO_OWNER.email, password: input.password, passwordGenerated: input.passwordGenerated },
    workspaces: DEMO_WORKSPACES.map((name) => ({ id: idOf(name), name })),
    members: DEMO_MEMBERS.map((member) => ({
      name: member.name,
      email: member.email,
      roles: member.roles.map(([workspace, roleName]) => `${roleName} in ${workspace}`),
    })),
    customRole: `${role.name} (${role.display_name}) in ${roleWorkspace}: ${role.permissions.join(', ')}`,
    apiKey: { name: key.name, workspace: keyWorkspace, scopes: key.scopes, secret: apiKey.secret as string },
    invitations: PENDING_INVITATIONS.map((pending) => `${pending.email} (${pending.role} in ${pending.workspace})`),
    group: { ...GROUP, subId: idOf(GROUP.sub) },
  };
}

/** A word the shell passes through unchanged, whatever it holds. */
const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** The summary: what was made, the secrets (shown once) and how to sign in. */
export function describeDemo(result: DemoResult, publicUrl: string, smtpConfigured: boolean): string {
  const login = JSON.stringify({ email: result.owner.email, password: result.owner.password });
  const column = (label: string, lines: string[]) => lines.map((line, i) => `  ${(i === 0 ? label : '').padEnd(13)}${line}`).join('\n');
  return [
    `Demo data in tenant "${result.tenant}":`,
    column('workspaces', result.workspaces.map((workspace) => `${workspace.name} (id ${workspace.id})`)),
    column('members', result.members.map((member) => `${member.name} <${member.email}>: ${member.roles.join(', ')}`)),
    column('custom role', [result.customRole]),
    column('API key', [
      `"${result.apiKey.name}" in ${result.apiKey.workspace} (${result.apiKey.scopes.join(', ')})`,
      `${result.apiKey.secret}   (shown once)`,
    ]),
    column('invitations', result.invitations.map((line) => `${line}, pending`)),
    column('group', [
      `${result.group.admin} administers ${result.group.sub}: send \`x-as-workspace: ${result.group.subId}\` to act as it`,
    ]),
    column('e-mail', [
      smtpConfigured
        ? 'the invitations\' messages go to demo.test addresses through SMTP_URL (see `outbox list`)'
        : 'the invitations\' messages to demo.test addresses wait in the outbox (`outbox list`)',
    ]),
    '',
    'Sign in as the owner (the members use the same password):',
    `  e-mail    ${result.owner.email}`,
    `  password  ${result.owner.password}${result.owner.passwordGenerated ? '   (generated, shown once; set TESSERA_PASSWORD to choose it)' : '   (TESSERA_PASSWORD)'}`,
    '',
    `  curl -s -X POST ${publicUrl}/api/v1/auth/login -H 'Content-Type: application/json' \\`,
    `    -H ${shellQuote(`X-Tenant: ${result.tenant}`)} -d ${shellQuote(login)}`,
    '',
  ].join('\n');
}
