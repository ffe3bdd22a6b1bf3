import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { api, openDirect, PASSWORD, registerUser, uniqueProcessEmail } from '../support/process.ts';

/**
 * The console's invitations and API keys in Chromium: an owner invites through the console,
 * the e-mailed link (read from the outbox exactly as the e-mail carries it) opens the console's
 * accept screen, where a new person registers and joins, an existing user accepts and a third
 * declines; resend and revoke from the list; an API key's secret shown once, working, revoked.
 */

const harness = useConsoleHarness();

/** An owner (through the API) with a workspace of their own. */
async function ownerWithWorkspace(workspaceName: string): Promise<{ email: string; token: string; workspaceId: number }> {
  const { server } = harness();
  const email = uniqueProcessEmail('inv.owner');
  const { accessToken } = await registerUser(server, email);
  const renamed = await api(server.url, 'PATCH', '/api/v1/me', { token: accessToken, body: { name: 'Olga Owner' } });
  expect(renamed.status).toBe(200);
  const workspace = await api(server.url, 'POST', '/api/v1/workspaces', { token: accessToken, body: { name: workspaceName } });
  expect(workspace.status).toBe(201);
  return { email, token: accessToken, workspaceId: workspace.body.data.id as number };
}

/** Invites through the API, where the test is not about sending. */
async function inviteByApi(owner: { token: string; workspaceId: number }, email: string, role = 'member'): Promise<number> {
  const { server } = harness();
  const invited = await api(server.url, 'POST', '/api/v1/invitations', {
    token: owner.token,
    headers: { 'x-workspace-id': String(owner.workspaceId) },
    body: { email, role },
  });
  expect(invited.status, JSON.stringify(invited.body)).toBe(201);
  return invited.body.data.id as number;
}

