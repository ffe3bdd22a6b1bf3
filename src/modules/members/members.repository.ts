import { sql } from 'kysely';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { precompile } from '../../core/db/precompiled.ts';
import { lockClause } from '../../core/db/dialect.ts';

export interface MemberRecord {
  userId: number;
  name: string;
  email: string;
  role: string;
  addedAt: string;
}

function membersOf(db: Executor, workspaceId: number) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id as userId', 'u.name as name', 'u.email as email', 'm.role as role', 'm.created_at as addedAt'])
    .where('m.workspace_id', '=', workspaceId);
}

const memberPage = precompile((db: Db, page: { workspaceId: number; afterUserId: number; limit: number }) =>
  membersOf(db, page.workspaceId).where('m.user_id', '>', page.afterUserId).orderBy('m.user_id').limit(page.limit),
);

/** Keyset page on the (workspace_id, user_id) primary key: as fast on page 1 of 10 as of 10,000. */
export function listMembers(db: Db, workspaceId: number, afterUserId: number, limit: number): Promise<MemberRecord[]> {
  return memberPage(db, { workspaceId, afterUserId, limit });
}

/** Holds a membership row until the transaction ends (PostgreSQL; SQLite runs one writer at a time); false when there is none. */
export async function lockMembership(tx: Tx, workspaceId: number, userId: number): Promise<boolean> {
  const row = await tx
    .selectFrom('memberships')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .modifyEnd(lockClause(tx, 'update'))
    .executeTakeFirst();
  return row !== undefined;
}

export async function findMember(db: Executor, workspaceId: number, userId: number): Promise<MemberRecord | undefined> {
  return membersOf(db, workspaceId).where('m.user_id', '=', userId).executeTakeFirst();
}

