import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { api, PASSWORD, uniqueProcessEmail } from '../support/process.ts';

/**
 * The tenant's administration and the audit logs in Chromium: the tenant's first user is its
 * owner, sees the tenant's users, makes a second user an admin, closes self sign-up (the
 * console's registration then shows the API's refusal), and finds each change in the tenant's
 * log through its filter form, the filter kept in the address across a reload. A workspace's
 * log filters the same way; a plain member sees neither the entries nor the data.
 */

const harness = useConsoleHarness();

/** The tenant's users, by name, made through the API where the test is not about that step. */
async function registerNamed(baseUrl: string, name: string) {
  const email = uniqueProcessEmail('tenant');
  const response = await api(baseUrl, 'POST', '/api/v1/auth/register', { body: { name, email, password: PASSWORD } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return { email, userId: response.body.data.user.id as number, token: response.body.data.access_token as string };
}

async function signInAs(baseUrl: string, email: string): Promise<string> {
  const response = await api(baseUrl, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.data.access_token as string;
}

async function signInThroughConsole(page: Page, url: string, email: string) {
  await page.goto(url);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const navigation = (page: Page) => page.getByRole('navigation', { name: 'Main navigation' });
/** The rows of the screen's table, as their text. */
const rows = (page: Page) => page.locator('main table tbody tr').allTextContents();

describe.skipIf(!chromiumInstalled)('the console for tenant owners and admins', () => {
  it('lets the first user, the owner, promote a user, close self sign-up, and find both in the filtered tenant log', { timeout: 120_000 }, async () => {
    const { open, consoleUrl, registerThroughConsole, server } = harness();
    const { page, problems } = await open();
    const ownerEmail = await registerThroughConsole(page, 'Tessa Owner');
    const second = await registerNamed(server.url, 'Sam Second');

    // The owner's navigation holds the tenant's screens.
    await navigation(page).getByRole('link', { name: 'Tenant users' }).click();
    await page.waitForURL(/\/console\/tenant\/users$/);
    expect(await navigation(page).getByRole('link', { name: 'Tenant users' }).getAttribute('aria-current')).toBe('page');
    expect(await navigation(page).getByRole('link', { name: 'Workspaces' }).getAttribute('aria-current')).toBeNull();
    await expect.poll(() => page.getByRole('cell', { name: 'Tessa Owner (you)' }).count()).toBe(1);
    await expect.poll(() => page.getByRole('cell', { name: second.email }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByLabel('Tenant role of Sam Second').selectOption('admin');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Sam Second is now Admin.' }).count()).toBe(1);
    // Verified through the API: Sam's own account says so, and Sam now reads the tenant's users.
    const samToken = await signInAs(server.url, second.email);
    expect((await api(server.url, 'GET', '/api/v1/me', { token: samToken })).body.data.tenant_role).toBe('admin');
    expect((await api(server.url, 'GET', '/api/v1/tenant/users', { token: samToken })).status).toBe(200);

    await navigation(page).getByRole('link', { name: 'Tenant roles' }).click();
    await page.waitForURL(/\/console\/tenant\/roles$/);
    const manageRow = page.getByRole('row').filter({ hasText: 'tenant_users:manage' });
    await expect.poll(() => manageRow.getByRole('cell').allTextContents()).toEqual(['✓Granted', '—Not granted', '—Not granted']);
    expect(await page.getByText('Your tenant role: Owner.').count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    await navigation(page).getByRole('link', { name: 'Tenant settings' }).click();
    await page.waitForURL(/\/console\/tenant\/settings$/);
    const selfSignup = page.getByLabel('Anyone may create an account (self sign-up)');
    await expect.poll(() => selfSignup.isChecked()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await selfSignup.uncheck();
    await page.getByRole('region', { name: 'General' }).getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Tenant settings saved.' }).count()).toBe(1);
    const ownerToken = await signInAs(server.url, ownerEmail);
    expect((await api(server.url, 'GET', '/api/v1/tenant', { token: ownerToken })).body.data.self_signup).toBe(false);

    try {
      // Someone new, in another browser: the console's registration shows the API's refusal.
      const stranger = await open();
      await stranger.page.goto(consoleUrl('/register'));
      await stranger.page.getByLabel('Name').fill('Late Comer');
      await stranger.page.getByLabel('E-mail').fill(uniqueProcessEmail('late'));
      await stranger.page.getByLabel('Password').fill(PASSWORD);
      await stranger.page.getByRole('button', { name: 'Create an account' }).click();
      await expect.poll(() => stranger.page.getByRole('alert').textContent()).toContain('Self sign-up is disabled for this tenant.');
      expect(await stranger.page.getByRole('alert').textContent()).toContain('Error code: AUTH.SIGNUP_DISABLED');
      expect(stranger.problems).toEqual([]);

      // The tenant's log, filtered from its form: the filter is in the address, and stays across a reload.
      await navigation(page).getByRole('link', { name: 'Tenant audit log' }).click();
      await page.waitForURL(/\/console\/tenant\/audit$/);
      await expect.poll(async () => (await rows(page)).length).toBeGreaterThan(1);
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.getByLabel('Action').fill('tenant.user_role_changed');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/\/console\/tenant\/audit\?action=tenant\.user_role_changed$/);
      const onlyPromotion = async () => {
        await expect.poll(() => rows(page)).toHaveLength(1);
        const [row] = await rows(page);
        expect(row).toContain('Tessa Owner');
        expect(row).toContain('tenant.user_role_changed');
        expect(row).toContain('Sam Second');
        expect(row).toMatch(/from:member.*to:admin/);
      };
      await onlyPromotion();
      await page.reload();
      await expect.poll(() => page.getByLabel('Action').inputValue()).toBe('tenant.user_role_changed');
      await onlyPromotion();
      expect(await page.getByRole('status').filter({ hasText: 'One filter applied.' }).count()).toBe(1);

      // An area and a person together: the settings change, by the owner.
      await page.getByLabel('Action').fill('Tenant settings');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Error code: VALIDATION.FAILED');
      await page.getByLabel('Action').fill('tenant.');
      await page.getByLabel('Done by (e-mail)').fill(ownerEmail);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL((url) => url.searchParams.get('action') === 'tenant.' && url.searchParams.get('actor') === ownerEmail);
      await expect.poll(() => rows(page)).toHaveLength(2);
      const [settingsRow] = await rows(page);
      expect(settingsRow).toContain('tenant.settings_updated');
      expect(settingsRow).toContain('self_signup:false');
      expect(await accessibilityViolations(page)).toEqual([]);

      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.waitForURL(/\/console\/tenant\/audit$/);
      await expect.poll(() => page.getByLabel('Action').inputValue()).toBe('');

      // In Spanish, the log and the API's events alike.
      await page.getByLabel('Language').selectOption('es');
      await expect.poll(() => heading(page)).toBe('Registro de auditoría del inquilino');
      await page.getByLabel('Acción').fill('tenant.user_role_changed');
      await page.getByRole('button', { name: 'Aplicar filtros' }).click();
      await expect.poll(() => rows(page)).toHaveLength(1);
      expect(await page.getByRole('columnheader').allTextContents()).toEqual(['Fecha', 'Hecho por', 'Acción', 'Sobre', 'Detalles']);
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.getByLabel('Idioma').selectOption('en');
    } finally {
      // The next test registers people.
      expect((await api(server.url, 'PATCH', '/api/v1/tenant', { token: ownerToken, body: { self_signup: true } })).status).toBe(200);
    }
    expect(problems).toEqual([]);
  });

  it('keeps the tenant from a plain member: no entries in the navigation, and the API’s 403 at each address', { timeout: 120_000 }, async () => {
    const { open, consoleUrl, server } = harness();
    // Whoever registers first in the tenant is its owner; the member comes after.
    await registerNamed(server.url, 'Earlier Person');
    const member = await registerNamed(server.url, 'Pat Plain');
    const { page, problems } = await open();
    await signInThroughConsole(page, consoleUrl('/sign-in'), member.email);
    await page.waitForURL(/\/console\/workspaces$/);
    await expect.poll(() => navigation(page).getByRole('link').allTextContents()).toEqual(['Workspaces']);

    for (const [screen, title] of [
      ['users', 'Tenant users'],
      ['roles', 'Tenant roles'],
      ['settings', 'Tenant settings'],
      ['audit', 'Tenant audit log'],
    ] as const) {
      await page.goto(consoleUrl(`/tenant/${screen}`));
      await expect.poll(() => heading(page)).toBe(title);
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('Error code: AUTH.FORBIDDEN');
      expect(await page.locator('main table').count()).toBe(0);
      expect(await page.locator('main form:not([role=search])').count()).toBe(0);
      expect(await page.getByText('Earlier Person').count()).toBe(0);
      expect(await accessibilityViolations(page)).toEqual([]);
    }
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!chromiumInstalled)('the console’s workspace audit log', () => {
  it('lists who did what in the workspace, filters by person and action in the address, fits a phone, and stays hidden from those without audit:view', { timeout: 120_000 }, async () => {
    const { open, consoleUrl, server } = harness();
    await registerNamed(server.url, 'Someone Before');
    const owner = await registerNamed(server.url, 'Wanda Workspace');
    const viewer = await registerNamed(server.url, 'Vic Viewer');
    const created = await api(server.url, 'POST', '/api/v1/workspaces', { token: owner.token, body: { name: 'Audit Log Branch' } });
    expect(created.status).toBe(201);
    const workspaceId = created.body.data.id as number;
    const inWorkspace = { 'x-workspace-id': String(workspaceId) };
    const invited = await api(server.url, 'POST', '/api/v1/invitations', { token: owner.token, headers: inWorkspace, body: { email: viewer.email, role: 'member' } });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    expect((await api(server.url, 'POST', '/api/v1/invitations/accept', { token: viewer.token, body: { token: invited.body.data.token } })).status).toBe(200);
    expect((await api(server.url, 'PUT', `/api/v1/members/${viewer.userId}`, { token: owner.token, headers: inWorkspace, body: { role: 'viewer' } })).status).toBe(200);

    const { page, problems } = await open({ viewport: { width: 375, height: 740 } });
    await signInThroughConsole(page, consoleUrl('/sign-in'), owner.email);
    await page.waitForURL(new RegExp(`/console/w/${workspaceId}/members$`));
    await navigation(page).getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(new RegExp(`/console/w/${workspaceId}/audit$`));
    await expect.poll(() => heading(page)).toBe('Audit log');
    await expect.poll(async () => (await rows(page)).length).toBeGreaterThanOrEqual(3);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByLabel('Action').fill('member.');
    await page.getByLabel('Done by (e-mail)').fill(owner.email.toUpperCase());
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'member.');
    const roleChangeOnly = async () => {
      await expect.poll(() => rows(page)).toHaveLength(1);
      const [row] = await rows(page);
      expect(row).toContain('member.role_changed');
      expect(row).toContain('Vic Viewer');
      expect(row).toMatch(/from:member.*to:viewer/);
    };
    await roleChangeOnly();
    await page.reload();
    await roleChangeOnly();
    await expect.poll(() => page.getByLabel('Done by (e-mail)').inputValue()).toBe(owner.email.toUpperCase());
    // A day range: nothing happened tomorrow.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('From (day)').fill(tomorrow);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'Nothing here yet.' }).count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('from')).toBe(tomorrow);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);

    // The viewer: no audit:view, so no entry; the address typed shows the API's refusal.
    const other = await open();
    await signInThroughConsole(other.page, consoleUrl(`/sign-in?return=/w/${workspaceId}/members`), viewer.email);
    await other.page.waitForURL(new RegExp(`/console/w/${workspaceId}/members$`));
    await expect.poll(() => navigation(other.page).getByRole('link', { name: 'Members' }).count()).toBe(1);
    expect(await navigation(other.page).getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    expect(await navigation(other.page).getByRole('link', { name: 'Tenant users' }).count()).toBe(0);
    await other.page.goto(consoleUrl(`/w/${workspaceId}/audit?action=member.`));
    await expect.poll(() => other.page.getByRole('alert').textContent()).toContain('Error code: AUTH.FORBIDDEN');
    expect(await other.page.locator('main table').count()).toBe(0);
    expect(await accessibilityViolations(other.page)).toEqual([]);
    expect(other.problems).toEqual([]);
  });
});
