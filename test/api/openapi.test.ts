/**
 * The OpenAPI document is what clients are generated from: it must be valid OpenAPI 3.1,
 * name every operation, say who may call it (from the route's declared policy, not from
 * what the document says about itself), list the context headers, describe every answer
 * and name its shapes. /docs renders it with Swagger UI from local files only.
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/core/auth/policy.ts';
import { OpenApiNamingError, UndocumentedRouteError, guardOperationIds, hoistNamedSchemas } from '../../src/core/http/openapi.ts';
import { buildOpenApiDocument, CLIENT_SCHEMA_PATH, renderClientSchema } from '../../scripts/client-schema.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}
interface Operation {
  operationId?: string;
  security?: unknown;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}
interface Document {
  openapi: string;
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, Record<string, unknown>> };
}

let t: TestApp;
let document: Document;
beforeAll(async () => {
  t = await startTestApp();
  const response = await t.request({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('application/json');
  document = response.json();
});
afterAll(async () => t.close());

const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/** Every documented route with its declared policy and its operation in the document. */
function documentedRoutes() {
  return t.app.routePolicies
    .filter((route) => route.method !== 'HEAD' && !route.hidden)
    .map((route) => {
      const operation = document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      if (!operation) throw new Error(`${route.method} ${route.url} is not in the document`);
      return { key: `${route.method} ${route.url}`, policy: route.policy, operation };
    });
}

function allOperations(): Array<[string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
  );
}

/** Who may call, written from the policy kinds (src/core/auth/policy.ts), independently of the code that derives it. */
function expectedSecurity(policy: Policy): unknown {
  if (policy.access === 'public' || policy.access === 'anonymous') return [];
  if (policy.access === 'workspace' && policy.callers === 'users_and_keys') return [{ bearerAuth: [] }, { apiKey: [] }];
  return [{ bearerAuth: [] }];
}

