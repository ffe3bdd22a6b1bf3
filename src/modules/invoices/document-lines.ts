import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import { scaledFromString, stringFromScaled, toScaled } from '../../core/decimal.ts';
import type { Tx } from '../../schema/database.ts';
import { liveItemsForSale } from '../catalog/items.service.ts';
import { contactOf } from '../contacts/contacts.service.ts';
import type { WorkspaceSettings } from '../settings/settings.schemas.ts';
import { invoiceAmounts, lineAmounts, minorUnitDigits, type Amounts, type LineFigures } from './invoice-totals.ts';
import type { InvoiceLineInput } from './invoices.schemas.ts';

/**
 * The lines of a sales document (an invoice or a quotation): an item of the workspace or free
 * text, priced and taxed exactly (invoice-totals.ts). Both kinds store and show them alike.
 */
const SCALE = 4;
const HUNDRED_PERCENT_E4 = 1_000_000;

export interface DocumentLine extends LineFigures, Amounts {
  position: number;
  item_id: number | null;
  description: string;
}

export interface Pricing {
  currency: string;
  taxIncluded: boolean;
  /** The tax of a line that names none: the workspace's default_tax_percent. */
  defaultTaxE4: number;
}

/** What every sales document names: its customer, how it is priced (else the workspace's defaults), its lines. */
export interface DocumentInput {
  contact_id: number | null;
  currency: string | undefined;
  tax_included: boolean | undefined;
  lines: readonly InvoiceLineInput[];
}

/**
 * The customer, pricing, lines and totals of a sales document; each problem goes into
 * `problems` (the caller adds its own and answers 422 with all of them).
 */
export async function composeDocument(tx: Tx, ctx: InWorkspaceContext, input: DocumentInput, settings: WorkspaceSettings, problems: Record<string, string>) {
  const contact = input.contact_id === null ? undefined : await contactOf(tx, ctx, input.contact_id);
  if (input.contact_id !== null && !contact) problems.contact_id = 'no such contact in this workspace';
  const pricing: Pricing = {
    currency: input.currency ?? settings.default_currency,
    taxIncluded: input.tax_included ?? settings.default_tax_included,
    defaultTaxE4: toScaled(settings.default_tax_percent, SCALE),
  };
  return { contact, pricing, ...(await composeLines(tx, ctx, input.lines, pricing, problems)) };
}

/**
 * The lines and their totals; each problem goes into `problems` under `lines/<index>/<field>`
 * (the caller answers 422 with all of them). An item line takes the item's name and sell
 * price unless it names its own.
 */
async function composeLines(
  tx: Tx,
  ctx: InWorkspaceContext,
  inputs: readonly InvoiceLineInput[],
  pricing: Pricing,
  problems: Record<string, string>,
): Promise<{ lines: DocumentLine[]; totals: Amounts | undefined }> {
  const minor = minorUnitDigits(pricing.currency);
  const items = await liveItemsForSale(tx, ctx, inputs.flatMap((line) => (line.item_id == null ? [] : [line.item_id])));
  const lines = inputs.flatMap((line, index): DocumentLine[] => {
    const field = (name: string) => `lines/${index}/${name}`;
    const item = line.item_id == null ? undefined : items.get(line.item_id);
    if (line.item_id != null && !item) {
      problems[field('item_id')] = 'no such item in this workspace (or it is archived)';
      return [];
    }
    const description = line.description?.trim() ?? item?.name;
    if (description === undefined) problems[field('description')] = 'required for a line without an item';
    const unitPrice = line.unit_price === undefined ? item?.sell_price_e4 : scaledFromString(line.unit_price, SCALE);
    if (unitPrice === undefined) problems[field('unit_price')] = 'required for a line without an item';
    const quantity = scaledFromString(line.quantity, SCALE);
    if (quantity === 0) problems[field('quantity')] = 'must be more than zero';
    const discount = line.discount_percent === undefined ? 0 : scaledFromString(line.discount_percent, SCALE);
    if (discount > HUNDRED_PERCENT_E4) problems[field('discount_percent')] = 'must be at most 100';
    const tax = line.tax_percent === undefined ? pricing.defaultTaxE4 : scaledFromString(line.tax_percent, SCALE);
    if (tax > HUNDRED_PERCENT_E4) problems[field('tax_percent')] = 'must be at most 100';
    if (description === undefined || unitPrice === undefined || quantity === 0) return [];
    const figures = { quantity_e4: quantity, unit_price_e4: unitPrice, discount_percent_e4: discount, tax_percent_e4: tax };
    const amounts = lineAmounts(figures, pricing.taxIncluded, minor);
    if (!amounts) {
      problems[field('quantity')] = 'the line comes to more than the largest amount kept';
      return [];
    }
    return [{ position: index + 1, item_id: line.item_id ?? null, description, ...figures, ...amounts }];
  });
  const totals = invoiceAmounts(lines);
  if (!totals) problems.lines = 'the document comes to more than the largest amount kept';
  return { lines, totals };
}

const percentText = (e4: number) => stringFromScaled(e4, SCALE, 0);

/** A stored line as the input that would make it again (a draft's lines when a change names none; a quotation's when converted). */
export function lineAsInput(line: LineFigures & { item_id: number | null; description: string }): InvoiceLineInput {
  return {
    item_id: line.item_id,
    description: line.description,
    quantity: stringFromScaled(line.quantity_e4, SCALE, 0),
    unit_price: stringFromScaled(line.unit_price_e4, SCALE, 0),
    discount_percent: percentText(line.discount_percent_e4),
    tax_percent: percentText(line.tax_percent_e4),
  };
}

/** A stored line as shown, its money in the currency's minor unit. */
export function lineShown(line: DocumentLine, currency: string) {
  const money = (e4: number) => stringFromScaled(e4, SCALE, minorUnitDigits(currency));
  return {
    position: line.position,
    item_id: line.item_id,
    description: line.description,
    quantity: stringFromScaled(line.quantity_e4, SCALE, 0),
    unit_price: money(line.unit_price_e4),
    discount_percent: percentText(line.discount_percent_e4),
    tax_percent: percentText(line.tax_percent_e4),
    subtotal: money(line.subtotal_e4),
    tax: money(line.tax_e4),
    total: money(line.total_e4),
  };
}

/** Document money as shown: at least the currency's minor unit of places ("118.00", JPY "1101"). */
export const moneyIn = (currency: string) => (e4: number) => stringFromScaled(e4, SCALE, minorUnitDigits(currency));
