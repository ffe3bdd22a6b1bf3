import type { AllowedLocations } from '../../core/auth/request-context.ts';
import type { ExpressionBuilder } from 'kysely';
import type { Database, Executor, Tx } from '../../schema/database.ts';
import type { AuditEventRow, NewAuditEventRow } from './audit-log.table.ts';

export async function insertAuditEvent(tx: Tx, row: NewAuditEventRow, locationIds: readonly number[]): Promise<void> {
  const { id } = await tx.insertInto('audit_events').values(row).returning('id').executeTakeFirstOrThrow();
  const distinct = [...new Set(locationIds)];
  if (distinct.length > 0) await tx.insertInto('audit_event_locations').values(distinct.map((location_id) => ({ event_id: id, location_id }))).execute();
}

/** Locations an event names that are not among `allowed`. */
function namedElsewhere(eb: ExpressionBuilder<Database, 'audit_events'>, allowed: ReadonlySet<number>) {
  const named = eb.selectFrom('audit_event_locations as l').select('l.location_id').whereRef('l.event_id', '=', 'audit_events.id');
  return allowed.size === 0 ? named : named.where('l.location_id', 'not in', [...allowed]);
}

/**
 * Newest first: a page holds events older than `beforeId` (0 means from the newest). A null
 * workspace lists the tenant's own log: account and tenant changes, which no workspace holds.
 */
export async function listAuditEvents(
  db: Executor,
  query: { tenantId: number; workspaceId: number | null; beforeId: number; limit: number; locations: AllowedLocations },
): Promise<AuditEventRow[]> {
  const { locations } = query;
  let events = db
    .selectFrom('audit_events')
    .selectAll()
    .where('tenant_id', '=', query.tenantId)
    .where('workspace_id', query.workspaceId === null ? 'is' : '=', query.workspaceId)
    .$if(query.beforeId > 0, (q) => q.where('id', '<', query.beforeId));
  // Within location access, only events every named location of which is one of the caller's.
  if (locations !== 'all') events = events.where((eb) => eb.not(eb.exists(namedElsewhere(eb, locations))));
  return events
    .orderBy('id', 'desc')
    .limit(query.limit)
    .execute();
}
