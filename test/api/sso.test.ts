/**
 * Single sign-on per workspace (issue 20), black-box over HTTP against a real OpenID provider
 * (oidc-provider, test/support/oidc-provider.ts) and a real DNS responder
 * (test/support/dns-responder.ts), both on loopback: the domain proved by a TXT record, the
 * provider connected by discovery, sign-in with PKCE, state and nonce, just-in-time membership,
 * linking, enforcement, and the client secret sealed at rest.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDnsResponder, type DnsResponder } from '../support/dns-responder.ts';
import { createSecretBox, generateSecretsKey, parseSecretsKey, secretsKeyFile } from '../../src/core/auth/secret-box.ts';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { resealSecrets } from '../../src/schema/migrate.ts';
import { invariantViolations } from '../support/invariants.ts';
import { startTestIdentityProvider, type TestIdentityProvider } from '../support/oidc-provider.ts';
import { addMembership, createWorkspace, register, startSecondApp, startTestApp, succeed, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

const PASSWORD = 'correct horse battery';
const CLIENT = { client_id: 'tessera-test', client_secret: 'a client secret nobody may read 5fd1c0' };

let t: TestApp;
let idp: TestIdentityProvider;
let dns: DnsResponder;
let owner: Session;
let workspace: { id: number };
let domain: string;

type Headers = Record<string, string>;

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, options: { headers?: Headers; body?: unknown } = {}) {
  const response = await t.request({ method, url, headers: options.headers ?? {}, ...(options.body === undefined ? {} : { payload: options.body as object }) });
  const text = response.body;
  return { status: response.statusCode, headers: response.headers, body: text ? (JSON.parse(text) as { data?: any; error?: { code: string; details: any }; message?: string }) : {} };
}

const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options: { headers?: Headers; body?: unknown } = {}) => call(method, `/api/v1${path}`, options);

/** Claims `name` for the workspace and publishes its TXT record in the test DNS. */
async function proveDomain(session: Session, workspaceId: number, name: string): Promise<void> {
  const claim = await api('PUT', `/workspaces/${workspaceId}/sso/domain`, { headers: session.auth, body: { domain: name } });
  expect(claim.status).toBe(200);
  dns.setTxt(claim.body.data.verification_record.name, [claim.body.data.verification_record.value]);
  expect((await api('POST', `/workspaces/${workspaceId}/sso/domain/verify`, { headers: session.auth })).status).toBe(200);
}

async function connect(session: Session, workspaceId: number, extra: Record<string, unknown> = {}) {
  return api('PUT', `/workspaces/${workspaceId}/sso/connection`, { headers: session.auth, body: { issuer_url: idp.issuer, ...CLIENT, ...extra } });
}

/** A sign-in through the provider as `sub`: the start's redirect followed at the provider, and the callback it leads to (not yet requested). */
async function throughProvider(email: string, sub: string): Promise<string> {
  const start = await api('GET', `/auth/sso/start?email=${encodeURIComponent(email)}`);
  expect(start.status, JSON.stringify(start.body)).toBe(302);
  const location = String(start.headers.location);
  expect(location.startsWith(idp.issuer)).toBe(true);
  const callback = new URL(await idp.signIn(location, sub));
  return `${callback.pathname}${callback.search}`;
}

async function ssoSignIn(email: string, sub: string, claims: { email_verified?: boolean; email?: string } = {}) {
  idp.setAccount(sub, { email: claims.email ?? email, email_verified: claims.email_verified ?? true, name: `Person ${sub}` });
  return call('GET', await throughProvider(email, sub));
}

const countOf = async (table: string) => Number((await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(t.db)).rows[0]?.n);

beforeAll(async () => {
  dns = await startDnsResponder();
  idp = await startTestIdentityProvider();
  t = await startTestApp({ env: { DNS_SERVERS: dns.address, SSO_ALLOW_LOOPBACK_ISSUERS: 'true' } });
  idp.addClient({ ...CLIENT, redirect_uris: [`${t.config.publicUrl}/api/v1/auth/sso/callback`] });
  owner = await register(t, { email: uniqueEmail('owner') });
  workspace = await createWorkspace(t, owner, 'Acme HQ');
  domain = `acme-${Date.now().toString(36)}.test`;
  await proveDomain(owner, workspace.id, domain);
  expect((await connect(owner, workspace.id)).status).toBe(200);
});

afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});

afterAll(async () => {
  await t?.close();
  await idp?.close();
  await dns?.close();
});

describe('the domain', () => {
  it('is proved by the TXT record handed out, and shows on the workspace once proved', async () => {
    const other = await createWorkspace(t, owner, 'Branch with a domain');
    const name = `branch-${Date.now().toString(36)}.test`;
    const claim = await api('PUT', `/workspaces/${other.id}/sso/domain`, { headers: owner.auth, body: { domain: name.toUpperCase() } });
    expect(claim.status).toBe(200);
    expect(claim.body.data).toMatchObject({ email_domain: name, verification_record: { type: 'TXT', name: `_tessera-verification.${name}` } });
    const verify = () => api('POST', `/workspaces/${other.id}/sso/domain/verify`, { headers: owner.auth });

    expect((await verify()).body.error?.code).toBe('SSO.DOMAIN_NOT_VERIFIED');
    dns.setTxt(`_tessera-verification.${name}`, ['tessera-verification=someone-elses-value']);
    expect((await verify()).body.error?.code).toBe('SSO.DOMAIN_NOT_VERIFIED');
    expect((await api('GET', `/workspaces/${other.id}`, { headers: owner.auth })).body.data.sso_email_domain).toBeNull();

    dns.setTxt(`_tessera-verification.${name}`, ['v=spf1 -all', claim.body.data.verification_record.value]);
    const verified = await verify();
    expect(verified.status).toBe(200);
    expect(verified.body.data).toMatchObject({ email_domain: name, domain_verified_at: expect.any(String), enforced_at: null });
    expect((await api('GET', `/workspaces/${other.id}`, { headers: owner.auth })).body.data).toMatchObject({ sso_email_domain: name, sso_enforced_at: null });

    // Claimed again: a new value, and the domain must be proved again.
    const again = await api('PUT', `/workspaces/${other.id}/sso/domain`, { headers: owner.auth, body: { domain: name } });
    expect(again.body.data.verification_record.value).not.toBe(claim.body.data.verification_record.value);
    expect((await api('GET', `/workspaces/${other.id}/sso`, { headers: owner.auth })).body.data.domain_verified_at).toBeNull();
    expect((await verify()).body.error?.code).toBe('SSO.DOMAIN_NOT_VERIFIED');
  });

  it('is one domain however an address spells it: an internationalized name is its ASCII form', async () => {
    const branch = await createWorkspace(t, owner, 'International branch');
    const unicode = `bücher-${Date.now().toString(36)}.test`;
    const asciiOfUnicode = new URL(`http://${unicode}`).hostname; // xn--bcher-…
    expect(asciiOfUnicode).toMatch(/^xn--/);
    await proveDomain(owner, branch.id, asciiOfUnicode);
    expect((await connect(owner, branch.id)).status).toBe(200);
    expect((await api('PUT', `/workspaces/${branch.id}/sso/enforcement`, { headers: owner.auth, body: { enforced: true } })).status).toBe(200);
    const refused = await api('POST', '/auth/register', { body: { name: 'Umlaut', email: `jan@${unicode}`, password: PASSWORD } });
    expect(refused.body.error?.code).toBe('AUTH.SSO_REQUIRED');
    expect((await api('PUT', `/workspaces/${branch.id}/sso/enforcement`, { headers: owner.auth, body: { enforced: false } })).status).toBe(200);
  });

  it('is claimed by one workspace per tenant, and never a public mail domain', async () => {
    const other = await createWorkspace(t, owner, 'Second claimant');
    const taken = await api('PUT', `/workspaces/${other.id}/sso/domain`, { headers: owner.auth, body: { domain: domain.toUpperCase() } });
    expect(taken.status).toBe(409);
    expect(taken.body.error?.code).toBe('SSO.DOMAIN_TAKEN');
    for (const name of ['gmail.com', 'Outlook.com', 'proton.me']) {
      const refused = await api('PUT', `/workspaces/${other.id}/sso/domain`, { headers: owner.auth, body: { domain: name } });
      expect(refused.status).toBe(422);
      expect(refused.body.error?.code).toBe('SSO.PUBLIC_MAIL_DOMAIN');
    }
    for (const name of ['localhost', 'a..b.com', '-acme.com', 'acme.com.', 'acme com', 'x'.repeat(64) + '.com']) {
      expect((await api('PUT', `/workspaces/${other.id}/sso/domain`, { headers: owner.auth, body: { domain: name } })).status).toBe(422);
    }
    expect((await api('GET', `/workspaces/${other.id}/sso`, { headers: owner.auth })).body.data.email_domain).toBeNull();
  });

  it('is managed by the owner alone; an admin sees it, a member does not', async () => {
    const admin = await register(t, { email: uniqueEmail('admin') });
    const member = await register(t, { email: uniqueEmail('member') });
    await addMembership(t, workspace.id, admin.userId, 'admin');
    await addMembership(t, workspace.id, member.userId, 'member');
    const seen = await api('GET', `/workspaces/${workspace.id}/sso`, { headers: admin.auth });
    expect(seen.status).toBe(200);
    expect(seen.body.data).toMatchObject({ email_domain: domain, issuer_url: idp.issuer, client_id: CLIENT.client_id, client_secret_set: true });
    expect(JSON.stringify(seen.body)).not.toContain(CLIENT.client_secret);
    expect((await api('GET', `/workspaces/${workspace.id}/sso`, { headers: member.auth })).status).toBe(403);
    for (const [method, path, body] of [
      ['PUT', '/sso/domain', { domain: 'elsewhere.test' }],
      ['PUT', '/sso/enforcement', { enforced: true }],
      ['DELETE', '/sso/connection', undefined],
    ] as const) {
      const refused = await api(method, `/workspaces/${workspace.id}${path}`, { headers: admin.auth, body });
      expect(refused.status).toBe(403);
    }
  });
});

