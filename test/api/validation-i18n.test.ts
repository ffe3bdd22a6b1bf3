import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOM_FORMATS } from '../../src/core/http/formats.ts';
import { PATTERNS, type PatternName } from '../../src/core/http/patterns.ts';
import { SUPPORTED_LOCALES } from '../../src/core/i18n/index.ts';
import { VALIDATION_WORDS } from '../../src/core/i18n/validation-messages.ts';
import { register, startTestApp, succeed, type Session, type TestApp } from '../support/test-app.ts';

/**
 * A 422's per-field details speak the caller's language: Ajv's messages through ajv-i18n,
 * Tessera's own (custom formats, unknown fields) from core/i18n/validation-messages.ts,
 * chosen when the error is answered, by the request's locale. The field paths never change.
 */

let t: TestApp;
let owner: Session;

beforeAll(async () => {
  t = await startTestApp();
  owner = await register(t, { name: 'Locale Owner' });
});
afterAll(async () => t.close());

const ZERO_WIDTH_SPACE = '\u200b';

/** One bad value per field: too long, not an address, too short, and a field nobody declared. */
const badRegistration = { name: 'x'.repeat(101), email: 'not-an-email', password: 'short', nickname: 'Bob' };
/** A custom-format breach in two fields (plain text, image URL), a bad slug, an unknown field. */
const badWorkspace = { name: `Sucursal${ZERO_WIDTH_SPACE}Norte`, slug: 'No Slug', logo: 'javascript:alert(1)', color: 'red' };

async function details(url: string, payload: object, headers: Record<string, string>): Promise<Record<string, string>> {
  const response = await t.request({ method: 'POST', url, headers, payload });
  expect(response.statusCode, response.body).toBe(422);
  const error = response.json().error;
  expect(error.code).toBe('VALIDATION.FAILED');
  return error.details;
}

