import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { FastifyPluginAsync } from 'fastify';
import { AREA_CATALOGUES } from './areas.ts';
import { guardRoutePolicies, type RoutePolicyEntry } from './core/auth/policy.ts';
import { registerContextResolution } from './core/auth/resolve-context.ts';
import { createPortalAttempts } from './core/auth/context/portal.ts';
import { openSecretBox, type SecretBox } from './core/auth/secret-box.ts';
import { composeCatalogues, type AnyCatalogue, type Catalogue } from './core/catalogue.ts';
import { systemClock, type Clock } from './core/clock.ts';
import type { Config } from './core/config.ts';
import { walSyncOf } from './core/db/dialect.ts';
import { bindLocationColumns } from './core/db/workspace-scope.ts';
import { registerCors } from './core/http/cors.ts';
import { registerErrorHandling } from './core/http/error-handler.ts';
import { registerOpenApi } from './core/http/openapi.ts';
import { byClientNetwork, createAttemptLimiter, registerRateLimiting } from './core/http/rate-limit.ts';
import { ErrorBody } from './core/http/schemas.ts';
import { ajvFormats, createValidatorCompiler } from './core/http/validation.ts';
import { registerJsonBodies } from './core/http/json-body.ts';
import { SURFACES, type Surface } from './core/http/surfaces.ts';
import { loggerOptions } from './core/logger.ts';
import { connectRedis } from './core/redis.ts';
import { createContextLoader } from './modules/access/access.service.ts';
import { apiKeysRoutes } from './modules/api-keys/api-keys.routes.ts';
import { createApiKeysService } from './modules/api-keys/api-keys.service.ts';
import { auditLogRoutes } from './modules/audit-log/audit-log.routes.ts';
import { createAuditLogService } from './modules/audit-log/audit-log.service.ts';
import { createGroupInvitationLimiter, groupsRoutes } from './modules/groups/groups.routes.ts';
import { createGroupsService } from './modules/groups/groups.service.ts';
import { identityRoutes, wellKnownRoutes } from './modules/identity/identity.routes.ts';
import { createIdentityService, loadIdentityKeys, type SingleSignOnRequirement } from './modules/identity/identity.service.ts';
import { accountRoutes } from './modules/identity/account.routes.ts';
import { createRefreshCookie } from './modules/identity/refresh-cookie.ts';
import { createAccountService } from './modules/identity/account.service.ts';
import { createMfaService } from './modules/identity/mfa.service.ts';
import { accountPageRoutes } from './modules/identity/account.page.ts';
import { consoleRoutes } from './modules/console/console.routes.ts';
import { createInvitationLimiters, invitationsRoutes } from './modules/invitations/invitations.routes.ts';
import { invitationsWebRoutes } from './modules/invitations/invitations.web-routes.ts';
import { createInvitationsService } from './modules/invitations/invitations.service.ts';
import { createMailDeliverer } from './modules/mail/mail.service.ts';
import { memberLocationsRoutes } from './modules/members/member-locations.routes.ts';
import { createMemberLocationsService } from './modules/members/member-locations.service.ts';
import { membersRoutes } from './modules/members/members.routes.ts';
import { membersWebRoutes } from './modules/members/members.web-routes.ts';
import { createMembersService } from './modules/members/members.service.ts';
import { createRoleGrants } from './modules/roles/roles.grants.ts';
import { rolesRoutes } from './modules/roles/roles.routes.ts';
import { rolesWebRoutes } from './modules/roles/roles.web-routes.ts';
import { createRolesService } from './modules/roles/roles.service.ts';
import { systemRoutes } from './modules/system/system.routes.ts';
import { createSystemService } from './modules/system/system.service.ts';
import { tenantsRoutes } from './modules/tenants/tenants.routes.ts';
import { createTenantsService } from './modules/tenants/tenants.service.ts';
import { workspacesRoutes } from './modules/workspaces/workspaces.routes.ts';
import { workspacesWebRoutes } from './modules/workspaces/workspaces.web-routes.ts';
import { createWorkspacesService } from './modules/workspaces/workspaces.service.ts';
import { locationsRoutes } from './modules/locations/locations.routes.ts';
import { catalogRoutes } from './modules/catalog/catalog.routes.ts';
import { createCatalogServices } from './modules/catalog/catalog.service.ts';
import { stockReportsRoutes } from './modules/stock/stock-reports.routes.ts';
import { createStockReportsService } from './modules/stock/stock-reports.service.ts';
import { stockRoutes } from './modules/stock/stock.routes.ts';
import { createStockService } from './modules/stock/stock.service.ts';
import { contactsRoutes } from './modules/contacts/contacts.routes.ts';
import { createContactsService } from './modules/contacts/contacts.service.ts';
import { invoicesRoutes } from './modules/invoices/invoices.routes.ts';
import { createInvoicesService } from './modules/invoices/invoices.service.ts';
import { createNcfSequencesService } from './modules/invoices/ncf-sequences.service.ts';
import { quotationsRoutes } from './modules/quotations/quotations.routes.ts';
import { createQuotationsService } from './modules/quotations/quotations.service.ts';
import { workspacesSeedRoutes } from './modules/workspaces/workspaces.seed-routes.ts';
import { createLocationsService, liveLocationIds } from './modules/locations/locations.service.ts';
import { createSettingsService } from './modules/settings/settings.service.ts';
import { inviteCodesRoutes } from './modules/invite-codes/invite-codes.routes.ts';
import { createInviteCodesService } from './modules/invite-codes/invite-codes.service.ts';
import { createTxtLookup } from './modules/sso/domain-verification.ts';
import { createProviderDirectory } from './modules/sso/oidc.ts';
import { createBrowserBinding } from './modules/sso/browser-binding.ts';
import { ssoRoutes } from './modules/sso/sso.routes.ts';
import { createSsoService, signInUrlIfRequired } from './modules/sso/sso.service.ts';
import type { Db } from './schema/database.ts';

