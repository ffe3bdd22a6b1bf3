import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createTestDatabase, type TestDatabase } from './engines.ts';
import { killAllServers, PASSWORD, REPO_ROOT, spawnServer, uniqueProcessEmail, type ServerProcess } from './process.ts';

/**
 * The console in a real Chromium against a real server: every page records CSP violations,
 * page errors and requests to any other origin; a failing test keeps a screenshot of each
 * open page under test-artifacts/console/.
 */

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumInstalled = existsSync(CHROMIUM);
if (!chromiumInstalled && process.env.CI) throw new Error(`CI needs Chromium at ${CHROMIUM} (.ci/run installs it)`);

const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'console');

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** What must never happen on the console: CSP violations, page errors, other origins, console errors but the API's 4xx answers. */
  problems: string[];
}

export interface ConsoleHarness {
  server: ServerProcess;
  database: TestDatabase;
  browser: Browser;
  /** The console's address (`/console`, or `/console/t/<slug>` for a tenant named in the path). */
  consoleUrl: (pathInConsole?: string, tenant?: string) => string;
  /** A new browser (its own cookies), or a new tab of the given one. */
  open: (options?: {
    locale?: string;
    context?: BrowserContext;
    viewport?: { width: number; height: number };
    /** Other origins the test sends the browser to on purpose (an identity provider). */
    alsoAllow?: readonly string[];
  }) => Promise<ConsolePage>;
  /** Registers through the console's own form and lands signed in; returns the address used. */
  registerThroughConsole: (page: Page, name?: string, tenant?: string) => Promise<string>;
  close: () => Promise<void>;
}

/**
 * Starts a server and a browser for the test file (at its top level): returns the harness
 * getter. Each test's browsers are closed after it; a failing test keeps their screenshots.
 */
export function useConsoleHarness(env: Record<string, string> = {}, launchArgs: string[] = []): () => ConsoleHarness {
  let harness: (ConsoleHarness & { pages: Page[] }) | undefined;
  beforeAll(async () => {
    if (chromiumInstalled) harness = await startConsoleHarness(env, launchArgs);
  }, 90_000);
  afterAll(async () => harness?.close());
  beforeEach((context) => {
    context.onTestFailed(async () => {
      if (!harness) return;
      mkdirSync(ARTIFACTS, { recursive: true });
      const name = `${path.basename(context.task.file.name, '.test.ts')}-${context.task.name}`.replace(/[^a-z0-9]+/gi, '-').slice(0, 100);
      for (const [index, page] of harness.pages.entries()) {
        if (!page.isClosed()) await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${index}.png`), fullPage: true }).catch(() => undefined);
      }
    });
  });
  // The last test's browsers close when the next test starts (or the file ends), not after it:
  // a failing test's screenshots are taken after its afterEach hooks have run.
  const closePages = async () => {
    if (!harness) return;
    const contexts = new Set(harness.pages.map((page) => page.context()));
    harness.pages.length = 0;
    await Promise.all([...contexts].map((context) => context.close().catch(() => undefined)));
  };
  beforeEach(closePages);
  return () => {
    if (!harness) throw new Error('the console harness is not running (is Chromium installed?)');
    return harness;
  };
}

async function startConsoleHarness(env: Record<string, string>, launchArgs: string[]): Promise<ConsoleHarness & { pages: Page[] }> {
  const database = await createTestDatabase();
  // The issuer is the server's own address, as for a single instance started from the README.
  const server = await spawnServer({ ...database.env, PUBLIC_URL: '', ...env });
  await server.waitReady(60_000);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...launchArgs],
  });
  const pages: Page[] = [];

  const consoleUrl = (pathInConsole = '', tenant?: string) => `${server.url}/console${tenant ? `/t/${tenant}` : ''}${pathInConsole}`;

  return {
    server,
    database,
    browser,
    pages,
    consoleUrl,
    open: async (options = {}) => {
      const context = options.context ?? (await browser.newContext({ locale: options.locale ?? 'en-US', ...(options.viewport && { viewport: options.viewport }) }));
      const page = await context.newPage();
      pages.push(page);
      const problems: string[] = [];
      const origin = new URL(server.url).origin;
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('request', (request) => {
        const url = request.url();
        if (url.startsWith('data:') || new URL(url).port === new URL(origin).port) return;
        if (!(options.alsoAllow ?? []).some((allowed) => url.startsWith(allowed))) problems.push(`request to another origin: ${url}`);
      });
      page.on('console', (message) => {
        if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(`console error: ${message.text()}`);
      });
      await page.exposeFunction('reportViolation', (text: string) => problems.push(`CSP violation: ${text}`));
      // Browser code as text: the tests are compiled without the DOM's types.
      await page.addInitScript({
        content: "document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI));",
      });
      return { page, context, problems };
    },
    registerThroughConsole: async (page, name = 'Console User', tenant) => {
      const email = uniqueProcessEmail('console');
      await page.goto(consoleUrl('/register', tenant));
      await page.getByLabel(/^(Name|Nombre)$/).fill(name);
      await page.getByLabel(/^(E-mail|Correo)$/).fill(email);
      await page.getByLabel(/^(Password|Contraseña)$/).fill(PASSWORD);
      await page.getByRole('button', { name: /Create an account|Crear una cuenta/ }).click();
      await page.waitForURL(/\/console\/(t\/[^/]+\/)?(workspaces|w\/\d+\/)/);
      return email;
    },
    close: async () => {
      await browser.close();
      await killAllServers();
      await database.drop();
    },
  };
}

/**
 * axe-core run in the page (evaluated through the DevTools protocol, which the page's CSP
 * does not govern): the serious and critical violations, each with the elements it names.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const violations = await page.evaluate<Array<{ id: string; impact: string | null; help: string; targets: string[] }>>(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) })))",
  );
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.targets.slice(0, 3).join(', ')})`);
}
