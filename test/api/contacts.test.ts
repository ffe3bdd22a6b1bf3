/**
 * Contacts (issue 18, first part): /api/v1/contacts in the workspace of X-Workspace-ID.
 * Customers and vendors with a tax id that is a valid RNC (9 digits) or cédula (11), its
 * check digit verified, kept as digits and unique in the workspace (the database decides a
 * race); searched by exact tax id or name prefix; another workspace's contacts are absent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { createWorkspace, register, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let ws: number;
let other: number;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Contacts Owner' });
  ws = (await createWorkspace(t, owner, 'Contacts Branch')).id;
  other = (await createWorkspace(t, owner, 'Contacts Other')).id;
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

function send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, id = ws) {
  return t.request({ method, url, headers: { ...owner.auth, 'x-workspace-id': String(id) }, ...(payload === undefined ? {} : { payload: payload as object }) });
}
async function created(payload: unknown, id = ws) {
  const response = await send('POST', '/api/v1/contacts', payload, id);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data;
}
const contactCount = async () => Number((await t.db.selectFrom('contacts').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('contacts', () => {
  it('creates, reads, changes and deletes a contact; a tax id written with dashes is kept as digits with its type', async () => {
    const contact = await created({ name: '  Ferretería Central SRL ', tax_id: '1-01-85004-3', email: 'compras@central.do', phone: '809-555-0100', address: 'Av. Duarte 12' });
    expect(contact).toMatchObject({ kind: 'customer', name: 'Ferretería Central SRL', tax_id: '101850043', tax_id_type: 'rnc', email: 'compras@central.do' });
    expect((await send('GET', `/api/v1/contacts/${contact.id}`)).json().data).toEqual(contact);
    const changed = await send('PATCH', `/api/v1/contacts/${contact.id}`, { kind: 'both', tax_id: '001-1391820-5' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().data).toMatchObject({ kind: 'both', tax_id: '00113918205', tax_id_type: 'cedula' });
    const cleared = await send('PATCH', `/api/v1/contacts/${contact.id}`, { tax_id: null, phone: null });
    expect(cleared.json().data).toMatchObject({ tax_id: null, tax_id_type: null, phone: null });
    expect((await send('DELETE', `/api/v1/contacts/${contact.id}`)).statusCode).toBe(200);
    expect((await send('GET', `/api/v1/contacts/${contact.id}`)).json().error.code).toBe('CONTACT.NOT_FOUND');
    const audit = await t.db.selectFrom('audit_events').select('action').where('target_type', '=', 'contact').where('target_id', '=', String(contact.id)).orderBy('id').execute();
    expect(audit.map((event) => event.action)).toEqual(['contact.created', 'contact.updated', 'contact.updated', 'contact.deleted']);
  });

  it('refuses a tax id that is not an RNC or a cédula, or whose check digit is wrong (422 naming the field), writing nothing', async () => {
    const before = await contactCount();
    for (const taxId of ['101850042', '00113918204', '1234567890', '12345678A', '10185004-3-1']) {
      const response = await send('POST', '/api/v1/contacts', { name: `Bad ${taxId}`, tax_id: taxId });
      expect([response.statusCode, response.json().error.code, Object.keys(response.json().error.details ?? {})], taxId).toEqual([422, 'VALIDATION.FAILED', ['tax_id']]);
    }
    const contact = await created({ name: 'Good one', tax_id: '131246796' });
    const patched = await send('PATCH', `/api/v1/contacts/${contact.id}`, { tax_id: '131246795' });
    expect([patched.statusCode, patched.json().error.details]).toEqual([422, { tax_id: "the RNC's check digit does not match" }]);
    expect((await send('GET', `/api/v1/contacts/${contact.id}`)).json().data.tax_id).toBe('131246796');
    expect(await contactCount()).toBe(before + 1);
  });

  it('keeps a tax id unique in the workspace, even for creates racing each other, and free in another workspace', async () => {
    const taxId = '22400022111';
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => send('POST', '/api/v1/contacts', { name: `Racer ${i}`, tax_id: taxId })));
    expect(answers.map((answer) => answer.statusCode).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
    expect(answers.find((answer) => answer.statusCode === 409)?.json().error).toMatchObject({ code: 'CONTACT.TAX_ID_TAKEN', details: { tax_id: taxId } });
    expect(await t.db.selectFrom('contacts').select('id').where('workspace_id', '=', ws).where('tax_id', '=', taxId).execute()).toHaveLength(1);
    await created({ name: 'Same person elsewhere', tax_id: '224-0002211-1' }, other);
    const first = await created({ name: 'Renamed later', tax_id: null });
    const taken = await send('PATCH', `/api/v1/contacts/${first.id}`, { tax_id: taxId });
    expect([taken.statusCode, taken.json().error.code]).toEqual([409, 'CONTACT.TAX_ID_TAKEN']);
  });

  it('finds contacts by exact tax id or name prefix and by kind, page by page', async () => {
    const search = (await createWorkspace(t, owner, 'Contacts Search')).id;
    await created({ name: 'Alpha Supplies', kind: 'vendor', tax_id: '101850043' }, search);
    await created({ name: 'alpha beta', kind: 'customer' }, search);
    await created({ name: 'Gamma 100%', kind: 'both' }, search);
    const names = async (query: string) => ((await send('GET', `/api/v1/contacts?${query}`, undefined, search)).json().data as { name: string }[]).map((row) => row.name);
    expect(await names('q=ALPHA')).toEqual(['Alpha Supplies', 'alpha beta']);
    expect(await names('q=1-01-85004-3')).toEqual(['Alpha Supplies']);
    expect(await names('q=%25')).toEqual([]);
    expect(await names('kind=vendor')).toEqual(['Alpha Supplies', 'Gamma 100%']);
    expect(await names('kind=customer')).toEqual(['alpha beta', 'Gamma 100%']);
    const page = (await send('GET', '/api/v1/contacts?limit=2', undefined, search)).json();
    expect(page.data).toHaveLength(2);
    expect((await send('GET', `/api/v1/contacts?limit=2&cursor=${page.meta.next_cursor}`, undefined, search)).json().data.map((row: { name: string }) => row.name)).toEqual(['Gamma 100%']);
  });

  it("answers another workspace's contact as one that exists nowhere, changing nothing", async () => {
    const theirs = await created({ name: 'Their customer', tax_id: '131246796' }, other);
    for (const [method, payload] of [['GET', undefined], ['PATCH', { name: 'Mine now' }], ['DELETE', undefined]] as const) {
      const answer = await send(method, `/api/v1/contacts/${theirs.id}`, payload);
      const nowhere = await send(method, '/api/v1/contacts/2147483647', payload);
      expect([answer.statusCode, answer.json().error.code]).toEqual([404, 'CONTACT.NOT_FOUND']);
      expect(answer.body).toBe(nowhere.body);
    }
    expect((await send('GET', '/api/v1/contacts?q=Their')).json().data).toEqual([]);
    expect((await send('GET', `/api/v1/contacts/${theirs.id}`, undefined, other)).json().data.name).toBe('Their customer');
  });
});
