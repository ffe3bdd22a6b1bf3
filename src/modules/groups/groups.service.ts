import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Clock } from '../../core/clock.ts';
import { isForeignKeyViolation, isRuleViolation, isUniqueViolation } from '../../core/db/dialect.ts';
import { inWorkspaceTransaction } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { statusAt, statusesAt } from '../../core/expiry.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { isLocale } from '../../core/i18n/index.ts';
import type { Db, Executor, Tx } from '../../schema/database.ts';
import { GROUP_ROLES_RULE } from '../../schema/migrations/0009-workspace-groups.ts';
import { recordAudit } from '../audit-log/audit-log.service.ts';
import { permissionsOfMember } from '../members/members.service.ts';
import type { RoleGrants } from '../roles/roles.grants.ts';
import { cancelUnsent, enqueueMessage } from '../mail/mail.service.ts';
import { groupInvitationMessage } from './groups.messages.ts';
import * as repository from './groups.repository.ts';
import type { GroupInvitationStatus } from './groups.table.ts';

export const GROUP_INVITATION_TTL_SECONDS = 7 * 24 * 3600;
const mailReference = (invitationId: number) => `group-invitation:${invitationId}`;

export type { AdminWorkspaceLink, GroupInvitationWithNames, SubWorkspaceLink } from './groups.repository.ts';

/** Whether `subWorkspaceId` is, now, a sub workspace of `adminWorkspaceId` (for areas that check authority gained through a group). */
export function isSubWorkspaceOf(executor: Executor, adminWorkspaceId: number, subWorkspaceId: number): Promise<boolean> {
  return repository.isLinked(executor, adminWorkspaceId, subWorkspaceId);
}

/*
 * Seed 004's limitations for a link about to be made, checked against the groups as they
 * are now (either side may have changed since the invitation). The database keeps them too
 * (migration 0009), for the races these reads cannot see.
 */

/** The admin side's part, which its own members may know: not linked to the sub already, and not a sub itself. */
async function assertCanAdminister(tx: Executor, adminWorkspaceId: number, subWorkspaceId: number): Promise<void> {
  if (await repository.isLinked(tx, adminWorkspaceId, subWorkspaceId)) throw new AppError('GROUP.ALREADY_LINKED');
  if ((await repository.groupSideOf(tx, adminWorkspaceId)) === 'sub') throw new AppError('GROUP.ADMIN_AND_SUB');
}

/** The sub side's part, checked only when its owner answers: an inviter learns nothing of another workspace's groups. */
async function assertCanJoin(tx: Executor, subWorkspaceId: number): Promise<void> {
  const side = await repository.groupSideOf(tx, subWorkspaceId);
  if (side === 'sub') throw new AppError('GROUP.ALREADY_IN_GROUP');
  if (side === 'admin') throw new AppError('GROUP.ADMIN_AND_SUB');
}

/** The database's answer to a link that breaks a limitation at the same moment as another change. */
function linkRefusal(error: unknown): AppError | undefined {
  if (isUniqueViolation(error, 'sub_workspace_id')) return new AppError('GROUP.ALREADY_IN_GROUP');
  if (isRuleViolation(error, GROUP_ROLES_RULE)) return new AppError('GROUP.ADMIN_AND_SUB');
  return undefined;
}

export type GroupsService = ReturnType<typeof createGroupsService>;

/**
 * Workspace groups (seed 004). An admin workspace invites a sub workspace; its owner is
 * told by e-mail and accepts or declines; from then on the admin workspace's members and
 * keys act in it (`x-as-workspace`, resolved by the core with the access area) until the
 * admin side removes it or its owner leaves. Every change is audited in both workspaces.
 */
