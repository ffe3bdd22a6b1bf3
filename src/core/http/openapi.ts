import swagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { API_KEY_PREFIX } from '../auth/context/credential.ts';
import { publicRoute, type Policy } from '../auth/policy.ts';
import { CONTEXT_RESPONSE_HEADERS } from '../auth/request-context.ts';
import { SUPPORTED_LOCALES } from '../i18n/index.ts';
import { TESSERA_VERSION } from '../version.ts';
import { registerDocsUi } from './docs-ui.ts';
import { ID_PATTERN } from './schemas.ts';
import { behindPortalCode, PORTAL_ACCESS_CODE_HEADER } from './surfaces.ts';

/**
 * The OpenAPI document, good enough to generate clients from. Routes declare what only
 * they know (`operationId`, `summary`, `tags`, their schemas, titles on their named
 * shapes); everything that follows from the route's policy or from a convention is derived
 * here, in one place, and only into the document: validation and serialization keep the
 * route schemas exactly as declared.
 *
 * - `security` and the context headers (`X-Tenant`, `X-Workspace-ID`, `Accept-Language`)
 *   from `route.config.policy` (`documentedRoute`, @fastify/swagger's per-route transform);
 * - a description for every response status (`defaultDescription`), unless the response
 *   schema brings its own `description`;
 * - named component schemas: every schema with a `title` is listed once under
 *   `components.schemas[title]` and referred to by `$ref` wherever it appears
 *   (`hoistNamedSchemas`); two different schemas under one title refuse to start;
 * - a parameter or body field with a `default` is not required of the client, since the
 *   server fills it in (`relaxDefaults`).
 *
 * `guardOperationIds` refuses, at start-up, a documented route without an operationId or
 * with one another route already has, and the document is generated at start-up once, so
 * that naming conflicts fail there rather than on the first GET /openapi.json.
 */

const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token from `POST /api/v1/auth/login`, `/auth/register` or `/auth/refresh`, as `Authorization: Bearer <jwt>`. ' +
      'It is valid only in the tenant that issued it.',
  },
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      `An API key of one workspace (\`POST /api/v1/api-keys\`), sent the same way: \`Authorization: Bearer ${API_KEY_PREFIX}…\` ` +
      `(the token starts with \`${API_KEY_PREFIX}\`). It acts only in its own workspace, within its scopes and what its creator may do.`,
  },
} as const;

type SecurityRequirement = Record<keyof typeof SECURITY_SCHEMES, never[]>;

/** Who may call a route, as OpenAPI security requirements (alternatives). */
function securityOf(policy: Policy): Array<Partial<SecurityRequirement>> {
  switch (policy.access) {
    case 'public':
    case 'anonymous':
      return [];
    case 'authenticated':
    case 'tenant':
      return [{ bearerAuth: [] }];
    case 'workspace':
      return policy.callers === 'users' ? [{ bearerAuth: [] }] : [{ bearerAuth: [] }, { apiKey: [] }];
  }
}

type Json = Record<string, unknown>;

// No `examples` on these: Swagger UI would send an example as the value of an optional header in "Try it out".
const TENANT_HEADER: Json = {
  type: 'string',
  description:
    "The tenant's slug (case-insensitive). Without it: the Host's subdomain under the configured `TENANT_BASE_DOMAIN`, " +
    'else `default`. An unknown tenant answers 404, a disabled one 403.',
};

const WORKSPACE_HEADER: Json = {
  type: 'string',
  pattern: ID_PATTERN,
  description:
    'The id of the workspace to act in; without it, your current workspace (409 `CONTEXT.REQUIRED` when you have none). ' +
    'A malformed id answers 400 `CONTEXT.INVALID`, a workspace you cannot see 404. An API key always acts in its own ' +
    'workspace: naming another answers 404.',
};

