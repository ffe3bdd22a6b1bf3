import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type Options as AjvOptions } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import { createAccessTokens } from './core/auth/jwt.ts';
import { guardRoutePolicies, type RoutePolicyEntry } from './core/auth/policy.ts';
import { registerContextResolution } from './core/auth/resolve-context.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { Config } from './core/config.ts';
import type { Db } from './schema/database.ts';
import { registerErrorHandling } from './core/http/error-handler.ts';
import { registerOpenApi } from './core/http/openapi.ts';
import { registerRateLimiting } from './core/http/rate-limit.ts';
import { ErrorBody } from './core/http/schemas.ts';
import { loggerOptions } from './core/logger.ts';
import { createMailDeliverer } from './modules/mail/mail.service.ts';
import { createContextLoader } from './modules/access/access.service.ts';
import { apiKeysRoutes } from './modules/api-keys/api-keys.routes.ts';
import { createApiKeysService } from './modules/api-keys/api-keys.service.ts';
import { auditLogRoutes } from './modules/audit-log/audit-log.routes.ts';
import { createAuditLogService } from './modules/audit-log/audit-log.service.ts';
import { identityRoutes } from './modules/identity/identity.routes.ts';
import { invitationsRoutes } from './modules/invitations/invitations.routes.ts';
import { acceptOnRegistration, createInvitationsService } from './modules/invitations/invitations.service.ts';
import { membersRoutes } from './modules/members/members.routes.ts';
import { createMembersService } from './modules/members/members.service.ts';
import { rolesRoutes } from './modules/roles/roles.routes.ts';
import { createRolesService } from './modules/roles/roles.service.ts';
import { workspacesRoutes } from './modules/workspaces/workspaces.routes.ts';
import { createWorkspacesService } from './modules/workspaces/workspaces.service.ts';
import { listSigningKeys } from './modules/identity/identity.repository.ts';
import { createIdentityService } from './modules/identity/identity.service.ts';
import { systemRoutes } from './modules/system/system.routes.ts';
import { createSystemService } from './modules/system/system.service.ts';
import { tenantsRoutes } from './modules/tenants/tenants.routes.ts';
import { createTenantsService } from './modules/tenants/tenants.service.ts';

export interface AppDependencies {
  config: Config;
  db: Db;
  clock?: Clock;
  /** Overrides the configured logger (tests pass false or a stream). */
  logger?: FastifyServerOptions['logger'];
}

export type App = FastifyInstance & { routePolicies: readonly RoutePolicyEntry[] };

function createValidators() {
  const base: AjvOptions = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };
  // Bodies are typed JSON: "5" is not 5. Query strings, params and headers are text and get coerced.
  const body = addFormats.default(new Ajv({ ...base, coerceTypes: false }));
  const text = addFormats.default(new Ajv({ ...base, coerceTypes: 'array' }));
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? body : text).compile(schema);
}

/**
 * Builds the HTTP application without listening: tests inject into it, main.ts
 * listens. The database is the caller's to open and close.
 */
export async function buildApp(deps: AppDependencies): Promise<App> {
  const { config, db } = deps;
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.logLevel),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    routerOptions: { maxParamLength: 200 },
    // While closing, requests already on open connections are still served (the database
    // closes after the server); each answer then closes its connection, see onSend below.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.headersTimeout = Math.min(config.requestTimeoutMs, 60_000);
  app.setValidatorCompiler(createValidators());
  // JSON only: anything else is a 415, not a string body that fails validation.
  app.removeContentTypeParser(['text/plain']);

  const routePolicies = guardRoutePolicies(app);
  // Every documented response also documents the error envelope.
  app.addHook('onRoute', (route) => {
    if (route.schema?.response) {
      route.schema.response = { '4xx': ErrorBody, '5xx': ErrorBody, ...route.schema.response };
    }
  });
  // Fastify's close() ends only connections idle at that moment; a busy keep-alive one would
  // stay open after its answer until the client or the keep-alive timeout drops it, outlasting
  // the shutdown timeout. So once closing, every answer tells the client to hang up.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback-style hooks: an async hook costs every request a promise and a microtask turn.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  registerErrorHandling(app);
  await registerOpenApi(app);

  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { connectTimeout: 1000, maxRetriesPerRequest: 1, lazyConnect: false })
    : undefined;
  if (redis) app.addHook('onClose', async () => void (await redis.quit()));
  await registerRateLimiting(app, { redis });

  const accessTokens = await createAccessTokens({
    keys: await listSigningKeys(db),
    issuer: config.publicUrl,
    ttlSeconds: config.accessTokenTtlSeconds,
    clock,
  });
  const tenants = createTenantsService({ db, clock });
  const identity = createIdentityService({
    db,
    clock,
    accessTokens,
    tenants,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    acceptInvitation: async (tx, input) => ({ workspaceId: (await acceptOnRegistration(tx, input)).workspace_id }),
  });
  const invitations = createInvitationsService({ db, clock, publicUrl: config.publicUrl });
  if (config.smtpUrl) {
    const mail = createMailDeliverer({
      db,
      clock,
      smtpUrl: config.smtpUrl,
      from: config.mailFrom,
      pollIntervalMs: config.mailPollIntervalMs,
      onError: (error) => app.log.error({ err: error }, 'mail delivery failed'),
    });
    app.addHook('onReady', async () => mail.start());
    app.addHook('onClose', () => mail.stop());
  }

  const apiKeys = createApiKeysService({ db, clock });
  app.addHook('onClose', () => apiKeys.close());
  const roles = createRolesService({ db, clock });
  const members = createMembersService({ db, clock, readCacheEntries: config.cacheEntries.reads });
  const workspaces = createWorkspacesService({ db, clock, readCacheEntries: config.cacheEntries.reads });

  registerContextResolution(app, {
    loader: createContextLoader({
      db,
      clock,
      cacheEntries: config.cacheEntries.contexts,
      onApiKeyUsed: (id) => apiKeys.recordUsage(id),
    }),
    accessTokens,
    tenantBaseDomain: config.tenantBaseDomain,
  });

  await app.register(systemRoutes, { system: createSystemService({ db }) });
  await app.register(tenantsRoutes, { tenants });
  await app.register(identityRoutes, { identity, accessTokens, authRateLimit: config.authRateLimit });
  await app.register(workspacesRoutes, { workspaces });
  await app.register(membersRoutes, { members });
  await app.register(rolesRoutes, { roles });
  await app.register(apiKeysRoutes, { apiKeys });
  await app.register(auditLogRoutes, { auditLog: createAuditLogService({ db }) });
  await app.register(invitationsRoutes, { invitations, rateLimit: config.invitationRateLimit });

  await app.ready();
  return Object.assign(app, { routePolicies });
}
