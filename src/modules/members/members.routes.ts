import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inContext, onPathWorkspace } from '../../core/auth/policy.ts';
import { userInWorkspaceOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { mountSchema, type Mount, type TypeBoxApp } from '../../core/http/mount.ts';
import { IdParams, ListEnvelope, ListQuery, MessageOnly, parseId, storedIdOr } from '../../core/http/schemas.ts';
import { createSerializeOnce } from '../../core/http/serialize-once.ts';
import { ChangeRoleBody, Member, TransferOwnershipBody, UserIdParams } from './members.schemas.ts';
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
