import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { engineOf, isForeignKeyViolation, MAX_STORED_ID } from '../../core/db/dialect.ts';
import { inWorkspaceTransaction, scoped } from '../../core/db/workspace-scope.ts';
import { scaledFromString, stringFromScaled } from '../../core/decimal.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { contactOf } from '../contacts/contacts.service.ts';
import { liveLocationIds } from '../locations/locations.service.ts';
import { holdSettingsUnchanged, settingsOf } from '../settings/settings.service.ts';
import type { WorkspaceSettings } from '../settings/settings.schemas.ts';
import type { StockService } from '../stock/stock.service.ts';
import { MAX_LEVEL_E4 } from '../../schema/migrations/0015-stock.ts';
import { preferredDocumentSubtypeOf } from '../workspaces/workspaces.service.ts';
import { composeDocument, lineAsInput, lineShown, moneyIn, type DocumentInput, type DocumentLine } from './document-lines.ts';
import { minorUnitDigits } from './invoice-totals.ts';
import * as repository from './invoices.repository.ts';
import type {
  CreateInvoiceBody,
  Invoice,
  InvoiceListQuery,
  InvoiceSummary,
  IssueInvoiceBody,
  PaymentBody,
  UpdateInvoiceBody,
  VoidInvoiceBody,
} from './invoices.schemas.ts';
import type { InvoiceLineRow, InvoicePaymentRow, InvoiceRow, NcfType } from './invoices.table.ts';
import { CREDIT_NOTE_TYPES, daysAfter, fiscalDate, isCreditNote, isNote, PREFERABLE_NCF_TYPES } from './ncf.ts';
import { drawNcf } from './ncf-sequences.service.ts';

/** Amounts are kept in ten-thousandths (core/decimal.ts). */
const SCALE = 4;

function toSummary(row: InvoiceRow): InvoiceSummary {
  const money = moneyIn(row.currency);
  const { workspace_id: _w, number_prefix: _p, number_sequence: _s, ncf_sequence_id: _n, created_by_user_id: _c, subtotal_e4, tax_e4, total_e4, paid_e4, ...rest } = row;
  return {
    ...rest,
    tax_included: row.tax_included === 1,
    subtotal: money(subtotal_e4),
    tax: money(tax_e4),
    total: money(total_e4),
    paid: money(paid_e4),
    balance: money(total_e4 - paid_e4),
  };
}

/** An invoice as shown, from its row and the lines and payments in hand (a change answers without reading them back). */
function toInvoice(row: InvoiceRow, lines: readonly DocumentLine[], payments: readonly InvoicePaymentRow[]): Invoice {
  const money = moneyIn(row.currency);
  return {
    ...toSummary(row),
    lines: lines.map((line) => lineShown(line, row.currency)),
    payments: payments.map(({ workspace_id: _w, invoice_id: _i, amount_e4, ...payment }) => ({ ...payment, amount: money(amount_e4) })),
  };
}

/** What a draft is made of once every default is applied: the body of a create, or a draft with a change applied. */
export interface DraftInput extends DocumentInput {
  location_id: number | undefined;
  document_subtype: NcfType | null | undefined;
  reference_invoice_id: number | null;
  notes: string | null;
}

export type InvoicesService = ReturnType<typeof createInvoicesService>;

