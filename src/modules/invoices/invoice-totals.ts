/**
 * Invoice arithmetic, exact in integers (BigInt). The rounding rule:
 *
 * 1. A line's amount is quantity × unit price, less its discount percent, rounded half away
 *    from zero to the currency's minor unit (2 places for DOP and USD, 0 for JPY, 3 for KWD).
 * 2. Its tax is rounded the same way, per line: with tax added, amount × rate; with tax
 *    included, amount × rate ÷ (100 + rate), and the line's subtotal is the amount less it.
 * 3. The invoice's subtotal, tax and total are the sums of its lines' rounded figures, so
 *    the lines always add up to the totals shown.
 *
 * Amounts are kept in ten-thousandths (`_e4`), percentages in ten-thousandths of a percent.
 */
const HUNDRED_PERCENT_E4 = 1_000_000n;
/** The largest amount kept, in ten-thousandths (99,999,999,999.9999): a safe integer in JavaScript. */
export const MAX_AMOUNT_E4 = 999_999_999_999_999;

export interface LineFigures {
  quantity_e4: number;
  unit_price_e4: number;
  discount_percent_e4: number;
  tax_percent_e4: number;
}

export interface Amounts {
  subtotal_e4: number;
  tax_e4: number;
  total_e4: number;
}

/** The places of a currency's minor unit, as ICU knows them (DOP 2, JPY 0, KWD 3). */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** numerator ÷ denominator, both positive or zero, rounded half up. */
const divideRounded = (numerator: bigint, denominator: bigint) => (numerator * 2n + denominator) / (denominator * 2n);

/** A line's figures by the rule above; undefined when any of them is past MAX_AMOUNT_E4. */
export function lineAmounts(line: LineFigures, taxIncluded: boolean, minorDigits: number): Amounts | undefined {
  const minorPerE4 = 10n ** BigInt(4 - minorDigits);
  // quantity_e4 × price_e4 × (100 % − discount) is at scale 4 + 4 + 6 = 14; the minor unit is at scale `minorDigits`.
  const exact = BigInt(line.quantity_e4) * BigInt(line.unit_price_e4) * (HUNDRED_PERCENT_E4 - BigInt(line.discount_percent_e4));
  const amount = divideRounded(exact, 10n ** BigInt(14 - minorDigits));
  const rate = BigInt(line.tax_percent_e4);
  const tax = taxIncluded ? divideRounded(amount * rate, HUNDRED_PERCENT_E4 + rate) : divideRounded(amount * rate, HUNDRED_PERCENT_E4);
  const subtotal = taxIncluded ? amount - tax : amount;
  const total = subtotal + tax;
  if (total * minorPerE4 > BigInt(MAX_AMOUNT_E4)) return undefined;
  return { subtotal_e4: Number(subtotal * minorPerE4), tax_e4: Number(tax * minorPerE4), total_e4: Number(total * minorPerE4) };
}

/** The sums of the lines' figures; undefined past MAX_AMOUNT_E4. */
export function invoiceAmounts(lines: readonly Amounts[]): Amounts | undefined {
  const sum = (pick: (line: Amounts) => number) => lines.reduce((total, line) => total + pick(line), 0);
  const totals = { subtotal_e4: sum((line) => line.subtotal_e4), tax_e4: sum((line) => line.tax_e4), total_e4: sum((line) => line.total_e4) };
  return totals.total_e4 > MAX_AMOUNT_E4 ? undefined : totals;
}
