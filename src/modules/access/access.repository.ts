import { sql, type JoinBuilder, type RawBuilder } from 'kysely';
import type { Db } from '../../schema/database.ts';
import { precompile } from '../../core/db/precompiled.ts';
import { engineOf, joinedList, type Engine } from '../../core/db/dialect.ts';

export type AccessQuery = {
  slug: string;
  now: string;
  /** A session's ids, or zeros when the credential is an API key. */
  sessionId: number;
  sessionUserId: number;
  /** An API key's digest, or '' when the credential is a session. */
  apiKeyHash: string;
  /** The workspace asked for; null means the user's current one, 0 means none. */
  workspaceId: number | null;
  /** The workspace asked for by its `biz_id` (seed 003's paths), or '' (then `workspaceId` decides). */
  workspaceBizId: string;
  /** The workspace asked for by its slug (seed 002's paths), or '' (no slug is empty). */
  workspaceSlug: string;
  /** A sub workspace acted as (`x-as-workspace`), or 0: the membership that counts is then the one in its admin workspace. */
  subWorkspaceId: number;
};

/**
 * The request context in one statement: the tenant by slug; the actor through a live
 * session or a live API key (never both: the other side's parameters match nothing);
 * the user, enabled; the workspace (a sub workspace acted as, else the key's own, else the
 * one asked for by `biz_id`, slug or id, else the user's current one); for a sub workspace, its group link and
 * admin workspace; the actor's membership (in the admin workspace when acting as a sub)
 * with its role's stored permissions, the member's overrides and location access; the key's scopes; and the data versions, read in
 * the same snapshot.
 */
/** Tenant `t`'s data version: the sum of its shards (migration 0004). */
const dataVersionOfT = sql<number>`(select cast(coalesce(sum(v.version), 0) as bigint) from tenant_data_versions v where v.tenant_id = ${sql.ref('t.id')})`;

/**
 * A workspace's record versions (migration 0018) as one list, `items=3,stock=17`: read with
 * the context, before any page, for the record-page caches (core/cache/record-pages.ts).
 */
function recordVersionsOf(engine: Engine, workspaceId: RawBuilder<unknown> | number) {
  const scopeVersion = joinedList(engine, sql`rv.scope || '=' || cast(rv.version as text)`);
  return sql<string | null>`(select ${scopeVersion} from workspace_record_versions rv where rv.workspace_id = ${workspaceId})`;
}

/** Session `s` of tenant `t`, by its ids, only while it lives (not revoked, not expired). */
function liveSession<DB, TB extends keyof DB>(
  join: JoinBuilder<DB, TB>,
  session: { sessionId: number; userId: number; now: string },
): JoinBuilder<DB, TB> {
  return join
    .on(sql.ref('s.tenant_id'), '=', sql.ref('t.id'))
    .on(sql.ref('s.id'), '=', session.sessionId)
    .on(sql.ref('s.user_id'), '=', session.userId)
    .on(sql.ref('s.revoked_at'), 'is', null)
    .on(sql.ref('s.expires_at'), '>', session.now);
}

