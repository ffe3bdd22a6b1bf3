/**
 * Invoices and NCF sequences (issue 18): /api/v1/invoices and /api/v1/ncf-sequences in the
 * workspace of X-Workspace-ID. Drafts with exact totals from the workspace settings; issuing
 * numbers them (gapless, per workspace and prefix), draws their NCF and their stock in one
 * transaction; payments, partial or whole; voiding keeps the number and gives the stock back;
 * NCF ranges never overlap within a tenant, hand over to the next when used up, expire at the
 * end of 31 December of the year after authorisation in Santo Domingo; format 608 as CSV.
 */
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planAdministration } from '../../src/modules/plans/plans.service.ts';
import { invariantViolations } from '../support/invariants.ts';
import { addMembership, createWorkspace, register, signInAgain, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Invoices Owner' });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
const sender = (session: Session, workspaceId: number) => (method: Method, url: string, payload?: unknown) =>
  t.request({ method, url, headers: { ...session.auth, 'x-workspace-id': String(workspaceId) }, ...(payload === undefined ? {} : { payload: payload as object }) });

async function ok(response: { statusCode: number; body: string; json(): any }, status = 200) {
  expect(response.statusCode, response.body).toBe(status);
  return response.json().data;
}

/** A workspace on the business plan with an item stocked at its default location, settings as given. */
async function shop(name: string, settings: Record<string, unknown> = {}) {
  const workspace = await createWorkspace(t, owner, name);
  await planAdministration.assign(t.db, workspace.id, { plan_key: 'business' });
  const send = sender(owner, workspace.id);
  if (Object.keys(settings).length > 0) await ok(await send('PATCH', `/api/v1/workspaces/${workspace.id}/settings`, settings));
  const details = await ok(await send('GET', `/api/v1/workspaces/${workspace.id}`));
  const location = details.default_location_id as number;
  const item = await ok(await send('POST', '/api/v1/items', { sku: 'CEM-42', name: 'Cemento gris 42.5 kg', unit_cost: '300', sell_price: '450' }), 201);
  await ok(await send('POST', '/api/v1/stock/receipts', { item_id: item.id, location_id: location, quantity: '100' }), 201);
  return { id: workspace.id, send, location, item: item.id as number };
}

const levelOf = async (workspaceId: number, itemId: number, locationId: number) =>
  Number((await t.db.selectFrom('stock_levels').select('quantity_e4').where('workspace_id', '=', workspaceId).where('item_id', '=', itemId).where('location_id', '=', locationId).executeTakeFirst())?.quantity_e4 ?? 0) / 10_000;

const countRows = async (table: 'invoices' | 'stock_movements' | 'invoice_number_series' | 'audit_events') =>
  Number((await t.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

describe('invoices', () => {
  it('drafts an invoice with exact totals from the settings, issues it with a number, an NCF and its stock, takes payments and ends paid', async () => {
    const s = await shop('Ferretería Duarte', {
      default_currency: 'DOP',
      default_tax_percent: 18,
      default_tax_included: false,
      default_invoice_due_days: 30,
      invoice_number_prefix: 'FD-',
      invoicing_business_name: 'Ferretería Duarte SRL',
      invoicing_email: 'facturas@duarte.do',
      invoicing_address: 'Av. Duarte 12, Santo Domingo',
    });
    await ok(await s.send('PUT', `/api/v1/workspaces/${s.id}/preferred-document-subtype`, { document_subtype: 'B01' }));
    const range = await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: 'B01', range_start: 521, range_end: 600, authorization_number: 'DGII-2026-0001', authorized_on: '2026-01-15' }), 201);
    expect(range).toMatchObject({ next_ncf: 'B0100000521', remaining: 80, state: 'active', expires_on: '2027-12-31', low_remaining_threshold: 8, is_low: false });
    const customer = await ok(await s.send('POST', '/api/v1/contacts', { name: 'Constructora del Este', tax_id: '1-01-85004-3' }), 201);

    const draft = await ok(
      await s.send('POST', '/api/v1/invoices', {
        contact_id: customer.id,
        lines: [
          { item_id: s.item, quantity: '3' },
          { description: 'Transporte', quantity: '1', unit_price: '333.33', discount_percent: '10' },
          { description: 'Varilla 3/8', quantity: '2.5', unit_price: '0.35', tax_percent: '16' },
        ],
      }),
      201,
    );
    // 3 × 450 = 1350.00, tax 243.00; 333.33 less 10 % = 299.997 → 300.00, tax 54.00; 2.5 × 0.35 = 0.875 → 0.88, tax 16 % = 0.1408 → 0.14.
    expect(draft).toMatchObject({ status: 'draft', number: null, ncf: null, document_subtype: 'B01', currency: 'DOP', tax_included: false, subtotal: '1650.88', tax: '297.14', total: '1948.02', paid: '0.00', balance: '1948.02' });
    expect(draft.lines.map((line: any) => [line.description, line.subtotal, line.tax, line.total])).toEqual([
      ['Cemento gris 42.5 kg', '1350.00', '243.00', '1593.00'],
      ['Transporte', '300.00', '54.00', '354.00'],
      ['Varilla 3/8', '0.88', '0.14', '1.02'],
    ]);
    expect(await levelOf(s.id, s.item, s.location)).toBe(100);

    const issued = await ok(await s.send('POST', `/api/v1/invoices/${draft.id}/issue`));
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Santo_Domingo' }).format(t.clock.now());
    expect(issued).toMatchObject({
      status: 'issued',
      number: 'FD-000001',
      ncf: 'B0100000521',
      issue_date: today,
      customer_name: 'Constructora del Este',
      customer_tax_id: '101850043',
      issuer_name: 'Ferretería Duarte SRL',
      issuer_email: 'facturas@duarte.do',
      total: '1948.02',
    });
    const due = new Date(`${today}T00:00:00Z`);
    due.setUTCDate(due.getUTCDate() + 30);
    expect(issued.due_date).toBe(due.toISOString().slice(0, 10));
    expect(await levelOf(s.id, s.item, s.location)).toBe(97);
    const sales = await ok(await s.send('GET', `/api/v1/stock/movements?item_id=${s.item}`));
    expect(sales.at(-1)).toMatchObject({ kind: 'sale', quantity: '-3', invoice_id: draft.id, location_id: s.location });
    expect((await s.send('PATCH', `/api/v1/invoices/${draft.id}`, { notes: 'late change' })).json().error.code).toBe('INVOICE.NOT_DRAFT');
    expect((await s.send('DELETE', `/api/v1/invoices/${draft.id}`)).json().error.code).toBe('INVOICE.NOT_DRAFT');
    expect((await s.send('POST', `/api/v1/invoices/${draft.id}/issue`)).json().error.code).toBe('INVOICE.NOT_DRAFT');

    const partial = await ok(await s.send('POST', `/api/v1/invoices/${draft.id}/payments`, { amount: '1000', method: 'transfer', reference: 'BHD-778' }), 201);
    expect(partial).toMatchObject({ status: 'issued', paid: '1000.00', balance: '948.02' });
    const over = await s.send('POST', `/api/v1/invoices/${draft.id}/payments`, { amount: '948.03', method: 'cash' });
    expect([over.statusCode, over.json().error]).toEqual([409, expect.objectContaining({ code: 'INVOICE.OVERPAYMENT', details: { balance: '948.02' } })]);
    for (const paidOn of ['2020-01-01', '2999-01-01']) {
      const outside = await s.send('POST', `/api/v1/invoices/${draft.id}/payments`, { amount: '1', method: 'cash', paid_on: paidOn });
      expect([outside.statusCode, Object.keys(outside.json().error.details)], paidOn).toEqual([422, ['paid_on']]);
    }
    const tooFine = await s.send('POST', `/api/v1/invoices/${draft.id}/payments`, { amount: '0.001', method: 'cash' });
    expect([tooFine.statusCode, Object.keys(tooFine.json().error.details)]).toEqual([422, ['amount']]);
    const paid = await ok(await s.send('POST', `/api/v1/invoices/${draft.id}/payments`, { amount: '948.02', method: 'cash' }), 201);
    expect(paid).toMatchObject({ status: 'paid', paid: '1948.02', balance: '0.00' });
    expect(paid.payments.map((payment: any) => [payment.amount, payment.method])).toEqual([['1000.00', 'transfer'], ['948.02', 'cash']]);
    expect((await s.send('POST', `/api/v1/invoices/${draft.id}/void`, { reason: '04' })).json().error.code).toBe('INVOICE.HAS_PAYMENTS');
    expect((await s.send('POST', `/api/v1/invoices/${draft.id}/payments`, { amount: '1', method: 'cash' })).json().error.code).toBe('INVOICE.NOT_OPEN');

    const listed = await ok(await s.send('GET', '/api/v1/invoices?q=B0100000521'));
    expect(listed.map((row: any) => [row.id, row.number, row.status])).toEqual([[draft.id, 'FD-000001', 'paid']]);
    expect(listed[0].lines).toBeUndefined();
    const audit = await t.db.selectFrom('audit_events').select('action').where('target_type', '=', 'invoice').where('target_id', '=', String(draft.id)).orderBy('id').execute();
    expect(audit.map((event) => event.action)).toEqual(['invoice.created', 'invoice.issued', 'invoice.payment_recorded', 'invoice.payment_recorded']);
  });

  it('computes tax included in the price per line, rounded half up to the currency minor unit (JPY has none)', async () => {
    const s = await shop('Tax Included', { default_currency: 'DOP', default_tax_percent: 18, default_tax_included: true });
    const draft = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: null, lines: [{ description: 'Servicio', quantity: '1', unit_price: '100' }, { description: 'Otro', quantity: '3', unit_price: '9.99' }] }), 201);
    // 100 incl. 18 %: tax 15.2542… → 15.25, net 84.75; 29.97 incl. 18 %: tax 4.5717… → 4.57, net 25.40.
    expect(draft).toMatchObject({ tax_included: true, subtotal: '110.15', tax: '19.82', total: '129.97' });
    const yen = await ok(await s.send('POST', '/api/v1/invoices', { currency: 'JPY', tax_included: false, lines: [{ description: 'Sushi', quantity: '3', unit_price: '333.5', tax_percent: '10' }] }), 201);
    // 3 × 333.5 = 1000.5 → 1001 yen (half up), tax 100.1 → 100.
    expect(yen).toMatchObject({ currency: 'JPY', subtotal: '1001', tax: '100', total: '1101' });
  });

  it('refuses bad lines with 422 naming each field, writing nothing', async () => {
    const s = await shop('Bad Lines');
    const before = await countRows('invoices');
    const answer = await s.send('POST', '/api/v1/invoices', {
      // Ids past PostgreSQL's int4 name nothing: 422, never 500.
      contact_id: 2147483648,
      lines: [{ quantity: '1' }, { item_id: 2147483648, quantity: '1' }, { description: 'x', quantity: '0', unit_price: '1' }, { description: 'y', quantity: '1', unit_price: '1', tax_percent: '100.5' }],
    });
    expect(answer.statusCode, answer.body).toBe(422);
    expect(Object.keys(answer.json().error.details).sort()).toEqual(['contact_id', 'lines/0/description', 'lines/0/unit_price', 'lines/1/item_id', 'lines/2/quantity', 'lines/3/tax_percent']);
    const huge = await s.send('POST', '/api/v1/invoices', { lines: [{ description: 'Too much', quantity: '99999999999', unit_price: '99999999999' }] });
    expect([huge.statusCode, Object.keys(huge.json().error.details)]).toEqual([422, ['lines/0/quantity']]);
    expect((await s.send('POST', '/api/v1/invoices', { lines: [] })).statusCode).toBe(422);
    expect(await countRows('invoices')).toBe(before);
  });

  it('numbers per workspace and prefix: a new prefix starts its own series, and the old one goes on where it stopped', async () => {
    const s = await shop('Prefixes', { invoice_number_prefix: 'A-' });
    const other = await shop('Prefixes elsewhere', { invoice_number_prefix: 'A-' });
    const issueOne = async (send: typeof s.send) => {
      const draft = await ok(await send('POST', '/api/v1/invoices', { document_subtype: null, lines: [{ description: 'x', quantity: '1', unit_price: '1' }] }), 201);
      return (await ok(await send('POST', `/api/v1/invoices/${draft.id}/issue`))).number as string;
    };
    const numbers = [await issueOne(s.send), await issueOne(s.send), await issueOne(other.send)];
    await ok(await s.send('PATCH', `/api/v1/workspaces/${s.id}/settings`, { invoice_number_prefix: 'B-' }));
    numbers.push(await issueOne(s.send));
    await ok(await s.send('PATCH', `/api/v1/workspaces/${s.id}/settings`, { invoice_number_prefix: 'A-' }));
    numbers.push(await issueOne(s.send));
    expect(numbers).toEqual(['A-000001', 'A-000002', 'A-000001', 'B-000001', 'A-000003']);
  });

  it('changes a draft (lines replaced, totals recomputed) and deletes a draft', async () => {
    const s = await shop('Drafts');
    const draft = await ok(await s.send('POST', '/api/v1/invoices', { lines: [{ item_id: s.item, quantity: '1' }] }), 201);
    const changed = await ok(await s.send('PATCH', `/api/v1/invoices/${draft.id}`, { tax_included: true }));
    expect(changed.lines).toHaveLength(1);
    const replaced = await ok(await s.send('PATCH', `/api/v1/invoices/${draft.id}`, { lines: [{ description: 'Mano de obra', quantity: '2', unit_price: '50', tax_percent: '0' }] }));
    expect(replaced).toMatchObject({ subtotal: '100.00', tax: '0.00', total: '100.00' });
    expect(replaced.lines.map((line: any) => line.description)).toEqual(['Mano de obra']);
    await ok(await s.send('DELETE', `/api/v1/invoices/${draft.id}`));
    expect((await s.send('GET', `/api/v1/invoices/${draft.id}`)).json().error.code).toBe('INVOICE.NOT_FOUND');
  });

  it('voids an issued invoice: it keeps its number and NCF, its stock comes back, and it is in the month’s 608', async () => {
    const s = await shop('Voids', { invoice_number_prefix: 'V-' });
    await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: 'B02', range_start: 1, range_end: 1000, authorization_number: 'A-1', authorized_on: '2026-02-01' }), 201);
    const draft = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B02', lines: [{ item_id: s.item, quantity: '4' }] }), 201);
    const issued = await ok(await s.send('POST', `/api/v1/invoices/${draft.id}/issue`));
    expect(await levelOf(s.id, s.item, s.location)).toBe(96);
    const badReason = await s.send('POST', `/api/v1/invoices/${draft.id}/void`, { reason: '11' });
    expect(badReason.statusCode).toBe(422);
    const voided = await ok(await s.send('POST', `/api/v1/invoices/${draft.id}/void`, { reason: '06', note: 'Devuelto por el cliente' }));
    expect(voided).toMatchObject({ status: 'void', number: issued.number, ncf: 'B0200000001', void_reason: '06', void_note: 'Devuelto por el cliente' });
    expect(await levelOf(s.id, s.item, s.location)).toBe(100);
    expect((await s.send('POST', `/api/v1/invoices/${draft.id}/void`, { reason: '06' })).json().error.code).toBe('INVOICE.NOT_OPEN');
    const next = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B02', lines: [{ description: 'x', quantity: '1', unit_price: '1' }] }), 201);
    expect(await ok(await s.send('POST', `/api/v1/invoices/${next.id}/issue`))).toMatchObject({ number: 'V-000002', ncf: 'B0200000002' });

    const period = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Santo_Domingo' }).format(t.clock.now()).slice(0, 7).replace('-', '');
    const report = await s.send('GET', `/api/v1/ncf-reports/608.csv?period=${period}`);
    expect(report.statusCode, report.body).toBe(200);
    expect(report.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = report.body.trim().split('\r\n');
    expect(rows).toEqual(['ncf,fecha_comprobante,tipo_anulacion,numero_factura,fecha_anulacion', `B0200000001,${issued.issue_date.replaceAll('-', '')},06,${issued.number},${issued.issue_date}`]);
    expect((await s.send('GET', '/api/v1/ncf-reports/608.csv?period=202013')).statusCode).toBe(422);
  });

  it('a credit note names the NCF it amends and draws no stock', async () => {
    const s = await shop('Notes');
    for (const type of ['B01', 'B04']) await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: type, range_start: 1, range_end: 50, authorization_number: `N-${type}`, authorized_on: '2026-03-01' }), 201);
    const original = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B01', lines: [{ item_id: s.item, quantity: '2' }] }), 201);
    const unissued = await s.send('POST', '/api/v1/invoices', { document_subtype: 'B04', reference_invoice_id: original.id, lines: [{ item_id: s.item, quantity: '1' }] });
    expect([unissued.statusCode, Object.keys(unissued.json().error.details)]).toEqual([422, ['reference_invoice_id']]);
    const issued = await ok(await s.send('POST', `/api/v1/invoices/${original.id}/issue`));
    const missing = await s.send('POST', '/api/v1/invoices', { document_subtype: 'B04', lines: [{ item_id: s.item, quantity: '1' }] });
    expect(missing.statusCode).toBe(422);
    const note = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B04', reference_invoice_id: original.id, lines: [{ item_id: s.item, quantity: '1' }] }), 201);
    expect(note).toMatchObject({ reference_invoice_id: original.id, reference_ncf: issued.ncf });
    expect(await ok(await s.send('POST', `/api/v1/invoices/${note.id}/issue`))).toMatchObject({ ncf: 'B0400000001', reference_ncf: 'B0100000001' });
    expect(await levelOf(s.id, s.item, s.location)).toBe(98);
    const wrong = await s.send('POST', '/api/v1/invoices', { document_subtype: 'B01', reference_invoice_id: original.id, lines: [{ item_id: s.item, quantity: '1' }] });
    expect(wrong.statusCode).toBe(422);
    const beyond = await s.send('POST', '/api/v1/invoices', { document_subtype: 'B04', reference_invoice_id: Number.MAX_SAFE_INTEGER, lines: [{ item_id: s.item, quantity: '1' }] });
    expect([beyond.statusCode, Object.keys(beyond.json().error.details)]).toEqual([422, ['reference_invoice_id']]);
  });
});

