import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler, preHandlerHookHandler } from 'fastify';
import { AppError } from '../errors.ts';
import { behindPortalCode } from '../http/surfaces.ts';
import { negotiateLocale, type Locale } from '../i18n/index.ts';
import { admit, admitAnonymous, admitTenant, type LoadedAccess, type PermissionSets, type TenantGate } from './context/admission.ts';
import type { PortalAttempts } from './context/portal.ts';
import { requestCredential, type Credential } from './context/credential.ts';
import { policyRefusal } from './context/policy-check.ts';
import { requestedTenant } from './context/tenant.ts';
import { selectWorkspace, type WorkspaceSelection, type WorkspaceTarget } from './context/workspace-selection.ts';
import type { AccessTokens } from './jwt.ts';
import type { Policy } from './policy.ts';
import { CONTEXT_RESPONSE_HEADERS, type InWorkspaceContext, type RequestContext, type TenantContext, type UserContext } from './request-context.ts';

export type { Credential, LoadedAccess, WorkspaceTarget };
export { API_KEY_PREFIX } from './context/credential.ts';

/** How the resolution reaches storage; the access area implements it. */
export interface ContextLoader {
  findTenant(slug: string): Promise<TenantContext | undefined>;
  /**
   * One round trip: the tenant by slug, the credential's actor only while it is live
   * (session not revoked, key not revoked or expired, user enabled), and the target
   * workspace with the actor's membership, so every change acts on the next request.
   */
  load(slug: string, credential: Credential, target: WorkspaceTarget): Promise<LoadedAccess | undefined>;
}

export interface ContextResolutionDeps {
  loader: ContextLoader;
  accessTokens: Pick<AccessTokens, 'verify'>;
  tenantBaseDomain: string | undefined;
  permissionSets: PermissionSets;
  /** The portal access code's gate, which counts wrong codes and refuses an address past the limit. */
  portalAttempts: PortalAttempts;
}

/**
 * The request context, in named steps (each in ./context/ with its unit tests):
 * tenant (and, on a surface behind it, the portal access code, its wrong guesses limited) → credential → workspace selection → one load → admission (the refusal order,
 * effective permissions). Only the load touches storage, once.
 */
async function resolveContext(request: FastifyRequest, slug: string, route: RouteAccess, deps: ContextResolutionDeps): Promise<RequestContext> {
  const { policy } = route;
  const gate: TenantGate | undefined = route.behindPortalCode ? (tenant) => deps.portalAttempts.gate(tenant, request) : undefined;
  const localeFor = (tenant: TenantContext) => negotiateLocale(request.headers['accept-language']) ?? tenant.defaultLocale;
  let credential: Credential | undefined;
  let selection: WorkspaceSelection | undefined;
  try {
    credential = await requestCredential(request, policy, deps.accessTokens);
    selection = credential && policy.access === 'workspace' ? selectWorkspace(request, policy, credential) : undefined;
  } catch (error) {
    // Behind the portal code, whoever lacks the code learns nothing of their credential or
    // of the workspace they name: the tenant's refusals, the code's among them, come first.
    if (gate) admitTenant(await deps.loader.findTenant(slug), gate);
    throw error;
  }
  if (!credential) {
    const found = await deps.loader.findTenant(slug);
    if (found) request.locale = localeFor(found);
    const tenant = admitAnonymous(found, policy, gate);
    return { tenant, actor: null, workspace: null, locale: request.locale };
  }
  const loaded = await deps.loader.load(slug, credential, selection?.target ?? { kind: 'none' });
  if (loaded) request.locale = localeFor(loaded.tenant);
  return admit({ loaded, credential, selection, locale: request.locale, permissionSets: deps.permissionSets, gate });
}

/** What the resolution needs to know of a route: its policy, and whether its surface is behind the portal code. */
interface RouteAccess {
  policy: Policy;
  behindPortalCode: boolean;
}

