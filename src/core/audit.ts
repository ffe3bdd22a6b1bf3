import type { RequestContext } from './auth/request-context.ts';
import type { Tx } from './db/database.ts';

export interface AuditEvent {
  /** `area.verb`, e.g. `member.role_changed`. */
  action: string;
  targetType: string;
  targetId: string | number | null;
  workspaceId: number | null;
  details?: Record<string, unknown>;
  /** When it happened, from the service's clock. */
  at: string;
}

/**
 * Records who did what, acting how, in the same transaction as the change itself:
 * a change is never committed without its audit row, nor the other way round.
 */
export async function recordAudit(tx: Tx, ctx: RequestContext, event: AuditEvent): Promise<void> {
  const actor = ctx.actor;
  await tx
    .insertInto('audit_events')
    .values({
      tenant_id: ctx.tenant.id,
      workspace_id: event.workspaceId,
      actor_user_id: actor?.userId ?? null,
      actor_api_key_id: actor?.kind === 'api_key' ? actor.apiKeyId : null,
      acting_as_workspace_id: null,
      action: event.action,
      target_type: event.targetType,
      target_id: event.targetId === null ? null : String(event.targetId),
      details: JSON.stringify({ ...event.details, via: ctx.workspace?.source ?? null }),
      created_at: event.at,
    })
    .execute();
}
