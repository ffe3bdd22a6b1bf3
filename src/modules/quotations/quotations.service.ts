import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { engineOf } from '../../core/db/dialect.ts';
import { inWorkspaceTransaction, scoped } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { composeDocument, lineAsInput, lineShown, moneyIn, type DocumentInput } from '../invoices/document-lines.ts';
import type { Invoice } from '../invoices/invoices.schemas.ts';
import type { InvoicesService } from '../invoices/invoices.service.ts';
import { settingsOf } from '../settings/settings.service.ts';
import * as repository from './quotations.repository.ts';
import type { ConvertQuotationBody, CreateQuotationBody, Quotation, QuotationListQuery, QuotationSummary, UpdateQuotationBody } from './quotations.schemas.ts';
import type { QuotationLineRow, QuotationRow } from './quotations.table.ts';

function toSummary(row: QuotationRow): QuotationSummary {
  const money = moneyIn(row.currency);
  const { workspace_id: _w, created_by_user_id: _c, subtotal_e4, tax_e4, total_e4, ...rest } = row;
  return { ...rest, tax_included: row.tax_included === 1, subtotal: money(subtotal_e4), tax: money(tax_e4), total: money(total_e4) };
}

const toQuotation = (row: QuotationRow, lines: readonly QuotationLineRow[]): Quotation => ({ ...toSummary(row), lines: lines.map((line) => lineShown(line, row.currency)) });

/** A quotation's content once every default is applied. */
interface QuotationInput extends DocumentInput {
  valid_until: string | null;
  notes: string | null;
}

export type QuotationsService = ReturnType<typeof createQuotationsService>;

