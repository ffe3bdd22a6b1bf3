import { firstMissing, tenantRoleGrants } from '../../core/auth/permissions.ts';
import type { InWorkspaceContext, UserContext } from '../../core/auth/request-context.ts';
import { BUILTIN_ROLE_NAMES, type Catalogue, type WorkspacePermission } from '../../core/catalogue.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { createVersionedCache, readThrough, versionStamp } from '../../core/cache/versioned-cache.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { isForeignKeyViolation, lockRow } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { AppError } from '../../core/errors.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { revokeKeysOfMember } from '../api-keys/api-keys.service.ts';
import { forgetWorkspaceForUser } from '../identity/identity.service.ts';
import { consumeAllowance, releaseAllowance } from '../plans/plans.service.ts';
import { isOwnerRole, NO_OVERRIDES, type PermissionOverrides, type RoleGrants, type Template } from '../roles/roles.grants.ts';
import type { AccessProfile, ExplainedPermissions, MemberPermissions, OverridesBody, PermissionSource, PermittedWorkspace, WithheldReason } from './members.schemas.ts';
import { deleteLocationAccess } from './member-locations.repository.ts';
import * as repository from './members.repository.ts';

export type { MemberRecord } from './members.repository.ts';

// Transaction steps other modules' services compose into their own transactions.

/**
 * Every path that adds a member comes here, so each counts against the plan's `users`
 * limit (402 past it). False, counting nothing, when the user already is a member: the
 * membership's primary key decides, so a twin request cannot add a second one.
 */
export async function addMember(tx: Tx, workspaceId: number, userId: number, role: string, now: string): Promise<boolean> {
  if (!(await repository.insertMembership(tx, { workspaceId, userId, role, now }))) return false;
  await consumeAllowance(tx, workspaceId, 'users');
  return true;
}

/** Removes a member who is not the owner, giving their place back; false for the owner. */
async function removeNonOwner(tx: Tx, workspaceId: number, userId: number): Promise<boolean> {
  if (!(await repository.deleteNonOwner(tx, workspaceId, userId))) return false;
  await releaseAllowance(tx, workspaceId, 'users');
  return true;
}

export async function reassignMembersRole(tx: Tx, workspaceId: number, from: string, to: string, now: string): Promise<void> {
  await repository.reassignRole(tx, workspaceId, from, to, now);
}

export function countOwnedWorkspaces(tx: Tx, userId: number): Promise<number> {
  return repository.countOwnedWorkspaces(tx, userId);
}

/** A member's standing: their role as a template, their overrides, and what they hold with both. */
export interface Standing {
  member: repository.MemberRecord;
  template: Template;
  overrides: PermissionOverrides;
  holds: readonly WorkspacePermission[];
}

/** Undefined when the user is not a member (or their role went with a racing deletion). */
export async function standingOf(grants: RoleGrants, executor: Executor, workspaceId: number, userId: number): Promise<Standing | undefined> {
  const member = await repository.findMember(executor, workspaceId, userId);
  const template = member && (await grants.template(executor, workspaceId, member.role));
  if (!member || !template) return undefined;
  const overrides = isOwnerRole(template) ? NO_OVERRIDES : await repository.findOverrides(executor, workspaceId, userId);
  return { member, template, overrides, holds: grants.withOverrides(template, template.permissions, overrides) };
}

/** What a member may do in a workspace now, overrides included; undefined when the user is not a member. */
export async function permissionsOfMember(grants: RoleGrants, executor: Executor, workspaceId: number, userId: number) {
  return (await standingOf(grants, executor, workspaceId, userId))?.holds;
}

/**
 * Seed 002's profile of a standing (see `AccessProfile`); a caller who is no member (a tenant
 * owner or admin reading every workspace) has none of it.
 */
export function accessProfileOf(standing: Standing | undefined): AccessProfile {
  if (!standing) {
    return { builtin_template_key: null, custom_template_id: null, custom_template_name: null, override_count: 0, permissions_managed: false, legacy_unrestricted: false };
  }
  const { template, overrides } = standing;
  const overrideCount = overrides.grant.length + overrides.revoke.length;
  const owner = isOwnerRole(template);
  return {
    builtin_template_key: template.isBuiltin ? template.name : null,
    custom_template_id: template.isBuiltin ? null : template.id,
    custom_template_name: template.isBuiltin ? null : template.displayName,
    override_count: overrideCount,
    permissions_managed: !owner && !(template.isBuiltin && template.name === 'admin' && overrideCount === 0),
    legacy_unrestricted: owner,
  };
}