export function createGroupsService(deps: { db: Db; clock: Clock; grants: RoleGrants; publicUrl: string }) {
  const { db, clock, grants } = deps;

  /**
   * Audits a group event about `pair` (an invitation or a link) in both its workspaces: the
   * one the request ran in and the other side, each naming the two.
   */
  async function auditBothSides(
    tx: Tx,
    ctx: InWorkspaceContext,
    pair: { admin_workspace_id: number; sub_workspace_id: number },
    event: { action: string; targetType: string; targetId: number; at: string; details?: Record<string, unknown> },
  ): Promise<void> {
    const other = pair.admin_workspace_id === ctx.workspace.id ? pair.sub_workspace_id : pair.admin_workspace_id;
    const audited = { ...event, details: { admin_workspace_id: pair.admin_workspace_id, sub_workspace_id: pair.sub_workspace_id, ...event.details } };
    await recordAudit(tx, ctx, { ...audited, workspaceId: ctx.workspace.id });
    await recordAudit(tx, ctx, { ...audited, workspaceId: other });
  }

  /** Closes a pending invitation without a link, from its side: the sub workspace declines, the admin side cancels. */
  async function closeInvitation(
    ctx: InWorkspaceContext,
    invitationId: number,
    how: { side: 'sub' | 'admin'; status: 'declined' | 'cancelled'; action: string },
  ): Promise<void> {
    if (how.side === 'sub') assertOwner(ctx);
    const now = clock.now().toISOString();
    await inWorkspaceTransaction(db, ctx, async (tx) => {
      const invitation = await answerable(tx, ctx, invitationId, how.side, now);
      await claimOrRefuse(tx, invitation.id, { status: how.status, by: ctx.actor.userId, now });
      await auditBothSides(tx, ctx, invitation, { action: how.action, targetType: 'workspace_group_invitation', targetId: invitation.id, at: now });
    });
  }

  return {
    /**
     * Invites a workspace of the tenant to become a sub workspace of the context's
     * workspace. The answer names only the id the caller sent: the invited workspace's name
     * and owner stay private, and whether it could accept is decided when its owner answers.
     */
    async invite(ctx: InWorkspaceContext, subWorkspaceId: number) {
      if (subWorkspaceId === ctx.workspace.id) throw new AppError('GROUP.SELF_INVITATION');
      const now = clock.now();
      const nowIso = now.toISOString();
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const sub = await repository.findTenantWorkspace(tx, ctx.tenant.id, subWorkspaceId);
          if (!sub) throw new AppError('WORKSPACE.NOT_FOUND');
          await assertCanAdminister(tx, ctx.workspace.id, sub.id);
          await repository.expireStalePending(tx, ctx.workspace.id, sub.id, nowIso);
          const invitation = await repository.insertInvitation(tx, {
            tenant_id: ctx.tenant.id,
            admin_workspace_id: ctx.workspace.id,
            sub_workspace_id: sub.id,
            invited_by: ctx.actor.userId,
            locale: ctx.locale,
            expires_at: new Date(now.getTime() + GROUP_INVITATION_TTL_SECONDS * 1000).toISOString(),
            created_at: nowIso,
          });
          const owner = await repository.findOwner(tx, sub.id);
          if (owner) {
            const mail = groupInvitationMessage(isLocale(invitation.locale) ? invitation.locale : 'en', {
              adminWorkspaceName: ctx.workspace.name,
              subWorkspaceName: sub.name,
              invitationId: invitation.id,
              expiresAt: invitation.expires_at,
              apiBase: `${deps.publicUrl}/api/v1/workspace-group-invitations/${invitation.id}`,
              tenant: ctx.tenant.slug,
            });
            await enqueueMessage(
              tx,
              {
                tenantId: ctx.tenant.id,
                kind: 'group_invitation',
                reference: mailReference(invitation.id),
                recipient: owner.email,
                expiresAt: invitation.expires_at,
                ...mail,
              },
              nowIso,
            );
          }
          await auditBothSides(tx, ctx, invitation, { action: 'group.invitation_sent', targetType: 'workspace_group_invitation', targetId: invitation.id, at: nowIso });
          return invitation;
        });
      } catch (error) {
        if (isUniqueViolation(error, 'sub_workspace_id')) throw new AppError('GROUP.INVITATION_EXISTS');
        // The invited workspace was deleted at the same moment.
        if (isForeignKeyViolation(error)) throw new AppError('WORKSPACE.NOT_FOUND');
        throw error;
      }
    },

    async listInvitations(
      ctx: InWorkspaceContext,
      query: { direction: 'received' | 'sent'; status?: GroupInvitationStatus; limit: number; cursor?: string },
    ): Promise<Page<repository.GroupInvitationWithNames>> {
      const now = clock.now().toISOString();
      const rows = await repository.listInvitations(db, {
        workspaceId: ctx.workspace.id,
        direction: query.direction,
        ...(query.status ? { status: query.status } : {}),
        now,
        afterId: decodeCursor(query.cursor),
        limit: query.limit + 1,
      });
      return toPage(statusesAt(rows, now), query.limit);
    },

    /** The sub workspace's owner accepts: the link is made, if seed 004's limitations still allow it. */
    async accept(ctx: InWorkspaceContext, invitationId: number): Promise<repository.AdminWorkspaceLink> {
      assertOwner(ctx);
      const now = clock.now().toISOString();
      try {
        return await inWorkspaceTransaction(db, ctx, async (tx) => {
          const invitation = await answerable(tx, ctx, invitationId, 'sub', now);
          // The inviter's authority is checked again now: still a member of the admin workspace who may invite.
          const inviterHolds = invitation.invited_by === null ? undefined : await permissionsOfMember(grants, tx, invitation.admin_workspace_id, invitation.invited_by);
          if (!inviterHolds?.includes('groups:manage')) throw new AppError('GROUP.INVITATION_NO_LONGER_VALID');
          await assertCanAdminister(tx, invitation.admin_workspace_id, ctx.workspace.id);
          await assertCanJoin(tx, ctx.workspace.id);
          await claimOrRefuse(tx, invitation.id, { status: 'accepted', by: ctx.actor.userId, now });
          const link = await repository.insertLink(tx, {
            tenant_id: ctx.tenant.id,
            admin_workspace_id: invitation.admin_workspace_id,
            sub_workspace_id: ctx.workspace.id,
            invited_by: invitation.invited_by,
            accepted_by: ctx.actor.userId,
            created_at: now,
          });
          await auditBothSides(tx, ctx, link, {
            action: 'group.joined',
            targetType: 'workspace_group_member',
            targetId: link.id,
            details: { invitation_id: invitation.id },
            at: now,
          });
          return {
            id: link.id,
            admin_workspace_id: invitation.admin_workspace_id,
            admin_workspace_name: invitation.admin_workspace_name,
            created_at: link.created_at,
          };
        });
      } catch (error) {
        throw linkRefusal(error) ?? error;
      }
    },

    /** The sub workspace's owner declines. */
    decline: (ctx: InWorkspaceContext, invitationId: number) =>
      closeInvitation(ctx, invitationId, { side: 'sub', status: 'declined', action: 'group.invitation_declined' }),

    /** The admin side cancels an invitation it sent, while it is pending. */
    cancel: (ctx: InWorkspaceContext, invitationId: number) =>
      closeInvitation(ctx, invitationId, { side: 'admin', status: 'cancelled', action: 'group.invitation_cancelled' }),

    async listSubWorkspaces(ctx: InWorkspaceContext, query: { limit: number; cursor?: string }): Promise<Page<repository.SubWorkspaceLink>> {
      const rows = await repository.listSubLinks(db, ctx.workspace.id, decodeCursor(query.cursor), query.limit + 1);
      return toPage(rows, query.limit);
    },

    /** The admin workspace of the context's workspace; undefined when it belongs to no group. */
    adminWorkspace(ctx: InWorkspaceContext): Promise<repository.AdminWorkspaceLink | undefined> {
      return repository.findAdminLink(db, ctx.workspace.id);
    },

    /**
     * Ends a link from either side: the admin side removes a sub workspace (`groups:manage`),
     * the sub workspace leaves (`groups:join`, its owner). It acts on the next request.
     */
    async removeLink(ctx: InWorkspaceContext, linkId: number): Promise<'removed' | 'left'> {
      const now = clock.now().toISOString();
      return inWorkspaceTransaction(db, ctx, async (tx) => {
        const link = await repository.findLinkOf(tx, ctx.workspace.id, linkId);
        if (!link) throw new AppError('GROUP.MEMBER_NOT_FOUND');
        const side = link.admin_workspace_id === ctx.workspace.id ? 'admin' : 'sub';
        // Object-level: which permission applies depends on the side the context's workspace is on.
        const needed = side === 'admin' ? 'groups:manage' : 'groups:join';
        if (!ctx.workspace.permissions.has(needed)) throw new AppError('AUTH.FORBIDDEN', { permission: needed });
        if (side === 'sub') assertOwner(ctx);
        if (!(await repository.deleteLink(tx, link.id))) throw new AppError('GROUP.MEMBER_NOT_FOUND');
        await auditBothSides(tx, ctx, link, {
          action: side === 'admin' ? 'group.sub_removed' : 'group.left',
          targetType: 'workspace_group_member',
          targetId: link.id,
          at: now,
        });
        return side === 'admin' ? 'removed' : 'left';
      });
    },
  };
}

