import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { inContext, requiresTenant } from '../../core/auth/policy.ts';
import { userContextOf, workspaceContextOf } from '../../core/auth/resolve-context.ts';
import type { Page } from '../../core/http/pagination.ts';
import type { AuditEventRow } from './audit-log.table.ts';
import { ListEnvelope, ListQuery, Nullable, Timestamp } from '../../core/http/schemas.ts';
import type { AuditLogService } from './audit-log.service.ts';

const AuditEvent = Type.Object(
  {
    id: Type.Integer(),
    action: Type.String(),
    target_type: Type.String(),
    target_id: Nullable(Type.String()),
    workspace_id: Nullable(Type.Integer()),
    actor_user_id: Nullable(Type.Integer()),
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
        summary: 'Who changed membership, roles, ownership and keys in this workspace, newest first',
        querystring: ListQuery,
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
        summary: "The tenant's own log, newest first: accounts (passwords, addresses, sessions, second factors) and account policy",
        querystring: ListQuery,
        response: { 200: ListEnvelope(AuditEvent) },
      },
    },
    async (request) => eventsPage(await auditLog.listTenant(userContextOf(request), request.query)),
  );
};

function eventsPage(page: Page<AuditEventRow>) {
  return {
    data: page.items.map((event) => ({
      ...event,
      acting_as: event.acting_as_workspace_id !== null,
      details: JSON.parse(event.details) as Record<string, unknown>,
    })),
    meta: { next_cursor: page.nextCursor },
  };
}
