import type { AllowedLocations } from '../../core/auth/request-context.ts';
import type { InWorkspaceContext, RequestContext } from '../../core/auth/request-context.ts';
import { decodeCursor, toPage, type Page } from '../../core/http/pagination.ts';
import type { Db, Tx } from '../../schema/database.ts';
import { AppError } from '../../core/errors.ts';
import { normalizeKey } from '../../core/normalize.ts';
import { insertAuditEvent, listAuditEvents, type AuditFilter } from './audit-log.repository.ts';
import type { AuditQuery } from './audit-log.schemas.ts';
import type { AuditEventListRow } from './audit-log.table.ts';

export interface AuditEvent {
  /** `area.verb`, e.g. `member.role_changed`. */
  action: string;
  targetType: string;
  targetId: string | number | null;
  workspaceId: number | null;
  details?: Record<string, unknown>;
  /**
   * The locations the event is about: a member restricted to some locations is shown it
   * only when every one of them is theirs (migration 0020).
   */
  locationIds?: readonly number[];
  /** When it happened, from the service's clock. */
  at: string;
}

/** Who made a change, and through what. */
interface AuditAuthor {
  tenantId: number;
  userId: number | null;
  apiKeyId: number | null;
  /** The admin workspace the change was made from, acting as the event's workspace. */
  actingFrom: { id: number } | null;
  via: string | null;
}

function auditRow(author: AuditAuthor, event: AuditEvent) {
  return {
    tenant_id: author.tenantId,
    workspace_id: event.workspaceId,
    actor_user_id: author.userId,
    actor_api_key_id: author.apiKeyId,
    acting_as_workspace_id: author.actingFrom ? event.workspaceId : null,
    admin_workspace_id: author.actingFrom?.id ?? null,
    action: event.action,
    target_type: event.targetType,
    target_id: event.targetId === null ? null : String(event.targetId),
    details: JSON.stringify({ ...event.details, via: author.via }),
    created_at: event.at,
  };
}

/**
 * A transaction step every area's service composes: records who did what, acting how,
 * in the same transaction as the change itself, so a change is never committed without
 * its audit row, nor the other way round. A change made in a sub workspace by an admin
 * workspace acting as it (`x-as-workspace`) is recorded twice, in both workspaces' logs,
 * each row naming the person or key, the admin workspace and the sub workspace.
 */
export async function recordAudit(tx: Tx, ctx: RequestContext, event: AuditEvent): Promise<void> {
  const actor = ctx.actor;
  const actingFrom = ctx.workspace?.actingFrom && event.workspaceId === ctx.workspace.id ? ctx.workspace.actingFrom : null;
  const row = auditRow(
    {
      tenantId: ctx.tenant.id,
      userId: actor?.userId ?? null,
      apiKeyId: actor?.kind === 'api_key' ? actor.apiKeyId : null,
      actingFrom,
      via: ctx.workspace?.source ?? null,
    },
    event,
  );
  const locationIds = event.locationIds ?? [];
  await insertAuditEvent(tx, row, locationIds);
  if (actingFrom) await insertAuditEvent(tx, { ...row, workspace_id: actingFrom.id }, locationIds);
}

/**
 * The audit step for a change a user makes with no request context naming them: while their
 * account is being created (joining a workspace at registration), through a link mailed to
 * them, a sign-in's second step, or the operator CLI (`via` says which).
 */
export async function recordAuditWithoutContext(
  tx: Tx,
  /** No user for an operator's change that is no one's account (proving a workspace's domain). */
  user: { tenantId: number; userId: number | null },
  event: AuditEvent,
  via: 'registration' | 'account_link' | 'sign_in' | 'operator' = 'registration',
): Promise<void> {
  await insertAuditEvent(tx, auditRow({ tenantId: user.tenantId, userId: user.userId, apiKeyId: null, actingFrom: null, via }, event), event.locationIds ?? []);
}

export type AuditLogService = ReturnType<typeof createAuditLogService>;

/** The query's filters as stored values: the address as its key, the instants in the stored ISO form (any offset the reader sent). */
function filterOf(query: AuditQuery): AuditFilter {
  return {
    ...(query.action !== undefined && { action: query.action }),
    ...(query.actor_email !== undefined && { actorEmailKey: normalizeKey(query.actor_email) }),
    ...(query.target_type !== undefined && { targetType: query.target_type }),
    ...(query.target_id !== undefined && { targetId: query.target_id }),
    ...(query.since !== undefined && { since: storedInstant(query.since, 'since') }),
    ...(query.until !== undefined && { until: storedInstant(query.until, 'until') }),
  };
}

/** RFC 3339 allows a leap second, which no Date holds: a 422, not a 500. */
function storedInstant(value: string, field: string): string {
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) throw new AppError('VALIDATION.FAILED', { [field]: 'is not an instant this API can compare' });
  return instant.toISOString();
}

export function createAuditLogService(deps: { db: Db }) {
  const page = async (where: { tenantId: number; workspaceId: number | null; locations: AllowedLocations }, query: AuditQuery) =>
    toPage(await listAuditEvents(deps.db, { ...where, filter: filterOf(query), beforeId: decodeCursor(query.cursor), limit: query.limit + 1 }), query.limit);
  return {
    /** The workspace's log, within the caller's location access. */
    list(ctx: InWorkspaceContext, query: AuditQuery): Promise<Page<AuditEventListRow>> {
      return page({ tenantId: ctx.tenant.id, workspaceId: ctx.workspace.id, locations: ctx.workspace.locations }, query);
    },
    /** The tenant's own log: accounts (passwords, addresses, sessions, second factors) and the tenant's policies. */
    listTenant(ctx: { tenant: { id: number } }, query: AuditQuery): Promise<Page<AuditEventListRow>> {
      return page({ tenantId: ctx.tenant.id, workspaceId: null, locations: 'all' }, query);
    },
  };
}
