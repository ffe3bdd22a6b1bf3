/**
 * Generated authorization matrix (testing.md C1, GitLab/OpenFGA style).
 *
 * Rows = every registered route (`app.routePolicies`, HEAD skipped) × actors × contexts.
 * The expected outcome of each row comes from `expected()`, a small pure function over
 * the fixture facts below, written from the contract (api-contract.md) and the permission
 * tables in src/core/auth/permissions.ts (data only: nothing from resolve-context).
 *
 * Request shapes: a row expected to be refused (403) must reach the permission check,
 * which runs after schema validation, so every row sends a valid request. Rows that are
 * allowed and destructive act on throwaway fixtures (a throwaway workspace, role, key,
 * member or invitation) or are undone right after (leave, switching context, accepting an
 * invitation), so the fixtures stay intact.
 *
 * Seed 003's portal surface (/web/v1) is walked like /api/v1: its path routes name the
 * workspace by integer id or by `biz_id`, and each context is sent in the route's own form.
 * The tenants' portal access code is a dimension of its own, run last (see the end).
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AREA_CATALOGUES } from '../../src/areas.ts';
import { TENANT_ROLE_PERMISSIONS, type TenantRoleName, type WorkspacePermission } from '../../src/core/auth/permissions.ts';
import { composeCatalogues, isBuiltinRoleName } from '../../src/core/catalogue.ts';
import type { PathWorkspace, Policy, RoutePolicyEntry } from '../../src/core/auth/policy.ts';
import { inTransaction } from '../../src/core/db/transaction.ts';
import { addMember } from '../../src/modules/members/members.service.ts';
import { createTenant, register, startTestApp, uniqueEmail, type Session, type TestApp } from '../support/test-app.ts';

/** The built-in roles' and the read-only permission sets, as the areas declare them. */
const CATALOGUE = composeCatalogues(AREA_CATALOGUES);

// ---------------------------------------------------------------------------------------
// Fixture facts: what the world looks like. `expected()` reads only these.
// ---------------------------------------------------------------------------------------

type TenantSlug = 'default' | 'other';
/**
 * W: the workspace under test; W2: another workspace of the same tenant; WO: a workspace of
 * tenant `other`. S and S2: sub workspaces of the groups W and W2 administer (seed 004),
 * each owned by a user of its own who is no actor.
 */
type WsName = 'W' | 'W2' | 'WO' | 'S' | 'S2';
type WsRef = WsName | 'missing';
const WS_TENANT: Record<WsName, TenantSlug> = { W: 'default', W2: 'default', WO: 'other', S: 'default', S2: 'default' };
const WS_NAMES: Record<WsName, string> = { W: 'Matrix W', W2: 'Matrix W2', WO: 'Matrix WO', S: 'Matrix S', S2: 'Matrix S2' };
/** The workspace groups: each sub workspace's admin workspace. */
const ADMIN_OF: Partial<Record<WsName, WsName>> = { S: 'W', S2: 'W2' };

/** Custom roles, created through the API in every workspace that needs them. */
const CUSTOM_ROLES: Record<string, readonly WorkspacePermission[]> = {
  clerk: ['workspaces:view', 'members:view', 'members:manage', 'audit:view', 'settings:edit'],
  /** Holds nothing: the role of the throwaway member, manageable by anyone with members:manage. */
  bare: [],
};
const KEY_W_SCOPES: WorkspacePermission[] = ['members:view', 'roles:view', 'audit:view', 'invitations:view', 'locations:view'];
/** Scopes of a key made by a W admin who has since been demoted to viewer: the key keeps only what a viewer holds. */
const KEY_DEMOTED_SCOPES: WorkspacePermission[] = [
  'workspaces:view',
  'members:view',
  'members:manage',
  'roles:view',
  'audit:view',
  'api_keys:view',
  'invitations:view',
  'invitations:create',
  // Held by the admin who made the key; of them, the viewer it became keeps locations:view only.
  'locations:view',
  'locations:edit',
];
const KEY_WO_SCOPES: WorkspacePermission[] = ['workspaces:view', 'members:view', 'roles:view'];
const KEY_W2_SCOPES: WorkspacePermission[] = [
  'workspaces:view',
  'members:view',
  'members:remove',
  'roles:manage',
  'api_keys:manage',
  'settings:edit',
  'invitations:view',
  'invitations:create',
  'invitations:revoke',
  'locations:view',
  'locations:create',
  'locations:edit',
  'locations:delete',
  'products:view',
  'products:create',
  'products:edit',
  'products:delete',
  'tags:create',
];

interface Overrides {
  grant: readonly WorkspacePermission[];
  revoke: readonly WorkspacePermission[];
}

interface ActorFacts {
  name: string;
  credential: 'none' | 'session' | 'api_key' | 'bogus';
  /** The tenant that issued the credential. */
  issuedIn?: TenantSlug;
  /** The tenant the requests go to (X-Tenant). */
  sendsTo: TenantSlug;
  tenantRole?: TenantRoleName;
  memberships: Partial<Record<WsName, string>>;
  /**
   * Per-member overrides (issue 16) of a membership: `grant` adds to the role, `revoke` takes
   * from it and wins over both; never applied to an owner.
   */
  overrides?: Partial<Record<WsName, Overrides>>;
  current: WsName | null;
  key?: { ws: WsName; scopes: readonly WorkspacePermission[]; creator: ActorFacts };
}

const user = (name: string, facts: Partial<ActorFacts> = {}): ActorFacts => ({
  name,
  credential: 'session',
  issuedIn: 'default',
  sendsTo: 'default',
  tenantRole: 'member',
  memberships: {},
  current: null,
  ...facts,
});

const wOwner = user('W owner (tenant owner)', { tenantRole: 'owner', memberships: { W: 'owner' }, current: 'W' });
const plain = user('non-member, owns W2', { memberships: { W2: 'owner' }, current: 'W2' });

const otherUser = user('other-tenant user at home', {
  issuedIn: 'other',
  sendsTo: 'other',
  tenantRole: 'owner',
  memberships: { WO: 'owner' },
  current: 'WO',
});

/** Not an actor itself: created a key as W admin, then was demoted to viewer. */
const demoted = user('demoted key creator', { memberships: { W: 'viewer' }, current: 'W' });
/** Not an actor itself: an admin of both W and W2, whose key of W2 must not act as W's sub workspace. */
const bothAdmin = user('admin of W and W2', { memberships: { W: 'admin', W2: 'admin' }, current: 'W' });
/**
 * Not an actor itself: an admin of W who made a key (KEY_W_SCOPES), and then had some of it revoked
 * by override: the key loses what its creator lost, on the very next request.
 */
const revokedCreator = user('key creator with revoke overrides', {
  memberships: { W: 'admin' },
  overrides: { W: { grant: [], revoke: ['audit:view', 'invitations:view'] } },
  current: 'W',
});
/**
 * A plain member of W whose overrides grant members:manage, audit:view and groups:manage, and
 * revoke members:view and locations:view: may manage members it may not list, and (not when
 * acting as S: groups:manage is withheld there) invite sub workspaces.
 */
const overridden = user('W member with overrides', {
  memberships: { W: 'member' },
  overrides: { W: { grant: ['members:manage', 'audit:view', 'groups:manage'], revoke: ['members:view', 'locations:view'] } },
  current: 'W',
});
/** Not actors: the owners of the sub workspaces, who accepted their groups' invitations. */
const sOwner = user('S owner', { memberships: { S: 'owner' }, current: 'S' });
const s2Owner = user('S2 owner', { memberships: { S2: 'owner' }, current: 'S2' });

const keyActor = (name: string, key: NonNullable<ActorFacts['key']>, sendsTo: TenantSlug = WS_TENANT[key.ws]): ActorFacts => ({
  name,
  credential: 'api_key',
  issuedIn: WS_TENANT[key.ws],
  sendsTo,
  memberships: {},
  current: null,
  key,
});
const revokedKey = keyActor('revoked API key of W', { ws: 'W', scopes: KEY_W_SCOPES, creator: wOwner });

const ACTORS: readonly ActorFacts[] = [
  { name: 'anonymous', credential: 'none', sendsTo: 'default', memberships: {}, current: null },
  { name: 'bogus JWT', credential: 'bogus', sendsTo: 'default', memberships: {}, current: null },
  { name: 'bogus API key', credential: 'bogus', sendsTo: 'default', memberships: {}, current: null },
  wOwner,
  user('W admin', { memberships: { W: 'admin' }, current: 'W' }),
  user('W member', { memberships: { W: 'member' }, current: 'W' }),
  user('W viewer', { memberships: { W: 'viewer' }, current: 'W' }),
  user('W clerk (custom role)', { memberships: { W: 'clerk' }, current: 'W' }),
  overridden,
  // A tenant admin who is also a member: in W its membership decides (a viewer without members:view),
  // not the tenant role's read of every workspace, which applies only where it is no member.
  user('tenant admin, W viewer revoked members:view', {
    tenantRole: 'admin',
    memberships: { W: 'viewer' },
    overrides: { W: { grant: [], revoke: ['members:view'] } },
    current: 'W',
  }),
  user('tenant admin (not a member of W)', { tenantRole: 'admin' }),
  plain,
  keyActor('API key of W', { ws: 'W', scopes: KEY_W_SCOPES, creator: wOwner }),
  keyActor('API key of W by a since-demoted admin', { ws: 'W', scopes: KEY_DEMOTED_SCOPES, creator: demoted }),
  keyActor('API key of W by an admin since revoked audit:view and invitations:view', { ws: 'W', scopes: KEY_W_SCOPES, creator: revokedCreator }),
  keyActor('API key of W2', { ws: 'W2', scopes: KEY_W2_SCOPES, creator: plain }),
  keyActor('API key of W2 by an admin of W and W2', { ws: 'W2', scopes: ['workspaces:view', 'members:view', 'roles:view'], creator: bothAdmin }),
  // A revoked key is no credential at all.
  { ...revokedKey, credential: 'bogus' },
  keyActor('API key of WO (tenant other) at home', { ws: 'WO', scopes: KEY_WO_SCOPES, creator: otherUser }),
  keyActor('API key of WO (tenant other) against default', { ws: 'WO', scopes: KEY_WO_SCOPES, creator: otherUser }, 'default'),
  { ...otherUser, name: 'other-tenant user against default', sendsTo: 'default' },
  otherUser,
];

/**
 * Workspace routes an API key may never use even within its scopes: a key has no current
 * or default workspace to switch, does not leave on its creator's behalf, and does not mint keys. (Handler-level rule, from the
 * contract's "a key acts only in its own workspace" and "API keys … in the current workspace".)
 */
const USER_ONLY = new Set([
  'PATCH /api/v1/workspace-context/:id',
  'POST /api/v1/workspaces/:id/default',
  'POST /api/v1/workspaces/:id/leave',
  'POST /api/v1/api-keys',
  'POST /web/v1/tenant/workspaces/:workspaceBizId/default',
  'POST /web/v1/tenant/workspaces/:workspaceBizId/leave',
]);

// ---------------------------------------------------------------------------------------
// Contexts and the expected outcome
// ---------------------------------------------------------------------------------------

type Context = (
  | { kind: 'none' }
  | { kind: 'path'; ws: WsRef }
  | { kind: 'header'; ws: WsRef }
  | { kind: 'current' }
  | { kind: 'malformed' }
  | { kind: 'conflict' }
  /** On a path route: the path names W (WO in tenant other), x-as-workspace W's sub S. */
  | { kind: 'conflict-sub' }
  /** On a path route: W (WO in tenant other) named in the other form, its biz_id in an id path or its id in a biz_id path. */
  | { kind: 'wrong-form' }
  /** On a path route: x-as-workspace = "abc". */
  | { kind: 'malformed-as' }
  /** x-as-workspace (and, on a path route, the same workspace in the path). */
  | { kind: 'as-workspace'; ws: WsRef }
) & {
  /** On seed 002's id-or-slug path routes: the path names its workspace by slug (else by id). */
  bySlug?: true;
};

const WS_REFS: readonly WsRef[] = ['W', 'W2', 'WO', 'missing'];
/** What x-as-workspace names: W's sub, another group's sub, an admin workspace itself, another tenant's, none. */
const AS_REFS: readonly WsRef[] = ['S', 'S2', 'W', 'WO', 'missing'];

function contextsFor(route: RoutePolicyEntry): Context[] {
  const { policy } = route;
  if (policy.access !== 'workspace') return [{ kind: 'none' }];
  const actingAs = AS_REFS.map((ws): Context => ({ kind: 'as-workspace', ws }));
  if (policy.from === 'path') {
    const odd: Context[] = [{ kind: 'conflict' }, { kind: 'conflict-sub' }, { kind: 'wrong-form' }, { kind: 'malformed-as' }];
    const byId = [...WS_REFS.map((ws): Context => ({ kind: 'path', ws })), ...odd, ...actingAs];
    // An id-or-slug path: every context once by id and once by slug (the wrong form is the biz_id, either way).
    if (policy.path?.by === 'id_or_slug') return [...byId, ...byId.filter((ctx) => ctx.kind !== 'wrong-form').map((ctx): Context => ({ ...ctx, bySlug: true }))];
    return byId;
  }
  return [...WS_REFS.map((ws): Context => ({ kind: 'header', ws })), { kind: 'current' }, { kind: 'malformed' }, { kind: 'conflict' }, ...actingAs];
}

function contextLabel(ctx: Context): string {
  return ctx.bySlug ? `${plainContextLabel(ctx)} (the path by slug)` : plainContextLabel(ctx);
}

function plainContextLabel(ctx: Context): string {
  switch (ctx.kind) {
    case 'path':
      return `path names ${ctx.ws}`;
    case 'header':
      return `X-Workspace-ID = ${ctx.ws}`;
    case 'current':
      return 'current workspace (no header)';
    case 'malformed':
      return 'X-Workspace-ID = "abc"';
    case 'conflict':
      return 'X-Workspace-ID = W, x-as-workspace = W2 (on a path route: the path names W ≠ x-as-workspace)';
    case 'conflict-sub':
      return "path names W (WO in tenant other), x-as-workspace = S (W's sub)";
    case 'wrong-form':
      return 'path names W (WO in tenant other) in the other form (biz_id for an id or a slug, id for a biz_id)';
    case 'malformed-as':
      return 'path names W (WO in tenant other), x-as-workspace = "abc"';
    case 'as-workspace':
      return `x-as-workspace = ${ctx.ws}`;
    case 'none':
      return '-';
  }
}

interface Outcome {
  /** 'ok': 2xx; 'allowed': authorization passed (2xx, or a 409/422 from the handler). */
  status: 'ok' | 'allowed' | 400 | 401 | 403 | 404 | 409 | 422;
  code?: string;
  permission?: string;
  /** Missing or invalid credentials plus a malformed header: the contract fixes no precedence. */
  or401?: boolean;
}