/** A role deleted while it is being granted: the foreign key refuses, and the answer is the one a missing role gets. */
async function updateRoleOf(tx: Tx, workspaceId: number, userId: number, role: string, now: string): Promise<boolean> {
  try {
    return await repository.updateNonOwnerRole(tx, workspaceId, userId, role, now);
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new AppError('VALIDATION.FAILED', { role: 'no such role in this workspace' });
    throw error;
  }
}

/** 403 naming the first permission the caller lacks: nobody grants, or changes someone who holds, more than they hold. */
function requireHeld(callerHolds: ReadonlySet<WorkspacePermission>, permissions: Iterable<string>): void {
  const missing = firstMissing(callerHolds, permissions);
  if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
}

/** The member and the caller, as the manager of that member sees them inside the transaction. */
interface ManagedMember {
  target: Standing;
  callerHolds: ReadonlySet<WorkspacePermission>;
}

const sameOverrides = (a: PermissionOverrides, b: PermissionOverrides) =>
  a.grant.join(',') === b.grant.join(',') && a.revoke.join(',') === b.revoke.join(',');

/**
 * The target member, held, once the caller is found to hold what the route asks (`asking`)
 * and everything the target holds.
 * The caller's context was read before this transaction, so their own membership (here,
 * or in the admin workspace they act from) is held too and read again: a change to the
 * caller that commits first counts, on PostgreSQL where two managers may change each other
 * at once. Rows are taken in (workspace, user) order, so two such changes never deadlock.
 * Held, role changes, overrides and removal of one member decide one after the other.
 */
export async function requireManageableMember(
  grants: RoleGrants,
  tx: Tx,
  ctx: InWorkspaceContext,
  userId: number,
  asking: WorkspacePermission,
): Promise<ManagedMember> {
  const callerRow = { workspaceId: ctx.workspace.actingFrom?.id ?? ctx.workspace.id, userId: ctx.actor.userId };
  const targetRow = { workspaceId: ctx.workspace.id, userId };
  const rows = [callerRow, targetRow].sort((a, b) => a.workspaceId - b.workspaceId || a.userId - b.userId);
  const held = new Map<typeof callerRow, boolean>();
  for (const row of rows) held.set(row, await repository.lockMembership(tx, row.workspaceId, row.userId));
  if (!held.get(targetRow)) throw new AppError('MEMBER.NOT_FOUND');
  const callerNow = held.get(callerRow) ? await standingOf(grants, tx, callerRow.workspaceId, callerRow.userId) : undefined;
  const stillHeld = new Set(callerNow?.holds ?? []);
  const callerHolds = new Set([...ctx.workspace.permissions].filter((permission) => stillHeld.has(permission)));
  requireHeld(callerHolds, [asking]);
  const target = await standingOf(grants, tx, ctx.workspace.id, userId);
  if (!target) throw new AppError('MEMBER.NOT_FOUND');
  if (isOwnerRole(target.template)) throw new AppError('MEMBER.IS_OWNER');
  requireHeld(callerHolds, target.holds);
  return { target, callerHolds };
}

export type MembersService = ReturnType<typeof createMembersService>;

