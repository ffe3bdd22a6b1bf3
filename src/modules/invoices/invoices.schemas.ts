import { Type, type Static } from '@sinclair/typebox';
import { CurrencyCode, PlainText } from '../../core/http/formats.ts';
import { PATTERNS } from '../../core/http/patterns.ts';
import { Id, ListQuery, Money, Nullable, Quantity, Timestamp } from '../../core/http/schemas.ts';
import { INVOICE_STATUSES, NCF_TYPES, VOID_REASONS } from '../../schema/migrations/0021-invoices-ncf.ts';

const Amount = (description: string) => Type.String({ description: `${description}; exact, as a decimal string in the currency's minor unit ("118.00")` });
const Percent = (description: string) => Type.String({ pattern: '^[0-9]{1,3}([.][0-9]{1,4})?$', maxLength: 8, description: `${description}; 0 to 100, up to 4 places, as a string ("18")` });
export const CalendarDate = (description: string) => Type.String({ format: 'date', description: `${description} (YYYY-MM-DD)` });
export const NcfTypeSchema = Type.Union(
  NCF_TYPES.map((type) => Type.Literal(type)),
  { description: 'NCF type: B01/E31 crédito fiscal, B02/E32 consumo, B03/E33 nota de débito, B04/E34 nota de crédito, B11/E41 compras, B13/E43 gastos menores, B14/E44 regímenes especiales, B15/E45 gubernamental, B16/E46 exportaciones, B17/E47 pagos al exterior, B12 registro único de ingresos' },
);
const Text = (maxLength: number) => PlainText({ minLength: 1, maxLength, pattern: PATTERNS.notBlank });

export const InvoiceLine = Type.Object(
  {
    position: Type.Integer({ description: 'From 1, in the order given' }),
    item_id: Nullable(Type.Integer()),
    description: Type.String(),
    quantity: Type.String({ description: 'Exact, as a decimal string ("2.5")' }),
    unit_price: Type.String(),
    discount_percent: Type.String(),
    tax_percent: Type.String(),
    subtotal: Amount('Before tax, after the discount'),
    tax: Amount('The tax of the line, rounded'),
    total: Amount('subtotal + tax'),
  },
  { title: 'InvoiceLine' },
);
export type InvoiceLine = Static<typeof InvoiceLine>;

export const InvoicePayment = Type.Object(
  {
    id: Type.Integer(),
    amount: Amount('Paid'),
    method: Type.String(),
    reference: Nullable(Type.String()),
    paid_on: Type.String({ description: 'YYYY-MM-DD' }),
    actor_user_id: Nullable(Type.Integer()),
    actor_api_key_id: Nullable(Type.Integer()),
    created_at: Timestamp,
  },
  { title: 'InvoicePayment' },
);
export type InvoicePayment = Static<typeof InvoicePayment>;

