import { AppError } from '../../errors.ts';
import type { Locale } from '../../i18n/index.ts';
import { tenantRoleGrants, type WorkspacePermission } from '../permissions.ts';
import type { Policy } from '../policy.ts';
import type { Actor, AdminWorkspace, AllowedLocations, RequestContext, TenantContext, WorkspaceContext } from '../request-context.ts';
import type { Credential } from './credential.ts';
import type { WorkspaceSelection } from './workspace-selection.ts';

export interface LoadedWorkspace {
  id: number;
  bizId: string;
  slug: string;
  name: string;
  /** Its data version, read in the same statement as everything else. */
  dataVersion: number;
  /** Its record versions, read in the same statement; on every request, even when the rest was kept. */
  recordVersions: string;
  /**
   * The actor's role there, with its permissions; null when not a member. When the target
   * was a sub workspace with an admin workspace, the role in the admin workspace instead.
   */
  membership: {
    role: string;
    permissions: readonly WorkspacePermission[];
    /** The locations the member is restricted to; null when unrestricted (always for the owner). */
    locations: readonly number[] | null;
  } | null;
  /** The admin workspace of the group the target sub workspace belongs to, when it was targeted as a sub. */
  actingFrom?: AdminWorkspace;
}

/** What the one context query found. */
export interface LoadedAccess {
  tenant: TenantContext;
  /** Undefined when the credential is not (or no longer) valid in this tenant. */
  actor: Actor | undefined;
  /** Undefined when the target names no workspace of this tenant. */
  workspace: LoadedWorkspace | undefined;
  /** An API key's own workspace and scopes. */
  apiKey?: { workspaceId: number; scopes: readonly WorkspacePermission[] };
}

/**
 * Step 4, effective permissions: the member's role with their overrides (a revoke
 * winning, none on the owner), or the read-only set for a tenant
 * owner or admin who is not a member; an API key never exceeds its scopes, nor what its
 * creator may do right now. Acting as a sub workspace, only a membership of the admin
 * workspace counts (seeing every workspace read-only is no membership of a group).
 * Undefined: the caller cannot see the workspace.
 */
export function effectivePermissions(
  actor: Actor,
  workspace: LoadedWorkspace,
  apiKeyScopes: readonly WorkspacePermission[] | undefined,
  sets: PermissionSets,
): ReadonlySet<WorkspacePermission> | undefined {
  const seesAll = !workspace.actingFrom && tenantRoleGrants(actor.tenantRole, 'view_all_locations');
  const granted = workspace.membership?.permissions ?? (seesAll ? sets.readOnly : undefined);
  if (!granted) return undefined;
  return new Set(
    granted.filter(
      (permission) =>
        (!apiKeyScopes || apiKeyScopes.includes(permission)) && !(workspace.actingFrom && sets.withheldWhenActingAs.includes(permission)),
    ),
  );
}

/**
 * Where the caller may work: a membership's restriction (acting as a sub workspace, the one
 * in the admin workspace, whose locations are none of the sub's: fail closed), unless the
 * tenant role sees every location; anyone not restricted, everywhere.
 */
export function allowedLocations(actor: Actor, workspace: LoadedWorkspace): AllowedLocations {
  const listed = workspace.membership?.locations ?? null;
  if (listed === null || tenantRoleGrants(actor.tenantRole, 'view_all_locations')) return 'all';
  return new Set(listed);
}

/** The catalogue's permission sets admission applies: see `Catalogue.readOnlyPermissions` and `withheldWhenActingAs`. */
export interface PermissionSets {
  readOnly: readonly WorkspacePermission[];
  withheldWhenActingAs: readonly WorkspacePermission[];
}

// A loader may hand out the same (frozen) LoadedAccess for many requests; what it grants is computed once.
const grantsByAccess = new WeakMap<LoadedAccess, { permissions: ReadonlySet<WorkspacePermission>; locations: AllowedLocations } | undefined>();

function grantsOf(loaded: LoadedAccess, actor: Actor, workspace: LoadedWorkspace, sets: PermissionSets) {
  if (grantsByAccess.has(loaded)) return grantsByAccess.get(loaded);
  const permissions = effectivePermissions(actor, workspace, loaded.apiKey?.scopes, sets);
  const grants = permissions && { permissions, locations: allowedLocations(actor, workspace) };
  grantsByAccess.set(loaded, grants);
  return grants;
}

/**
 * The refusals admission answers from what the one load found, in the one order they are
 * checked, so that nothing is revealed to a caller who should first have been turned
 * away: an unknown tenant (404) before a disabled one (403) before a missing portal access
 * code where the surface asks for one (403) before a missing, dead or foreign credential
 * (401); an API key outside a workspace (403); then an invisible workspace (404), a path
 * `biz_id` naming another than the one found among them, before a missing choice of
 * workspace (409).
 *
 * Over the whole resolution, the steps before the load refuse first, from the request
 * alone: a slug no tenant can have (404), then a malformed or unverifiable bearer (401),
 * then malformed or conflicting workspace headers or path (400, 404); behind the portal
 * code, any of these only once the tenant's refusals above have been checked. Permissions and users-only
 * routes (403) come last, after validation, in the policy step.
 */
