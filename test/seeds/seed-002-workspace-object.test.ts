/**
 * Seed 002 (POST /workspaces and its workspace object), checked against the seed document
 * itself: the field list of its "Response" section (name, type, required, ranges, string
 * lengths, enum options) and the lengths of its "Body" section are parsed from the file,
 * not copied here, so a test and the document cannot drift apart. Then:
 * - the seed's own request (POST /workspaces {name, slug, logo}, Bearer a user's token)
 *   answers an object with every documented field, of the documented JS type and
 *   nullability, and within the documented ranges and lengths;
 * - every documented boundary, just inside (200/201) and just outside (422), through
 *   PATCH /workspaces/{idOrSlug} (settings, name, slug) and POST /workspaces (name, slug);
 * - GET /workspaces/{slug} and GET /workspaces/{id} answer the same object, equal to the
 *   one the creation answered.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invariantViolations } from '../support/invariants.ts';
import { register, startTestApp, type Session, type TestApp } from '../support/test-app.ts';

const SEEDS_DIR = process.env.SEEDS_DIR ?? '/work/shared/seeds';

// ---- the seed document ------------------------------------------------------------------

interface SeedField {
  name: string;
  /** As written: `string`, `string | null`, `number`, `integer`, `boolean`, `enum<string>`, `object[]`, `object`. */
  type: string;
  required: boolean;
  range?: { min: number; max: number };
  length?: { min: number; max: number };
  options?: string[];
}

const TYPE_LINE = /^(string|number|integer|boolean|enum<string>|object\[\]|object)( \| null)?$/;
const IDENTIFIER = /^[A-Za-z][A-Za-z0-9]*$/;

function readSeed(): { text: string; file: string } {
  const name = readdirSync(SEEDS_DIR).find((entry) => /^002_.*\.txt$/.test(entry));
  if (!name) throw new Error(`no seed 002 in ${SEEDS_DIR}`);
  const file = path.join(SEEDS_DIR, name);
  return { text: readFileSync(file, 'utf8'), file };
}

/** The fields of one section ("Body" or "Response"): a name line followed by a type line opens a field. */
function parseFields(lines: string[]): SeedField[] {
  const fields: SeedField[] = [];
  let current: SeedField | undefined;
  let readingOptions = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    const next = lines[i + 1] ?? '';
    if (IDENTIFIER.test(line) && TYPE_LINE.test(next)) {
      current = { name: line, type: next, required: false };
      fields.push(current);
      readingOptions = false;
      i += 1;
      continue;
    }
    if (!current) continue;
    if (line === 'required') {
      current.required = true;
      continue;
    }
    const range = /^Required range: (-?[\d.]+) <= x <= (-?[\d.]+)$/.exec(line);
    if (range) {
      current.range = { min: Number(range[1]), max: Number(range[2]) };
      continue;
    }
    const length = /^Required string length: (\d+)(?: - (\d+))?$/.exec(line);
    if (length) {
      current.length = { min: Number(length[1]), max: Number(length[2] ?? length[1]) };
      continue;
    }
    if (line === 'Available options:') {
      current.options = [];
      readingOptions = true;
      continue;
    }
    if (readingOptions) {
      current.options?.push(line.replace(/,$/, ''));
      // The last option has no comma.
      if (!line.endsWith(',')) readingOptions = false;
    }
  }
  return fields;
}

function parseSeed() {
  const { text, file } = readSeed();
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  const body = lines.indexOf('Body');
  const response = lines.indexOf('Response');
  if (body < 0 || response < 0 || response < body) throw new Error(`${file}: no Body and Response sections`);
  // The response example: the JSON object that follows the end of the curl command.
  const exampleStart = text.indexOf("\n'\n{") + 3;
  let depth = 0;
  let exampleEnd = exampleStart;
  for (; exampleEnd < text.length; exampleEnd += 1) {
    if (text[exampleEnd] === '{') depth += 1;
    if (text[exampleEnd] === '}') depth -= 1;
    if (depth === 0) break;
  }
  const example = JSON.parse(text.slice(exampleStart, exampleEnd + 1)) as Record<string, unknown>;
  return {
    file,
    body: parseFields(lines.slice(body + 1, response)),
    response: parseFields(lines.slice(response + 1)),
    example,
  };
}