const summaryFields = {
  id: Type.Integer(),
  status: Type.Union(INVOICE_STATUSES.map((status) => Type.Literal(status)), { description: 'draft → issued → paid, or void' }),
  number: Nullable(Type.String({ description: 'invoice_number_prefix + a 6-digit sequence, given when issued' })),
  ncf: Nullable(Type.String({ description: 'The fiscal receipt number drawn when issued' })),
  document_subtype: Nullable(NcfTypeSchema),
  reference_invoice_id: Nullable(Type.Integer({ description: "A credit or debit note's original invoice" })),
  reference_ncf: Nullable(Type.String({ description: "A credit or debit note's original NCF" })),
  location_id: Type.Integer({ description: 'Where its stock is drawn from' }),
  contact_id: Nullable(Type.Integer()),
  customer_name: Nullable(Type.String({ description: 'As issued' })),
  customer_tax_id: Nullable(Type.String({ description: 'As issued' })),
  issuer_name: Nullable(Type.String({ description: "As issued, from the workspace's invoicing settings" })),
  issuer_email: Nullable(Type.String()),
  issuer_address: Nullable(Type.String()),
  currency: Type.String(),
  tax_included: Type.Boolean({ description: 'Whether unit prices include tax' }),
  issue_date: Nullable(Type.String({ description: 'YYYY-MM-DD in Santo Domingo, set when issued' })),
  due_date: Nullable(Type.String({ description: "issue_date + the workspace's default_invoice_due_days" })),
  notes: Nullable(Type.String()),
  subtotal: Amount('Sum of the lines before tax'),
  tax: Amount('Sum of the lines’ tax'),
  total: Amount('subtotal + tax'),
  paid: Amount('Sum of the payments'),
  balance: Amount('total − paid'),
  void_reason: Nullable(Type.Union(VOID_REASONS.map((reason) => Type.Literal(reason)))),
  void_note: Nullable(Type.String()),
  issued_at: Nullable(Timestamp),
  paid_at: Nullable(Timestamp),
  voided_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const InvoiceSummary = Type.Object(summaryFields, { title: 'InvoiceSummary' });
export type InvoiceSummary = Static<typeof InvoiceSummary>;
export const Invoice = Type.Object({ ...summaryFields, lines: Type.Array(InvoiceLine), payments: Type.Array(InvoicePayment) }, { title: 'Invoice' });
export type Invoice = Static<typeof Invoice>;

export const InvoiceLineInput = Type.Object(
  {
    item_id: Type.Optional(Nullable(Id)),
    description: Type.Optional(Text(500)),
    quantity: Quantity({ description: 'More than zero' }),
    unit_price: Type.Optional(Money({ description: "Default: the item's sell price" })),
    discount_percent: Type.Optional(Percent('Default 0')),
    tax_percent: Type.Optional(Percent("Default: the workspace's default_tax_percent")),
  },
  { additionalProperties: false, title: 'InvoiceLineInput', description: 'An item of the workspace, or free text (description required)' },
);
export type InvoiceLineInput = Static<typeof InvoiceLineInput>;

export const CreateInvoiceBody = Type.Object(
  {
    contact_id: Type.Optional(Nullable(Id)),
    location_id: Type.Optional(Id),
    document_subtype: Type.Optional(Nullable(NcfTypeSchema)),
    reference_invoice_id: Type.Optional(Nullable(Id)),
    currency: Type.Optional(CurrencyCode()),
    tax_included: Type.Optional(Type.Boolean()),
    notes: Type.Optional(Nullable(Text(2000))),
    lines: Type.Array(InvoiceLineInput, { minItems: 1, maxItems: 200 }),
  },
  {
    additionalProperties: false,
    title: 'CreateInvoiceBody',
    description:
      "A draft. Defaults from the workspace settings: location_id default_invoice_source_location_id (else default_location_id), document_subtype the preferred document subtype, currency default_currency, tax_included default_tax_included. A credit or debit note (B03/B04/E33/E34) names the issued invoice it amends.",
  },
);
export type CreateInvoiceBody = Static<typeof CreateInvoiceBody>;
export const UpdateInvoiceBody = Type.Partial(CreateInvoiceBody, { additionalProperties: false, minProperties: 1, title: 'UpdateInvoiceBody', description: 'Changes a draft; lines, when given, replace them all' });
export type UpdateInvoiceBody = Static<typeof UpdateInvoiceBody>;

export const IssueInvoiceBody = Type.Object(
  { location_id: Type.Optional(Id) },
  { additionalProperties: false, title: 'IssueInvoiceBody', description: "Where the stock is drawn from, when not the invoice's location (the caller must work there)" },
);
export type IssueInvoiceBody = Static<typeof IssueInvoiceBody>;

export const VoidInvoiceBody = Type.Object(
  {
    reason: Type.Union(VOID_REASONS.map((reason) => Type.Literal(reason)), {
      description:
        "DGII's tipo de anulación (format 608): 01 deterioro de factura preimpresa, 02 errores de impresión, 03 impresión defectuosa, 04 corrección de la información, 05 cambio de productos, 06 devolución de productos, 07 omisión de productos, 08 errores en secuencia de NCF, 09 por cese de operaciones, 10 pérdida o hurto de talonarios",
    }),
    note: Type.Optional(Text(500)),
  },
  { additionalProperties: false, title: 'VoidInvoiceBody' },
);
export type VoidInvoiceBody = Static<typeof VoidInvoiceBody>;

export const PAYMENT_METHODS = ['cash', 'card', 'transfer', 'check', 'other'] as const;
export const PaymentBody = Type.Object(
  {
    amount: Money({ description: "More than zero, at most the balance, in the currency's minor unit" }),
    method: Type.Union(PAYMENT_METHODS.map((method) => Type.Literal(method))),
    reference: Type.Optional(Text(200)),
    paid_on: Type.Optional(CalendarDate('From the issue date to today; default today in Santo Domingo')),
  },
  { additionalProperties: false, title: 'PaymentBody' },
);
export type PaymentBody = Static<typeof PaymentBody>;

export const InvoiceListQuery = Type.Object(
  {
    ...ListQuery.properties,
    status: Type.Optional(Type.Union(INVOICE_STATUSES.map((status) => Type.Literal(status)))),
    contact_id: Type.Optional(Id),
    q: Type.Optional(PlainText({ minLength: 1, maxLength: 40, description: 'An invoice number or an NCF, exact' })),
  },
  { additionalProperties: false },
);
export type InvoiceListQuery = Static<typeof InvoiceListQuery>;