const grantsTenant = (role: TenantRoleName | undefined, permission: string) =>
  role !== undefined && (TENANT_ROLE_PERMISSIONS[role] as readonly string[]).includes(permission);

const credentialValid = (actor: ActorFacts) =>
  (actor.credential === 'session' || actor.credential === 'api_key') && actor.issuedIn === actor.sendsTo;

/** What the actor's role in a workspace grants, with their overrides there; undefined when not a member. */
function membershipPermissions(actor: ActorFacts, ws: WsName): ReadonlySet<string> | undefined {
  const role = actor.memberships[ws];
  if (role === undefined) return undefined;
  const permissions = isBuiltinRoleName(role) ? CATALOGUE.builtinRolePermissions(role) : CUSTOM_ROLES[role];
  if (!permissions) throw new Error(`fixture role ${role} has no permission set`);
  const overrides = role === 'owner' ? undefined : actor.overrides?.[ws];
  if (!overrides) return new Set(permissions);
  return new Set([...permissions, ...overrides.grant].filter((permission) => !overrides.revoke.includes(permission)));
}

/** What the actor may do in a workspace; undefined when the workspace is not visible to them. */
function effectivePermissions(actor: ActorFacts, ws: WsRef): ReadonlySet<string> | undefined {
  if (ws === 'missing' || WS_TENANT[ws] !== actor.sendsTo) return undefined;
  if (actor.key) {
    if (ws !== actor.key.ws) return undefined;
    const creator = effectivePermissions(actor.key.creator, ws);
    return creator && new Set(actor.key.scopes.filter((scope) => creator.has(scope)));
  }
  const member = membershipPermissions(actor, ws);
  if (member) return member;
  if (grantsTenant(actor.tenantRole, 'view_all_locations')) return new Set(CATALOGUE.readOnlyPermissions);
  return undefined;
}

/**
 * What the actor may do acting as a workspace (seed 004): only in a sub workspace of a
 * group whose admin workspace the actor is a member of (seeing every workspace is no
 * membership), or whose key it is, with what that membership or key holds there.
 */
function actingPermissions(actor: ActorFacts, ws: WsRef): ReadonlySet<string> | undefined {
  if (ws === 'missing' || WS_TENANT[ws] !== actor.sendsTo) return undefined;
  const admin = ADMIN_OF[ws];
  if (!admin) return undefined;
  let held: ReadonlySet<string> | undefined;
  if (actor.key) {
    const creator = actor.key.ws === admin ? membershipPermissions(actor.key.creator, admin) : undefined;
    held = creator && new Set(actor.key.scopes.filter((scope) => creator.has(scope)));
  } else held = membershipPermissions(actor, admin);
  return held && new Set([...held].filter((permission) => !WITHHELD_WHEN_ACTING.includes(permission)));
}

/** What nobody holds while acting as a sub workspace (reviewed: test/unit/builtin-roles.test.ts pins the catalogue to it). */
const WITHHELD_WHEN_ACTING: readonly string[] = ['workspaces:delete', 'workspaces:transfer', 'groups:manage', 'groups:join'];

/**
 * Object-level permissions a handler checks after the policy: removing a group link needs
 * groups:manage on the admin side (the recipes send links of the admin side).
 */
const OBJECT_LEVEL: Record<string, WorkspacePermission> = {
  'DELETE /api/v1/workspace-group-members/:id': 'groups:manage',
  'DELETE /workspace-group-members/:id': 'groups:manage',
};

/**
 * Seed 002's PATCH also changes the workspace's own name, slug and logo, which need
 * workspaces:edit besides the policy's settings:edit (a handler check): its rows naming the
 * workspace by slug send the name too (the recipe), the others settings only.
 */
const OBJECT_LEVEL_BY_SLUG: Record<string, WorkspacePermission> = {
  'PATCH /workspaces/:idOrSlug': 'workspaces:edit',
};

/** The workspace a context names for this actor; null when it names none (no current workspace). */
function targetOf(actor: ActorFacts, ctx: Context): WsRef | null {
  switch (ctx.kind) {
    case 'path':
    case 'header':
      return ctx.ws;
    case 'current':
      return actor.key ? actor.key.ws : actor.current;
    case 'none':
    case 'malformed':
    case 'conflict':
    case 'conflict-sub':
    case 'wrong-form':
    case 'malformed-as':
    case 'as-workspace':
      throw new Error(`context ${ctx.kind} is not a plain workspace target`);
  }
}

/**
 * Public routes a browser follows with what another party gave it: sent bare, their handler
 * refuses the missing input (single sign-on's start without an address, its callback without a
 * state), whoever asks.
 */
const PUBLIC_REFUSED_BARE: Record<string, Outcome> = {
  'GET /api/v1/auth/sso/start': { status: 422, code: 'VALIDATION.FAILED' },
  'GET /api/v1/auth/sso/callback': { status: 400, code: 'SSO.STATE_INVALID' },
};

function expected(actor: ActorFacts, route: RoutePolicyEntry, ctx: Context): Outcome {
  const { policy } = route;
  switch (policy.access) {
    case 'public':
      return PUBLIC_REFUSED_BARE[keyOf(route)] ?? { status: 'ok' };
    case 'anonymous':
      // Register, login, refresh, invitation lookup and decline: sent with an empty body,
      // credentials ignored (a bogus or foreign credential is no 401 here).
      return { status: 422, code: 'VALIDATION.FAILED' };
    // Accepting an invitation is `authenticated` too: any signed-in user passes the policy,
    // and whose invitation it is (403 INVITATION.WRONG_ACCOUNT, 404 INVITATION.NOT_FOUND) is
    // the handler's object-level check, not the policy's. Its recipe makes every allowed actor
    // the invitee of a fresh invitation, so an allowed row must end in 2xx like the others;
    // those two handler refusals are NOT read as "allowed" (a 403 here would mean the
    // policy refused a signed-in user, or the handler refused the rightful invitee).
    case 'authenticated':
    case 'tenant': {
      if (!credentialValid(actor)) return { status: 401 };
      if (actor.credential === 'api_key') return { status: 403, code: 'AUTH.FORBIDDEN' };
      if (policy.access === 'tenant' && !grantsTenant(actor.tenantRole, policy.permission)) {
        return { status: 403, code: 'AUTH.FORBIDDEN', permission: policy.permission };
      }
      return { status: 'allowed' };
    }
    case 'workspace': {
      if (policy.from !== 'path' && policy.from !== 'context') {
        throw new Error(`expected() does not know workspace policies from ${String(policy.from)}`);
      }
      if (ctx.kind === 'malformed') return { status: 400, or401: !credentialValid(actor) };
      if (ctx.kind === 'malformed-as') return { status: 400, code: 'CONTEXT.INVALID', or401: !credentialValid(actor) };
      // A path by id naming another workspace than x-as-workspace is a conflict whatever
      // x-as-workspace names, found before the load. A biz_id cannot be compared with an id
      // without the load, and then a 400 would tell which workspace the biz_id is: the
      // mismatch answers 404 like any workspace the caller cannot see. A malformed name (the
      // other form's) names nothing.
      if (ctx.kind === 'conflict' || ctx.kind === 'conflict-sub') {
        if (policy.path?.by === 'biz_id' || ctx.bySlug) return credentialValid(actor) ? { status: 404, code: 'WORKSPACE.NOT_FOUND' } : { status: 401 };
        return { status: 400, code: 'CONTEXT.CONFLICT', or401: !credentialValid(actor) };
      }
      if (ctx.kind === 'wrong-form') return { status: 404, code: 'WORKSPACE.NOT_FOUND', or401: !credentialValid(actor) };
      if (!credentialValid(actor)) return { status: 401 };
      const acting = ctx.kind === 'as-workspace';
      let held: ReadonlySet<string> | undefined;
      if (acting) held = actingPermissions(actor, ctx.ws);
      else {
        const ws = targetOf(actor, ctx);
        if (ws === null) return { status: 409, code: 'CONTEXT.REQUIRED' };
        held = effectivePermissions(actor, ws);
      }
      if (!held) return { status: 404, code: 'WORKSPACE.NOT_FOUND' };
      if (acting && policy.actingAs === 'refused') return { status: 403, code: 'CONTEXT.ACTING_AS_FORBIDDEN' };
      if (!held.has(policy.permission)) return { status: 403, code: 'AUTH.FORBIDDEN', permission: policy.permission };
      if (actor.credential === 'api_key' && USER_ONLY.has(keyOf(route))) return { status: 403, code: 'AUTH.FORBIDDEN' };
      const objectLevel = OBJECT_LEVEL[keyOf(route)] ?? (ctx.bySlug ? OBJECT_LEVEL_BY_SLUG[keyOf(route)] : undefined);
      if (objectLevel && !held.has(objectLevel)) return { status: 403, code: 'AUTH.FORBIDDEN', permission: objectLevel };
      return { status: 'allowed' };
    }
    default: {
      const unknown: never = policy;
      throw new Error(`expected() does not know the policy ${JSON.stringify(unknown)}`);
    }
  }
}

const outcomeLabel = (o: Outcome) =>
  `${o.status}${o.or401 ? '|401' : ''}${o.code ? ` ${o.code}` : ''}${o.permission ? ` (${o.permission})` : ''}`;