/** The newest invitation link mailed to `email`, exactly as the e-mail carries it (no SMTP: the outbox). */
async function mailedLink(email: string): Promise<string> {
  const direct = openDirect(harness().database.env);
  try {
    const message = await direct.db
      .selectFrom('outbox_messages')
      .select('text_body')
      .where('recipient', '=', email)
      .where('kind', '=', 'invitation')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const link = /(http\S+\/invitations\/accept#token=\S+)/.exec(message.text_body)?.[1];
    if (!link) throw new Error(`no accept link in: ${message.text_body}`);
    return link;
  } finally {
    await direct.close();
  }
}

const tokenOf = (link: string) => decodeURIComponent(new URL(link).hash.replace(/^#token=/, ''));

async function signIn(page: Page, email: string): Promise<void> {
  const { consoleUrl } = harness();
  await page.goto(consoleUrl('/sign-in'));
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/(w\/\d+\/members|workspaces)$/);
}

/** What the invitation's lookup answers now: 200 while it can be answered, 404 once it is used up or dead. */
async function lookupStatus(token: string): Promise<number> {
  return (await api(harness().server.url, 'POST', '/api/v1/invitations/lookup', { body: { token } })).status;
}

describe.skipIf(!chromiumInstalled)('invitations through the console', () => {
  it('an owner invites; the e-mailed link opens the console in another browser, where a new person registers and lands in the workspace', { timeout: 120_000 }, async () => {
    const { open, consoleUrl, server } = harness();
    const owner = await ownerWithWorkspace('Invite Console Branch');
    const { page, problems } = await open();
    await signIn(page, owner.email);
    await page.goto(consoleUrl(`/w/${owner.workspaceId}/invitations`));
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Invitations');
    expect(await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Invitations' }).getAttribute('aria-current')).toBe('page');
    expect(await accessibilityViolations(page)).toEqual([]);

    const invitee = uniqueProcessEmail('inv.new');
    await page.getByLabel('E-mail', { exact: true }).fill(invitee);
    // Roles come from the workspace's roles; the owner's role is never offered.
    await expect.poll(() => page.getByLabel('Role', { exact: true }).locator('option').allTextContents()).toContain('Viewer');
    expect(await page.getByLabel('Role', { exact: true }).locator('option').allTextContents()).not.toContain('Owner');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Invitation sent' }).textContent()).toBe(`Invitation sent to ${invitee}.`);
    const row = page.getByRole('row').filter({ hasText: invitee });
    await expect.poll(() => row.getByRole('cell').nth(2).textContent()).toBe('Pending');
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('Viewer');

    // No mail server here: the console shows the very link the e-mail carries, to pass on by hand.
    const link = await mailedLink(invitee);
    expect(link).toMatch(new RegExp(`^${server.url}/console/t/default/invitations/accept#token=inv_`));
    expect(await page.getByLabel(`Invitation link for ${invitee}`).inputValue()).toBe(link);
    expect(await accessibilityViolations(page)).toEqual([]);

    // Another browser: the invitee's, with no session.
    const guest = await open();
    await guest.page.goto(link);
    await expect.poll(() => guest.page.getByRole('main').textContent()).toContain('Olga Owner invited you to join “Invite Console Branch” as viewer.');
    // The token left the address bar (and so the history and any shared screenshot).
    expect(guest.page.url()).not.toContain('token');
    expect(guest.page.url()).toBe(`${server.url}/console/t/default/invitations/accept`);
    expect(await accessibilityViolations(guest.page)).toEqual([]);
    await guest.page.getByLabel('Name', { exact: true }).fill('Nina Newcomer');
    await guest.page.getByLabel('E-mail', { exact: true }).fill(invitee);
    await guest.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await guest.page.getByRole('button', { name: 'Create account and join' }).click();
    await guest.page.waitForURL(new RegExp(`/console/t/default/w/${owner.workspaceId}/members$`));
    await expect.poll(() => guest.page.getByRole('cell', { name: 'Nina Newcomer (you)' }).count()).toBe(1);
    // The switcher fills from its own request, which may answer after the members page.
    await expect.poll(() => guest.page.locator('#workspace-switcher').inputValue()).toBe(String(owner.workspaceId));

    await page.reload();
    await expect.poll(() => row.getByRole('cell').nth(2).textContent()).toBe('Accepted');
    expect([...problems, ...guest.problems]).toEqual([]);
  });

  it('an existing user accepts, signed in already or signing in on the way, the token kept out of every address', { timeout: 120_000 }, async () => {
    const { open, server } = harness();
    const owner = await ownerWithWorkspace('Existing Users Branch');
    const signedInAlready = uniqueProcessEmail('inv.existing');
    const signingIn = uniqueProcessEmail('inv.detour');
    await registerUser(server, signedInAlready);
    await registerUser(server, signingIn);
    await inviteByApi(owner, signedInAlready);
    await inviteByApi(owner, signingIn, 'viewer');

    // Signed in to the console, then the link opened in a new tab of the same browser.
    const first = await open();
    await signIn(first.page, signedInAlready);
    const tab = await open({ context: first.context });
    await tab.page.goto(await mailedLink(signedInAlready));
    await expect.poll(() => tab.page.getByRole('main').textContent()).toContain(`You are signed in as ${signedInAlready}.`);
    expect(tab.page.url()).not.toContain('token');
    expect(await accessibilityViolations(tab.page)).toEqual([]);
    await tab.page.getByRole('button', { name: 'Accept and join' }).click();
    await tab.page.waitForURL(new RegExp(`/w/${owner.workspaceId}/members$`));
    await expect.poll(() => tab.page.getByRole('cell', { name: 'Process Test (you)' }).count()).toBe(1);

    // Signed out: the screen offers the sign-in, and comes back to the invitation after it.
    const second = await open();
    await second.page.goto(await mailedLink(signingIn));
    await second.page.getByRole('button', { name: 'Sign in to accept' }).click();
    await second.page.waitForURL(/\/sign-in\?return=\/invitations\/accept$/);
    expect(second.page.url()).not.toContain('inv_');
    await second.page.getByLabel('E-mail', { exact: true }).fill(signingIn);
    await second.page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await second.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => second.page.getByRole('main').textContent()).toContain(`You are signed in as ${signingIn}.`);
    await second.page.getByRole('button', { name: 'Accept and join' }).click();
    await second.page.waitForURL(new RegExp(`/w/${owner.workspaceId}/members$`));

    const members = await api(server.url, 'GET', '/api/v1/members', { token: owner.token, headers: { 'x-workspace-id': String(owner.workspaceId) } });
    const roles = Object.fromEntries((members.body.data as Array<{ email: string; role: string }>).map((member) => [member.email, member.role]));
    expect(roles).toMatchObject({ [signedInAlready]: 'member', [signingIn]: 'viewer' });
    expect([...first.problems, ...tab.problems, ...second.problems]).toEqual([]);
  });

  it('speaks Spanish to a Spanish browser; a declined invitation opened again shows the API’s refusal', { timeout: 120_000 }, async () => {
    const { open, server } = harness();
    const owner = await ownerWithWorkspace('Sucursal Rechazo');
    const invitee = uniqueProcessEmail('inv.decline');
    await inviteByApi(owner, invitee, 'viewer');
    const link = await mailedLink(invitee);

    const { page, problems } = await open({ locale: 'es-DO' });
    await page.goto(link);
    await expect.poll(() => page.getByRole('main').textContent()).toContain('Olga Owner te invitó a unirte a «Sucursal Rechazo» como viewer.');
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate('document.documentElement.lang')).toBe('es');
    await page.getByRole('button', { name: 'Rechazar la invitación' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Rechazaste la invitación.');
    expect(await lookupStatus(tokenOf(link))).toBe(404);

    // Opened again, in a new browser: the API's refusal, in Spanish, with its code; nothing to act on.
    const again = await open({ locale: 'es-DO' });
    await again.page.goto(link);
    const alert = again.page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('La invitación no existe o ya fue respondida.');
    expect(await alert.textContent()).toContain('Código de error: INVITATION.NOT_FOUND');
    expect(await again.page.getByRole('button', { name: 'Crear cuenta y unirme' }).count()).toBe(0);
    expect(await again.page.getByRole('button', { name: 'Rechazar la invitación' }).count()).toBe(0);
    expect(await accessibilityViolations(again.page)).toEqual([]);

    const list = await api(server.url, 'GET', '/api/v1/invitations', { token: owner.token, headers: { 'x-workspace-id': String(owner.workspaceId) } });
    expect(list.body.data[0]).toMatchObject({ email: invitee, status: 'declined' });
    expect([...problems, ...again.problems]).toEqual([]);
  });

  it('resends (the earlier link dies) and revokes from the list, filters by status and pages through a long list', { timeout: 120_000 }, async () => {
    const { open, consoleUrl } = harness();
    const owner = await ownerWithWorkspace('Resend Revoke Branch');
    const resendTo = uniqueProcessEmail('inv.resend');
    const revokeTo = uniqueProcessEmail('inv.revoke');
    await inviteByApi(owner, resendTo);
    await inviteByApi(owner, revokeTo);
    // Enough for a second page of 25.
    for (let index = 0; index < 24; index += 1) await inviteByApi(owner, uniqueProcessEmail('inv.filler'));
    const firstLink = await mailedLink(resendTo);
    const revokedLink = await mailedLink(revokeTo);

    const { page, problems } = await open();
    await signIn(page, owner.email);
    await page.goto(consoleUrl(`/w/${owner.workspaceId}/invitations`));
    // Newest first or oldest first, the two are on the two pages: walk both.
    const rowOf = (email: string) => page.getByRole('row').filter({ hasText: email });
    const pager = page.getByRole('navigation', { name: 'Pagination' });
    await expect.poll(() => pager.getByRole('button', { name: 'Next page' }).isEnabled()).toBe(true);
    const onFirstPage = await page.getByRole('row').count();
    expect(onFirstPage).toBe(26); // the header and 25 invitations
    const goToRowOf = async (email: string) => {
      if ((await rowOf(email).count()) === 1) return;
      const next = pager.getByRole('button', { name: (await pager.getByRole('button', { name: 'Next page' }).isEnabled()) ? 'Next page' : 'Previous page' });
      await next.click();
      await expect.poll(() => rowOf(email).count()).toBe(1);
    };

    await goToRowOf(resendTo);
    await rowOf(resendTo).getByRole('button', { name: 'Send again' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'again' }).textContent()).toBe(
      `Invitation sent again to ${resendTo}. The earlier link no longer works.`,
    );
    const secondLink = await mailedLink(resendTo);
    expect(secondLink).not.toBe(firstLink);
    expect(await page.getByLabel(`Invitation link for ${resendTo}`).inputValue()).toBe(secondLink);
    expect(await lookupStatus(tokenOf(firstLink))).toBe(404);
    expect(await lookupStatus(tokenOf(secondLink))).toBe(200);

    await goToRowOf(revokeTo);
    await rowOf(revokeTo).getByRole('button', { name: 'Revoke' }).click();
    // Asked once more in place: nothing happens until confirmed.
    expect(await lookupStatus(tokenOf(revokedLink))).toBe(200);
    await rowOf(revokeTo).getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'revoked' }).textContent()).toBe(`The invitation to ${revokeTo} was revoked.`);
    await expect.poll(() => rowOf(revokeTo).getByRole('cell').nth(2).textContent()).toBe('Revoked');
    expect(await rowOf(revokeTo).getByRole('button').count()).toBe(0);
    expect(await lookupStatus(tokenOf(revokedLink))).toBe(404);

    await page.getByLabel('Show').selectOption('revoked');
    await expect.poll(() => page.getByRole('row').count()).toBe(2);
    expect(await rowOf(revokeTo).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('shows the API’s refusal of a role the inviter may not give, and greys out the key scopes they do not hold', { timeout: 120_000 }, async () => {
    const { open, consoleUrl, server } = harness();
    const owner = await ownerWithWorkspace('Limited Admin Branch');
    const inWorkspace = { 'x-workspace-id': String(owner.workspaceId) };
    // A custom role with a permission only the owner holds.
    const role = await api(server.url, 'POST', '/api/v1/roles', {
      token: owner.token,
      headers: inWorkspace,
      body: { name: 'closer', display_name: 'Closer', permissions: ['members:view', 'workspaces:delete'] },
    });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    const admin = uniqueProcessEmail('inv.admin');
    await inviteByApi(owner, admin, 'admin');
    const joined = await api(server.url, 'POST', '/api/v1/auth/register', {
      body: { name: 'Ada Admin', email: admin, password: PASSWORD, invitation_token: tokenOf(await mailedLink(admin)) },
    });
    expect(joined.status).toBe(201);

    const { page, problems } = await open();
    await signIn(page, admin);
    await page.goto(consoleUrl(`/w/${owner.workspaceId}/invitations`));
    await page.getByLabel('E-mail', { exact: true }).fill(uniqueProcessEmail('inv.refused'));
    await expect.poll(() => page.getByLabel('Role', { exact: true }).locator('option').allTextContents()).toContain('Closer');
    await page.getByLabel('Role', { exact: true }).selectOption('closer');
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Error code: AUTH.FORBIDDEN');
    // The permission the role would give and the admin lacks, named from the API's details.
    expect(await alert.textContent()).toContain('You lack the permission workspaces:delete.');
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(/\/api-keys$/);
    await expect.poll(() => page.getByRole('checkbox', { name: /^members:view/ }).isEnabled()).toBe(true);
    expect(await page.getByRole('checkbox', { name: /^workspaces:delete/ }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Select all I hold' }).click();
    expect(await page.getByRole('checkbox', { name: /^workspaces:delete/ }).isChecked()).toBe(false);
    expect(await page.getByRole('checkbox', { name: /^api_keys:manage/ }).isChecked()).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe.skipIf(!chromiumInstalled)('API keys through the console', () => {
  it('creates a key whose secret is shown once and works, then revokes it and the API refuses it; on a phone’s width', { timeout: 120_000 }, async () => {
    const { open, consoleUrl, server } = harness();
    const owner = await ownerWithWorkspace('Keys Console Branch');
    const { page, problems } = await open({ viewport: { width: 375, height: 800 } });
    await signIn(page, owner.email);
    await page.goto(consoleUrl(`/w/${owner.workspaceId}/api-keys`));
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('API keys');
    await expect.poll(() => page.getByRole('checkbox', { name: /^members:view/ }).count()).toBe(1);
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByLabel('Name', { exact: true }).fill('Reporting robot');
    await page.getByRole('checkbox', { name: /^members:view/ }).check();
    await page.getByRole('button', { name: 'Create the key' }).click();
    const secretField = page.getByLabel('Secret (select it and copy it)');
    await expect.poll(() => secretField.count()).toBe(1);
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^tsk_/);
    expect(await page.getByRole('region', { name: 'The secret of “Reporting robot”' }).textContent()).toContain('Copy it now: it will not be shown again.');
    // The field takes the focus, its text selected, ready to copy.
    expect(await page.evaluate('document.activeElement.id')).toBe('once-api-key-secret');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);

    const members = (bearer: string) => api(server.url, 'GET', '/api/v1/members', { headers: { authorization: `Bearer ${bearer}` } });
    const answered = await members(secret);
    expect(answered.status).toBe(200);
    expect(answered.body.data.map((member: { email: string }) => member.email)).toContain(owner.email);

    // Shown once: a reload shows the key, never its secret again.
    await page.reload();
    const row = page.getByRole('row').filter({ hasText: 'Reporting robot' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await page.getByLabel('Secret (select it and copy it)').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    const prefix = (await row.getByRole('cell').nth(1).textContent()) ?? '';
    expect(prefix).toMatch(/^tsk_.+…$/);
    expect(secret.startsWith(prefix.slice(0, -1))).toBe(true);
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('members:view');
    expect(await row.getByRole('cell').nth(3).textContent()).toBe('Active');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => row.getByRole('cell').nth(3).textContent()).toBe('Revoked');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'revoked' }).textContent()).toBe('The key “Reporting robot” was revoked: it no longer works.');
    expect((await members(secret)).status).toBe(401);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
