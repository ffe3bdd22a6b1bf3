import { Type, type StringOptions } from '@sinclair/typebox';

/**
 * The string formats Tessera adds to Ajv's standard ones, each with the message a client
 * reads in a 422's `details` when a field breaks it. A schema names a format; Ajv checks it.
 */
interface CustomFormat {
  validate(value: string): boolean;
  message: string;
}

const CONTROL_OR_INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;
const IMAGE_URL = /^(?:https:\/\/[^\s/?#]+\S{0,2040}|data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2})$/;

export const CUSTOM_FORMATS = {
  /**
   * Human-entered text (names, e-mail addresses, role names): no control characters (Cc:
   * NUL, BEL, CR, LF, …), no invisible format characters (Cf: zero-width spaces and
   * joiners, bidi overrides, soft hyphens, …) and no lone surrogates (Cs), which would let
   * two names read the same, break e-mail headers and bodies, or be refused by PostgreSQL.
   */
  'plain-text': { validate: (value) => !CONTROL_OR_INVISIBLE.test(value), message: 'must not contain control or invisible characters' },
  /** Shown as an image by clients: an `https:` URL or a small inline image; never `javascript:`, `http:` or another scheme. */
  'image-url': {
    validate: (value) => IMAGE_URL.test(value) && !CONTROL_OR_INVISIBLE.test(value),
    message: 'must be an https: URL or a data:image/(png|jpeg|gif|webp);base64 URL',
  },
} as const satisfies Record<string, CustomFormat>;

/** A string of human-entered text; `options` bound it as usual (`minLength`, `maxLength`, `pattern`). */
export const PlainText = (options: StringOptions = {}) => Type.String({ ...options, format: 'plain-text' });

/** An image a client may show: https: (up to 2,048 characters) or an inline data: image (`maxLength` bounds its size). */
export const ImageUrl = (options: StringOptions = {}) => Type.String({ ...options, format: 'image-url' });