describe('the connection', () => {
  it('refuses an issuer that is not https, or that names a private or link-local address, before fetching anything', async () => {
    for (const issuer of ['http://idp.example.com', 'https://10.0.0.8', 'https://169.254.169.254/latest', 'https://[fd00::1]', 'https://192.168.1.1', 'ftp://idp.example.com', 'https://user:pw@idp.example.com', 'not a url']) {
      const refused = await connect(owner, workspace.id, { issuer_url: issuer });
      expect(refused.status, issuer).toBe(422);
      expect(refused.body.error?.code, issuer).toBe('SSO.ISSUER_REFUSED');
    }
    const unreachable = await connect(owner, workspace.id, { issuer_url: `${idp.issuer}/nothing-here` });
    expect(unreachable.body.error?.code).toBe('SSO.DISCOVERY_FAILED');
    // Nothing refused changed the stored connection.
    expect((await api('GET', `/workspaces/${workspace.id}/sso`, { headers: owner.auth })).body.data.issuer_url).toBe(idp.issuer);
  });

  it('keeps the client secret sealed: no table holds it in clear', async () => {
    const tables = await textColumns();
    for (const { table, column } of tables) {
      const rows = await sql<{ value: string }>`select ${sql.ref(column)} as value from ${sql.table(table)} where ${sql.ref(column)} like ${`%${CLIENT.client_secret}%`}`.execute(t.db);
      expect(rows.rows, `${table}.${column}`).toEqual([]);
    }
    const stored = await sql<{ client_secret: string }>`select client_secret from sso_connections where workspace_id = ${workspace.id}`.execute(t.db);
    expect(stored.rows[0]?.client_secret).toMatch(/^sealed:v1:/);
  });

  it('refuses a default role above what the owner could give, and the owner role itself', async () => {
    const owned = await connect(owner, workspace.id, { default_role: 'owner', client_secret: undefined });
    expect(owned.body.error?.code).toBe('SSO.ROLE_INVALID');
    expect((await connect(owner, workspace.id, { default_role: 'no_such_role' })).body.error?.code).toBe('SSO.ROLE_INVALID');
  });
});

