/**
 * Seed 001 (and its summary, seed 000): every documented request, as written, with
 * only the base URL swapped. Each test names the section of the document it replays.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let admin: Session;
let jane: Session;
let mainStore: { id: number };
let warehouse: { id: number };

beforeAll(async () => {
  t = await startTestApp();
  admin = await register(t, { name: 'Admin User', email: 'admin@example.com' });
  jane = await register(t, { name: 'Jane Smith', email: 'jane@example.com' });
  mainStore = await createWorkspace(t, admin, 'Main Store');
  warehouse = await createWorkspace(t, admin, 'Warehouse');
  await addMembership(t, mainStore.id, jane.userId, 'member');
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

const json = { 'Content-Type': 'application/json', Accept: 'application/json' };

describe('seed 001', () => {
  it('List Workspaces: GET /api/v1/workspaces returns each workspace with owner and is_owner', async () => {
    const response = await t.request({ method: 'GET', url: '/api/v1/workspaces', headers: { ...admin.auth, Accept: 'application/json' } });
    expect(response.statusCode).toBe(200);
    const [first] = response.json().data;
    expect(first).toMatchObject({
      id: mainStore.id,
      name: 'Main Store',
      owner_id: admin.userId,
      owner: { id: admin.userId, name: 'Admin User', email: 'admin@example.com' },
      is_owner: true,
    });
    expect(first.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(first.updated_at).toBeDefined();

    const asJane = await t.request({ method: 'GET', url: '/api/v1/workspaces', headers: jane.auth });
    expect(asJane.json().data.map((w: { id: number }) => w.id)).toEqual([mainStore.id]);
    expect(asJane.json().data[0].is_owner).toBe(false);
  });

  it('Create Workspace: POST /api/v1/workspaces {"name": "New Branch"} answers 201 with the localized message', async () => {
    const response = await t.request({
      method: 'POST',
      url: '/api/v1/workspaces',
      headers: { ...admin.auth, ...json, 'Accept-Language': 'es' },
      payload: JSON.stringify({ name: 'New Branch' }),
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.message).toBe('¡Sucursal creada correctamente!');
    expect(body.data).toMatchObject({ name: 'New Branch', owner_id: admin.userId });
    expect(typeof body.data.id).toBe('number');
    expect(body.data.created_at).toBeDefined();
    // "you automatically become its owner and are added as a member … becomes your current active workspace"
    const me = await t.request({ method: 'GET', url: '/api/v1/me', headers: admin.auth });
    expect(me.json().data.current_workspace_id).toBe(body.data.id);
    const members = await t.request({ method: 'GET', url: '/api/v1/members', headers: admin.auth });
    expect(members.json().data).toEqual([expect.objectContaining({ id: admin.userId, role: 'owner' })]);
  });

  it('Create Workspace: the name must be unique within the tenant (409 WORKSPACE.NAME_TAKEN)', async () => {
    const response = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: { ...admin.auth, ...json }, payload: { name: ' main  STORE ' } });
    expect(response.statusCode).toBe(409);
    expect(response.json().error.code).toBe('WORKSPACE.NAME_TAKEN');
  });

  it('Update Workspace: only owners; answers {id, name, updated_at} and "¡Sucursal actualizada correctamente!"', async () => {
    const response = await t.request({
      method: 'PUT',
      url: `/api/v1/workspaces/${warehouse.id}`,
      headers: { ...admin.auth, ...json, 'Accept-Language': 'es' },
      payload: { name: 'Updated Branch Name' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      data: { id: warehouse.id, name: 'Updated Branch Name' },
      message: '¡Sucursal actualizada correctamente!',
    });
    expect(response.json().data.updated_at).toBeDefined();

    const notOwner = await t.request({ method: 'PUT', url: `/api/v1/workspaces/${mainStore.id}`, headers: { ...jane.auth, ...json }, payload: { name: 'Mine now' } });
    expect(notOwner.statusCode).toBe(403);
    const invisible = await t.request({ method: 'PUT', url: `/api/v1/workspaces/${warehouse.id}`, headers: { ...jane.auth, ...json }, payload: { name: 'Mine now' } });
    expect(invisible.statusCode).toBe(404);
  });

  it('Switch Workspace Context: PATCH /api/v1/workspace-context/{id} answers the documented shape', async () => {
    const response = await t.request({
      method: 'PATCH',
      url: `/api/v1/workspace-context/${warehouse.id}`,
      headers: { ...admin.auth, Accept: 'application/json' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      data: { current_workspace_id: warehouse.id, workspace: { id: warehouse.id, name: 'Updated Branch Name' } },
      message: 'Workspace context updated.',
    });
    const me = await t.request({ method: 'GET', url: '/api/v1/me', headers: admin.auth });
    expect(me.json().data.current_workspace_id).toBe(warehouse.id);
  });

  it('Clear Workspace Context: DELETE /api/v1/workspace-context/{id} answers {"message": "Workspace context cleared."}', async () => {
    await t.request({ method: 'PATCH', url: `/api/v1/workspace-context/${mainStore.id}`, headers: admin.auth });
    const response = await t.request({ method: 'DELETE', url: `/api/v1/workspace-context/${mainStore.id}`, headers: admin.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: 'Workspace context cleared.' });
    const members = await t.request({ method: 'GET', url: '/api/v1/members', headers: admin.auth });
    expect(members.statusCode).toBe(409);
    expect(members.json().error.code).toBe('CONTEXT.REQUIRED');
  });

  it('List Members: GET /api/v1/members lists the current workspace members with role and added_at', async () => {
    await t.request({ method: 'PATCH', url: `/api/v1/workspace-context/${mainStore.id}`, headers: admin.auth });
    const response = await t.request({ method: 'GET', url: '/api/v1/members', headers: admin.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual([
      { id: admin.userId, name: 'Admin User', email: 'admin@example.com', role: 'owner', added_at: expect.any(String) },
      { id: jane.userId, name: 'Jane Smith', email: 'jane@example.com', role: 'member', added_at: expect.any(String) },
    ]);
  });

  it('Update Member Role: PUT /api/v1/members/{id} {"role": "admin"} answers "Member role updated successfully."', async () => {
    const response = await t.request({
      method: 'PUT',
      url: `/api/v1/members/${jane.userId}`,
      headers: { ...admin.auth, ...json, 'X-Workspace-ID': String(mainStore.id) },
      payload: { role: 'admin' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: 'Member role updated successfully.' });
    // Role names: admin, member, viewer, or a custom role.
    for (const role of ['member', 'viewer', 'admin']) {
      const again = await t.request({ method: 'PUT', url: `/api/v1/members/${jane.userId}`, headers: admin.auth, payload: { role } });
      expect(again.statusCode).toBe(200);
    }
  });

  it('Remove Member: "You cannot remove the workspace owner" (409), a member is removed with the documented message', async () => {
    const owner = await t.request({ method: 'DELETE', url: `/api/v1/members/${admin.userId}`, headers: admin.auth });
    expect(owner.statusCode).toBe(409);
    expect(owner.json().error.code).toBe('MEMBER.IS_OWNER');

    const temp = await register(t, { name: 'Temp' });
    await addMembership(t, mainStore.id, temp.userId, 'member');
    const response = await t.request({ method: 'DELETE', url: `/api/v1/members/${temp.userId}`, headers: admin.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: 'Member removed from workspace.' });
    // Removal acts on the very next request of the removed member.
    const after = await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...temp.auth, 'X-Workspace-ID': String(mainStore.id) } });
    expect(after.statusCode).toBe(404);
  });

  it('Send Invitation: POST /api/v1/invitations {email, role} answers {id, email, role, token, expires_at} and "Invitation sent successfully."', async () => {
    const before = Date.now();
    const response = await t.request({
      method: 'POST',
      url: '/api/v1/invitations',
      headers: { ...admin.auth, ...json },
      payload: { email: 'newuser@example.com', role: 'member' },
    });
    expect(response.statusCode).toBe(201);
    const { data, message } = response.json();
    expect(message).toBe('Invitation sent successfully.');
    expect(data).toMatchObject({ email: 'newuser@example.com', role: 'member' });
    expect(typeof data.id).toBe('number');
    expect(typeof data.token).toBe('string');
    // "The invitation expires after 7 days."
    expect(Math.round((Date.parse(data.expires_at) - before) / 86_400_000)).toBe(7);
    // "The invited user will receive an email with a link to accept the invitation."
    const mail = await t.db.selectFrom('outbox_messages').select(['recipient', 'text_body']).where('recipient', '=', 'newuser@example.com').executeTakeFirstOrThrow();
    expect(mail.text_body).toContain(encodeURIComponent(data.token));
  });

  it('List Roles, Create Custom Role: POST /api/v1/roles with the sales_rep example answers the documented data', async () => {
    const list = await t.request({ method: 'GET', url: '/api/v1/roles', headers: admin.auth });
    expect(list.statusCode).toBe(200);
    const names = list.json().data.map((role: { name: string }) => role.name);
    expect(names).toEqual(expect.arrayContaining(['owner', 'admin', 'member', 'viewer']));
    const adminRole = list.json().data.find((role: { name: string }) => role.name === 'admin');
    expect(adminRole).toMatchObject({ display_name: 'Administrator' });
    expect(adminRole.permissions).toEqual(expect.arrayContaining(['invoices:view', 'invoices:create', 'invoices:edit', 'invoices:delete', 'products:view', 'products:create']));

    const permissions = ['invoices:view', 'invoices:create', 'quotations:view', 'quotations:create', 'contacts:view'];
    const created = await t.request({
      method: 'POST',
      url: '/api/v1/roles',
      headers: { ...admin.auth, ...json },
      payload: { name: 'sales_rep', display_name: 'Sales Representative', permissions },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().message).toBe('Role created successfully.');
    expect(created.json().data).toMatchObject({ name: 'sales_rep', display_name: 'Sales Representative' });
    expect([...created.json().data.permissions].sort()).toEqual([...permissions].sort());

    const duplicate = await t.request({
      method: 'POST',
      url: '/api/v1/roles',
      headers: admin.auth,
      payload: { name: 'sales_rep', display_name: 'Again', permissions: [] },
    });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().error.code).toBe('WORKSPACE.ROLE_NAME_EXISTS');
  });

  it('Update Role: "Built-in roles (admin, member) cannot be modified" (409); custom roles can', async () => {
    const roles = (await t.request({ method: 'GET', url: '/api/v1/roles', headers: admin.auth })).json().data as Array<{ id: number; name: string }>;
    const builtin = roles.find((role) => role.name === 'member');
    const custom = roles.find((role) => role.name === 'sales_rep');
    const refused = await t.request({ method: 'PUT', url: `/api/v1/roles/${builtin?.id}`, headers: admin.auth, payload: { permissions: ['invoices:view'] } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('ROLE.BUILTIN');
    const updated = await t.request({ method: 'PUT', url: `/api/v1/roles/${custom?.id}`, headers: admin.auth, payload: { permissions: ['invoices:view'] } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json().data.permissions).toEqual(['invoices:view']);
  });

  it('Delete Role: "Users assigned to this role will need to be reassigned" (409 without reassign_to)', async () => {
    const roles = (await t.request({ method: 'GET', url: '/api/v1/roles', headers: admin.auth })).json().data as Array<{ id: number; name: string }>;
    const custom = roles.find((role) => role.name === 'sales_rep');
    await t.request({ method: 'PUT', url: `/api/v1/members/${jane.userId}`, headers: admin.auth, payload: { role: 'sales_rep' } });
    const inUse = await t.request({ method: 'DELETE', url: `/api/v1/roles/${custom?.id}`, headers: admin.auth });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error.code).toBe('ROLE.IN_USE');
    const deleted = await t.request({ method: 'DELETE', url: `/api/v1/roles/${custom?.id}?reassign_to=member`, headers: admin.auth });
    expect(deleted.statusCode).toBe(200);
    const members = (await t.request({ method: 'GET', url: '/api/v1/members', headers: admin.auth })).json().data;
    expect(members.find((m: { id: number }) => m.id === jane.userId).role).toBe('member');
  });

  it('Set Preferred Document Subtype: answers {"message": "Preferred document subtype updated."}', async () => {
    const response = await t.request({
      method: 'PUT',
      url: `/api/v1/workspaces/${mainStore.id}/preferred-document-subtype`,
      headers: { ...admin.auth, ...json },
      payload: { document_subtype: 'B01' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: 'Preferred document subtype updated.' });
    const workspace = await t.request({ method: 'GET', url: `/api/v1/workspaces/${mainStore.id}`, headers: admin.auth });
    expect(workspace.json().data.preferred_document_subtype).toBe('B01');
    const bad = await t.request({ method: 'PUT', url: `/api/v1/workspaces/${mainStore.id}/preferred-document-subtype`, headers: admin.auth, payload: { document_subtype: 'b1' } });
    expect(bad.statusCode).toBe(422);
  });

  it('Multi-Workspace Operations: X-Workspace-ID overrides the current workspace; a workspace you cannot access is 404', async () => {
    const viaHeader = await t.request({ method: 'GET', url: '/api/v1/permissions/me', headers: { ...admin.auth, 'X-Workspace-ID': String(warehouse.id) } });
    expect(viaHeader.json().data.workspace_id).toBe(warehouse.id);
    const current = await t.request({ method: 'GET', url: '/api/v1/permissions/me', headers: admin.auth });
    expect(current.json().data.workspace_id).toBe(mainStore.id);
    const foreign = await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...jane.auth, 'X-Workspace-ID': String(warehouse.id) } });
    expect(foreign.statusCode).toBe(404);
    const missing = await t.request({ method: 'GET', url: '/api/v1/members', headers: { ...jane.auth, 'X-Workspace-ID': '999999' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual(foreign.json());
  });
  it('Example: Create Invoice in Specific Workspace — POST /api/v1/invoices with X-Workspace-ID creates it there; a workspace you cannot access is 404', async () => {
    // The seed elides the body ('{...}'): a draft of one free-text line, Tessera's shape.
    const body = JSON.stringify({ lines: [{ description: 'Consulting', quantity: '2', unit_price: '150.00' }] });
    const response = await t.request({
      method: 'POST',
      url: '/api/v1/invoices',
      headers: { Authorization: `Bearer ${admin.accessToken}`, 'X-Workspace-ID': String(warehouse.id), 'Content-Type': 'application/json' },
      payload: body,
    });
    expect(response.statusCode, response.body).toBe(201);
    const created = response.json().data;
    expect(created).toMatchObject({ status: 'draft', subtotal: '300.00' });
    expect((await t.db.selectFrom('invoices').select('workspace_id').where('id', '=', created.id).executeTakeFirstOrThrow()).workspace_id).toBe(warehouse.id);
    // Not in the current workspace: the header chose where it went.
    const inCurrent = await t.request({ method: 'GET', url: `/api/v1/invoices/${created.id}`, headers: admin.auth });
    expect(inCurrent.statusCode).toBe(404);
    const foreign = await t.request({ method: 'POST', url: '/api/v1/invoices', headers: { Authorization: `Bearer ${jane.accessToken}`, 'X-Workspace-ID': String(warehouse.id), 'Content-Type': 'application/json' }, payload: body });
    const missing = await t.request({ method: 'POST', url: '/api/v1/invoices', headers: { Authorization: `Bearer ${jane.accessToken}`, 'X-Workspace-ID': '999999', 'Content-Type': 'application/json' }, payload: body });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toEqual(missing.json());
  });
});