describe('notes and limits', () => {
  it('issues a credit note only while the invoice it amends stands, never crediting past its total, in its currency', async () => {
    const s = await shop('Credit limits', { default_currency: 'DOP', default_tax_percent: 0 });
    for (const type of ['B01', 'B04']) await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: type, range_start: 700, range_end: 799, authorization_number: `C-${type}`, authorized_on: '2026-03-01' }), 201);
    const original = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B01', lines: [{ description: 'Obra', quantity: '1', unit_price: '100' }] }), 201);
    await ok(await s.send('POST', `/api/v1/invoices/${original.id}/issue`));
    const note = (amount: string) => s.send('POST', '/api/v1/invoices', { document_subtype: 'B04', reference_invoice_id: original.id, lines: [{ description: 'Crédito', quantity: '1', unit_price: amount }] });
    const otherCurrency = await s.send('POST', '/api/v1/invoices', { document_subtype: 'B04', reference_invoice_id: original.id, currency: 'USD', lines: [{ description: 'x', quantity: '1', unit_price: '1' }] });
    expect([otherCurrency.statusCode, Object.keys(otherCurrency.json().error.details)]).toEqual([422, ['currency']]);
    const sixty = await ok(await note('60'), 201);
    const fifty = await ok(await note('50'), 201);
    const forty = await ok(await note('40'), 201);
    await ok(await s.send('POST', `/api/v1/invoices/${sixty.id}/issue`));
    const tooMuch = await s.send('POST', `/api/v1/invoices/${fifty.id}/issue`);
    expect([tooMuch.statusCode, tooMuch.json().error]).toEqual([409, expect.objectContaining({ code: 'INVOICE.CREDIT_TOO_LARGE', details: { total: '100.00', credited: '60.00' } })]);
    await ok(await s.send('POST', `/api/v1/invoices/${forty.id}/issue`));

    // Voided after a note was drafted: the note is not issued.
    const second = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B01', lines: [{ description: 'Obra 2', quantity: '1', unit_price: '10' }] }), 201);
    await ok(await s.send('POST', `/api/v1/invoices/${second.id}/issue`));
    const late = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B04', reference_invoice_id: second.id, lines: [{ description: 'x', quantity: '1', unit_price: '1' }] }), 201);
    await ok(await s.send('POST', `/api/v1/invoices/${second.id}/void`, { reason: '04' }));
    const refused = await s.send('POST', `/api/v1/invoices/${late.id}/issue`);
    expect([refused.statusCode, refused.json().error.code, refused.json().error.details.status]).toEqual([409, 'INVOICE.NOT_OPEN', 'void']);
    expect((await ok(await s.send('GET', `/api/v1/invoices/${late.id}`))).status).toBe('draft');
  });

  it('refuses an invoice whose lines of one item come to more than a stock level holds, a 608 period out of range, and a note type as the preferred subtype', async () => {
    const s = await shop('Limits', { allow_negative_stock: true });
    const huge = await s.send('POST', '/api/v1/invoices', { lines: [{ item_id: s.item, quantity: '99999999999.9999', unit_price: '0' }, { item_id: s.item, quantity: '0.0001', unit_price: '0' }] });
    expect([huge.statusCode, Object.keys(huge.json().error.details)]).toEqual([422, ['lines']]);
    expect((await s.send('GET', '/api/v1/ncf-reports/608.csv?period=009912')).statusCode).toBe(422);
    for (const subtype of ['B04', 'E33', 'X99']) expect((await s.send('PUT', `/api/v1/workspaces/${s.id}/preferred-document-subtype`, { document_subtype: subtype })).statusCode, subtype).toBe(422);
  });

  it('deletes a workspace with everything it issued, voided, converted and drew', async () => {
    const s = await shop('Deleted with documents');
    await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: 'B14', range_start: 1, range_end: 10, authorization_number: 'D', authorized_on: '2026-03-01' }), 201);
    const draftOf = async () => (await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B14', lines: [{ item_id: s.item, quantity: '1' }] }), 201)).id as number;
    const [issued, paid, voided] = [await draftOf(), await draftOf(), await draftOf()];
    for (const id of [issued, paid, voided]) await ok(await s.send('POST', `/api/v1/invoices/${id}/issue`));
    await ok(await s.send('POST', `/api/v1/invoices/${paid}/payments`, { amount: '450', method: 'card' }), 201);
    await ok(await s.send('POST', `/api/v1/invoices/${voided}/void`, { reason: '02' }));
    const quotation = await ok(await s.send('POST', '/api/v1/quotations', { lines: [{ item_id: s.item, quantity: '1' }] }), 201);
    await ok(await s.send('POST', `/api/v1/quotations/${quotation.id}/convert`), 201);
    await ok(await s.send('DELETE', `/api/v1/workspaces/${s.id}`));
    for (const table of ['invoices', 'invoice_lines', 'invoice_payments', 'invoice_number_series', 'ncf_sequences', 'quotations', 'quotation_lines', 'stock_movements'] as const) {
      expect(await t.db.selectFrom(table).select('workspace_id').where('workspace_id', '=', s.id).execute(), table).toEqual([]);
    }
  });
});

