import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AccessTokens } from '../../core/auth/jwt.ts';
import { anonymous, authenticated, publicRoute, requiresTenant } from '../../core/auth/policy.ts';
import { tenantContextOf, userContextOf } from '../../core/auth/resolve-context.ts';
import { AppError } from '../../core/errors.ts';
import { missingFieldDetails } from '../../core/http/error-handler.ts';
import { bodyEmailKey, byClientNetwork, createAttemptLimiter } from '../../core/http/rate-limit.ts';
import { DataEnvelope, IdParams, ListEnvelope, ListQuery, MessageOnly, parseId } from '../../core/http/schemas.ts';
import {
  Jwks,
  LoginBody,
  Me,
  PendingVerification,
  RefreshBody,
  RegisterBody,
  SecondFactorChallenge,
  TenantUser,
  TokenPair,
  UpdateTenantUserBody,
} from './identity.schemas.ts';
import type { IdentityService } from './identity.service.ts';
import { clientOf, me, secondFactorChallenge, tenantUser, userSummary } from './identity.views.ts';
import { TOKEN_TRANSPORT_HEADER, type RefreshCookie } from './refresh-cookie.ts';

export const identityRoutes: FastifyPluginAsyncTypebox<{
  identity: IdentityService;
  authRateLimit: { max: number; windowSeconds: number };
  refreshCookie: RefreshCookie;
}> = async (app, { identity, authRateLimit, refreshCookie }) => {
  const credentialAttempts = createAttemptLimiter(app, {
    name: 'credentials',
    ...authRateLimit,
    keys: [byClientNetwork, (request) => `email:${bodyEmailKey(request)}`],
  });
  const rateLimited = { preHandler: (request: FastifyRequest) => credentialAttempts.check(request) };

  app.post(
    '/auth/register',
    {
      config: { policy: anonymous() },
      ...rateLimited,
      schema: {
        operationId: 'register',
        tags: ['identity'],
        summary: 'Create an account (self sign-up); the first user of a tenant becomes its owner',
        description:
          'Answers 201 with tokens, or 202 with no tokens where the tenant requires a proved address before sign-in. ' +
          'Either way a link that proves the address is mailed to it.',
        body: RegisterBody,
        response: { 201: DataEnvelope(TokenPair), 202: DataEnvelope(PendingVerification) },
      },
    },
    async (request, reply) => {
      const ctx = tenantContextOf(request);
      const registration = await identity.register(ctx, request.body, clientOf(request));
      if (registration.kind === 'verification_required') {
        return reply.code(202).send({
          data: { user: userSummary(registration.user), email_verification_required: true as const },
          message: request.translate('auth.verification_required'),
        });
      }
      const tokens = refreshCookie.deliver(request, reply, ctx.tenant.slug, registration.issued);
      return reply.code(201).send({ data: tokens, message: request.translate('auth.registered') });
    },
  );

  app.post(
    '/auth/login',
    {
      config: { policy: anonymous() },
      ...rateLimited,
      schema: {
        operationId: 'login',
        tags: ['identity'],
        summary: 'Sign in',
        description:
          'Answers 200 with tokens, or 202 with a second-factor challenge (the account has a second factor, or the tenant ' +
          'requires one of owners and admins): finish with POST /auth/mfa/verify. 403 AUTH.EMAIL_NOT_VERIFIED where the tenant ' +
          'requires a proved address (a new link is mailed).',
        body: LoginBody,
        response: { 200: DataEnvelope(TokenPair), 202: DataEnvelope(SecondFactorChallenge) },
      },
    },
    async (request, reply) => {
      const ctx = tenantContextOf(request);
      const signIn = await identity.login(ctx, request.body, clientOf(request));
      if (signIn.kind === 'second_factor') return reply.code(202).send(secondFactorChallenge(request, signIn));
      return { data: refreshCookie.deliver(request, reply, ctx.tenant.slug, signIn.issued), message: request.translate('auth.logged_in') };
    },
  );

  app.post(
    '/auth/refresh',
    {
      config: { policy: anonymous() },
      schema: {
        operationId: 'refreshSession',
        tags: ['identity'],
        summary: 'Rotate a refresh token; reusing one revokes its whole session',
        description: `The token comes in the body, or from the cookie a sign-in set when it was sent with \`${TOKEN_TRANSPORT_HEADER}: cookie\`.`,
        body: RefreshBody,
        response: { 200: DataEnvelope(TokenPair) },
      },
    },
    async (request, reply) => {
      const ctx = tenantContextOf(request);
      const presented = request.body.refresh_token ?? refreshCookie.presented(request, ctx.tenant.slug);
      if (presented === undefined) {
        // A cookie-transport request without its cookie has no session; any other lacks a required field.
        if (refreshCookie.asked(request)) throw new AppError('AUTH.UNAUTHENTICATED', { reason: 'no_refresh_token' });
        throw new AppError('VALIDATION.FAILED', missingFieldDetails('refresh_token', request.locale));
      }
      const issued = await identity.refresh(ctx, presented, clientOf(request));
      return { data: refreshCookie.deliver(request, reply, ctx.tenant.slug, issued), message: request.translate('auth.refreshed') };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { policy: authenticated() },
      schema: { operationId: 'logout', tags: ['identity'], summary: 'End this session at once', response: { 200: MessageOnly } },
    },
    async (request, reply) => {
      const ctx = userContextOf(request);
      await identity.logout(ctx);
      refreshCookie.clear(request, reply, ctx.tenant.slug);
      return { message: request.translate('auth.logged_out') };
    },
  );

  app.get(
    '/me',
    {
      config: { policy: authenticated() },
      schema: { operationId: 'getMe', tags: ['identity'], summary: 'The signed-in user', response: { 200: DataEnvelope(Me) } },
    },
    async (request) => {
      const { actor, tenant } = userContextOf(request);
      return { data: me({ id: actor.userId, tenantRole: actor.tenantRole, ...actor.profile }, tenant) };
    },
  );

  app.get(
    '/tenant/users',
    {
      config: { policy: requiresTenant('tenant_users:view') },
      schema: {
        operationId: 'listTenantUsers',
        tags: ['tenant'],
        summary: "The tenant's users",
        querystring: ListQuery,
        response: { 200: ListEnvelope(TenantUser) },
      },
    },
    async (request) => {
      const page = await identity.listUsers(userContextOf(request), request.query);
      return { data: page.items.map(tenantUser), meta: { next_cursor: page.nextCursor } };
    },
  );

  app.put(
    '/tenant/users/:id',
    {
      config: { policy: requiresTenant('tenant_users:manage') },
      schema: {
        operationId: 'updateTenantUser',
        tags: ['tenant'],
        summary: "Change a user's tenant role or disable the account",
        params: IdParams,
        body: UpdateTenantUserBody,
        response: { 200: DataEnvelope(TenantUser) },
      },
    },
    async (request) => {
      const user = await identity.updateUser(
        userContextOf(request),
        parseId(request.params.id, 'USER.NOT_FOUND'),
        request.body,
      );
      return { data: tenantUser(user), message: request.translate('tenant.user_updated') };
    },
  );
};


/** Mounted at the root: where token verifiers look for the signing keys. */
export const wellKnownRoutes: FastifyPluginAsyncTypebox<{ accessTokens: AccessTokens }> = async (app, { accessTokens }) => {
  app.get(
    '/.well-known/jwks.json',
    {
      config: { policy: publicRoute() },
      schema: { operationId: 'getJwks', tags: ['identity'], summary: 'Public keys that verify access tokens', response: { 200: Jwks } },
    },
    async () => accessTokens.jwks(),
  );
};
