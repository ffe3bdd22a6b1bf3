/**
 * Generated hostile input: for every operation in /openapi.json, every field of its JSON
 * body, every query parameter and every path parameter gets NUL, control and invisible
 * characters, lone surrogates, 100 KB strings, wrong types and numbers past int4 and int8,
 * one at a time, inside an otherwise valid request. No answer may be a 5xx, and a refused
 * request must write nothing (the tenant data version and the append-only tables stay as
 * they were). A body operation without an example below fails the test: new routes join.
 * @see issue 10
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMembership, createWorkspace, register, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

let t: TestApp;
let owner: Session;
let member: Session;
let workspaceId: number;
let roleId: number;
let locationId: number;

beforeAll(async () => {
  t = await startTestApp({ env: { INVITATION_RATE_LIMIT_MAX: '1000000', INVITATION_RECIPIENT_RATE_LIMIT_MAX: '1000000' } });
  owner = await register(t, { name: 'Owner' });
  member = await register(t, { name: 'Member' });
  workspaceId = (await createWorkspace(t, owner, 'Fuzzed')).id;
  await addMembership(t, workspaceId, member.userId, 'member');
  const role = await t.request({
    method: 'POST',
    url: '/api/v1/roles',
    headers: { ...owner.auth, 'x-workspace-id': String(workspaceId) },
    payload: { name: 'fuzz_target', display_name: 'Target', permissions: ['members:view'] },
  });
  expect(role.statusCode, role.body).toBe(201);
  roleId = role.json().data.id;
  const location = await t.request({
    method: 'POST',
    url: '/api/v1/locations',
    headers: { ...owner.auth, 'x-workspace-id': String(workspaceId) },
    payload: { name: 'Fuzz target', type: 'van' },
  });
  expect(location.statusCode, location.body).toBe(201);
  locationId = location.json().data.id;
});
afterAll(async () => t.close());

/** An otherwise valid body for each operation that takes one. */
const EXAMPLES: Record<string, () => Record<string, unknown>> = {
  'POST /api/v1/api-keys': () => ({ name: 'fuzz', scopes: ['members:view'] }),
  'POST /api/v1/auth/register': () => ({ name: 'Fuzz', email: uniqueEmail('fuzz'), password: 'correct horse battery' }),
  'POST /api/v1/auth/login': () => ({ email: owner.email, password: 'not the password' }),
  'POST /api/v1/auth/refresh': () => ({ refresh_token: 'rt_unknown' }),
  'PUT /api/v1/tenant/users/{id}': () => ({ tenant_role: 'member' }),
  'POST /api/v1/invitations': () => ({ email: uniqueEmail('invitee'), role: 'member' }),
  'POST /api/v1/invitations/lookup': () => ({ token: 'inv_unknown' }),
  'POST /api/v1/invitations/accept': () => ({ token: 'inv_unknown' }),
  'POST /api/v1/invitations/decline': () => ({ token: 'inv_unknown' }),
  'PUT /api/v1/members/{user_id}': () => ({ role: 'viewer' }),
  // The owner changes the member's overrides (issue 16): a grant and a revoke, both known permissions.
  'PUT /api/v1/members/{user_id}/permissions': () => ({ grant: ['invitations:view'], revoke: ['contacts:create'] }),
  'POST /api/v1/workspaces/{id}/transfer-ownership': () => ({ user_id: member.userId }),
  'POST /api/v1/roles': () => ({ name: 'fuzz_role', display_name: 'Fuzz', permissions: ['members:view'] }),
  'PUT /api/v1/roles/{id}': () => ({ display_name: 'Fuzz' }),
  'PATCH /api/v1/tenant': () => ({ name: 'Default' }),
  'POST /api/v1/workspaces': () => ({ name: 'Fuzz Workspace' }),
  'PUT /api/v1/workspaces/{id}': () => ({ name: 'Fuzzed' }),
  'PATCH /api/v1/workspaces/{id}': () => ({ name: 'Fuzzed' }),
  'PATCH /api/v1/workspaces/{id}/settings': () => ({ default_tax_percent: 12.5, default_currency: 'DOP' }),
  'POST /api/v1/locations': () => ({ name: 'Fuzz location', type: 'site', address: 'Calle 1' }),
  'PATCH /api/v1/locations/{id}': () => ({ name: 'Fuzz target', archived: false }),
  'PUT /api/v1/workspaces/{id}/preferred-document-subtype': () => ({ document_subtype: 'B01' }),
  // The account routes (issue 19): unknown tokens and a wrong current password are refused after validation.
  'PATCH /api/v1/me': () => ({ name: 'Owner', locale: 'en' }),
  'POST /api/v1/auth/email-verification': () => ({ email: uniqueEmail('nobody') }),
  'POST /api/v1/auth/email-verification/confirm': () => ({ token: 'verify_unknown' }),
  'POST /api/v1/auth/password-reset': () => ({ email: uniqueEmail('nobody') }),
  'POST /api/v1/auth/password-reset/confirm': () => ({ token: 'reset_unknown', password: 'a new password 1' }),
  'POST /api/v1/auth/email-change/confirm': () => ({ token: 'email_unknown' }),
  'POST /api/v1/auth/mfa/verify': () => ({ mfa_token: 'mfa_unknown', code: '123456' }),
  'POST /api/v1/auth/mfa/enroll': () => ({ mfa_token: 'mfa_unknown' }),
  'PUT /api/v1/me/password': () => ({ current_password: 'not the password', new_password: 'another password 1' }),
  'POST /api/v1/me/email': () => ({ email: uniqueEmail('moved'), current_password: 'not the password' }),
  'POST /api/v1/me/mfa/totp/confirm': () => ({ code: '123456' }),
  'POST /api/v1/me/mfa/disable': () => ({ code: '123456' }),
  'POST /api/v1/me/mfa/recovery-codes': () => ({ code: '123456' }),
  'PATCH /api/v1/tenant/account-policy': () => ({ email_verification: 'optional' }),
  // Single sign-on (issue 20): a private issuer is refused before any fetch; enforcement off is a no-op.
  'PUT /api/v1/workspaces/{id}/sso/domain': () => ({ domain: 'fuzz.example.test' }),
  'PUT /api/v1/workspaces/{id}/sso/connection': () => ({ issuer_url: 'https://10.0.0.1', client_id: 'fuzz', client_secret: 'fuzz secret' }),
  'PUT /api/v1/workspaces/{id}/sso/enforcement': () => ({ enforced: false }),
  // The owner's own workspace: refused (409 GROUP.SELF_INVITATION) after validation, so nothing is written.
  'POST /api/v1/workspace-group-members': () => ({ sub_workspace_id: workspaceId }),
};

