import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { inContext } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { createAttemptLimiter, type AttemptLimiter } from '../../core/http/rate-limit.ts';
import { DataEnvelope, IdParams, ListEnvelope, ListQuery, MessageOnly, Nullable, parseId, storedIdOr } from '../../core/http/schemas.ts';
import {
  AdminWorkspace,
  GroupInvitation,
  GroupInvitationListQuery,
  InviteSubWorkspaceBody,
  SentGroupInvitation,
  WorkspaceGroupMember,
} from './groups.schemas.ts';
import type { AdminWorkspaceLink, GroupInvitationWithNames, GroupsService } from './groups.service.ts';

const toAdminWorkspace = (link: AdminWorkspaceLink) => ({
  id: link.admin_workspace_id,
  name: link.admin_workspace_name,
  workspace_group_member_id: link.id,
  member_since: link.created_at,
});

function toGroupInvitation(row: GroupInvitationWithNames, direction: 'received' | 'sent'): GroupInvitation {
  return {
    id: row.id,
    direction,
    admin_workspace_id: row.admin_workspace_id,
    admin_workspace_name: row.admin_workspace_name,
    sub_workspace_id: row.sub_workspace_id,
    sub_workspace_name: direction === 'received' ? row.sub_workspace_name : null,
    status: row.status,
    invited_by: row.invited_by,
    expires_at: row.expires_at,
    responded_at: row.responded_at,
    created_at: row.created_at,
  };
}

/**
 * Each group invitation e-mails a workspace's owner: like workspace invitations, they are
 * limited per inviter and inviting workspace, and per pair of workspaces (what one admin
 * workspace may send one owner; keyed by the pair, so that nobody can use up another
 * workspace's invitations to a third). One limiter for both mounts of the routes, so the
 * two paths share the counts.
 */
export function createGroupInvitationLimiter(
  app: FastifyInstance,
  limits: { max: number; perRecipientMax: number; windowSeconds: number },
): AttemptLimiter {
  const bySender = createAttemptLimiter(app, {
    name: 'group-invitations',
    max: limits.max,
    windowSeconds: limits.windowSeconds,
    keys: [(request) => `inviter:${request.ctx?.actor?.userId ?? 0}`, (request) => `workspace:${request.ctx?.workspace?.id ?? 0}`],
  });
  const byInvited = createAttemptLimiter(app, {
    name: 'group-invitations',
    max: limits.perRecipientMax,
    windowSeconds: limits.windowSeconds,
    // After validation: the body's sub_workspace_id is an integer.
    keys: [
      (request: FastifyRequest) =>
        `pair:${request.ctx?.workspace?.id ?? 0}:${(request.body as { sub_workspace_id?: number } | undefined)?.sub_workspace_id ?? 0}`,
    ],
  });
  return {
    async check(request) {
      await bySender.check(request);
      await byInvited.check(request);
    },
  };
}

/**
 * Workspace groups, seed 004. Mounted twice, under `/api/v1` and at the root as the seed
 * writes its paths (`operationIdSuffix` keeps the two copies' OpenAPI operations apart).
 * Acting as a sub workspace, a caller may read the group but not change it: the group is
 * the sub workspace owner's decision.
 */