/** False when the user already is a member (nothing is changed then). */
export async function insertMembership(
  tx: Tx,
  values: { workspaceId: number; userId: number; role: string; now: string },
): Promise<boolean> {
  const inserted = await tx
    .insertInto('memberships')
    .values({ workspace_id: values.workspaceId, user_id: values.userId, role: values.role, created_at: values.now, updated_at: values.now })
    .onConflict((conflict) => conflict.columns(['workspace_id', 'user_id']).doNothing())
    .returning('user_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Guarded: the owner's row never matches, so ownership changes only through transfer. */
export async function updateNonOwnerRole(tx: Tx, workspaceId: number, userId: number, role: string, now: string): Promise<boolean> {
  const result = await tx
    .updateTable('memberships')
    .set({ role, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('role', '<>', 'owner')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Guarded: the owner's row never matches. */
export async function deleteNonOwner(tx: Tx, workspaceId: number, userId: number): Promise<boolean> {
  const result = await tx
    .deleteFrom('memberships')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('role', '<>', 'owner')
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Moves the owner role from one member to another; false when `from` no longer owns it or `to` is not a member. */
export async function moveOwnership(tx: Tx, workspaceId: number, from: number, to: number, now: string): Promise<boolean> {
  // Demote first: the one-owner partial unique index would refuse a second owner.
  const demoted = await tx
    .updateTable('memberships')
    .set({ role: 'admin', updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', from)
    .where('role', '=', 'owner')
    .executeTakeFirst();
  if (demoted.numUpdatedRows === 0n) return false;
  const promoted = await tx
    .updateTable('memberships')
    .set({ role: 'owner', updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', to)
    .executeTakeFirst();
  return promoted.numUpdatedRows > 0n;
}

export async function reassignRole(tx: Tx, workspaceId: number, from: string, to: string, now: string): Promise<void> {
  await tx
    .updateTable('memberships')
    .set({ role: to, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', from)
    .execute();
}

export async function countOwnedWorkspaces(tx: Tx, userId: number): Promise<number> {
  const row = await tx
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('owned'))
    .where('user_id', '=', userId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.owned);
}

/** A member's overrides, each list sorted. */
export async function findOverrides(db: Executor, workspaceId: number, userId: number): Promise<{ grant: string[]; revoke: string[] }> {
  const rows = await db
    .selectFrom('member_permission_overrides')
    .select(['permission', 'effect'])
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .execute();
  // Sorted here, not by the database's collation, so a list compares equal to the same list sorted by the caller.
  const of = (effect: 'grant' | 'revoke') => rows.filter((row) => row.effect === effect).map((row) => row.permission).sort();
  return { grant: of('grant'), revoke: of('revoke') };
}

/** Sets a member's overrides to exactly these; the membership's foreign key refuses a user who is no member. */
export async function replaceOverrides(tx: Tx, workspaceId: number, userId: number, overrides: { grant: readonly string[]; revoke: readonly string[] }): Promise<void> {
  await deleteOverrides(tx, workspaceId, userId);
  const rows = [
    ...overrides.grant.map((permission) => ({ workspace_id: workspaceId, user_id: userId, permission, effect: 'grant' as const })),
    ...overrides.revoke.map((permission) => ({ workspace_id: workspaceId, user_id: userId, permission, effect: 'revoke' as const })),
  ];
  if (rows.length > 0) await tx.insertInto('member_permission_overrides').values(rows).execute();
}

export async function deleteOverrides(tx: Tx, workspaceId: number, userId: number): Promise<void> {
  await tx.deleteFrom('member_permission_overrides').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
}

export interface PermissionWhereQuery {
  tenantId: number;
  userId: number;
  permission: string;
  /** The built-in roles that grant it (the owner always does). */
  builtinRoles: readonly string[];
  /** Whether acting as a sub workspace may use it (not withheld then). */
  whenActingAs: boolean;
  /** Whether the user sees every workspace of the tenant read-only and the permission is a read. */
  everyWorkspace: boolean;
  afterId: number;
  limit: number;
}

export interface PermittedWorkspaceRow {
  id: number;
  bizId: string;
  name: string;
  slug: string;
  /** The user's role here, and whether it (with their overrides) grants the permission. */
  role: string | null;
  byMembership: boolean;
  /** The admin workspace of this sub workspace's group, and whether the user's standing there grants it. */
  adminWorkspaceId: number | null;
  adminRole: string | null;
  byAdminWorkspace: boolean;
}

/**
 * Whether membership `m` (its role `r`) holds the permission: the owner always; anyone else
 * when the role grants it (a built-in by the catalogue, a custom one by its rows) or an
 * override grants it, and no override revokes it.
 */
function holdsPermission(m: 'm' | 'am', r: 'r' | 'ar', query: PermissionWhereQuery) {
  const overridden = (effect: 'grant' | 'revoke') =>
    sql`exists (select 1 from member_permission_overrides o where o.workspace_id = ${sql.ref(`${m}.workspace_id`)} and o.user_id = ${sql.ref(`${m}.user_id`)} and o.permission = ${query.permission} and o.effect = ${effect})`;
  return sql<boolean>`(${sql.ref(`${m}.role`)} = 'owner' or ((
    (${sql.ref(`${r}.is_builtin`)} = 1 and ${sql.ref(`${r}.name`)} in (${sql.join(query.builtinRoles)}))
    or (${sql.ref(`${r}.is_builtin`)} = 0 and exists (select 1 from role_permissions p where p.role_id = ${sql.ref(`${r}.id`)} and p.permission = ${query.permission}))
    or ${overridden('grant')}
  ) and not ${overridden('revoke')}))`;
}

/**
 * The workspaces of the tenant where the user holds the permission, by id: through a
 * membership, through a membership of the admin workspace of a group the workspace is a sub
 * of, or, for a read, through seeing every workspace it is no member of. Unless it is the last, only the
 * user's own workspaces and their groups' sub workspaces are candidates (an index lookup,
 * not a scan of the tenant).
 */
export async function listWorkspacesWhere(db: Db, query: PermissionWhereQuery): Promise<PermittedWorkspaceRow[]> {
  const byMembership = sql<boolean>`(${sql.ref('m.user_id')} is not null and ${holdsPermission('m', 'r', query)})`;
  const byAdminWorkspace = query.whenActingAs ? sql<boolean>`(${sql.ref('am.user_id')} is not null and ${holdsPermission('am', 'ar', query)})` : sql<boolean>`(1 = 0)`;
  const rows = await db
    .selectFrom('workspaces as w')
    .leftJoin('memberships as m', (join) => join.onRef('m.workspace_id', '=', 'w.id').on('m.user_id', '=', query.userId))
    .leftJoin('roles as r', (join) => join.onRef('r.workspace_id', '=', 'm.workspace_id').onRef('r.name', '=', 'm.role'))
    .leftJoin('workspace_group_members as g', (join) => join.onRef('g.sub_workspace_id', '=', 'w.id').onRef('g.tenant_id', '=', 'w.tenant_id'))
    .leftJoin('memberships as am', (join) => join.onRef('am.workspace_id', '=', 'g.admin_workspace_id').on('am.user_id', '=', query.userId))
    .leftJoin('roles as ar', (join) => join.onRef('ar.workspace_id', '=', 'am.workspace_id').onRef('ar.name', '=', 'am.role'))
    .select([
      'w.id as id',
      'w.biz_id as bizId',
      'w.name as name',
      'w.slug as slug',
      'm.role as role',
      byMembership.as('byMembership'),
      'g.admin_workspace_id as adminWorkspaceId',
      'am.role as adminRole',
      byAdminWorkspace.as('byAdminWorkspace'),
    ])
    .where('w.tenant_id', '=', query.tenantId)
    .where('w.id', '>', query.afterId)
    .$if(!query.everyWorkspace, (qb) =>
      qb
        .where((eb) =>
          eb.or([
            eb('w.id', 'in', eb.selectFrom('memberships as um').select('um.workspace_id').where('um.user_id', '=', query.userId)),
            eb(
              'w.id',
              'in',
              eb
                .selectFrom('workspace_group_members as ug')
                .innerJoin('memberships as ua', 'ua.workspace_id', 'ug.admin_workspace_id')
                .select('ug.sub_workspace_id')
                .where('ua.user_id', '=', query.userId),
            ),
          ]),
        )
    )
    // Seeing every workspace is the read-only view of one the user is no member of: a member holds what their membership says.
    .where(query.everyWorkspace ? sql<boolean>`(${byMembership} or ${byAdminWorkspace} or ${sql.ref('m.user_id')} is null)` : sql<boolean>`(${byMembership} or ${byAdminWorkspace})`)
    .orderBy('w.id')
    .limit(query.limit)
    .execute();
  return rows.map((row) => ({ ...row, byMembership: Boolean(row.byMembership), byAdminWorkspace: Boolean(row.byAdminWorkspace) }));
}