export function createInvoicesService(deps: { db: Db; clock: Clock; stock: StockService }) {
  const { db, clock, stock } = deps;
  const audit = (tx: Tx, ctx: InWorkspaceContext, action: string, row: InvoiceRow, details: Record<string, unknown>, at: string) =>
    recordAudit(tx, ctx, { action: `invoice.${action}`, targetType: 'invoice', targetId: row.id, workspaceId: ctx.workspace.id, details, locationIds: [row.location_id], at });

  async function detailed(executor: Executor, ctx: InWorkspaceContext, row: InvoiceRow): Promise<Invoice> {
    const lines = await repository.linesOf(scoped(executor, ctx, 'invoice_lines'), row.id);
    const payments = await repository.paymentsOf(scoped(executor, ctx, 'invoice_payments'), row.id);
    return toInvoice(row, lines, payments);
  }

  /** The invoice, held until the transaction ends on PostgreSQL; 404 when the caller cannot see it. */
  async function held(tx: Tx, ctx: InWorkspaceContext, id: number): Promise<InvoiceRow> {
    const row = await repository.findInvoice(scoped(tx, ctx, 'invoices'), id, engineOf(tx) === 'postgres');
    if (!row) throw new AppError('INVOICE.NOT_FOUND');
    return row;
  }

  /** 422 naming `field` unless `id` is a live location of the workspace the caller works at. */
  async function requireLocation(tx: Tx, ctx: InWorkspaceContext, field: string, id: number | null): Promise<number> {
    if (id === null) throw new AppError('VALIDATION.FAILED', { [field]: 'required: the workspace has no default_invoice_source_location_id nor default_location_id' });
    if (!(await liveLocationIds(tx, ctx, [id])).has(id)) throw new AppError('VALIDATION.FAILED', { [field]: 'no such location in this workspace (or it is archived)' });
    return id;
  }

  /**
   * A draft's columns and lines from its input and the workspace's settings, every figure
   * computed exactly (invoice-totals.ts); 422 naming each field that is wrong.
   */
  async function compose(tx: Tx, ctx: InWorkspaceContext, input: DraftInput, settings: WorkspaceSettings) {
    const problems: Record<string, string> = {};
    const location = await requireLocation(tx, ctx, 'location_id', input.location_id ?? settings.default_invoice_source_location_id ?? settings.default_location_id);
    const { contact, pricing, lines, totals } = await composeDocument(tx, ctx, input, settings, problems);

    const preferred = input.document_subtype === undefined ? await preferredDocumentSubtypeOf(tx, ctx.workspace.id) : null;
    const subtype = input.document_subtype !== undefined ? input.document_subtype : PREFERABLE_NCF_TYPES.find((type) => type === preferred) ?? null;
    let referenceNcf: string | null = null;
    if (subtype !== null && isNote(subtype)) {
      const reference = input.reference_invoice_id;
      const original = reference === null || reference > MAX_STORED_ID ? undefined : await repository.findInvoice(scoped(tx, ctx, 'invoices'), reference);
      if (!original || original.ncf === null || original.status === 'void' || original.status === 'draft') {
        problems.reference_invoice_id = 'a credit or debit note names an issued invoice of this workspace that has an NCF';
      } else if (original.currency !== pricing.currency) {
        problems.currency = `a note is in the currency of the invoice it amends (${original.currency})`;
      } else referenceNcf = original.ncf;
    } else if (input.reference_invoice_id !== null) problems.reference_invoice_id = 'only a credit or debit note (B03, B04, E33, E34) names another invoice';

    // Issuing moves one level per item by the sum of its lines: within what a level holds.
    for (const [itemId, quantity] of quantitiesOf(lines)) if (quantity > MAX_LEVEL_E4) problems.lines = `item ${itemId} comes to more than the largest stock level kept`;
    if (Object.keys(problems).length > 0 || !totals) throw new AppError('VALIDATION.FAILED', problems);
    return {
      columns: {
        location_id: location,
        contact_id: contact?.id ?? null,
        document_subtype: subtype,
        reference_invoice_id: referenceNcf === null ? null : input.reference_invoice_id,
        reference_ncf: referenceNcf,
        currency: pricing.currency,
        tax_included: pricing.taxIncluded ? 1 : 0,
        notes: input.notes,
        ...totals,
      },
      lines,
    };
  }

  /** A new draft from its input and the workspace's settings, its lines with it, audited. */
  async function insertDraft(tx: Tx, ctx: InWorkspaceContext, input: DraftInput): Promise<Invoice> {
    const now = clock.now().toISOString();
    const draft = await compose(tx, ctx, input, await settingsOf(tx, ctx.workspace.id));
    const row = await repository.insertInvoice(scoped(tx, ctx, 'invoices'), {
      ...draft.columns,
      status: 'draft',
      ncf: null,
      ncf_sequence_id: null,
      number_prefix: null,
      number_sequence: null,
      number: null,
      issue_date: null,
      due_date: null,
      customer_name: null,
      customer_tax_id: null,
      issuer_name: null,
      issuer_email: null,
      issuer_address: null,
      void_reason: null,
      void_note: null,
      created_by_user_id: ctx.actor.userId,
      issued_at: null,
      paid_at: null,
      voided_at: null,
      created_at: now,
      updated_at: now,
    });
    await repository.replaceLines(scoped(tx, ctx, 'invoice_lines'), row.id, draft.lines);
    await audit(tx, ctx, 'created', row, { total: toSummary(row).total, currency: row.currency, lines: draft.lines.length }, now);
    return toInvoice(row, draft.lines, []);
  }

  /**
   * A note is issued only while the invoice it amends stands (issued or paid, not voided since
   * the note was drafted), and credit notes never credit more than that invoice's total. The
   * original is held until the transaction ends, so its voiding and other notes against it
   * wait; the sum counts every credit note of the workspace, at any location, as the limit is
   * the invoice's and not the caller's (it is not shown).
   */
  async function requireAmendable(tx: Tx, ctx: InWorkspaceContext, note: InvoiceRow): Promise<void> {
    const everywhere = { workspace: { ...ctx.workspace, locations: 'all' as const } };
    const original = await repository.findInvoice(scoped(tx, everywhere, 'invoices'), note.reference_invoice_id ?? 0, engineOf(tx) === 'postgres');
    if (!original || (original.status !== 'issued' && original.status !== 'paid')) {
      throw new AppError('INVOICE.NOT_OPEN', { reference_invoice_id: String(note.reference_invoice_id), status: original?.status ?? 'missing' });
    }
    if (note.document_subtype === null || !isCreditNote(note.document_subtype)) return;
    const credited = await repository.creditedAgainst(scoped(tx, everywhere, 'invoices'), original.id, CREDIT_NOTE_TYPES);
    if (credited + note.total_e4 > original.total_e4) {
      const money = moneyIn(original.currency);
      throw new AppError('INVOICE.CREDIT_TOO_LARGE', { total: money(original.total_e4), credited: money(credited) });
    }
  }

  /** The stock an invoice's item lines move, per item. */
  function quantitiesOf(lines: readonly Pick<InvoiceLineRow, 'item_id' | 'quantity_e4'>[]): Map<number, number> {
    const quantities = new Map<number, number>();
    for (const line of lines) if (line.item_id !== null) quantities.set(line.item_id, (quantities.get(line.item_id) ?? 0) + line.quantity_e4);
    return quantities;
  }

  return {
    async list(ctx: InWorkspaceContext, query: InvoiceListQuery): Promise<Page<InvoiceSummary>> {
      const rows = await repository.listInvoices(scoped(db, ctx, 'invoices'), {
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.contact_id === undefined ? {} : { contactId: query.contact_id }),
        ...(query.q === undefined ? {} : { numberOrNcf: query.q.trim() }),
        afterId: decodeCursor(query.cursor),
        rows: query.limit + 1,
      });
      const page = toPage(rows, query.limit);
      return { items: page.items.map(toSummary), nextCursor: page.nextCursor };
    },

    async get(ctx: InWorkspaceContext, id: number): Promise<Invoice> {
      const row = await repository.findInvoice(scoped(db, ctx, 'invoices'), id);
      if (!row) throw new AppError('INVOICE.NOT_FOUND');
      return detailed(db, ctx, row);
    },

    create(ctx: InWorkspaceContext, input: CreateInvoiceBody): Promise<Invoice> {
      return inWorkspaceTransaction(db, ctx, (tx) =>
        insertDraft(tx, ctx, {
          contact_id: input.contact_id ?? null,
          location_id: input.location_id,
          document_subtype: input.document_subtype,
          reference_invoice_id: input.reference_invoice_id ?? null,
          currency: input.currency,
          tax_included: input.tax_included,
          notes: input.notes?.trim() ?? null,
          lines: input.lines,
        }),
      );
    },

    /** A draft made inside the caller's transaction (a quotation's conversion), as `create` makes one. */
    draftInTransaction: insertDraft,

    async update(ctx: InWorkspaceContext, id: number, input: UpdateInvoiceBody): Promise<Invoice> {
      const now = clock.now().toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const current = await held(tx, ctx, id);
        if (current.status !== 'draft') throw new AppError('INVOICE.NOT_DRAFT', { status: current.status });
        const lines = input.lines ?? (await repository.linesOf(scoped(tx, ctx, 'invoice_lines'), id)).map(lineAsInput);
        const draft = await compose(
          tx,
          ctx,
          {
            contact_id: input.contact_id === undefined ? current.contact_id : input.contact_id,
            location_id: input.location_id ?? current.location_id,
            document_subtype: input.document_subtype === undefined ? current.document_subtype : input.document_subtype,
            reference_invoice_id: input.reference_invoice_id === undefined ? current.reference_invoice_id : input.reference_invoice_id,
            currency: input.currency ?? current.currency,
            tax_included: input.tax_included ?? current.tax_included === 1,
            notes: input.notes === undefined ? current.notes : (input.notes?.trim() ?? null),
            lines,
          },
          await settingsOf(tx, ctx.workspace.id),
        );
        const row = await repository.updateInvoice(scoped(tx, ctx, 'invoices'), id, 'draft', { ...draft.columns, updated_at: now });
        if (!row) throw new AppError('INVOICE.NOT_DRAFT');
        await repository.replaceLines(scoped(tx, ctx, 'invoice_lines'), id, draft.lines);
        await audit(tx, ctx, 'updated', row, { changed: Object.keys(input), total: toSummary(row).total }, now);
        // A draft takes no payment.
        return toInvoice(row, draft.lines, []);
      });
    },

    async remove(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      try {
        await inWorkspaceTransaction(db, ctx, async (tx) => {
          const current = await held(tx, ctx, id);
          if (current.status !== 'draft') throw new AppError('INVOICE.NOT_DRAFT', { status: current.status });
          await repository.deleteDraft(scoped(tx, ctx, 'invoices'), id);
          await audit(tx, ctx, 'deleted', current, {}, now);
        });
      } catch (error) {
        // The quotations' foreign key decides: a draft a quotation was converted into is kept.
        throw isForeignKeyViolation(error) ? new AppError('INVOICE.IN_USE') : error;
      }
    },

    /**
     * Issues a draft, in one transaction: its number (the workspace's prefix + the series'
     * next, gapless), its NCF (the next of its subtype), the customer's and issuer's details
     * as they are now, its dates, and the stock its item lines draw from its location. Any
     * refusal (409 NCF.SEQUENCE_EXHAUSTED, STOCK.INSUFFICIENT …) leaves everything as it was:
     * no number or NCF is used up.
     *
     * Locks, always in this order: the invoice, the settings (shared), the number series, the
     * NCF range, the stock levels in item order. Two issues in one workspace queue on the
     * series; issues in two workspaces share no row and never wait for each other.
     */
    async issue(ctx: InWorkspaceContext, id: number, input: IssueInvoiceBody): Promise<Invoice> {
      const instant = clock.now();
      const now = instant.toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const draft = await held(tx, ctx, id);
        if (draft.status !== 'draft') throw new AppError('INVOICE.NOT_DRAFT', { status: draft.status });
        const settings = await holdSettingsUnchanged(tx, ctx.workspace.id);
        // Where it was drafted may have been archived since.
        const location = await requireLocation(tx, ctx, 'location_id', input.location_id ?? draft.location_id);
        if (draft.reference_invoice_id !== null) await requireAmendable(tx, ctx, draft);
        const lines = await repository.linesOf(scoped(tx, ctx, 'invoice_lines'), id);
        const sequence = await repository.drawInvoiceNumber(scoped(tx, ctx, 'invoice_number_series'), settings.invoice_number_prefix);
        const today = fiscalDate(instant);
        const fiscal = draft.document_subtype === null ? null : await drawNcf(tx, ctx, draft.document_subtype, today);
        const contact = draft.contact_id === null ? undefined : await contactOf(tx, ctx, draft.contact_id);
        const paidAtOnce = draft.total_e4 === 0;
        const row = await repository.updateInvoice(scoped(tx, ctx, 'invoices'), id, 'draft', {
          status: paidAtOnce ? 'paid' : 'issued',
          location_id: location,
          number_prefix: settings.invoice_number_prefix,
          number_sequence: sequence,
          number: `${settings.invoice_number_prefix}${String(sequence).padStart(6, '0')}`,
          ncf: fiscal?.ncf ?? null,
          ncf_sequence_id: fiscal?.sequenceId ?? null,
          issue_date: today,
          due_date: daysAfter(today, settings.default_invoice_due_days),
          customer_name: contact?.name ?? null,
          customer_tax_id: contact?.tax_id ?? null,
          issuer_name: settings.invoicing_business_name,
          issuer_email: settings.invoicing_email,
          issuer_address: settings.invoicing_address,
          issued_at: now,
          paid_at: paidAtOnce ? now : null,
          updated_at: now,
        });
        if (!row) throw new AppError('INVOICE.NOT_DRAFT');
        // A note (credit or debit) amends another invoice and moves no stock: returned goods are booked as receipts.
        if (!(draft.document_subtype !== null && isNote(draft.document_subtype))) {
          await stock.moveForInvoice(tx, ctx, { kind: 'sale', invoiceId: id, locationId: location, quantities: quantitiesOf(lines), negativeAllowed: settings.allow_negative_stock }, now);
        }
        await audit(tx, ctx, 'issued', row, { number: row.number, ncf: row.ncf, total: toSummary(row).total }, now);
        return toInvoice(row, lines, []);
      });
    },

    /**
     * Voids an issued invoice with no payments: it keeps its number and NCF (reported in the
     * month's 608), and the stock it drew comes back to where it was drawn from.
     */
    async void(ctx: InWorkspaceContext, id: number, input: VoidInvoiceBody): Promise<Invoice> {
      const now = clock.now().toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const issued = await held(tx, ctx, id);
        if (issued.status !== 'issued' && issued.status !== 'paid') throw new AppError('INVOICE.NOT_OPEN', { status: issued.status });
        if (issued.paid_e4 > 0) throw new AppError('INVOICE.HAS_PAYMENTS', { paid: toSummary(issued).paid });
        const row = await repository.updateInvoice(scoped(tx, ctx, 'invoices'), id, issued.status, {
          status: 'void',
          void_reason: input.reason,
          void_note: input.note?.trim() ?? null,
          voided_at: now,
          updated_at: now,
        });
        if (!row) throw new AppError('INVOICE.NOT_OPEN');
        const drawn = await stock.drawnBy(tx, ctx, id);
        // Giving back raises levels only, so the negative-stock setting has nothing to decide.
        await stock.moveForInvoice(tx, ctx, { kind: 'return', invoiceId: id, locationId: issued.location_id, quantities: drawn, negativeAllowed: true }, now);
        await audit(tx, ctx, 'voided', row, { number: row.number, ncf: row.ncf, reason: input.reason }, now);
        return detailed(tx, ctx, row);
      });
    },

    /** Records a payment (partial allowed); paid in full, the invoice is paid. */
    async pay(ctx: InWorkspaceContext, id: number, input: PaymentBody): Promise<Invoice> {
      const instant = clock.now();
      const now = instant.toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const issued = await held(tx, ctx, id);
        if (issued.status !== 'issued') throw new AppError('INVOICE.NOT_OPEN', { status: issued.status });
        const minor = minorUnitDigits(issued.currency);
        const amount = scaledFromString(input.amount, SCALE);
        if (amount === 0) throw new AppError('VALIDATION.FAILED', { amount: 'must be more than zero' });
        if (amount % 10 ** (SCALE - minor) !== 0) throw new AppError('VALIDATION.FAILED', { amount: `has more than ${minor} decimal places for ${issued.currency}` });
        const today = fiscalDate(instant);
        const paidOn = input.paid_on ?? today;
        if (paidOn > today || (issued.issue_date !== null && paidOn < issued.issue_date)) {
          throw new AppError('VALIDATION.FAILED', { paid_on: `must be between the issue date (${issued.issue_date}) and today (${today})` });
        }
        const row = await repository.addPaid(scoped(tx, ctx, 'invoices'), id, amount, now);
        if (!row) throw new AppError('INVOICE.OVERPAYMENT', { balance: toSummary(issued).balance });
        await repository.insertPayment(scoped(tx, ctx, 'invoice_payments'), {
          invoice_id: id,
          amount_e4: amount,
          method: input.method,
          reference: input.reference?.trim() ?? null,
          paid_on: paidOn,
          actor_user_id: ctx.actor.userId,
          actor_api_key_id: ctx.actor.kind === 'api_key' ? ctx.actor.apiKeyId : null,
          created_at: now,
        });
        await audit(tx, ctx, 'payment_recorded', row, { amount: stringFromScaled(amount, SCALE, minor), method: input.method, status: row.status }, now);
        return detailed(tx, ctx, row);
      });
    },
  };
}