/** Why the response does not match the expected outcome, or undefined when it does. */
function mismatch(outcome: Outcome, status: number, body: string): string | undefined {
  let error: { code?: string; details?: { permission?: unknown } } | undefined;
  try {
    error = (JSON.parse(body) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  const is2xx = status >= 200 && status < 300;
  if (outcome.status === 'ok') return is2xx ? undefined : 'expected 2xx';
  if (outcome.status === 'allowed') {
    if (is2xx) return undefined;
    if ((status === 409 || status === 422) && !error?.code?.startsWith('CONTEXT.')) return undefined;
    return 'expected authorization to pass (2xx, or a 409/422 from the handler)';
  }
  if (outcome.or401 && status === 401) return undefined;
  if (status !== outcome.status) return `expected ${outcome.status}`;
  if (outcome.status === 401 && !error?.code?.startsWith('AUTH.')) return 'expected an AUTH.* code';
  if (outcome.code && error?.code !== outcome.code) return `expected code ${outcome.code}`;
  if (outcome.permission && error?.details?.permission !== outcome.permission) {
    return `expected details.permission = ${outcome.permission}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// The live fixture (filled in beforeAll) and request recipes
// ---------------------------------------------------------------------------------------

const keyOf = (route: { method: string; url: string }) => `${route.method} ${route.url}`;

/** How a path names its workspace: /api/v1's `:id`, seed 003's `{workspaceId}` and `{workspaceBizId}`, seed 002's `{idOrSlug}`. */
const BY_ID: PathWorkspace = { param: 'id', by: 'id' };
const BY_WORKSPACE_ID: PathWorkspace = { param: 'workspaceId', by: 'id' };
const BY_WORKSPACE_BIZ_ID: PathWorkspace = { param: 'workspaceBizId', by: 'biz_id' };
const BY_ID_OR_SLUG: PathWorkspace = { param: 'idOrSlug', by: 'id_or_slug' };

/**
 * What every route requires, reviewed against the contract and kept here, apart from the
 * code: the matrix judges the app by this table, not by the app's own declarations, and a
 * change to either side fails until both agree.
 */
const inWs = (
  from: 'path' | 'context',
  permission: WorkspacePermission,
  callers: 'users' | 'users_and_keys' = 'users_and_keys',
  actingAs: 'allowed' | 'refused' = 'allowed',
  path: PathWorkspace = BY_ID,
): Policy => ({ access: 'workspace', from, ...(from === 'path' ? { path } : {}), permission, callers, actingAs });
/** Seed 004's routes, served under /api/v1 and at the root alike. */
const groupRoutes = (prefix: string): Record<string, Policy> => ({
  [`POST ${prefix}/workspace-group-members`]: inWs('context', 'groups:manage', 'users_and_keys', 'refused'),
  [`GET ${prefix}/workspace-group-members`]: inWs('context', 'groups:view'),
  [`GET ${prefix}/workspace-group-members/admin`]: inWs('context', 'groups:view'),
  [`DELETE ${prefix}/workspace-group-members/:id`]: inWs('context', 'groups:view', 'users_and_keys', 'refused'),
  [`GET ${prefix}/workspace-group-invitations`]: inWs('context', 'groups:view', 'users_and_keys', 'refused'),
  [`POST ${prefix}/workspace-group-invitations/:id/accept`]: inWs('context', 'groups:join', 'users_and_keys', 'refused'),
  [`POST ${prefix}/workspace-group-invitations/:id/decline`]: inWs('context', 'groups:join', 'users_and_keys', 'refused'),
  [`DELETE ${prefix}/workspace-group-invitations/:id`]: inWs('context', 'groups:manage', 'users_and_keys', 'refused'),
});
const REVIEWED_POLICIES: Record<string, Policy> = {
  'GET /healthz': { access: 'public' },
  'GET /readyz': { access: 'public' },
  'GET /openapi.json': { access: 'public' },
  'GET /docs': { access: 'public' },
  'GET /docs/assets/:file': { access: 'public' },
  'GET /.well-known/jwks.json': { access: 'public' },
  'GET /console': { access: 'public' },
  'GET /console/*': { access: 'public' },
  'GET /console/assets/console.js': { access: 'public' },
  'GET /console/assets/console.css': { access: 'public' },
  'POST /api/v1/auth/register': { access: 'anonymous' },
  'POST /api/v1/auth/login': { access: 'anonymous' },
  'POST /api/v1/auth/refresh': { access: 'anonymous' },
  'POST /api/v1/auth/logout': { access: 'authenticated' },
  'GET /api/v1/me': { access: 'authenticated' },
  'GET /account': { access: 'public' },
  'GET /account.js': { access: 'public' },
  'GET /account.css': { access: 'public' },
  'POST /api/v1/auth/email-verification': { access: 'anonymous' },
  'POST /api/v1/auth/email-verification/confirm': { access: 'anonymous' },
  'POST /api/v1/auth/password-reset': { access: 'anonymous' },
  'POST /api/v1/auth/password-reset/confirm': { access: 'anonymous' },
  'POST /api/v1/auth/email-change/confirm': { access: 'anonymous' },
  'POST /api/v1/auth/mfa/verify': { access: 'anonymous' },
  'POST /api/v1/auth/mfa/enroll': { access: 'anonymous' },
  'PATCH /api/v1/me': { access: 'authenticated' },
  'PUT /api/v1/me/password': { access: 'authenticated' },
  'POST /api/v1/me/email': { access: 'authenticated' },
  'GET /api/v1/me/sessions': { access: 'authenticated' },
  'DELETE /api/v1/me/sessions/:id': { access: 'authenticated' },
  'DELETE /api/v1/me/sessions': { access: 'authenticated' },
  'GET /api/v1/me/mfa': { access: 'authenticated' },
  'POST /api/v1/me/mfa/totp': { access: 'authenticated' },
  'POST /api/v1/me/mfa/totp/confirm': { access: 'authenticated' },
  'POST /api/v1/me/mfa/disable': { access: 'authenticated' },
  'POST /api/v1/me/mfa/recovery-codes': { access: 'authenticated' },
  'GET /api/v1/tenant/users/:id/sessions': { access: 'tenant', permission: 'tenant_users:sessions' },
  'DELETE /api/v1/tenant/users/:id/sessions': { access: 'tenant', permission: 'tenant_users:sessions' },
  'DELETE /api/v1/tenant/users/:id/mfa': { access: 'tenant', permission: 'tenant_users:manage' },
  'GET /api/v1/tenant/account-policy': { access: 'tenant', permission: 'tenant:view' },
  'GET /api/v1/tenant/audit-events': { access: 'tenant', permission: 'tenant:view' },
  'GET /api/v1/tenant/roles': { access: 'tenant', permission: 'tenant:view' },
  'PATCH /api/v1/tenant/account-policy': { access: 'tenant', permission: 'tenant:edit' },
  'GET /api/v1/tenant': { access: 'tenant', permission: 'tenant:view' },
  'PATCH /api/v1/tenant': { access: 'tenant', permission: 'tenant:edit' },
  'GET /api/v1/tenant/users': { access: 'tenant', permission: 'tenant_users:view' },
  'PUT /api/v1/tenant/users/:id': { access: 'tenant', permission: 'tenant_users:manage' },
  'GET /api/v1/workspaces': { access: 'authenticated' },
  'POST /api/v1/workspaces': { access: 'authenticated' },
  'GET /api/v1/workspaces/:id': inWs('path', 'workspaces:view'),
  'PUT /api/v1/workspaces/:id': inWs('path', 'workspaces:edit'),
  'PATCH /api/v1/workspaces/:id': inWs('path', 'workspaces:edit'),
  'DELETE /api/v1/workspaces/:id': inWs('path', 'workspaces:delete', 'users_and_keys', 'refused'),
  'PATCH /api/v1/workspace-context/:id': inWs('path', 'workspaces:view', 'users', 'refused'),
  'DELETE /api/v1/workspace-context/:id': { access: 'authenticated' },
  'POST /api/v1/workspaces/:id/default': inWs('path', 'workspaces:view', 'users', 'refused'),
  'PUT /api/v1/workspaces/:id/preferred-document-subtype': inWs('path', 'settings:edit'),
  'PATCH /api/v1/workspaces/:id/settings': inWs('path', 'settings:edit'),
  // Rotating shows the code, like an invitation's token: never to someone acting as a sub workspace.
  'POST /api/v1/workspaces/:id/invite-code': inWs('path', 'invitations:create', 'users_and_keys', 'refused'),
  'DELETE /api/v1/workspaces/:id/invite-code': inWs('path', 'invitations:create', 'users_and_keys', 'refused'),
  'POST /api/v1/invite-codes/:code/join': { access: 'authenticated' },
  'GET /api/v1/workspaces/:id/sso': inWs('path', 'sso:view'),
  'PUT /api/v1/workspaces/:id/sso/domain': inWs('path', 'sso:manage', 'users', 'refused'),
  'POST /api/v1/workspaces/:id/sso/domain/verify': inWs('path', 'sso:manage', 'users', 'refused'),
  'DELETE /api/v1/workspaces/:id/sso/domain': inWs('path', 'sso:manage', 'users', 'refused'),
  'PUT /api/v1/workspaces/:id/sso/connection': inWs('path', 'sso:manage', 'users', 'refused'),
  'DELETE /api/v1/workspaces/:id/sso/connection': inWs('path', 'sso:manage', 'users', 'refused'),
  'PUT /api/v1/workspaces/:id/sso/enforcement': inWs('path', 'sso:manage', 'users', 'refused'),
  'GET /api/v1/auth/sso/start': { access: 'public' },
  'GET /api/v1/auth/sso/callback': { access: 'public' },
  'POST /api/v1/workspaces/:id/leave': inWs('path', 'workspaces:view', 'users', 'refused'),
  'POST /api/v1/workspaces/:id/transfer-ownership': inWs('path', 'workspaces:transfer', 'users_and_keys', 'refused'),
  'GET /api/v1/locations': inWs('context', 'locations:view'),
  'POST /api/v1/locations': inWs('context', 'locations:create'),
  'GET /api/v1/locations/:id': inWs('context', 'locations:view'),
  'PATCH /api/v1/locations/:id': inWs('context', 'locations:edit'),
  'DELETE /api/v1/locations/:id': inWs('context', 'locations:delete'),
  'GET /api/v1/items': inWs('context', 'products:view'),
  'POST /api/v1/items': inWs('context', 'products:create'),
  'GET /api/v1/items/:id': inWs('context', 'products:view'),
  'PATCH /api/v1/items/:id': inWs('context', 'products:edit'),
  'DELETE /api/v1/items/:id': inWs('context', 'products:delete'),
  'GET /api/v1/suppliers': inWs('context', 'suppliers:view'),
  'POST /api/v1/suppliers': inWs('context', 'suppliers:create'),
  'GET /api/v1/suppliers/:id': inWs('context', 'suppliers:view'),
  'PATCH /api/v1/suppliers/:id': inWs('context', 'suppliers:edit'),
  'DELETE /api/v1/suppliers/:id': inWs('context', 'suppliers:delete'),
  'GET /api/v1/tags': inWs('context', 'tags:view'),
  'POST /api/v1/tags': inWs('context', 'tags:create'),
  'GET /api/v1/tags/:id': inWs('context', 'tags:view'),
  'PATCH /api/v1/tags/:id': inWs('context', 'tags:edit'),
  'DELETE /api/v1/tags/:id': inWs('context', 'tags:delete'),
  'GET /api/v1/contacts': inWs('context', 'contacts:view'),
  'POST /api/v1/contacts': inWs('context', 'contacts:create'),
  'GET /api/v1/contacts/:id': inWs('context', 'contacts:view'),
  'PATCH /api/v1/contacts/:id': inWs('context', 'contacts:edit'),
  'DELETE /api/v1/contacts/:id': inWs('context', 'contacts:delete'),
  // Invoices (issue 18): the records' four actions, issuing and voiding their own; a payment is an
  // edit. NCF ranges are workspace settings; the 608 report reads invoices.
  'GET /api/v1/invoices': inWs('context', 'invoices:view'),
  'POST /api/v1/invoices': inWs('context', 'invoices:create'),
  'GET /api/v1/invoices/:id': inWs('context', 'invoices:view'),
  'PATCH /api/v1/invoices/:id': inWs('context', 'invoices:edit'),
  'DELETE /api/v1/invoices/:id': inWs('context', 'invoices:delete'),
  'POST /api/v1/invoices/:id/issue': inWs('context', 'invoices:issue'),
  'POST /api/v1/invoices/:id/void': inWs('context', 'invoices:void'),
  'POST /api/v1/invoices/:id/payments': inWs('context', 'invoices:edit'),
  'GET /api/v1/quotations': inWs('context', 'quotations:view'),
  'POST /api/v1/quotations': inWs('context', 'quotations:create'),
  'GET /api/v1/quotations/:id': inWs('context', 'quotations:view'),
  'PATCH /api/v1/quotations/:id': inWs('context', 'quotations:edit'),
  'DELETE /api/v1/quotations/:id': inWs('context', 'quotations:delete'),
  // Converting a quotation makes an invoice.
  'POST /api/v1/quotations/:id/convert': inWs('context', 'invoices:create'),
  'GET /api/v1/ncf-sequences': inWs('context', 'settings:view'),
  'POST /api/v1/ncf-sequences': inWs('context', 'settings:edit'),
  'DELETE /api/v1/ncf-sequences/:id': inWs('context', 'settings:edit'),
  'GET /api/v1/ncf-reports/608.csv': inWs('context', 'invoices:view'),
  'GET /api/v1/stock': inWs('context', 'stock:view'),
  'GET /api/v1/stock/movements': inWs('context', 'stock:view'),
  'POST /api/v1/stock/receipts': inWs('context', 'stock:create'),
  'POST /api/v1/stock/transfers': inWs('context', 'stock:create'),
  'POST /api/v1/stock/adjustments': inWs('context', 'stock:edit'),
  'GET /api/v1/stock/valuation': inWs('context', 'stock:view'),
  'GET /api/v1/stock/export.csv': inWs('context', 'stock:view'),
  'GET /api/v1/members': inWs('context', 'members:view'),
  'PUT /api/v1/members/:user_id': inWs('context', 'members:manage'),
  'DELETE /api/v1/members/:user_id': inWs('context', 'members:remove'),
  // Member access (issue 16): reading a member's overrides and "why" is listing members; changing
  // them is managing members (the handler then refuses one's own, the owner's, and anything the
  // caller lacks). Acting as a sub workspace is allowed, like changing a role.
  'GET /api/v1/members/:user_id/permissions': inWs('context', 'members:view'),
  'PUT /api/v1/members/:user_id/permissions': inWs('context', 'members:manage'),
  // Location access (issue 17): read with the members, set by who manages them.
  'GET /api/v1/members/:user_id/locations': inWs('context', 'members:view'),
  'PUT /api/v1/members/:user_id/locations': inWs('context', 'members:manage'),
  'GET /api/v1/members/:user_id/effective-permissions': inWs('context', 'members:view'),
  // "Where": about the signed-in user across the tenant's workspaces, so no workspace context, and no API key.
  'GET /api/v1/me/workspaces': { access: 'authenticated' },
  'GET /api/v1/roles': inWs('context', 'roles:view'),
  'POST /api/v1/roles': inWs('context', 'roles:manage'),
  'PUT /api/v1/roles/:id': inWs('context', 'roles:manage'),
  'DELETE /api/v1/roles/:id': inWs('context', 'roles:manage'),
  'GET /api/v1/permissions': { access: 'authenticated' },
  'GET /api/v1/permissions/me': inWs('context', 'workspaces:view'),
  'POST /api/v1/api-keys': inWs('context', 'api_keys:manage', 'users', 'refused'),
  'GET /api/v1/api-keys': inWs('context', 'api_keys:view'),
  'DELETE /api/v1/api-keys/:id': inWs('context', 'api_keys:manage'),
  'GET /api/v1/audit-events': inWs('context', 'audit:view'),
  'POST /api/v1/invitations': inWs('context', 'invitations:create'),
  'GET /api/v1/invitations': inWs('context', 'invitations:view'),
  'DELETE /api/v1/invitations/:id': inWs('context', 'invitations:revoke'),
  'POST /api/v1/invitations/:id/resend': inWs('context', 'invitations:create'),
  'POST /api/v1/invitations/lookup': { access: 'anonymous' },
  'POST /api/v1/invitations/accept': { access: 'authenticated' },
  'POST /api/v1/invitations/decline': { access: 'anonymous' },
  ...groupRoutes('/api/v1'),
  ...groupRoutes(''),
  // Seed 002's workspace object at the root, the workspace named by id or slug. Its PATCH takes
  // settings (settings:edit, the policy) and the workspace's own name, slug and logo (workspaces:edit,
  // checked by the handler for those fields, OBJECT_LEVEL_BY_SLUG): the recipe sends settings, and the name too by slug.
  'POST /workspaces': { access: 'authenticated' },
  'GET /workspaces/:idOrSlug': inWs('path', 'workspaces:view', 'users_and_keys', 'allowed', BY_ID_OR_SLUG),
  'PATCH /workspaces/:idOrSlug': inWs('path', 'settings:edit', 'users_and_keys', 'allowed', BY_ID_OR_SLUG),
  // Seed 003's portal paths: each is its /api/v1 twin's policy, the workspace taken from the path.
  'GET /web/v1/tenant/workspaces/mine': { access: 'authenticated' },
  'POST /web/v1/tenant/workspaces/:workspaceBizId/default': inWs('path', 'workspaces:view', 'users', 'refused', BY_WORKSPACE_BIZ_ID),
  'POST /web/v1/tenant/workspaces/:workspaceBizId/leave': inWs('path', 'workspaces:view', 'users', 'refused', BY_WORKSPACE_BIZ_ID),
  'POST /web/v1/workspaces/self': { access: 'authenticated' },
  'GET /web/v1/workspaces/:workspaceId/roles': inWs('path', 'roles:view', 'users_and_keys', 'allowed', BY_WORKSPACE_ID),
  'POST /web/v1/workspaces/:workspaceId/roles': inWs('path', 'roles:manage', 'users_and_keys', 'allowed', BY_WORKSPACE_ID),
  'POST /web/v1/workspaces/:workspaceBizId/invitations': inWs('path', 'invitations:create', 'users_and_keys', 'allowed', BY_WORKSPACE_BIZ_ID),
  'POST /web/v1/workspaces/:workspaceId/members/role/change': inWs('path', 'members:manage', 'users_and_keys', 'allowed', BY_WORKSPACE_ID),
};

// Invitation rate limits (per inviter, workspace and address) out of the way: the matrix
// invites far more than a real inviter would in an hour.
const t: TestApp = await startTestApp({
  env: { INVITATION_RATE_LIMIT_MAX: '1000000', INVITATION_RECIPIENT_RATE_LIMIT_MAX: '1000000' },
});
/** What the app declares, before the matrix trusts none of it. */
const DECLARED = t.app.routePolicies.filter((route) => route.method !== 'HEAD');
/** The routes with the reviewed policy; a route missing from REVIEWED_POLICIES fails the registry test below. */
const ROUTES: RoutePolicyEntry[] = DECLARED.map((route) => ({ ...route, policy: REVIEWED_POLICIES[keyOf(route)] ?? route.policy }));

const PASSWORD = 'matrix password 123';
const MISSING_ID = '99999999';
/** Well-formed, and no workspace's. */
const MISSING_BIZ_ID = 'ws_matrixMissing0';
/** Well-formed, and no workspace's. */
const MISSING_SLUG = 'matrix-missing-slug';

interface LiveActor {
  headers: Record<string, string>;
  /** The user acting (a key's creator for keys). */
  userId?: number;
  email?: string;
}

const live = new Map<ActorFacts, LiveActor>();
const wsId = {} as Record<WsName, number>;
const bizIdOf = {} as Record<WsName, string>;
const slugOfWs = {} as Record<WsName, string>;
/** Each workspace's default location ("Inventory", settings default_location_id) and a plain one ("Matrix van"). */
const defaultLocation = {} as Record<WsName, number>;
const vanLocation = {} as Record<WsName, number>;
/** Each workspace's records: a tag, a supplier, an item carrying both, and a contact. */
type CatalogKind = 'items' | 'suppliers' | 'tags' | 'contacts';
const catalogRecord = { items: {}, suppliers: {}, tags: {}, contacts: {} } as Record<CatalogKind, Record<WsName, number>>;
/** What the matrix sends to create one of each (a counter keeps names and SKUs apart), and a no-op edit of the fixture's. */
const catalogPayload = {
  items: (n: number) => ({ sku: `MATRIX-${n}`, name: `Matrix item ${n}` }),
  suppliers: (n: number) => ({ name: `Matrix supplier ${n}` }),
  tags: (n: number) => ({ name: `Matrix tag ${n}` }),
  contacts: (n: number) => ({ name: `Matrix contact ${n}` }),
} satisfies Record<CatalogKind, (n: number) => object>;
const bareRoleId = {} as Record<WsName, number>;
const tenantName = {} as Record<TenantSlug, string>;
/** Per tenant: a user who is only ever the throwaway member (role `bare`) of that tenant's workspaces. */
const spare = {} as Record<TenantSlug, Session>;
/** Per tenant: a plain tenant member whose tenant role the tenant-role rows set to what it already is. */
const tenantMemberTarget = {} as Record<TenantSlug, number>;
const ownerOf = {} as Record<WsName, ActorFacts>;
/**
 * Per tenant: a workspace no actor belongs to, owned by a user of its own, that invites
 * the actors of the accept rows (outside the fact table: no row targets it).
 */
const inviteHost = {} as Record<TenantSlug, { workspaceId: number; headers: Record<string, string>; userId: number }>;
const tenantIdOf = {} as Record<TenantSlug, number>;
/** The group links of the sub workspaces. */
const linkId = {} as Record<'S' | 'S2', number>;

let matrixRequests = 0;
let portalRequests = 0;
/** expected outcome → actual status → count: proof that the matrix is not vacuous. */
const tally = new Map<string, Map<number, number>>();
/** Rows acting as a real sub workspace (S, S2), by expected outcome: proof that acting-as rows allow, refuse and hide. */
const actingTally = new Map<string, number>();
let supportRequests = 0;
let throwaways = 0;

const idOf = (ws: WsRef) => (ws === 'missing' ? MISSING_ID : String(wsId[ws]));
const bizOf = (ws: WsRef) => (ws === 'missing' ? MISSING_BIZ_ID : bizIdOf[ws]);
const slugOf = (ws: WsRef) => (ws === 'missing' ? MISSING_SLUG : slugOfWs[ws]);
const tenantHeader = (slug: TenantSlug): Record<string, string> => (slug === 'default' ? {} : { 'x-tenant': slug });

async function support(options: InjectOptions & { url: string }, expectStatus: number) {
  supportRequests += 1;
  const response = await t.request(options);
  if (response.statusCode !== expectStatus) {
    throw new Error(`fixture request ${options.method} ${options.url} → ${response.statusCode} ${response.body}`);
  }
  return response.json();
}

function liveOf(actor: ActorFacts): LiveActor {
  const found = live.get(actor);
  if (!found) throw new Error(`no live fixture for ${actor.name}`);
  return found;
}

/** A session's headers for one of the fixture's own users (workspace owners). */
const sessionHeaders = (actor: ActorFacts) => liveOf(actor).headers;

async function createThrowawayRole(ws: WsName): Promise<number> {
  throwaways += 1;
  const body = await support(
    {
      method: 'POST',
      url: '/api/v1/roles',
      headers: { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) },
      payload: { name: `throwaway_${throwaways}`, display_name: 'Throwaway', permissions: [] },
    },
    201,
  );
  return body.data.id as number;
}

async function createThrowawayKey(ws: WsName): Promise<number> {
  throwaways += 1;
  const body = await support(
    {
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) },
      payload: { name: `throwaway ${throwaways}`, scopes: ['workspaces:view'] },
    },
    201,
  );
  return body.data.id as number;
}

/** One of a catalogue kind, made by the owner of the workspace, for a row to delete. */
async function createThrowawayRecord(ws: WsName, kind: CatalogKind): Promise<number> {
  throwaways += 1;
  const headers = { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) };
  return (await support({ method: 'POST', url: `/api/v1/${kind}`, headers, payload: catalogPayload[kind](throwaways) }, 201)).data.id as number;
}

/** The create, read, no-op edit and delete recipes of a catalogue kind; allowed creates are deleted again by the owner. */
function catalogRecipes(kind: CatalogKind): Record<string, Recipe> {
  return {
    [`POST /api/v1/${kind}`]: async (row) => {
      throwaways += 1;
      const ws = objectsWs(row);
      return {
        url: `/api/v1/${kind}`,
        payload: catalogPayload[kind](throwaways),
        after: async (response) => {
          if (response.statusCode !== 201) return;
          const created = (response.json() as { data: { id: number } }).data.id;
          await support({ method: 'DELETE', url: `/api/v1/${kind}/${created}`, headers: { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) } }, 200);
        },
      };
    },
    [`GET /api/v1/${kind}/:id`]: async (row) => ({ url: `/api/v1/${kind}/${catalogRecord[kind][objectsWs(row)]}` }),
    [`PATCH /api/v1/${kind}/:id`]: async (row) => ({ url: `/api/v1/${kind}/${catalogRecord[kind][objectsWs(row)]}`, payload: { name: catalogPayload[kind](0).name } }),
    [`DELETE /api/v1/${kind}/:id`]: async (row) => ({ url: `/api/v1/${kind}/${await createThrowawayRecord(objectsWs(row), kind)}` }),
  };
}

/** Each workspace's draft invoice and open quotation, read and edited (no-op) by the rows. */
const draftInvoice = {} as Record<WsName, number>;
const openQuotation = {} as Record<WsName, number>;
/** A line of 1.00 with no tax; no NCF type, so issuing needs no range whatever the workspace prefers. */
const invoicePayload = { document_subtype: null, lines: [{ description: 'Matrix line', quantity: '1', unit_price: '1', tax_percent: '0' }] };

/** A draft invoice of the workspace, made (and, when asked, issued) by its owner. */
async function createThrowawayInvoice(ws: WsName, issued: boolean): Promise<number> {
  const headers = { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) };
  const id = (await support({ method: 'POST', url: '/api/v1/invoices', headers, payload: invoicePayload }, 201)).data.id as number;
  if (issued) await support({ method: 'POST', url: `/api/v1/invoices/${id}/issue`, headers }, 200);
  return id;
}

/** An open quotation of the workspace, made by its owner. */
async function createThrowawayQuotation(ws: WsName): Promise<number> {
  const headers = { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) };
  return (await support({ method: 'POST', url: '/api/v1/quotations', headers, payload: { lines: invoicePayload.lines } }, 201)).data.id as number;
}

/** An NCF range of the workspace nothing was drawn from, made by its owner; the counter keeps ranges apart. */
function ncfRangePayload(): object {
  throwaways += 1;
  return { document_type: 'B11', range_start: 1_000_000 + throwaways * 10, range_end: 1_000_000 + throwaways * 10 + 9, authorization_number: 'MATRIX', authorized_on: '2026-01-02' };
}

/** The invoice, quotation and NCF routes: allowed creates are deleted again by the owner; issue, void and pay act on throwaways. */
function invoiceRecipes(): Record<string, Recipe> {
  const ownerHeaders = (ws: WsName) => ({ ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) });
  const deletedAfter = (ws: WsName, collection: string) => async (response: { statusCode: number; json(): unknown }) => {
    if (response.statusCode !== 201) return;
    const created = (response.json() as { data: { id: number } }).data.id;
    await support({ method: 'DELETE', url: `/api/v1/${collection}/${created}`, headers: ownerHeaders(ws) }, 200);
  };
  return {
    'POST /api/v1/invoices': async (row) => ({ url: '/api/v1/invoices', payload: invoicePayload, after: deletedAfter(objectsWs(row), 'invoices') }),
    'GET /api/v1/invoices/:id': async (row) => ({ url: `/api/v1/invoices/${draftInvoice[objectsWs(row)]}` }),
    'PATCH /api/v1/invoices/:id': async (row) => ({ url: `/api/v1/invoices/${draftInvoice[objectsWs(row)]}`, payload: { notes: null } }),
    'DELETE /api/v1/invoices/:id': async (row) => ({ url: `/api/v1/invoices/${await createThrowawayInvoice(objectsWs(row), false)}` }),
    'POST /api/v1/invoices/:id/issue': async (row) => ({ url: `/api/v1/invoices/${await createThrowawayInvoice(objectsWs(row), false)}/issue`, payload: {} }),
    'POST /api/v1/invoices/:id/void': async (row) => ({ url: `/api/v1/invoices/${await createThrowawayInvoice(objectsWs(row), true)}/void`, payload: { reason: '04' } }),
    'POST /api/v1/invoices/:id/payments': async (row) => ({
      url: `/api/v1/invoices/${await createThrowawayInvoice(objectsWs(row), true)}/payments`,
      payload: { amount: '0.50', method: 'cash' },
    }),
    'POST /api/v1/quotations': async (row) => ({ url: '/api/v1/quotations', payload: { lines: invoicePayload.lines }, after: deletedAfter(objectsWs(row), 'quotations') }),
    'GET /api/v1/quotations/:id': async (row) => ({ url: `/api/v1/quotations/${openQuotation[objectsWs(row)]}` }),
    'PATCH /api/v1/quotations/:id': async (row) => ({ url: `/api/v1/quotations/${openQuotation[objectsWs(row)]}`, payload: { notes: null } }),
    'DELETE /api/v1/quotations/:id': async (row) => ({ url: `/api/v1/quotations/${await createThrowawayQuotation(objectsWs(row))}` }),
    'POST /api/v1/quotations/:id/convert': async (row) => ({ url: `/api/v1/quotations/${await createThrowawayQuotation(objectsWs(row))}/convert`, payload: {} }),
    'POST /api/v1/ncf-sequences': async (row) => ({ url: '/api/v1/ncf-sequences', payload: ncfRangePayload(), after: deletedAfter(objectsWs(row), 'ncf-sequences') }),
    'DELETE /api/v1/ncf-sequences/:id': async (row) => {
      const ws = objectsWs(row);
      const created = await support({ method: 'POST', url: '/api/v1/ncf-sequences', headers: ownerHeaders(ws), payload: ncfRangePayload() }, 201);
      return { url: `/api/v1/ncf-sequences/${created.data.id}` };
    },
    'GET /api/v1/ncf-reports/608.csv': async () => ({ url: '/api/v1/ncf-reports/608.csv?period=202612' }),
  };
}

async function createThrowawayLocation(ws: WsName): Promise<number> {
  throwaways += 1;
  const body = await support(
    {
      method: 'POST',
      url: '/api/v1/locations',
      headers: { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) },
      payload: { name: `Throwaway location ${throwaways}`, type: 'other' },
    },
    201,
  );
  return body.data.id as number;
}

async function createThrowawayWorkspace(actor: ActorFacts): Promise<number> {
  throwaways += 1;
  const body = await support(
    { method: 'POST', url: '/api/v1/workspaces', headers: liveOf(actor).headers, payload: { name: `Throwaway ${throwaways}` } },
    201,
  );
  return body.data.id as number;
}

/** A pending invitation, made by the owner of the inviting workspace; role `bare` (grants nothing) unless told. */
async function createInvitation(
  by: { workspaceId: number; headers: Record<string, string> },
  email: string,
  role = 'bare',
): Promise<{ id: number; token: string }> {
  throwaways += 1;
  const body = await support(
    {
      method: 'POST',
      url: '/api/v1/invitations',
      headers: { ...by.headers, 'x-workspace-id': String(by.workspaceId) },
      payload: { email, role },
    },
    201,
  );
  return { id: body.data.id as number, token: body.data.token as string };
}

const throwawayInvitation = (ws: WsName) =>
  createInvitation({ workspaceId: wsId[ws], headers: sessionHeaders(ownerOf[ws]) }, uniqueEmail('matrix.invitee'));

/**
 * A membership, unless there is one, written through the members area's own step: the plan's
 * users counter moves with it, so removing or leaving later gives back a place that was taken
 * (a row written straight into the table would drive the counter below zero).
 */
async function ensureMembership(workspaceId: number, userId: number, role: string): Promise<boolean> {
  const found = await t.db
    .selectFrom('memberships')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (found) return false;
  await inTransaction(t.db, (tx) => addMember(tx, workspaceId, userId, role, new Date().toISOString()));
  return true;
}

/** A membership's overrides as the fact table has them, written straight into the table (a new membership has none). */
async function insertOverrides(ws: WsName, userId: number, overrides: Overrides): Promise<void> {
  const rows = [
    ...overrides.grant.map((permission) => ({ workspace_id: wsId[ws], user_id: userId, permission, effect: 'grant' as const })),
    ...overrides.revoke.map((permission) => ({ workspace_id: wsId[ws], user_id: userId, permission, effect: 'revoke' as const })),
  ];
  if (rows.length > 0) await t.db.insertInto('member_permission_overrides').values(rows).execute();
}

/** The overrides a user has in a workspace, straight from the table. */
async function storedOverrides(ws: WsName, userId: number): Promise<string[]> {
  const rows = await t.db
    .selectFrom('member_permission_overrides')
    .select(['permission', 'effect'])
    .where('workspace_id', '=', wsId[ws])
    .where('user_id', '=', userId)
    .orderBy('permission')
    .execute();
  return rows.map((row) => `${row.effect} ${row.permission}`);
}

/** The throwaway member (role `bare`) is in the workspace, whatever earlier rows did. */
async function ensureSpareMember(ws: WsName): Promise<number> {
  const userId = spare[WS_TENANT[ws]].userId;
  await ensureMembership(wsId[ws], userId, 'bare');
  return userId;
}

/** Puts back the actor's memberships and current workspace (after leave, context switches, throwaways). */
async function restoreActor(actor: ActorFacts): Promise<void> {
  const facts = actor.key?.creator ?? actor;
  const userId = liveOf(facts).userId;
  if (facts.credential !== 'session' || userId === undefined) return;
  for (const [ws, role] of Object.entries(facts.memberships) as Array<[WsName, string]>) {
    // Leaving took the overrides with the membership (the foreign key): they come back with it.
    const overrides = facts.overrides?.[ws];
    if ((await ensureMembership(wsId[ws], userId, role)) && overrides) await insertOverrides(ws, userId, overrides);
  }
  await t.db
    .updateTable('users')
    .set({ current_workspace_id: facts.current === null ? null : wsId[facts.current] })
    .where('id', '=', userId)
    .execute();
}

interface Row {
  actor: ActorFacts;
  route: RoutePolicyEntry;
  ctx: Context;
  outcome: Outcome;
  /** Only in the portal rows (see the end): which X-PORTAL-ACCESS-CODE the request sends. */
  portal?: PortalCode;
}

interface Prepared {
  url: string;
  payload?: InjectOptions['payload'];
  /** Replaces the actor's headers (a fresh session for logout). */
  headers?: Record<string, string>;
  after?: (response: { statusCode: number; json(): unknown }) => Promise<void>;
  /** What else the response (and the database after it) must show; a reason when it does not. */
  check?: (response: { statusCode: number; json(): unknown }) => Promise<string | undefined>;
}

/** The workspace whose objects (members, roles, keys) a row's ids refer to. */
function objectsWs(row: Row): WsName {
  const { ctx, actor } = row;
  if (ctx.kind === 'path' || ctx.kind === 'header' || ctx.kind === 'as-workspace') return ctx.ws === 'missing' ? 'W' : ctx.ws;
  if (ctx.kind === 'current') return (actor.key ? actor.key.ws : actor.current) ?? 'W';
  return actor.sendsTo === 'other' ? 'WO' : 'W';
}

/** How the route's path names its workspace; `id` for routes that name none. */
const pathFormOf = (route: RoutePolicyEntry): PathWorkspace =>
  (route.policy.access === 'workspace' && route.policy.from === 'path' && route.policy.path) || BY_ID;

/** The path's workspace, in the route's own form (the other one in the wrong-form rows). */
function pathWs(row: Row): string {
  const { by } = pathFormOf(row.route);
  const { ctx } = row;
  const ws = ctx.kind === 'path' || ctx.kind === 'as-workspace' ? ctx.ws : objectsWs(row);
  if (by === 'id_or_slug') return ctx.kind === 'wrong-form' ? bizOf(ws) : ctx.bySlug ? slugOf(ws) : idOf(ws);
  const byBizId = ctx.kind === 'wrong-form' ? by === 'id' : by === 'biz_id';
  return byBizId ? bizOf(ws) : idOf(ws);
}
const allowed = (row: Row) => row.outcome.status === 'allowed';
const isUser = (actor: ActorFacts) => actor.credential === 'session';

type Recipe = (row: Row) => Promise<Prepared>;

/**
 * A pending group invitation from `admin` to `sub`, written straight into the table (the
 * pair's earlier pending one cancelled), sent by `invitedBy` (whose authority acceptance checks).
 */
async function pendingGroupInvitation(adminWorkspaceId: number, subWorkspaceId: number, tenant: TenantSlug, invitedBy: number | null = null): Promise<number> {
  throwaways += 1;
  await t.db
    .updateTable('workspace_group_invitations')
    .set({ status: 'cancelled' })
    .where('admin_workspace_id', '=', adminWorkspaceId)
    .where('sub_workspace_id', '=', subWorkspaceId)
    .where('status', '=', 'pending')
    .execute();
  const now = new Date();
  const row = await t.db
    .insertInto('workspace_group_invitations')
    .values({
      tenant_id: tenantIdOf[tenant],
      admin_workspace_id: adminWorkspaceId,
      sub_workspace_id: subWorkspaceId,
      status: 'pending',
      invited_by: invitedBy,
      locale: 'en',
      expires_at: new Date(now.getTime() + 3600_000).toISOString(),
      created_at: now.toISOString(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A throwaway sub workspace of `ws`'s group (its owner's new workspace, linked straight in the table). */
async function throwawayLink(ws: WsName): Promise<number> {
  const owner = ownerOf[ws];
  const sub = await createThrowawayWorkspace(owner);
  await restoreActor(owner);
  const row = await t.db
    .insertInto('workspace_group_members')
    .values({ tenant_id: tenantIdOf[WS_TENANT[ws]], admin_workspace_id: wsId[ws], sub_workspace_id: sub, invited_by: null, accepted_by: null, created_at: new Date().toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Whom `ws` invites in the invitation rows: a workspace of its tenant that is not itself. */
const inviteeOf = (ws: WsName): number => (ws === 'WO' ? inviteHost.other.workspaceId : ws === 'W' ? wsId.W2 : wsId.W);

/** Seed 004's routes, the same under /api/v1 and at the root. */
function groupRecipes(prefix: string): Record<string, Recipe> {
  return {
    // Allowed rows invite; `after` cancels, so the next allowed row may invite again.
    [`POST ${prefix}/workspace-group-members`]: async (row) => ({
      url: `${prefix}/workspace-group-members`,
      payload: { sub_workspace_id: inviteeOf(objectsWs(row)) },
      after: async (response) => {
        if (response.statusCode !== 201) return;
        const id = (response.json() as { data: { id: number } }).data.id;
        await t.db.updateTable('workspace_group_invitations').set({ status: 'cancelled' }).where('id', '=', id).execute();
      },
    }),
    // Rows that reach the handler remove a throwaway link of the workspace's group; the others send a real link's id.
    [`DELETE ${prefix}/workspace-group-members/:id`]: async (row) => {
      const reachesHandler = allowed(row) || (row.outcome.status === 403 && row.outcome.permission === 'groups:manage');
      const id = reachesHandler ? await throwawayLink(objectsWs(row)) : linkId.S;
      return { url: `${prefix}/workspace-group-members/${id}` };
    },
    // The workspace is invited by the tenant's invitation host; an accepted invitation's link is removed again.
    [`POST ${prefix}/workspace-group-invitations/:id/accept`]: async (row) => {
      const ws = objectsWs(row);
      const host = inviteHost[WS_TENANT[ws]];
      const id = await pendingGroupInvitation(host.workspaceId, wsId[ws], WS_TENANT[ws], host.userId);
      return {
        url: `${prefix}/workspace-group-invitations/${id}/accept`,
        after: async (response) => {
          if (response.statusCode === 200) await t.db.deleteFrom('workspace_group_members').where('sub_workspace_id', '=', wsId[ws]).execute();
        },
      };
    },
    [`POST ${prefix}/workspace-group-invitations/:id/decline`]: async (row) => {
      const ws = objectsWs(row);
      const id = await pendingGroupInvitation(inviteHost[WS_TENANT[ws]].workspaceId, wsId[ws], WS_TENANT[ws]);
      return { url: `${prefix}/workspace-group-invitations/${id}/decline` };
    },
    // The workspace's own pending invitation to the tenant's invitation host.
    [`DELETE ${prefix}/workspace-group-invitations/:id`]: async (row) => {
      const ws = objectsWs(row);
      const id = await pendingGroupInvitation(wsId[ws], inviteHost[WS_TENANT[ws]].workspaceId, WS_TENANT[ws]);
      return { url: `${prefix}/workspace-group-invitations/${id}` };
    },
  };
}

const restoreAfter = (row: Row) => () => restoreActor(row.actor);

/** Creating a workspace, on either surface. */
const createWorkspaceAt =
  (url: string): Recipe =>
  async (row) => {
    throwaways += 1;
    return {
      url,
      payload: { name: `Created by matrix ${throwaways}` },
      // The new workspace became its creator's current one: delete it and restore the context.
      after: async (response) => {
        if (response.statusCode !== 201) return;
        const owner = row.actor.key?.creator ?? row.actor;
        const created = (response.json() as { data: { id: number } }).data.id;
        await support({ method: 'DELETE', url: `/api/v1/workspaces/${created}`, headers: liveOf(owner).headers }, 200);
        await restoreActor(row.actor);
      },
    };
  };

/** What the fact table says the row's actor holds in the workspace its context names (acting: as that sub). */
function modelHeld(row: Row): ReadonlySet<string> | undefined {
  const { actor, ctx } = row;
  if (ctx.kind === 'as-workspace') return actingPermissions(actor, ctx.ws);
  if (ctx.kind !== 'header' && ctx.kind !== 'current' && ctx.kind !== 'path') return undefined;
  const ws = targetOf(actor, ctx);
  return ws === null ? undefined : effectivePermissions(actor, ws);
}

const sameList = (label: string, actual: readonly string[], wanted: Iterable<string>): string | undefined => {
  const a = [...actual].sort();
  const w = [...wanted].sort();
  return JSON.stringify(a) === JSON.stringify(w) ? undefined : `${label}: answered ${JSON.stringify(a)}, the fact table says ${JSON.stringify(w)}`;
};

/** The permissions "where" is asked about: reads (tenant roles see them where they are no member), a write, and one withheld when acting. */
const WHERE_PERMISSIONS: readonly WorkspacePermission[] = ['workspaces:view', 'members:view', 'api_keys:view', 'members:manage', 'groups:manage'];

/** Which of the fact table's workspaces the actor holds a permission in, directly or by acting as it. */
function modelWhere(actor: ActorFacts, permission: string): WsName[] {
  return (Object.keys(WS_TENANT) as WsName[]).filter(
    (ws) => effectivePermissions(actor, ws)?.has(permission) === true || actingPermissions(actor, ws)?.has(permission) === true,
  );
}

/**
 * How to send each route that is not a plain GET. Every recipe sends a valid request, so
 * that a refused row reaches the permission check; destructive allowed rows act on
 * throwaways or are undone in `after`.
 */
const RECIPES: Record<string, Recipe> = {
  ...groupRecipes('/api/v1'),
  ...groupRecipes(''),

  // Swagger UI's files: a fixed list, one of them.
  'GET /docs/assets/:file': async () => ({ url: '/docs/assets/tessera-docs.js' }),

  // Anonymous routes: an empty body, which proves only that credentials are not demanded.
  'POST /api/v1/auth/register': async () => ({ url: '/api/v1/auth/register', payload: {} }),
  'POST /api/v1/auth/login': async () => ({ url: '/api/v1/auth/login', payload: {} }),
  'POST /api/v1/auth/refresh': async () => ({ url: '/api/v1/auth/refresh', payload: {} }),

  'POST /api/v1/auth/email-verification': async () => ({ url: '/api/v1/auth/email-verification', payload: {} }),
  'POST /api/v1/auth/email-verification/confirm': async () => ({ url: '/api/v1/auth/email-verification/confirm', payload: {} }),
  'POST /api/v1/auth/password-reset': async () => ({ url: '/api/v1/auth/password-reset', payload: {} }),
  'POST /api/v1/auth/password-reset/confirm': async () => ({ url: '/api/v1/auth/password-reset/confirm', payload: {} }),
  'POST /api/v1/auth/email-change/confirm': async () => ({ url: '/api/v1/auth/email-change/confirm', payload: {} }),
  'POST /api/v1/auth/mfa/verify': async () => ({ url: '/api/v1/auth/mfa/verify', payload: {} }),
  'POST /api/v1/auth/mfa/enroll': async () => ({ url: '/api/v1/auth/mfa/enroll', payload: {} }),

  // The account routes act on the caller's own account: each allowed row is sent so that it
  // changes nothing another row relies on (a 409 or 422 from the handler where a 2xx would).
  'PATCH /api/v1/me': async () => ({ url: '/api/v1/me', payload: { locale: null } }),
  // The same password again: 422 from the handler, after the current one checked out.
  'PUT /api/v1/me/password': async () => ({ url: '/api/v1/me/password', payload: { current_password: PASSWORD, new_password: PASSWORD } }),
  // The caller's own address: 422 from the handler.
  'POST /api/v1/me/email': async (row) => ({
    url: '/api/v1/me/email',
    payload: { email: (isUser(row.actor) && live.has(row.actor) ? liveOf(row.actor).email : undefined) ?? 'nobody@example.com', current_password: PASSWORD },
  }),
  // A fresh session of the caller's own, ended by the caller's fixture session.
  'DELETE /api/v1/me/sessions/:id': async (row) => {
    if (!(allowed(row) && isUser(row.actor))) return { url: '/api/v1/me/sessions/1' };
    const headers = tenantHeader(row.actor.sendsTo);
    const signedIn = await support({ method: 'POST', url: '/api/v1/auth/login', headers, payload: { email: liveOf(row.actor).email ?? '', password: PASSWORD } }, 200);
    const sessions = await support({ method: 'GET', url: '/api/v1/me/sessions', headers: { ...headers, authorization: `Bearer ${signedIn.data.access_token}` } }, 200);
    const fresh = (sessions.data as Array<{ id: number; current: boolean }>).find((session) => session.current);
    return { url: `/api/v1/me/sessions/${fresh?.id ?? 1}` };
  },
  // Ends the caller's other sessions: the fixture holds one per user, and recipes' fresh ones are done with.
  'DELETE /api/v1/me/sessions': async () => ({ url: '/api/v1/me/sessions' }),
  // Starting an enrollment guards nothing; the pending secret is dropped again after it.
  'POST /api/v1/me/mfa/totp': async (row) => ({
    url: '/api/v1/me/mfa/totp',
    after: async () => {
      const userId = isUser(row.actor) && live.has(row.actor) ? liveOf(row.actor).userId : undefined;
      if (userId !== undefined) await t.db.updateTable('users').set({ totp_pending_secret: null }).where('id', '=', userId).execute();
    },
  }),
  // Nobody in the fixture is enrolling or enrolled: 409 MFA.NOT_PENDING / MFA.NOT_ENABLED from the handler.
  'POST /api/v1/me/mfa/totp/confirm': async () => ({ url: '/api/v1/me/mfa/totp/confirm', payload: { code: '000000' } }),
  'POST /api/v1/me/mfa/disable': async () => ({ url: '/api/v1/me/mfa/disable', payload: { code: '000000' } }),
  'POST /api/v1/me/mfa/recovery-codes': async () => ({ url: '/api/v1/me/mfa/recovery-codes', payload: { code: '000000' } }),
  'GET /api/v1/tenant/users/:id/sessions': async (row) => ({ url: `/api/v1/tenant/users/${tenantMemberTarget[row.actor.sendsTo]}/sessions` }),
  // A throwaway user of the tenant the request goes to: ending a fixture user's sessions would end an actor.
  'DELETE /api/v1/tenant/users/:id/sessions': async (row) => {
    throwaways += 1;
    const target = await register(t, { email: uniqueEmail(`matrix-sessions-${throwaways}`), password: PASSWORD, tenant: row.actor.sendsTo === 'other' ? 'other' : undefined });
    return { url: `/api/v1/tenant/users/${target.userId}/sessions` };
  },
  // Nobody in the fixture has a second factor: 409 MFA.NOT_ENABLED from the handler, and nothing changes.
  'DELETE /api/v1/tenant/users/:id/mfa': async (row) => ({ url: `/api/v1/tenant/users/${tenantMemberTarget[row.actor.sendsTo]}/mfa` }),
  'PATCH /api/v1/tenant/account-policy': async () => ({ url: '/api/v1/tenant/account-policy', payload: { email_verification: 'optional' } }),

  'POST /api/v1/auth/logout': async (row) => {
    if (!(allowed(row) && isUser(row.actor))) return { url: '/api/v1/auth/logout' };
    // Log out a fresh session of the same user, never the fixture's own.
    const { email } = liveOf(row.actor);
    const body = await support(
      { method: 'POST', url: '/api/v1/auth/login', headers: tenantHeader(row.actor.sendsTo), payload: { email, password: PASSWORD } },
      200,
    );
    return {
      url: '/api/v1/auth/logout',
      headers: { ...tenantHeader(row.actor.sendsTo), authorization: `Bearer ${body.data.access_token}` },
    };
  },

  'POST /api/v1/workspaces': createWorkspaceAt('/api/v1/workspaces'),

  // Seed 002's create: a slug is required, and the answer is the bare camelCase object (its id a string).
  'POST /workspaces': async (row) => {
    throwaways += 1;
    return {
      url: '/workspaces',
      payload: { name: `Matrix seed ${throwaways}`, slug: `matrix-seed-${throwaways}` },
      after: async (response) => {
        if (response.statusCode !== 201) return;
        const owner = row.actor.key?.creator ?? row.actor;
        const created = (response.json() as { id: string }).id;
        await support({ method: 'DELETE', url: `/api/v1/workspaces/${created}`, headers: liveOf(owner).headers }, 200);
        await restoreActor(row.actor);
      },
    };
  },

  // Settings (the policy's settings:edit), set to what they are: the default location stays the
  // workspace's own "Inventory" (a location of another workspace would be a 422 from the handler).
  // Rows naming the workspace by slug rename it to its own name too (workspaces:edit: OBJECT_LEVEL_BY_SLUG).
  'PATCH /workspaces/:idOrSlug': async (row) => ({
    url: `/workspaces/${pathWs(row)}`,
    payload: {
      invoiceNumberPrefix: 'INV-',
      defaultLocationId: String(defaultLocation[objectsWs(row)]),
      ...(row.ctx.bySlug ? { name: WS_NAMES[objectsWs(row)] } : {}),
    },
  }),
  'PATCH /api/v1/workspaces/:id/settings': async (row) => ({
    url: `/api/v1/workspaces/${pathWs(row)}/settings`,
    payload: { invoice_number_prefix: 'INV-', default_location_id: defaultLocation[objectsWs(row)] },
  }),

  // Locations of the workspace the row names. Allowed creates are deleted again by the workspace's owner.
  'POST /api/v1/locations': async (row) => {
    throwaways += 1;
    const ws = objectsWs(row);
    return {
      url: '/api/v1/locations',
      payload: { name: `Matrix site ${throwaways}`, type: 'site', address: null },
      after: async (response) => {
        if (response.statusCode !== 201) return;
        const created = (response.json() as { data: { id: number } }).data.id;
        await support({ method: 'DELETE', url: `/api/v1/locations/${created}`, headers: { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) } }, 200);
      },
    };
  },
  'GET /api/v1/locations/:id': async (row) => ({ url: `/api/v1/locations/${defaultLocation[objectsWs(row)]}` }),
  // A no-op edit of the workspace's plain location.
  'PATCH /api/v1/locations/:id': async (row) => ({
    url: `/api/v1/locations/${vanLocation[objectsWs(row)]}`,
    payload: { name: 'Matrix van', type: 'van', address: null, archived: false },
  }),
  'DELETE /api/v1/locations/:id': async (row) => ({ url: `/api/v1/locations/${await createThrowawayLocation(objectsWs(row))}` }),

  // The catalogue of the workspace the row names.
  ...catalogRecipes('items'),
  ...catalogRecipes('suppliers'),
  ...catalogRecipes('tags'),
  ...catalogRecipes('contacts'),
  ...invoiceRecipes(),

  // Stock of the fixture's item in the workspace the row names: allowed rows really move it (201).
  'POST /api/v1/stock/receipts': async (row) => ({
    url: '/api/v1/stock/receipts',
    payload: { item_id: catalogRecord.items[objectsWs(row)], location_id: defaultLocation[objectsWs(row)], quantity: '1' },
  }),
  'POST /api/v1/stock/adjustments': async (row) => ({
    url: '/api/v1/stock/adjustments',
    payload: { item_id: catalogRecord.items[objectsWs(row)], location_id: vanLocation[objectsWs(row)], quantity_change: '0.5', reason: 'Matrix count' },
  }),
  // The owner receives what the row then moves, so an allowed row ends in 201, never in a 409.
  'POST /api/v1/stock/transfers': async (row) => {
    const ws = objectsWs(row);
    const place = { item_id: catalogRecord.items[ws], location_id: defaultLocation[ws] };
    await support({ method: 'POST', url: '/api/v1/stock/receipts', headers: { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) }, payload: { ...place, quantity: '1' } }, 201);
    return { url: '/api/v1/stock/transfers', payload: { item_id: place.item_id, from_location_id: place.location_id, to_location_id: vanLocation[ws], quantity: '1' } };
  },

  // Single sign-on of the workspace the row names. A claim allowed rows make is released again by
  // the owner, so verifying finds none (409, no DNS asked); a connection to a private address is
  // refused (422) before any fetch; enforcement is turned off (a no-op).
  'PUT /api/v1/workspaces/:id/sso/domain': async (row) => {
    throwaways += 1;
    const ws = objectsWs(row);
    return {
      url: `/api/v1/workspaces/${pathWs(row)}/sso/domain`,
      payload: { domain: `matrix-${throwaways}.example.test` },
      after: async (response) => {
        if (response.statusCode === 200) await support({ method: 'DELETE', url: `/api/v1/workspaces/${idOf(ws)}/sso/domain`, headers: sessionHeaders(ownerOf[ws]) }, 200);
      },
    };
  },
  'POST /api/v1/workspaces/:id/sso/domain/verify': async (row) => ({ url: `/api/v1/workspaces/${pathWs(row)}/sso/domain/verify` }),
  'DELETE /api/v1/workspaces/:id/sso/domain': async (row) => ({ url: `/api/v1/workspaces/${pathWs(row)}/sso/domain` }),
  'PUT /api/v1/workspaces/:id/sso/connection': async (row) => ({
    url: `/api/v1/workspaces/${pathWs(row)}/sso/connection`,
    payload: { issuer_url: 'https://10.0.0.1', client_id: 'matrix', client_secret: 'matrix secret' },
  }),
  'DELETE /api/v1/workspaces/:id/sso/connection': async (row) => ({ url: `/api/v1/workspaces/${pathWs(row)}/sso/connection` }),
  'PUT /api/v1/workspaces/:id/sso/enforcement': async (row) => ({ url: `/api/v1/workspaces/${pathWs(row)}/sso/enforcement`, payload: { enforced: false } }),

  // Rotating or disabling the code of the workspace the row names (no fixture depends on it).
  'POST /api/v1/workspaces/:id/invite-code': async (row) => ({ url: `/api/v1/workspaces/${pathWs(row)}/invite-code` }),
  'DELETE /api/v1/workspaces/:id/invite-code': async (row) => ({ url: `/api/v1/workspaces/${pathWs(row)}/invite-code` }),

  // The code of the tenant's invitation host. Allowed rows really join (200); `after` removes the
  // new membership again and puts the actor's context back.
  'POST /api/v1/invite-codes/:code/join': async (row) => {
    const host = inviteHost[row.actor.sendsTo];
    const code = await support(
      { method: 'POST', url: `/api/v1/workspaces/${host.workspaceId}/invite-code`, headers: host.headers },
      200,
    );
    const { userId } = liveOf(row.actor);
    return {
      url: `/api/v1/invite-codes/${code.data.invite_code}/join`,
      after: async (response) => {
        if (response.statusCode !== 200 || !(response.json() as { data: { joined: boolean } }).data.joined) return;
        await support(
          { method: 'DELETE', url: `/api/v1/members/${userId}`, headers: { ...host.headers, 'x-workspace-id': String(host.workspaceId) } },
          200,
        );
        await restoreActor(row.actor);
      },
    };
  },

  'DELETE /api/v1/workspace-context/:id': async (row) => ({
    url: `/api/v1/workspace-context/${idOf('W')}`,
    after: restoreAfter(row),
  }),

  'PATCH /api/v1/tenant': async (row) => ({ url: '/api/v1/tenant', payload: { name: tenantName[row.actor.sendsTo] } }),

  'PUT /api/v1/tenant/users/:id': async (row) => ({
    url: `/api/v1/tenant/users/${tenantMemberTarget[row.actor.sendsTo]}`,
    payload: { tenant_role: 'member' },
  }),

  'PUT /api/v1/workspaces/:id': async (row) => ({
    url: `/api/v1/workspaces/${pathWs(row)}`,
    payload: { name: WS_NAMES[objectsWs(row)] },
  }),
  'PATCH /api/v1/workspaces/:id': async (row) => ({
    url: `/api/v1/workspaces/${pathWs(row)}`,
    payload: { name: WS_NAMES[objectsWs(row)] },
  }),

  'DELETE /api/v1/workspaces/:id': async (row) => {
    if (!allowed(row)) return { url: `/api/v1/workspaces/${pathWs(row)}` };
    // Allowed: the actor owns the target. Delete a throwaway workspace the actor owns instead.
    if (!isUser(row.actor)) throw new Error('no throwaway workspace for an API key: keep workspaces:delete out of key scopes');
    const throwaway = await createThrowawayWorkspace(row.actor);
    return { url: `/api/v1/workspaces/${throwaway}`, after: restoreAfter(row) };
  },

  'PATCH /api/v1/workspace-context/:id': async (row) => ({
    url: `/api/v1/workspace-context/${pathWs(row)}`,
    after: restoreAfter(row),
  }),

  'POST /api/v1/workspaces/:id/default': async (row) => ({ url: `/api/v1/workspaces/${pathWs(row)}/default` }),

  'PUT /api/v1/workspaces/:id/preferred-document-subtype': async (row) => ({
    url: `/api/v1/workspaces/${pathWs(row)}/preferred-document-subtype`,
    payload: { document_subtype: 'B01' },
  }),

  // Allowed for a non-owner member: they really leave; `after` puts the membership back.
  'POST /api/v1/workspaces/:id/leave': async (row) => ({
    url: `/api/v1/workspaces/${pathWs(row)}/leave`,
    after: restoreAfter(row),
  }),

  // To oneself: the owner gets 409 MEMBER.ALREADY_OWNER from the handler, after authorization.
  'POST /api/v1/workspaces/:id/transfer-ownership': async (row) => ({
    url: `/api/v1/workspaces/${pathWs(row)}/transfer-ownership`,
    payload: { user_id: liveOf(row.actor).userId ?? liveOf(wOwner).userId },
  }),

  // A no-op role change of the throwaway member.
  'PUT /api/v1/members/:user_id': async (row) => ({
    url: `/api/v1/members/${await ensureSpareMember(objectsWs(row))}`,
    payload: { role: 'bare' },
  }),

  // Member access (issue 16): the throwaway member (role `bare`, holding nothing), whom every
  // holder of members:manage may manage.
  'GET /api/v1/members/:user_id/permissions': async (row) => {
    const ws = objectsWs(row);
    const userId = await ensureSpareMember(ws);
    return {
      url: `/api/v1/members/${userId}/permissions`,
      check: async (response) => {
        if (response.statusCode !== 200) return undefined;
        const data = (response.json() as { data: { user_id: number; workspace_id: number; role: string } }).data;
        return data.user_id === userId && data.workspace_id === wsId[ws] && data.role === 'bare'
          ? undefined
          : `answered about ${JSON.stringify(data)}, not the throwaway member of ${ws}`;
      },
    };
  },
  // Allowed rows grant the throwaway member members:manage (every allowed caller holds it) and
  // the workspace's owner takes it back; a refused row must leave the member without overrides.
  'PUT /api/v1/members/:user_id/permissions': async (row) => {
    const ws = objectsWs(row);
    const userId = await ensureSpareMember(ws);
    const reset = () =>
      support(
        { method: 'PUT', url: `/api/v1/members/${userId}/permissions`, headers: { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) }, payload: {} },
        200,
      );
    if ((await storedOverrides(ws, userId)).length > 0) await reset();
    return {
      url: `/api/v1/members/${userId}/permissions`,
      payload: { grant: ['members:manage'] },
      check: async (response) => {
        const stored = await storedOverrides(ws, userId);
        if (response.statusCode >= 300) return stored.length === 0 ? undefined : `refused, but the member's overrides are now ${stored.join(', ')}`;
        const data = (response.json() as { data: { grant: string[]; revoke: string[] } }).data;
        return sameList('overrides stored', stored, ['grant members:manage']) ?? sameList('grant answered', data.grant, ['members:manage']);
      },
      after: async (response) => {
        if (response.statusCode < 300) await reset();
      },
    };
  },
  // Location access of the throwaway member: allowed rows restrict it to the workspace's van, and
  // the owner lifts that again; a refused row must leave it unrestricted.
  'GET /api/v1/members/:user_id/locations': async (row) => {
    const ws = objectsWs(row);
    const userId = await ensureSpareMember(ws);
    return {
      url: `/api/v1/members/${userId}/locations`,
      check: async (response) => {
        if (response.statusCode !== 200) return undefined;
        const data = (response.json() as { data: { user_id: number; workspace_id: number; restricted: boolean } }).data;
        return data.user_id === userId && data.workspace_id === wsId[ws] && !data.restricted ? undefined : `answered ${JSON.stringify(data)}`;
      },
    };
  },
  'PUT /api/v1/members/:user_id/locations': async (row) => {
    const ws = objectsWs(row);
    const userId = await ensureSpareMember(ws);
    const stored = async () =>
      (await t.db.selectFrom('member_locations').select('location_id').where('workspace_id', '=', wsId[ws]).where('user_id', '=', userId).execute()).map((r) => r.location_id);
    const restricted = async () =>
      (await t.db.selectFrom('member_location_restrictions').select('user_id').where('workspace_id', '=', wsId[ws]).where('user_id', '=', userId).execute()).length > 0;
    const reset = () =>
      support(
        { method: 'PUT', url: `/api/v1/members/${userId}/locations`, headers: { ...sessionHeaders(ownerOf[ws]), 'x-workspace-id': idOf(ws) }, payload: { restricted: false } },
        200,
      );
    if (await restricted()) await reset();
    return {
      url: `/api/v1/members/${userId}/locations`,
      payload: { restricted: true, location_ids: [vanLocation[ws]] },
      check: async (response) => {
        if (response.statusCode >= 300) return (await restricted()) ? 'refused, but the member is now restricted' : undefined;
        return (await restricted()) ? sameList('locations stored', (await stored()).map(String), [String(vanLocation[ws])]) : 'answered 2xx, but nothing is stored';
      },
      after: async (response) => {
        if (response.statusCode < 300) await reset();
      },
    };
  },
  // About oneself (a key's creator for keys): the permissions it lists are this request's, which
  // the fact table knows; the spare member when the actor is nobody.
  'GET /api/v1/members/:user_id/effective-permissions': async (row) => {
    const self = live.get(row.actor)?.userId;
    const userId = self ?? (await ensureSpareMember(objectsWs(row)));
    return {
      url: `/api/v1/members/${userId}/effective-permissions`,
      check: async (response) => {
        if (response.statusCode !== 200 || self === undefined || !credentialValid(row.actor)) return undefined;
        const held = modelHeld(row);
        if (!held) return 'answered 200 where the fact table sees no workspace';
        const data = (response.json() as { data: { permissions: Array<{ permission: string }> } }).data;
        return sameList('effective permissions', data.permissions.map((entry) => entry.permission), held);
      },
    };
  },
  // "Where", asked for three permissions: of the fact table's workspaces, exactly those the actor
  // holds it in (a membership, acting as a sub, or a tenant role's read), never another tenant's.
  'GET /api/v1/me/workspaces': async (row) => ({
    url: `/api/v1/me/workspaces?can=${WHERE_PERMISSIONS[0]}&limit=100`,
    check: async (response) => {
      if (response.statusCode !== 200) return undefined;
      const known = new Map((Object.keys(WS_TENANT) as WsName[]).map((ws) => [wsId[ws], ws]));
      for (const permission of WHERE_PERMISSIONS) {
        const answer = permission === WHERE_PERMISSIONS[0] ? response : await t.request({ method: 'GET', url: `/api/v1/me/workspaces?can=${permission}&limit=100`, headers: liveOf(row.actor).headers });
        if (answer.statusCode !== 200) return `?can=${permission} answered ${answer.statusCode}`;
        const page = answer.json() as { data: Array<{ id: number }>; meta: { next_cursor: string | null } };
        if (page.meta.next_cursor !== null) return `?can=${permission}: more than one page`;
        const listed = page.data.map((item) => known.get(item.id)).filter((ws): ws is WsName => ws !== undefined);
        const mismatched = sameList(`?can=${permission}`, listed, modelWhere(row.actor, permission));
        if (mismatched) return mismatched;
        const ids = page.data.map((item) => item.id);
        const foreign = ids.length === 0 ? [] : await t.db.selectFrom('workspaces').select('id').where('id', 'in', ids).where('tenant_id', '!=', tenantIdOf[row.actor.sendsTo]).execute();
        if (foreign.length > 0) return `?can=${permission} lists workspaces of another tenant: ${foreign.map((w) => w.id).join(', ')}`;
      }
      return undefined;
    },
  }),

  // Removes the throwaway member; the next row puts it back.
  'DELETE /api/v1/members/:user_id': async (row) => ({ url: `/api/v1/members/${await ensureSpareMember(objectsWs(row))}` }),

  // An existing name: allowed rows end in 409 WORKSPACE.ROLE_NAME_EXISTS from the handler.
  'POST /api/v1/roles': async () => ({ url: '/api/v1/roles', payload: { name: 'bare', display_name: 'Bare', permissions: [] } }),

  'PUT /api/v1/roles/:id': async (row) => ({
    url: `/api/v1/roles/${bareRoleId[objectsWs(row)]}`,
    payload: { display_name: 'Bare' },
  }),

  'DELETE /api/v1/roles/:id': async (row) => ({ url: `/api/v1/roles/${await createThrowawayRole(objectsWs(row))}` }),

  'POST /api/v1/api-keys': async () => ({
    url: '/api/v1/api-keys',
    payload: { name: 'matrix key', scopes: ['workspaces:view'] },
  }),

  'DELETE /api/v1/api-keys/:id': async (row) => ({ url: `/api/v1/api-keys/${await createThrowawayKey(objectsWs(row))}` }),

  // A fresh address with the role that grants nothing: allowed rows end in 201 (the pending
  // invitation stays, harmlessly, in the workspace).
  'POST /api/v1/invitations': async () => ({
    url: '/api/v1/invitations',
    payload: { email: uniqueEmail('matrix.invitee'), role: 'bare' },
  }),

  // Every row revokes, or resends, its own throwaway pending invitation of the workspace.
  'DELETE /api/v1/invitations/:id': async (row) => ({
    url: `/api/v1/invitations/${(await throwawayInvitation(objectsWs(row))).id}`,
  }),
  'POST /api/v1/invitations/:id/resend': async (row) => ({
    url: `/api/v1/invitations/${(await throwawayInvitation(objectsWs(row))).id}/resend`,
  }),

  // Anonymous, like register/login/refresh: an empty body, refused by validation after the
  // credentials were ignored. (Their token handling is the invitations suite's business.)
  'POST /api/v1/invitations/lookup': async () => ({ url: '/api/v1/invitations/lookup', payload: {} }),
  'POST /api/v1/invitations/decline': async () => ({ url: '/api/v1/invitations/decline', payload: {} }),

  // Seed 003's portal routes, sent as their /api/v1 twins are, the workspace in the path.
  'POST /web/v1/workspaces/self': createWorkspaceAt('/web/v1/workspaces/self'),
  'POST /web/v1/tenant/workspaces/:workspaceBizId/default': async (row) => ({ url: `/web/v1/tenant/workspaces/${pathWs(row)}/default` }),
  'POST /web/v1/tenant/workspaces/:workspaceBizId/leave': async (row) => ({
    url: `/web/v1/tenant/workspaces/${pathWs(row)}/leave`,
    after: restoreAfter(row),
  }),
  'POST /web/v1/workspaces/:workspaceId/roles': async (row) => ({
    url: `/web/v1/workspaces/${pathWs(row)}/roles`,
    payload: { name: 'bare', display_name: 'Bare', permissions: [] },
  }),
  'POST /web/v1/workspaces/:workspaceBizId/invitations': async (row) => ({
    url: `/web/v1/workspaces/${pathWs(row)}/invitations`,
    payload: { email: uniqueEmail('matrix.invitee'), role: 'bare' },
  }),
  'POST /web/v1/workspaces/:workspaceId/members/role/change': async (row) => ({
    url: `/web/v1/workspaces/${pathWs(row)}/members/role/change`,
    payload: { user_id: await ensureSpareMember(objectsWs(row)), role: 'bare' },
  }),

  // Allowed rows: the actor is invited, under its own address, to the tenant's host workspace
  // and really accepts (200); `after` removes the new membership again. Refused rows send the
  // token of a real pending invitation for another address.
  'POST /api/v1/invitations/accept': async (row) => {
    const host = inviteHost[row.actor.sendsTo];
    const { email, userId } = liveOf(row.actor);
    if (!(allowed(row) && isUser(row.actor) && email !== undefined && userId !== undefined)) {
      return { url: '/api/v1/invitations/accept', payload: { token: (await createInvitation(host, uniqueEmail('matrix.invitee'), 'viewer')).token } };
    }
    const { token } = await createInvitation(host, email, 'viewer');
    return {
      url: '/api/v1/invitations/accept',
      payload: { token },
      after: async (response) => {
        if (response.statusCode !== 200) return;
        await support(
          { method: 'DELETE', url: `/api/v1/members/${userId}`, headers: { ...host.headers, 'x-workspace-id': String(host.workspaceId) } },
          200,
        );
        await restoreActor(row.actor);
      },
    };
  },
};

