import { Type, type StringOptions } from '@sinclair/typebox';

/**
 * Human-entered text (names, e-mail addresses, role names): no control characters (Cc:
 * NUL, BEL, CR, LF, …), no invisible format characters (Cf: zero-width spaces and joiners,
 * bidi overrides, soft hyphens, …) and no lone surrogates (Cs), which would let two names
 * read the same, break e-mail headers and bodies, or be refused by PostgreSQL as a 500.
 * One rule for every field: a schema says `PlainText(…)`, Ajv checks the `plain-text` format.
 */
export const PLAIN_TEXT_FORMAT = 'plain-text';

const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}]/u;

export function isPlainText(value: string): boolean {
  return !FORBIDDEN.test(value);
}

/** A string of human-entered text; `options` bound it as usual (`minLength`, `maxLength`, `pattern`). */
export const PlainText = (options: StringOptions = {}) => Type.String({ ...options, format: PLAIN_TEXT_FORMAT });
