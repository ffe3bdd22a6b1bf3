import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BY_WORKSPACE_BIZ_ID, onPathWorkspace } from '../../core/auth/policy.ts';
import { WorkspaceBizIdParams } from '../../core/http/schemas.ts';
import { mountCreateInvitation, type InvitationLimiters } from './invitations.routes.ts';
import type { InvitationsService } from './invitations.service.ts';

/** Seed 003's invitation route on `/web/v1`: the workspace named by its `biz_id` in the path. */
export const invitationsWebRoutes: FastifyPluginAsyncTypebox<{ invitations: InvitationsService; limiters: InvitationLimiters }> = async (
  app,
  { invitations, limiters },
) => {
  mountCreateInvitation(app, invitations, limiters, {
    url: '/workspaces/:workspaceBizId/invitations',
    policy: onPathWorkspace('invitations:create', { path: BY_WORKSPACE_BIZ_ID }),
    operationId: 'webCreateInvitation',
    tag: 'web',
    params: WorkspaceBizIdParams,
  });
};
