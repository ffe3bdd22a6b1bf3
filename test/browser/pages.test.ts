import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/engines.ts';
import { api, killAllServers, openDirect, PASSWORD, registerUser, spawnServer, uniqueProcessEmail, type ServerProcess } from '../support/process.ts';

/**
 * The pages Tessera serves, in a real Chromium: the account page of the verification and
 * reset links, and the API reference's "Try it out". Each watches for CSP violations, page
 * errors and requests to any other origin. (An invitation's link opens the console:
 * test/browser/console-invitations.test.ts.)
 */

const CHROMIUM = '/usr/bin/chromium';
const chromiumInstalled = existsSync(CHROMIUM);
if (!chromiumInstalled && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (.ci/run installs it)`);

let database: TestDatabase;
let server: ServerProcess;
let browser: Browser;

beforeAll(async () => {
  if (!chromiumInstalled) return;
  database = await createTestDatabase();
  server = await spawnServer({ ...database.env, PUBLIC_URL: '' });
  await server.waitReady(30_000);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  if (!chromiumInstalled) return;
  await browser.close();
  await killAllServers();
  await database.drop();
});

/** A page that records what should never happen on Tessera's pages. */
async function watchedPage(locale = 'en-US'): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) problems.push(`request to another origin: ${request.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('status of 4')) problems.push(`console error: ${message.text()}`);
  });
  await page.exposeFunction('reportViolation', (text: string) => problems.push(`CSP violation: ${text}`));
  // Browser code as text: the tests are compiled without the DOM's types.
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
  });
  return { page, problems };
}

/** The newest account link of a kind mailed to `email`, exactly as the e-mail carries it. */
async function accountLink(email: string, kind: 'account.verify_email' | 'account.reset_password'): Promise<string> {
  const direct = openDirect(database.env);
  try {
    const message = await direct.db
      .selectFrom('outbox_messages')
      .select('text_body')
      .where('recipient', '=', email)
      .where('kind', '=', kind)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const link = /(http\S+\/account\?\S+)/.exec(message.text_body)?.[1];
    if (!link) throw new Error(`no account link in: ${message.text_body}`);
    return link;
  } finally {
    await direct.close();
  }
}

describe.skipIf(!chromiumInstalled)('the account page the mailed links open', () => {
  it('sets a new password from a reset link, with the token out of the address bar; the old password is dead', { timeout: 60_000 }, async () => {
    const email = uniqueProcessEmail('page.reset');
    await registerUser(server, email);
    expect((await api(server.url, 'POST', '/api/v1/auth/password-reset', { body: { email } })).status).toBe(202);
    const { page, problems } = await watchedPage();
    await page.goto(await accountLink(email, 'account.reset_password'));
    expect(page.url()).not.toContain('reset_');
    const form = page.locator('#reset');
    await form.locator('input[name=password]').fill('a fresh page password');
    await form.locator('input[name=repeat]').fill('a fresh page password');
    await form.locator('button').click();
    await expect.poll(() => page.locator('#status').innerText()).toContain('Your password is changed');
    expect(problems).toEqual([]);
    expect((await api(server.url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } })).status).toBe(401);
    expect((await api(server.url, 'POST', '/api/v1/auth/login', { body: { email, password: 'a fresh page password' } })).status).toBe(200);
  });

  it('confirms an address in Spanish for a Spanish browser, and says so when the link was used', { timeout: 60_000 }, async () => {
    const email = uniqueProcessEmail('page.verify');
    const { accessToken } = await registerUser(server, email);
    const link = await accountLink(email, 'account.verify_email');
    const { page, problems } = await watchedPage('es-DO');
    await page.goto(link);
    await expect.poll(() => page.locator('#status').innerText()).toBe('Tu correo está confirmado. Puedes cerrar esta página.');
    expect((await api(server.url, 'GET', '/api/v1/me', { token: accessToken })).body.data.email_verified).toBe(true);

    const again = await watchedPage('es-DO');
    await again.page.goto(link);
    await expect.poll(() => again.page.locator('#status').innerText()).toContain('Este enlace no es válido');
    expect(await again.page.locator('#status').getAttribute('class')).toBe('error');
    expect([...problems, ...again.problems]).toEqual([]);
  });
});

describe.skipIf(!chromiumInstalled)('the API reference at /docs', () => {
  it('renders every operation and its "Try it out" calls this server with the token given to Authorize', { timeout: 60_000 }, async () => {
    const user = await registerUser(server, uniqueProcessEmail('docs.user'));
    const document = await api(server.url, 'GET', '/openapi.json');
    const operations = Object.values(document.body.paths as Record<string, Record<string, unknown>>).reduce(
      (count, methods) => count + Object.keys(methods).length,
      0,
    );
    const { page, problems } = await watchedPage();
    await page.goto(`${server.url}/docs`);
    // Past 150 rows (tags and operations) Swagger UI virtualizes the list and renders only what
    // is in view: scroll through the page and collect every operation it shows on the way.
    await page.waitForSelector('.opblock', { timeout: 20_000 });
    const shown = new Set<string>();
    for (let step = 0; step < 1000; step += 1) {
      for (const id of await page.locator('.opblock').evaluateAll((blocks) => blocks.map((block) => block.id))) shown.add(id);
      const atBottom = await page.evaluate('window.scrollBy(0, 300), window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 1');
      await page.waitForTimeout(40);
      if (atBottom && step > 0) break;
    }
    for (const id of await page.locator('.opblock').evaluateAll((blocks) => blocks.map((block) => block.id))) shown.add(id);
    expect(shown.size).toBe(operations);
    await page.evaluate('window.scrollTo(0, 0)');

    await page.click('button.authorize');
    const bearer = page.locator('.modal-ux .auth-container').first();
    await bearer.locator('input').fill(user.accessToken);
    await bearer.locator('button.authorize').click();
    await page.click('.modal-ux button.btn-done');

    const me = page.locator('#operations-identity-getMe');
    // Virtualized: it is rendered once scrolled into view.
    for (let step = 0; step < 100 && (await me.count()) === 0; step += 1) {
      await page.evaluate('window.scrollBy(0, 200)');
      await page.waitForTimeout(40);
    }
    await me.locator('.opblock-summary').click();
    await me.locator('.try-out__btn').click();
    await me.locator('.execute').click();
    const status = me.locator('.live-responses-table tbody .response-col_status').first();
    await expect.poll(() => status.innerText(), { timeout: 10_000 }).toBe('200');
    expect(problems).toEqual([]);
  });
});
