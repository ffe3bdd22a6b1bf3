import { tenantRoleGrants } from '../../core/auth/permissions.ts';
import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { AppError } from '../../core/errors.ts';
import type { Db, Executor } from '../../schema/database.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { liveLocationIds } from '../locations/locations.service.ts';
import { isOwnerRole, type RoleGrants } from '../roles/roles.grants.ts';
import * as repository from './member-locations.repository.ts';
import type { MemberLocationAccess, MemberLocationsBody } from './member-locations.schemas.ts';
import { requireManageableMember, standingOf, type Standing } from './members.service.ts';

const sameAccess = (a: readonly number[] | null, b: readonly number[] | null) =>
  a === null || b === null ? a === b : a.length === b.length && a.every((id, i) => id === b[i]);

export type MemberLocationsService = ReturnType<typeof createMemberLocationsService>;

/**
 * Location access per member (seed 002's `locationAccess`): unrestricted, or restricted to
 * listed locations of the workspace. The request context carries the caller's, and the
 * workspace-scoped kit applies it to every location-bound table; this service reads and
 * sets a member's, under the rules that guard overrides.
 */
export function createMemberLocationsService(deps: { db: Db; clock: Clock; grants: RoleGrants }) {
  const { db, clock, grants } = deps;

  /** A member's access as the caller may see it: listed locations the caller cannot see are left out. */
  async function view(executor: Executor, ctx: InWorkspaceContext, standing: Standing, stored: readonly number[] | null): Promise<MemberLocationAccess> {
    const userId = standing.member.userId;
    const tenantRole = await repository.tenantRoleOf(executor, userId);
    const mine = ctx.workspace.locations;
    return {
      user_id: userId,
      workspace_id: ctx.workspace.id,
      restricted: stored !== null,
      location_ids: (stored ?? []).filter((id) => mine === 'all' || mine.has(id)),
      lifted_by: isOwnerRole(standing.template) ? 'owner' : tenantRole !== undefined && tenantRoleGrants(tenantRole, 'view_all_locations') ? 'view_all_locations' : null,
    };
  }

  return {
    async get(ctx: InWorkspaceContext, userId: number): Promise<MemberLocationAccess> {
      const standing = await standingOf(grants, db, ctx.workspace.id, userId);
      if (!standing) throw new AppError('MEMBER.NOT_FOUND');
      return view(db, ctx, standing, await repository.findLocationAccess(db, ctx.workspace.id, userId));
    },

    /**
     * Restricts a member to listed live locations of the workspace, or lifts the restriction.
     * Never one's own, never the owner's, never a member who holds more than the caller; a
     * caller restricted themselves only narrows a restricted member within their own
     * locations (a location they cannot see is no location to them: 422). Audited; acts on
     * the next request in every process (the lists move the workspace's version).
     */
    async set(ctx: InWorkspaceContext, userId: number, input: MemberLocationsBody): Promise<MemberLocationAccess> {
      if (userId === ctx.actor.userId) throw new AppError('AUTH.FORBIDDEN', { reason: 'cannot_change_own_locations' });
      const listed = [...new Set(input.location_ids ?? [])].sort((a, b) => a - b);
      if (!input.restricted && listed.length > 0) throw new AppError('VALIDATION.FAILED', { location_ids: 'only with restricted: true' });
      const wanted = input.restricted ? listed : null;
      const now = clock.now().toISOString();
      return inTransaction(db, async (tx) => {
        const { target } = await requireManageableMember(grants, tx, ctx, userId, 'members:manage');
        const before = await repository.findLocationAccess(tx, ctx.workspace.id, userId);
        const mine = ctx.workspace.locations;
        if (mine !== 'all' && (wanted === null || before === null || before.some((id) => !mine.has(id)))) {
          throw new AppError('AUTH.FORBIDDEN', { reason: 'location_outside_your_access' });
        }
        if (wanted !== null && wanted.length > 0) {
          const live = await liveLocationIds(tx, ctx, wanted);
          const missing = wanted.filter((id) => !live.has(id));
          if (missing.length > 0) throw new AppError('VALIDATION.FAILED', { location_ids: `no such location in this workspace (or it is archived): ${missing.join(', ')}` });
        }
        if (sameAccess(before, wanted)) return view(tx, ctx, target, before);
        await repository.replaceLocationAccess(tx, ctx.workspace.id, userId, wanted);
        await recordAudit(tx, ctx, {
          action: 'member.locations_changed',
          targetType: 'user',
          targetId: userId,
          workspaceId: ctx.workspace.id,
          details: { before: before === null ? 'all' : before, after: wanted === null ? 'all' : wanted },
          locationIds: [...(before ?? []), ...(wanted ?? [])],
          at: now,
        });
        return view(tx, ctx, target, wanted);
      });
    },
  };
}