/** Plain GETs need no recipe: their only parameter, if any, is the path workspace (`:id`, `:workspaceId`, `:workspaceBizId`). */
function recipeFor(route: RoutePolicyEntry): Recipe | undefined {
  const recipe = RECIPES[keyOf(route)];
  if (recipe) return recipe;
  const params = route.url.match(/:\w+/g) ?? [];
  const param = `:${pathFormOf(route).param}`;
  const onlyPathWorkspace =
    params.length === 0 ||
    (params.length === 1 && params[0] === param && route.policy.access === 'workspace' && route.policy.from === 'path');
  if (route.method === 'GET' && onlyPathWorkspace) {
    return async (row) => ({ url: route.url.replace(param, pathWs(row)) });
  }
  return undefined;
}

/**
 * The portal rows' X-PORTAL-ACCESS-CODE: none, the other tenant's code, or the code of the
 * tenant the request goes to.
 */
type PortalCode = 'none' | "other tenant's" | 'own';
const PORTAL_CODES: Record<TenantSlug, string> = { default: 'matrix-portal-default', other: 'matrix-portal-other' };

function portalHeaders(actor: ActorFacts, code: PortalCode): Record<string, string> {
  if (code === 'none') return {};
  const slug = code === 'own' ? actor.sendsTo : actor.sendsTo === 'default' ? 'other' : 'default';
  return { 'x-portal-access-code': PORTAL_CODES[slug] };
}