describe('signing in', () => {
  it('opens a session like a password sign-in, and makes a member of the workspace just in time', async () => {
    const email = `ann.${Date.now()}@${domain}`;
    const signedIn = await ssoSignIn(email, 'ann');
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.data).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), user: { email, email_verified: true } });
    const auth = { authorization: `Bearer ${signedIn.body.data.access_token}` };
    const me = await api('GET', '/me', { headers: auth });
    expect(me.status).toBe(200);
    const members = await api('GET', '/members', { headers: { ...owner.auth, 'x-workspace-id': String(workspace.id) } });
    expect(members.body.data).toContainEqual(expect.objectContaining({ email, role: 'member' }));
    const refreshed = await api('POST', '/auth/refresh', { body: { refresh_token: signedIn.body.data.refresh_token } });
    expect(refreshed.status).toBe(200);

    // Again: the same account, one membership.
    const again = await ssoSignIn(email, 'ann');
    expect(again.body.data.user.id).toBe(signedIn.body.data.user.id);
    const listed = (await api('GET', '/members', { headers: { ...owner.auth, 'x-workspace-id': String(workspace.id) } })).body.data.filter((m: { email: string }) => m.email === email);
    expect(listed).toHaveLength(1);
  });

  it('uses each state once, and refuses a tampered state, a replayed code, a wrong nonce', async () => {
    const email = `replay.${Date.now()}@${domain}`;
    idp.setAccount('replay', { email, email_verified: true });
    const callback = await throughProvider(email, 'replay');
    expect((await call('GET', callback)).status).toBe(200);
    const replayed = await call('GET', callback);
    expect(replayed.status).toBe(400);
    expect(replayed.body.error?.code).toBe('SSO.STATE_INVALID');

    const tampered = await call('GET', callback.replace(/state=[^&]+/, 'state=forged-state-value'));
    expect(tampered.body.error?.code).toBe('SSO.STATE_INVALID');

    // The old code with a fresh state: the provider refuses a code used once.
    const fresh = new URL(await throughProvider(email, 'replay'), 'http://x');
    const oldCode = new URL(callback, 'http://x').searchParams.get('code') ?? '';
    fresh.searchParams.set('code', oldCode);
    const reused = await call('GET', `${fresh.pathname}${fresh.search}`);
    expect(reused.status).toBe(401);
    expect(reused.body.error?.code).toBe('SSO.PROVIDER_REFUSED');

    const before = await countOf('users');
    idp.setAccount('nonce', { email: `nonce.${Date.now()}@${domain}`, email_verified: true });
    idp.tamperNextNonce();
    const wrongNonce = await call('GET', await throughProvider(`nonce@${domain}`, 'nonce'));
    expect(wrongNonce.status).toBe(401);
    expect(wrongNonce.body.error?.code).toBe('SSO.PROVIDER_REFUSED');
    expect(await countOf('users')).toBe(before);
  });

  it('refuses an unverified address and an address of another domain, creating nothing', async () => {
    const users = await countOf('users');
    const memberships = await countOf('memberships');
    const unverified = await ssoSignIn(`unverified.${Date.now()}@${domain}`, 'unverified', { email_verified: false });
    expect(unverified.status).toBe(403);
    expect(unverified.body.error?.code).toBe('SSO.EMAIL_NOT_VERIFIED');
    const elsewhere = await ssoSignIn(`visitor.${Date.now()}@${domain}`, 'visitor', { email: `visitor@elsewhere-${Date.now()}.test` });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error?.code).toBe('SSO.EMAIL_DOMAIN_MISMATCH');
    expect(await countOf('users')).toBe(users);
    expect(await countOf('memberships')).toBe(memberships);
    expect(await countOf('sso_identities')).toBeGreaterThanOrEqual(0);
  });

  it('links a password account of the proved domain to the provider, proving its address', async () => {
    const email = `bob.${Date.now()}@${domain}`;
    const bob = await register(t, { email });
    expect((await api('GET', '/me', { headers: bob.auth })).body.data.email_verified).toBe(false);
    const signedIn = await ssoSignIn(email, 'bob');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.data.user).toMatchObject({ id: bob.userId, email_verified: true });
  });

  it('counts a just-in-time member against the plan, and gives the configured role', async () => {
    const branch = await createWorkspace(t, owner, 'Small branch');
    const small = `small-${Date.now().toString(36)}.test`;
    await proveDomain(owner, branch.id, small);
    expect((await connect(owner, branch.id, { default_role: 'viewer' })).status).toBe(200);
    const first = await ssoSignIn(`first@${small}`, `first-${small}`);
    expect(first.status).toBe(200);
    const members = await api('GET', '/members', { headers: { ...owner.auth, 'x-workspace-id': String(branch.id) } });
    expect(members.body.data).toContainEqual(expect.objectContaining({ email: `first@${small}`, role: 'viewer' }));

    // The owner and the first: a plan of two users is full.
    await planAdministration.setLimits(t.db, 'business', { users: 2 });
    await planAdministration.assign(t.db, branch.id, { plan_key: 'business' });
    const users = await countOf('users');
    const over = await ssoSignIn(`second@${small}`, `second-${small}`);
    expect(over.status).toBe(402);
    expect(await countOf('users')).toBe(users);
  });
});

