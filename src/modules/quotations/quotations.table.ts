import type { Generated, Selectable } from 'kysely';
import type { QUOTATION_STATUSES } from '../../schema/migrations/0022-quotations.ts';
import type { InvoiceLinesTable } from '../invoices/invoices.table.ts';

export type QuotationStatus = (typeof QUOTATION_STATUSES)[number];

/** An offer to a customer (migration 0022), priced as an invoice is; converted into a draft invoice once. */
export interface QuotationsTable {
  id: Generated<number>;
  workspace_id: number;
  contact_id: number | null;
  status: QuotationStatus;
  currency: string;
  tax_included: number;
  /** A calendar date (YYYY-MM-DD), or null for no end. */
  valid_until: string | null;
  notes: string | null;
  subtotal_e4: number;
  tax_e4: number;
  total_e4: number;
  converted_invoice_id: number | null;
  converted_at: string | null;
  created_by_user_id: number | null;
  created_at: string;
  updated_at: string;
}

/** Its lines, as an invoice's are. */
export type QuotationLinesTable = Omit<InvoiceLinesTable, 'invoice_id'> & { quotation_id: number };

export type QuotationRow = Selectable<QuotationsTable>;
export type QuotationLineRow = Selectable<QuotationLinesTable>;