function contextHeaders(ctx: Context): Record<string, string> {
  switch (ctx.kind) {
    case 'header':
      return { 'x-workspace-id': idOf(ctx.ws) };
    case 'malformed':
      return { 'x-workspace-id': 'abc' };
    case 'conflict':
      return { 'x-workspace-id': idOf('W'), 'x-as-workspace': idOf('W2') };
    case 'as-workspace':
      return { 'x-as-workspace': idOf(ctx.ws) };
    case 'conflict-sub':
      return { 'x-as-workspace': idOf('S') };
    case 'malformed-as':
      return { 'x-as-workspace': 'abc' };
    case 'none':
    case 'path':
    case 'wrong-form':
    case 'current':
      return {};
  }
}

interface Failure {
  row: Row;
  reason: string;
  status: number;
  body: string;
  url: string;
}

/**
 * Where an allowed row of a portal path route must have run, as the server says it did
 * (`X-Workspace-ID`, and `X-Acting-From-Workspace-ID` acting as a sub): the workspace its
 * path names, by id or by biz_id, never the caller's current one.
 */
function ranInMismatch(row: Row, headers: Record<string, unknown>): string | undefined {
  const { route, ctx } = row;
  if (!allowed(row) || !route.url.startsWith('/web/v1/') || route.policy.access !== 'workspace') return undefined;
  const ws = objectsWs(row);
  const expectedFrom = ctx.kind === 'as-workspace' ? ADMIN_OF[ws] : undefined;
  const ranIn = [headers['x-workspace-id'], headers['x-acting-from-workspace-id']];
  const wanted = [String(wsId[ws]), expectedFrom === undefined ? undefined : String(wsId[expectedFrom])];
  if (ranIn[0] === wanted[0] && ranIn[1] === wanted[1]) return undefined;
  return `ran in ${ranIn.join(' acting from ')}, expected ${wanted.join(' acting from ')}`;
}

