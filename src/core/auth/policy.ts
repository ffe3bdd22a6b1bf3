import type { FastifyInstance } from 'fastify';
import type { TenantPermission, WorkspacePermission } from './permissions.ts';

/**
 * What a route requires, and so who may call it. Every route declares one; the app
 * refuses to start when a route does not (deny by default).
 */
export type Policy =
  /** No tenant involved: health, JWKS, the OpenAPI document. */
  | { readonly access: 'public' }
  /** Inside a tenant, without credentials: register, login, refresh. */
  | { readonly access: 'anonymous' }
  /** Any signed-in user of the tenant (API keys, which act only inside a workspace, are refused: 403). */
  | { readonly access: 'authenticated' }
  /** A signed-in user (never an API key) whose tenant role grants the permission. */
  | { readonly access: 'tenant'; readonly permission: TenantPermission }
  | WorkspacePolicy;

/**
 * A workspace the caller can see, and the permission there. The workspace comes from the
 * path (see `PathWorkspace`) or from the request context (headers, then the current one). API keys may
 * call it unless the route is for users only (switching one's own context, say).
 */
export interface WorkspacePolicy {
  readonly access: 'workspace';
  readonly from: 'path' | 'context';
  /** With `from: 'path'`, the parameter that names the workspace, and by what. */
  readonly path?: PathWorkspace;
  readonly permission: WorkspacePermission;
  readonly callers: 'users' | 'users_and_keys';
  /**
   * Whether an admin workspace may call it acting as a sub workspace (`x-as-workspace`).
   * Refused for what would change the group, end the sub workspace, or leave the caller
   * holding something in the sub workspace that outlives the link.
   */
  readonly actingAs: 'allowed' | 'refused';
}

/**
 * How a path names its workspace: `/workspaces/:id` by its integer id, or, as seed 003
 * writes some of its paths, `/workspaces/:workspaceBizId/…` by its `biz_id`.
 */
export interface PathWorkspace {
  readonly param: string;
  readonly by: 'id' | 'biz_id' | 'id_or_slug';
}

export const BY_PATH_ID: PathWorkspace = { param: 'id', by: 'id' };
/** Seed 003's parameters: `{workspaceId}` (the integer id) and `{workspaceBizId}` (the `biz_id`). */
export const BY_WORKSPACE_ID: PathWorkspace = { param: 'workspaceId', by: 'id' };
export const BY_WORKSPACE_BIZ_ID: PathWorkspace = { param: 'workspaceBizId', by: 'biz_id' };
/** Seed 002's `{idOrSlug}`: digits name the id, anything else the slug (a slug always has a letter). */
export const BY_ID_OR_SLUG: PathWorkspace = { param: 'idOrSlug', by: 'id_or_slug' };

/** Who, besides signed-in users, may call a workspace route, and how. */
interface CallerOptions {
  /** Only signed-in users: an API key gets 403 (after validation and the permission check). */
  usersOnly?: boolean;
  /** Never while acting as a sub workspace: 403 CONTEXT.ACTING_AS_FORBIDDEN (before the permission check). */
  notActingAs?: boolean;
}

const callersOf = (options: CallerOptions) => (options.usersOnly ? 'users' : 'users_and_keys');
const actingAsOf = (options: CallerOptions) => (options.notActingAs ? 'refused' : 'allowed');

export const publicRoute = (): Policy => ({ access: 'public' });
export const anonymous = (): Policy => ({ access: 'anonymous' });
export const authenticated = (): Policy => ({ access: 'authenticated' });
export const requiresTenant = (permission: TenantPermission): Policy => ({ access: 'tenant', permission });
export const inContext = (permission: WorkspacePermission, options: CallerOptions = {}): WorkspacePolicy => ({
  access: 'workspace',
  from: 'context',
  permission,
  callers: callersOf(options),
  actingAs: actingAsOf(options),
});
export const onPathWorkspace = (permission: WorkspacePermission, options: CallerOptions & { path?: PathWorkspace } = {}): WorkspacePolicy => ({
  access: 'workspace',
  from: 'path',
  path: options.path ?? BY_PATH_ID,
  permission,
  callers: callersOf(options),
  actingAs: actingAsOf(options),
});

export interface RoutePolicyEntry {
  method: string;
  url: string;
  policy: Policy;
  /** Left out of the OpenAPI document (`schema.hide`): static files such as /docs's assets. */
  hidden: boolean;
}

export class MissingPolicyError extends Error {
  override readonly name = 'MissingPolicyError';
}

/**
 * Deny by default: installs an onRoute hook that refuses any route without a
 * policy (start-up fails), and returns the registry it fills, which the
 * authorization matrix test walks.
 */
export function guardRoutePolicies(app: FastifyInstance): readonly RoutePolicyEntry[] {
  const registry: RoutePolicyEntry[] = [];
  app.addHook('onRoute', (route) => {
    const policy = route.config?.policy;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!policy) throw new MissingPolicyError(`route ${methods.join(',')} ${route.url} declares no policy`);
    for (const method of methods) registry.push({ method, url: route.url, policy, hidden: route.schema?.hide === true });
  });
  return registry;
}
