import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BY_WORKSPACE_BIZ_ID, BY_WORKSPACE_ID, onPathWorkspace } from '../../core/auth/policy.ts';
import { workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { MessageOnly, storedIdOr, WorkspaceBizIdParams, WorkspaceIdParams } from '../../core/http/schemas.ts';
import { mountLeaveWorkspace } from './members.routes.ts';
import { MemberRoleChangeBody } from './members.schemas.ts';
import type { MembersService } from './members.service.ts';

/** Seed 003's member routes on `/web/v1`. */
export const membersWebRoutes: FastifyPluginAsyncTypebox<{ members: MembersService }> = async (app, { members }) => {
  mountLeaveWorkspace(app, members, {
    url: '/tenant/workspaces/:workspaceBizId/leave',
    policy: onPathWorkspace('workspaces:view', { path: BY_WORKSPACE_BIZ_ID, usersOnly: true, notActingAs: true }),
    operationId: 'webLeaveWorkspace',
    tag: 'web',
    params: WorkspaceBizIdParams,
  });

  app.post(
    '/workspaces/:workspaceId/members/role/change',
    {
      config: { policy: onPathWorkspace('members:manage', { path: BY_WORKSPACE_ID }) },
      schema: {
        operationId: 'webChangeMemberRole',
        tags: ['web'],
        summary: "Change a member's role, never the owner's, never to a role you could not grant (as PUT /api/v1/members/{user_id})",
        params: WorkspaceIdParams,
        body: MemberRoleChangeBody,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await members.changeRole(workspaceContextOf(request), storedIdOr(request.body.user_id, 'MEMBER.NOT_FOUND'), request.body.role);
      return { message: request.translate('member.role_updated') };
    },
  );
};
