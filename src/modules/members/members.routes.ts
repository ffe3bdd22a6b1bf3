import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticated, inContext, onPathWorkspace } from '../../core/auth/policy.ts';
import { userContextOf, userInWorkspaceOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { mountSchema, type Mount, type TypeBoxApp } from '../../core/http/mount.ts';
import { DataEnvelope, IdParams, ListEnvelope, ListQuery, MessageOnly, parseId, storedIdOr } from '../../core/http/schemas.ts';
import { createSerializeOnce } from '../../core/http/serialize-once.ts';
import {
  ChangeRoleBody,
  ExplainedPermissions,
  Member,
  MemberPermissions,
  overridesBody,
  PermittedWorkspace,
  TransferOwnershipBody,
  UserIdParams,
  WorkspacesWhereQuery,
} from './members.schemas.ts';
import type { MembersService } from './members.service.ts';

/** The caller leaves the path's workspace (never its owner); mounted on both surfaces. */
export function mountLeaveWorkspace(app: TypeBoxApp, members: MembersService, mount: Mount): void {
  app.post(
    mount.url,
    {
      config: { policy: mount.policy },
      schema: { ...mountSchema(mount), summary: 'Leave a workspace (the owner must transfer ownership first)', response: { 200: MessageOnly } },
    },
    async (request) => {
      await members.leave(userInWorkspaceOf(request));
      return { message: request.translate('workspace.left') };
    },
  );
}

export const membersRoutes: FastifyPluginAsyncTypebox<{ members: MembersService }> = async (app, { members }) => {
  const sendPage = createSerializeOnce<Awaited<ReturnType<MembersService['list']>>>();

  app.get(
    '/members',
    {
      config: { policy: inContext('members:view') },
      schema: {
        operationId: 'listMembers',
        tags: ['members'],
        summary: 'Members of the current workspace',
        querystring: ListQuery,
        response: { 200: ListEnvelope(Member) },
      },
    },
    async (request, reply) => {
      const page = await members.list(workspaceContextOf(request), request.query);
      return sendPage(reply, page, ({ items, nextCursor }) => ({
        data: items.map((m) => ({ id: m.userId, name: m.name, email: m.email, role: m.role, added_at: m.addedAt })),
        meta: { next_cursor: nextCursor },
      }));
    },
  );

  app.put(
    '/members/:user_id',
    {
      config: { policy: inContext('members:manage') },
      schema: {
        operationId: 'changeMemberRole',
        tags: ['members'],
        summary: "Change a member's role (never the owner's; never to a role you could not grant)",
        params: UserIdParams,
        body: ChangeRoleBody,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await members.changeRole(
        workspaceContextOf(request),
        parseId(request.params.user_id, 'MEMBER.NOT_FOUND'),
        request.body.role,
      );
      return { message: request.translate('member.role_updated') };
    },
  );

  app.get(
    '/members/:user_id/permissions',
    {
      config: { policy: inContext('members:view') },
      schema: {
        operationId: 'getMemberPermissions',
        tags: ['members'],
        summary: "A member's role, overrides and resulting permissions",
        params: UserIdParams,
        response: { 200: DataEnvelope(MemberPermissions) },
      },
    },
    async (request) => ({
      data: await members.permissionsOf(workspaceContextOf(request), parseId(request.params.user_id, 'MEMBER.NOT_FOUND')),
    }),
  );

  app.put(
    '/members/:user_id/permissions',
    {
      config: { policy: inContext('members:manage') },
      schema: {
        operationId: 'setMemberPermissions',
        tags: ['members'],
        summary: "Replace a member's overrides: permissions granted beyond their role, or revoked from it (a revoke wins)",
        description:
          'Never your own, never the owner\'s, never a member who holds something you lack, before or after the change. ' +
          'Acts on the very next request, in every process.',
        params: UserIdParams,
        body: overridesBody(members.permissionCount),
        response: { 200: DataEnvelope(MemberPermissions) },
      },
    },
    async (request) => ({
      data: await members.setOverrides(workspaceContextOf(request), parseId(request.params.user_id, 'MEMBER.NOT_FOUND'), request.body),
      message: request.translate('member.permissions_updated'),
    }),
  );

  app.get(
    '/members/:user_id/effective-permissions',
    {
      config: { policy: inContext('members:view') },
      schema: {
        operationId: 'explainMemberPermissions',
        tags: ['members'],
        summary: 'Why a member holds each permission here, and why they lack what their role would give',
        description:
          'About yourself, it explains this request\'s context (acting as a sub workspace, an API key\'s scopes, a tenant role\'s read); ' +
          "about another member, their own membership.",
        params: UserIdParams,
        response: { 200: DataEnvelope(ExplainedPermissions) },
      },
    },
    async (request) => ({
      data: await members.explain(workspaceContextOf(request), parseId(request.params.user_id, 'MEMBER.NOT_FOUND')),
    }),
  );

  app.get(
    '/me/workspaces',
    {
      config: { policy: authenticated() },
      schema: {
        operationId: 'listWorkspacesWhereICan',
        tags: ['members'],
        summary: 'The workspaces where you hold a permission, and how',
        querystring: WorkspacesWhereQuery,
        response: { 200: ListEnvelope(PermittedWorkspace) },
      },
    },
    async (request) => {
      const page = await members.workspacesWhere(userContextOf(request), request.query);
      return { data: page.items, meta: { next_cursor: page.nextCursor } };
    },
  );

  app.delete(
    '/members/:user_id',
    {
      config: { policy: inContext('members:remove') },
      schema: {
        operationId: 'removeMember',
        tags: ['members'],
        summary: 'Remove a member (never the owner)',
        params: UserIdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await members.remove(workspaceContextOf(request), parseId(request.params.user_id, 'MEMBER.NOT_FOUND'));
      return { message: request.translate('member.removed') };
    },
  );

  mountLeaveWorkspace(app, members, {
    url: '/workspaces/:id/leave',
    policy: onPathWorkspace('workspaces:view', { usersOnly: true, notActingAs: true }),
    operationId: 'leaveWorkspace',
    tag: 'members',
    params: IdParams,
  });

  app.post(
    '/workspaces/:id/transfer-ownership',
    {
      config: { policy: onPathWorkspace('workspaces:transfer', { notActingAs: true }) },
      schema: {
        operationId: 'transferWorkspaceOwnership',
        tags: ['members'],
        summary: 'Hand the workspace to another member; the old owner becomes an admin',
        params: IdParams,
        body: TransferOwnershipBody,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await members.transferOwnership(workspaceContextOf(request), storedIdOr(request.body.user_id, 'MEMBER.NOT_FOUND'));
      return { message: request.translate('workspace.ownership_transferred') };
    },
  );
};