async function runRow(row: Row, recipe: Recipe): Promise<Failure | undefined> {
  const prepared = await recipe(row);
  const portal = row.portal === undefined ? {} : portalHeaders(row.actor, row.portal);
  const response = await t.request({
    method: row.route.method,
    url: prepared.url,
    headers: { ...(prepared.headers ?? liveOf(row.actor).headers), ...contextHeaders(row.ctx), ...portal },
    ...(prepared.payload === undefined ? {} : { payload: prepared.payload }),
  });
  // A check reads the database as the request left it, before `after` tidies up.
  const checked = prepared.check ? await prepared.check(response) : undefined;
  if (prepared.after) await prepared.after(response);
  if (row.portal === undefined) {
    matrixRequests += 1;
    const bucket = tally.get(String(row.outcome.status)) ?? new Map<number, number>();
    bucket.set(response.statusCode, (bucket.get(response.statusCode) ?? 0) + 1);
    tally.set(String(row.outcome.status), bucket);
    if (row.ctx.kind === 'as-workspace' && ADMIN_OF[row.ctx.ws as WsName]) {
      const label = outcomeLabel({ ...row.outcome, permission: undefined });
      actingTally.set(label, (actingTally.get(label) ?? 0) + 1);
    }
  } else portalRequests += 1;
  const reason = mismatch(row.outcome, response.statusCode, response.body) ?? ranInMismatch(row, response.headers) ?? checked;
  return reason === undefined ? undefined : { row, reason, status: response.statusCode, body: response.body, url: prepared.url };
}