export function createMembersService(deps: { db: Db; clock: Clock; catalogue: Catalogue; grants: RoleGrants; readCacheEntries: number }) {
  const { db, clock, catalogue, grants } = deps;
  const pages = createVersionedCache<Page<repository.MemberRecord>>(deps.readCacheEntries);

  function permissionsView(ctx: InWorkspaceContext, standing: Standing): MemberPermissions {
    return {
      user_id: standing.member.userId,
      workspace_id: ctx.workspace.id,
      role: standing.template.name,
      template_version: standing.template.version,
      profile: accessProfileOf(standing),
      grant: [...standing.overrides.grant],
      revoke: [...standing.overrides.revoke],
      permissions: [...standing.holds],
    };
  }

  return {
    /** The list-page cache's hits and misses, for GET /metrics. */
    cacheStats: () => pages.stats(),

    /** How many workspace permissions the composed areas declare: the bound on an override list. */
    permissionCount: catalogue.permissions.size,

    list(ctx: InWorkspaceContext, query: { limit: number; cursor?: string }): Promise<Page<repository.MemberRecord>> {
      const afterId = decodeCursor(query.cursor);
      const key = `${ctx.tenant.id} ${ctx.workspace.id} ${afterId} ${query.limit}`;
      // Memberships of this workspace (its version) and their users' names (the tenant's).
      return readThrough(pages, key, versionStamp(ctx.tenant.dataVersion, ctx.workspace.dataVersion), async () => {
        const rows = await repository.listMembers(db, ctx.workspace.id, afterId, query.limit + 1);
        return toPage(rows, query.limit, (row) => row.userId);
      });
    },

    /** Nobody grants a role whose permissions they lack, nor changes someone who holds more. */
    async changeRole(ctx: InWorkspaceContext, userId: number, role: string): Promise<void> {
      if (role === 'owner') throw new AppError('ROLE.OWNER_BY_TRANSFER');
      // Acting as a sub workspace one is also a member of, a raise of one's own role there would outlive the link.
      if (userId === ctx.actor.userId) throw new AppError('AUTH.FORBIDDEN', { reason: 'cannot_change_own_role' });
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        const { target, callerHolds } = await requireManageableMember(grants, tx, ctx, userId, 'members:manage');
        const { member, overrides } = target;
        const template = await grants.template(tx, ctx.workspace.id, role);
        if (!template) throw new AppError('VALIDATION.FAILED', { role: 'no such role in this workspace' });
        // The member keeps their overrides: what they will hold is the new role with them.
        requireHeld(callerHolds, template.permissions);
        requireHeld(callerHolds, grants.withOverrides(template, template.permissions, overrides));
        if (!(await updateRoleOf(tx, ctx.workspace.id, userId, role, now))) throw new AppError('MEMBER.IS_OWNER');
        await recordAudit(tx, ctx, {
          action: 'member.role_changed',
          targetType: 'user',
          targetId: userId,
          workspaceId: ctx.workspace.id,
          details: { from: member.role, to: role },
          at: now,
        });
      });
    },

    /** A member's role, overrides and what they hold with both. */
    async permissionsOf(ctx: InWorkspaceContext, userId: number): Promise<MemberPermissions> {
      const standing = await standingOf(grants, db, ctx.workspace.id, userId);
      if (!standing) throw new AppError('MEMBER.NOT_FOUND');
      return permissionsView(ctx, standing);
    },

    /**
     * Replaces a member's overrides. Nobody changes their own, nor the owner's (who holds
     * everything), nor those of a member who holds something they lack, before or after the
     * change: a grant of what the caller lacks is refused, and so is taking back a revoke of
     * it where the role or a grant would then give it.
     */
    async setOverrides(ctx: InWorkspaceContext, userId: number, input: OverridesBody): Promise<MemberPermissions> {
      if (userId === ctx.actor.userId) throw new AppError('AUTH.FORBIDDEN', { reason: 'cannot_change_own_permissions' });
      const wanted = { grant: [...(input.grant ?? [])].sort(), revoke: [...(input.revoke ?? [])].sort() };
      const unknown: Record<string, string> = {};
      for (const [effect, permissions] of Object.entries(wanted)) {
        const named = permissions.filter((permission) => !catalogue.isWorkspacePermission(permission));
        if (named.length > 0) unknown[effect] = `unknown permissions: ${named.join(', ')}`;
      }
      if (Object.keys(unknown).length > 0) throw new AppError('VALIDATION.FAILED', unknown);
      const both = wanted.grant.filter((permission) => wanted.revoke.includes(permission));
      if (both.length > 0) throw new AppError('VALIDATION.FAILED', { revoke: `granted and revoked at once: ${both.join(', ')}` });
      const now = clock.now().toISOString();
      return inTransaction(db, async (tx) => {
        const { target: standing, callerHolds } = await requireManageableMember(grants, tx, ctx, userId, 'members:manage');
        const holds = grants.withOverrides(standing.template, standing.template.permissions, wanted);
        requireHeld(callerHolds, holds);
        if (sameOverrides(standing.overrides, wanted)) return permissionsView(ctx, standing);
        await repository.replaceOverrides(tx, ctx.workspace.id, userId, wanted);
        const before = new Set(standing.holds);
        const after = new Set(holds);
        await recordAudit(tx, ctx, {
          action: 'member.permissions_changed',
          targetType: 'user',
          targetId: userId,
          workspaceId: ctx.workspace.id,
          details: {
            role: standing.template.name,
            before: standing.overrides,
            after: wanted,
            gained: holds.filter((permission) => !before.has(permission)),
            lost: standing.holds.filter((permission) => !after.has(permission)),
          },
          at: now,
        });
        return permissionsView(ctx, { ...standing, overrides: wanted, holds });
      });
    },

    /**
     * Why a member holds what they hold here, permission by permission, and what their role
     * or grants would give that they do not hold. Asked about oneself, it explains this very
     * request's context: acting as a sub workspace, an API key's scopes, or a tenant role's
     * read of a workspace one is no member of; about another member, their own membership.
     */
    async explain(ctx: InWorkspaceContext, userId: number): Promise<ExplainedPermissions> {
      const self = userId === ctx.actor.userId;
      const actingFrom = self ? ctx.workspace.actingFrom : null;
      const roleWorkspaceId = actingFrom?.id ?? ctx.workspace.id;
      const standing = await standingOf(grants, db, roleWorkspaceId, userId);
      if (!standing && !(self && ctx.workspace.memberRole === null && !actingFrom)) throw new AppError('MEMBER.NOT_FOUND');

      const sources = new Map<WorkspacePermission, PermissionSource[]>();
      const add = (permission: WorkspacePermission, source: PermissionSource) => sources.set(permission, [...(sources.get(permission) ?? []), source]);
      const withheld: ExplainedPermissions['withheld'] = [];
      if (standing) {
        const { template, overrides } = standing;
        for (const permission of template.permissions) add(permission, { kind: 'role', role: template.name, workspace_id: roleWorkspaceId });
        if (!isOwnerRole(template)) {
          for (const permission of overrides.grant) if (catalogue.isWorkspacePermission(permission)) add(permission, { kind: 'override', workspace_id: roleWorkspaceId });
          for (const permission of overrides.revoke) {
            if (catalogue.isWorkspacePermission(permission) && sources.delete(permission)) withheld.push({ permission, reason: 'revoked_by_override' });
          }
        }
      } else {
        for (const permission of catalogue.readOnlyPermissions) add(permission, { kind: 'tenant_role', tenant_role: ctx.actor.tenantRole });
      }
      const limits: { applies: boolean; holds: (permission: WorkspacePermission) => boolean; reason: WithheldReason; source: PermissionSource }[] = [
        {
          applies: actingFrom !== null,
          holds: (permission) => !catalogue.withheldWhenActingAs.includes(permission),
          reason: 'withheld_when_acting_as',
          source: { kind: 'admin_workspace', workspace_id: roleWorkspaceId },
        },
        {
          applies: self && ctx.actor.kind === 'api_key',
          holds: (permission) => ctx.workspace.permissions.has(permission),
          reason: 'outside_api_key_scopes',
          source: { kind: 'api_key', ...(ctx.actor.kind === 'api_key' ? { api_key_id: ctx.actor.apiKeyId } : {}) },
        },
      ];
      for (const limit of limits.filter((candidate) => candidate.applies)) {
        for (const permission of [...sources.keys()]) {
          if (limit.holds(permission)) add(permission, limit.source);
          else if (sources.delete(permission)) withheld.push({ permission, reason: limit.reason });
        }
      }
      const order = [...catalogue.permissions.keys()];
      return {
        user_id: userId,
        workspace_id: ctx.workspace.id,
        role: standing?.template.name ?? null,
        role_workspace_id: standing ? roleWorkspaceId : null,
        permissions: order.flatMap((permission) => {
          const from = sources.get(permission);
          return from ? [{ permission, sources: from }] : [];
        }),
        withheld: withheld.sort((a, b) => order.indexOf(a.permission as WorkspacePermission) - order.indexOf(b.permission as WorkspacePermission)),
      };
    },

    /** The workspaces where the caller may do `permission`, and how: the question every app's UI asks. */
    async workspacesWhere(ctx: UserContext, query: { can: string; limit: number; cursor?: string }): Promise<Page<PermittedWorkspace>> {
      const permission = query.can;
      if (!catalogue.isWorkspacePermission(permission)) throw new AppError('VALIDATION.FAILED', { can: `unknown permission: ${permission}` });
      const everyWorkspace = tenantRoleGrants(ctx.actor.tenantRole, 'view_all_locations') && catalogue.readOnlyPermissions.includes(permission);
      const rows = await repository.listWorkspacesWhere(db, {
        tenantId: ctx.tenant.id,
        userId: ctx.actor.userId,
        permission,
        builtinRoles: BUILTIN_ROLE_NAMES.filter((role) => catalogue.builtinRolePermissions(role).includes(permission)),
        whenActingAs: !catalogue.withheldWhenActingAs.includes(permission),
        everyWorkspace,
        afterId: decodeCursor(query.cursor),
        limit: query.limit + 1,
      });
      const page = toPage(rows, query.limit);
      return {
        ...page,
        items: page.items.map((row): PermittedWorkspace => {
          const via = row.byMembership ? 'membership' : row.byAdminWorkspace ? 'admin_workspace' : 'tenant_role';
          return {
            id: row.id,
            biz_id: row.bizId,
            name: row.name,
            slug: row.slug,
            via,
            role: via === 'membership' ? row.role : via === 'admin_workspace' ? row.adminRole : null,
            acting_from_workspace_id: via === 'admin_workspace' ? row.adminWorkspaceId : null,
          };
        }),
      };
    },

    async remove(ctx: InWorkspaceContext, userId: number): Promise<void> {
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        const { member } = (await requireManageableMember(grants, tx, ctx, userId, 'members:remove')).target;
        if (!(await removeNonOwner(tx, ctx.workspace.id, userId))) throw new AppError('MEMBER.IS_OWNER');
        await forgetWorkspaceForUser(tx, userId, ctx.workspace.id);
        await revokeKeysOfMember(tx, ctx, userId, 'member_removed', now);
        await recordAudit(tx, ctx, {
          action: 'member.removed',
          targetType: 'user',
          targetId: userId,
          workspaceId: ctx.workspace.id,
          details: { role: member.role },
          at: now,
        });
      });
    },

    async leave(ctx: InWorkspaceContext): Promise<void> {
      if (ctx.workspace.memberRole === null) throw new AppError('WORKSPACE.NOT_A_MEMBER');
      if (ctx.workspace.memberRole === 'owner') throw new AppError('WORKSPACE.OWNER_CANNOT_LEAVE');
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        if (!(await removeNonOwner(tx, ctx.workspace.id, ctx.actor.userId))) {
          throw new AppError('WORKSPACE.OWNER_CANNOT_LEAVE');
        }
        await forgetWorkspaceForUser(tx, ctx.actor.userId, ctx.workspace.id);
        await revokeKeysOfMember(tx, ctx, ctx.actor.userId, 'member_left', now);
        await recordAudit(tx, ctx, {
          action: 'member.left',
          targetType: 'user',
          targetId: ctx.actor.userId,
          workspaceId: ctx.workspace.id,
          at: now,
        });
      });
    },

    /** The owner hands the workspace to another member and becomes an admin, atomically. */
    async transferOwnership(ctx: InWorkspaceContext, userId: number): Promise<void> {
      if (userId === ctx.actor.userId) throw new AppError('MEMBER.ALREADY_OWNER');
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        await lockRow(tx, 'workspaces', ctx.workspace.id);
        const target = await repository.findMember(tx, ctx.workspace.id, userId);
        if (!target) throw new AppError('MEMBER.NOT_FOUND');
        if (!(await repository.moveOwnership(tx, ctx.workspace.id, ctx.actor.userId, userId, now))) {
          // Someone else moved ownership first: the caller no longer owns the workspace.
          throw new AppError('AUTH.FORBIDDEN', { permission: 'workspaces:transfer' });
        }
        // The owner holds everything: overrides the new owner had would only mislead.
        const cleared = await repository.findOverrides(tx, ctx.workspace.id, userId);
        await repository.deleteOverrides(tx, ctx.workspace.id, userId);
        // Nor does a location restriction bind an owner.
        await deleteLocationAccess(tx, ctx.workspace.id, userId);
        await recordAudit(tx, ctx, {
          action: 'workspace.ownership_transferred',
          targetType: 'user',
          targetId: userId,
          workspaceId: ctx.workspace.id,
          details: { from: ctx.actor.userId, previous_role: target.role, cleared_overrides: cleared },
          at: now,
        });
      });
    },
  };
}