/** The query an operation needs to reach its handler, kept while one other parameter is fuzzed. */
const QUERY_EXAMPLES: Record<string, Record<string, string>> = {
  'GET /api/v1/me/workspaces': { can: 'members:view' },
  'GET /api/v1/auth/sso/start': { domain: 'nobody.example.test' },
};

const INT4_PAST = 2_147_483_648;
const INT8_PAST = 9_223_372_036_854_775_808;
const HOSTILE_STRINGS = ['\u0000', 'a\u0000b', '\u0007', '\r\n', '\u200b', '\u202e', '\ud800', 'x'.repeat(100_000)];
const WRONG_TYPES: unknown[] = [12345, true, null, {}, [], INT4_PAST, INT8_PAST, -1, 1.5];
const HOSTILE_PATH_IDS = [String(INT4_PAST), '9223372036854775808', '0', '-1', '1.5', 'abc', '%00', '%E2%80%8B1'];
/** A lone surrogate has no UTF-8 form: in a URL it arrives as the bytes a careless encoder would send. */
const inQuery = (value: string) => (value === '\ud800' ? '%ED%A0%80' : encodeURIComponent(value));
const HOSTILE_QUERY = [...HOSTILE_STRINGS.map(inQuery), '%FF', String(INT4_PAST), '9223372036854775808', '-1', ''];

interface Operation {
  method: string;
  path: string;
  bodyFields: string[];
  queryParams: string[];
  pathParams: string[];
}

function operationsOf(document: { paths: Record<string, Record<string, any>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [path, byMethod] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(byMethod)) {
      if (method === 'head' || !path.startsWith('/api/')) continue;
      const parameters: Array<{ in: string; name: string }> = operation.parameters ?? [];
      const body = operation.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        bodyFields: Object.keys(body?.properties ?? {}),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
      });
    }
  }
  return operations;
}

/** The real id each path parameter names, so that only the fuzzed part is wrong. */
function realPathValue(path: string, param: string): string {
  if (param === 'user_id') return String(member.userId);
  if (path.startsWith('/api/v1/roles/')) return String(roleId);
  if (path.startsWith('/api/v1/locations/')) return String(locationId);
  if (path.startsWith('/api/v1/tenant/users/')) return String(member.userId);
  if (path.includes('workspace')) return String(workspaceId);
  return '999999';
}

const urlOf = (path: string, values: Record<string, string>) => path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '1');

