import type { Generated, Selectable } from 'kysely';
import type { INVOICE_STATUSES, NCF_TYPES, VOID_REASONS } from '../../schema/migrations/0021-invoices-ncf.ts';

export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];
export type NcfType = (typeof NCF_TYPES)[number];
export type VoidReason = (typeof VOID_REASONS)[number];

/** An invoice (migration 0021): money in ten-thousandths (`_e4`), rounded to the currency's minor unit. */
export interface InvoicesTable {
  id: Generated<number>;
  workspace_id: number;
  /** Where its stock is drawn from; a restricted member sees only the invoices of their locations. */
  location_id: number;
  contact_id: number | null;
  status: InvoiceStatus;
  /** The NCF type it draws when issued; null: no fiscal receipt. */
  document_subtype: NcfType | null;
  /** A credit or debit note's original invoice, and its NCF. */
  reference_invoice_id: number | null;
  reference_ncf: string | null;
  ncf: string | null;
  ncf_sequence_id: number | null;
  number_prefix: string | null;
  number_sequence: number | null;
  number: string | null;
  currency: string;
  tax_included: number;
  /** Calendar dates (YYYY-MM-DD) in the fiscal time zone. */
  issue_date: string | null;
  due_date: string | null;
  /** The customer's details as issued. */
  customer_name: string | null;
  customer_tax_id: string | null;
  /** The issuer's details as issued, from the workspace's invoicing settings. */
  issuer_name: string | null;
  issuer_email: string | null;
  issuer_address: string | null;
  notes: string | null;
  subtotal_e4: number;
  tax_e4: number;
  total_e4: number;
  paid_e4: Generated<number>;
  void_reason: VoidReason | null;
  void_note: string | null;
  created_by_user_id: number | null;
  issued_at: string | null;
  paid_at: string | null;
  voided_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface InvoiceLinesTable {
  id: Generated<number>;
  workspace_id: number;
  invoice_id: number;
  position: number;
  item_id: number | null;
  description: string;
  quantity_e4: number;
  unit_price_e4: number;
  discount_percent_e4: number;
  tax_percent_e4: number;
  subtotal_e4: number;
  tax_e4: number;
  total_e4: number;
}

export interface InvoicePaymentsTable {
  id: Generated<number>;
  workspace_id: number;
  invoice_id: number;
  amount_e4: number;
  method: string;
  reference: string | null;
  paid_on: string;
  actor_user_id: number | null;
  actor_api_key_id: number | null;
  created_at: string;
}

/** The last number drawn per workspace and prefix: a new prefix starts a new series. */
export interface InvoiceNumberSeriesTable {
  workspace_id: number;
  prefix: string;
  last_number: number;
}

/** An authorised NCF range handed to one workspace; the lowest usable one of a type is drawn from. */
export interface NcfSequencesTable {
  id: Generated<number>;
  tenant_id: number;
  workspace_id: number;
  document_type: NcfType;
  range_start: number;
  range_end: number;
  /** The number the next draw takes; range_end + 1 once exhausted. */
  next_number: number;
  authorization_number: string;
  authorized_on: string;
  expires_on: string;
  low_remaining_threshold: number;
  created_at: string;
}

export type InvoiceRow = Selectable<InvoicesTable>;
export type InvoiceLineRow = Selectable<InvoiceLinesTable>;
export type InvoicePaymentRow = Selectable<InvoicePaymentsTable>;
export type NcfSequenceRow = Selectable<NcfSequencesTable>;