const describeFailure = (f: Failure) =>
  [
    `actor=${f.row.actor.name}`,
    `${f.row.route.method} ${f.row.route.url} (sent ${f.url})`,
    `context=${contextLabel(f.row.ctx)}${f.row.portal ? `, portal code: ${f.row.portal}` : ''}`,
    `policy=${JSON.stringify(f.row.route.policy)}`,
    `expected=${outcomeLabel(f.row.outcome)}`,
    `actual=${f.status}`,
    `why=${f.reason}`,
    `body=${f.body.slice(0, 300)}`,
  ].join(' | ');

// ---------------------------------------------------------------------------------------
// Fixture set-up, through HTTP (memberships, which have no API yet, through the database)
// ---------------------------------------------------------------------------------------

async function registerActor(actor: ActorFacts): Promise<Session> {
  const email = uniqueEmail('matrix');
  const session = await register(t, { name: actor.name, email, password: PASSWORD, tenant: actor.sendsTo === 'other' ? 'other' : undefined });
  supportRequests += 1;
  live.set(actor, { headers: { ...tenantHeader(actor.sendsTo), ...session.auth }, userId: session.userId, email });
  return session;
}

/** One of the fact table's workspaces, with the id and the biz_id its creation answers. */
async function createFixtureWorkspace(ws: WsName, owner: ActorFacts): Promise<void> {
  const { data } = await support({ method: 'POST', url: '/api/v1/workspaces', headers: liveOf(owner).headers, payload: { name: WS_NAMES[ws] } }, 201);
  wsId[ws] = data.id;
  bizIdOf[ws] = data.biz_id;
  slugOfWs[ws] = data.slug;
  ownerOf[ws] = owner;
  // Every workspace starts with its default location; the matrix adds a plain one to edit.
  defaultLocation[ws] = data.default_location_id;
  const van = await support(
    {
      method: 'POST',
      url: '/api/v1/locations',
      headers: { ...liveOf(owner).headers, 'x-workspace-id': String(data.id) },
      payload: { name: 'Matrix van', type: 'van' },
    },
    201,
  );
  vanLocation[ws] = van.data.id;
  const inIt = { ...liveOf(owner).headers, 'x-workspace-id': String(data.id) };
  for (const kind of ['tags', 'suppliers', 'contacts'] as const) {
    catalogRecord[kind][ws] = (await support({ method: 'POST', url: `/api/v1/${kind}`, headers: inIt, payload: catalogPayload[kind](0) }, 201)).data.id;
  }
  const item = { ...catalogPayload.items(0), tag_ids: [catalogRecord.tags[ws]], preferred_supplier_id: catalogRecord.suppliers[ws] };
  catalogRecord.items[ws] = (await support({ method: 'POST', url: '/api/v1/items', headers: inIt, payload: item }, 201)).data.id;
  draftInvoice[ws] = await createThrowawayInvoice(ws, false);
  openQuotation[ws] = await createThrowawayQuotation(ws);
}