export function createQuotationsService(deps: { db: Db; clock: Clock; invoices: InvoicesService }) {
  const { db, clock, invoices } = deps;
  const audit = (tx: Tx, ctx: InWorkspaceContext, action: string, id: number, details: Record<string, unknown>, at: string) =>
    recordAudit(tx, ctx, { action: `quotation.${action}`, targetType: 'quotation', targetId: id, workspaceId: ctx.workspace.id, details, at });

  async function detailed(executor: Executor, ctx: InWorkspaceContext, row: QuotationRow): Promise<Quotation> {
    return toQuotation(row, await repository.quotationLinesOf(scoped(executor, ctx, 'quotation_lines'), row.id));
  }

  /** The quotation, held until the transaction ends on PostgreSQL; 404 when it is not the workspace's, 409 once converted. */
  async function heldOpen(tx: Tx, ctx: InWorkspaceContext, id: number): Promise<QuotationRow> {
    const row = await repository.findQuotation(scoped(tx, ctx, 'quotations'), id, engineOf(tx) === 'postgres');
    if (!row) throw new AppError('QUOTATION.NOT_FOUND');
    if (row.status !== 'open') throw new AppError('QUOTATION.CONVERTED', { converted_invoice_id: String(row.converted_invoice_id) });
    return row;
  }

  /** Its columns and lines, priced from the workspace settings; 422 naming each field that is wrong. */
  async function compose(tx: Tx, ctx: InWorkspaceContext, input: QuotationInput) {
    const settings = await settingsOf(tx, ctx.workspace.id);
    const problems: Record<string, string> = {};
    const { pricing, lines, totals } = await composeDocument(tx, ctx, input, settings, problems);
    if (Object.keys(problems).length > 0 || !totals) throw new AppError('VALIDATION.FAILED', problems);
    return {
      columns: { contact_id: input.contact_id, currency: pricing.currency, tax_included: pricing.taxIncluded ? 1 : 0, valid_until: input.valid_until, notes: input.notes, ...totals },
      lines,
    };
  }

  return {
    async list(ctx: InWorkspaceContext, query: QuotationListQuery): Promise<Page<QuotationSummary>> {
      const rows = await repository.listQuotations(scoped(db, ctx, 'quotations'), {
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.contact_id === undefined ? {} : { contactId: query.contact_id }),
        afterId: decodeCursor(query.cursor),
        rows: query.limit + 1,
      });
      const page = toPage(rows, query.limit);
      return { items: page.items.map(toSummary), nextCursor: page.nextCursor };
    },

    async get(ctx: InWorkspaceContext, id: number): Promise<Quotation> {
      const row = await repository.findQuotation(scoped(db, ctx, 'quotations'), id);
      if (!row) throw new AppError('QUOTATION.NOT_FOUND');
      return detailed(db, ctx, row);
    },

    async create(ctx: InWorkspaceContext, input: CreateQuotationBody): Promise<Quotation> {
      const now = clock.now().toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const quotation = await compose(tx, ctx, {
          contact_id: input.contact_id ?? null,
          currency: input.currency,
          tax_included: input.tax_included,
          valid_until: input.valid_until ?? null,
          notes: input.notes?.trim() ?? null,
          lines: input.lines,
        });
        const row = await repository.insertQuotation(scoped(tx, ctx, 'quotations'), {
          ...quotation.columns,
          status: 'open',
          converted_invoice_id: null,
          converted_at: null,
          created_by_user_id: ctx.actor.userId,
          created_at: now,
          updated_at: now,
        });
        await repository.replaceQuotationLines(scoped(tx, ctx, 'quotation_lines'), row.id, quotation.lines);
        await audit(tx, ctx, 'created', row.id, { total: toSummary(row).total, lines: quotation.lines.length }, now);
        return detailed(tx, ctx, row);
      });
    },

    async update(ctx: InWorkspaceContext, id: number, input: UpdateQuotationBody): Promise<Quotation> {
      const now = clock.now().toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const current = await heldOpen(tx, ctx, id);
        const quotation = await compose(tx, ctx, {
          contact_id: input.contact_id === undefined ? current.contact_id : input.contact_id,
          currency: input.currency ?? current.currency,
          tax_included: input.tax_included ?? current.tax_included === 1,
          valid_until: input.valid_until === undefined ? current.valid_until : input.valid_until,
          notes: input.notes === undefined ? current.notes : (input.notes?.trim() ?? null),
          lines: input.lines ?? (await repository.quotationLinesOf(scoped(tx, ctx, 'quotation_lines'), id)).map(lineAsInput),
        });
        const row = await repository.updateOpenQuotation(scoped(tx, ctx, 'quotations'), id, { ...quotation.columns, updated_at: now });
        if (!row) throw new AppError('QUOTATION.CONVERTED');
        await repository.replaceQuotationLines(scoped(tx, ctx, 'quotation_lines'), id, quotation.lines);
        await audit(tx, ctx, 'updated', id, { changed: Object.keys(input), total: toSummary(row).total }, now);
        return detailed(tx, ctx, row);
      });
    },

    async remove(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      await inWorkspaceTransaction(db, ctx, async (tx) => {
        await heldOpen(tx, ctx, id);
        await repository.deleteOpenQuotation(scoped(tx, ctx, 'quotations'), id);
        await audit(tx, ctx, 'deleted', id, {}, now);
      });
    },

    /**
     * Converts an open quotation into a draft invoice with its customer, currency, tax mode,
     * notes and lines, in one transaction, once: the quotation is held while it is converted,
     * and a second conversion finds it converted (409 QUOTATION.CONVERTED).
     */
    async convert(ctx: InWorkspaceContext, id: number, input: ConvertQuotationBody): Promise<Invoice> {
      const now = clock.now().toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const quotation = await heldOpen(tx, ctx, id);
        const lines = await repository.quotationLinesOf(scoped(tx, ctx, 'quotation_lines'), id);
        const invoice = await invoices.draftInTransaction(tx, ctx, {
          contact_id: quotation.contact_id,
          location_id: input.location_id,
          document_subtype: input.document_subtype,
          reference_invoice_id: null,
          currency: quotation.currency,
          tax_included: quotation.tax_included === 1,
          notes: quotation.notes,
          lines: lines.map(lineAsInput),
        });
        const converted = await repository.updateOpenQuotation(scoped(tx, ctx, 'quotations'), id, { status: 'converted', converted_invoice_id: invoice.id, converted_at: now, updated_at: now });
        if (!converted) throw new AppError('QUOTATION.CONVERTED');
        await audit(tx, ctx, 'converted', id, { invoice_id: invoice.id }, now);
        return invoice;
      });
    },
  };
}
