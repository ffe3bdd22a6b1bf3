import { CUSTOM_FORMATS } from '../http/formats.ts';
import type { PatternName } from '../http/patterns.ts';
import type { Locale } from './index.ts';

/**
 * Tessera's own words in a 422's `details`, in every supported locale (Ajv's come from
 * ajv-i18n, see core/http/validation.ts). A custom format added to core/http/formats.ts
 * without its message here in every locale is a compile error.
 */
export interface ValidationWords {
  /** A value breaking one of Tessera's string formats. */
  formats: Readonly<Record<keyof typeof CUSTOM_FORMATS, string>>;
  /** A value breaking one of the shared patterns (core/http/patterns.ts), said in words. */
  patterns: Readonly<Record<PatternName, string>>;
  /** A field the schema does not name (`additionalProperties: false`). */
  notAllowed: string;
  /** Ajv gave no message. */
  invalid: string;
  /** Text the database refused to store (a safety net behind the `plain-text` format). */
  unstorable: string;
  /** A value outside a list of allowed ones (a union of constants). */
  oneOf: (allowed: readonly string[]) => string;
}

export const VALIDATION_WORDS: Readonly<Record<Locale, ValidationWords>> = {
  en: {
    formats: Object.fromEntries(Object.entries(CUSTOM_FORMATS).map(([name, format]) => [name, format.message])) as ValidationWords['formats'],
    patterns: {
      notBlank: 'must not be blank',
      noSpaces: 'must not contain spaces',
      id: 'must be a whole number from 1, without sign or leading zeros',
      emailAddress: 'must be an e-mail address',
      tenantSlug: 'must be lowercase letters, digits and hyphens, starting with a letter or digit',
      workspaceSlug: 'must be lowercase letters, digits and single hyphens, with at least one letter',
      bizId: 'must be a workspace biz_id (ws_…)',
      money: 'must be an amount written as a decimal string, such as "12.50" (up to 11 digits before the point and 4 after)',
      signedAmount: 'must be a signed amount written as a decimal string, such as "-2.5" (up to 11 digits before the point and 4 after)',
    },
    notAllowed: 'is not an allowed field',
    invalid: 'is invalid',
    unstorable: 'contains characters that cannot be stored',
    oneOf: (allowed) => `must be one of: ${allowed.join(', ')}`,
  },
  es: {
    formats: {
      'plain-text': 'no debe contener caracteres de control ni invisibles',
      'image-url': 'debe ser una URL https: o una URL data:image/(png|jpeg|gif|webp);base64',
      'currency-code': 'debe ser un código de moneda ISO 4217, como USD, EUR o DOP',
      'hex-color': 'debe ser un color escrito #RRGGBB',
      'decimal-4': 'debe tener como máximo 4 decimales',
    },
    patterns: {
      notBlank: 'no debe estar en blanco',
      noSpaces: 'no debe contener espacios',
      id: 'debe ser un número entero desde 1, sin signo ni ceros a la izquierda',
      emailAddress: 'debe ser una dirección de correo electrónico',
      tenantSlug: 'debe tener letras minúsculas, dígitos y guiones, y empezar por una letra o un dígito',
      workspaceSlug: 'debe tener letras minúsculas, dígitos y guiones sueltos, con al menos una letra',
      bizId: 'debe ser el biz_id de una sucursal (ws_…)',
      money: 'debe ser un importe escrito como texto decimal, como "12.50" (hasta 11 dígitos antes del punto y 4 después)',
      signedAmount: 'debe ser una cantidad con signo escrita como texto decimal, como "-2.5" (hasta 11 dígitos antes del punto y 4 después)',
    },
    notAllowed: 'no es un campo permitido',
    invalid: 'no es válido',
    unstorable: 'contiene caracteres que no se pueden guardar',
    oneOf: (allowed) => `debe ser uno de: ${allowed.join(', ')}`,
  },
};
