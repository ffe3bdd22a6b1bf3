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