describe('what invoices name', () => {
  it('keeps a contact, an item and a location an invoice names (409, nothing deleted)', async () => {
    const s = await shop('Kept');
    const customer = await ok(await s.send('POST', '/api/v1/contacts', { name: 'Kept customer' }), 201);
    const counter = await ok(await s.send('POST', '/api/v1/locations', { name: 'Counter', type: 'site' }), 201);
    const item = await ok(await s.send('POST', '/api/v1/items', { sku: 'KEPT', name: 'Kept item', sell_price: '5' }), 201);
    await ok(await s.send('POST', '/api/v1/invoices', { contact_id: customer.id, location_id: counter.id, lines: [{ item_id: item.id, quantity: '1' }] }), 201);
    for (const [url, code] of [[`/api/v1/contacts/${customer.id}`, 'CONTACT.IN_USE'], [`/api/v1/items/${item.id}`, 'ITEM.IN_USE'], [`/api/v1/locations/${counter.id}`, 'LOCATION.IN_USE']] as const) {
      const refused = await s.send('DELETE', url);
      expect([refused.statusCode, refused.json().error.code], url).toEqual([409, code]);
      await ok(await s.send('GET', url));
    }
  });
});

describe('NCF sequences', () => {
  it('hands over to the queued range when one is used up; with both used up, issuing is 409 and writes nothing', async () => {
    const s = await shop('Handover');
    const first = await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: 'E31', range_start: 1, range_end: 2, authorization_number: 'E-1', authorized_on: '2026-05-01' }), 201);
    const second = await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: 'E31', range_start: 101, range_end: 101, authorization_number: 'E-2', authorized_on: '2026-06-01', low_remaining_threshold: 1 }), 201);
    expect(second).toMatchObject({ state: 'queued', is_low: true, next_ncf: 'E310000000101' });
    expect(first.state).toBe('active');
    const issueOne = async () => {
      const draft = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'E31', lines: [{ item_id: s.item, quantity: '1' }] }), 201);
      return s.send('POST', `/api/v1/invoices/${draft.id}/issue`);
    };
    const ncfs = [];
    for (let i = 0; i < 3; i += 1) ncfs.push((await ok(await issueOne())).ncf);
    expect(ncfs).toEqual(['E310000000001', 'E310000000002', 'E310000000101']);
    const states = await ok(await s.send('GET', '/api/v1/ncf-sequences'));
    expect(states.map((range: any) => [range.range_start, range.state, range.remaining])).toEqual([[1, 'exhausted', 0], [101, 'exhausted', 0]]);

    const before = { invoices: await countRows('invoices'), movements: await countRows('stock_movements'), level: await levelOf(s.id, s.item, s.location) };
    const refused = await issueOne();
    expect([refused.statusCode, refused.json().error]).toEqual([409, expect.objectContaining({ code: 'NCF.SEQUENCE_EXHAUSTED', details: { document_subtype: 'E31' } })]);
    expect({ invoices: await countRows('invoices'), movements: await countRows('stock_movements'), level: await levelOf(s.id, s.item, s.location) }).toEqual({ ...before, invoices: before.invoices + 1 });
    const stillDraft = (await ok(await s.send('GET', '/api/v1/invoices?status=draft')))[0];
    expect(stillDraft).toMatchObject({ number: null, ncf: null });
    // The refused issue used no number: the next one issued without an NCF takes the next number.
    await ok(await s.send('PATCH', `/api/v1/invoices/${stillDraft.id}`, { document_subtype: null }));
    expect((await ok(await s.send('POST', `/api/v1/invoices/${stillDraft.id}/issue`))).number).toBe('INV-000004');
    expect((await s.send('DELETE', `/api/v1/ncf-sequences/${first.id}`)).json().error.code).toBe('NCF.RANGE_IN_USE');
  });

  // Ranges of one type never overlap in a tenant, and every test here is in one tenant: each takes numbers of its own.
  it('expires a range at the end of 31 December of the year after authorisation, in Santo Domingo', async () => {
    const s = await shop('Expiry');
    const range = await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: 'B02', range_start: 3001, range_end: 3100, authorization_number: 'X-1', authorized_on: '2025-06-30' }), 201);
    expect(range.expires_on).toBe('2026-12-31');
    const draft = async () => (await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B02', lines: [{ description: 'x', quantity: '1', unit_price: '1' }] }), 201)).id as number;
    const first = await draft();
    const second = await draft();
    // 23:59:59 on 31 December in Santo Domingo (UTC−4) is 03:59:59 UTC on 1 January.
    const lastMoment = Date.parse('2027-01-01T03:59:59.000Z');
    t.clock.advance(lastMoment - t.clock.now().getTime());
    // Weeks on, the owner signs in again (the rest of the file runs on that session).
    owner = await signInAgain(t, owner);
    const send = sender(owner, s.id);
    expect((await ok(await send('POST', `/api/v1/invoices/${first}/issue`))).issue_date).toBe('2026-12-31');
    t.clock.advance(1000);
    const refused = await send('POST', `/api/v1/invoices/${second}/issue`);
    expect([refused.statusCode, refused.json().error]).toEqual([409, expect.objectContaining({ code: 'NCF.SEQUENCE_EXPIRED', details: { document_subtype: 'B02', expired_on: '2026-12-31' } })]);
    expect((await ok(await send('GET', '/api/v1/ncf-sequences')))[0]).toMatchObject({ state: 'expired', remaining: 99, is_low: false });
    const stale = await send('POST', '/api/v1/ncf-sequences', { document_type: 'B02', range_start: 3200, range_end: 3300, authorization_number: 'X-2', authorized_on: '2025-12-31' });
    expect([stale.statusCode, Object.keys(stale.json().error.details)]).toEqual([422, ['authorized_on']]);
    await ok(await send('POST', '/api/v1/ncf-sequences', { document_type: 'B02', range_start: 3200, range_end: 3300, authorization_number: 'X-2', authorized_on: '2027-01-01' }), 201);
    expect((await ok(await send('POST', `/api/v1/invoices/${second}/issue`))).ncf).toBe('B0200003200');
  });

  it('keeps the ranges of one type disjoint across the tenant, so one authorisation splits among workspaces', async () => {
    const a = await shop('Split A');
    const b = await shop('Split B');
    const range = (start: number, end: number, type = 'B01') => ({ document_type: type, range_start: start, range_end: end, authorization_number: 'SPLIT', authorized_on: '2026-04-01' });
    await ok(await a.send('POST', '/api/v1/ncf-sequences', range(10001, 10500)), 201);
    await ok(await b.send('POST', '/api/v1/ncf-sequences', range(10501, 11000)), 201);
    for (const [s, body] of [[b, range(10500, 10600)], [a, range(11000, 11000)], [a, range(10002, 10003)]] as const) {
      const refused = await s.send('POST', '/api/v1/ncf-sequences', body);
      expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'NCF.RANGE_OVERLAPS']);
    }
    await ok(await b.send('POST', '/api/v1/ncf-sequences', range(20001, 20500, 'B02')), 201);
    const tooLong = await a.send('POST', '/api/v1/ncf-sequences', range(1, 100_000_000));
    expect([tooLong.statusCode, Object.keys(tooLong.json().error.details)]).toEqual([422, ['range_end']]);
    const racers = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).send('POST', '/api/v1/ncf-sequences', range(5000 + i, 6000))));
    expect(racers.map((answer) => answer.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409]);
  });

  it('stands behind the rules in the database: numbers and NCFs drawn in order, an issued invoice fixed, ranges disjoint', async () => {
    const s = await shop('Database Rules');
    await ok(await s.send('POST', '/api/v1/ncf-sequences', { document_type: 'B15', range_start: 1, range_end: 10, authorization_number: 'G', authorized_on: '2026-01-02' }), 201);
    const draft = await ok(await s.send('POST', '/api/v1/invoices', { document_subtype: 'B15', lines: [{ description: 'x', quantity: '1', unit_price: '1' }] }), 201);
    await ok(await s.send('POST', `/api/v1/invoices/${draft.id}/issue`));
    const refusals: Array<[string, ReturnType<typeof sql>]> = [
      ['number series skips', sql`update invoice_number_series set last_number = last_number + 2 where workspace_id = ${s.id}`],
      ['ncf skips', sql`update ncf_sequences set next_number = next_number + 2 where workspace_id = ${s.id}`],
      ['issued number changes', sql`update invoices set number = 'INV-999999' where id = ${draft.id}`],
      ['issued total changes', sql`update invoices set subtotal_e4 = 0, total_e4 = tax_e4 where id = ${draft.id}`],
      ['issued invoice deleted', sql`delete from invoices where id = ${draft.id}`],
      ['issued lines change', sql`update invoice_lines set description = 'changed' where invoice_id = ${draft.id}`],
      ['back to draft', sql`update invoices set status = 'draft' where id = ${draft.id}`],
      ['overlapping range', sql`insert into ncf_sequences (tenant_id, workspace_id, document_type, range_start, range_end, next_number, authorization_number, authorized_on, expires_on, low_remaining_threshold, created_at)
        select tenant_id, workspace_id, document_type, 5, 20, 5, 'x', authorized_on, expires_on, 0, created_at from ncf_sequences where workspace_id = ${s.id}`],
      ['used range deleted', sql`delete from ncf_sequences where workspace_id = ${s.id}`],
    ];
    for (const [what, statement] of refusals) await expect(statement.execute(t.db), what).rejects.toThrow();
    const other = await ok(await s.send('POST', '/api/v1/invoices', { lines: [{ description: 'x', quantity: '1', unit_price: '1' }] }), 201);
    await expect(sql`update invoices set status = 'issued', number = 'INV-000007', number_prefix = 'INV-', number_sequence = 7, issued_at = updated_at where id = ${other.id}`.execute(t.db), 'number not drawn').rejects.toThrow();
  });
});