describe('enforcement', () => {
  it('refuses password sign-in and sign-up at the domain, ends password sessions at once, and is audited both ways', async () => {
    const branch = await createWorkspace(t, owner, 'Enforcing branch');
    const enforced = `strict-${Date.now().toString(36)}.test`;
    const notReady = await api('PUT', `/workspaces/${branch.id}/sso/enforcement`, { headers: owner.auth, body: { enforced: true } });
    expect(notReady.status).toBe(409);
    expect(notReady.body.error?.code).toBe('SSO.NOT_READY');
    await proveDomain(owner, branch.id, enforced);
    expect((await connect(owner, branch.id)).status).toBe(200);

    const carol = await register(t, { email: `carol@${enforced}` });
    const outsider = await register(t, { email: uniqueEmail('outsider') });
    const ssoUser = await ssoSignIn(`dave@${enforced}`, `dave-${enforced}`);
    const ssoAuth = { authorization: `Bearer ${ssoUser.body.data.access_token}` };

    const on = await api('PUT', `/workspaces/${branch.id}/sso/enforcement`, { headers: owner.auth, body: { enforced: true } });
    expect(on.status).toBe(200);
    expect(on.body.data).toMatchObject({ enforced_at: expect.any(String), sessions_ended: 1 });
    expect((await api('GET', `/workspaces/${branch.id}`, { headers: owner.auth })).body.data.sso_enforced_at).toBe(on.body.data.enforced_at);

    // Carol's password session is dead on its next request, and so is its refresh.
    expect((await api('GET', '/me', { headers: carol.auth })).status).toBe(401);
    expect((await api('POST', '/auth/refresh', { body: { refresh_token: carol.refreshToken } })).status).toBe(401);
    // Sessions opened through single sign-on, and of other domains, go on.
    expect((await api('GET', '/me', { headers: ssoAuth })).status).toBe(200);
    expect((await api('GET', '/me', { headers: outsider.auth })).status).toBe(200);

    const login = await api('POST', '/auth/login', { body: { email: `Carol@${enforced.toUpperCase()}`, password: PASSWORD } });
    expect(login.status).toBe(403);
    expect(login.body.error?.code).toBe('AUTH.SSO_REQUIRED');
    expect(login.body.error?.details.sso_url).toBe(`${t.config.publicUrl}/api/v1/auth/sso/start?tenant=default&domain=${enforced}`);
    const wrongPassword = await api('POST', '/auth/login', { body: { email: `carol@${enforced}`, password: 'not the password at all' } });
    expect(wrongPassword.body.error?.code).toBe('AUTH.SSO_REQUIRED');
    // Other spellings of the same mail domain are the same domain.
    for (const spelling of [`${enforced}.`, enforced.toUpperCase()]) {
      const refused = await api('POST', '/auth/register', { body: { name: 'Spelled', email: `spelled@${spelling}`, password: PASSWORD } });
      expect(refused.body.error?.code, spelling).toBe('AUTH.SSO_REQUIRED');
    }
    const reset = await api('POST', '/auth/password-reset', { body: { email: `carol@${enforced}` } });
    expect(reset.status).toBe(403);
    expect(reset.body.error?.code).toBe('AUTH.SSO_REQUIRED');
    const signUp = await api('POST', '/auth/register', { body: { name: 'Eve', email: `eve@${enforced}`, password: PASSWORD } });
    expect(signUp.status).toBe(403);
    expect(signUp.body.error?.code).toBe('AUTH.SSO_REQUIRED');

    // An invitation to the domain routes to single sign-on too.
    const invited = `frank@${enforced}`;
    const invitation = await succeed(t, { method: 'POST', url: '/api/v1/invitations', headers: { ...owner.auth, 'x-workspace-id': String(workspace.id) }, payload: { email: invited, role: 'member' } }, 201);
    const token = invitation.json().data.token as string;
    const byInvitation = await api('POST', '/auth/register', { body: { name: 'Frank', email: invited, password: PASSWORD, invitation_token: token } });
    expect(byInvitation.body.error?.code).toBe('AUTH.SSO_REQUIRED');
    // Carol signs in through the provider instead: the same account.
    const carolSso = await ssoSignIn(`carol@${enforced}`, `carol-${enforced}`);
    expect(carolSso.body.data.user.id).toBe(carol.userId);

    const off = await api('PUT', `/workspaces/${branch.id}/sso/enforcement`, { headers: owner.auth, body: { enforced: false } });
    expect(off.body.data.enforced_at).toBeNull();
    expect((await api('POST', '/auth/login', { body: { email: `carol@${enforced}`, password: PASSWORD } })).status).toBe(200);

    const audit = await api('GET', `/audit-events?limit=100`, { headers: { ...owner.auth, 'x-workspace-id': String(branch.id) } });
    const actions = (audit.body.data as Array<{ action: string }>).map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['sso.domain_claimed', 'sso.domain_verified', 'sso.connection_saved', 'sso.enforced', 'sso.enforcement_turned_off']));
  });
});

