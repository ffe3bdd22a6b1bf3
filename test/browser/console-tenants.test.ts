import { spawn } from 'node:child_process';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { api, PASSWORD, REPO_ROOT } from '../support/process.ts';

/**
 * The console for every tenant of an install: named in its address (`/console/t/<slug>`, sent
 * as `X-Tenant`) or by the host's subdomain (`TENANT_BASE_DOMAIN`); and the headers that keep
 * its pages to themselves.
 */

const BASE_DOMAIN = 'tessera.test';
// Chromium resolves every name under the base domain to this machine.
const harness = useConsoleHarness({ TENANT_BASE_DOMAIN: BASE_DOMAIN }, [`--host-resolver-rules=MAP *.${BASE_DOMAIN} 127.0.0.1`]);

/** The operator CLI, as the README runs it, against the harness's database. */
function tessera(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/tessera.ts', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', TESSERA_PASSWORD: PASSWORD, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`tessera ${args.join(' ')} exited ${code}: ${output}`))));
  });
}

async function tenantWithOwner(slug: string): Promise<string> {
  const { database } = harness();
  const email = `boss@${slug}.test`;
  await tessera(['tenant', 'create', slug, '--name', `${slug} Inc`], database.env);
  await tessera(['user', 'create-admin', '--tenant', slug, '--email', email, '--name', `${slug} Boss`], database.env);
  return email;
}

async function signIn(page: Page, url: string, email: string) {
  await page.goto(url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe.skipIf(!chromiumInstalled)('the console for each tenant', () => {
  it('works for a tenant named in its address: every request says X-Tenant, the cookie is that tenant’s', { timeout: 120_000 }, async () => {
    const { consoleUrl, open } = harness();
    const email = await tenantWithOwner('acme');
    const { page, context, problems } = await open();
    const tenantsSent = new Set<string>();
    page.on('request', (request) => request.url().includes('/api/') && tenantsSent.add(request.headers()['x-tenant'] ?? 'none'));

    await signIn(page, consoleUrl('/sign-in', 'acme'), email);
    await page.waitForURL(/\/console\/t\/acme\/workspaces$/);
    await page.getByLabel('Name').fill('Acme Warehouse');
    await page.getByRole('button', { name: 'Create a workspace' }).click();
    await page.waitForURL(/\/console\/t\/acme\/w\/\d+\/members$/);
    await expect.poll(() => page.getByRole('cell', { name: 'acme Boss (you)' }).count()).toBe(1);
    // Links keep the tenant in the address.
    expect(await page.getByRole('link', { name: 'Workspaces' }).getAttribute('href')).toBe('/console/t/acme/workspaces');
    await page.reload();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Members');

    expect([...tenantsSent]).toEqual(['acme']);
    expect((await context.cookies()).map((cookie) => cookie.name)).toEqual(['tessera_refresh_acme']);

    // The same address at the default tenant knows no such user.
    const other = await open();
    await signIn(other.page, consoleUrl('/sign-in'), email);
    await expect.poll(() => other.page.getByRole('alert').textContent()).toContain('The email or password is incorrect.');
    expect([...problems, ...other.problems]).toEqual([]);
  });

  it('works for a tenant named by the host’s subdomain, with no X-Tenant at all', { timeout: 120_000 }, async () => {
    const { server, open } = harness();
    const email = await tenantWithOwner('globex');
    const { page, problems } = await open();
    const tenantHeaders = new Set<string>();
    page.on('request', (request) => request.url().includes('/api/') && tenantHeaders.add(request.headers()['x-tenant'] ?? 'none'));
    const root = `http://globex.${BASE_DOMAIN}:${server.port}/console`;

    await signIn(page, `${root}/sign-in`, email);
    await page.waitForURL(`${root}/workspaces`);
    await page.getByLabel('Name').fill('Globex Plant');
    await page.getByRole('button', { name: 'Create a workspace' }).click();
    await page.waitForURL(new RegExp(`^${root.replaceAll('.', '\\.')}/w/\\d+/members$`));
    await expect.poll(() => page.getByRole('cell', { name: 'globex Boss (you)' }).count()).toBe(1);
    expect([...tenantHeaders]).toEqual(['none']);

    // The workspace is globex's: the API, asked for globex by header, shows it.
    const login = await api(server.url, 'POST', '/api/v1/auth/login', { headers: { 'x-tenant': 'globex' }, body: { email, password: PASSWORD } });
    const workspaces = await api(server.url, 'GET', '/api/v1/workspaces', { token: login.body.data.access_token, headers: { 'x-tenant': 'globex' } });
    expect(workspaces.body.data.map((workspace: { name: string }) => workspace.name)).toEqual(['Globex Plant']);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('the console’s pages and files', () => {
  it('answer every console address with the one page, under a strict CSP and headers that keep it unframed and unsniffed', async () => {
    if (!chromiumInstalled) return;
    const { server } = harness();
    for (const path of ['/console', '/console/', '/console/w/1/members', '/console/t/acme/invitations/accept', '/console/assets/console.js', '/console/assets/console.css']) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      expect(csp, path).toContain("style-src 'self'");
      expect(csp, path).toContain("connect-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("form-action 'none'");
      expect(csp, path).not.toContain('unsafe');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(response.headers.get('cross-origin-resource-policy'), path).toBe('same-origin');
      // An http origin (this test's): browsers would ignore an opener policy, so none is sent.
      expect(response.headers.get('cross-origin-opener-policy'), path).toBeNull();
      const body = await response.text();
      if (path.endsWith('.js')) expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
      else if (path.endsWith('.css')) expect(response.headers.get('content-type')).toMatch(/^text\/css/);
      else {
        // The page names only this server's own files: no inline script or style, no CDN.
        expect(body).not.toMatch(/<script>|<style|style=|https?:\/\//);
        expect(body).toContain('<script type="module" src="/console/assets/console.js">');
      }
    }
    // The bundle holds no source map pointing anywhere and no eval.
    const script = await (await fetch(`${server.url}/console/assets/console.js`)).text();
    expect(script).not.toMatch(/sourceMappingURL|\beval\(|new Function\(/);
  });
});
