import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { authenticated, onPathWorkspace } from '../../core/auth/policy.ts';
import { userContextOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import type { AttemptLimiter } from '../../core/http/rate-limit.ts';
import { DataEnvelope, IdParams, MessageOnly } from '../../core/http/schemas.ts';
import { InviteCode, InviteCodeParams, JoinedByCode } from './invite-codes.schemas.ts';
import type { InviteCodesService } from './invite-codes.service.ts';

// Rotating shows the code: like an invitation's token, never to someone acting from an admin workspace.
const manage = onPathWorkspace('invitations:create', { notActingAs: true });

export const inviteCodesRoutes: FastifyPluginAsyncTypebox<{ inviteCodes: InviteCodesService; joinAttempts: AttemptLimiter }> = async (
  app,
  { inviteCodes, joinAttempts },
) => {
  app.post(
    '/workspaces/:id/invite-code',
    {
      config: { policy: manage },
      schema: {
        operationId: 'rotateInviteCode',
        tags: ['invite codes'],
        summary: 'Issue a new invite code (the old one stops working at once)',
        params: IdParams,
        response: { 200: DataEnvelope(InviteCode) },
      },
    },
    async (request) => {
      const code = await inviteCodes.rotate(workspaceContextOf(request));
      return { data: { invite_code: code }, message: request.translate('invite_code.rotated') };
    },
  );

  app.delete(
    '/workspaces/:id/invite-code',
    {
      config: { policy: manage },
      schema: {
        operationId: 'disableInviteCode',
        tags: ['invite codes'],
        summary: 'Turn joining by code off (until a new code is issued)',
        params: IdParams,
        response: { 200: MessageOnly },
      },
    },
    async (request) => {
      await inviteCodes.disable(workspaceContextOf(request));
      return { message: request.translate('invite_code.disabled') };
    },
  );

  app.post(
    '/invite-codes/:code/join',
    {
      config: { policy: authenticated() },
      preHandler: (request) => joinAttempts.check(request),
      schema: {
        operationId: 'joinByInviteCode',
        tags: ['invite codes'],
        summary: "Join the code's workspace as a member (one membership however often used; counted against the plan's users limit)",
        params: InviteCodeParams,
        response: { 200: DataEnvelope(JoinedByCode) },
      },
    },
    async (request) => {
      const joined = await inviteCodes.join(userContextOf(request), request.params.code);
      return {
        data: { workspace_id: joined.workspaceId, joined: joined.joined },
        message: request.translate(joined.joined ? 'invite_code.joined' : 'invite_code.already_member'),
      };
    },
  );
};
