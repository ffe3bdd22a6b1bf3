import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler, preHandlerHookHandler } from 'fastify';
import { AppError } from '../errors.ts';
import { ID_PATTERN, TENANT_SLUG_PATTERN } from '../http/schemas.ts';
import { MAX_STORED_ID } from '../db/dialect.ts';
import { negotiateLocale, type Locale } from '../i18n/index.ts';
import type { AccessClaims, AccessTokens } from './jwt.ts';
import { READ_ONLY_PERMISSIONS, tenantRoleGrants, type WorkspacePermission } from './permissions.ts';
import type { Policy } from './policy.ts';
import type {
  Actor,
  InWorkspaceContext,
  RequestContext,
  TenantContext,
  UserContext,
  WorkspaceContext,
  WorkspaceSource,
} from './request-context.ts';

export const API_KEY_PREFIX = 'tsk_';

export type Credential = { kind: 'session'; claims: AccessClaims } | { kind: 'api_key'; secret: string };

/** Which workspace the loader should join: none, a given id, or the user's current one. */
export type WorkspaceTarget = { kind: 'none' } | { kind: 'current' } | { kind: 'id'; id: number };

export interface LoadedWorkspace {
  id: number;
  bizId: string;
  name: string;
  /** The actor's role there, with its permissions; null when not a member. */
  membership: { role: string; permissions: readonly WorkspacePermission[] } | null;
}

export interface LoadedAccess {
  tenant: TenantContext;
  /** Undefined when the credential is not (or no longer) valid in this tenant. */
  actor: Actor | undefined;
  /** Undefined when the target names no workspace of this tenant. */
  workspace: LoadedWorkspace | undefined;
  /** An API key's own workspace and scopes. */
  apiKey?: { workspaceId: number; scopes: WorkspacePermission[] };
}

/** How the hook reaches storage; a module implements it. */
export interface ContextLoader {
  findTenant(slug: string): Promise<TenantContext | undefined>;
  /**
   * One round trip: the tenant by slug, the credential's actor only while it is live
   * (session not revoked, key not revoked or expired, user enabled), and the target
   * workspace with the actor's membership, so every change acts on the next request.
   */
  load(slug: string, credential: Credential, target: WorkspaceTarget): Promise<LoadedAccess | undefined>;
}

const TENANT_SLUG = new RegExp(TENANT_SLUG_PATTERN);
const ID = new RegExp(ID_PATTERN);

export function tenantSlugOf(request: FastifyRequest, baseDomain: string | undefined): string {
  const header = request.headers['x-tenant'];
  if (typeof header === 'string') return header.trim().toLowerCase();
  if (baseDomain) {
    const host = request.hostname.toLowerCase();
    if (host.endsWith(`.${baseDomain}`)) return host.slice(0, -baseDomain.length - 1);
  }
  return 'default';
}

function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(header);
  if (!match?.[1]) throw new AppError('AUTH.INVALID_TOKEN');
  return match[1];
}

/** A workspace id from a header: absent, or strictly decimal (else 400). */
function headerId(request: FastifyRequest, name: string): number | undefined {
  const value = request.headers[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !ID.test(value.trim())) throw new AppError('CONTEXT.INVALID', { header: name });
  return Number(value.trim());
}

interface RequestedWorkspace {
  id: number | undefined;
  source: WorkspaceSource;
  /** The sub workspace named by x-as-workspace. */
  actingAs?: number;
}

function requestedWorkspace(request: FastifyRequest, from: 'path' | 'context'): RequestedWorkspace {
  if (from === 'path') {
    const raw = (request.params as { id?: unknown }).id;
    if (typeof raw !== 'string' || !ID.test(raw)) throw new AppError('WORKSPACE.NOT_FOUND');
    return { id: Number(raw), source: 'path' };
  }
  const viaHeader = headerId(request, 'x-workspace-id');
  const asWorkspace = headerId(request, 'x-as-workspace');
  if (viaHeader !== undefined && asWorkspace !== undefined && viaHeader !== asWorkspace) {
    throw new AppError('CONTEXT.CONFLICT');
  }
  if (asWorkspace !== undefined) return { id: undefined, source: 'header', actingAs: asWorkspace };
  return viaHeader === undefined ? { id: undefined, source: 'current' } : { id: viaHeader, source: 'header' };
}

