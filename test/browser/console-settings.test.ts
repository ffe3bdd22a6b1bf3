import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { api, PASSWORD, registerUser, uniqueProcessEmail, type ServerProcess } from '../support/process.ts';

/**
 * Settings › Account in Chromium: the workspace's settings (seed 002's fields, the API's own
 * field errors in English and Spanish, read-only without settings:edit, leaving and deleting),
 * and seed 004's Workspace Group tab walked through by clicking as its steps say, each step
 * checked through the API as well.
 */

const harness = useConsoleHarness();

interface Person {
  email: string;
  token: string;
  userId: number;
}

async function person(server: ServerProcess, prefix: string): Promise<Person> {
  const email = uniqueProcessEmail(prefix);
  const { accessToken, userId } = await registerUser(server, email);
  return { email, token: accessToken, userId };
}

async function createWorkspace(server: ServerProcess, owner: Person, name: string): Promise<number> {
  const created = await api(server.url, 'POST', '/api/v1/workspaces', { token: owner.token, body: { name } });
  expect(created.status).toBe(201);
  return created.body.data.id as number;
}

/** A GET (or other call) in a workspace, as `who`. */
async function inWorkspace(server: ServerProcess, who: Person, workspaceId: number, method: string, path: string, body?: unknown) {
  return api(server.url, method, path, { token: who.token, headers: { 'X-Workspace-ID': String(workspaceId) }, ...(body !== undefined && { body }) });
}

async function signIn(page: Page, consoleUrl: (path?: string) => string, email: string): Promise<void> {
  await page.goto(consoleUrl('/sign-in'));
  await page.getByLabel(/^(E-mail|Correo)$/).fill(email);
  await page.getByLabel(/^(Password|Contraseña)$/).fill(PASSWORD);
  await page.getByRole('button', { name: /^(Sign in|Iniciar sesión)$/ }).click();
  // Into the current workspace, or the list of them for someone who has none yet.
  await page.waitForURL(/\/console\/(w\/\d+\/members|workspaces)$/);
}

/** The heading of the screen, once it reads `title`. */
async function onScreen(page: Page, title: string): Promise<void> {
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(title);
}

