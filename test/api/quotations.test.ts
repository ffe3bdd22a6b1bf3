/**
 * Quotations (issue 18): /api/v1/quotations in the workspace of X-Workspace-ID, priced as
 * invoices are, converted into a draft invoice once (ten conversions racing: one lands), a
 * converted one fixed and kept; another workspace's answered as missing.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import { createWorkspace, register, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Quotations Owner' });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
async function workspace(name: string) {
  const created = await createWorkspace(t, owner, name);
  await planAdministration.assign(t.db, created.id, { plan_key: 'business' });
  const send = (method: Method, url: string, payload?: unknown) =>
    t.request({ method, url, headers: { ...owner.auth, 'x-workspace-id': String(created.id) }, ...(payload === undefined ? {} : { payload: payload as object }) });
  return { id: created.id, send };
}
async function ok(response: { statusCode: number; body: string; json(): any }, status = 200) {
  expect(response.statusCode, response.body).toBe(status);
  return response.json().data;
}

describe('quotations', () => {
  it('prices a quotation as an invoice, converts it once into a draft invoice with its lines, and keeps it fixed after', async () => {
    const w = await workspace('Quoting');
    await ok(await w.send('PATCH', `/api/v1/workspaces/${w.id}/settings`, { default_currency: 'DOP', default_tax_percent: 18, default_tax_included: false }));
    const customer = await ok(await w.send('POST', '/api/v1/contacts', { name: 'Hotel Colonial' }), 201);
    const item = await ok(await w.send('POST', '/api/v1/items', { sku: 'PAINT', name: 'Pintura blanca', sell_price: '1250' }), 201);
    const quotation = await ok(
      await w.send('POST', '/api/v1/quotations', { contact_id: customer.id, valid_until: '2027-01-31', notes: 'Precio por 30 días', lines: [{ item_id: item.id, quantity: '4', discount_percent: '5' }, { description: 'Aplicación', quantity: '1', unit_price: '3000' }] }),
      201,
    );
    // 4 × 1250 less 5 % = 4750.00, tax 855.00; 3000.00, tax 540.00.
    expect(quotation).toMatchObject({ status: 'open', currency: 'DOP', subtotal: '7750.00', tax: '1395.00', total: '9145.00', valid_until: '2027-01-31', converted_invoice_id: null });
    const changed = await ok(await w.send('PATCH', `/api/v1/quotations/${quotation.id}`, { notes: 'Precio por 15 días' }));
    expect(changed).toMatchObject({ notes: 'Precio por 15 días', total: '9145.00' });

    const racers = await Promise.all(Array.from({ length: 10 }, () => w.send('POST', `/api/v1/quotations/${quotation.id}/convert`)));
    expect(racers.map((answer) => answer.statusCode).sort()).toEqual([201, ...Array<number>(9).fill(409)]);
    const invoice = racers.find((answer) => answer.statusCode === 201)?.json().data;
    expect(racers.find((answer) => answer.statusCode === 409)?.json().error.code).toBe('QUOTATION.CONVERTED');
    expect(invoice).toMatchObject({ status: 'draft', contact_id: customer.id, currency: 'DOP', total: '9145.00', notes: 'Precio por 15 días' });
    expect(invoice.lines.map((line: any) => [line.description, line.quantity, line.unit_price, line.discount_percent, line.total])).toEqual([
      ['Pintura blanca', '4', '1250.00', '5', '5605.00'],
      ['Aplicación', '1', '3000.00', '0', '3540.00'],
    ]);
    expect(await t.db.selectFrom('invoices').select('id').where('workspace_id', '=', w.id).execute()).toHaveLength(1);
    expect(await ok(await w.send('GET', `/api/v1/quotations/${quotation.id}`))).toMatchObject({ status: 'converted', converted_invoice_id: invoice.id });
    for (const [method, payload] of [['PATCH', { notes: 'late' }], ['DELETE', undefined]] as const) {
      const refused = await w.send(method, `/api/v1/quotations/${quotation.id}`, payload);
      expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'QUOTATION.CONVERTED']);
    }
    // The draft it became is kept while it names it.
    const kept = await w.send('DELETE', `/api/v1/invoices/${invoice.id}`);
    expect([kept.statusCode, kept.json().error.code]).toEqual([409, 'INVOICE.IN_USE']);
    await expect(sql`update quotations set status = 'open', converted_invoice_id = null, converted_at = null where id = ${quotation.id}`.execute(t.db)).rejects.toThrow();
    await expect(sql`delete from quotation_lines where quotation_id = ${quotation.id}`.execute(t.db)).rejects.toThrow();
    expect((await ok(await w.send('GET', '/api/v1/quotations?status=open'))).map((row: any) => row.id)).not.toContain(quotation.id);
  });

  it("answers another workspace's quotation as one that exists nowhere, changing nothing", async () => {
    const mine = await workspace('Mine Q');
    const theirs = await workspace('Theirs Q');
    const quotation = await ok(await theirs.send('POST', '/api/v1/quotations', { lines: [{ description: 'Theirs', quantity: '1', unit_price: '9' }] }), 201);
    for (const [method, url, payload] of [
      ['GET', `/api/v1/quotations/${quotation.id}`, undefined],
      ['PATCH', `/api/v1/quotations/${quotation.id}`, { notes: 'mine' }],
      ['DELETE', `/api/v1/quotations/${quotation.id}`, undefined],
      ['POST', `/api/v1/quotations/${quotation.id}/convert`, {}],
    ] as const) {
      const answer = await mine.send(method, url, payload);
      const nowhere = await mine.send(method, url.replace(String(quotation.id), '2147483647'), payload);
      expect([answer.statusCode, answer.json().error.code], `${method} ${url}`).toEqual([404, 'QUOTATION.NOT_FOUND']);
      expect(answer.body).toBe(nowhere.body);
    }
    expect(await ok(await theirs.send('GET', `/api/v1/quotations/${quotation.id}`))).toMatchObject({ status: 'open', notes: null });
    expect(await ok(await mine.send('GET', '/api/v1/quotations'))).toEqual([]);
  });
});