/** Every text column of every table, for the dump check. */
async function textColumns(): Promise<Array<{ table: string; column: string }>> {
  if (t.database.engine === 'postgres') {
    const rows = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns
      where table_schema = 'public' and data_type in ('text', 'character varying')`.execute(t.db);
    return rows.rows.map((row) => ({ table: row.table_name, column: row.column_name }));
  }
  const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(t.db);
  const columns: Array<{ table: string; column: string }> = [];
  for (const { name } of tables.rows) {
    const info = await sql<{ name: string; type: string }>`select name, type from pragma_table_info(${name})`.execute(t.db);
    for (const column of info.rows) if (/text|char/i.test(column.type)) columns.push({ table: name, column: column.name });
  }
  return columns;
}

describe('a new SECRETS_KEY', () => {
  it('seals the client secret and the waiting sign-ins again, and single sign-on goes on under the new key alone', async () => {
    const email = `rotated.${Date.now()}@${domain}`;
    idp.setAccount('rotated', { email, email_verified: true });
    const oldKeys = t.config.secretsKeys ? [...t.config.secretsKeys] : readFileSync(secretsKeyFile(t.config.dataDir), 'utf8').trim().split(',').map(parseSecretsKey);
    const newKey = generateSecretsKey();
    const counts = await resealSecrets(t.db, createSecretBox([parseSecretsKey(newKey), ...oldKeys]));
    expect(counts).toContainEqual(expect.objectContaining({ table: 'sso_connections', column: 'client_secret', unchanged: 0 }));
    expect(counts.find((count) => count.table === 'sso_connections')?.sealed).toBeGreaterThanOrEqual(1);

    const rotated = await startSecondApp(t, { SECRETS_KEY: newKey, DNS_SERVERS: dns.address, SSO_ALLOW_LOOPBACK_ISSUERS: 'true' });
    try {
      const start = await rotated.app.inject({ method: 'GET', url: `/api/v1/auth/sso/start?email=${encodeURIComponent(email)}` });
      expect(start.statusCode, start.body).toBe(302);
      const callback = new URL(await idp.signIn(String(start.headers.location), 'rotated'));
      const signedIn = await rotated.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}` });
      expect(signedIn.statusCode, signedIn.body).toBe(200);
    } finally {
      await rotated.close();
    }
  });
});

