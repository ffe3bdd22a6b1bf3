import type { Executor, Tx } from '../../schema/database.ts';
import type { AuditEventRow, NewAuditEventRow } from './audit-log.table.ts';

export async function insertAuditEvent(tx: Tx, row: NewAuditEventRow): Promise<void> {
  await tx.insertInto('audit_events').values(row).execute();
}

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