const headerNamed = (operation: Operation, name: string) =>
  operation.parameters?.find((parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === name.toLowerCase());

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document with a relative server', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('documents every route but the hidden ones (static files such as /docs/assets/:file)', () => {
    expect(documentedRoutes().length).toBeGreaterThan(40);
    const hidden = t.app.routePolicies.filter((route) => route.hidden);
    expect(hidden.map((route) => route.url)).toContain('/docs/assets/:file');
    for (const route of hidden) expect(document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()], route.url).toBeUndefined();
  });

  it('names every operation with a unique camelCase operationId', () => {
    const ids = allOperations().map(([key, operation]) => {
      expect(operation.operationId, key).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      return operation.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
    const byRoute = Object.fromEntries(documentedRoutes().map((route) => [route.key, route.operation.operationId]));
    expect(byRoute).toMatchObject({
      'POST /api/v1/auth/login': 'login',
      'GET /api/v1/members': 'listMembers',
      'PUT /api/v1/members/:user_id': 'changeMemberRole',
      'POST /api/v1/invitations': 'createInvitation',
      'PATCH /api/v1/workspaces/:id': 'updateWorkspace',
      'PUT /api/v1/workspaces/:id': 'putWorkspace',
    });
  });

  it("derives every operation's security from its route's policy", () => {
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(document.components.securitySchemes.apiKey?.description).toContain('tsk_');
    const kinds = new Set<string>();
    for (const { key, policy, operation } of documentedRoutes()) {
      kinds.add(policy.access === 'workspace' ? `workspace/${policy.callers}` : policy.access);
      expect(operation.security, key).toEqual(expectedSecurity(policy));
    }
    // Every kind of policy was seen, so every branch above was checked against a real route.
    expect([...kinds].sort()).toEqual(['anonymous', 'authenticated', 'public', 'tenant', 'workspace/users', 'workspace/users_and_keys']);
  });

  it('documents the context headers each policy reads, all optional', () => {
    for (const { key, policy, operation } of documentedRoutes()) {
      const tenant = headerNamed(operation, 'X-Tenant');
      const workspace = headerNamed(operation, 'X-Workspace-ID');
      const language = headerNamed(operation, 'Accept-Language');
      expect(language, `${key}: Accept-Language`).toMatchObject({ required: false });
      if (policy.access === 'public') expect(tenant, `${key}: X-Tenant`).toBeUndefined();
      else expect(tenant, `${key}: X-Tenant`).toMatchObject({ required: false, schema: { type: 'string' } });
      if (policy.access === 'workspace' && policy.from === 'context') {
        expect(workspace, `${key}: X-Workspace-ID`).toMatchObject({ required: false, schema: { type: 'string', pattern: expect.any(String) } });
      } else {
        expect(workspace, `${key}: X-Workspace-ID`).toBeUndefined();
      }
    }
  });

  it('describes every answer, and every operation has a 2xx with a schema (or a 204)', () => {
    for (const [key, operation] of allOperations()) {
      const statuses = Object.keys(operation.responses);
      const success = statuses.filter((status) => status.startsWith('2'));
      expect(
        success.some((status) => status === '204' || Object.values(operation.responses[status]?.content ?? {}).some((media) => media.schema)),
        `${key}: a 2xx with a schema`,
      ).toBe(true);
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.description, `${key} ${status}`).toMatch(/\S/);
        expect(response.description, `${key} ${status}`).not.toBe('Default Response');
      }
      expect(operation.responses['4XX']?.description, key).toBe('Error (see error.code)');
    }
    expect(document.paths['/api/v1/workspaces']?.post?.responses['201']?.description).toBe('Created');
    expect(document.paths['/api/v1/members']?.get?.responses['200']?.description).toBe('OK');
  });

  it('does not require what has a default: limit, or an invitation role', () => {
    const limits = allOperations().flatMap(([key, operation]) =>
      (operation.parameters ?? []).filter((parameter) => parameter.name === 'limit').map((parameter) => ({ key, parameter })),
    );
    expect(limits.length).toBeGreaterThan(5);
    for (const { key, parameter } of limits) {
      expect(parameter.required ?? false, key).toBe(false);
      expect(parameter.schema, key).toMatchObject({ default: 50, maximum: 100 });
    }
    const invitation = document.paths['/api/v1/invitations']?.post?.requestBody?.content?.['application/json']?.schema;
    expect(invitation).toMatchObject({ required: ['email'], properties: { role: { default: 'member' } } });
  });

  it('names the main shapes under components.schemas and refers to them', () => {
    const schemas = document.components.schemas;
    for (const name of [
      'ErrorBody',
      'Workspace',
      'WorkspaceList',
      'WorkspaceDetailsResponse',
      'WorkspaceObjectCamel',
      'Location',
      'Member',
      'MemberList',
      'Role',
      'ApiKey',
      'CreatedApiKey',
      'Invitation',
      'User',
      'CurrentUser',
      'Tenant',
      'TenantUser',
      'AuditEvent',
      'TokenPair',
      'PageMeta',
      'Message',
    ]) {
      expect(schemas[name], name).toMatchObject({ title: name });
    }
    const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
    const json = (operation: Operation | undefined, status: string) => operation?.responses[status]?.content?.['application/json']?.schema;
    expect(json(document.paths['/api/v1/members']?.get, '200')).toEqual(ref('MemberList'));
    expect(json(document.paths['/api/v1/auth/login']?.post, '200')).toEqual(ref('TokenPairResponse'));
    expect(schemas.WorkspaceList).toMatchObject({ properties: { data: { items: ref('Workspace') }, meta: ref('PageMeta') } });
    expect(schemas.TokenPair).toMatchObject({ properties: { user: ref('User') } });
    for (const [key, operation] of allOperations()) expect(json(operation, '4XX'), key).toEqual(ref('ErrorBody'));

    // Every reference resolves, and every named schema is used.
    const text = JSON.stringify(document);
    const referenced = new Set([...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]));
    for (const name of referenced) expect(schemas, `$ref to ${name}`).toHaveProperty([name as string]);
    for (const name of Object.keys(schemas)) expect(referenced, `${name} is never referenced`).toContain(name);
  });

  it('keeps validating with the inline schemas: a page without limit, an invalid body', async () => {
    const owner = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { name: 'Docs', email: `docs.${Date.now()}@example.com`, password: 'correct horse battery' },
    });
    const auth = { authorization: `Bearer ${owner.json().data.access_token}` };
    expect((await t.request({ method: 'GET', url: '/api/v1/workspaces', headers: auth })).statusCode).toBe(200);
    const invalid = await t.request({ method: 'POST', url: '/api/v1/workspaces', headers: auth, payload: { name: '', extra: 1 } });
    expect(invalid.statusCode).toBe(422);
    expect(Object.keys(invalid.json().error.details).sort()).toEqual(['extra', 'name']);
  });
});

