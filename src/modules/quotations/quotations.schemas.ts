import { Type, type Static } from '@sinclair/typebox';
import { CurrencyCode, PlainText } from '../../core/http/formats.ts';
import { PATTERNS } from '../../core/http/patterns.ts';
import { Id, ListQuery, Nullable, Timestamp } from '../../core/http/schemas.ts';
import { QUOTATION_STATUSES } from '../../schema/migrations/0022-quotations.ts';
import { CalendarDate, InvoiceLine, InvoiceLineInput, NcfTypeSchema } from '../invoices/invoices.schemas.ts';

const Amount = (description: string) => Type.String({ description: `${description}; exact, in the currency's minor unit` });

const summaryFields = {
  id: Type.Integer(),
  status: Type.Union(QUOTATION_STATUSES.map((status) => Type.Literal(status)), { description: 'open, or converted (into converted_invoice_id, once)' }),
  contact_id: Nullable(Type.Integer()),
  currency: Type.String(),
  tax_included: Type.Boolean(),
  valid_until: Nullable(Type.String({ description: 'YYYY-MM-DD' })),
  notes: Nullable(Type.String()),
  subtotal: Amount('Sum of the lines before tax'),
  tax: Amount('Sum of the lines’ tax'),
  total: Amount('subtotal + tax'),
  converted_invoice_id: Nullable(Type.Integer()),
  converted_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const QuotationSummary = Type.Object(summaryFields, { title: 'QuotationSummary' });
export type QuotationSummary = Static<typeof QuotationSummary>;
export const Quotation = Type.Object({ ...summaryFields, lines: Type.Array(InvoiceLine) }, { title: 'Quotation' });
export type Quotation = Static<typeof Quotation>;

export const CreateQuotationBody = Type.Object(
  {
    contact_id: Type.Optional(Nullable(Id)),
    currency: Type.Optional(CurrencyCode()),
    tax_included: Type.Optional(Type.Boolean()),
    valid_until: Type.Optional(Nullable(CalendarDate('The last day the offer stands'))),
    notes: Type.Optional(Nullable(PlainText({ minLength: 1, maxLength: 2000, pattern: PATTERNS.notBlank }))),
    lines: Type.Array(InvoiceLineInput, { minItems: 1, maxItems: 200 }),
  },
  { additionalProperties: false, title: 'CreateQuotationBody', description: 'Priced as an invoice is, from the same workspace settings' },
);
export type CreateQuotationBody = Static<typeof CreateQuotationBody>;
export const UpdateQuotationBody = Type.Partial(CreateQuotationBody, { additionalProperties: false, minProperties: 1, title: 'UpdateQuotationBody', description: 'Changes an open quotation; lines, when given, replace them all' });
export type UpdateQuotationBody = Static<typeof UpdateQuotationBody>;

export const ConvertQuotationBody = Type.Object(
  {
    location_id: Type.Optional(Id),
    document_subtype: Type.Optional(Nullable(NcfTypeSchema)),
  },
  { additionalProperties: false, title: 'ConvertQuotationBody', description: "The draft invoice's location and NCF type, when not the workspace's defaults" },
);
export type ConvertQuotationBody = Static<typeof ConvertQuotationBody>;

export const QuotationListQuery = Type.Object(
  {
    ...ListQuery.properties,
    status: Type.Optional(Type.Union(QUOTATION_STATUSES.map((status) => Type.Literal(status)))),
    contact_id: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export type QuotationListQuery = Static<typeof QuotationListQuery>;