const seed = parseSeed();
const responseField = (name: string) => {
  const field = seed.response.find((candidate) => candidate.name === name);
  if (!field) throw new Error(`seed 002 documents no response field ${name}`);
  return field;
};
const bodyField = (name: string) => {
  const field = seed.body.find((candidate) => candidate.name === name);
  if (!field) throw new Error(`seed 002 documents no body field ${name}`);
  return field;
};

/** Why a value does not fit a documented field, or undefined when it does. */
function misfit(field: SeedField, value: unknown): string | undefined {
  const nullable = field.type.endsWith(' | null');
  if (value === null) return nullable ? undefined : `null, but the seed types it ${field.type}`;
  if (value === undefined) return 'absent';
  const base = field.type.replace(' | null', '');
  switch (base) {
    case 'string':
      if (typeof value !== 'string') return `${typeof value}, not a string`;
      if (field.length && (value.length < field.length.min || value.length > field.length.max)) {
        return `length ${value.length} outside ${field.length.min}–${field.length.max}`;
      }
      return undefined;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${typeof value}, not a finite number`;
      if (base === 'integer' && !Number.isInteger(value)) return `${value} is not an integer`;
      if (field.range && (value < field.range.min || value > field.range.max)) return `${value} outside ${field.range.min}–${field.range.max}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${typeof value}, not a boolean`;
    case 'enum<string>':
      return typeof value === 'string' && field.options?.includes(value) ? undefined : `${JSON.stringify(value)} not one of ${JSON.stringify(field.options)}`;
    case 'object[]':
      return Array.isArray(value) && value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item))
        ? undefined
        : `${JSON.stringify(value)} is not an array of objects`;
    case 'object':
      return typeof value === 'object' && !Array.isArray(value) ? undefined : `${JSON.stringify(value)} is not an object`;
    default:
      return `unknown seed type ${field.type}`;
  }
}

/** Every documented field of `object` that does not fit: required ones must be present, optional ones fit when present. */
function misfits(object: Record<string, unknown>): Record<string, string> {
  const found: Record<string, string> = {};
  for (const field of seed.response) {
    if (!(field.name in object)) {
      if (field.required) found[field.name] = 'absent';
      continue;
    }
    const problem = misfit(field, object[field.name]);
    if (problem) found[field.name] = problem;
  }
  return found;
}

// ---- the app --------------------------------------------------------------------------------

let t: TestApp;
let user: Session;
let seq = 0;

beforeAll(async () => {
  t = await startTestApp();
  user = await register(t, { name: 'Seed Two' });
});
afterEach(async () => {
  expect(await invariantViolations(t.db)).toEqual({});
});
afterAll(async () => t?.close());

const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
const unique = () => {
  seq += 1;
  return `${seq}${process.pid.toString(36)}`;
};
/** A slug of exactly `length` characters (lowercase letters and digits, at least one letter). */
const slugOf = (length: number) => `s${unique()}${'x'.repeat(64)}`.slice(0, length);
const nameOf = (length: number) => `N${unique()}${'n'.repeat(64)}`.slice(0, length);

const create = (payload: Record<string, unknown>, session = user) =>
  t.request({ method: 'POST', url: '/workspaces', headers: { ...json, authorization: `Bearer ${session.accessToken}` }, payload });
const patch = (idOrSlug: string, payload: Record<string, unknown>) =>
  t.request({ method: 'PATCH', url: `/workspaces/${idOrSlug}`, headers: { ...json, authorization: `Bearer ${user.accessToken}` }, payload });

async function created(): Promise<Record<string, unknown>> {
  const response = await create({ name: nameOf(20), slug: slugOf(20) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json();
}

// ---- the tests ------------------------------------------------------------------------------

describe(`seed 002 (${path.basename(seed.file)})`, () => {
  it('the parser reads the document: the Response section lists every field of the example, with types and limits', () => {
    expect(Object.keys(seed.example).length).toBeGreaterThanOrEqual(30);
    expect(seed.response.length).toBeGreaterThanOrEqual(Object.keys(seed.example).length);
    const names = seed.response.map((field) => field.name);
    for (const key of Object.keys(seed.example)) expect(names, `example field ${key}`).toContain(key);
    expect(new Set(names).size).toBe(names.length);
    // What the boundary tests below are built from: if the document changes, these show it.
    expect(responseField('defaultTaxPercent')).toMatchObject({ type: 'number', range: { min: 0, max: 100 } });
    expect(responseField('defaultInvoiceDueDays')).toMatchObject({ type: 'integer', range: { min: 0, max: 365 } });
    expect(responseField('defaultMarkupPercent')).toMatchObject({ type: 'number | null', range: { min: 0, max: 1000 } });
    expect(responseField('invoiceNumberPrefix')).toMatchObject({ type: 'string', length: { min: 1, max: 12 } });
    expect(responseField('defaultCurrency')).toMatchObject({ type: 'string', length: { min: 3, max: 3 } });
    expect(responseField('defaultLocationType').options).toEqual(['warehouse', 'van', 'truck', 'site', 'other']);
    expect(responseField('plan').options).toContain('business plus');
    expect(bodyField('name')).toMatchObject({ required: true, length: { min: 1, max: 32 } });
    expect(bodyField('slug')).toMatchObject({ required: true, length: { min: 3, max: 48 } });
  });

  it('POST /workspaces as documented answers 201 with every documented field, of the documented type and nullability', async () => {
    const name = nameOf(16);
    const slug = slugOf(16);
    const logo = 'https://example.com/logo.png';
    const response = await create({ name, slug, logo });
    expect(response.statusCode, response.body).toBe(201);
    const object = response.json<Record<string, unknown>>();
    // A bare object, not an envelope.
    expect(object).not.toHaveProperty('data');
    expect(misfits(object)).toEqual({});
    expect(object).toMatchObject({ name, slug, logo });
    expect(object.id).toMatch(/^[1-9][0-9]*$/);
    expect(Date.parse(object.createdAt as string)).not.toBeNaN();
    // The creator's role: the seed says `users` is "the role of the authenticated user in the workspace".
    expect(object.users).toEqual([{ role: 'owner' }]);

    // Field by field, so a failure names the field and what the seed says about it.
    for (const field of seed.response) {
      if (!field.required && !(field.name in object)) continue;
      expect(misfit(field, object[field.name]), `${field.name} (seed: ${field.type}${field.required ? ', required' : ''}) = ${JSON.stringify(object[field.name])}`).toBeUndefined();
    }
  });

  it('locationAccess and memberPermissions have the nested shape of the seed\'s example (keys present, types as in the example)', async () => {
    const object = await created();
    /** Every key of the example present, of the example's JS type (null where the example has a value is reported). */
    const shapeProblems = (example: unknown, actual: unknown, at: string, found: string[]) => {
      if (example === null || typeof example !== 'object') {
        if (actual === null) found.push(`${at}: null (the example shows ${JSON.stringify(example)})`);
        else if (typeof actual !== typeof example) found.push(`${at}: ${typeof actual}, the example ${typeof example}`);
        return;
      }
      if (Array.isArray(example)) {
        if (!Array.isArray(actual)) return found.push(`${at}: not an array`);
        for (const [i, item] of actual.entries()) if (example.length > 0) shapeProblems(example[0], item, `${at}[${i}]`, found);
        return;
      }
      if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return found.push(`${at}: not an object`);
      for (const [key, value] of Object.entries(example)) {
        if (!(key in actual)) found.push(`${at}.${key}: absent`);
        else shapeProblems(value, (actual as Record<string, unknown>)[key], `${at}.${key}`, found);
      }
    };
    const problems: string[] = [];
    for (const name of ['locationAccess', 'memberPermissions']) shapeProblems(seed.example[name], object[name], name, problems);
    // The profile of a built-in role names no custom template: those two are null, which the example cannot show.
    expect(problems.filter((problem) => !/customTemplate(Id|Name): null/.test(problem))).toEqual([]);
    const capabilities = (object.memberPermissions as { capabilities: Record<string, unknown> }).capabilities;
    expect(Object.keys(capabilities).length).toBeGreaterThan(0);
    for (const [permission, held] of Object.entries(capabilities)) expect(typeof held, permission).toBe('boolean');
  });

  it('the plain-string fields the seed types without null are never null; the nullable ones are documented so', async () => {
    const object = await created();
    const plainStrings = seed.response.filter((field) => field.type === 'string').map((field) => field.name);
    expect(plainStrings).toEqual(expect.arrayContaining(['id', 'name', 'slug', 'defaultCurrency', 'invoiceNumberPrefix', 'createdAt']));
    for (const name of plainStrings) expect(object[name], name).not.toBeNull();
    // What a new workspace leaves empty (no payment provider, no trial, no code yet, no SSO): the seed allows null.
    for (const name of ['stripeId', 'trialEndsAt', 'inviteCode', 'ssoEmailDomain', 'ssoEnforcedAt', 'logo', 'defaultLocationId']) {
      expect(responseField(name).type, name).toBe('string | null');
    }
  });

  it('GET /workspaces/{slug} and GET /workspaces/{id} answer the same object, the one POST answered', async () => {
    const object = await created();
    const bySlug = await t.request({ method: 'GET', url: `/workspaces/${String(object.slug)}`, headers: user.auth });
    const byId = await t.request({ method: 'GET', url: `/workspaces/${String(object.id)}`, headers: user.auth });
    expect(bySlug.statusCode, bySlug.body).toBe(200);
    expect(byId.statusCode, byId.body).toBe(200);
    expect(bySlug.json()).toEqual(byId.json());
    expect(misfits(byId.json())).toEqual({});
    expect(byId.json()).toEqual(object);
    // And the same data in snake_case under /api/v1.
    const snake = await t.request({ method: 'GET', url: `/api/v1/workspaces/${String(object.id)}`, headers: user.auth });
    expect(snake.statusCode, snake.body).toBe(200);
    expect(snake.json().data).toMatchObject({
      id: Number(object.id),
      slug: object.slug,
      default_currency: object.defaultCurrency,
      invoice_number_prefix: object.invoiceNumberPrefix,
      default_tax_percent: object.defaultTaxPercent,
      users_limit: object.usersLimit,
      plan: object.plan,
    });
  });
});

describe('seed 002 boundaries through PATCH /workspaces/{idOrSlug}', () => {
  let target: Record<string, unknown>;
  beforeAll(async () => {
    target = await created();
  });

  /** 200 and the value echoed, or 422 and the object unchanged. */
  async function expectAccepted(field: string, value: unknown) {
    const response = await patch(String(target.id), { [field]: value });
    expect(response.statusCode, `${field}=${JSON.stringify(value)}: ${response.body}`).toBe(200);
    expect(response.json()[field], field).toEqual(value);
    expect(misfits(response.json())).toEqual({});
  }
  async function expectRefused(field: string, value: unknown) {
    const before = (await t.request({ method: 'GET', url: `/workspaces/${String(target.id)}`, headers: user.auth })).json();
    const response = await patch(String(target.id), { [field]: value });
    expect(response.statusCode, `${field}=${JSON.stringify(value)}: ${response.body}`).toBe(422);
    const after = (await t.request({ method: 'GET', url: `/workspaces/${String(target.id)}`, headers: user.auth })).json();
    expect(after[field], `${field} unchanged after a refused ${JSON.stringify(value)}`).toEqual(before[field]);
  }

  it('every documented numeric range: its ends are accepted, just past them is 422', async () => {
    const ranged = seed.response.filter((field) => field.range);
    expect(ranged.map((field) => field.name).sort()).toEqual(['defaultInvoiceDueDays', 'defaultMarkupPercent', 'defaultTaxPercent']);
    for (const field of ranged) {
      const { min, max } = field.range as { min: number; max: number };
      await expectAccepted(field.name, min);
      await expectAccepted(field.name, max);
      const steps = field.type.startsWith('integer') ? [1] : [0.01, 0.0001];
      for (const step of steps) {
        await expectRefused(field.name, Number((min - step).toFixed(4)));
        await expectRefused(field.name, Number((max + step).toFixed(4)));
      }
      if (field.type.startsWith('integer')) await expectRefused(field.name, min + 0.5);
      if (field.type.endsWith('| null')) await expectAccepted(field.name, null);
      else await expectRefused(field.name, null);
    }
  });

  it('invoiceNumberPrefix: 1 and 12 characters accepted, 0 and 13 refused (the seed: 1 - 12)', async () => {
    const { min, max } = responseField('invoiceNumberPrefix').length as { min: number; max: number };
    await expectAccepted('invoiceNumberPrefix', 'P'.repeat(min));
    await expectAccepted('invoiceNumberPrefix', 'Q'.repeat(max));
    await expectRefused('invoiceNumberPrefix', 'R'.repeat(min - 1));
    await expectRefused('invoiceNumberPrefix', 'S'.repeat(max + 1));
    await expectRefused('invoiceNumberPrefix', null);
  });

  it('defaultCurrency: a real three-letter code (DOP) accepted; ABC, and two or four letters, refused (the seed: length 3)', async () => {
    const { min, max } = responseField('defaultCurrency').length as { min: number; max: number };
    expect([min, max]).toEqual([3, 3]);
    await expectAccepted('defaultCurrency', 'DOP');
    await expectAccepted('defaultCurrency', 'EUR');
    for (const bad of ['ABC', 'DO', 'DOPP', '', 'dop', null]) await expectRefused('defaultCurrency', bad);
  });

  it('every documented enum option of defaultLocationType accepted, anything else refused', async () => {
    const { options } = responseField('defaultLocationType');
    for (const option of options ?? []) await expectAccepted('defaultLocationType', option);
    for (const bad of ['boat', 'Warehouse', '', null]) await expectRefused('defaultLocationType', bad);
  });

  it('plan is documented as an enum, and the answered plan is one of its options, whatever PATCH is sent', async () => {
    await expectRefused('plan', 'enterprise');
    const now = (await t.request({ method: 'GET', url: `/workspaces/${String(target.id)}`, headers: user.auth })).json();
    expect(responseField('plan').options).toContain(now.plan);
  });

  it('name 1 and 32 accepted, 0 and 33 refused; slug 3 and 48 accepted, 2 and 49 refused', async () => {
    const name = bodyField('name').length as { min: number; max: number };
    const slug = bodyField('slug').length as { min: number; max: number };
    await expectAccepted('name', nameOf(name.min));
    await expectAccepted('name', nameOf(name.max));
    await expectRefused('name', '');
    await expectRefused('name', nameOf(name.max + 1));
    await expectAccepted('slug', slugOf(slug.min));
    await expectAccepted('slug', slugOf(slug.max));
    await expectRefused('slug', slugOf(slug.min - 1));
    await expectRefused('slug', slugOf(slug.max + 1));
  });
});

describe('seed 002 boundaries through POST /workspaces', () => {
  it('name: 1 and 32 characters 201, 0 and 33 422 (the seed: 1 - 32)', async () => {
    const { min, max } = bodyField('name').length as { min: number; max: number };
    for (const length of [min, max]) {
      const response = await create({ name: nameOf(length), slug: slugOf(12) });
      expect(response.statusCode, `name length ${length}: ${response.body}`).toBe(201);
      expect((response.json().name as string).length).toBe(length);
    }
    for (const name of ['', nameOf(max + 1)]) {
      const response = await create({ name, slug: slugOf(12) });
      expect(response.statusCode, `name length ${name.length}: ${response.body}`).toBe(422);
    }
  });

  it('slug: 3 and 48 characters 201, 2 and 49 422 (the seed: 3 - 48); both fields required', async () => {
    const { min, max } = bodyField('slug').length as { min: number; max: number };
    for (const length of [min, max]) {
      const slug = slugOf(length);
      const response = await create({ name: nameOf(10), slug });
      expect(response.statusCode, `slug length ${length}: ${response.body}`).toBe(201);
      expect(response.json().slug).toBe(slug);
      const found = await t.request({ method: 'GET', url: `/workspaces/${slug}`, headers: user.auth });
      expect(found.statusCode).toBe(200);
      expect(found.json().id).toBe(response.json().id);
    }
    for (const length of [min - 1, max + 1]) {
      const response = await create({ name: nameOf(10), slug: slugOf(length) });
      expect(response.statusCode, `slug length ${length}: ${response.body}`).toBe(422);
    }
    expect((await create({ slug: slugOf(10) })).statusCode).toBe(422);
    expect((await create({ name: nameOf(10) })).statusCode).toBe(422);
  });
});