export interface AppDependencies {
  config: Config;
  db: Db;
  clock?: Clock;
  /** Overrides the configured logger (tests pass false or a stream). */
  logger?: FastifyServerOptions['logger'];
  /** The box secrets at rest are sealed with; by default the one the configuration names (SECRETS_KEY, or the key in DATA_DIR). */
  secrets?: SecretBox;
  /** Areas built outside this file (a test's demonstration area): their catalogue joins the others, their routes mount on their surface. */
  extraAreas?: readonly ExtraArea[];
}

export interface ExtraArea {
  catalogue: AnyCatalogue;
  surface: Surface;
  routes: FastifyPluginAsync;
}

export type App = FastifyInstance & { routePolicies: readonly RoutePolicyEntry[]; catalogue: Catalogue };

/**
 * Builds the HTTP application without listening: tests inject into it, main.ts
 * listens. The database is the caller's to open and close.
 */
export async function buildApp(deps: AppDependencies): Promise<App> {
  const { config, db } = deps;
  const secrets = deps.secrets ?? openSecretBox(config);
  const clock = deps.clock ?? systemClock;
  const extraAreas = deps.extraAreas ?? [];
  const catalogue = composeCatalogues([...AREA_CATALOGUES, ...extraAreas.map((area) => area.catalogue)]);
  bindLocationColumns(catalogue.locationBound);
  const areaHeaders = [...catalogue.requestHeaders.keys()];
  const secretHeaders = areaHeaders.filter((header) => catalogue.requestHeaders.get(header)?.secret);
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config.logLevel, config.logFormat, secretHeaders),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    routerOptions: { maxParamLength: 200 },
    serializerOpts: { ajv: { formats: ajvFormats() } },
    // While closing, requests already on open connections are still served (the database
    // closes after the server); each answer then closes its connection, see onSend below.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.headersTimeout = Math.min(config.requestTimeoutMs, 60_000);
  app.setValidatorCompiler(createValidatorCompiler());
  registerJsonBodies(app);
  await registerCors(app, config.corsOrigins, areaHeaders);

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
  // With SQLite's group commit (core/db/wal-sync.ts), an answer may show a commit whose WAL
  // sync is still running: it waits for that sync, so nothing it shows can be lost to a crash.
  const walSync = walSyncOf(db);
  // Whether to hang up is decided as the answer leaves, after any wait for the WAL sync:
  // shutdown may have begun during that wait.
  app.addHook('onSend', (_request, reply, payload, done) => {
    const send = () => {
      if (closing) void reply.header('connection', 'close');
      done(null, payload);
    };
    if (walSync?.pending) walSync.flush().then(send, (error: Error) => done(error));
    else send();
  });
  // An answer already on its way when shutdown began went out without that header, on a
  // connection close() saw busy and so left open: end it once the answer is written.
  app.addHook('onResponse', (request, _reply, done) => {
    if (closing) request.raw.socket.end();
    done();
  });

  registerErrorHandling(app, catalogue);
  await registerOpenApi(app);

  const redis = config.redisUrl ? await connectRedis(config.redisUrl, app.log) : undefined;
  if (redis) app.addHook('onClose', async () => void (await redis.quit().catch(() => redis.disconnect())));
  await registerRateLimiting(app, { redis });

  const { accessTokens, successorKey } = await loadIdentityKeys({ db, clock, secrets, issuer: config.publicUrl, ttlSeconds: config.accessTokenTtlSeconds });
  const grants = createRoleGrants(catalogue);
  const tenants = createTenantsService({ db, clock });
  const invitations = createInvitationsService({
    db,
    clock,
    grants,
    publicUrl: config.publicUrl,
    mailDelivery: config.smtpUrl ? 'smtp' : 'outbox',
  });
  const inviteCodes = createInviteCodesService({ db, clock });
  const singleSignOn: SingleSignOnRequirement = {
    signInUrlIfRequired: (executor, tenant, emailKey) => signInUrlIfRequired(executor, config.publicUrl, tenant, emailKey),
  };
  const identity = createIdentityService({
    db,
    clock,
    accessTokens,
    tenants,
    publicUrl: config.publicUrl,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    refreshTokenReuseSeconds: config.refreshTokenReuseSeconds,
    successorKey,
    invitations: {
      join: async (tx, input) => ({ workspaceId: (await invitations.acceptOnRegistration(tx, input)).workspace_id }),
      check: (tx, input) => invitations.checkOnRegistration(tx, input),
    },
    inviteCodes: { join: inviteCodes.joinOnRegistration, check: (tx, input) => inviteCodes.checkOnRegistration(tx, input) },
    singleSignOn,
  });
  const sso = createSsoService({
    db,
    clock,
    secrets,
    publicUrl: config.publicUrl,
    grants,
    txtLookup: createTxtLookup(config.dnsServers),
    providers: createProviderDirectory({ allowLoopback: config.ssoAllowLoopbackIssuers, now: () => clock.now().getTime() }),
    identity,
    tenants,
  });
  if (config.smtpUrl) {
    const mail = createMailDeliverer({
      db,
      clock,
      smtpUrl: config.smtpUrl,
      from: config.mailFrom,
      pollIntervalMs: config.mailPollIntervalMs,
      onError: (error) => app.log.error({ err: error }, 'mail delivery failed'),
      onSendFailed: ({ messageId, attempt, error, givenUp, nextAttemptAt }) => {
        const reason = error instanceof Error ? error.message : String(error);
        if (givenUp) app.log.error({ outboxId: messageId, attempt, reason }, 'e-mail not sent; given up (npm run tessera -- outbox retry)');
        else app.log.warn({ outboxId: messageId, attempt, reason, nextAttemptAt }, 'e-mail not sent; will retry');
      },
    });
    app.addHook('onReady', async () => mail.start());
    app.addHook('onClose', () => mail.stop());
  }

  const apiKeys = createApiKeysService({ db, clock, catalogue });
  app.addHook('onClose', () => apiKeys.close());
  const roles = createRolesService({ db, clock, catalogue, grants });
  const members = createMembersService({ db, clock, catalogue, grants, readCacheEntries: config.cacheEntries.reads });
  const memberLocations = createMemberLocationsService({ db, clock, grants });
  const settings = createSettingsService({ db, clock, liveLocations: liveLocationIds });
  const workspaces = createWorkspacesService({
    db,
    clock,
    readCacheEntries: config.cacheEntries.reads,
    settings,
    grants,
    permissionNames: [...catalogue.permissions.keys()],
  });
  const locations = createLocationsService({ db, clock });
  const catalog = createCatalogServices({ db, clock, recordPageEntries: config.cacheEntries.recordPages });
  const stock = createStockService({ db, clock, recordPageEntries: config.cacheEntries.recordPages });
  const groups = createGroupsService({ db, clock, grants, publicUrl: config.publicUrl });
  const groupInvitationLimiter = createGroupInvitationLimiter(app, config.invitationRateLimit);
  const invitationLimiters = createInvitationLimiters(app, config.invitationRateLimit);

  const contextLoader = createContextLoader({
    db,
    clock,
    catalogue,
    grants,
    cacheEntries: config.cacheEntries.contexts,
    onApiKeyUsed: (id) => apiKeys.recordUsage(id),
  });
  registerContextResolution(app, {
    loader: contextLoader,
    accessTokens,
    tenantBaseDomain: config.tenantBaseDomain,
    permissionSets: { readOnly: catalogue.readOnlyPermissions, withheldWhenActingAs: catalogue.withheldWhenActingAs },
    portalAttempts: createPortalAttempts(app, config.authRateLimit),
  });

  const metricSources = {
    caches: {
      contexts: contextLoader.cacheStats,
      workspace_pages: workspaces.cacheStats,
      member_pages: members.cacheStats,
      item_pages: catalog.items.cacheStats,
      stock_pages: stock.cacheStats,
    },
    ...(walSync ? { walSync: () => walSync.stats() } : {}),
  };
  await app.register(systemRoutes, {
    system: createSystemService({ db, redis }),
    ...(config.metricsToken ? { metrics: { token: config.metricsToken, sources: metricSources } } : {}),
  });
  await app.register(wellKnownRoutes, { accessTokens });
  await app.register(accountPageRoutes);
  await app.register(consoleRoutes, { publicUrl: config.publicUrl });
  await app.register(
    async (api) => {
      await api.register(tenantsRoutes, { tenants });
      const refreshCookie = createRefreshCookie({
        publicUrl: config.publicUrl,
        maxAgeSeconds: config.refreshTokenTtlSeconds,
        corsOrigins: config.corsOrigins,
      });
      await api.register(identityRoutes, { identity, authRateLimit: config.authRateLimit, refreshCookie });
      await api.register(accountRoutes, {
        accounts: createAccountService({ db, clock, publicUrl: config.publicUrl, singleSignOn }),
        mfa: createMfaService({ db, clock, identity, secrets }),
        authRateLimit: config.authRateLimit,
        refreshCookie,
      });
      await api.register(workspacesRoutes, { workspaces });
      await api.register(locationsRoutes, { locations });
      await api.register(catalogRoutes, catalog);
      await api.register(stockRoutes, { stock });
      await api.register(contactsRoutes, { contacts: createContactsService({ db, clock }) });
      await api.register(stockReportsRoutes, { reports: createStockReportsService({ db }) });
      const invoices = createInvoicesService({ db, clock, stock });
      await api.register(invoicesRoutes, { invoices, ncfSequences: createNcfSequencesService({ db, clock }) });
      await api.register(quotationsRoutes, { quotations: createQuotationsService({ db, clock, invoices }) });
      await api.register(inviteCodesRoutes, {
        inviteCodes,
        joinAttempts: createAttemptLimiter(app, {
          name: 'invite-code-joins',
          ...config.authRateLimit,
          keys: [byClientNetwork, (request) => `user:${request.ctx?.actor?.userId ?? 0}`],
        }),
      });
      await api.register(membersRoutes, { members });
      await api.register(memberLocationsRoutes, { memberLocations });
      await api.register(rolesRoutes, { roles });
      await api.register(apiKeysRoutes, { apiKeys });
      await api.register(auditLogRoutes, { auditLog: createAuditLogService({ db }) });
      await api.register(invitationsRoutes, { invitations, limiters: invitationLimiters });
      await api.register(groupsRoutes, { groups, invitationLimiter: groupInvitationLimiter, operationIdSuffix: '' });
      await api.register(ssoRoutes, {
        sso,
        tenantBaseDomain: config.tenantBaseDomain,
        startAttempts: createAttemptLimiter(app, { name: 'sso-starts', ...config.authRateLimit, keys: [byClientNetwork] }),
        refreshCookie,
        browserBinding: createBrowserBinding({ publicUrl: config.publicUrl }),
      });
    },
    { prefix: SURFACES.api },
  );
  // Seed 003's portal paths, as written: thin routes over the same services as /api/v1.
  await app.register(
    async (web) => {
      await web.register(workspacesWebRoutes, { workspaces });
      await web.register(membersWebRoutes, { members });
      await web.register(rolesWebRoutes, { roles });
      await web.register(invitationsWebRoutes, { invitations, limiters: invitationLimiters });
    },
    { prefix: SURFACES.web },
  );
  // Seeds 002 and 004 document their routes without the /api/v1 prefix, so they are served there as written.
  await app.register(workspacesSeedRoutes, { workspaces });
  await app.register(groupsRoutes, { groups, invitationLimiter: groupInvitationLimiter, operationIdSuffix: 'Unprefixed' });
  for (const area of extraAreas) await app.register(area.routes, { prefix: SURFACES[area.surface] });

  await app.ready();
  return Object.assign(app, { routePolicies, catalogue });
}