const actingAsHeader = (policy: Policy): Json => ({
  type: 'string',
  pattern: ID_PATTERN,
  description:
    'Act as a sub workspace of a workspace group (seed 004): the id of a sub workspace whose admin workspace you belong to ' +
    '(or whose API key you use). The request runs in the sub workspace with your permissions in the admin workspace. ' +
    'Not such a sub workspace: 404. Naming another workspace than `X-Workspace-ID` or the path: 400 `CONTEXT.CONFLICT`.' +
    (policy.access === 'workspace' && policy.actingAs === 'refused'
      ? ' This operation is never done acting as a sub workspace: 403 `CONTEXT.ACTING_AS_FORBIDDEN`.'
      : ''),
});

const CONTEXT_RESPONSE_HEADER_DOCS: Json = {
  [CONTEXT_RESPONSE_HEADERS.workspace]: { type: 'string', description: 'The workspace the request ran in.' },
  [CONTEXT_RESPONSE_HEADERS.actingFrom]: {
    type: 'string',
    description: 'Only when acting as a sub workspace (`x-as-workspace`): the admin workspace whose permissions applied.',
  },
};

const LANGUAGE_HEADER: Json = {
  type: 'string',
  description:
    `The language of \`message\` texts, success and error alike: ${SUPPORTED_LOCALES.map((locale) => `\`${locale}\``).join(' or ')}, ` +
    'negotiated as usual (q-values honoured, `es-DO` matches `es`). ' +
    "Otherwise the tenant's `default_locale`, and `en` outside a tenant.",
};

const PORTAL_CODE_HEADER: Json = {
  type: 'string',
  description:
    "The tenant's portal access code, when the tenant has set one (`portal_access_code` in PATCH /api/v1/tenant): " +
    'then required on every request of this surface, else 403 `PORTAL.ACCESS_DENIED`. Ignored when the tenant has none.',
};

/** The request headers a route's policy and surface read, as an (optional-only) header schema for the document. */
function contextHeadersOf(policy: Policy, url: string): Json {
  const properties: Json = {};
  if (policy.access !== 'public') properties['X-Tenant'] = TENANT_HEADER;
  if (policy.access !== 'public' && behindPortalCode(url)) properties[PORTAL_ACCESS_CODE_HEADER] = PORTAL_CODE_HEADER;
  if (policy.access === 'workspace' && policy.from === 'context') properties['X-Workspace-ID'] = WORKSPACE_HEADER;
  if (policy.access === 'workspace') properties['x-as-workspace'] = actingAsHeader(policy);
  properties['Accept-Language'] = LANGUAGE_HEADER;
  return { type: 'object', properties };
}

/** What a response status means when its schema does not say. */
function defaultDescription(status: string): string {
  const code = status.toLowerCase();
  const known: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No content' };
  if (known[code]) return known[code];
  if (code.startsWith('2')) return 'Success';
  if (code.startsWith('3')) return 'Redirect';
  return 'Error (see error.code)';
}

/** @fastify/swagger reads a response's description from this key before the schema's own. */
const RESPONSE_DESCRIPTION = 'x-response-description';

const isJson = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function mergeHeaders(declared: unknown, derived: Json): Json {
  if (!isJson(declared)) return derived;
  return {
    ...declared,
    type: 'object',
    properties: { ...(derived.properties as Json), ...(isJson(declared.properties) ? declared.properties : {}) },
  };
}

/** The per-route part: security, context headers and response descriptions from the policy and the statuses. */
const documentedRoute: SwaggerTransform = ({ schema, url, route }) => {
  const policy = route.config?.policy;
  // Unreachable: guardRoutePolicies refuses such a route at registration.
  if (!policy) throw new UndocumentedRouteError(`route ${String(route.method)} ${route.url} declares no policy`);
  const responses = isJson(schema.response) ? schema.response : undefined;
  return {
    url,
    schema: {
      ...schema,
      security: securityOf(policy),
      headers: mergeHeaders(schema.headers, contextHeadersOf(policy, route.url)),
      ...(schema.querystring !== undefined && { querystring: relaxDefaults(schema.querystring) }),
      ...(schema.body !== undefined && { body: relaxDefaults(schema.body) }),
      ...(responses && {
        response: Object.fromEntries(
          Object.entries(responses).map(([status, response]) => {
            if (!isJson(response)) return [status, response];
            const described = typeof response.description === 'string' ? response : { ...response, [RESPONSE_DESCRIPTION]: defaultDescription(status) };
            return [status, policy.access === 'workspace' && status.startsWith('2') ? { ...described, headers: CONTEXT_RESPONSE_HEADER_DOCS } : described];
          }),
        ),
      }),
    },
  };
};

// ---------------------------------------------------------------------------------------
// Schema walking, and the whole document: named schemas hoisted

export class OpenApiNamingError extends Error {
  override readonly name = 'OpenApiNamingError';
}

export class UndocumentedRouteError extends Error {
  override readonly name = 'UndocumentedRouteError';
}

// Where JSON Schema keeps subschemas: maps of them, lists of them, and single ones.
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_VALUES = [
  'items',
  'additionalItems',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contains',
  'propertyNames',
  'not',
  'if',
  'then',
  'else',
];

const mapValues = (object: Json, map: (value: unknown) => unknown): Json =>
  Object.fromEntries(Object.entries(object).map(([key, value]) => [key, map(value)]));

/** A copy of `schema` in which `visit` rebuilt every subschema, innermost first. Nothing is changed in place. */
function mapSchema(schema: unknown, visit: (schema: Json) => Json): unknown {
  if (!isJson(schema)) return schema;
  const each = (value: unknown) => mapSchema(value, visit);
  const copy: Json = { ...schema };
  for (const key of SCHEMA_MAPS) if (isJson(copy[key])) copy[key] = mapValues(copy[key], each);
  for (const key of SCHEMA_LISTS) if (Array.isArray(copy[key])) copy[key] = (copy[key] as unknown[]).map(each);
  for (const key of SCHEMA_VALUES) {
    if (key in copy) copy[key] = Array.isArray(copy[key]) ? (copy[key] as unknown[]).map(each) : each(copy[key]);
  }
  return visit(copy);
}

/**
 * What the server fills in is not required of the client: a query parameter with a
 * `default` (`limit`), or a body field with one. Ajv applies defaults before it checks
 * `required`, so the document says what the server really accepts.
 */
function relaxDefaults(schema: unknown): unknown {
  return mapSchema(schema, (object) => {
    const { properties, required } = object;
    if (!Array.isArray(required) || !isJson(properties)) return object;
    return { ...object, required: required.filter((name) => !(isJson(properties[String(name)]) && 'default' in (properties[String(name)] as Json))) };
  });
}

/** A copy of the paths with `map` applied to every schema of every operation: parameters, bodies, answers and their headers. */
function mapOperationSchemas(paths: Json, map: (schema: unknown) => unknown): Json {
  const withSchema = (holder: unknown) => (isJson(holder) && 'schema' in holder ? { ...holder, schema: map(holder.schema) } : holder);
  const content = (media: unknown) => (isJson(media) ? mapValues(media, withSchema) : media);
  return mapValues(paths, (item) =>
    !isJson(item)
      ? item
      : mapValues(item, (operation) => {
          if (!isJson(operation) || !isJson(operation.responses)) return operation;
          const copy: Json = { ...operation };
          if (Array.isArray(operation.parameters)) copy.parameters = operation.parameters.map(withSchema);
          if (isJson(operation.requestBody)) copy.requestBody = { ...operation.requestBody, content: content(operation.requestBody.content) };
          copy.responses = mapValues(operation.responses, (response) => {
            if (!isJson(response)) return response;
            const headers = isJson(response.headers) ? mapValues(response.headers, withSchema) : undefined;
            return { ...response, ...(headers && { headers }), ...('content' in response && { content: content(response.content) }) };
          });
          return copy;
        }),
  );
}

/** JSON with object keys sorted: equal schemas give equal text whatever order their keys were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isJson(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const COMPONENT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const SCHEMA_REF = '#/components/schemas/';

/**
 * Named shapes. A route schema (TypeBox or plain JSON Schema) that carries a `title` is a
 * named shape, `Type.Object({…}, { title: 'Workspace' })`: the document lists it once as
 * `components.schemas.Workspace` and every place it appears (a response, a body, inside
 * another named shape) becomes `{ $ref: '#/components/schemas/Workspace' }`. Innermost
 * shapes are hoisted first, so components refer to each other too. A title names one
 * shape: two different schemas under one title (or a title that cannot be a component
 * name) throw OpenApiNamingError. Only the document is rewritten; the routes validate and
 * serialize with their own inline schemas as before.
 */
export function hoistNamedSchemas(document: Json): Json {
  const components = isJson(document.components) ? document.components : {};
  const named = new Map<string, { schema: Json; text: string }>();
  const name = (schema: Json): Json => {
    const title = schema.title;
    if (typeof title !== 'string' || '$ref' in schema) return schema;
    if (!COMPONENT_NAME.test(title)) throw new OpenApiNamingError(`schema title "${title}" cannot name a component (letters, digits, _)`);
    const text = canonical(schema);
    const known = named.get(title);
    if (known && known.text !== text) {
      throw new OpenApiNamingError(`two different schemas are titled "${title}": rename one (titles name component schemas)\n${known.text}\n${text}`);
    }
    named.set(title, { schema, text });
    return { $ref: `${SCHEMA_REF}${title}` };
  };
  const declared = isJson(components.schemas) ? components.schemas : {};
  for (const [key, schema] of Object.entries(declared)) {
    if (isJson(schema)) named.set(key, { schema: mapSchema(schema, name) as Json, text: canonical(schema) });
  }
  const paths = mapOperationSchemas(isJson(document.paths) ? document.paths : {}, (schema) => mapSchema(schema, name));
  const schemas = Object.fromEntries([...named.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, { schema }]) => [key, schema]));
  return { ...document, paths, components: { ...components, schemas } };
}

const finishDocument: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
  return hoistNamedSchemas(documentObject.openapiObject);
};

// ---------------------------------------------------------------------------------------
// Operation ids

const OPERATION_ID = /^[a-z][a-zA-Z0-9]*$/;

/**
 * Every documented route (not hidden, HEAD twins aside) names its operation: a camelCase
 * `schema.operationId` no other route has. Generated clients name their methods after it,
 * so a missing or shared one fails start-up (an onRoute hook throws, like the policy guard).
 */
export function guardOperationIds(app: FastifyInstance): void {
  const seen = new Map<string, string>();
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((method) => method !== 'HEAD');
    if (methods.length === 0 || route.schema?.hide) return;
    const where = `${methods.join(',')} ${route.url}`;
    const id = route.schema?.operationId;
    if (!id) throw new UndocumentedRouteError(`route ${where} has no schema.operationId (camelCase, unique)`);
    if (!OPERATION_ID.test(id)) throw new UndocumentedRouteError(`route ${where}: operationId "${id}" is not camelCase`);
    if (methods.length > 1) throw new UndocumentedRouteError(`route ${where}: one operationId cannot name ${methods.length} methods; register one route per method`);
    const other = seen.get(id);
    if (other) throw new UndocumentedRouteError(`route ${where} has operationId "${id}", already used by ${other}`);
    seen.set(id, where);
  });
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  guardOperationIds(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera',
        version: TESSERA_VERSION,
        description:
          'Workspaces, members, roles and permissions for multi-tenant business apps. Errors always answer ' +
          '`{"error":{"code","message","details"}}`; `message` texts follow `Accept-Language`.',
      },
      // Relative: "Try it out" and generated clients talk to whichever host served the document.
      servers: [{ url: '/', description: 'This server' }],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: documentedRoute,
    transformObject: finishDocument,
  });
  // Generated once here: a naming conflict stops start-up, and every GET answers the cached document.
  app.addHook('onReady', async () => {
    app.swagger();
  });

  let body: string | undefined;
  app.get(
    '/openapi.json',
    {
      config: { policy: publicRoute() },
      schema: {
        operationId: 'getOpenApiDocument',
        tags: ['system'],
        summary: 'This OpenAPI 3.1 document',
        response: { 200: { type: 'object', additionalProperties: true, description: 'The OpenAPI 3.1 document' } },
      },
    },
    async (_request, reply) => reply.type('application/json; charset=utf-8').send((body ??= JSON.stringify(app.swagger()))),
  );
  registerDocsUi(app);
}
