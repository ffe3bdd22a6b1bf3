import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import { CUSTOM_FORMATS } from './formats.ts';

/**
 * Fastify's schema compiler: Ajv with every error reported, defaults applied, unknown
 * fields kept (so `additionalProperties: false` answers 422 instead of dropping them),
 * standard formats and Tessera's own (core/http/formats.ts).
 */
export function createValidatorCompiler() {
  const base: AjvOptions = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };
  const withFormats = (ajv: Ajv) => {
    addFormats.default(ajv);
    for (const [name, format] of Object.entries(CUSTOM_FORMATS)) ajv.addFormat(name, { type: 'string', validate: format.validate });
    return ajv;
  };
  // Bodies are typed JSON: "5" is not 5. Query strings, params and headers are text and get coerced.
  const body = withFormats(new Ajv({ ...base, coerceTypes: false }));
  const text = withFormats(new Ajv({ ...base, coerceTypes: 'array' }));
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => (httpPart === 'body' ? body : text).compile(schema);
}