/**
 * The single authorization point. `onRequest` resolves the context (404 unknown tenant or
 * invisible workspace, 401 bad credentials, 409 no workspace context); `preHandler`, after
 * validation, checks the route's declared policy against it (403).
 */
export function registerContextResolution(app: FastifyInstance, deps: ContextResolutionDeps): void {
  app.decorateRequest('ctx', null);
  app.decorateRequest('locale', 'en');

  // Resolution hooks are attached to each route, closed over its policy: reading
  // request.routeOptions builds a new object on every access.
  app.addHook('onRoute', (route) => {
    const policy = route.config?.policy;
    // Unreachable (guardRoutePolicies refuses such a route first), kept so a gap can only deny.
    if (!policy) throw new AppError('AUTH.FORBIDDEN');
    if (policy.access === 'public') return;
    route.onRequest = [resolveHook({ policy, behindPortalCode: behindPortalCode(route.url) }), ...hookList(route.onRequest)];
    if (policy.access === 'tenant' || policy.access === 'workspace') {
      route.preHandler = [policyHook(policy), ...hookList(route.preHandler)];
    }
  });

  // Unmatched URLs resolve nothing, but still answer in the caller's language.
  app.addHook('onRequest', (request, _reply, done) => {
    request.locale = negotiateLocale(request.headers['accept-language']) ?? 'en';
    done();
  });

  function resolveHook(route: RouteAccess): onRequestAsyncHookHandler {
    return async (request, reply) => {
      const slug = requestedTenant(request, deps.tenantBaseDomain);
      if (route.behindPortalCode) await deps.portalAttempts.readShared(request, slug);
      const ctx = await resolveContext(request, slug, route, deps).catch(async (refusal: unknown) => {
        if (route.behindPortalCode) await deps.portalAttempts.share(request);
        throw refusal;
      });
      request.ctx = ctx;
      // Where the request runs, said by the server: a client acting as a sub workspace never guesses.
      if (ctx.workspace) {
        void reply.header(CONTEXT_RESPONSE_HEADERS.workspace, String(ctx.workspace.id));
        if (ctx.workspace.actingFrom) void reply.header(CONTEXT_RESPONSE_HEADERS.actingFrom, String(ctx.workspace.actingFrom.id));
      }
    };
  }

  function policyHook(policy: Policy): preHandlerHookHandler {
    return (request, _reply, done) => done(policyRefusal(policy, request.ctx));
  }
}

function hookList<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
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

/*
 * Typed views of the context a route's policy guarantees. They refuse only when a route
 * reads a context its own policy does not promise (a programming error), never to decide
 * who may call: that is the policy's.
 */

/** The context of a route whose policy admits only signed-in users (authenticated, tenant, users-only workspace). */
export function userContextOf(request: FastifyRequest): UserContext {
  const ctx = request.ctx;
  if (!ctx?.actor) throw new AppError('AUTH.UNAUTHENTICATED');
  // Only a route that forgot `usersOnly` gets here with a key: deny as the policy would have.
  if (ctx.actor.kind !== 'user') throw new AppError('AUTH.FORBIDDEN', { reason: 'api_keys_cannot_do_this' });
  return ctx as UserContext;
}

/** The context of a workspace route. */
export function workspaceContextOf(request: FastifyRequest): InWorkspaceContext {
  const ctx = request.ctx;
  if (!ctx?.actor || !ctx.workspace) throw new AppError('CONTEXT.REQUIRED');
  return ctx as InWorkspaceContext;
}

/** The context of a users-only workspace route. */
export function userInWorkspaceOf(request: FastifyRequest): InWorkspaceContext & UserContext {
  workspaceContextOf(request);
  return userContextOf(request) as InWorkspaceContext & UserContext;
}

/** The resolved tenant context of an anonymous-or-better route. */
export function tenantContextOf(request: FastifyRequest): RequestContext {
  if (!request.ctx) throw new AppError('TENANT.NOT_FOUND');
  return request.ctx;
}
