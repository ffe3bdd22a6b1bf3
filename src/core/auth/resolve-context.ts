import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import { negotiateLocale, type Locale } from '../i18n/index.ts';
import type { AccessClaims, AccessTokens } from './jwt.ts';
import { tenantRoleGrants } from './permissions.ts';
import type { Policy } from './policy.ts';
import type { RequestContext, TenantContext, UserActor, UserContext } from './request-context.ts';

/** How the hook reaches storage; the identity module implements it. */
export interface ContextLoader {
  findTenant(slug: string): Promise<TenantContext | undefined>;
  /**
   * One round trip: the tenant by slug, and the actor only while the session is
   * live and the user enabled, so logout and disabling act on the next request.
   */
  findSessionActor(
    slug: string,
    claims: AccessClaims,
  ): Promise<{ tenant: TenantContext; actor: UserActor | undefined } | undefined>;
}

const TENANT_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function tenantSlugOf(request: FastifyRequest, baseDomain: string | undefined): string {
  const header = request.headers['x-tenant'];
  if (typeof header === 'string') return header.trim().toLowerCase();
  if (baseDomain) {
    const host = request.hostname.toLowerCase();
    if (host.endsWith(`.${baseDomain}`)) return host.slice(0, -baseDomain.length - 1);
  }
  return 'default';
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(header);
  if (!match?.[1]) throw new AppError('AUTH.INVALID_TOKEN');
  return match[1];
}

/**
 * The single authorization point. `onRequest` resolves the context (404 unknown
 * tenant, 401 bad credentials); `preHandler`, after validation, checks the route's
 * declared policy against it (403).
 */
export function registerContextResolution(
  app: FastifyInstance,
  deps: { loader: ContextLoader; accessTokens: AccessTokens; tenantBaseDomain: string | undefined },
): void {
  app.decorateRequest('ctx', null);
  app.decorateRequest('locale', 'en');

  async function resolve(request: FastifyRequest, policy: Policy): Promise<RequestContext | null> {
    if (policy.access === 'public') return null;
    const slug = tenantSlugOf(request, deps.tenantBaseDomain);
    if (!TENANT_SLUG.test(slug)) throw new AppError('TENANT.NOT_FOUND');

    const token = policy.access === 'anonymous' ? undefined : bearerToken(request);
    if (token === undefined) {
      const tenant = await deps.loader.findTenant(slug);
      if (!tenant) throw new AppError('TENANT.NOT_FOUND');
      request.locale = negotiateLocale(request.headers['accept-language']) ?? tenant.defaultLocale;
      if (tenant.disabled) throw new AppError('TENANT.DISABLED');
      if (policy.access !== 'anonymous') throw new AppError('AUTH.UNAUTHENTICATED');
      return { tenant, actor: null, locale: request.locale };
    }

    const claims = await deps.accessTokens.verify(token);
    const found = await deps.loader.findSessionActor(slug, claims);
    if (!found) throw new AppError('TENANT.NOT_FOUND');
    request.locale = negotiateLocale(request.headers['accept-language']) ?? found.tenant.defaultLocale;
    if (found.tenant.disabled) throw new AppError('TENANT.DISABLED');
    if (claims.tenantId !== found.tenant.id || !found.actor) throw new AppError('AUTH.INVALID_TOKEN');
    return { tenant: found.tenant, actor: found.actor, locale: request.locale };
  }

  app.addHook('onRequest', async (request) => {
    request.locale = negotiateLocale(request.headers['accept-language']) ?? 'en';
    if (request.is404) return;
    const policy = request.routeOptions.config.policy;
    // Unreachable for registered routes (start-up refuses them), kept so a gap can only deny.
    if (!policy) throw new AppError('AUTH.FORBIDDEN');
    request.ctx = await resolve(request, policy);
  });

  app.addHook('preHandler', async (request) => {
    const policy = request.routeOptions.config.policy;
    if (request.is404 || policy?.access !== 'tenant') return;
    const actor = request.ctx?.actor;
    if (!actor || !tenantRoleGrants(actor.tenantRole, policy.permission)) {
      throw new AppError('AUTH.FORBIDDEN', { permission: policy.permission });
    }
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    policy?: Policy;
  }
  interface FastifyRequest {
    /** Null only on public routes. */
    ctx: RequestContext | null;
    locale: Locale;
  }
}

/** The resolved context of a route whose policy requires a signed-in user. */
export function userContextOf(request: FastifyRequest): UserContext {
  const ctx = request.ctx;
  if (!ctx?.actor) throw new AppError('AUTH.UNAUTHENTICATED');
  return ctx as UserContext;
}

/** The resolved tenant context of an anonymous-or-better route. */
export function tenantContextOf(request: FastifyRequest): RequestContext {
  if (!request.ctx) throw new AppError('TENANT.NOT_FOUND');
  return request.ctx;
}
