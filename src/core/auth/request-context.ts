import type { Locale } from '../i18n/index.ts';
import type { TenantRoleName, WorkspacePermission } from './permissions.ts';

/** The tenant a request was resolved to, as far as the HTTP layer needs it. */
export interface TenantContext {
  id: number;
  slug: string;
  name: string;
  defaultLocale: Locale;
  disabled: boolean;
  /** How many workspaces one user may own; null is unlimited. */
  maxOwnedWorkspacesPerUser: number | null;
  /** The digest of the code portal surfaces require (core/auth/context/portal.ts); null when they require none. */
  portalAccessCodeDigest: string | null;
  /** The tenant's data version as this request read it, before any other data: what cached reads are checked against. */
  dataVersion: number;
}

/** The signed-in user's own record, loaded with the context (so /me costs no second query). */
export interface UserProfile {
  name: string;
  email: string;
  createdAt: string;
  /** Whether the owner of the address proved it. */
  emailVerified: boolean;
  /** The language the user chose; null when they chose none. */
  locale: string | null;
  /** Whether a second factor guards their sign-in. */
  mfaEnabled: boolean;
  currentWorkspaceId: number | null;
  defaultWorkspaceId: number | null;
}

export interface UserActor {
  kind: 'user';
  userId: number;
  sessionId: number;
  tenantRole: TenantRoleName;
  profile: UserProfile;
  /** The user's data version as this request read it: moved by changes to their memberships (their list of workspaces). */
  dataVersion: number;
}

/** An API key acts for its creator, within its scopes, in its own workspace. */
export interface ApiKeyActor {
  kind: 'api_key';
  apiKeyId: number;
  /** The key's creator, whose current rights bound the key's. */
  userId: number;
  tenantRole: TenantRoleName;
}

export type Actor = UserActor | ApiKeyActor;

/**
 * Where in its workspace a request may see and move location-bound records: everywhere, or
 * only at these locations (possibly none: then nowhere). The workspace-scoped kit applies it.
 */
export type AllowedLocations = 'all' | ReadonlySet<number>;

/** How the request reached its workspace. */
export type WorkspaceSource = 'path' | 'header' | 'current' | 'api_key';

export interface WorkspaceContext {
  id: number;
  bizId: string;
  name: string;
  source: WorkspaceSource;
  /** The caller's role there; null when seen only through `view_all_locations` (read-only). */
  memberRole: string | null;
  permissions: ReadonlySet<WorkspacePermission>;
  /** The member's location access: unrestricted for the owner and for holders of `view_all_locations`. */
  locations: AllowedLocations;
  /** The workspace's data version as this request read it: moved by changes to its memberships, roles and their access lists. */
  dataVersion: number;
  /**
   * The workspace's record versions as this request read them, with the rest of its
   * context and before any page: one counter per scope of records (`items=3,stock=17`; a
   * scope never changed is absent, at 0). Pages of records are kept under them
   * (core/cache/record-pages.ts).
   */
  recordVersions: string;
  /**
   * Set when the request acts as this workspace from its group's admin workspace
   * (`x-as-workspace`): `permissions` are the caller's there, and `memberRole` their role there.
   */
  actingFrom: AdminWorkspace | null;
}

/** The admin workspace of a workspace group, as a request acting as one of its sub workspaces read it. */
export interface AdminWorkspace {
  id: number;
  /** Its data version (its memberships and roles decide what the caller may do in the sub workspace). */
  dataVersion: number;
}

/** Resolved once per request by the resolve-context hook; services receive it first. */
export interface RequestContext {
  tenant: TenantContext;
  actor: Actor | null;
  workspace: WorkspaceContext | null;
  locale: Locale;
}

/** A context whose actor is known to be a signed-in user. */
export interface UserContext extends RequestContext {
  actor: UserActor;
}

/** A context with a resolved workspace and an actor. */
export interface InWorkspaceContext extends RequestContext {
  actor: Actor;
  workspace: WorkspaceContext;
}

/**
 * What every answer of a workspace route says about where it ran (set once the context is
 * resolved, later errors included): sent by the resolver, documented in OpenAPI, exposed to
 * browsers through CORS, all from here.
 */
export const CONTEXT_RESPONSE_HEADERS = { workspace: 'X-Workspace-ID', actingFrom: 'X-Acting-From-Workspace-ID' } as const;