describe('invoices in the workspace context', () => {
  it("seed 001's example: POST /api/v1/invoices with X-Workspace-ID creates the invoice there; a workspace the caller cannot see is 404", async () => {
    const main = await shop('Main Store');
    const branch = await shop('Branch 2');
    const stranger = await register(t, { name: 'Stranger' });
    const body = { lines: [{ item_id: branch.item, quantity: '1' }] };
    const response = await t.request({
      method: 'POST',
      url: '/api/v1/invoices',
      headers: { authorization: `Bearer ${owner.accessToken}`, 'x-workspace-id': String(branch.id), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    expect(response.statusCode, response.body).toBe(201);
    const row = await t.db.selectFrom('invoices').select(['workspace_id']).where('id', '=', response.json().data.id).executeTakeFirstOrThrow();
    expect(row.workspace_id).toBe(branch.id);
    expect(main.id).not.toBe(branch.id);
    const foreign = await t.request({ method: 'POST', url: '/api/v1/invoices', headers: { ...stranger.auth, 'x-workspace-id': String(branch.id) }, payload: body });
    const nowhere = await t.request({ method: 'POST', url: '/api/v1/invoices', headers: { ...stranger.auth, 'x-workspace-id': '2147483000' }, payload: body });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toBe(nowhere.body);
  });

  it("answers another workspace's invoice, and one at a location the member may not work at, as one that exists nowhere, changing nothing", async () => {
    const mine = await shop('Mine');
    const theirs = await shop('Theirs');
    const draft = await ok(await theirs.send('POST', '/api/v1/invoices', { lines: [{ item_id: theirs.item, quantity: '1' }] }), 201);
    const issuedTheirs = await ok(await theirs.send('POST', '/api/v1/invoices', { lines: [{ item_id: theirs.item, quantity: '1' }] }), 201);
    await ok(await theirs.send('POST', `/api/v1/invoices/${issuedTheirs.id}/issue`));
    const probes: Array<[Method, string, unknown]> = [
      ['GET', `/api/v1/invoices/${draft.id}`, undefined],
      ['PATCH', `/api/v1/invoices/${draft.id}`, { notes: 'mine' }],
      ['DELETE', `/api/v1/invoices/${draft.id}`, undefined],
      ['POST', `/api/v1/invoices/${draft.id}/issue`, {}],
      ['POST', `/api/v1/invoices/${issuedTheirs.id}/void`, { reason: '01' }],
      ['POST', `/api/v1/invoices/${issuedTheirs.id}/payments`, { amount: '1', method: 'cash' }],
    ];
    const nowhere = (method: Method, url: string) => url.replace(/invoices\/\d+/, 'invoices/2147483647');
    for (const [method, url, payload] of probes) {
      const answer = await mine.send(method, url, payload);
      expect([answer.statusCode, answer.json().error.code], `${method} ${url}`).toEqual([404, 'INVOICE.NOT_FOUND']);
      expect(answer.body).toBe((await mine.send(method, nowhere(method, url), payload)).body);
    }
    const reference = await mine.send('POST', '/api/v1/invoices', { document_subtype: 'B04', reference_invoice_id: issuedTheirs.id, lines: [{ description: 'x', quantity: '1', unit_price: '1' }] });
    expect(reference.statusCode).toBe(422);
    expect(await ok(await theirs.send('GET', `/api/v1/invoices/${draft.id}`))).toMatchObject({ status: 'draft', notes: null });
    expect(await ok(await theirs.send('GET', `/api/v1/invoices/${issuedTheirs.id}`))).toMatchObject({ status: 'issued', paid: '0.00' });

    // A member restricted to another location of the workspace sees none of the invoices drawn at its default location.
    const clerk = await register(t, { name: 'Clerk' });
    await addMembership(t, theirs.id, clerk.userId, 'admin');
    const van = await ok(await theirs.send('POST', '/api/v1/locations', { name: 'Van', type: 'van' }), 201);
    await ok(await theirs.send('PUT', `/api/v1/members/${clerk.userId}/locations`, { restricted: true, location_ids: [van.id] }));
    const asClerk = sender(clerk, theirs.id);
    for (const [method, url, payload] of probes) {
      const answer = await asClerk(method, url, payload);
      expect([answer.statusCode, answer.json().error.code], `restricted ${method} ${url}`).toEqual([404, 'INVOICE.NOT_FOUND']);
    }
    expect(await ok(await asClerk('GET', '/api/v1/invoices'))).toEqual([]);
    const elsewhere = await asClerk('POST', '/api/v1/invoices', { location_id: theirs.location, lines: [{ description: 'x', quantity: '1', unit_price: '1' }] });
    expect([elsewhere.statusCode, Object.keys(elsewhere.json().error.details)]).toEqual([422, ['location_id']]);
    const atVan = await ok(await asClerk('POST', '/api/v1/invoices', { location_id: van.id, lines: [{ description: 'x', quantity: '1', unit_price: '1' }] }), 201);
    const movedAway = await asClerk('POST', `/api/v1/invoices/${atVan.id}/issue`, { location_id: theirs.location });
    expect([movedAway.statusCode, Object.keys(movedAway.json().error.details)]).toEqual([422, ['location_id']]);
    expect((await ok(await asClerk('GET', '/api/v1/invoices'))).map((row: any) => row.id)).toEqual([atVan.id]);
  });

  it('guards each route by its permission: a viewer reads, a member drafts and issues but does not void', async () => {
    const s = await shop('Permissions');
    const member = await register(t, { name: 'Member' });
    const viewer = await register(t, { name: 'Viewer' });
    await addMembership(t, s.id, member.userId, 'member');
    await addMembership(t, s.id, viewer.userId, 'viewer');
    const asMember = sender(member, s.id);
    const asViewer = sender(viewer, s.id);
    const draft = await ok(await asMember('POST', '/api/v1/invoices', { lines: [{ item_id: s.item, quantity: '1' }] }), 201);
    expect((await asViewer('POST', '/api/v1/invoices', { lines: [{ item_id: s.item, quantity: '1' }] })).statusCode).toBe(403);
    expect((await asViewer('POST', `/api/v1/invoices/${draft.id}/issue`)).statusCode).toBe(403);
    await ok(await asViewer('GET', `/api/v1/invoices/${draft.id}`));
    await ok(await asMember('POST', `/api/v1/invoices/${draft.id}/issue`));
    expect((await asMember('POST', `/api/v1/invoices/${draft.id}/void`, { reason: '01' })).statusCode).toBe(403);
    expect((await asMember('POST', '/api/v1/ncf-sequences', { document_type: 'B01', range_start: 1, range_end: 2, authorization_number: 'x', authorized_on: '2026-01-01' })).statusCode).toBe(403);
    await ok(await asViewer('GET', '/api/v1/ncf-sequences'));
  });
});
