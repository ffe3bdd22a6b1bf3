import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AccessTokens } from '../../core/auth/jwt.ts';
import { anonymous, authenticated, publicRoute, requiresTenant } from '../../core/auth/policy.ts';
import { tenantContextOf, userContextOf } from '../../core/auth/resolve-context.ts';
import { bodyEmailKey, createAttemptLimiter } from '../../core/http/rate-limit.ts';
import { DataEnvelope, IdParams, ListEnvelope, ListQuery, MessageOnly, parseId } from '../../core/http/schemas.ts';
import {
  Jwks,
  LoginBody,
  Me,
  RefreshBody,
  RegisterBody,
  TenantUser,
  TokenPair,
  UpdateTenantUserBody,
} from './identity.schemas.ts';
import type { IdentityService, IssuedSession, User } from './identity.service.ts';

function userSummary(user: User) {
  return { id: user.id, name: user.name, email: user.email, tenant_role: user.tenantRole, created_at: user.createdAt };
}

function tenantUser(user: User) {
  return { ...userSummary(user), disabled: user.disabledAt !== null, updated_at: user.updatedAt };
}

function tokenPair(issued: IssuedSession) {
  return {
    user: userSummary(issued.user),
    access_token: issued.accessToken,
    refresh_token: issued.refreshToken,
    token_type: 'Bearer' as const,
    expires_in: issued.expiresInSeconds,
  };
}

export const identityRoutes: FastifyPluginAsyncTypebox<{
  identity: IdentityService;
  authRateLimit: { max: number; windowSeconds: number };
}> = async (app, { identity, authRateLimit }) => {
  const credentialAttempts = createAttemptLimiter(app, {
    name: 'credentials',
    ...authRateLimit,
    keys: [(request) => `ip:${request.ip}`, (request) => `email:${bodyEmailKey(request)}`],
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
        body: RegisterBody,
        response: { 201: DataEnvelope(TokenPair) },
      },
    },
    async (request, reply) => {
      const issued = await identity.register(tenantContextOf(request), request.body);
      return reply.code(201).send({ data: tokenPair(issued), message: request.translate('auth.registered') });
    },
  );

  app.post(
    '/auth/login',
    {
      config: { policy: anonymous() },
      ...rateLimited,
      schema: { operationId: 'login', tags: ['identity'], summary: 'Sign in', body: LoginBody, response: { 200: DataEnvelope(TokenPair) } },
    },
    async (request) => {
      const issued = await identity.login(tenantContextOf(request), request.body);
      return { data: tokenPair(issued), message: request.translate('auth.logged_in') };
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
        body: RefreshBody,
        response: { 200: DataEnvelope(TokenPair) },
      },
    },
    async (request) => {
      const issued = await identity.refresh(tenantContextOf(request), request.body.refresh_token);
      return { data: tokenPair(issued), message: request.translate('auth.refreshed') };
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { policy: authenticated() },
      schema: { operationId: 'logout', tags: ['identity'], summary: 'End this session at once', response: { 200: MessageOnly } },
    },
    async (request) => {
      await identity.logout(userContextOf(request));
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
      return {
        data: {
          id: actor.userId,
          name: actor.profile.name,
          email: actor.profile.email,
          tenant_role: actor.tenantRole,
          created_at: actor.profile.createdAt,
          current_workspace_id: actor.profile.currentWorkspaceId,
          default_workspace_id: actor.profile.defaultWorkspaceId,
          tenant: { slug: tenant.slug, name: tenant.name },
        },
      };
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