function effectivePermissions(
  actor: Actor,
  workspace: LoadedWorkspace,
  apiKeyScopes: readonly WorkspacePermission[] | undefined,
): ReadonlySet<WorkspacePermission> | undefined {
  const granted =
    workspace.membership?.permissions ??
    (tenantRoleGrants(actor.tenantRole, 'view_all_locations') ? READ_ONLY_PERMISSIONS : undefined);
  if (!granted) return undefined;
  // A key never exceeds its scopes, nor what its creator may do right now.
  return new Set(apiKeyScopes ? granted.filter((permission) => apiKeyScopes.includes(permission)) : granted);
}

// A loader may hand out the same (frozen) LoadedAccess for many requests; their permission set is computed once.
const permissionsByAccess = new WeakMap<LoadedAccess, ReadonlySet<WorkspacePermission> | undefined>();

function effectivePermissionsOf(loaded: LoadedAccess, actor: Actor, workspace: LoadedWorkspace) {
  if (permissionsByAccess.has(loaded)) return permissionsByAccess.get(loaded);
  const permissions = effectivePermissions(actor, workspace, loaded.apiKey?.scopes);
  permissionsByAccess.set(loaded, permissions);
  return permissions;
}

/**
 * The single authorization point. `onRequest` resolves the context (404 unknown
 * tenant or invisible workspace, 401 bad credentials, 409 no workspace context);
 * `preHandler`, after validation, checks the route's declared policy against it (403).
 */