async function insertMembership(ws: WsName, userId: number, role: string) {
  await inTransaction(t.db, (tx) => addMember(tx, wsId[ws], userId, role, new Date().toISOString()));
}

beforeAll(async () => {
  await createTenant(t, 'other');
  const actorNamed = (name: string) => {
    const found = ACTORS.find((actor) => actor.name === name);
    if (!found) throw new Error(name);
    return found;
  };

  // The first user of `default` becomes the tenant owner and creates W.
  await registerActor(wOwner);
  await createFixtureWorkspace('W', wOwner);

  for (const actor of ACTORS) {
    if (actor.credential !== 'session' || actor === wOwner || live.has(actor)) continue;
    if (actor.name === 'other-tenant user against default') continue;
    await registerActor(actor);
  }
  // The same token, sent to the wrong tenant.
  live.set(actorNamed('other-tenant user against default'), { ...liveOf(otherUser), headers: { authorization: liveOf(otherUser).headers.authorization ?? '' } });
  live.set(actorNamed('anonymous'), { headers: {} });
  live.set(actorNamed('bogus JWT'), { headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.bm90LWEtc2lnbmF0dXJl' } });
  live.set(actorNamed('bogus API key'), { headers: { authorization: 'Bearer tsk_doesnotexist0000000000000000' } });

  await createFixtureWorkspace('W2', plain);
  await createFixtureWorkspace('WO', otherUser);

  spare.default = await register(t, { name: 'Spare', password: PASSWORD });
  spare.other = await register(t, { name: 'Spare (other)', password: PASSWORD, tenant: 'other' });
  supportRequests += 2;

  // The invitation hosts of the accept rows.
  for (const slug of ['default', 'other'] as const) {
    const host = await register(t, { name: `Invitation host (${slug})`, password: PASSWORD, tenant: slug === 'other' ? 'other' : undefined });
    supportRequests += 1;
    const headers = { ...tenantHeader(slug), ...host.auth };
    const created = await support({ method: 'POST', url: '/api/v1/workspaces', headers, payload: { name: `Matrix invitation host (${slug})` } }, 201);
    inviteHost[slug] = { workspaceId: created.data.id as number, headers, userId: host.userId };
  }

  // Tenant roles.
  for (const actor of ACTORS) {
    if (actor.credential !== 'session' || actor.issuedIn !== 'default' || actor.tenantRole !== 'admin') continue;
    await support(
      { method: 'PUT', url: `/api/v1/tenant/users/${liveOf(actor).userId}`, headers: liveOf(wOwner).headers, payload: { tenant_role: 'admin' } },
      200,
    );
  }
  tenantMemberTarget.default = liveOf(actorNamed('W viewer')).userId ?? 0;
  tenantMemberTarget.other = spare.other.userId;
  tenantName.default = (await support({ method: 'GET', url: '/api/v1/tenant', headers: liveOf(wOwner).headers }, 200)).data.name;
  tenantName.other = (await support({ method: 'GET', url: '/api/v1/tenant', headers: liveOf(otherUser).headers }, 200)).data.name;

  // The sub workspaces, each owned by a user of its own.
  for (const [ws, owner] of [['S', sOwner], ['S2', s2Owner]] as const) {
    await registerActor(owner);
    await createFixtureWorkspace(ws, owner);
  }
  for (const slug of ['default', 'other'] as const) {
    const row = await t.db.selectFrom('workspaces').select('tenant_id').where('id', '=', inviteHost[slug].workspaceId).executeTakeFirstOrThrow();
    tenantIdOf[slug] = row.tenant_id;
  }

  // Custom roles: `clerk` in W; `bare` (no permissions) in every workspace.
  for (const ws of ['W', 'W2', 'WO', 'S', 'S2'] as const) {
    const roles = ws === 'W' ? ['clerk', 'bare'] : ['bare'];
    for (const name of roles) {
      const body = await support(
        {
          method: 'POST',
          url: '/api/v1/roles',
          headers: { ...liveOf(ownerOf[ws]).headers, 'x-workspace-id': idOf(ws) },
          payload: { name, display_name: name === 'bare' ? 'Bare' : 'Clerk', permissions: [...(CUSTOM_ROLES[name] ?? [])] },
        },
        201,
      );
      if (name === 'bare') bareRoleId[ws] = body.data.id;
    }
  }

  // Memberships of the workspace actors (straight into the table: the fixture must not depend
  // on the invitation routes under test), then their current workspace.
  for (const actor of ACTORS) {
    if (actor.credential !== 'session' || actor.sendsTo !== actor.issuedIn) continue;
    for (const [ws, role] of Object.entries(actor.memberships) as Array<[WsName, string]>) {
      if (role !== 'owner') await insertMembership(ws, liveOf(actor).userId ?? 0, role);
    }
    await restoreActor(actor);
  }
  // Their overrides, through the route under test (the owner may grant anything), as a fixture request.
  const setOverrides = async (actor: ActorFacts) => {
    for (const [ws, overrides] of Object.entries(actor.overrides ?? {}) as Array<[WsName, Overrides]>) {
      const body = await support(
        {
          method: 'PUT',
          url: `/api/v1/members/${liveOf(actor).userId}/permissions`,
          headers: { ...liveOf(ownerOf[ws]).headers, 'x-workspace-id': idOf(ws) },
          payload: { grant: [...overrides.grant], revoke: [...overrides.revoke] },
        },
        200,
      );
      expect({ grant: body.data.grant, revoke: body.data.revoke }).toEqual({ grant: [...overrides.grant].sort(), revoke: [...overrides.revoke].sort() });
    }
  };
  for (const actor of ACTORS) if (actor.credential === 'session' && actor.overrides) await setOverrides(actor);

  // The groups, through the API: each admin workspace's owner invites, the sub's owner accepts.
  for (const sub of ['S', 'S2'] as const) {
    const admin = ADMIN_OF[sub] as WsName;
    const invitation = await support(
      {
        method: 'POST',
        url: '/workspace-group-members',
        headers: { ...liveOf(ownerOf[admin]).headers, 'x-workspace-id': idOf(admin) },
        payload: { sub_workspace_id: wsId[sub] },
      },
      201,
    );
    const accepted = await support(
      {
        method: 'POST',
        url: `/api/v1/workspace-group-invitations/${invitation.data.id}/accept`,
        headers: { ...liveOf(ownerOf[sub]).headers, 'x-workspace-id': idOf(sub) },
      },
      200,
    );
    linkId[sub] = accepted.data.workspace_group_member_id;
  }

  await registerActor(bothAdmin);
  await insertMembership('W', liveOf(bothAdmin).userId ?? 0, 'admin');
  await insertMembership('W2', liveOf(bothAdmin).userId ?? 0, 'admin');

  // The key creator who is demoted after creating the key: an admin of W first.
  await registerActor(demoted);
  await insertMembership('W', liveOf(demoted).userId ?? 0, 'admin');

  // The key creator whose overrides revoke part of what the key was made with: an admin of W first.
  await registerActor(revokedCreator);
  await insertMembership('W', liveOf(revokedCreator).userId ?? 0, 'admin');

  // API keys, each made by its creator in its workspace with a subset of scopes.
  for (const actor of ACTORS) {
    if (!actor.key) continue;
    const { ws, scopes, creator } = actor.key;
    const headers = { ...liveOf(creator).headers, 'x-workspace-id': idOf(ws) };
    const body = await support({ method: 'POST', url: '/api/v1/api-keys', headers, payload: { name: actor.name, scopes } }, 201);
    live.set(actor, { headers: { ...tenantHeader(actor.sendsTo), authorization: `Bearer ${body.data.secret}` }, userId: liveOf(creator).userId });
    if (actor.name === revokedKey.name) {
      await support({ method: 'DELETE', url: `/api/v1/api-keys/${body.data.id}`, headers }, 200);
    }
  }
  // Now the demotion: the demoted admin's key keeps only what a viewer holds.
  await support(
    {
      method: 'PUT',
      url: `/api/v1/members/${liveOf(demoted).userId}`,
      headers: { ...liveOf(wOwner).headers, 'x-workspace-id': idOf('W') },
      payload: { role: 'viewer' },
    },
    200,
  );
  await restoreActor(demoted);
  // And the revoke overrides on the other creator: its key loses audit:view and invitations:view.
  await setOverrides(revokedCreator);
});

afterAll(async () => {
  const summary = [...tally].map(([outcome, statuses]) => `${outcome} → ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`);
  console.info(
    `authorization matrix (${t.database.engine}): ${matrixRequests} matrix requests, ${portalRequests} portal-code requests, ${supportRequests} fixture requests, ${throwaways} throwaways\n  ${summary.join('\n  ')}\n  acting as a sub workspace: ${[...actingTally].map(([o, n]) => `${o}×${n}`).join(', ')}`,
  );
  await t.close();
});

// ---------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------

describe('authorization matrix: the route registry', () => {
  it("declares, for every route, exactly the reviewed policy (a weaker or stronger one fails until the table agrees)", () => {
    const declared = Object.fromEntries(DECLARED.map((route) => [keyOf(route), route.policy]));
    expect(declared).toEqual(REVIEWED_POLICIES);
  });


  it('lists every route with a policy kind expected() knows and a request recipe', () => {
    expect(ROUTES.length).toBeGreaterThan(20);
    const problems: string[] = [];
    for (const route of ROUTES) {
      for (const ctx of contextsFor(route)) {
        try {
          expected(ACTORS[0] as ActorFacts, route, ctx);
        } catch (error) {
          problems.push(`${keyOf(route)}: ${(error as Error).message}`);
        }
      }
      if (!recipeFor(route)) problems.push(`${keyOf(route)}: no request recipe (add one to RECIPES)`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });
});

function familyOf(url: string): string {
  const surface = /^\/(api|web)\/v1\/([^/]+)/.exec(url);
  if (!surface) return 'system';
  return surface[1] === 'api' ? (surface[2] ?? '') : `web/v1 ${surface[2] ?? ''}`;
}

const families = [...new Set(ROUTES.map((route) => familyOf(route.url)))];

for (const family of families) {
  describe(`authorization matrix: ${family}`, () => {
    for (const route of ROUTES.filter((r) => familyOf(r.url) === family)) {
      it(`${keyOf(route)} — ${JSON.stringify(route.policy)}`, async () => {
        const recipe = recipeFor(route);
        if (!recipe) throw new Error(`no request recipe for ${keyOf(route)}: add one to RECIPES`);
        const failures: Failure[] = [];
        for (const ctx of contextsFor(route)) {
          for (const actor of ACTORS) {
            const row: Row = { actor, route, ctx, outcome: expected(actor, route, ctx) };
            const failure = await runRow(row, recipe);
            if (failure) failures.push(failure);
          }
        }
        expect(failures.map(describeFailure), `\n${failures.map(describeFailure).join('\n')}\n`).toEqual([]);
      });
    }
  });
}

describe('authorization matrix: coverage', () => {
  it('ran every kind of outcome, and allowed rows mostly succeeded outright', (context) => {
    if (matrixRequests === 0) context.skip('the matrix rows were filtered out');
    for (const outcome of ['ok', 'allowed', '400', '401', '403', '404', '409', '422']) {
      expect(tally.get(outcome)?.size ?? 0, `no row expected ${outcome}`).toBeGreaterThan(0);
    }
    const allowed = [...(tally.get('allowed') ?? new Map<number, number>())];
    const succeeded = allowed.filter(([status]) => status < 300).reduce((sum, [, n]) => sum + n, 0);
    const total = allowed.reduce((sum, [, n]) => sum + n, 0);
    expect(succeeded / total).toBeGreaterThan(0.8);
    expect(matrixRequests).toBeGreaterThan(500);
    for (const outcome of ['allowed', '403 AUTH.FORBIDDEN', '403 CONTEXT.ACTING_AS_FORBIDDEN', '404 WORKSPACE.NOT_FOUND']) {
      expect(actingTally.get(outcome) ?? 0, `no row acting as a sub workspace expected ${outcome}`).toBeGreaterThan(10);
    }
  });
});

// ---------------------------------------------------------------------------------------
// The portal access code: both tenants set one, then every route is sent again
// ---------------------------------------------------------------------------------------

const behindPortal = (route: RoutePolicyEntry) => route.url.startsWith('/web/v1/');

describe('authorization matrix: the portal access code', () => {
  const setCodes = async (codes: Record<TenantSlug, string | null>) => {
    for (const [slug, owner] of [['default', wOwner], ['other', otherUser]] as const) {
      const body = await support(
        { method: 'PATCH', url: '/api/v1/tenant', headers: liveOf(owner).headers, payload: { portal_access_code: codes[slug] } },
        200,
      );
      expect(body.data.portal_access_code_set).toBe(codes[slug] !== null);
    }
  };
  beforeAll(() => setCodes(PORTAL_CODES));
  afterAll(() => setCodes({ default: null, other: null }));

  const runPortalRows = async (route: RoutePolicyEntry, contexts: readonly Context[], codes: readonly PortalCode[]) => {
    const recipe = recipeFor(route);
    if (!recipe) throw new Error(`no request recipe for ${keyOf(route)}: add one to RECIPES`);
    const failures: Failure[] = [];
    for (const portal of codes) {
      for (const ctx of contexts) {
        for (const actor of ACTORS) {
          // Without the code, nothing but the tenant is judged: not the credential, the headers or the path.
          const refused = behindPortal(route) && portal !== 'own';
          const outcome: Outcome = refused ? { status: 403, code: 'PORTAL.ACCESS_DENIED' } : expected(actor, route, ctx);
          const failure = await runRow({ actor, route, ctx, outcome, portal }, recipe);
          if (failure) failures.push(failure);
        }
      }
    }
    return failures;
  };

  for (const route of ROUTES.filter(behindPortal)) {
    it(`${keyOf(route)}: without the tenant's code 403 PORTAL.ACCESS_DENIED for every actor in every context; with it, the matrix's outcome`, async () => {
      const failures = await runPortalRows(route, contextsFor(route), ['none', "other tenant's", 'own']);
      expect(failures.map(describeFailure), `\n${failures.map(describeFailure).join('\n')}\n`).toEqual([]);
    });
  }

  // Outside the portal surface the code is neither asked for nor looked at. The code belongs to
  // the surface, not to a context, so each route's first context is enough.
  it('leaves every route outside /web/v1 as it was, with or without a code sent', async () => {
    const failures: Failure[] = [];
    for (const route of ROUTES.filter((r) => !behindPortal(r))) {
      failures.push(...(await runPortalRows(route, contextsFor(route).slice(0, 1), ['none', "other tenant's"])));
    }
    expect(failures.map(describeFailure), `\n${failures.map(describeFailure).join('\n')}\n`).toEqual([]);
  }, 120_000);
});
