import { describe, expect, it } from 'vitest';
import { accessibilityViolations, chromiumInstalled, useConsoleHarness } from '../support/console.ts';
import { api, PASSWORD, registerUser, uniqueProcessEmail } from '../support/process.ts';

/** The members screen in Chromium: a role changed, a member removed, the ownership handed over; by mouse and by keyboard alone. */

const harness = useConsoleHarness();

/** An owner signed in through the console with a workspace of three members (admin, member, viewer) made through the API. */
async function workspaceWithMembers(name: string) {
  const { server, open, consoleUrl } = harness();
  const ownerEmail = uniqueProcessEmail('members.owner');
  const owner = await registerUser(server, ownerEmail);
  const created = await api(server.url, 'POST', '/api/v1/workspaces', { token: owner.accessToken, body: { name } });
  const workspaceId = created.body.data.id as number;
  const inWorkspace = { 'x-workspace-id': String(workspaceId) };
  const people: Record<string, { id: number; email: string; token: string }> = {};
  for (const role of ['admin', 'member', 'viewer']) {
    const email = uniqueProcessEmail(`members.${role}`);
    const invited = await api(server.url, 'POST', '/api/v1/invitations', { token: owner.accessToken, headers: inWorkspace, body: { email, role } });
    const person = await api(server.url, 'POST', '/api/v1/auth/register', {
      body: { name: `The ${role[0]?.toUpperCase()}${role.slice(1)}`, email, password: PASSWORD, invitation_token: invited.body.data.token },
    });
    expect(person.status, JSON.stringify(person.body)).toBe(201);
    people[role] = { id: person.body.data.user.id, email, token: person.body.data.access_token };
  }
  const session = await open();
  await session.page.goto(consoleUrl('/sign-in'));
  await session.page.getByLabel('E-mail').fill(ownerEmail);
  await session.page.getByLabel('Password').fill(PASSWORD);
  await session.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await session.page.waitForURL(/\/console\/w\/\d+\/members$/);
  await session.page.goto(consoleUrl(`/w/${workspaceId}/members`));
  await expect.poll(() => session.page.getByRole('row').count()).toBe(5);
  return { ...session, owner, workspaceId, inWorkspace, people };
}

const roleOf = async (baseUrl: string, token: string, headers: Record<string, string>, userId: number) => {
  const members = await api(baseUrl, 'GET', '/api/v1/members', { token, headers });
  return (members.body.data as Array<{ id: number; role: string }>).find((member) => member.id === userId)?.role;
};

describe.skipIf(!chromiumInstalled)('the members screen', () => {
  it('changes a role, removes a member and hands the ownership over, each as the API records it', { timeout: 120_000 }, async () => {
    const { server } = harness();
    const { page, problems, owner, inWorkspace, people } = await workspaceWithMembers('Members Screen Branch');
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByLabel('Role of The Viewer').selectOption('member');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('The Viewer is now member.');
    expect(await roleOf(server.url, owner.accessToken, inWorkspace, people.viewer?.id ?? 0)).toBe('member');

    const memberRow = page.getByRole('row', { name: /The Member/ });
    await memberRow.getByRole('button', { name: 'Remove' }).click();
    await memberRow.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('The Member was removed.');
    expect(await roleOf(server.url, owner.accessToken, inWorkspace, people.member?.id ?? 0)).toBeUndefined();

    const adminRow = page.getByRole('row', { name: /The Admin/ });
    await adminRow.getByRole('button', { name: 'Make owner' }).click();
    await adminRow.getByRole('button', { name: 'Confirm' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('The Admin now owns this workspace.');
    expect(await roleOf(server.url, owner.accessToken, inWorkspace, people.admin?.id ?? 0)).toBe('owner');
    // No longer the owner: the controls only an owner has are gone.
    await expect.poll(() => page.getByRole('button', { name: 'Make owner' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows the API’s refusal in place, and a viewer sees the list without the controls', { timeout: 120_000 }, async () => {
    const { server, open, consoleUrl } = harness();
    const { page, problems, workspaceId, owner, inWorkspace, people } = await workspaceWithMembers('Refusals Branch');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in$/);

    // The admin works in the console; the owner demotes them through the API meanwhile.
    const signInAs = async (target: typeof page, email: string) => {
      await target.goto(consoleUrl('/sign-in'));
      await target.getByLabel('E-mail').fill(email);
      await target.getByLabel('Password').fill(PASSWORD);
      await target.getByRole('button', { name: 'Sign in', exact: true }).click();
      await target.waitForURL(/\/console\/(w\/\d+\/members|workspaces)$/);
      await target.goto(consoleUrl(`/w/${workspaceId}/members`));
      await expect.poll(() => target.getByRole('row').count()).toBe(5);
    };
    await signInAs(page, people.admin?.email ?? '');
    const demoted = await api(server.url, 'PUT', `/api/v1/members/${people.admin?.id}`, { token: owner.accessToken, headers: inWorkspace, body: { role: 'viewer' } });
    expect(demoted.status).toBe(200);
    await page.getByLabel('Role of The Member').selectOption('viewer');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('AUTH.FORBIDDEN');
    expect(await roleOf(server.url, owner.accessToken, inWorkspace, people.member?.id ?? 0)).toBe('member');

    const viewer = await open();
    await signInAs(viewer.page, people.viewer?.email ?? '');
    expect(await viewer.page.getByRole('combobox', { name: /Role of/ }).count()).toBe(0);
    expect(await viewer.page.getByRole('button', { name: 'Remove' }).count()).toBe(0);
    expect(await accessibilityViolations(viewer.page)).toEqual([]);

    // A workspace the viewer is not in: the API's 404, shown as such.
    const elsewhere = await api(server.url, 'POST', '/api/v1/workspaces', { token: people.admin?.token ?? '', body: { name: 'Not Yours Branch' } });
    await viewer.page.goto(consoleUrl(`/w/${elsewhere.body.data.id}/members`));
    await expect.poll(() => viewer.page.getByRole('alert').textContent()).toContain('WORKSPACE.NOT_FOUND');
    expect([...problems, ...viewer.problems]).toEqual([]);
  });

  it('is usable by keyboard alone, and fits a phone’s width', { timeout: 120_000 }, async () => {
    const { page, problems } = await workspaceWithMembers('Keyboard Branch');
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    // The first stop of the page is the link past the navigation; arriving, the focus is on the screen's heading.
    expect(await page.evaluate("document.querySelector('a[href], button, input, select').textContent")).toBe('Skip to content');
    expect(await page.evaluate('document.activeElement.tagName')).toBe('H1');
    // Tab on to the viewer's role, change it with the arrow keys.
    const viewerRole = page.getByLabel('Role of The Viewer');
    for (let step = 0; step < 40; step += 1) {
      if (await viewerRole.evaluate((element) => element === element.ownerDocument.activeElement)) break;
      await page.keyboard.press('Tab');
    }
    await viewerRole.press('ArrowUp');
    await expect.poll(() => page.getByRole('status').textContent()).toMatch(/The Viewer is now/);
    // Remove by keyboard: Enter on Remove, and the confirmation takes the focus.
    const memberRow = page.getByRole('row', { name: /The Member/ });
    await memberRow.getByRole('button', { name: 'Remove' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Confirm');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('The Member was removed.');
    expect(problems).toEqual([]);
  });
});
