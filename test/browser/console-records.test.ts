import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { api, openDirect, PASSWORD, registerUser, uniqueProcessEmail } from '../support/process.ts';

/**
 * The records screens in Chromium against a real server: items (created through the console's
 * form, found, changed, archived; a duplicate SKU and the plan's limit shown as the API names
 * them), stock (a transfer through the form, checked at the API; one past the stock refused
 * with nothing changed; an adjustment and a receipt; an item's ledger), and invoices (a draft
 * with a new customer, issued to its number, voided). Money and quantities are compared as the
 * API's strings.
 */

const harness = useConsoleHarness();

/** Polls for longer than vitest's second: several browsers share two cores. */
const eventually = <T>(read: () => T | Promise<T>, message?: string) => expect.poll(read, { timeout: 15_000, ...(message !== undefined && { message }) });

interface Owner {
  page: Page;
  problems: string[];
  ws: number;
  /** The API as the same owner, in the test's workspace. */
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
}

/** An owner registered through the console, with a workspace made through the API (not what these tests are about). */
async function ownerWithWorkspace(name: string, options: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<Owner & { email: string }> {
  const { open, registerThroughConsole, server } = harness();
  const { page, problems } = await open(options);
  const email = await registerThroughConsole(page, 'Rita Records');
  const login = await api(server.url, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  const token: string = login.body.data.access_token;
  const created = await api(server.url, 'POST', '/api/v1/workspaces', { token, body: { name } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const ws: number = created.body.data.id;
  const call = (method: string, path: string, body?: unknown) =>
    api(server.url, method, path, { token, headers: { 'X-Workspace-ID': String(ws) }, ...(body === undefined ? {} : { body }) });
  return { page, problems, ws, call, email };
}

async function created(owner: Owner, path: string, body: unknown) {
  const response = await owner.call('POST', path, body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.data;
}

/** Levels of an item by location id, as the API answers them. */
async function levelsOf(owner: Owner, itemId: number): Promise<Record<number, string>> {
  const { body } = await owner.call('GET', `/api/v1/stock?item_id=${itemId}`);
  return Object.fromEntries((body.data as { location_id: number; quantity: string }[]).map((level) => [level.location_id, level.quantity]));
}

async function heading(page: Page) {
  return page.getByRole('heading', { level: 1 }).textContent();
}

/** A success notice (role status) with exactly this text appears in the scope. */
async function said(scope: Page | Locator, notice: string) {
  await eventually(() => scope.getByRole('status').filter({ hasText: notice }).count()).toBe(1);
}

/** An item chosen in a picker: searched by its SKU, then picked from the select below the search. */
async function pickItem(scope: Page | Locator, sku: string, label = 'Item') {
  await scope.getByLabel(/^(Find an item|Buscar un artículo)/).fill(sku);
  const select = scope.getByLabel(label, { exact: true });
  await eventually(() => select.locator('option', { hasText: sku }).count()).toBe(1);
  const value = await select.locator('option', { hasText: sku }).getAttribute('value');
  await select.selectOption(value ?? '');
}

describe.skipIf(!chromiumInstalled)('the console’s records screens', () => {
  it('items: made through the form, found, changed and archived; a duplicate SKU and the plan limit shown as the API names them', { timeout: 120_000 }, async () => {
    const { consoleUrl, database } = harness();
    const owner = await ownerWithWorkspace('Records Items Branch');
    const { page } = owner;
    await page.goto(consoleUrl(`/w/${owner.ws}/items`));
    await eventually(() => heading(page)).toBe('Items');
    expect(await accessibilityViolations(page)).toEqual([]);

    const create = page.getByRole('button', { name: 'Create an item' });
    await page.getByLabel('SKU', { exact: true }).fill('BOLT-10');
    await page.getByLabel('Name', { exact: true }).fill('Hex bolt 10 mm');
    await page.getByLabel('Unit', { exact: true }).fill('box');
    await page.getByLabel('Unit cost').fill('1.2550');
    await create.click();
    await said(page, 'Item BOLT-10 created.');
    const [bolt] = (await owner.call('GET', '/api/v1/items?q=BOLT')).body.data;
    // The sell price the API derived (no markup set: the cost), shown as its string with the currency.
    expect(bolt).toMatchObject({ sku: 'BOLT-10', name: 'Hex bolt 10 mm', unit: 'box', unit_cost: '1.255' });
    const currency = (await owner.call('GET', `/api/v1/workspaces/${owner.ws}`)).body.data.default_currency;
    const boltRow = page.getByRole('row').filter({ hasText: 'BOLT-10' });
    await eventually(() => boltRow.getByRole('cell').nth(5).textContent()).toBe(`${bolt.sell_price} ${currency}`);

    await page.getByLabel('SKU', { exact: true }).fill('NUT-10');
    await page.getByLabel('Name', { exact: true }).fill('Hex nut 10 mm');
    await page.getByLabel('Unit cost').fill('0.10');
    await page.getByLabel('Sell price (optional)').fill('0.25');
    await create.click();
    await said(page, 'Item NUT-10 created.');

    // The SKU is compared case-folded: 409 in the API's words and code.
    await page.getByLabel('SKU', { exact: true }).fill('bolt-10');
    await page.getByLabel('Name', { exact: true }).fill('Another bolt');
    await create.click();
    const alert = page.getByRole('alert');
    await eventually(() => alert.textContent()).toContain('An item with this SKU already exists in this workspace.');
    expect(await alert.textContent()).toContain('ITEM.SKU_TAKEN');

    // The search takes the start of a SKU.
    await page.getByLabel('Search (SKU, barcode or name)').fill('NUT');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await eventually(() => page.getByRole('row').filter({ hasText: 'BOLT-10' }).count()).toBe(0);
    expect(await page.getByRole('row').filter({ hasText: 'NUT-10' }).count()).toBe(1);

    // Archive from the list (asked once more), then find it among the archived ones.
    const nutRow = page.getByRole('row').filter({ hasText: 'NUT-10' });
    await nutRow.getByRole('button', { name: 'Archive' }).click();
    await nutRow.getByRole('button', { name: 'Confirm' }).click();
    await said(page, 'Item NUT-10 archived.');
    await eventually(() => page.getByRole('row').filter({ hasText: 'NUT-10' }).count()).toBe(0);
    expect((await owner.call('GET', '/api/v1/items?archived=true')).body.data.map((item: { sku: string }) => item.sku)).toEqual(['NUT-10']);
    await page.getByLabel('Show', { exact: true }).selectOption('archived');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await eventually(() => page.getByRole('row').filter({ hasText: 'NUT-10' }).getByRole('button', { name: 'Restore' }).count()).toBe(1);

    // One item's page: change its name.
    await page.getByLabel('Search (SKU, barcode or name)').fill('');
    await page.getByLabel('Show', { exact: true }).selectOption('live');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('link', { name: 'BOLT-10' }).click();
    await page.waitForURL(new RegExp(`/w/${owner.ws}/items/${bolt.id}$`));
    await eventually(() => heading(page)).toBe('BOLT-10 — Hex bolt 10 mm');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Name', { exact: true }).fill('Zinc hex bolt 10 mm');
    await page.getByRole('button', { name: 'Save' }).click();
    await eventually(() => heading(page)).toBe('BOLT-10 — Zinc hex bolt 10 mm');
    expect((await owner.call('GET', `/api/v1/items/${bolt.id}`)).body.data).toMatchObject({ name: 'Zinc hex bolt 10 mm', unit_cost: '1.255', sell_price: bolt.sell_price });

    // The plan's limit: 402 in the API's words, nothing created.
    const direct = openDirect(database.env);
    try {
      await planAdministration.setLimits(direct.db, 'pro', { items: 2 });
      await planAdministration.assign(direct.db, owner.ws, { plan_key: 'pro' });
    } finally {
      await direct.close();
    }
    await page.getByRole('link', { name: 'All items' }).click();
    await eventually(() => heading(page)).toBe('Items');
    await page.getByLabel('SKU', { exact: true }).fill('WASHER-10');
    await page.getByLabel('Name', { exact: true }).fill('Washer 10 mm');
    await create.click();
    await eventually(() => page.getByRole('alert').textContent()).toContain('PLAN.LIMIT_REACHED');
    expect((await owner.call('GET', '/api/v1/items?q=WASHER')).body.data).toEqual([]);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(owner.problems).toEqual([]);
  });

  it('stock: a transfer through the form from the workspace’s usual source, one past the stock refused with nothing changed, an adjustment, a receipt and the item’s ledger', { timeout: 120_000 }, async () => {
    const { consoleUrl } = harness();
    const owner = await ownerWithWorkspace('Records Stock Branch');
    const { page } = owner;
    const inventory: number = (await owner.call('GET', `/api/v1/workspaces/${owner.ws}`)).body.data.default_location_id;
    const van = await created(owner, '/api/v1/locations', { name: 'Van North', type: 'van' });
    const shop = await created(owner, '/api/v1/locations', { name: 'Shop East', type: 'site' });
    const item = await created(owner, '/api/v1/items', { sku: 'CABLE-2', name: 'Cable 2 mm', unit: 'm', unit_cost: '0.80' });
    await created(owner, '/api/v1/stock/receipts', { item_id: item.id, location_id: van.id, quantity: '10', reason: 'Opening count' });
    expect((await owner.call('PATCH', `/api/v1/workspaces/${owner.ws}/settings`, { default_transfer_from_location_id: van.id })).status).toBe(200);

    await page.goto(consoleUrl(`/w/${owner.ws}/stock`));
    await eventually(() => heading(page)).toBe('Stock');
    await eventually(() => page.getByRole('row').filter({ hasText: 'CABLE-2' }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    const transfer = page.getByRole('region', { name: 'Transfer stock' });
    // The source starts on the workspace's default_transfer_from_location_id.
    await eventually(() => transfer.getByLabel('From location').inputValue()).toBe(String(van.id));
    await transfer.getByLabel('To location').selectOption(String(shop.id));
    await pickItem(transfer, 'CABLE-2');
    await transfer.getByLabel('Quantity').fill('3.5');
    await transfer.getByRole('button', { name: 'Transfer stock' }).click();
    await said(transfer, 'Stock transferred.');
    expect(await levelsOf(owner, item.id)).toEqual({ [van.id]: '6.5', [shop.id]: '3.5' });
    await eventually(() => page.getByRole('row').filter({ hasText: 'Shop East' }).getByRole('cell').nth(2).textContent()).toBe('3.5 m');

    // Past what the van holds: the API's refusal, and nothing moved.
    const ledger = (await owner.call('GET', `/api/v1/stock/movements?item_id=${item.id}`)).body.data.length;
    await transfer.getByLabel('Quantity').fill('100');
    await transfer.getByRole('button', { name: 'Transfer stock' }).click();
    const refusal = transfer.getByRole('alert');
    await eventually(() => refusal.textContent()).toContain('Not enough stock of this item at this location.');
    expect(await refusal.textContent()).toContain('STOCK.INSUFFICIENT');
    expect(await transfer.textContent()).toContain('Available there now: 6.5.');
    expect(await levelsOf(owner, item.id)).toEqual({ [van.id]: '6.5', [shop.id]: '3.5' });
    expect((await owner.call('GET', `/api/v1/stock/movements?item_id=${item.id}`)).body.data.length).toBe(ledger);

    // An adjustment with its reason, and a receipt at the workspace's default location.
    const adjust = page.getByRole('region', { name: 'Adjust stock' });
    await pickItem(adjust, 'CABLE-2');
    await adjust.getByLabel('Location', { exact: true }).selectOption(String(shop.id));
    await adjust.getByLabel('Change (+ adds, − takes away)').fill('-0.25');
    await adjust.getByLabel('Reason', { exact: true }).fill('Cut for a sample');
    await adjust.getByRole('button', { name: 'Adjust stock' }).click();
    await said(adjust, 'Stock adjusted.');
    const receive = page.getByRole('region', { name: 'Receive stock' });
    expect(await receive.getByLabel('Location', { exact: true }).inputValue()).toBe(String(inventory));
    await pickItem(receive, 'CABLE-2');
    await receive.getByLabel('Quantity').fill('2');
    await receive.getByRole('button', { name: 'Receive stock' }).click();
    await said(receive, 'Stock received.');
    expect(await levelsOf(owner, item.id)).toEqual({ [van.id]: '6.5', [shop.id]: '3.25', [inventory]: '2' });

    // The item's ledger, through the filter.
    const filter = page.getByRole('search', { name: 'Stock levels' });
    await pickItem(filter, 'CABLE-2');
    await filter.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(new RegExp(`/w/${owner.ws}/stock\\?item=${item.id}$`));
    const history = page.getByRole('region', { name: 'Movements of CABLE-2 — Cable 2 mm' });
    const kinds = ['Receipt', 'Transfer out', 'Transfer in', 'Adjustment', 'Receipt'];
    await eventually(() => history.getByRole('row').count()).toBe(kinds.length + 1);
    for (const [index, kind] of kinds.entries()) expect(await history.getByRole('row').nth(index + 1).getByRole('cell').nth(2).textContent()).toBe(kind);
    expect(await history.getByRole('row').nth(4).textContent()).toContain('Cut for a sample');
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(owner.problems).toEqual([]);
  });

  it('invoices: a draft with a new customer and two lines, the API’s totals, issued to its number, then voided with a reason', { timeout: 120_000 }, async () => {
    const { consoleUrl } = harness();
    const owner = await ownerWithWorkspace('Records Invoice Branch');
    const { page } = owner;
    const inventory: number = (await owner.call('GET', `/api/v1/workspaces/${owner.ws}`)).body.data.default_location_id;
    const item = await created(owner, '/api/v1/items', { sku: 'LAMP-1', name: 'Desk lamp', unit_cost: '30', sell_price: '49.99' });
    await created(owner, '/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: '5' });

    await page.goto(consoleUrl(`/w/${owner.ws}/invoices`));
    await eventually(() => heading(page)).toBe('Invoices');
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByText('New customer').click();
    await page.getByLabel('Name', { exact: true }).fill('Comercial Caribe');
    await page.getByRole('button', { name: 'Create the customer' }).click();
    await said(page, 'Customer Comercial Caribe created and chosen.');
    const contact = (await owner.call('GET', '/api/v1/contacts?q=Comercial')).body.data[0];
    const draftForm = page.locator('form.invoice-form');
    await eventually(() => draftForm.getByLabel('Customer', { exact: true }).inputValue()).toBe(String(contact.id));

    const first = page.getByRole('group', { name: 'Line 1' });
    await pickItem(first, 'LAMP-1');
    await first.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Add a line' }).click();
    const second = page.getByRole('group', { name: 'Line 2' });
    await second.getByLabel('Description').fill('Installation');
    await second.getByLabel('Quantity').fill('1');
    await second.getByLabel('Unit price').fill('25.00');
    await page.getByRole('button', { name: 'Create the draft' }).click();
    await page.waitForURL(new RegExp(`/w/${owner.ws}/invoices/\\d+$`));
    const id = Number(/\/invoices\/(\d+)$/.exec(page.url())?.[1]);
    await eventually(() => heading(page)).toBe(`Draft #${id}`);

    // The totals as the API computed them, shown as its strings.
    const draft = (await owner.call('GET', `/api/v1/invoices/${id}`)).body.data;
    expect(draft).toMatchObject({ status: 'draft', contact_id: contact.id, number: null });
    expect(draft.lines.map((line: { description: string; quantity: string; unit_price: string }) => [line.description, line.quantity, line.unit_price])).toEqual([
      ['Desk lamp', '2', '49.99'],
      ['Installation', '1', '25.00'],
    ]);
    const totals = page.getByRole('definition');
    for (const amount of [draft.subtotal, draft.tax, draft.total]) {
      await eventually(() => totals.filter({ hasText: `${amount} ${draft.currency}` }).count()).toBeGreaterThan(0);
    }
    const lineRows = page.getByRole('table', { name: 'Lines' }).getByRole('row');
    expect(await lineRows.nth(1).getByRole('cell').last().textContent()).toBe(draft.lines[0].total);
    expect(await page.getByRole('definition').filter({ hasText: 'Comercial Caribe' }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Issue the invoice' }).click();
    await eventually(async () => (await owner.call('GET', `/api/v1/invoices/${id}`)).body.data.status).toBe('issued');
    const issued = (await owner.call('GET', `/api/v1/invoices/${id}`)).body.data;
    expect(issued.number).toMatch(/\d{6}$/);
    await eventually(() => heading(page)).toBe(issued.number);
    expect(await page.getByRole('definition').filter({ hasText: 'Issued' }).count()).toBe(1);
    expect(await levelsOf(owner, item.id)).toEqual({ [inventory]: '3' });

    // Void: a DGII reason, asked once more.
    const voiding = page.getByRole('region', { name: 'Void the invoice' });
    expect(await voiding.getByRole('button', { name: 'Void the invoice' }).isDisabled()).toBe(true);
    await voiding.getByLabel('Reason for voiding (DGII)').selectOption('04');
    await voiding.getByLabel('Note (optional)').fill('Wrong customer');
    await voiding.getByRole('button', { name: 'Void the invoice' }).click();
    await voiding.getByRole('button', { name: 'Confirm' }).click();
    await said(page, `Invoice ${issued.number} voided.`);
    await eventually(() => page.getByRole('definition').filter({ hasText: 'Void' }).count()).toBeGreaterThan(0);
    expect((await owner.call('GET', `/api/v1/invoices/${id}`)).body.data).toMatchObject({ status: 'void', number: issued.number, void_reason: '04', void_note: 'Wrong customer' });
    expect(await levelsOf(owner, item.id)).toEqual({ [inventory]: '5' });
    expect(await accessibilityViolations(page)).toEqual([]);

    // The list finds it by its number and by status.
    await page.getByRole('link', { name: 'All invoices' }).click();
    await eventually(() => heading(page)).toBe('Invoices');
    await page.getByLabel('Number or NCF (exact)').fill(issued.number);
    await page.getByLabel('Status', { exact: true }).selectOption('void');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const row = page.getByRole('row').filter({ hasText: issued.number });
    await eventually(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('Comercial Caribe');
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('Void');
    expect(owner.problems).toEqual([]);
  });

  it('in Spanish at a phone’s width, and for a viewer: every screen reads, nothing scrolls sideways, and no form the role cannot use is shown', { timeout: 120_000 }, async () => {
    const { consoleUrl, server, open } = harness();
    const owner = await ownerWithWorkspace('Records Phone Branch', { locale: 'es-ES', viewport: { width: 375, height: 740 } });
    const { page } = owner;
    const item = await created(owner, '/api/v1/items', { sku: 'TAPE-5', name: 'Cinta aislante de 5 m', unit_cost: '1.10' });
    const inventory: number = (await owner.call('GET', `/api/v1/workspaces/${owner.ws}`)).body.data.default_location_id;
    await created(owner, '/api/v1/stock/receipts', { item_id: item.id, location_id: inventory, quantity: '12' });
    const draft = await created(owner, '/api/v1/invoices', { lines: [{ description: 'Servicio', quantity: '1', unit_price: '10.00' }] });

    for (const [path, title] of [
      ['items', 'Artículos'],
      ['stock', 'Existencias'],
      ['invoices', 'Facturas'],
      [`invoices/${draft.id}`, `Borrador #${draft.id}`],
    ] as const) {
      await page.goto(consoleUrl(`/w/${owner.ws}/${path}`));
      await eventually(() => heading(page)).toBe(title);
      await eventually(() => page.getByRole('status').allTextContents(), path).toEqual([]);
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), path).toBe(true);
      expect(await accessibilityViolations(page), path).toEqual([]);
    }

    // A viewer of the workspace: the records, and none of the forms that change them.
    const viewerEmail = uniqueProcessEmail('viewer');
    const viewer = await registerUser(server, viewerEmail);
    const invitation = await created(owner, '/api/v1/invitations', { email: viewerEmail, role: 'viewer' });
    expect((await api(server.url, 'POST', '/api/v1/invitations/accept', { token: viewer.accessToken, body: { token: invitation.token } })).status).toBe(200);
    const second = await open();
    await second.page.goto(consoleUrl('/sign-in'));
    await second.page.getByLabel('E-mail').fill(viewerEmail);
    await second.page.getByLabel('Password').fill(PASSWORD);
    await second.page.getByRole('button', { name: 'Sign in' }).click();
    await second.page.waitForURL(/\/console\/(workspaces|w\/\d+\/)/);
    await second.page.goto(consoleUrl(`/w/${owner.ws}/stock`));
    await eventually(() => second.page.getByRole('row').filter({ hasText: 'TAPE-5' }).count()).toBe(1);
    expect(await second.page.getByRole('region', { name: 'Transfer stock' }).count()).toBe(0);
    expect(await second.page.getByRole('region', { name: 'Adjust stock' }).count()).toBe(0);
    await second.page.getByRole('link', { name: 'Items' }).click();
    await eventually(() => second.page.getByRole('row').filter({ hasText: 'TAPE-5' }).count()).toBe(1);
    expect(await second.page.getByRole('button', { name: 'Create an item' }).count()).toBe(0);
    expect(await second.page.getByRole('button', { name: 'Archive' }).count()).toBe(0);
    await second.page.getByRole('link', { name: 'Invoices' }).click();
    await eventually(() => second.page.getByRole('link', { name: `Draft #${draft.id}` }).count()).toBe(1);
    expect(await second.page.getByRole('button', { name: 'Create the draft' }).count()).toBe(0);
    await second.page.getByRole('link', { name: `Draft #${draft.id}` }).click();
    await eventually(() => heading(second.page)).toBe(`Draft #${draft.id}`);
    expect(await second.page.getByRole('button', { name: 'Issue the invoice' }).count()).toBe(0);
    expect(await accessibilityViolations(second.page)).toEqual([]);
    expect([...owner.problems, ...second.problems]).toEqual([]);
  });
});
