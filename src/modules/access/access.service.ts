import type { Catalogue } from '../../core/catalogue.ts';
import type { ContextLoader, Credential, LoadedAccess, WorkspaceTarget } from '../../core/auth/resolve-context.ts';
import { digestToken } from '../../core/auth/secrets.ts';
import { createVersionedCache, versionStamp, type CacheStats } from '../../core/cache/versioned-cache.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db } from '../../schema/database.ts';
import { tenantRowToTenant, tenantToContext } from '../tenants/tenants.service.ts';
import { isOwnerRole, NO_OVERRIDES, type PermissionOverrides, type RoleGrants, type RoleIdentity } from '../roles/roles.grants.ts';
import { changeMarkOf } from '../../core/db/dialect.ts';
import { currentAccessState, loadAccessRow, loadTenantRow, type AccessState } from './access.repository.ts';

const splitList = (list: string | null) => (list ? list.split(',') : []);

/** `+a,-b` (see the access query) as a member's overrides. */
function overridesOf(list: string | null): PermissionOverrides {
  if (!list) return NO_OVERRIDES;
  const marked = list.split(',');
  return {
    grant: marked.filter((entry) => entry.startsWith('+')).map((entry) => entry.slice(1)),
    revoke: marked.filter((entry) => entry.startsWith('-')).map((entry) => entry.slice(1)),
  };
}

/** A loaded context, and until when its session or key lives (ms since the epoch). */
interface CachedAccess {
  loaded: LoadedAccess;
  liveUntil: number;
}

/**
 * The data versions a context was read at: the tenant's (which group links move too), its
 * workspace's, the admin workspace's it acts from, and its user's (a session's).
 */
const stampOf = (loaded: LoadedAccess) =>
  versionStamp(
    loaded.tenant.dataVersion,
    loaded.workspace?.dataVersion,
    loaded.workspace?.actingFrom?.dataVersion,
    loaded.actor?.kind === 'user' ? loaded.actor.dataVersion : undefined,
  );

/**
 * Implements the core's ContextLoader: who is asking, in which workspace, with which
 * role, overrides and location access. A context is kept per credential and target, and answers only while the data
 * versions it was read at are unchanged: the tenant's (keys, users, workspaces, the
 * tenant itself, owners), its workspace's (memberships, roles, permissions there) and, for
 * a session, its user's (their memberships). A change shows on the next request in every
 * process, and a change in one workspace leaves the contexts of the others alone. A
 * session's own state moves no version (sign-ins and refreshes are the busiest writes of a
 * tenant): a session context also checks, in the same one-statement read, that the session
 * still lives and that the user's current and default workspace are the ones it was loaded
 * with. A key's context answers until the key expires.
 */
