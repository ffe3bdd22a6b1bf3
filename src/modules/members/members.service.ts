import { firstMissing } from '../../core/auth/permissions.ts';
import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
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
import type { RoleGrants } from '../roles/roles.grants.ts';
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

/** What a member may do in a workspace now; undefined when the user is not a member. */
export async function permissionsOfMember(grants: RoleGrants, executor: Executor, workspaceId: number, userId: number) {
  const member = await repository.findMember(executor, workspaceId, userId);
  return member && ((await grants.ofRole(executor, workspaceId, member.role)) ?? []);
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

export type MembersService = ReturnType<typeof createMembersService>;

export function createMembersService(deps: { db: Db; clock: Clock; grants: RoleGrants; readCacheEntries: number }) {
  const { db, clock, grants } = deps;
  const pages = createVersionedCache<Page<repository.MemberRecord>>(deps.readCacheEntries);

  /** The target member, after checking the caller holds everything the target's role grants. */
  async function requireManageableMember(tx: Tx, ctx: InWorkspaceContext, userId: number) {
    const member = await repository.findMember(tx, ctx.workspace.id, userId);
    if (!member) throw new AppError('MEMBER.NOT_FOUND');
    if (member.role === 'owner') throw new AppError('MEMBER.IS_OWNER');
    const missing = firstMissing(ctx.workspace.permissions, (await grants.ofRole(tx, ctx.workspace.id, member.role)) ?? []);
    if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
    return member;
  }

  return {
    /** The list-page cache's hits and misses, for GET /metrics. */
    cacheStats: () => pages.stats(),

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
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        const member = await requireManageableMember(tx, ctx, userId);
        const granted = await grants.ofRole(tx, ctx.workspace.id, role);
        if (!granted) throw new AppError('VALIDATION.FAILED', { role: 'no such role in this workspace' });
        const missing = firstMissing(ctx.workspace.permissions, granted);
        if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
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

    async remove(ctx: InWorkspaceContext, userId: number): Promise<void> {
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        const member = await requireManageableMember(tx, ctx, userId);
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
        await recordAudit(tx, ctx, {
          action: 'workspace.ownership_transferred',
          targetType: 'user',
          targetId: userId,
          workspaceId: ctx.workspace.id,
          details: { from: ctx.actor.userId, previous_role: target.role },
          at: now,
        });
      });
    },
  };
}
