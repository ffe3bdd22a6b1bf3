/**
 * Exact decimals as scaled integers: 12.5 at scale 4 is 125000. A JSON number is read from
 * its shortest round-trip decimal form (what `String(n)` prints), never through binary
 * arithmetic, so 0.1 + 0.2-style rounding cannot reach a stored value.
 */
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Whether a JSON number, as its shortest decimal, has at most `scale` places (one printed with an exponent, 1e-7, has not). */
export function fitsScale(value: number, scale: number): boolean {
  const match = DECIMAL.exec(String(value));
  return match !== null && (match[3]?.length ?? 0) <= scale;
}

export function toScaled(value: number, scale: number): number {
  const match = DECIMAL.exec(String(value));
  const [, sign = '', whole = '', fraction = ''] = match ?? [];
  if (!match || fraction.length > scale) throw new RangeError(`${value} has more than ${scale} decimal places`);
  const scaled = Number(`${sign}${whole}${fraction.padEnd(scale, '0')}`);
  if (!Number.isSafeInteger(scaled)) throw new RangeError(`${value} is too large`);
  return scaled;
}

/** The number a scaled integer stands for, printed by JSON as its exact decimal (125000 → 12.5). */
export function fromScaled(scaled: number, scale: number): number {
  const digits = String(Math.abs(scaled)).padStart(scale + 1, '0');
  const sign = scaled < 0 ? '-' : '';
  return Number(`${sign}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`);
}

/**
 * "12.5" at scale 4 is 125000. Money and quantities travel as decimal strings ("12.50"),
 * which no JSON parser on the way reads through a binary float; the string must already
 * match the schema's pattern (core/http/patterns.ts `money`).
 */
export function scaledFromString(value: string, scale: number): number {
  const [whole = '0', fraction = ''] = value.split('.');
  if (fraction.length > scale) throw new RangeError(`${value} has more than ${scale} decimal places`);
  const scaled = Number(`${whole}${fraction.padEnd(scale, '0')}`);
  if (!Number.isSafeInteger(scaled)) throw new RangeError(`${value} is too large`);
  return scaled;
}

/** The decimal string of a scaled integer, with at least `minPlaces` places (125000 at scale 4 → "12.50"). */
export function stringFromScaled(scaled: number | bigint, scale: number, minPlaces = 2): string {
  const digits = String(scaled < 0 ? -scaled : scaled).padStart(scale + 1, '0');
  const fraction = digits.slice(digits.length - scale).replace(/0+$/, '').padEnd(minPlaces, '0');
  return `${scaled < 0 ? '-' : ''}${digits.slice(0, digits.length - scale)}${fraction ? `.${fraction}` : ''}`;
}

/**
 * `scaled` raised by `percentScaled` percent (both at `scale`), rounded half up to a multiple
 * of `step`: exact in integers (BigInt), so 10.00 at 33.3333 % is 13.33, not 13.329999….
 * Infinity when the result is past a safe integer.
 */
export function withPercent(scaled: number, percentScaled: number, scale: number, step: number): number {
  const hundredPercent = 100n * 10n ** BigInt(scale);
  const raised = BigInt(scaled) * (hundredPercent + BigInt(percentScaled));
  const unit = hundredPercent * BigInt(step);
  const result = ((raised + unit / 2n) / unit) * BigInt(step);
  return result > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(result);
}

/**
 * A scaled integer at `from` places brought to `to` (fewer) places, rounded half away from
 * zero, exact in BigInt: a product of two amounts at scale 4 is at scale 8, and is shown at 4.
 */
export function rescaleRounded(value: bigint, from: number, to: number): bigint {
  const unit = 10n ** BigInt(from - to);
  const magnitude = value < 0n ? -value : value;
  const rounded = (magnitude + unit / 2n) / unit;
  return value < 0n ? -rounded : rounded;
}
