import { NCF_TYPES, NOTE_TYPES } from '../../schema/migrations/0021-invoices-ncf.ts';
import type { NcfType } from './invoices.table.ts';

/**
 * Dominican fiscal receipt numbers (DGII, Norma General 06-2018 and the e-CF rules): an NCF is
 * `B` + its 2-digit type + an 8-digit sequence (B0100000522), an e-NCF `E` + type + a 10-digit
 * sequence (E310000000005). Dates that decide on them are calendar dates in Santo Domingo.
 */
export const FISCAL_TIME_ZONE = 'America/Santo_Domingo';

const fiscalDay = new Intl.DateTimeFormat('en-CA', { timeZone: FISCAL_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar date (YYYY-MM-DD) an instant falls on in Santo Domingo. */
export function fiscalDate(instant: Date): string {
  return fiscalDay.format(instant);
}

/** A range is valid until 31 December of the year after it was authorised. */
export function expiryOf(authorizedOn: string): string {
  return `${Number(authorizedOn.slice(0, 4)) + 1}-12-31`;
}

/** `days` after a calendar date (YYYY-MM-DD). */
export function daysAfter(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** The largest sequence number of a type: 8 digits for printed receipts, 10 for electronic ones. */
export const largestNumberOf = (type: NcfType) => (type.startsWith('B') ? 99_999_999 : 9_999_999_999);

export function ncfText(type: NcfType, number: number): string {
  return `${type}${String(number).padStart(type.startsWith('B') ? 8 : 10, '0')}`;
}

export const isNote = (type: NcfType) => NOTE_TYPES.includes(type);
/** The types an invoice may draw by default (a workspace's preferred subtype): every one but the notes, which name the invoice they amend. */
export const PREFERABLE_NCF_TYPES: readonly NcfType[] = NCF_TYPES.filter((type) => !isNote(type));
export const CREDIT_NOTE_TYPES: readonly NcfType[] = ['B04', 'E34'];
export const isCreditNote = (type: NcfType) => CREDIT_NOTE_TYPES.includes(type);
