import type { AllowedLocations } from '../../core/auth/request-context.ts';
import { sql, type Expression, type ExpressionBuilder } from 'kysely';
import type { Database, Executor, Tx } from '../../schema/database.ts';
import type { AuditEventListRow, NewAuditEventRow } from './audit-log.table.ts';

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

/** Whether the joined user is a member of the workspace: a workspace's log names only its own members. */
function memberOf(user: Expression<number>, workspaceId: number) {
  return sql<boolean>`exists (select 1 from memberships m where m.user_id = ${user} and m.workspace_id = ${workspaceId})`;
}

/** What a reader may narrow a log to; every part is optional and they all apply together. */
export interface AuditFilter {
  /** One action (`member.role_changed`), or every action of an area when it ends in a dot (`member.`). */
  action?: string;
  /** The normalized e-mail key of the person who acted (of a person the log names: see listAuditEvents). */
  actorEmailKey?: string;
  targetType?: string;
  targetId?: string;
  /** From this instant on (ISO, as stored). */
  since?: string;
  /** Before this instant (ISO, as stored). */
  until?: string;
}

/**
 * Newest first: a page holds events older than `beforeId` (0 means from the newest). A null
 * workspace lists the tenant's own log: account and tenant changes, which no workspace holds.
 * Each event carries the name and address of the person who acted, and of the user it is
 * about, read now (audit rows keep plain ids: they outlive renames), where the reader may
 * know them.
 */
export async function listAuditEvents(
  db: Executor,
  query: { tenantId: number; workspaceId: number | null; beforeId: number; limit: number; locations: AllowedLocations; filter: AuditFilter },
): Promise<AuditEventListRow[]> {
  const { locations, filter, workspaceId } = query;
  const { action } = filter;
  // A workspace's log names the people its readers may list, its members; the tenant's log,
  // read by the tenant's owners and admins, every user of the tenant. Anyone else (a member
  // of an admin workspace that acted as this one, or who invited it to a group, or who has
  // left) is the id alone.
  let events = db
    .selectFrom('audit_events')
    .leftJoin('users as actor', (join) =>
      join
        .onRef('actor.id', '=', 'audit_events.actor_user_id')
        .onRef('actor.tenant_id', '=', 'audit_events.tenant_id')
        .$call((j) => (workspaceId === null ? j : j.on((eb) => memberOf(eb.ref('actor.id'), workspaceId)))),
    )
    .leftJoin('users as target', (join) =>
      join
        .on('audit_events.target_type', '=', 'user')
        .onRef('target.tenant_id', '=', 'audit_events.tenant_id')
        .on((eb) => eb(eb.cast('target.id', 'text'), '=', eb.ref('audit_events.target_id')))
        .$call((j) => (workspaceId === null ? j : j.on((eb) => memberOf(eb.ref('target.id'), workspaceId)))),
    )
    .selectAll('audit_events')
    .select(['actor.name as actor_name', 'actor.email as actor_email', 'target.name as target_name', 'target.email as target_email'])
    .where('audit_events.tenant_id', '=', query.tenantId)
    .where('audit_events.workspace_id', workspaceId === null ? 'is' : '=', workspaceId)
    .$if(query.beforeId > 0, (q) => q.where('audit_events.id', '<', query.beforeId))
    .$if(action !== undefined && !action.endsWith('.'), (q) => q.where('audit_events.action', '=', action ?? ''))
    // A prefix compared as text, not with LIKE: actions hold underscores, which LIKE reads as wildcards.
    .$if(action?.endsWith('.') === true, (q) =>
      q.where((eb) => eb(eb.fn('substr', ['audit_events.action', eb.val(1), eb.val(action?.length ?? 0)]), '=', action ?? '')),
    )
    .$if(filter.actorEmailKey !== undefined, (q) => q.where('actor.email_key', '=', filter.actorEmailKey ?? ''))
    .$if(filter.targetType !== undefined, (q) => q.where('audit_events.target_type', '=', filter.targetType ?? ''))
    .$if(filter.targetId !== undefined, (q) => q.where('audit_events.target_id', '=', filter.targetId ?? ''))
    .$if(filter.since !== undefined, (q) => q.where('audit_events.created_at', '>=', filter.since ?? ''))
    .$if(filter.until !== undefined, (q) => q.where('audit_events.created_at', '<', filter.until ?? ''));
  // Within location access, only events every named location of which is one of the caller's.
  if (locations !== 'all') events = events.where((eb) => eb.not(eb.exists(namedElsewhere(eb, locations))));
  return events
    .orderBy('audit_events.id', 'desc')
    .limit(query.limit)
    .execute();
}