/** What a refused request must not have changed. */
async function fingerprint(): Promise<string> {
  const row = await sql<Record<string, unknown>>`
    select (select coalesce(sum(version), 0) from tenant_data_versions) as versions,
           (select count(*) from audit_events) as audit,
           (select count(*) from invitations) as invitations,
           (select count(*) from outbox_messages) as outbox,
           (select count(*) from workspace_group_invitations) as group_invitations,
           (select count(*) from workspace_group_members) as group_links,
           (select count(*) from refresh_tokens) as refresh_tokens,
           (select count(*) from locations) as locations,
           (select coalesce(sum(version), 0) from workspace_data_versions) as workspace_versions,
           (select count(*) from member_permission_overrides) as overrides,
           (select count(*) from roles) as roles,
           (select coalesce(sum(users_usage + locations_usage), 0) from workspace_plans) as plan_usage`.execute(t.db);
  return JSON.stringify(Object.values(row.rows[0] ?? {}).map(Number));
}

describe('generated hostile input, every operation of the OpenAPI document', () => {
  it('never answers 5xx, and a refused request writes nothing', async () => {
    const document = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    const operations = operationsOf(document);
    const headers = { ...owner.auth, 'x-workspace-id': String(workspaceId) };
    const failures: string[] = [];
    const sent = { requests: 0, operations: operations.length, fields: 0 };

    async function send(label: string, method: string, url: string, payload?: unknown, raw?: Buffer) {
      const before = await fingerprint();
      const response = await t.request({
        method,
        url,
        headers: payload === undefined && !raw ? headers : { ...headers, 'content-type': 'application/json' },
        ...(raw ? { payload: raw } : payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
      sent.requests += 1;
      if (response.statusCode >= 500) failures.push(`${label} → ${response.statusCode} ${response.body.slice(0, 200)}`);
      if (response.statusCode >= 400 && (await fingerprint()) !== before) failures.push(`${label} → ${response.statusCode} but wrote`);
    }

    for (const op of operations) {
      const key = `${op.method} ${op.path}`;
      const example = EXAMPLES[key];
      if (op.bodyFields.length > 0 && !example) failures.push(`${key}: no example body (add one to EXAMPLES)`);
      const realPath = Object.fromEntries(op.pathParams.map((p) => [p, realPathValue(op.path, p)]));
      const baseBody = example?.();

      for (const field of op.bodyFields) {
        sent.fields += 1;
        for (const value of [...HOSTILE_STRINGS, ...WRONG_TYPES]) {
          await send(`${key} body.${field}=${JSON.stringify(value).slice(0, 20)}`, op.method, urlOf(op.path, realPath), { ...example?.(), [field]: value });
        }
        // A list field (scopes, permissions, overrides) gets each hostile value as an item too, and it twice.
        if (Array.isArray(baseBody?.[field])) {
          for (const value of [...HOSTILE_STRINGS, ...WRONG_TYPES]) {
            await send(`${key} body.${field}=[${JSON.stringify(value).slice(0, 20)}]`, op.method, urlOf(op.path, realPath), { ...example?.(), [field]: [value] });
          }
          const item = (baseBody?.[field] as unknown[])[0];
          if (item !== undefined) await send(`${key} body.${field}=[item, item]`, op.method, urlOf(op.path, realPath), { ...example?.(), [field]: [item, item] });
        }
      }
      const queryExample = QUERY_EXAMPLES[key] ?? {};
      const withQuery = (param: string, value: string) =>
        [...Object.entries(queryExample).filter(([name]) => name !== param).map(([name, v]) => `${name}=${encodeURIComponent(v)}`), `${param}=${value}`].join('&');
      for (const param of op.queryParams) {
        sent.fields += 1;
        for (const value of HOSTILE_QUERY) {
          await send(`${key} ?${param}=${value.slice(0, 20)}`, op.method, `${urlOf(op.path, realPath)}?${withQuery(param, value)}`, baseBody);
        }
      }
      for (const param of op.pathParams) {
        sent.fields += 1;
        for (const value of HOSTILE_PATH_IDS) {
          await send(`${key} :${param}=${value}`, op.method, urlOf(op.path, { ...realPath, [param]: value }), baseBody);
        }
      }
      if (baseBody) {
        // The whole body as invalid UTF-8, and as JSON of the wrong shape.
        await send(`${key} invalid UTF-8`, op.method, urlOf(op.path, realPath), undefined, Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]));
        await send(`${key} array body`, op.method, urlOf(op.path, realPath), [baseBody]);
      }
    }
    // The new routes (issue 16) were part of it, their bodies and queries fuzzed field by field.
    for (const key of ['GET /api/v1/members/{user_id}/permissions', 'PUT /api/v1/members/{user_id}/permissions', 'GET /api/v1/members/{user_id}/effective-permissions', 'GET /api/v1/me/workspaces']) {
      expect(operations.map((op) => `${op.method} ${op.path}`)).toContain(key);
    }
    console.log(`input fuzz: ${sent.operations} operations, ${sent.fields} fields, ${sent.requests} requests, ${failures.length} failures`);
    expect(failures).toEqual([]);
    expect(sent.requests).toBeGreaterThan(500);
  }, 300_000);
});