describe.skipIf(!chromiumInstalled)('the console: Settings › Account', () => {
  beforeAll(async () => {
    // The tenant's first user becomes its owner (who sees every workspace): someone else than the people below.
    if (chromiumInstalled) await person(harness().server, 'settings-operator');
  });

  it('edits and saves the workspace settings, shows the API’s field error in English, renames, and answers leave and delete', { timeout: 120_000 }, async () => {
    const { server, open, consoleUrl } = harness();
    const owner = await person(server, 'settings-owner');
    const workspaceId = await createWorkspace(server, owner, 'Settings North Branch');
    const location = await inWorkspace(server, owner, workspaceId, 'POST', '/api/v1/locations', { name: 'Van 7', type: 'van' });
    expect(location.status).toBe(201);
    const { page, problems } = await open();
    await signIn(page, consoleUrl, owner.email);

    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/settings$`));
    await onScreen(page, 'Account');
    const workspaceTab = page.getByRole('tab', { name: 'Workspace', exact: true });
    expect(await workspaceTab.getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => page.getByLabel('Default currency').inputValue()).toBe('USD');
    expect(await page.getByRole('region', { name: 'This workspace', exact: true }).textContent()).toContain(String(workspaceId));
    expect(await accessibilityViolations(page)).toEqual([]);

    // The API's ranges hold in the browser before anything is sent.
    await page.getByLabel('Default tax (%)').fill('150');
    await page.getByRole('button', { name: 'Save settings' }).click();
    expect(await page.locator('#field-default_tax_percent:invalid').count()).toBe(1);

    await page.getByLabel('Default currency').fill('EUR');
    await page.getByLabel('Invoice number prefix').fill('NB-');
    await page.getByLabel('Default tax (%)').fill('18.5');
    await page.getByLabel('Prices include tax').check();
    await page.getByLabel('Days until an invoice is due').fill('30');
    await page.getByLabel('Default markup (%)').fill('25.25');
    await page.getByLabel('Brand colour on invoices').fill('#0B5CAD');
    await page.getByLabel('Contact e-mail on invoices').fill('billing@north.example.com');
    await page.getByLabel('Business address on invoices').fill('1 Harbour Road, Santo Domingo');
    await page.getByLabel('Default location transfers take stock from').selectOption({ label: 'Van 7' });
    await page.getByLabel('Type of new locations').selectOption('van');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'The settings were saved.' }).count()).toBe(1);
    const saved = (await inWorkspace(server, owner, workspaceId, 'GET', `/api/v1/workspaces/${workspaceId}`)).body.data;
    expect(saved).toMatchObject({
      default_currency: 'EUR',
      invoice_number_prefix: 'NB-',
      default_tax_percent: 18.5,
      default_tax_included: true,
      default_invoice_due_days: 30,
      default_markup_percent: 25.25,
      invoicing_brand_color: '#0B5CAD',
      invoicing_email: 'billing@north.example.com',
      invoicing_address: '1 Harbour Road, Santo Domingo',
      default_transfer_from_location_id: location.body.data.id,
      default_location_type: 'van',
      invoicing_business_name: null,
    });

    // Three capital letters the browser accepts, but no ISO 4217 currency: the API's own field error, beside the field.
    await page.getByLabel('Default currency').fill('XYZ');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('#field-default_currency-error').textContent()).toBe('must be an ISO 4217 currency code such as USD, EUR or DOP');
    expect(await page.getByLabel('Default currency').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').textContent()).toContain('VALIDATION.FAILED');
    expect((await inWorkspace(server, owner, workspaceId, 'GET', `/api/v1/workspaces/${workspaceId}`)).body.data.default_currency).toBe('EUR');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Default currency').fill('DOP');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'The settings were saved.' }).count()).toBe(1);
    expect((await inWorkspace(server, owner, workspaceId, 'GET', `/api/v1/workspaces/${workspaceId}`)).body.data.default_currency).toBe('DOP');

    // The owner renames it (PATCH /api/v1/workspaces/{id}).
    await page.getByLabel('Name', { exact: true }).fill('Settings North HQ');
    await page.getByLabel('Slug', { exact: true }).fill('settings-north-hq');
    await page.getByRole('button', { name: 'Save name, slug and logo' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'The workspace was updated.' }).count()).toBe(1);
    expect((await inWorkspace(server, owner, workspaceId, 'GET', `/api/v1/workspaces/${workspaceId}`)).body.data).toMatchObject({
      name: 'Settings North HQ',
      slug: 'settings-north-hq',
    });

    // The tabs answer the keyboard: the arrow key moves to the Workspace Group tab and shows it.
    await page.getByRole('tab', { name: 'Workspace', exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(new RegExp(`/w/${workspaceId}/settings/workspace-group$`));
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Workspace Group');
    expect(await page.getByRole('tab', { name: 'Workspace Group' }).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    await page.waitForURL(new RegExp(`/w/${workspaceId}/settings$`));

    // The owner cannot leave: the API's 409, as it says it.
    await page.getByRole('button', { name: 'Leave workspace' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('WORKSPACE.OWNER_CANNOT_LEAVE');

    // The owner deletes it.
    await page.getByRole('button', { name: 'Delete workspace' }).click();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.waitForURL(/\/console\/workspaces$/);
    expect((await api(server.url, 'GET', `/api/v1/workspaces/${workspaceId}`, { token: owner.token })).status).toBe(404);
    expect(problems).toEqual([]);
  });

  it('speaks Spanish: the API’s field error in Spanish beside the field; a member only reads the settings, and leaves', { timeout: 120_000 }, async () => {
    const { server, open, consoleUrl } = harness();
    const owner = await person(server, 'settings-es-owner');
    const workspaceId = await createWorkspace(server, owner, 'Sucursal Sur');

    const before = (await inWorkspace(server, owner, workspaceId, 'GET', `/api/v1/workspaces/${workspaceId}`)).body.data;
    const ownerPage = await open({ locale: 'es-DO' });
    await signIn(ownerPage.page, consoleUrl, owner.email);
    await ownerPage.page.getByRole('link', { name: 'Configuración' }).click();
    await onScreen(ownerPage.page, 'Cuenta');
    await ownerPage.page.getByLabel('Días hasta el vencimiento de una factura').fill(String(before.default_invoice_due_days + 15));
    await ownerPage.page.getByLabel('Moneda predeterminada').fill('ABC');
    await ownerPage.page.getByRole('button', { name: 'Guardar configuración' }).click();
    await expect
      .poll(() => ownerPage.page.locator('#field-default_currency-error').textContent())
      .toBe('debe ser un código de moneda ISO 4217, como USD, EUR o DOP');
    expect(await ownerPage.page.getByRole('alert').textContent()).toContain('Código de error: VALIDATION.FAILED');
    // Nothing of the refused change was kept, the due days neither.
    expect((await inWorkspace(server, owner, workspaceId, 'GET', `/api/v1/workspaces/${workspaceId}`)).body.data).toMatchObject({
      default_currency: before.default_currency,
      default_invoice_due_days: before.default_invoice_due_days,
    });
    expect(await accessibilityViolations(ownerPage.page)).toEqual([]);
    // Seed 004's tab in Spanish, with a refusal of the API in Spanish too.
    await ownerPage.page.getByRole('tab', { name: 'Grupo de sucursales' }).click();
    await ownerPage.page.getByRole('button', { name: 'Agregar sucursal subordinada' }).click();
    await ownerPage.page.getByRole('textbox', { name: 'ID de la sucursal' }).fill(String(workspaceId));
    await ownerPage.page.getByRole('button', { name: 'Agregar sucursal subordinada' }).click();
    await expect.poll(() => ownerPage.page.getByRole('alert').textContent()).toContain('Una sucursal no puede invitarse a sí misma.');
    expect(await ownerPage.page.getByRole('region', { name: 'Sucursales subordinadas', exact: true }).count()).toBe(1);
    expect(await ownerPage.page.getByRole('region', { name: 'Invitaciones para unirse a un grupo de sucursales', exact: true }).count()).toBe(1);
    expect(await accessibilityViolations(ownerPage.page)).toEqual([]);
    expect(ownerPage.problems).toEqual([]);

    // A member: every field shown, none editable, no save; leaving works.
    const member = await person(server, 'settings-es-member');
    const invitation = await inWorkspace(server, owner, workspaceId, 'POST', '/api/v1/invitations', { email: member.email, role: 'member' });
    expect(invitation.status).toBe(201);
    expect((await api(server.url, 'POST', '/api/v1/invitations/accept', { token: member.token, body: { token: invitation.body.data.token } })).status).toBe(200);
    const memberPage = await open({ locale: 'es-DO', viewport: { width: 375, height: 740 } });
    await signIn(memberPage.page, consoleUrl, member.email);
    await memberPage.page.goto(consoleUrl(`/w/${workspaceId}/settings`));
    await onScreen(memberPage.page, 'Cuenta');
    await expect.poll(() => memberPage.page.getByLabel('Moneda predeterminada').isDisabled()).toBe(true);
    expect(await memberPage.page.getByLabel('Prefijo de los números de factura').isDisabled()).toBe(true);
    expect(await memberPage.page.getByLabel('Nombre', { exact: true }).isDisabled()).toBe(true);
    expect(await memberPage.page.getByRole('button', { name: 'Guardar configuración' }).count()).toBe(0);
    expect(await memberPage.page.getByRole('button', { name: 'Eliminar sucursal' }).count()).toBe(0);
    // A member holds no groups:view: no Workspace Group tab.
    expect(await memberPage.page.getByRole('tab').allTextContents()).toEqual(['Sucursal']);
    await memberPage.page.goto(consoleUrl(`/w/${workspaceId}/settings/workspace-group`));
    await expect.poll(() => memberPage.page.getByRole('alert').textContent()).toBe('Esta página no existe.');
    await memberPage.page.goto(consoleUrl(`/w/${workspaceId}/settings`));
    await expect.poll(() => memberPage.page.getByLabel('Moneda predeterminada').isDisabled()).toBe(true);
    expect(await memberPage.page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await accessibilityViolations(memberPage.page)).toEqual([]);
    await memberPage.page.getByRole('button', { name: 'Salir de la sucursal' }).click();
    await memberPage.page.getByRole('button', { name: 'Confirmar' }).click();
    await memberPage.page.waitForURL(/\/console\/workspaces$/);
    const members = await inWorkspace(server, owner, workspaceId, 'GET', '/api/v1/members');
    expect(members.body.data.map((row: { id: number }) => row.id)).toEqual([owner.userId]);
    expect(memberPage.problems).toEqual([]);
  });

  it('walks seed 004 by clicking: add a sub workspace, its owner accepts, leaves, is added again and removed', { timeout: 120_000 }, async () => {
    const { server, open, consoleUrl } = harness();
    const ownerA = await person(server, 'group-owner-a');
    const ownerB = await person(server, 'group-owner-b');
    const x = await createWorkspace(server, ownerA, 'Group Admin X');
    const y = await createWorkspace(server, ownerB, 'Group Sub Y');
    const a = await open();
    const b = await open();
    await signIn(a.page, consoleUrl, ownerA.email);
    await signIn(b.page, consoleUrl, ownerB.email);

    /** Seed 004's "Go to the Settings > Account page. Go to the Workspace Group tab." */
    const toWorkspaceGroupTab = async (page: Page) => {
      await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Settings' }).click();
      await onScreen(page, 'Account');
      await page.getByRole('tab', { name: 'Workspace Group' }).click();
      await page.waitForURL(/\/settings\/workspace-group$/);
      await expect.poll(() => page.getByRole('region', { name: /^(Sub workspaces|Admin workspace)$/ }).count()).toBe(1);
    };
    const subWorkspaces = (page: Page) => page.getByRole('region', { name: 'Sub workspaces', exact: true });
    const adminWorkspace = (page: Page) => page.getByRole('region', { name: 'Admin workspace', exact: true });
    const received = (page: Page) => page.getByRole('region', { name: 'Invitations to join a workspace group', exact: true });
    const subsOfX = async () => (await inWorkspace(server, ownerA, x, 'GET', '/api/v1/workspace-group-members')).body.data as Array<{ id: number; sub_workspace_id: number }>;
    const adminOfY = async () => (await inWorkspace(server, ownerB, y, 'GET', '/api/v1/workspace-group-members/admin')).body.data as { id: number } | null;

    // B reads Y's ID where the console shows it, to hand to A.
    await toWorkspaceGroupTab(b.page);
    const shownId = (await b.page.getByRole('region', { name: 'This workspace', exact: true }).locator('code').textContent()) ?? '';
    expect(shownId).toBe(String(y));
    expect(await accessibilityViolations(b.page)).toEqual([]);

    /** Seed 004's "Adding sub workspaces from the app", steps 1 to 5. */
    const addSubWorkspace = async () => {
      await toWorkspaceGroupTab(a.page);
      await a.page.getByRole('button', { name: 'Add sub workspace' }).click();
      await a.page.getByRole('textbox', { name: 'Workspace ID' }).fill(shownId);
      await a.page.getByRole('button', { name: 'Add sub workspace' }).click();
      await expect.poll(() => a.page.getByRole('status').filter({ hasText: 'The invitation was sent to the owner of workspace' }).count()).toBe(1);
      const sent = await inWorkspace(server, ownerA, x, 'GET', '/api/v1/workspace-group-invitations?direction=sent&status=pending');
      expect(sent.body.data.map((row: { sub_workspace_id: number }) => row.sub_workspace_id)).toEqual([y]);
      await expect.poll(() => a.page.getByRole('region', { name: 'Invitations sent', exact: true }).getByRole('cell', { name: String(y), exact: true }).count()).toBe(1);
    };
    /** B accepts the invitation in the console. */
    const acceptAsB = async () => {
      await b.page.reload();
      await expect.poll(() => received(b.page).getByRole('cell', { name: 'Group Admin X', exact: true }).count()).toBe(1);
      await received(b.page).getByRole('button', { name: 'Accept' }).click();
      await expect.poll(() => adminWorkspace(b.page).getByText('Group Admin X').count()).toBe(1);
      expect((await adminOfY())?.id).toBe(x);
    };
    /** A sees Y under "Sub workspaces". */
    const seeYAsA = async () => {
      await a.page.reload();
      await expect.poll(() => subWorkspaces(a.page).getByRole('cell', { name: 'Group Sub Y', exact: true }).count()).toBe(1);
      expect((await subsOfX()).map((row) => row.sub_workspace_id)).toEqual([y]);
    };

    await addSubWorkspace();
    expect(await accessibilityViolations(a.page)).toEqual([]);
    await acceptAsB();
    expect(await accessibilityViolations(b.page)).toEqual([]);
    await seeYAsA();
    expect(await accessibilityViolations(a.page)).toEqual([]);

    // Seed 004's "Leaving a workspace group through the app": under "Admin workspace", "Leave workspace group".
    await adminWorkspace(b.page).getByRole('button', { name: 'Leave workspace group' }).click();
    await expect.poll(() => b.page.getByRole('status').filter({ hasText: 'This workspace left the workspace group.' }).count()).toBe(1);
    await expect.poll(() => subWorkspaces(b.page).count()).toBe(1);
    expect(await adminOfY()).toBeNull();
    expect(await subsOfX()).toEqual([]);

    // Added again and accepted again; then seed 004's "Removing sub workspaces from the app".
    await a.page.goto(consoleUrl(`/w/${x}/members`));
    await addSubWorkspace();
    await acceptAsB();
    await seeYAsA();
    await subWorkspaces(a.page).getByRole('row', { name: /Group Sub Y/ }).getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => a.page.getByRole('status').filter({ hasText: 'Group Sub Y was removed from the workspace group.' }).count()).toBe(1);
    await expect.poll(() => subWorkspaces(a.page).getByRole('cell', { name: 'Group Sub Y', exact: true }).count()).toBe(0);
    expect(await subsOfX()).toEqual([]);
    expect(await adminOfY()).toBeNull();
    await b.page.reload();
    await expect.poll(() => subWorkspaces(b.page).count()).toBe(1);
    expect(await accessibilityViolations(b.page)).toEqual([]);
    expect([...a.problems, ...b.problems]).toEqual([]);
  });
});