export function createContextLoader(deps: {
  db: Db;
  clock: Clock;
  catalogue: Catalogue;
  grants: RoleGrants;
  cacheEntries: number;
  onApiKeyUsed: (apiKeyId: number) => void;
}): ContextLoader & { cacheStats: () => CacheStats } {
  const contexts = createVersionedCache<CachedAccess>(deps.cacheEntries);
  // On SQLite, what a context was last checked against, and the database's change mark then:
  // while nothing at all was committed since, the same statement would read the same row.
  // The time it compares with matters only for the session's expiry, which liveUntil already checks.
  const changeMark = changeMarkOf(deps.db);
  const checkedStates = new WeakMap<CachedAccess, { mark: string; state: AccessState }>();
  /** A member's permissions (role with overrides) and location access; the owner is never restricted. */
  const membershipOf = (role: RoleIdentity, storedList: string | null, overridesList: string | null, locations: { restricted: boolean; list: string | null }) => ({
    role: role.name,
    permissions: deps.grants.withOverrides(role, deps.grants.ofStoredRole(role, splitList(storedList)), overridesOf(overridesList)),
    locations: locations.restricted && !isOwnerRole(role) ? splitList(locations.list).map(Number) : null,
  });

  async function fromCache(slug: string, key: string, credential: Credential, now: Date): Promise<LoadedAccess | undefined> {
    const cached = contexts.peek(key);
    if (!cached) return undefined;
    const { loaded, liveUntil } = cached.value;
    if (now.getTime() >= liveUntil) return undefined;
    const { actor } = loaded;
    const session = credential.kind === 'session' && actor?.kind === 'user' ? { claims: credential.claims, actor } : undefined;
    // Read before the state, so a commit between the two makes the next mark differ.
    const mark = changeMark?.();
    const checked = checkedStates.get(cached.value);
    let state = mark !== undefined && checked?.mark === mark ? checked.state : undefined;
    if (!state) {
      state = await currentAccessState(deps.db, {
        slug,
        sessionId: session?.claims.sessionId ?? 0,
        userId: session?.claims.userId ?? 0,
        now: now.toISOString(),
        workspaceId: loaded.workspace?.id ?? 0,
        adminWorkspaceId: loaded.workspace?.actingFrom?.id ?? 0,
      });
      if (!state) return undefined;
      if (mark !== undefined) checkedStates.set(cached.value, { mark, state });
    }
    const live = versionStamp(state.version, state.workspace_version, state.admin_workspace_version, session ? state.user_version : undefined);
    if (live !== cached.version) return undefined;
    // A session's liveness and the user's workspace pointers move no version: they are read here, live.
    const unchanged =
      !session ||
      (state.live_session_id !== null &&
        state.current_workspace_id === session.actor.profile.currentWorkspaceId &&
        state.default_workspace_id === session.actor.profile.defaultWorkspaceId);
    if (!unchanged) return undefined;
    // Record versions move with every stock movement, and with no version of the context's:
    // read live, and the context kept again with the newest, so the requests until the next
    // movement share one object (admission computes a context's permissions once per object).
    const recordVersions = state.record_versions ?? '';
    if (!loaded.workspace || loaded.workspace.recordVersions === recordVersions) return loaded;
    const current = { loaded: { ...loaded, workspace: { ...loaded.workspace, recordVersions } }, liveUntil };
    contexts.set(key, cached.version, current);
    if (mark !== undefined) checkedStates.set(current, { mark, state });
    return current.loaded;
  }

  return {
    async findTenant(slug) {
      const row = await loadTenantRow(deps.db, slug);
      if (!row) return undefined;
      const { data_version, ...tenantRow } = row;
      return tenantToContext(tenantRowToTenant(tenantRow), data_version);
    },

    async load(slug, credential, target) {
      const now = deps.clock.now();
      const apiKeyHash = credential.kind === 'api_key' ? digestToken(credential.secret) : '';
      const key = cacheKey(slug, credential, apiKeyHash, target);
      const cached = await fromCache(slug, key, credential, now);
      contexts.counted(cached !== undefined);
      if (cached) {
        if (cached.actor?.kind === 'api_key') deps.onApiKeyUsed(cached.actor.apiKeyId);
        return cached;
      }

      const row = await loadAccessRow(deps.db, {
        slug,
        now: now.toISOString(),
        sessionId: credential.kind === 'session' ? credential.claims.sessionId : 0,
        sessionUserId: credential.kind === 'session' ? credential.claims.userId : 0,
        apiKeyHash,
        workspaceId: target.kind === 'id' ? target.id : target.kind === 'current' ? null : 0,
        workspaceBizId: target.kind === 'biz_id' ? target.bizId : '',
        workspaceSlug: target.kind === 'slug' ? target.slug : '',
        subWorkspaceId: target.kind === 'sub' ? target.id : 0,
      });
      if (!row) return undefined;
      const {
        data_version,
        session_id,
        session_expires_at,
        api_key_expires_at,
        api_key_id,
        api_key_workspace_id,
        user_id,
        user_tenant_role,
        user_name,
        user_email,
        user_created_at,
        user_email_verified_at,
        user_locale,
        user_totp_enabled_at,
        user_current_workspace_id,
        user_default_workspace_id,
        user_data_version,
        workspace_id,
        workspace_data_version,
        workspace_biz_id,
        workspace_slug,
        workspace_name,
        admin_workspace_id,
        admin_workspace_data_version,
        member_role,
        role_is_builtin,
        role_permissions,
        member_overrides,
        member_locations_restricted,
        member_locations,
        api_key_scopes,
        record_versions,
        ...tenantRow
      } = row;
      const tenant = tenantToContext(tenantRowToTenant(tenantRow), data_version);

      let actor: LoadedAccess['actor'];
      if (user_id !== null && user_tenant_role !== null) {
        if (
          credential.kind === 'session' &&
          session_id !== null &&
          user_name !== null &&
          user_email !== null &&
          user_created_at !== null &&
          user_data_version !== null
        ) {
          const profile = {
            name: user_name,
            email: user_email,
            createdAt: user_created_at,
            emailVerified: user_email_verified_at !== null,
            locale: user_locale,
            mfaEnabled: user_totp_enabled_at !== null,
            currentWorkspaceId: user_current_workspace_id,
            defaultWorkspaceId: user_default_workspace_id,
          };
          actor = {
            kind: 'user',
            userId: user_id,
            sessionId: session_id,
            tenantRole: user_tenant_role,
            profile,
            dataVersion: user_data_version,
          };
        } else if (credential.kind === 'api_key' && api_key_id !== null) {
          actor = { kind: 'api_key', apiKeyId: api_key_id, userId: user_id, tenantRole: user_tenant_role };
          deps.onApiKeyUsed(api_key_id);
        }
      }

      const workspace =
        workspace_id !== null && workspace_biz_id !== null && workspace_slug !== null && workspace_name !== null && workspace_data_version !== null
          ? {
              id: workspace_id,
              bizId: workspace_biz_id,
              slug: workspace_slug,
              name: workspace_name,
              dataVersion: workspace_data_version,
              recordVersions: record_versions ?? '',
              ...(admin_workspace_id !== null && admin_workspace_data_version !== null
                ? { actingFrom: { id: admin_workspace_id, dataVersion: admin_workspace_data_version } }
                : {}),
              membership:
                member_role === null
                  ? null
                  : membershipOf({ name: member_role, isBuiltin: role_is_builtin === 1 }, role_permissions, member_overrides, {
                      restricted: member_locations_restricted !== null,
                      list: member_locations,
                    }),
            }
          : undefined;

      const apiKey =
        actor?.kind === 'api_key' && api_key_workspace_id !== null
          ? { workspaceId: api_key_workspace_id, scopes: splitList(api_key_scopes).filter((scope) => deps.catalogue.isWorkspacePermission(scope)) }
          : undefined;
      const loaded: LoadedAccess = { tenant, actor, workspace, ...(apiKey ? { apiKey } : {}) };
      // Only a live actor's context is kept: a dead credential is rare, and answered by the full read.
      if (actor) {
        const expiries = [session_expires_at, api_key_expires_at].filter((at) => at !== null).map((at) => Date.parse(at));
        contexts.set(key, stampOf(loaded), { loaded, liveUntil: Math.min(Infinity, ...expiries) });
      }
      return loaded;
    },

    cacheStats: () => contexts.stats(),
  };
}

/** The credential (a session by its ids, a key by its digest, never the secret itself) and the workspace asked for. */
function cacheKey(slug: string, credential: Credential, apiKeyHash: string, target: WorkspaceTarget): string {
  const who = credential.kind === 'session' ? `s:${credential.claims.sessionId}:${credential.claims.userId}` : `k:${apiKeyHash}`;
  return `${slug} ${who} ${targetKey(target)}`;
}

function targetKey(target: WorkspaceTarget): string {
  switch (target.kind) {
    case 'id':
      return String(target.id);
    case 'sub':
      return `sub:${target.id}`;
    case 'biz_id':
      return `biz:${target.bizId}`;
    case 'slug':
      return `slug:${target.slug}`;
    case 'current':
    case 'none':
      return target.kind;
  }
}
