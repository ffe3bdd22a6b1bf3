import { requireAddressProvedToJoin } from '../identity/identity.service.ts';
import { firstMissing } from '../../core/auth/permissions.ts';
import type { InWorkspaceContext, RequestContext, UserContext } from '../../core/auth/request-context.ts';
import { digestToken, randomToken } from '../../core/auth/secrets.ts';
import { recordAudit, recordAuditWithoutContext } from '../audit-log/audit-log.service.ts';
import type { Clock } from '../../core/clock.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../../core/db/dialect.ts';
import { inTransaction } from '../../core/db/transaction.ts';
import { inWorkspaceTransaction } from '../../core/db/workspace-scope.ts';
import { AppError } from '../../core/errors.ts';
import { statusAt, statusesAt } from '../../core/expiry.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { isLocale } from '../../core/i18n/index.ts';
import { cancelUnsent, enqueueMessage } from '../mail/mail.service.ts';
import { normalizeKey } from '../../core/normalize.ts';
import { isSubWorkspaceOf } from '../groups/groups.service.ts';
import { addMember, permissionsOfMember } from '../members/members.service.ts';
import type { RoleGrants } from '../roles/roles.grants.ts';
import { invitationMessage } from './invitations.messages.ts';
import * as repository from './invitations.repository.ts';
import type { CreateInvitationBody } from './invitations.schemas.ts';
import type { InvitationRow } from './invitations.table.ts';

export const INVITATION_TTL_SECONDS = 7 * 24 * 3600;
const mailReference = (invitationId: number) => `invitation:${invitationId}`;
const TOKEN_PREFIX = 'inv_';

export type { InvitationRow };

/**
 * A new or resent invitation: its token, shown once (never to an inviter acting as a sub
 * workspace: they could accept it themselves, under another address, and stay a member after
 * the link is gone), and how its e-mail leaves.
 */
export type IssuedInvitation = InvitationRow & { token?: string; delivery: MailDelivery };

const issued = (ctx: InWorkspaceContext, invitation: InvitationRow, token: string, delivery: MailDelivery): IssuedInvitation => ({
  ...invitation,
  ...(ctx.workspace.actingFrom ? {} : { token }),
  delivery,
});

/** The invitee answers once: the checks shared by accepting on sign-in and on registration. */
/** A pending, unexpired invitation for this address; else the refusal its acceptance would get. */
function requirePendingFor(invitation: repository.InvitationWithNames | undefined, emailKey: string, now: string): asserts invitation is repository.InvitationWithNames {
  if (!invitation) throw new AppError('INVITATION.NOT_FOUND');
  const status = statusAt(invitation, now);
  if (status === 'expired') throw new AppError('INVITATION.EXPIRED');
  if (status !== 'pending') throw new AppError('INVITATION.NOT_FOUND');
  // Another account (even in the same tenant) must not take an invitation meant for someone else.
  if (invitation.email_key !== emailKey) throw new AppError('INVITATION.WRONG_ACCOUNT');
}