export function registerContextResolution(
  app: FastifyInstance,
  deps: { loader: ContextLoader; accessTokens: AccessTokens; tenantBaseDomain: string | undefined },
): void {
  app.decorateRequest('ctx', null);
  app.decorateRequest('locale', 'en');

  const localeFor = (request: FastifyRequest, tenant: TenantContext) =>
    negotiateLocale(request.headers['accept-language']) ?? tenant.defaultLocale;

  async function resolve(request: FastifyRequest, policy: Policy): Promise<RequestContext> {
    const slug = tenantSlugOf(request, deps.tenantBaseDomain);
    if (!TENANT_SLUG.test(slug)) throw new AppError('TENANT.NOT_FOUND');

    const secret = policy.access === 'anonymous' ? undefined : credentialOf(request);
    if (secret === undefined) {
      const tenant = await deps.loader.findTenant(slug);
      if (!tenant) throw new AppError('TENANT.NOT_FOUND');
      request.locale = localeFor(request, tenant);
      if (tenant.disabled) throw new AppError('TENANT.DISABLED');
      if (policy.access !== 'anonymous') throw new AppError('AUTH.UNAUTHENTICATED');
      return { tenant, actor: null, workspace: null, locale: request.locale };
    }

    const credential: Credential = secret.startsWith(API_KEY_PREFIX)
      ? { kind: 'api_key', secret }
      : { kind: 'session', claims: await deps.accessTokens.verify(secret) };
    const requested = policy.access === 'workspace' ? requestedWorkspace(request, policy.from) : undefined;
    const target: WorkspaceTarget =
      requested === undefined || requested.actingAs !== undefined || credential.kind === 'api_key'
        ? { kind: 'none' }
        : requested.id === undefined
          ? { kind: 'current' }
          : requested.id > MAX_STORED_ID
            ? { kind: 'none' }
            : { kind: 'id', id: requested.id };

    const loaded = await deps.loader.load(slug, credential, target);
    if (!loaded) throw new AppError('TENANT.NOT_FOUND');
    request.locale = localeFor(request, loaded.tenant);
    if (loaded.tenant.disabled) throw new AppError('TENANT.DISABLED');
    const { actor } = loaded;
    if (!actor) throw new AppError('AUTH.INVALID_TOKEN');
    if (credential.kind === 'session' && credential.claims.tenantId !== loaded.tenant.id) {
      throw new AppError('AUTH.INVALID_TOKEN');
    }
    const base = { tenant: loaded.tenant, actor, locale: request.locale };
    if (requested === undefined) {
      if (actor.kind === 'api_key') throw new AppError('AUTH.FORBIDDEN', { reason: 'api_keys_act_only_in_their_workspace' });
      return { ...base, workspace: null };
    }

    // Acting as a sub workspace needs a workspace group whose admin workspace the caller
    // belongs to; until groups exist, no workspace is such a sub workspace. Checked only
    // now, so a dead credential still gets its 401 first.
    if (requested.actingAs !== undefined) throw new AppError('WORKSPACE.NOT_FOUND');
    if (loaded.apiKey && requested.id !== undefined && requested.id !== loaded.apiKey.workspaceId) {
      throw new AppError('WORKSPACE.NOT_FOUND');
    }
    const workspace = loaded.workspace;
    if (!workspace) {
      throw new AppError(target.kind === 'current' ? 'CONTEXT.REQUIRED' : 'WORKSPACE.NOT_FOUND');
    }
    const permissions = effectivePermissionsOf(loaded, actor, workspace);
    if (!permissions) throw new AppError('WORKSPACE.NOT_FOUND');
    const resolved: WorkspaceContext = {
      id: workspace.id,
      bizId: workspace.bizId,
      name: workspace.name,
      source: loaded.apiKey ? 'api_key' : requested.source,
      memberRole: workspace.membership?.role ?? null,
      permissions,
    };
    return { ...base, workspace: resolved };
  }

  // Resolution hooks are attached to each route, closed over its policy: reading
  // request.routeOptions builds a new object on every access.
  app.addHook('onRoute', (route) => {
    const policy = route.config?.policy;
    // Unreachable (guardRoutePolicies refuses such a route first), kept so a gap can only deny.
    if (!policy) throw new AppError('AUTH.FORBIDDEN');
    if (policy.access === 'public') return;
    route.onRequest = [resolveHook(policy), ...hookList(route.onRequest)];
    if (policy.access === 'tenant' || policy.access === 'workspace') {
      route.preHandler = [policyHook(policy), ...hookList(route.preHandler)];
    }
  });

  // Unmatched URLs resolve nothing, but still answer in the caller's language.
  app.addHook('onRequest', (request, _reply, done) => {
    request.locale = negotiateLocale(request.headers['accept-language']) ?? 'en';
    done();
  });

  function resolveHook(policy: Policy): onRequestAsyncHookHandler {
    return async (request) => {
      request.ctx = await resolve(request, policy);
    };
  }

  function policyHook(policy: Policy): preHandlerHookHandler {
    return (request, _reply, done) => {
      if (policy.access === 'tenant') {
        const actor = request.ctx?.actor;
        if (!actor || !tenantRoleGrants(actor.tenantRole, policy.permission)) {
          done(new AppError('AUTH.FORBIDDEN', { permission: policy.permission }));
          return;
        }
      }
      if (policy.access === 'workspace' && !request.ctx?.workspace?.permissions.has(policy.permission)) {
        done(new AppError('AUTH.FORBIDDEN', { permission: policy.permission }));
        return;
      }
      done();
    };
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

/** The resolved context of a route whose policy requires a signed-in user. */
export function userContextOf(request: FastifyRequest): UserContext {
  const ctx = request.ctx;
  if (ctx?.actor?.kind !== 'user') throw new AppError('AUTH.UNAUTHENTICATED');
  return ctx as UserContext;
}

/** The resolved context of a workspace route. */
export function workspaceContextOf(request: FastifyRequest): InWorkspaceContext {
  const ctx = request.ctx;
  if (!ctx?.actor || !ctx.workspace) throw new AppError('CONTEXT.REQUIRED');
  return ctx as InWorkspaceContext;
}

/** The resolved tenant context of an anonymous-or-better route. */
export function tenantContextOf(request: FastifyRequest): RequestContext {
  if (!request.ctx) throw new AppError('TENANT.NOT_FOUND');
  return request.ctx;
}

/** A workspace route that only a signed-in user (not an API key) may call: switching context, say. */
export function userInWorkspaceOf(request: FastifyRequest): InWorkspaceContext & UserContext {
  const ctx = workspaceContextOf(request);
  if (ctx.actor.kind !== 'user') throw new AppError('AUTH.FORBIDDEN', { reason: 'api_keys_cannot_do_this' });
  return ctx as InWorkspaceContext & UserContext;
}
