import { Type, type NumberOptions, type StringOptions } from '@sinclair/typebox';
import { fitsScale } from '../decimal.ts';

/**
 * The string formats Tessera adds to Ajv's standard ones, each with the message a client
 * reads in a 422's `details` when a field breaks it. A schema names a format; Ajv checks it.
 */
interface CustomFormat {
  /** What the format applies to; a string format by default. */
  type?: 'number';
  validate(value: never): boolean;
  message: string;
}

/** ISO 4217 codes as the ICU bundled with Node knows them: a real list, not any three letters. */
const CURRENCY_CODES = new Set(Intl.supportedValuesOf('currency'));

// Besides the categories, the fillers that print as nothing though they are letters or symbols
// (Hangul fillers, the blank Braille pattern): a name of them alone would read as empty.
const CONTROL_OR_INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\u115F\u1160\u3164\uFFA0\u2800]/u;
const IMAGE_URL = /^(?:https:\/\/[^\s/?#]+\S{0,2040}|data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2})$/;

export const CUSTOM_FORMATS = {
  /**
   * Human-entered text (names, e-mail addresses, role names): no control characters (Cc:
   * NUL, BEL, CR, LF, …), no invisible format characters (Cf: zero-width spaces and
   * joiners, bidi overrides, soft hyphens, …), no blank fillers, and no lone surrogates (Cs), which would let
   * two names read the same, break e-mail headers and bodies, or be refused by PostgreSQL.
   */
  'plain-text': {
    validate: (value: string) => !CONTROL_OR_INVISIBLE.test(value),
    message: 'must not contain control or invisible characters',
  },
  /** Shown as an image by clients: an `https:` URL or a small inline image; never `javascript:`, `http:` or another scheme. */
  'image-url': {
    validate: (value: string) => IMAGE_URL.test(value) && !CONTROL_OR_INVISIBLE.test(value),
    message: 'must be an https: URL or a data:image/(png|jpeg|gif|webp);base64 URL',
  },
  'currency-code': { validate: (value: string) => CURRENCY_CODES.has(value), message: 'must be an ISO 4217 currency code such as USD, EUR or DOP' },
  'hex-color': { validate: (value: string) => /^#[0-9a-fA-F]{6}$/.test(value), message: 'must be a colour written #RRGGBB' },
  /**
   * An exact decimal of up to 4 places (a percentage such as 12.5 or 18.0825): kept as an
   * integer of ten-thousandths (core/decimal.ts), so nothing is rounded on the way.
   */
  'decimal-4': { type: 'number', validate: (value: number) => fitsScale(value, 4), message: 'must have at most 4 decimal places' },
} as const satisfies Record<string, CustomFormat>;

/** A string of human-entered text; `options` bound it as usual (`minLength`, `maxLength`, `pattern`). */
export const PlainText = (options: StringOptions = {}) => Type.String({ ...options, format: 'plain-text' });

/** An image a client may show: https: (up to 2,048 characters) or an inline data: image (`maxLength` bounds its size). */
export const ImageUrl = (options: StringOptions = {}) => Type.String({ ...options, format: 'image-url' });

export const CurrencyCode = () => Type.String({ format: 'currency-code', description: 'ISO 4217, e.g. USD, EUR, DOP' });
export const HexColor = () => Type.String({ format: 'hex-color', description: '#RRGGBB' });
/** A number of at most 4 decimal places within `options`' bounds. */
export const Decimal4 = (options: NumberOptions = {}) => Type.Number({ ...options, format: 'decimal-4' });