/**
 * Seed 004: only a sub workspace's owner joins, declines or leaves. `groups:join` is what the
 * route requires (an owner's API key needs it as a scope); the role is what makes the owner.
 */
function assertOwner(ctx: InWorkspaceContext): void {
  if (ctx.workspace.memberRole !== 'owner') throw new AppError('AUTH.FORBIDDEN', { permission: 'groups:join', reason: 'owner_only' });
}

/** A pending invitation on the context's side (the sub answers, the admin cancels); 404 or 410 otherwise. */
async function answerable(tx: Tx, ctx: InWorkspaceContext, id: number, side: 'sub' | 'admin', now: string) {
  const invitation = await repository.findInvitationOn(tx, { side, workspaceId: ctx.workspace.id }, id);
  if (!invitation) throw new AppError('GROUP.INVITATION_NOT_FOUND');
  const status = statusAt(invitation, now);
  if (status === 'expired') throw new AppError('GROUP.INVITATION_EXPIRED');
  if (status !== 'pending') throw new AppError('GROUP.INVITATION_NO_LONGER_VALID');
  return invitation;
}

async function claimOrRefuse(tx: Tx, id: number, answer: { status: 'accepted' | 'declined' | 'cancelled'; by: number; now: string }): Promise<void> {
  if (!(await repository.claimPending(tx, id, answer))) throw new AppError('GROUP.INVITATION_NO_LONGER_VALID');
  await cancelUnsent(tx, mailReference(id));
}