describe('validation details in the caller’s language', () => {
  it('registration: Spanish per field with Accept-Language es, Ajv’s English with en, same field paths', async () => {
    const es = await details('/api/v1/auth/register', badRegistration, { 'accept-language': 'es' });
    expect(es).toEqual({
      name: 'no debe contener más de 100 caracteres',
      email: 'debe ser una dirección de correo electrónico',
      password: 'no debe contener menos de 8 caracteres',
      nickname: 'no es un campo permitido',
    });

    const en = await details('/api/v1/auth/register', badRegistration, { 'accept-language': 'en' });
    expect(en).toEqual({
      name: 'must NOT have more than 100 characters',
      email: 'must be an e-mail address',
      password: 'must NOT have fewer than 8 characters',
      nickname: 'is not an allowed field',
    });
    expect(Object.keys(es).sort()).toEqual(Object.keys(en).sort());
  });

  it('a choice among constants names the allowed values, in either language', async () => {
    for (const [language, expected] of [
      ['es', 'debe ser uno de: en, es'],
      ['en', 'must be one of: en, es'],
    ] as const) {
      const response = await t.request({
        method: 'PATCH',
        url: '/api/v1/tenant',
        headers: { ...owner.auth, 'accept-language': language },
        payload: { default_locale: 'fr' },
      });
      expect(response.statusCode, response.body).toBe(422);
      expect(response.json().error.details).toEqual({ default_locale: expected });
    }
  });

  it('a missing field is named the same way in both languages', async () => {
    const body = { name: 'Ann', email: 'ann@example.com' };
    expect(await details('/api/v1/auth/register', body, { 'accept-language': 'es' })).toEqual({
      password: 'debe tener la propiedad requerida password',
    });
    expect(await details('/api/v1/auth/register', body, { 'accept-language': 'en' })).toEqual({
      password: "must have required property 'password'",
    });
  });

  it('workspaces: Tessera’s custom formats and unknown fields in Spanish, and in English', async () => {
    const es = await details('/api/v1/workspaces', badWorkspace, { ...owner.auth, 'accept-language': 'es-DO,en;q=0.5' });
    expect(es).toEqual({
      name: 'no debe contener caracteres de control ni invisibles',
      slug: 'debe tener letras minúsculas, dígitos y guiones sueltos, con al menos una letra',
      logo: 'debe ser una URL https: o una URL data:image/(png|jpeg|gif|webp);base64',
      color: 'no es un campo permitido',
    });

    const en = await details('/api/v1/workspaces', badWorkspace, { ...owner.auth, 'accept-language': 'en' });
    expect(en).toEqual({
      name: CUSTOM_FORMATS['plain-text'].message,
      slug: 'must be lowercase letters, digits and single hyphens, with at least one letter',
      logo: CUSTOM_FORMATS['image-url'].message,
      color: 'is not an allowed field',
    });
  });

  it('says in words what a shared pattern asks for, never the expression: a blank name, a spaced prefix, a seed id', async () => {
    const blank = await details('/api/v1/workspaces', { name: '   ' }, { ...owner.auth, 'accept-language': 'es' });
    expect(blank).toEqual({ name: 'no debe estar en blanco' });
    const workspace = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: 'Pattern Words' } });
    const id = workspace.json().data.id as number;
    for (const [language, prefix, location] of [
      ['es', 'no debe contener espacios', 'debe ser un número entero desde 1, sin signo ni ceros a la izquierda'],
      ['en', 'must not contain spaces', 'must be a whole number from 1, without sign or leading zeros'],
    ] as const) {
      const settings = await t.request({
        method: 'PATCH',
        url: `/api/v1/workspaces/${id}/settings`,
        headers: { ...owner.auth, 'accept-language': language },
        payload: { invoice_number_prefix: 'B 01' },
      });
      expect(settings.json().error.details).toEqual({ invoice_number_prefix: prefix });
      const seed = await t.request({
        method: 'PATCH',
        url: `/workspaces/${id}`,
        headers: { ...owner.auth, 'accept-language': language },
        payload: { defaultLocationId: 'abc' },
      });
      expect(seed.json().error.details).toEqual({ defaultLocationId: location });
    }
  });

  it('one compiled validator answers each request in its own language, whatever the order', async () => {
    for (const locale of ['es', 'en', 'es', 'en'] as const) {
      const got = await details('/api/v1/workspaces', { name: '' }, { ...owner.auth, 'accept-language': locale });
      expect(got).toEqual({ name: locale === 'es' ? 'no debe contener menos de 1 caracter' : 'must NOT have fewer than 1 characters' });
    }
  });

  it('without Accept-Language, follows the tenant’s default locale like the top-level message', async () => {
    await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { default_locale: 'es' } });
    try {
      const response = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: owner.auth, payload: { name: 'Norte', extra: 1 } });
      expect(response.statusCode).toBe(422);
      expect(response.json().error).toEqual({
        code: 'VALIDATION.FAILED',
        message: 'La solicitud tiene campos no válidos.',
        details: { extra: 'no es un campo permitido' },
      });
    } finally {
      await succeed(t, { method: 'PATCH', url: '/api/v1/tenant', headers: owner.auth, payload: { default_locale: 'en' } });
    }
  });

  it('every custom format and every one of Tessera’s own detail messages exists in every locale, translated', () => {
    for (const locale of SUPPORTED_LOCALES) {
      expect(Object.keys(VALIDATION_WORDS[locale].formats).sort()).toEqual(Object.keys(CUSTOM_FORMATS).sort());
    }
    const { en, es } = VALIDATION_WORDS;
    for (const name of Object.keys(CUSTOM_FORMATS) as Array<keyof typeof CUSTOM_FORMATS>) {
      expect(en.formats[name]).toBe(CUSTOM_FORMATS[name].message);
      expect(es.formats[name], name).not.toBe(en.formats[name]);
    }
    for (const key of ['notAllowed', 'invalid', 'unstorable'] as const) expect(es[key], key).not.toBe(en[key]);
    for (const name of Object.keys(PATTERNS) as PatternName[]) {
      for (const locale of SUPPORTED_LOCALES) expect(VALIDATION_WORDS[locale].patterns[name], `${locale} ${name}`).toMatch(/\S/);
      expect(es.patterns[name], name).not.toBe(en.patterns[name]);
    }
  });
});