export const REFUSAL_ORDER = [
  'TENANT.NOT_FOUND',
  'TENANT.DISABLED',
  'PORTAL.ACCESS_DENIED',
  'AUTH.UNAUTHENTICATED',
  'AUTH.INVALID_TOKEN',
  'AUTH.FORBIDDEN',
  'WORKSPACE.NOT_FOUND',
  'CONTEXT.REQUIRED',
] as const;

/**
 * A further check of the tenant a surface may ask for (the portal access code, see
 * ./portal.ts), run right after the tenant's own refusals and before any credential's.
 */
export type TenantGate = (tenant: TenantContext) => void;

/** The tenant's refusals, in REFUSAL_ORDER: unknown, disabled, then the surface's gate. */
export function admitTenant(tenant: TenantContext | undefined, gate: TenantGate | undefined): TenantContext {
  if (!tenant) throw new AppError('TENANT.NOT_FOUND');
  if (tenant.disabled) throw new AppError('TENANT.DISABLED');
  gate?.(tenant);
  return tenant;
}

/** A request without a credential: only anonymous routes admit it. */
export function admitAnonymous(found: TenantContext | undefined, policy: Policy, gate: TenantGate | undefined): TenantContext {
  const tenant = admitTenant(found, gate);
  if (policy.access !== 'anonymous') throw new AppError('AUTH.UNAUTHENTICATED');
  return tenant;
}

/**
 * Step 5, admission: the loaded facts against REFUSAL_ORDER, and the context the route
 * receives. `selection` is undefined on routes outside a workspace.
 */
export function admit(input: {
  loaded: LoadedAccess | undefined;
  credential: Credential;
  selection: WorkspaceSelection | undefined;
  locale: Locale;
  permissionSets: PermissionSets;
  gate: TenantGate | undefined;
}): RequestContext {
  const { loaded, credential, selection, locale } = input;
  admitTenant(loaded?.tenant, input.gate);
  if (!loaded) throw new AppError('TENANT.NOT_FOUND');
  const { actor } = loaded;
  if (!actor) throw new AppError('AUTH.INVALID_TOKEN');
  if (credential.kind === 'session' && credential.claims.tenantId !== loaded.tenant.id) throw new AppError('AUTH.INVALID_TOKEN');
  const base = { tenant: loaded.tenant, actor, locale };
  if (!selection) {
    // Users only: an API key acts nowhere but inside its own workspace.
    if (actor.kind === 'api_key') throw new AppError('AUTH.FORBIDDEN', { reason: 'api_keys_act_only_in_their_workspace' });
    return { ...base, workspace: null };
  }

  const workspace = loaded.workspace;
  if (selection.actingAs !== undefined) {
    // Acting as a sub workspace: it must be one now, of an admin workspace the caller belongs
    // to (the membership is checked with the permissions) or whose key it is. Anything else
    // is indistinguishable from a missing id.
    const adminId = workspace?.actingFrom?.id;
    if (adminId === undefined || (loaded.apiKey && loaded.apiKey.workspaceId !== adminId)) throw new AppError('WORKSPACE.NOT_FOUND');
  } else if (loaded.apiKey && selection.namedId !== undefined && selection.namedId !== loaded.apiKey.workspaceId) {
    throw new AppError('WORKSPACE.NOT_FOUND');
  }
  const named = selection.named;
  if (workspace && named !== undefined && (named.by === 'biz_id' ? workspace.bizId : workspace.slug) !== named.value) {
    // The path's biz_id or slug is not the key's own workspace, or not the sub workspace acted
    // as. Unlike two ids, a name and an id cannot be compared without the lookup, so the
    // mismatch answers as an invisible workspace would: a 400 here would tell a caller
    // which workspace a name is, or that an id it may not act as exists.
    throw new AppError('WORKSPACE.NOT_FOUND');
  }
  if (!workspace) throw new AppError(selection.target.kind === 'current' ? 'CONTEXT.REQUIRED' : 'WORKSPACE.NOT_FOUND');
  const grants = grantsOf(loaded, actor, workspace, input.permissionSets);
  if (!grants) throw new AppError('WORKSPACE.NOT_FOUND');
  const resolved: WorkspaceContext = {
    id: workspace.id,
    bizId: workspace.bizId,
    name: workspace.name,
    source: selection.source,
    memberRole: workspace.membership?.role ?? null,
    permissions: grants.permissions,
    locations: grants.locations,
    dataVersion: workspace.dataVersion,
    recordVersions: workspace.recordVersions,
    // Loaded only for a sub workspace targeted as one, which the checks above admitted.
    actingFrom: workspace.actingFrom ?? null,
  };
  return { ...base, workspace: resolved };
}