async function claimForAcceptance(
  tx: Tx,
  grants: RoleGrants,
  invitation: repository.InvitationWithNames | undefined,
  invitee: { userId: number; emailKey: string },
  now: string,
): Promise<InvitationRow> {
  requirePendingFor(invitation, invitee.emailKey, now);
  // The inviter's authority is checked again now: still a member who may invite, and may grant the role
  // (an inviter who acted as this sub workspace: still a member of its admin workspace, still linked).
  const actedFrom = invitation.acting_from_workspace_id;
  const authorityStands = actedFrom === null || (await isSubWorkspaceOf(tx, actedFrom, invitation.workspace_id));
  const inviterHolds =
    invitation.invited_by === null || !authorityStands
      ? undefined
      : await permissionsOfMember(grants, tx, actedFrom ?? invitation.workspace_id, invitation.invited_by);
  const granted = await grants.ofRole(tx, invitation.workspace_id, invitation.role);
  if (!inviterHolds || !granted || firstMissing(new Set(inviterHolds), ['invitations:create', ...granted])) {
    throw new AppError('INVITATION.NO_LONGER_VALID');
  }
  if (!(await repository.claimAnswer(tx, invitation.id, { status: 'accepted', acceptedBy: invitee.userId, now }))) {
    throw new AppError('INVITATION.NOT_FOUND');
  }
  await cancelUnsent(tx, mailReference(invitation.id));
  let added: boolean;
  try {
    added = await addMember(tx, invitation.workspace_id, invitee.userId, invitation.role, now);
  } catch (error) {
    // The workspace or the invited role was deleted at the same moment.
    if (isForeignKeyViolation(error)) throw new AppError('INVITATION.NO_LONGER_VALID');
    throw error;
  }
  if (!added) throw new AppError('MEMBER.ALREADY_MEMBER');
  return invitation;
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;

/**
 * How an invitation's e-mail leaves: `smtp` when a delivery worker sends it, `outbox` when
 * no SMTP server is configured and it waits for the operator (`npm run tessera -- outbox list`).
 */
export type MailDelivery = 'smtp' | 'outbox';

export function createInvitationsService(deps: { db: Db; clock: Clock; grants: RoleGrants; publicUrl: string; mailDelivery: MailDelivery }) {
  const { db, clock, grants, mailDelivery } = deps;
  // The console's accept screen (console/src/screens/accept-invitation.tsx): the console reads the
  // tenant from `/t/<slug>` and the token from the fragment, which browsers never send, so the token
  // stays out of server and proxy logs.
  const acceptLink = (tenantSlug: string, token: string) =>
    `${deps.publicUrl}/console/t/${encodeURIComponent(tenantSlug)}/invitations/accept#token=${encodeURIComponent(token)}`;

  async function enqueueInvitationMail(tx: Tx, ctx: InWorkspaceContext, invitation: InvitationRow, token: string, now: string) {
    const inviter = ctx.actor.kind === 'user' ? ctx.actor.profile.name : ctx.workspace.name;
    const mail = invitationMessage(isLocale(invitation.locale) ? invitation.locale : 'en', {
      workspaceName: ctx.workspace.name,
      inviterName: inviter,
      role: invitation.role,
      link: acceptLink(ctx.tenant.slug, token),
      expiresAt: invitation.expires_at,
    });
    await enqueueMessage(
      tx,
      {
        tenantId: ctx.tenant.id,
        kind: 'invitation',
        reference: mailReference(invitation.id),
        recipient: invitation.email,
        expiresAt: invitation.expires_at,
        ...mail,
      },
      now,
    );
  }

  return {
    /**
     * Registration through an invitation: the token proves the mailbox, so it admits an
     * account even where self sign-up is off. A step of the registration's transaction.
     */
    /**
     * Registration through an invitation where the tenant wants the address proved before anyone
     * joins: the invitation still admits the account (it must be pending, for this address), but
     * is left to be accepted once the address is proved.
     */
    async checkOnRegistration(tx: Tx, input: { tenantId: number; token: string; emailKey: string; now: string }): Promise<void> {
      requirePendingFor(await repository.findByTokenHash(tx, input.tenantId, digestToken(input.token)), input.emailKey, input.now);
    },

    async acceptOnRegistration(
      tx: Tx,
      input: { tenantId: number; token: string; userId: number; emailKey: string; now: string },
    ): Promise<InvitationRow> {
      const invitation = await repository.findByTokenHash(tx, input.tenantId, digestToken(input.token));
      const accepted = await claimForAcceptance(tx, grants, invitation, input, input.now);
      await recordAuditWithoutContext(tx, input, {
        action: 'invitation.accepted',
        targetType: 'invitation',
        targetId: accepted.id,
        workspaceId: accepted.workspace_id,
        details: { role: accepted.role },
        at: input.now,
      });
      return accepted;
    },

    /** Invites an address with a role the inviter may grant; the e-mail is queued in the same transaction. */
    async create(ctx: InWorkspaceContext, input: CreateInvitationBody): Promise<IssuedInvitation> {
      if (input.role === 'owner') throw new AppError('ROLE.OWNER_BY_TRANSFER');
      const email = input.email.trim();
      const emailKey = normalizeKey(email);
      const token = randomToken(TOKEN_PREFIX);
      const now = clock.now();
      const nowIso = now.toISOString();
      try {
        const invitation = await inWorkspaceTransaction(db, ctx, async (tx) => {
          // Checked inside the transaction that holds the workspace: a deletion racing it answers 404, not "no such role".
          const granted = await grants.ofRole(tx, ctx.workspace.id, input.role);
          if (!granted) throw new AppError('VALIDATION.FAILED', { role: 'no such role in this workspace' });
          const missing = firstMissing(ctx.workspace.permissions, granted);
          if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
          // Acting as a sub workspace, nobody invites themselves into it: that membership would outlive the link.
          if (ctx.workspace.actingFrom && (await repository.isEmailOfUser(tx, ctx.actor.userId, emailKey))) {
            throw new AppError('CONTEXT.ACTING_AS_FORBIDDEN', { reason: 'self_invitation' });
          }
          if (await repository.isMemberByEmail(tx, ctx.workspace.id, ctx.tenant.id, emailKey)) {
            throw new AppError('MEMBER.ALREADY_MEMBER');
          }
          for (const expiredId of await repository.expireStalePending(tx, ctx.workspace.id, emailKey, nowIso)) {
            await cancelUnsent(tx, mailReference(expiredId));
          }
          const created = await repository.insertInvitation(tx, {
            tenant_id: ctx.tenant.id,
            workspace_id: ctx.workspace.id,
            email,
            email_key: emailKey,
            role: input.role,
            token_hash: digestToken(token),
            invited_by: ctx.actor.userId,
            acting_from_workspace_id: ctx.workspace.actingFrom?.id ?? null,
            locale: ctx.locale,
            expires_at: new Date(now.getTime() + INVITATION_TTL_SECONDS * 1000).toISOString(),
            created_at: nowIso,
          });
          await enqueueInvitationMail(tx, ctx, created, token, nowIso);
          await recordAudit(tx, ctx, {
            action: 'invitation.created',
            targetType: 'invitation',
            targetId: created.id,
            workspaceId: ctx.workspace.id,
            details: { email, role: input.role },
            at: nowIso,
          });
          return created;
        });
        return issued(ctx, invitation, token, mailDelivery);
      } catch (error) {
        if (isUniqueViolation(error, 'email_key')) throw new AppError('WORKSPACE.INVITATION_EXISTS', { email });
        throw error;
      }
    },

    async list(
      ctx: InWorkspaceContext,
      query: { limit: number; cursor?: string; status?: InvitationRow['status'] },
    ): Promise<Page<InvitationRow>> {
      const now = clock.now().toISOString();
      const rows = await repository.listInvitations(db, {
        workspaceId: ctx.workspace.id,
        status: query.status,
        now,
        afterId: decodeCursor(query.cursor),
        limit: query.limit + 1,
      });
      return toPage(statusesAt(rows, now), query.limit);
    },

    async revoke(ctx: InWorkspaceContext, id: number): Promise<void> {
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        if (!(await repository.revokePending(tx, ctx.workspace.id, id, now))) {
          throw new AppError((await repository.findInvitation(tx, ctx.workspace.id, id)) ? 'INVITATION.NO_LONGER_VALID' : 'INVITATION.NOT_FOUND');
        }
        // A revoked invitation's e-mail, if still unsent, must not go out with its dead link.
        await cancelUnsent(tx, mailReference(id));
        await recordAudit(tx, ctx, { action: 'invitation.revoked', targetType: 'invitation', targetId: id, workspaceId: ctx.workspace.id, at: now });
      });
    },

    /** A fresh token and a fresh seven days; the old token is dead from this commit on. */
    async resend(ctx: InWorkspaceContext, id: number): Promise<IssuedInvitation> {
      const token = randomToken(TOKEN_PREFIX);
      const now = clock.now();
      const nowIso = now.toISOString();
      const invitation = await inWorkspaceTransaction(db, ctx, async (tx) => {
        const existing = await repository.findInvitation(tx, ctx.workspace.id, id);
        if (!existing) throw new AppError('INVITATION.NOT_FOUND');
        const granted = (await grants.ofRole(tx, ctx.workspace.id, existing.role)) ?? [];
        const missing = firstMissing(ctx.workspace.permissions, granted);
        if (missing) throw new AppError('AUTH.FORBIDDEN', { permission: missing });
        // The resender vouches for the invitation from now on: their authority is what acceptance checks.
        const rotated = await repository.rotateToken(tx, ctx.workspace.id, id, {
          tokenHash: digestToken(token),
          expiresAt: new Date(now.getTime() + INVITATION_TTL_SECONDS * 1000).toISOString(),
          invitedBy: ctx.actor.userId,
          actingFromWorkspaceId: ctx.workspace.actingFrom?.id ?? null,
          now: nowIso,
        });
        if (!rotated) throw new AppError('INVITATION.NO_LONGER_VALID');
        await cancelUnsent(tx, mailReference(id));
        await enqueueInvitationMail(tx, ctx, rotated, token, nowIso);
        await recordAudit(tx, ctx, { action: 'invitation.resent', targetType: 'invitation', targetId: id, workspaceId: ctx.workspace.id, at: nowIso });
        return rotated;
      });
      return issued(ctx, invitation, token, mailDelivery);
    },

    /** What an invitation page shows, by token: workspace, inviter, role, nothing more. */
    async lookup(ctx: RequestContext, token: string) {
      const invitation = await repository.findByTokenHash(db, ctx.tenant.id, digestToken(token));
      if (!invitation) throw new AppError('INVITATION.NOT_FOUND');
      const status = statusAt(invitation, clock.now().toISOString());
      if (status === 'expired') throw new AppError('INVITATION.EXPIRED');
      if (status !== 'pending') throw new AppError('INVITATION.NOT_FOUND');
      return invitation;
    },

    /** The signed-in invitee joins, with the invited role. */
    async accept(ctx: UserContext, token: string): Promise<InvitationRow> {
      const now = clock.now().toISOString();
      return inTransaction(db, async (tx) => {
        await requireAddressProvedToJoin(tx, ctx);
        const invitation = await repository.findByTokenHash(tx, ctx.tenant.id, digestToken(token));
        const accepted = await claimForAcceptance(tx, grants, invitation, { userId: ctx.actor.userId, emailKey: normalizeKey(ctx.actor.profile.email) }, now);
        await recordAudit(tx, { ...ctx, workspace: null }, {
          action: 'invitation.accepted',
          targetType: 'invitation',
          targetId: accepted.id,
          workspaceId: accepted.workspace_id,
          details: { role: accepted.role },
          at: now,
        });
        return accepted;
      });
    },

    /** The token proves the mailbox: declining needs no account. */
    async decline(ctx: RequestContext, token: string): Promise<void> {
      const now = clock.now().toISOString();
      await inTransaction(db, async (tx) => {
        const invitation = await repository.findByTokenHash(tx, ctx.tenant.id, digestToken(token));
        if (!invitation) throw new AppError('INVITATION.NOT_FOUND');
        if (statusAt(invitation, now) === 'expired') throw new AppError('INVITATION.EXPIRED');
        if (!(await repository.claimAnswer(tx, invitation.id, { status: 'declined', acceptedBy: null, now }))) {
          throw new AppError('INVITATION.NOT_FOUND');
        }
        await cancelUnsent(tx, mailReference(invitation.id));
        await recordAudit(tx, ctx, {
          action: 'invitation.declined',
          targetType: 'invitation',
          targetId: invitation.id,
          workspaceId: invitation.workspace_id,
          at: now,
        });
      });
    },
  };
}
