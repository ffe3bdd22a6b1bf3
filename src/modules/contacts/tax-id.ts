/**
 * Dominican tax ids (DGII): an RNC (9 digits, for companies and institutions) or a cédula
 * (11 digits, for people). Both end in a check digit: the RNC's from the weights
 * 7 9 8 6 5 4 3 2 modulo 11, the cédula's by Luhn. Written with dashes or spaces
 * (`1-01-85004-3`, `001-1391820-5`) or without; kept as digits.
 */
export type TaxIdType = 'rnc' | 'cedula';

export type TaxIdReading = { ok: true; digits: string; type: TaxIdType } | { ok: false; problem: string };

const RNC_WEIGHTS = [7, 9, 8, 6, 5, 4, 3, 2] as const;

function rncCheckDigit(first8: string): number {
  const sum = RNC_WEIGHTS.reduce((total, weight, i) => total + weight * Number(first8[i]), 0);
  return ((10 - (sum % 11)) % 9) + 1;
}

function luhnCheckDigit(payload: string): number {
  let sum = 0;
  // From the right, every second digit of the payload (the first next to the check digit) is doubled.
  for (let i = 0; i < payload.length; i += 1) {
    let digit = Number(payload[payload.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

export function readTaxId(text: string): TaxIdReading {
  const digits = text.replace(/[\s-]/g, '');
  if (!/^\d+$/.test(digits) || (digits.length !== 9 && digits.length !== 11)) {
    return { ok: false, problem: 'must be an RNC (9 digits) or a cédula (11 digits), with or without dashes' };
  }
  const type: TaxIdType = digits.length === 9 ? 'rnc' : 'cedula';
  const expected = type === 'rnc' ? rncCheckDigit(digits.slice(0, 8)) : luhnCheckDigit(digits.slice(0, 10));
  if (Number(digits[digits.length - 1]) !== expected) return { ok: false, problem: `the ${type === 'rnc' ? 'RNC' : 'cédula'}'s check digit does not match` };
  return { ok: true, digits, type };
}
