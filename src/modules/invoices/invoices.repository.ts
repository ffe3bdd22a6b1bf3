import { MAX_STORED_ID } from '../../core/db/dialect.ts';
import type { WorkspaceTable } from '../../core/db/workspace-scope.ts';
import { afterKey } from '../../core/http/pagination.ts';
import type { Database } from '../../schema/database.ts';
import type { InvoiceLineRow, InvoiceLinesTable, InvoicePaymentRow, InvoicePaymentsTable, InvoiceRow, InvoicesTable, InvoiceStatus, NcfType } from './invoices.table.ts';

export type WorkspaceInvoices = WorkspaceTable<Database, 'invoices'>;
export type WorkspaceInvoiceLines = WorkspaceTable<Database, 'invoice_lines'>;
export type WorkspaceInvoicePayments = WorkspaceTable<Database, 'invoice_payments'>;
export type WorkspaceNumberSeries = WorkspaceTable<Database, 'invoice_number_series'>;
export type InvoiceColumns = Omit<InvoicesTable, 'id' | 'workspace_id' | 'paid_e4'>;
export type LineColumns = Omit<InvoiceLinesTable, 'id' | 'workspace_id' | 'invoice_id'>;

export interface InvoiceFilter {
  status?: InvoiceStatus;
  contactId?: number;
  /** An invoice number or an NCF, exact. */
  numberOrNcf?: string;
  afterId: number;
  rows: number;
}

export async function listInvoices(invoices: WorkspaceInvoices, filter: InvoiceFilter): Promise<InvoiceRow[]> {
  if (filter.contactId !== undefined && filter.contactId > MAX_STORED_ID) return [];
  let query = invoices.selectFrom().selectAll();
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.contactId !== undefined) query = query.where('contact_id', '=', filter.contactId);
  const { numberOrNcf } = filter;
  if (numberOrNcf !== undefined) query = query.where((eb) => eb.or([eb('number', '=', numberOrNcf), eb('ncf', '=', numberOrNcf)]));
  return query.$call(afterKey('id', filter.afterId, filter.rows)).execute();
}

/** One invoice; `lockForUpdate` (PostgreSQL) holds it until the transaction ends, so two changes of it run one after the other. */
export async function findInvoice(invoices: WorkspaceInvoices, id: number, lockForUpdate = false): Promise<InvoiceRow | undefined> {
  const query = invoices.selectFrom().selectAll().where('id', '=', id);
  return (lockForUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export async function insertInvoice(invoices: WorkspaceInvoices, values: InvoiceColumns): Promise<InvoiceRow> {
  return invoices.insertInto(values).returningAll().executeTakeFirstOrThrow();
}

/** Changes an invoice still in `status` (the state the change was decided on); undefined when it is not. */
export async function updateInvoice(invoices: WorkspaceInvoices, id: number, status: InvoiceStatus, changes: Partial<InvoiceColumns> & { updated_at: string }): Promise<InvoiceRow | undefined> {
  return invoices.update(changes).where('id', '=', id).where('status', '=', status).returningAll().executeTakeFirst();
}

export async function deleteDraft(invoices: WorkspaceInvoices, id: number): Promise<boolean> {
  const result = await invoices.deleteFrom().where('id', '=', id).where('status', '=', 'draft').executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Adds a payment to what was paid only if that stays within the total, on an issued invoice,
 * in one guarded statement decided on the latest committed row; paid in full, it becomes paid.
 */
export async function addPaid(invoices: WorkspaceInvoices, id: number, amount: number, now: string): Promise<InvoiceRow | undefined> {
  const row = await invoices
    .update({ updated_at: now })
    .set((eb) => ({ paid_e4: eb('paid_e4', '+', amount) }))
    .where('id', '=', id)
    .where('status', '=', 'issued')
    .where((eb) => eb(eb('paid_e4', '+', amount), '<=', eb.ref('total_e4')))
    .returningAll()
    .executeTakeFirst();
  if (!row || row.paid_e4 < row.total_e4) return row;
  return invoices.update({ status: 'paid', paid_at: now }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}

export async function linesOf(lines: WorkspaceInvoiceLines, invoiceId: number): Promise<InvoiceLineRow[]> {
  return lines.selectFrom().selectAll().where('invoice_id', '=', invoiceId).orderBy('position').execute();
}

export async function replaceLines(lines: WorkspaceInvoiceLines, invoiceId: number, rows: readonly LineColumns[]): Promise<void> {
  await lines.deleteFrom().where('invoice_id', '=', invoiceId).execute();
  for (const row of rows) await lines.insertInto({ ...row, invoice_id: invoiceId }).execute();
}

export async function paymentsOf(payments: WorkspaceInvoicePayments, invoiceId: number): Promise<InvoicePaymentRow[]> {
  return payments.selectFrom().selectAll().where('invoice_id', '=', invoiceId).orderBy('id').execute();
}

export async function insertPayment(payments: WorkspaceInvoicePayments, values: Omit<InvoicePaymentsTable, 'id' | 'workspace_id'>): Promise<void> {
  await payments.insertInto(values).execute();
}

/**
 * Draws the next number of the workspace's series for `prefix` (1 for a new prefix): one
 * upsert on the series' own row, which holds it until the transaction ends. Only issues of
 * the same workspace (and prefix) wait for each other; a rolled-back issue gives its number back.
 */
export async function drawInvoiceNumber(series: WorkspaceNumberSeries, prefix: string): Promise<number> {
  const row = await series
    .insertInto({ prefix, last_number: 1 })
    .onConflict((conflict) => conflict.columns(['workspace_id', 'prefix']).doUpdateSet((eb) => ({ last_number: eb('invoice_number_series.last_number', '+', 1) })))
    .returning('last_number')
    .executeTakeFirstOrThrow();
  return row.last_number;
}

/** The totals of the issued (or paid) notes of `types` that amend an invoice, added up. */
export async function creditedAgainst(invoices: WorkspaceInvoices, originalId: number, types: readonly NcfType[]): Promise<number> {
  const row = await invoices
    .selectFrom()
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('total_e4'), eb.lit(0)).as('credited'))
    .where('reference_invoice_id', '=', originalId)
    .where('status', 'in', ['issued', 'paid'])
    .where('document_subtype', 'in', [...types])
    .executeTakeFirstOrThrow();
  return Number(row.credited);
}

/** Voided invoices with an NCF, voided within [from, to): the rows of DGII's format 608. */
export async function voidedWithNcf(invoices: WorkspaceInvoices, from: string, to: string): Promise<InvoiceRow[]> {
  return invoices
    .selectFrom()
    .selectAll()
    .where('status', '=', 'void')
    .where('ncf', 'is not', null)
    .where('voided_at', '>=', from)
    .where('voided_at', '<', to)
    .orderBy('ncf')
    .execute();
}
