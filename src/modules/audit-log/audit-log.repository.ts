import type { Executor } from '../../core/db/database.ts';
import type { AuditEventRow } from './audit-log.table.ts';

/** Newest first: a page holds events older than `beforeId` (0 means from the newest). */
export async function listAuditEvents(
  db: Executor,
  query: { tenantId: number; workspaceId: number; beforeId: number; limit: number },
): Promise<AuditEventRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('tenant_id', '=', query.tenantId)
    .where('workspace_id', '=', query.workspaceId)
    .$if(query.beforeId > 0, (q) => q.where('id', '<', query.beforeId))
    .orderBy('id', 'desc')
    .limit(query.limit)
    .execute();
}