const accessRows = precompile((db: Db, query: AccessQuery) => {
  const engine = engineOf(db);
  return db
    .selectFrom('tenants as t')
    .leftJoin('sessions as s', (join) => liveSession(join, { sessionId: query.sessionId, userId: query.sessionUserId, now: query.now }))
    .leftJoin('api_keys as k', (join) =>
      join
        .onRef('k.tenant_id', '=', 't.id')
        .on('k.key_hash', '=', query.apiKeyHash)
        .on('k.revoked_at', 'is', null)
        .on((eb) => eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', query.now)])),
    )
    .leftJoin('users as u', (join) =>
      join
        .on((eb) => eb('u.id', '=', eb.fn.coalesce('s.user_id', 'k.created_by')))
        .on('u.disabled_at', 'is', null),
    )
    .leftJoin('workspaces as w', (join) =>
      join
        .onRef('w.tenant_id', '=', 't.id')
        .on((eb) =>
          eb(
            'w.id',
            '=',
            eb.fn.coalesce(
              sql<number | null>`nullif(${query.subWorkspaceId}, 0)`,
              'k.workspace_id',
              // Two lookups, each by its unique index (an OR of both would read the tenant's workspaces).
              eb.fn.coalesce(
                eb.selectFrom('workspaces as wb').select('wb.id').whereRef('wb.tenant_id', '=', 't.id').where('wb.biz_id', '=', query.workspaceBizId),
                eb.selectFrom('workspaces as ws').select('ws.id').whereRef('ws.tenant_id', '=', 't.id').where('ws.slug', '=', query.workspaceSlug),
              ),
              sql<number | null>`${query.workspaceId}`,
              'u.current_workspace_id',
            ),
          ),
        ),
    )
    .leftJoin('workspace_group_members as g', (join) => join.onRef('g.tenant_id', '=', 't.id').on('g.sub_workspace_id', '=', query.subWorkspaceId))
    .leftJoin('workspace_data_versions as wv', 'wv.workspace_id', 'w.id')
    .leftJoin('workspace_data_versions as av', 'av.workspace_id', 'g.admin_workspace_id')
    .leftJoin('user_data_versions as uv', 'uv.user_id', 'u.id')
    .leftJoin('memberships as m', (join) =>
      join.on((eb) => eb('m.workspace_id', '=', eb.fn.coalesce('g.admin_workspace_id', 'w.id'))).onRef('m.user_id', '=', 'u.id'),
    )
    .leftJoin('roles as r', (join) => join.onRef('r.workspace_id', '=', 'm.workspace_id').onRef('r.name', '=', 'm.role'))
    .selectAll('t')
    .select((eb) => [
      dataVersionOfT.as('data_version'),
      's.id as session_id',
      's.expires_at as session_expires_at',
      'k.expires_at as api_key_expires_at',
      'k.id as api_key_id',
      'k.workspace_id as api_key_workspace_id',
      'u.id as user_id',
      'u.tenant_role as user_tenant_role',
      'u.name as user_name',
      'u.email as user_email',
      'u.created_at as user_created_at',
      'u.email_verified_at as user_email_verified_at',
      'u.locale as user_locale',
      'u.totp_enabled_at as user_totp_enabled_at',
      'u.current_workspace_id as user_current_workspace_id',
      'u.default_workspace_id as user_default_workspace_id',
      'uv.version as user_data_version',
      'w.id as workspace_id',
      'wv.version as workspace_data_version',
      'w.biz_id as workspace_biz_id',
      'w.slug as workspace_slug',
      'w.name as workspace_name',
      'g.admin_workspace_id as admin_workspace_id',
      'av.version as admin_workspace_data_version',
      'm.role as member_role',
      'r.is_builtin as role_is_builtin',
      eb
        .selectFrom('role_permissions as rp')
        .select(joinedList(engine, sql.ref('rp.permission')).as('list'))
        .whereRef('rp.role_id', '=', 'r.id')
        .as('role_permissions'),
      // The membership's overrides as one list, each marked with its effect: `+items:create,-members:view`.
      eb
        .selectFrom('member_permission_overrides as mo')
        .select(joinedList(engine, sql`(case when ${sql.ref('mo.effect')} = 'grant' then '+' else '-' end) || ${sql.ref('mo.permission')}`).as('list'))
        .whereRef('mo.workspace_id', '=', 'm.workspace_id')
        .whereRef('mo.user_id', '=', 'm.user_id')
        .as('member_overrides'),
      // Location access: whether the membership is restricted, and to which locations (none listed: none).
      eb
        .selectFrom('member_location_restrictions as mr')
        .select(sql<number>`1`.as('restricted'))
        .whereRef('mr.workspace_id', '=', 'm.workspace_id')
        .whereRef('mr.user_id', '=', 'm.user_id')
        .as('member_locations_restricted'),
      eb
        .selectFrom('member_locations as ml')
        .select(joinedList(engine, sql`cast(${sql.ref('ml.location_id')} as text)`).as('list'))
        .whereRef('ml.workspace_id', '=', 'm.workspace_id')
        .whereRef('ml.user_id', '=', 'm.user_id')
        .as('member_locations'),
      eb
        .selectFrom('api_key_scopes as ks')
        .select(joinedList(engine, sql.ref('ks.permission')).as('list'))
        .whereRef('ks.api_key_id', '=', 'k.id')
        .as('api_key_scopes'),
      recordVersionsOf(engine, sql.ref('w.id')).as('record_versions'),
    ])
    .where('t.slug', '=', query.slug);
});

export async function loadAccessRow(db: Db, query: AccessQuery) {
  return (await accessRows(db, query))[0];
}

/** The tenant with its data version, for requests that carry no credential. */
const tenantRows = precompile((db: Db, query: { slug: string }) =>
  db
    .selectFrom('tenants as t')
    .selectAll('t')
    .select(dataVersionOfT.as('data_version'))
    .where('t.slug', '=', query.slug),
);

export async function loadTenantRow(db: Db, slug: string) {
  return (await tenantRows(db, { slug }))[0];
}

/** What a cached context is checked against: see `currentAccessState`. */
export type AccessStateQuery = {
  slug: string;
  sessionId: number;
  userId: number;
  now: string;
  workspaceId: number;
  /** The admin workspace of a context acting as a sub workspace, or 0. */
  adminWorkspaceId: number;
};

/**
 * What a cached context is checked against on every request, in one statement: the
 * tenant's version, the versions of the workspace the context was loaded in and of the
 * admin workspace it acts from, and for a session, whether it still lives, the user's
 * version and workspace pointers (none of which move the tenant's version: migrations 0007
 * and 0008). An API key passes zeros for the session, which then matches nothing.
 */
const accessStateRows = precompile(
  (db: Db, query: AccessStateQuery) =>
    db
      .selectFrom('tenants as t')
      .leftJoin('sessions as s', (join) => liveSession(join, query))
      .leftJoin('users as u', 'u.id', 's.user_id')
      .leftJoin('user_data_versions as uv', 'uv.user_id', 's.user_id')
      .leftJoin('workspace_data_versions as wv', (join) => join.on('wv.workspace_id', '=', query.workspaceId))
      .leftJoin('workspace_data_versions as av', (join) => join.on('av.workspace_id', '=', query.adminWorkspaceId))
      .select([
        dataVersionOfT.as('version'),
        'wv.version as workspace_version',
        'av.version as admin_workspace_version',
        's.id as live_session_id',
        'uv.version as user_version',
        'u.current_workspace_id as current_workspace_id',
        'u.default_workspace_id as default_workspace_id',
        recordVersionsOf(engineOf(db), query.workspaceId).as('record_versions'),
      ])
      .where('t.slug', '=', query.slug),
);

export type AccessState = Awaited<ReturnType<typeof accessStateRows>>[number];

export async function currentAccessState(db: Db, query: AccessStateQuery): Promise<AccessState | undefined> {
  return (await accessStateRows(db, query))[0];
}
