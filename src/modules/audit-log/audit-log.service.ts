import type { InWorkspaceContext } from '../../core/auth/request-context.ts';
import type { Db } from '../../core/db/database.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import { listAuditEvents } from './audit-log.repository.ts';
import type { AuditEventRow } from './audit-log.table.ts';

export type AuditLogService = ReturnType<typeof createAuditLogService>;

export function createAuditLogService(deps: { db: Db }) {
  return {
    async list(ctx: InWorkspaceContext, query: { limit: number; cursor?: string }): Promise<Page<AuditEventRow>> {
      const rows = await listAuditEvents(deps.db, {
        tenantId: ctx.tenant.id,
        workspaceId: ctx.workspace.id,
        beforeId: decodeCursor(query.cursor),
        limit: query.limit + 1,
      });
      return toPage(rows, query.limit);
    },
  };
}
