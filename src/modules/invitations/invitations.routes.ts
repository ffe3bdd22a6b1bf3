import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { anonymous, authenticated, inContext } from '../../core/auth/policy.ts';
import { tenantContextOf, userContextOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import { bodyEmailKey, createAttemptLimiter } from '../../core/http/rate-limit.ts';
import { mountSchema, type Mount, type TypeBoxApp } from '../../core/http/mount.ts';
import { DataEnvelope, IdParams, ListEnvelope, MessageOnly, parseId } from '../../core/http/schemas.ts';
import {
  Accepted,
  CreateInvitationBody,
  Invitation,
  InvitationListQuery,
  InvitationPreview,
  IssuedInvitation,
  TokenBody,
} from './invitations.schemas.ts';
import type { InvitationRow, InvitationsService, IssuedInvitation as IssuedInvitationRow } from './invitations.service.ts';

function toInvitation(row: InvitationRow): Invitation {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status: row.status,
    invited_by: row.invited_by,
    expires_at: row.expires_at,
    responded_at: row.responded_at,
    created_at: row.created_at,
  };
}

const issuedInvitation = (issued: IssuedInvitationRow) => ({
  ...toInvitation(issued),
  ...(issued.token === undefined ? {} : { token: issued.token }),
  delivery: issued.delivery,
});

/** What sending invitations is limited by, shared by every surface that sends them. */
export interface InvitationLimiters {
  /** A new invitation: per inviter and per workspace, and per recipient address. */
  create: (request: FastifyRequest) => Promise<void>;
  /** A resend mails the same address again: it counts against the sender and, per invitation, the recipient. */
  resend: (request: FastifyRequest) => Promise<void>;
}

export function createInvitationLimiters(
  app: FastifyInstance,
  rateLimit: { max: number; perRecipientMax: number; windowSeconds: number },
): InvitationLimiters {
  const inviter = (request: FastifyRequest) => `inviter:${request.ctx?.actor?.userId ?? 0}`;
  const workspace = (request: FastifyRequest) => `workspace:${request.ctx?.workspace?.id ?? 0}`;
  const recipient = (request: FastifyRequest) => `recipient:${bodyEmailKey(request)}`;
  const bySender = createAttemptLimiter(app, { name: 'invitations', max: rateLimit.max, windowSeconds: rateLimit.windowSeconds, keys: [inviter, workspace] });
  const byRecipient = createAttemptLimiter(app, {
    name: 'invitations',
    max: rateLimit.perRecipientMax,
    windowSeconds: rateLimit.windowSeconds,
    keys: [recipient],
  });
  const resendsOfOne = createAttemptLimiter(app, {
    name: 'invitations',
    max: rateLimit.perRecipientMax,
    windowSeconds: rateLimit.windowSeconds,
    keys: [(request) => `resend:${request.ctx?.workspace?.id ?? 0}:${(request.params as { id?: string }).id ?? ''}`],
  });
  return {
    async create(request) {
      await bySender.check(request);
      await byRecipient.check(request);
    },
    async resend(request) {
      await bySender.check(request);
      await resendsOfOne.check(request);
    },
  };
}

/** Invites an address to the workspace; mounted on both surfaces, counted by the same limiters. */
export function mountCreateInvitation(app: TypeBoxApp, invitations: InvitationsService, limiters: InvitationLimiters, mount: Mount): void {
  app.post(
    mount.url,
    {
      config: { policy: mount.policy },
      preHandler: limiters.create,
      schema: {
        ...mountSchema(mount),
        summary: 'Invite an address to the workspace (expires in 7 days; an e-mail is sent)',
        body: CreateInvitationBody,
        response: { 201: DataEnvelope(IssuedInvitation) },
      },
    },
    async (request, reply) => {
      const created = await invitations.create(workspaceContextOf(request), request.body);
      return reply.code(201).send({ data: issuedInvitation(created), message: request.translate('invitation.sent') });
    },
  );
}

export const invitationsRoutes: FastifyPluginAsyncTypebox<{ invitations: InvitationsService; limiters: InvitationLimiters }> = async (
  app,
  { invitations, limiters },
) => {
  mountCreateInvitation(app, invitations, limiters, {
    url: '/invitations',
    policy: inContext('invitations:create'),
    operationId: 'createInvitation',
    tag: 'invitations',
  });

  app.get(
    '/invitations',
    {
      config: { policy: inContext('invitations:view') },
      schema: {
        operationId: 'listInvitations',
        tags: ['invitations'],
        summary: 'Invitations of the current workspace, all or of one status (?status=pending|accepted|declined|revoked|expired)',
        querystring: InvitationListQuery,
        response: { 200: ListEnvelope(Invitation) },
      },
    },
    async (request) => {
      const page = await invitations.list(workspaceContextOf(request), request.query);
      return { data: page.items.map(toInvitation), meta: { next_cursor: page.nextCursor } };
    },
  );

  app.delete(
    '/invitations/:id',
    {
      config: { policy: inContext('invitations:revoke') },
      schema: { operationId: 'revokeInvitation', tags: ['invitations'], summary: 'Revoke a pending invitation', params: IdParams, response: { 200: MessageOnly } },
    },
    async (request) => {
      await invitations.revoke(workspaceContextOf(request), parseId(request.params.id, 'INVITATION.NOT_FOUND'));
      return { message: request.translate('invitation.revoked') };
    },
  );

  app.post(
    '/invitations/:id/resend',
    {
      config: { policy: inContext('invitations:create') },
      preHandler: limiters.resend,
      schema: {
        operationId: 'resendInvitation',
        tags: ['invitations'],
        summary: 'Send a pending invitation again with a fresh token and expiry (the old token dies)',
        params: IdParams,
        response: { 200: DataEnvelope(IssuedInvitation) },
      },
    },
    async (request) => {
      const resent = await invitations.resend(workspaceContextOf(request), parseId(request.params.id, 'INVITATION.NOT_FOUND'));
      return { data: issuedInvitation(resent), message: request.translate('invitation.resent') };
    },
  );

  app.post(
    '/invitations/lookup',
    {
      config: { policy: anonymous() },
      schema: {
        operationId: 'lookupInvitation',
        tags: ['invitations'],
        summary: 'What an invitation page shows, by token (the token stays out of URLs and logs)',
        body: TokenBody,
        response: { 200: DataEnvelope(InvitationPreview) },
      },
    },
    async (request) => {
      const found = await invitations.lookup(tenantContextOf(request), request.body.token);
      return { data: { workspace_name: found.workspace_name, inviter_name: found.inviter_name, role: found.role, expires_at: found.expires_at } };
    },
  );

  app.post(
    '/invitations/accept',
    {
      config: { policy: authenticated() },
      schema: {
        operationId: 'acceptInvitation',
        tags: ['invitations'],
        summary: 'Accept an invitation, signed in with the invited address',
        body: TokenBody,
        response: { 200: DataEnvelope(Accepted) },
      },
    },
    async (request) => {
      const accepted = await invitations.accept(userContextOf(request), request.body.token);
      return { data: { workspace_id: accepted.workspace_id, role: accepted.role }, message: request.translate('invitation.accepted') };
    },
  );

  app.post(
    '/invitations/decline',
    {
      config: { policy: anonymous() },
      schema: { operationId: 'declineInvitation', tags: ['invitations'], summary: 'Decline an invitation by its token', body: TokenBody, response: { 200: MessageOnly } },
    },
    async (request) => {
      await invitations.decline(tenantContextOf(request), request.body.token);
      return { message: request.translate('invitation.declined') };
    },
  );
};
