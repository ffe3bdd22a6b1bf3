import { describe, expect, it } from 'vitest';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { api, PASSWORD } from '../support/process.ts';

/**
 * The console's session in Chromium: registration and sign-in through its forms, the refresh
 * token where no script can read it, a reload and a second tab signed in from that cookie,
 * sign-out, and two tabs working in two workspaces at once.
 */

const harness = useConsoleHarness();

describe.skipIf(!chromiumInstalled)('the console session', () => {
  it('registers, creates a workspace, survives a reload from its HttpOnly cookie, and signs out for good', { timeout: 90_000 }, async () => {
    const { consoleUrl, server, open, registerThroughConsole } = harness();
    const { page, context, problems } = await open();
    await page.goto(consoleUrl('/register'));
    expect(await accessibilityViolations(page)).toEqual([]);
    const email = await registerThroughConsole(page, 'Ana Owner');
    await expect.poll(() => page.url()).toMatch(/\/console\/workspaces$/);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByLabel('Name').fill('Console Main Branch');
    await page.getByRole('button', { name: 'Create a workspace' }).click();
    await page.waitForURL(/\/console\/w\/\d+\/members$/);
    await expect.poll(() => page.getByRole('cell', { name: 'Ana Owner (you)' }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    // The refresh token: a cookie no script can read, sent only to the token routes, never cross-site.
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'tessera_refresh_default', httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
    expect(await page.evaluate('document.cookie')).toBe('');
    const stored = await page.evaluate<string>('JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])');
    expect(stored).not.toMatch(/eyJ|rt_|refresh/i);

    await page.reload();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Members');
    expect(page.url()).toMatch(/\/console\/w\/\d+\/members$/);

    const refreshToken = (await context.cookies())[0]?.value ?? '';
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/sign-in$/);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(await context.cookies()).toEqual([]);
    // The session is over at the server, not only forgotten by the browser.
    expect((await api(server.url, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: refreshToken } })).status).toBe(401);
    await page.reload();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign in');

    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('The email or password is incorrect.');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/w\/\d+\/members$/);
    expect(problems).toEqual([]);
  });

  it('keeps each tab in its own workspace: every request of a tab names the workspace its address shows', { timeout: 90_000 }, async () => {
    const { consoleUrl, open, registerThroughConsole } = harness();
    const first = await open();
    await registerThroughConsole(first.page, 'Two Tabs');
    const createWorkspace = async (name: string) => {
      await first.page.goto(consoleUrl('/workspaces'));
      await first.page.getByLabel('Name').fill(name);
      await first.page.getByRole('button', { name: 'Create a workspace' }).click();
      await first.page.waitForURL(/\/console\/w\/\d+\/members$/);
      return Number(/\/w\/(\d+)\//.exec(first.page.url())?.[1]);
    };
    const north = await createWorkspace('North Tab Branch');
    const south = await createWorkspace('South Tab Branch');

    // A second tab of the same browser: signed in by the shared cookie, in another workspace.
    const second = await open({ context: first.context });
    await first.page.goto(consoleUrl(`/w/${north}/members`));
    await second.page.goto(consoleUrl(`/w/${south}/members`));
    await expect.poll(() => first.page.locator('#workspace-switcher').inputValue()).toBe(String(north));
    await expect.poll(() => second.page.locator('#workspace-switcher').inputValue()).toBe(String(south));
    const sent = { first: new Set<string>(), second: new Set<string>() };
    first.page.on('request', (request) => request.url().includes('/api/v1/members') && sent.first.add(request.headers()['x-workspace-id'] ?? 'none'));
    second.page.on('request', (request) => request.url().includes('/api/v1/members') && sent.second.add(request.headers()['x-workspace-id'] ?? 'none'));
    await first.page.reload();
    await second.page.reload();
    await expect.poll(() => first.page.getByRole('cell', { name: 'Two Tabs (you)' }).count()).toBe(1);
    await expect.poll(() => second.page.getByRole('cell', { name: 'Two Tabs (you)' }).count()).toBe(1);
    expect([...sent.first]).toEqual([String(north)]);
    expect([...sent.second]).toEqual([String(south)]);

    // Switching in one tab moves that tab only.
    await second.page.locator('#workspace-switcher').selectOption(String(north));
    await second.page.waitForURL(new RegExp(`/w/${north}/members$`));
    await first.page.locator('#workspace-switcher').selectOption(String(south));
    await first.page.waitForURL(new RegExp(`/w/${south}/members$`));
    await second.page.reload();
    await expect.poll(() => second.page.locator('#workspace-switcher').inputValue()).toBe(String(north));
    expect([...first.problems, ...second.problems]).toEqual([]);
  });

  it('speaks Spanish when chosen, the API’s messages included, and a phone-width screen keeps every control reachable', { timeout: 90_000 }, async () => {
    const { consoleUrl, open } = harness();
    const { page, problems } = await open({ viewport: { width: 375, height: 740 } });
    await page.goto(consoleUrl('/sign-in'));
    await page.getByLabel('Language').selectOption('es');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Iniciar sesión');
    expect(await page.evaluate('document.documentElement.lang')).toBe('es');
    await page.getByLabel('Correo').fill('nobody@example.com');
    await page.getByLabel('Contraseña').fill('whatever it is');
    await page.getByRole('button', { name: 'Iniciar sesión' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('El correo o la contraseña son incorrectos.');
    expect(await page.getByRole('alert').textContent()).toContain('Código de error: AUTH.INVALID_CREDENTIALS');
    // Nothing wider than the phone: no sideways scrolling.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
