import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requestedTenant } from '../../core/auth/context/tenant.ts';
import { onPathWorkspace, publicRoute } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import type { AttemptLimiter } from '../../core/http/rate-limit.ts';
import { DataEnvelope, IdParams } from '../../core/http/schemas.ts';
import { TokenPair } from '../identity/identity.schemas.ts';
import { clientOf, tokenPair } from '../identity/identity.views.ts';
import type { RefreshCookie } from '../identity/refresh-cookie.ts';
import type { BrowserBinding } from './browser-binding.ts';
import { CallbackQuery, ClaimDomainBody, ConnectionBody, DomainClaim, EnforcementBody, SsoSettings, StartQuery } from './sso.schemas.ts';
import type { SsoService } from './sso.service.ts';
import { Type } from '@sinclair/typebox';

const view = onPathWorkspace('sso:view');
// Owner-level, by a person: what it changes is who may sign in to the whole tenant with a password.
const manage = onPathWorkspace('sso:manage', { usersOnly: true, notActingAs: true });
const tags = ['single sign-on'];

export const ssoRoutes: FastifyPluginAsyncTypebox<{
  sso: SsoService;
  tenantBaseDomain: string | undefined;
  startAttempts: AttemptLimiter;
  refreshCookie: RefreshCookie;
  browserBinding: BrowserBinding;
}> = async (
  app,
  { sso, tenantBaseDomain, startAttempts, refreshCookie, browserBinding },
) => {
  app.get(
    '/workspaces/:id/sso',
    {
      config: { policy: view },
      schema: { operationId: 'getWorkspaceSso', tags, summary: "The workspace's single sign-on: its domain, provider and enforcement", params: IdParams, response: { 200: DataEnvelope(SsoSettings) } },
    },
    async (request) => ({ data: await sso.settings(workspaceContextOf(request)) }),
  );

  app.put(
    '/workspaces/:id/sso/domain',
    {
      config: { policy: manage },
      schema: {
        operationId: 'claimSsoDomain',
        tags,
        summary: 'Claim an e-mail domain (one workspace per tenant; public mail domains are refused)',
        description: 'Answers the TXT record to publish, its value shown only now; claiming again hands out a new value and the domain must be proved again.',
        params: IdParams,
        body: ClaimDomainBody,
        response: { 200: DataEnvelope(DomainClaim) },
      },
    },
    async (request) => {
      const claim = await sso.claimDomain(workspaceContextOf(request), request.body.domain);
      return {
        data: { email_domain: claim.domain, verification_record: { type: 'TXT' as const, name: claim.recordName, value: claim.recordValue } },
        message: request.translate('sso.domain_claimed'),
      };
    },
  );

  app.post(
    '/workspaces/:id/sso/domain/verify',
    {
      config: { policy: manage },
      schema: {
        operationId: 'verifySsoDomain',
        tags,
        summary: "Prove the claimed domain: its TXT record is looked up in DNS now",
        params: IdParams,
        response: { 200: DataEnvelope(SsoSettings) },
      },
    },
    async (request) => ({ data: await sso.verifyDomain(workspaceContextOf(request)), message: request.translate('sso.domain_verified') }),
  );

  app.delete(
    '/workspaces/:id/sso/domain',
    {
      config: { policy: manage },
      schema: { operationId: 'releaseSsoDomain', tags, summary: 'Release the domain (single sign-on is no longer required)', params: IdParams, response: { 200: DataEnvelope(SsoSettings) } },
    },
    async (request) => ({ data: await sso.releaseDomain(workspaceContextOf(request)), message: request.translate('sso.domain_released') }),
  );

  app.put(
    '/workspaces/:id/sso/connection',
    {
      config: { policy: manage },
      schema: {
        operationId: 'saveSsoConnection',
        tags,
        summary: 'Connect an OpenID provider (discovered now; the client secret is stored encrypted, never returned)',
        description: `Register this redirect URI at the provider: \`<PUBLIC_URL>/api/v1/auth/sso/callback\`.`,
        params: IdParams,
        body: ConnectionBody,
        response: { 200: DataEnvelope(SsoSettings) },
      },
    },
    async (request) => ({ data: await sso.saveConnection(workspaceContextOf(request), request.body), message: request.translate('sso.connection_saved') }),
  );

  app.delete(
    '/workspaces/:id/sso/connection',
    {
      config: { policy: manage },
      schema: { operationId: 'removeSsoConnection', tags, summary: 'Disconnect the provider (single sign-on is no longer required)', params: IdParams, response: { 200: DataEnvelope(SsoSettings) } },
    },
    async (request) => ({ data: await sso.removeConnection(workspaceContextOf(request)), message: request.translate('sso.connection_removed') }),
  );

  app.put(
    '/workspaces/:id/sso/enforcement',
    {
      config: { policy: manage },
      schema: {
        operationId: 'setSsoEnforcement',
        tags,
        summary: "Require single sign-on of the domain's users, or stop requiring it",
        description:
          "Required, the domain's users can no longer sign in or sign up with a password (403 AUTH.SSO_REQUIRED, with where to start single sign-on), " +
          'and their password sessions end at once. Needs a proved domain and a connected provider (409 SSO.NOT_READY). Both ways are audited.',
        params: IdParams,
        body: EnforcementBody,
        response: { 200: DataEnvelope(Type.Intersect([SsoSettings, Type.Object({ sessions_ended: Type.Integer() })], { title: 'SsoEnforcement' })) },
      },
    },
    async (request) => {
      const { settings, sessionsEnded } = await sso.setEnforcement(workspaceContextOf(request), request.body.enforced);
      return { data: { ...settings, sessions_ended: sessionsEnded }, message: request.translate(request.body.enforced ? 'sso.enforced' : 'sso.not_enforced') };
    },
  );

  // A browser follows these two: the start names its tenant in the query (a link carries no
  // header), and the callback finds its tenant in the sign-in its `state` names.
  app.get(
    '/auth/sso/start',
    {
      config: { policy: publicRoute() },
      preHandler: (request) => startAttempts.check(request),
      schema: {
        operationId: 'startSso',
        tags,
        summary: "Start single sign-on: redirects to the identity provider of the address's (or domain's) workspace",
        description: 'A browser is redirected (302). A client that asks for JSON (`Accept: application/json`) gets the address to send the browser to instead.',
        querystring: StartQuery,
        response: {
          200: DataEnvelope(Type.Object({ authorization_url: Type.String() }, { title: 'SsoStart' })),
          302: Type.Null({ description: 'To the identity provider' }),
        },
      },
    },
    async (request, reply) => {
      const { tenant, ...input } = request.query;
      const { location, stateHash, browserBinding: binding } = await sso.start(tenant ?? requestedTenant(request, tenantBaseDomain), input);
      if (binding !== undefined) browserBinding.set(reply, stateHash, binding);
      void reply.header('cache-control', 'no-store');
      // A browser's navigation asks for text/html; a script's fetch for JSON.
      const accept = request.headers.accept ?? '';
      if (accept.includes('application/json') && !accept.includes('text/html')) return { data: { authorization_url: location } };
      return reply.redirect(location, 302);
    },
  );

  app.get(
    '/auth/sso/callback',
    {
      config: { policy: publicRoute() },
      schema: {
        operationId: 'completeSso',
        tags,
        summary: "Where the identity provider sends the browser back: signs in (the same session and tokens as a password sign-in)",
        description: 'Answers the tokens; a sign-in started with `return_to` instead sets the refresh-token cookie and redirects (303) there.',
        querystring: CallbackQuery,
        response: { 200: DataEnvelope(TokenPair), 303: Type.Null({ description: 'To the return_to path, signed in by cookie' }) },
      },
    },
    async (request, reply) => {
      // The query as the provider wrote it: the code exchange checks the very parameters it sent.
      const rawQuery = new URL(request.url, 'http://callback').search.slice(1);
      const signedIn = await sso.complete(request.query, rawQuery, clientOf(request), (stateHash) => browserBinding.read(request, stateHash));
      void reply.header('cache-control', 'no-store');
      if (signedIn.returnTo === null) return { data: tokenPair(signedIn.issued), message: request.translate('sso.signed_in') };
      browserBinding.clear(reply, signedIn.stateHash);
      refreshCookie.setForRedirect(reply, signedIn.tenantSlug, signedIn.issued);
      return reply.redirect(signedIn.returnTo, 303);
    },
  );
};
