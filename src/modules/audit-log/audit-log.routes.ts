import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inContext, requiresTenant } from '../../core/auth/policy.ts';
import { userContextOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import type { Page } from '../../core/http/pagination.ts';
import type { AuditEventListRow } from './audit-log.table.ts';
import { ListEnvelope, Nullable, Timestamp } from '../../core/http/schemas.ts';
import { AuditQuery } from './audit-log.schemas.ts';
import type { AuditLogService } from './audit-log.service.ts';

const AuditUser = Type.Object({ id: Type.Integer(), name: Type.String(), email: Type.String() }, { title: 'AuditUser' });

const AuditEvent = Type.Object(
  {
    id: Type.Integer(),
    action: Type.String(),
    target_type: Type.String(),
    target_id: Nullable(Type.String()),
    target_user: Type.Union([AuditUser, Type.Null()], { description: 'The user the event is about, when its target is a user, named as `actor` is' }),
    workspace_id: Nullable(Type.Integer()),
    actor_user_id: Nullable(Type.Integer()),
    actor: Type.Union([AuditUser, Type.Null()], {
      description:
        "The person who acted (for an API key, its creator), as named now: in a workspace's log when they are its member, in the tenant's log always; else null (`actor_user_id` still says who, null for an operator)",
    }),
    actor_api_key_id: Nullable(Type.Integer()),
    acting_as: Type.Boolean({ description: 'Made by an admin workspace acting as a sub workspace (x-as-workspace).' }),
    acting_as_workspace_id: Nullable(Type.Integer({ description: 'The sub workspace acted as.' })),
    admin_workspace_id: Nullable(Type.Integer({ description: 'The admin workspace whose member or API key acted.' })),
    details: Type.Record(Type.String(), Type.Unknown()),
    created_at: Timestamp,
  },
  { title: 'AuditEvent' },
);

export const auditLogRoutes: FastifyPluginAsyncTypebox<{ auditLog: AuditLogService }> = async (app, { auditLog }) => {
  app.get(
    '/audit-events',
    {
      config: { policy: inContext('audit:view') },
      schema: {
        operationId: 'listAuditEvents',
        tags: ['audit'],
        summary: 'Who changed membership, roles, ownership, keys and records in this workspace, newest first; narrowed by action, person, target and time',
        querystring: AuditQuery,
        response: { 200: ListEnvelope(AuditEvent) },
      },
    },
    async (request) => eventsPage(await auditLog.list(workspaceContextOf(request), request.query)),
  );

  app.get(
    '/tenant/audit-events',
    {
      config: { policy: requiresTenant('tenant:view') },
      schema: {
        operationId: 'listTenantAuditEvents',
        tags: ['tenant'],
        summary: "The tenant's own log, newest first: accounts (passwords, addresses, sessions, second factors), users' tenant roles, and the tenant's settings and policy; narrowed as the workspace log is",
        querystring: AuditQuery,
        response: { 200: ListEnvelope(AuditEvent) },
      },
    },
    async (request) => eventsPage(await auditLog.listTenant(userContextOf(request), request.query)),
  );
};

const userOf = (id: number | null, name: string | null, email: string | null) => (id !== null && name !== null && email !== null ? { id, name, email } : null);

function eventsPage(page: Page<AuditEventListRow>) {
  return {
    data: page.items.map(({ actor_name, actor_email, target_name, target_email, ...event }) => ({
      ...event,
      actor: userOf(event.actor_user_id, actor_name, actor_email),
      target_user: event.target_type === 'user' ? userOf(Number(event.target_id), target_name, target_email) : null,
      acting_as: event.acting_as_workspace_id !== null,
      details: JSON.parse(event.details) as Record<string, unknown>,
    })),
    meta: { next_cursor: page.nextCursor },
  };
}