describe('the start-up guards of the document', () => {
  it('refuses a documented route without an operationId, or with one already used; hidden routes and HEAD twins pass', async () => {
    const app = Fastify();
    guardOperationIds(app);
    expect(() => app.get('/a', async () => 'a')).toThrow(UndocumentedRouteError);
    expect(() => app.get('/b', { schema: { operationId: 'NotCamel' } }, async () => 'b')).toThrow(/camelCase/);
    expect(() => app.get('/c', { schema: { operationId: 'getC' } }, async () => 'c')).not.toThrow();
    expect(() => app.post('/d', { schema: { operationId: 'getC' } }, async () => 'd')).toThrow(/already used by GET \/c/);
    expect(() => app.get('/e', { schema: { hide: true } }, async () => 'e')).not.toThrow();
    await app.close();
  });

  it('refuses two different schemas under one title, and hoists equal ones once', () => {
    const operation = (schema: unknown) => ({ get: { responses: { 200: { description: 'OK', content: { 'application/json': { schema } } } } } });
    const one = { title: 'Thing', type: 'object', properties: { id: { type: 'integer' } } };
    const hoisted = hoistNamedSchemas({ paths: { '/a': operation(one), '/b': operation({ type: 'array', items: { ...one } }) } });
    expect(hoisted.components).toEqual({ schemas: { Thing: one } });
    expect(JSON.stringify(hoisted.paths)).not.toContain('"title"');
    const other = { title: 'Thing', type: 'object', properties: { id: { type: 'string' } } };
    expect(() => hoistNamedSchemas({ paths: { '/a': operation(one), '/b': operation(other) } })).toThrow(OpenApiNamingError);
    expect(() => hoistNamedSchemas({ paths: { '/a': operation({ title: 'not a name!' }) } })).toThrow(OpenApiNamingError);
  });
});

describe('the generated client', () => {
  it('is up to date with the document', { timeout: 120_000 }, async () => {
    const fresh = await renderClientSchema(await buildOpenApiDocument());
    const committed = readFileSync(CLIENT_SCHEMA_PATH, 'utf8');
    expect(committed === fresh, 'client/schema.d.ts is stale: run npm run client:generate').toBe(true);
  });
});

describe('/docs', () => {
  it('serves Swagger UI with a strict Content-Security-Policy and no inline script', async () => {
    const response = await t.request({ method: 'GET', url: '/docs' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("img-src 'self' data:");
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp.split(';').find((directive) => directive.trim().startsWith('script-src'))).not.toMatch(/unsafe/);
    const scripts = [...response.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const [, attributes, content] of scripts) {
      expect(attributes).toMatch(/src="\/docs\/assets\//);
      expect(content?.trim()).toBe('');
    }
    expect(response.body).not.toMatch(/https?:\/\//);
  });

  it('serves every asset the page names, with its content type and a cache header', async () => {
    const page = (await t.request({ method: 'GET', url: '/docs' })).body;
    const urls = [...page.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)].map((match) => match[1] as string);
    expect(urls.map((url) => url.replace(/\?.*$/, '').replace('/docs/assets/', '')).sort()).toEqual(
      ['favicon-16x16.png', 'favicon-32x32.png', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'swagger-ui.css', 'tessera-docs.js'].sort(),
    );
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', png: 'image/png' };
    for (const url of urls) {
      const response = await t.request({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toBe(types[url.replace(/\?.*$/, '').split('.').at(-1) as string]);
      expect(response.headers['cache-control'], url).toMatch(/max-age=\d+/);
      expect(response.rawPayload.length, url).toBeGreaterThan(100);
    }
    const initializer = await t.request({ method: 'GET', url: '/docs/assets/tessera-docs.js' });
    expect(initializer.body).toContain("url: '/openapi.json'");
    expect(initializer.body).toContain('validatorUrl: null');
  });

  it('answers 404 for any other file, however the path is spelled', async () => {
    for (const url of [
      '/docs/assets/unknown.js',
      '/docs/assets/index.html',
      '/docs/assets/swagger-initializer.js',
      '/docs/assets/package.json',
      '/docs/assets/__proto__',
      '/docs/assets/constructor',
      '/docs/assets/..%2Fpackage.json',
      '/docs/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/docs/assets/..%5cpackage.json',
      '/docs/assets/../../package.json',
      '/docs/assets/swagger-ui.css%00.js',
    ]) {
      const response = await t.request({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code, url).toBe('ROUTE.NOT_FOUND');
    }
  });
});
