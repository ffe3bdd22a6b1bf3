import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { api, PASSWORD, uniqueProcessEmail, type ServerProcess } from '../support/process.ts';

/**
 * The console's roles and member access screens in Chromium: a custom role built by
 * clicking its permissions (what the user cannot grant shown disabled, and why), given to a
 * member on the members screen, changed and deleted; a member's overrides, their location
 * access and the API's "why" for a permission. Every outcome is checked through the API.
 */

const harness = useConsoleHarness();

interface Person {
  email: string;
  token: string;
  userId: number;
}

async function registered(server: ServerProcess, name: string): Promise<Person> {
  const email = uniqueProcessEmail('roles');
  const response = await api(server.url, 'POST', '/api/v1/auth/register', { body: { name, email, password: PASSWORD } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return { email, token: response.body.data.access_token, userId: response.body.data.user.id };
}

/** An owner's new workspace, with members who joined by invitation under the given roles. */
async function workspaceWith(server: ServerProcess, members: Record<string, string>) {
  const owner = await registered(server, 'Olga Owner');
  const created = await api(server.url, 'POST', '/api/v1/workspaces', { token: owner.token, body: { name: `Roles ${Math.random().toString(36).slice(2, 8)}` } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const ws: number = created.body.data.id;
  const headers = { 'x-workspace-id': String(ws) };
  const people: Record<string, Person> = {};
  for (const [name, role] of Object.entries(members)) {
    const person = await registered(server, name);
    const invited = await api(server.url, 'POST', '/api/v1/invitations', { token: owner.token, headers, body: { email: person.email, role } });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    const accepted = await api(server.url, 'POST', '/api/v1/invitations/accept', { token: person.token, body: { token: invited.body.data.token } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    people[name] = person;
  }
  /** The API as the owner, in this workspace. */
  const asOwner = (method: string, path: string, body?: unknown) => api(server.url, method, path, { token: owner.token, headers, ...(body === undefined ? {} : { body }) });
  return { owner, ws, people, asOwner };
}

/** Opens a console address signed out, signs in on the form it shows, and lands there. */
async function signInAt(page: Page, url: string, email: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel(/^(E-mail|Correo)$/).fill(email);
  await page.getByLabel(/^(Password|Contraseña)$/).fill(PASSWORD);
  await page.getByRole('button', { name: /^(Sign in|Iniciar sesión)$/ }).click();
}

const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const alerts = (page: Page) => page.getByRole('alert').allTextContents();
const statuses = (page: Page) => page.getByRole('status').allTextContents();

describe.skipIf(!chromiumInstalled)('the console: roles and member access', () => {
  it(
    'builds a role by clicking its permissions, never one the admin cannot grant, gives it to a member, changes and deletes it',
    { timeout: 120_000 },
    async () => {
      const { consoleUrl, open, server } = harness();
      const { ws, people, asOwner } = await workspaceWith(server, { 'Ada Admin': 'admin', 'Mia Member': 'member' });
      const admin = people['Ada Admin']!;
      const mia = people['Mia Member']!;
      const { page, problems } = await open();
      await signInAt(page, consoleUrl(`/w/${ws}/roles`), admin.email);
      await page.waitForURL(new RegExp(`/w/${ws}/roles$`));
      await expect.poll(() => heading(page)).toBe('Roles');
      await expect.poll(() => page.getByRole('cell', { name: 'Administrator admin' }).count()).toBe(1);
      await expect.poll(() => page.getByRole('checkbox', { name: 'sso:manage' }).count()).toBe(1);
      expect(await accessibilityViolations(page)).toEqual([]);

      // The owner's own permissions: an admin sees them, disabled, with the reason.
      for (const ownerOnly of ['sso:manage', 'workspaces:delete', 'workspaces:transfer']) {
        const box = page.getByRole('checkbox', { name: ownerOnly });
        expect(await box.isDisabled()).toBe(true);
        const describedBy = (await box.getAttribute('aria-describedby')) ?? '';
        const description = await page.locator(describedBy.split(' ').map((id) => `#${id}`).join(', ')).allTextContents();
        expect(description.join(' ')).toContain('You cannot grant it: you do not hold it in this workspace.');
      }
      expect(await page.getByRole('checkbox', { name: 'invoices:void' }).isDisabled()).toBe(false);

      // A role of three permissions, chosen by clicking.
      const chosen = ['invoices:view', 'invoices:issue', 'stock:view'];
      await page.getByLabel('Name (identifier)').fill('stock_clerk');
      await page.getByLabel('Display name').fill('Stock clerk');
      for (const permission of chosen) await page.getByRole('checkbox', { name: permission }).check();
      await page.getByRole('button', { name: 'Create a role' }).click();
      await expect.poll(() => statuses(page)).toContain('Role “Stock clerk” created.');
      await expect.poll(() => page.getByRole('cell', { name: 'Stock clerk stock_clerk' }).count()).toBe(1);
      // The form is empty again.
      expect(await page.getByLabel('Name (identifier)').inputValue()).toBe('');
      expect(await page.getByRole('checkbox', { name: 'stock:view' }).isChecked()).toBe(false);
      const roles = (await asOwner('GET', '/api/v1/roles')).body.data as Array<{ id: number; name: string; permissions: string[] }>;
      const clerk = roles.find((role) => role.name === 'stock_clerk');
      expect(clerk?.permissions.sort()).toEqual([...chosen].sort());

      // The same name again: the API's 409, named on the field.
      await page.getByLabel('Name (identifier)').fill('stock_clerk');
      await page.getByLabel('Display name').fill('Another clerk');
      await page.getByRole('button', { name: 'Create a role' }).click();
      await expect.poll(() => alerts(page)).toContainEqual(expect.stringContaining('A role with this name already exists in the workspace.'));
      expect((await alerts(page)).join(' ')).toContain('Error code: WORKSPACE.ROLE_NAME_EXISTS');
      expect(await page.getByLabel('Name (identifier)').getAttribute('aria-invalid')).toBe('true');

      // The owner takes invoices:void from the admin while the page is open: the API's 403 names it.
      expect((await asOwner('PUT', `/api/v1/members/${admin.userId}/permissions`, { revoke: ['invoices:void'] })).status).toBe(200);
      await page.getByLabel('Name (identifier)').fill('voider');
      await page.getByLabel('Display name').fill('Voider');
      await page.getByRole('checkbox', { name: 'invoices:void' }).check();
      await page.getByRole('button', { name: 'Create a role' }).click();
      await expect.poll(() => alerts(page)).toContainEqual(expect.stringContaining('You lack the permission invoices:void (Void issued invoices'));
      expect((await alerts(page)).join(' ')).toContain('Error code: AUTH.FORBIDDEN');
      // Read again, the console knows why: an override took it.
      await page.reload();
      await expect.poll(() => page.getByRole('checkbox', { name: 'invoices:void' }).count()).toBe(1);
      expect(await page.getByRole('checkbox', { name: 'invoices:void' }).isDisabled()).toBe(true);
      expect(await page.locator('#role-perm-why-invoices-void').textContent()).toBe('You cannot grant it: an override revoked it from you.');

      // Given to Mia on the members screen: she holds exactly what the role grants.
      await page.getByRole('link', { name: 'Members' }).click();
      await page.waitForURL(new RegExp(`/w/${ws}/members$`));
      await page.getByLabel('Role of Mia Member').selectOption('stock_clerk');
      await expect.poll(() => statuses(page)).toContain('Mia Member is now stock_clerk.');
      const held = async () => (await asOwner('GET', `/api/v1/members/${mia.userId}/permissions`)).body.data as { role: string; permissions: string[] };
      expect(await held()).toMatchObject({ role: 'stock_clerk' });
      expect((await held()).permissions.sort()).toEqual([...chosen].sort());

      // Changed: one permission out, one in; Mia follows.
      await page.getByRole('link', { name: 'Roles' }).click();
      await page.waitForURL(new RegExp(`/w/${ws}/roles$`));
      await page.getByRole('button', { name: 'Edit Stock clerk' }).click();
      await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toBe('Edit the role “Stock clerk”');
      expect(await page.getByLabel('Name (identifier)').inputValue()).toBe('stock_clerk');
      expect(await page.getByRole('checkbox', { name: 'invoices:issue' }).isChecked()).toBe(true);
      await page.getByRole('checkbox', { name: 'invoices:issue' }).uncheck();
      await page.getByRole('checkbox', { name: 'products:view' }).check();
      await page.getByLabel('Display name').fill('Stock keeper');
      await page.getByRole('button', { name: 'Save the role' }).click();
      await expect.poll(() => statuses(page)).toContain('Role “Stock keeper” saved.');
      await expect.poll(() => page.getByRole('cell', { name: 'Stock keeper stock_clerk' }).count()).toBe(1);
      expect((await held()).permissions.sort()).toEqual(['invoices:view', 'products:view', 'stock:view']);
      expect(await accessibilityViolations(page)).toEqual([]);

      // Deleted: refused while Mia holds it, with what to do; then her members move to viewer.
      await page.getByRole('button', { name: 'Delete Stock keeper' }).click();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expect.poll(() => alerts(page)).toContainEqual(expect.stringContaining('Choose a role to move its members to, then delete it again.'));
      expect((await alerts(page)).join(' ')).toContain('Error code: ROLE.IN_USE');
      await page.getByLabel('Move the members of Stock keeper to').selectOption('viewer');
      await page.getByRole('button', { name: 'Delete Stock keeper' }).click();
      await page.getByRole('button', { name: 'Confirm' }).click();
      await expect.poll(() => statuses(page)).toContain('Role “Stock keeper” deleted.');
      await expect.poll(() => page.getByRole('cell', { name: 'Stock keeper stock_clerk' }).count()).toBe(0);
      expect(((await asOwner('GET', '/api/v1/roles')).body.data as Array<{ name: string }>).map((role) => role.name)).not.toContain('stock_clerk');
      expect((await held()).role).toBe('viewer');

      // Built-in roles are read-only: no control on their rows.
      expect(await page.getByRole('button', { name: /^Edit / }).count()).toBe(0);

      // A phone's width: nothing scrolls sideways.
      await page.setViewportSize({ width: 375, height: 740 });
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      expect(await accessibilityViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
    },
  );

  it('shows a viewer the roles read-only and her own access unchangeable, in Spanish', { timeout: 120_000 }, async () => {
    const { consoleUrl, open, server } = harness();
    const { ws, people } = await workspaceWith(server, { 'Vera Viewer': 'viewer' });
    const { page, problems } = await open({ locale: 'es-ES' });
    await signInAt(page, consoleUrl(`/w/${ws}/roles`), people['Vera Viewer']!.email);
    await page.waitForURL(new RegExp(`/w/${ws}/roles$`));
    await expect.poll(() => heading(page)).toBe('Roles');
    await expect.poll(() => page.getByRole('cell', { name: 'Integrado (solo lectura)' }).count()).toBe(4);
    expect(await page.getByText('Puedes ver los roles; crearlos, cambiarlos y eliminarlos requiere el permiso roles:manage.').count()).toBe(1);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Crear un rol' }).count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);

    // Her own access: explained, not changeable.
    await page.getByRole('link', { name: 'Acceso de miembros' }).click();
    await page.getByRole('link', { name: 'Vera Viewer' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Acceso de Vera Viewer' }).count()).toBe(1);
    await expect.poll(() => page.getByText('Eres tú: nadie cambia sus propios permisos ni ubicaciones.').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Guardar las excepciones' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Guardar el acceso a ubicaciones' }).isDisabled()).toBe(true);
    await page.getByLabel('Permiso', { exact: true }).selectOption('roles:manage');
    await expect.poll(() => page.getByTestId('why-answer').textContent()).toBe(
      'No: Vera Viewer no puede usar roles:manage aquí.' + 'Su rol viewer no lo otorga, y ninguna excepción se lo da.',
    );
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('overrides a member’s permissions, shows why they can or cannot, and restricts them to one location', { timeout: 120_000 }, async () => {
    const { consoleUrl, open, server } = harness();
    const { owner, ws, people, asOwner } = await workspaceWith(server, { 'Mia Member': 'member' });
    const mia = people['Mia Member']!;
    const location = async (name: string) => {
      const created = await asOwner('POST', '/api/v1/locations', { name, type: 'site' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.data.id as number;
    };
    const shop = await location('Shop');
    await location('Van');

    const { page, problems } = await open();
    await signInAt(page, consoleUrl(`/w/${ws}/access`), owner.email);
    await page.waitForURL(new RegExp(`/w/${ws}/access$`));
    await expect.poll(() => heading(page)).toBe('Member access');
    await expect.poll(() => page.getByRole('link', { name: 'Mia Member' }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByRole('link', { name: 'Mia Member' }).click();
    await page.waitForURL(new RegExp(`/w/${ws}/access/${mia.userId}$`));
    await expect.poll(() => page.getByRole('heading', { name: 'Access of Mia Member' }).count()).toBe(1);
    const answer = page.getByTestId('why-answer');
    await page.getByLabel('Permission', { exact: true }).selectOption('invoices:void');
    await expect.poll(() => answer.textContent()).toBe(
      'No: Mia Member cannot use invoices:void here.' + 'Their role member does not give it, and no override grants it.',
    );
    await page.getByLabel('Permission', { exact: true }).selectOption('invoices:create');
    await expect.poll(() => answer.textContent()).toBe(
      'Yes: Mia Member can use invoices:create here.' + 'Their role member gives it.' + 'Where: at every location of this workspace.',
    );
    expect(await accessibilityViolations(page)).toEqual([]);

    // One permission granted beyond her role, one taken from it.
    await page.getByLabel('Override of invoices:void').selectOption('grant');
    await page.getByLabel('Override of members:view').selectOption('revoke');
    await page.getByRole('button', { name: 'Save the overrides' }).click();
    await expect.poll(() => statuses(page)).toContain('Overrides saved.');
    const standing = (await asOwner('GET', `/api/v1/members/${mia.userId}/permissions`)).body.data;
    expect(standing).toMatchObject({ grant: ['invoices:void'], revoke: ['members:view'] });
    expect(standing.permissions).toContain('invoices:void');
    expect(standing.permissions).not.toContain('members:view');

    await page.getByLabel('Permission', { exact: true }).selectOption('invoices:void');
    await expect.poll(() => answer.textContent()).toBe(
      'Yes: Mia Member can use invoices:void here.' + 'An override grants it to them, beyond their role.' + 'Where: at every location of this workspace.',
    );
    await page.getByLabel('Permission', { exact: true }).selectOption('members:view');
    await expect.poll(() => answer.textContent()).toBe('No: Mia Member cannot use members:view here.' + 'An override revokes it, whatever their role gives.');
    expect(await page.getByRole('row', { name: 'invoices:void An override grants it to them, beyond their role.' }).count()).toBe(1);
    expect(await page.getByRole('row', { name: 'members:view Not held: An override revokes it, whatever their role gives.' }).count()).toBe(1);

    // Only the shop.
    await page.getByLabel('Only the locations chosen below').check();
    await page.getByRole('checkbox', { name: 'Shop' }).check();
    await page.getByRole('button', { name: 'Save the location access' }).click();
    await expect.poll(() => statuses(page)).toContain('Location access saved.');
    const access = (await asOwner('GET', `/api/v1/members/${mia.userId}/locations`)).body.data;
    expect(access).toMatchObject({ restricted: true, location_ids: [shop], lifted_by: null });
    await page.getByLabel('Permission', { exact: true }).selectOption('invoices:void');
    await expect.poll(() => answer.textContent()).toContain('Where: records tied to a location, only at Shop.');
    // Drawn again from the API: the choice stays.
    await page.reload();
    await expect.poll(() => page.getByRole('checkbox', { name: 'Shop' }).isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Van' }).isChecked()).toBe(false);
    expect(await page.getByLabel('Only the locations chosen below').isChecked()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);

    // The owner's own access: everything, nothing to change.
    await page.getByRole('link', { name: 'Olga Owner' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Access of Olga Owner' }).count()).toBe(1);
    await expect.poll(() => page.getByText('The owner holds every permission there is, at every location', { exact: false }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Save the overrides' }).count()).toBe(0);

    await page.setViewportSize({ width: 375, height: 740 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(problems).toEqual([]);
  });
});
