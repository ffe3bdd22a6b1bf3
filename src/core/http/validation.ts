import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import type { Localize } from 'ajv-i18n/localize/types.js';
import type { Locale } from '../i18n/index.ts';
import { CUSTOM_FORMATS } from './formats.ts';

// ajv-i18n is CommonJS without a default export its types admit: required, not imported.
const require = createRequire(import.meta.url);

/**
 * Ajv's messages in each supported locale: ajv-i18n rewrites an error list's messages in
 * place. English is Ajv's own, left as it is.
 */
const AJV_LOCALIZERS: Readonly<Record<Locale, Localize | undefined>> = {
  en: undefined,
  es: require('ajv-i18n/localize/es') as Localize,
};

/**
 * Copies of a failed validation's errors with Ajv's messages in `locale`. Applied when the
 * error is answered, so one compiled validator serves every language.
 */
export function localizeAjvErrors<E extends { keyword: string; message?: string; params: Record<string, unknown> }>(
  errors: readonly E[],
  locale: Locale,
): E[] {
  const copies = errors.map((error) => ({ ...error }));
  AJV_LOCALIZERS[locale]?.(copies as unknown as ErrorObject[]);
  return copies;
}

/**
 * Tessera's formats as Ajv option `formats`: for the response serializer, which consults
 * Ajv to choose among a union's members (a nullable formatted field) and must know them.
 */
export function ajvFormats() {
  return Object.fromEntries(
    Object.entries(CUSTOM_FORMATS).map(([name, format]) => {
      const validate = format.validate as (value: string | number) => boolean;
      return [name, 'type' in format ? { type: 'number' as const, validate } : { type: 'string' as const, validate }];
    }),
  );
}

/**
 * Fastify's schema compiler: Ajv with every error reported, defaults applied, unknown
 * fields kept (so `additionalProperties: false` answers 422 instead of dropping them),
 * standard formats and Tessera's own (core/http/formats.ts).
 */
export function createValidatorCompiler() {
  const base: AjvOptions = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };
  const withFormats = (ajv: Ajv) => {
    addFormats.default(ajv);
    for (const [name, format] of Object.entries(ajvFormats())) ajv.addFormat(name, format);
    return ajv;
  };
  // Bodies are typed JSON: "5" is not 5. Query strings, params and headers are text and get coerced.
  const body = withFormats(new Ajv({ ...base, coerceTypes: false }));
  const text = withFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => (httpPart === 'body' ? body : text).compile(schema);
}