export const groupsRoutes: FastifyPluginAsyncTypebox<{ groups: GroupsService; invitationLimiter: AttemptLimiter; operationIdSuffix: string }> = async (
  app,
  { groups, invitationLimiter, operationIdSuffix },
) => {
  const operationId = (name: string) => `${name}${operationIdSuffix}`;
  const tags = ['workspace groups'];

  app.post(
    '/workspace-group-members',
    {
      config: { policy: inContext('groups:manage', { notActingAs: true }) },
      preHandler: (request) => invitationLimiter.check(request),
      schema: {
        operationId: operationId('inviteSubWorkspace'),
        tags,
        summary: "Invite a workspace to become a sub workspace of the current one (its owner accepts; expires in 7 days)",
        body: InviteSubWorkspaceBody,
        response: { 201: DataEnvelope(SentGroupInvitation) },
      },
    },
    async (request, reply) => {
      const invitation = await groups.invite(workspaceContextOf(request), storedIdOr(request.body.sub_workspace_id, 'WORKSPACE.NOT_FOUND'));
      const data: SentGroupInvitation = {
        id: invitation.id,
        admin_workspace_id: invitation.admin_workspace_id,
        sub_workspace_id: invitation.sub_workspace_id,
        status: invitation.status,
        expires_at: invitation.expires_at,
        created_at: invitation.created_at,
      };
      return reply.code(201).send({ data, message: request.translate('group.invited') });
    },
  );

  app.get(
    '/workspace-group-members',
    {
      config: { policy: inContext('groups:view') },
      schema: {
        operationId: operationId('listSubWorkspaces'),
        tags,
        summary: 'The sub workspaces of the current (admin) workspace',
        querystring: ListQuery,
        response: { 200: ListEnvelope(WorkspaceGroupMember) },
      },
    },
    async (request) => {
      const ctx = workspaceContextOf(request);
      const page = await groups.listSubWorkspaces(ctx, request.query);
      return {
        data: page.items.map((link) => ({ ...link, admin_workspace_id: ctx.workspace.id })),
        meta: { next_cursor: page.nextCursor },
      };
    },
  );

  app.get(
    '/workspace-group-members/admin',
    {
      config: { policy: inContext('groups:view') },
      schema: {
        operationId: operationId('getAdminWorkspace'),
        tags,
        summary: 'The admin workspace of the current (sub) workspace, with the link id to leave by; null when it belongs to no group',
        response: { 200: DataEnvelope(Nullable(AdminWorkspace)) },
      },
    },
    async (request) => {
      const link = await groups.adminWorkspace(workspaceContextOf(request));
      return { data: link ? toAdminWorkspace(link) : null };
    },
  );

  app.delete(
    '/workspace-group-members/:id',
    {
      // Which permission applies depends on the link's side (groups:manage to remove, groups:join to leave): the service checks it.
      config: { policy: inContext('groups:view', { notActingAs: true }) },
      schema: {
        operationId: operationId('removeWorkspaceGroupMember'),
        tags,
        summary: 'Remove a sub workspace (admin side: owners and admins) or leave the group (sub side: its owner)',
        params: IdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      const outcome = await groups.removeLink(workspaceContextOf(request), parseId(request.params.id, 'GROUP.MEMBER_NOT_FOUND'));
      return { message: request.translate(outcome === 'removed' ? 'group.sub_removed' : 'group.left') };
    },
  );

  app.get(
    '/workspace-group-invitations',
    {
      // Which other groups invited a sub workspace is its owner's business, not its admin workspace's.
      config: { policy: inContext('groups:view', { notActingAs: true }) },
      schema: {
        operationId: operationId('listWorkspaceGroupInvitations'),
        tags,
        summary: 'Group invitations the current workspace received (default) or sent',
        querystring: GroupInvitationListQuery,
        response: { 200: ListEnvelope(GroupInvitation) },
      },
    },
    async (request) => {
      const page = await groups.listInvitations(workspaceContextOf(request), request.query);
      return { data: page.items.map((row) => toGroupInvitation(row, request.query.direction)), meta: { next_cursor: page.nextCursor } };
    },
  );

  app.post(
    '/workspace-group-invitations/:id/accept',
    {
      config: { policy: inContext('groups:join', { notActingAs: true }) },
      schema: {
        operationId: operationId('acceptWorkspaceGroupInvitation'),
        tags,
        summary: "Accept a group's invitation: the current workspace becomes its sub workspace (its owner only)",
        params: IdParams,
        response: { 200: DataEnvelope(AdminWorkspace) },
      },
    },
    async (request) => {
      const link = await groups.accept(workspaceContextOf(request), parseId(request.params.id, 'GROUP.INVITATION_NOT_FOUND'));
      return { data: toAdminWorkspace(link), message: request.translate('group.invitation_accepted') };
    },
  );

  app.post(
    '/workspace-group-invitations/:id/decline',
    {
      config: { policy: inContext('groups:join', { notActingAs: true }) },
      schema: {
        operationId: operationId('declineWorkspaceGroupInvitation'),
        tags,
        summary: "Decline a group's invitation (the current workspace's owner only)",
        params: IdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await groups.decline(workspaceContextOf(request), parseId(request.params.id, 'GROUP.INVITATION_NOT_FOUND'));
      return { message: request.translate('group.invitation_declined') };
    },
  );

  app.delete(
    '/workspace-group-invitations/:id',
    {
      config: { policy: inContext('groups:manage', { notActingAs: true }) },
      schema: {
        operationId: operationId('cancelWorkspaceGroupInvitation'),
        tags,
        summary: 'Cancel a pending invitation the current (admin) workspace sent',
        params: IdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await groups.cancel(workspaceContextOf(request), parseId(request.params.id, 'GROUP.INVITATION_NOT_FOUND'));
      return { message: request.translate('group.invitation_cancelled') };
    },
  );
};
