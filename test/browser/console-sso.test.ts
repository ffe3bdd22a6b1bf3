import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { startTestIdentityProvider, type TestIdentityProvider } from '../support/oidc-provider.ts';
import { api, PASSWORD, REPO_ROOT, registerUser, uniqueProcessEmail } from '../support/process.ts';

/**
 * Single sign-on from the console, in Chromium, against a real OpenID provider on loopback:
 * the provider's own pages are clicked through and the browser comes back signed in by cookie.
 */

const CLIENT = { client_id: 'tessera-console', client_secret: 'console client secret 7e21' };
const harness = useConsoleHarness({ SSO_ALLOW_LOOPBACK_ISSUERS: 'true' });
let idp: TestIdentityProvider;
let domain: string;

/** The operator proves the domain (no DNS in this test): `tessera sso verify-domain`. */
function proveByOperator(env: Record<string, string>, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/tessera.ts', 'sso', 'verify-domain', '--tenant', 'default', '--domain', name], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`sso verify-domain exited ${code}: ${errors}`))));
  });
}

beforeAll(async () => {
  if (!chromiumInstalled) return;
  const { server, database } = harness();
  idp = await startTestIdentityProvider();
  idp.addClient({ ...CLIENT, redirect_uris: [`${server.url}/api/v1/auth/sso/callback`] });
  const owner = await registerUser(server, uniqueProcessEmail('sso.owner'));
  const workspace = await api(server.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name: 'SSO Console Branch' } });
  const workspaceId = workspace.body.data.id as number;
  domain = `console-${Date.now().toString(36)}.test`;
  expect((await api(server.url, 'PUT', `/api/v1/workspaces/${workspaceId}/sso/domain`, { token: owner.accessToken, body: { domain } })).status).toBe(200);
  await proveByOperator(database.env, domain);
  const connected = await api(server.url, 'PUT', `/api/v1/workspaces/${workspaceId}/sso/connection`, {
    token: owner.accessToken,
    body: { issuer_url: idp.issuer, ...CLIENT },
  });
  expect(connected.status, JSON.stringify(connected.body)).toBe(200);
  expect((await api(server.url, 'PUT', `/api/v1/workspaces/${workspaceId}/sso/enforcement`, { token: owner.accessToken, body: { enforced: true } })).status).toBe(200);
}, 90_000);

afterAll(async () => idp?.close());

describe.skipIf(!chromiumInstalled)('single sign-on in the console', () => {
  it('refuses the password at an enforced domain and signs in through the provider instead, back in the console by cookie', { timeout: 120_000 }, async () => {
    const { consoleUrl, open } = harness();
    const email = `pat@${domain}`;
    idp.setAccount('pat', { email, email_verified: true, name: 'Pat Provider' });
    const { page, context, problems } = await open({ alsoAllow: [idp.issuer] });
    await page.goto(consoleUrl('/sign-in'));
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('AUTH.SSO_REQUIRED');

    await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
    // The provider's own pages: sign in as `pat`, then consent.
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    for (let step = 0; step < 3 && page.url().startsWith(idp.issuer); step += 1) {
      await page.locator('input[name=sub]').fill('pat');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForLoadState();
    }
    await page.waitForURL(/\/console\/w\/\d+\/members$/);
    await expect.poll(() => page.getByRole('cell', { name: 'Pat Provider (you)' }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);
    // Signed in by the cookie alone: no token ever rode in an address.
    expect((await context.cookies()).filter((cookie) => cookie.name.startsWith('tessera_refresh_')).map((cookie) => cookie.httpOnly)).toEqual([true]);
    expect(page.url()).not.toMatch(/code=|state=|token/);
    await page.reload();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Members');
    expect(problems).toEqual([]);
  });

  it('shows the API’s refusal for an address no workspace signs in, and stays on the sign-in screen', { timeout: 120_000 }, async () => {
    const { consoleUrl, open } = harness();
    const { page, problems } = await open();
    await page.goto(consoleUrl('/sign-in'));
    await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Give your work e-mail first.');
    await page.getByLabel('E-mail').fill('someone@unconfigured.example');
    await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('SSO.NOT_CONFIGURED');
    expect(page.url()).toMatch(/\/console\/sign-in$/);
    expect(problems).toEqual([]);
  });
});