describe('a browser app’s sign-in (return_to)', () => {
  /** A start asking to come back to the console, as the console's script makes it. */
  async function startForBrowser(email: string, returnTo = '/console/') {
    const start = await api('GET', `/auth/sso/start?email=${encodeURIComponent(email)}&return_to=${encodeURIComponent(returnTo)}`, {
      headers: { accept: 'application/json' },
    });
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const setCookie = String(start.headers['set-cookie']);
    const binding = /^(tessera_sso_[0-9a-f]+)=([^;]+)/.exec(setCookie);
    expect(binding, setCookie).not.toBeNull();
    expect(setCookie.toLowerCase()).toContain('samesite=lax');
    expect(setCookie.toLowerCase()).toContain('path=/api/v1/auth/sso/callback');
    return { authorizationUrl: String(start.body.data.authorization_url), cookie: `${binding?.[1]}=${binding?.[2]}` };
  }

  it('comes back to the console signed in by the refresh-token cookie, tokens nowhere in an address', async () => {
    const email = `browser.${Date.now().toString(36)}@${domain}`;
    idp.setAccount('browser-sub', { email, email_verified: true, name: 'Browser Person' });
    const { authorizationUrl, cookie } = await startForBrowser(email, '/console/t/default/');
    const callback = new URL(await idp.signIn(authorizationUrl, 'browser-sub'));
    const back = await call('GET', `${callback.pathname}${callback.search}`, { headers: { cookie } });
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe('/console/t/default/');
    const cookies = ([] as string[]).concat(back.headers['set-cookie'] as string | string[]);
    const refresh = cookies.find((entry) => entry.startsWith('tessera_refresh_default='));
    expect(refresh?.toLowerCase()).toContain('httponly');
    expect(cookies.some((entry) => entry.startsWith(cookie.split('=')[0] ?? '-') && entry.includes('Max-Age=0'))).toBe(true);

    // The console's first request: a refresh from that cookie signs the person in.
    const refreshed = await api('POST', '/auth/refresh', {
      headers: { 'x-token-transport': 'cookie', cookie: refresh?.split(';')[0] ?? '' },
      body: {},
    });
    expect(refreshed.status).toBe(200);
    const me = await api('GET', '/me', { headers: { authorization: `Bearer ${refreshed.body.data.access_token}` } });
    expect(me.body.data.email).toBe(email);
  });

  it('signs nobody in on a browser that did not start it: a callback address opened elsewhere is refused', async () => {
    const email = `victim.${Date.now().toString(36)}@${domain}`;
    idp.setAccount('attacker-sub', { email, email_verified: true, name: 'Attacker' });
    const { authorizationUrl } = await startForBrowser(email);
    const callback = new URL(await idp.signIn(authorizationUrl, 'attacker-sub'));
    const sessionsBefore = await countOf('sessions');
    // The victim's browser has no binding cookie (or another sign-in's).
    const refused = await call('GET', `${callback.pathname}${callback.search}`, { headers: { cookie: 'tessera_sso_0000000000000000=forged' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('SSO.STATE_INVALID');
    expect(refused.headers['set-cookie']).toBeUndefined();
    expect(await countOf('sessions')).toBe(sessionsBefore);
  });

  it('returns only to a console path of this server', async () => {
    for (const returnTo of ['https://evil.example/console/', '//evil.example/console', '/api/v1/me', '/console\\@evil', '/consolex', '/console/ x']) {
      const start = await api('GET', `/auth/sso/start?email=${encodeURIComponent(`someone@${domain}`)}&return_to=${encodeURIComponent(returnTo)}`);
      expect(start.status, returnTo).toBe(422);
    }
  });
});
