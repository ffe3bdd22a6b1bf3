import type { Generated, Insertable, Selectable } from 'kysely';

export interface AuditEventsTable {
  id: Generated<number>;
  tenant_id: number;
  workspace_id: number | null;
  actor_user_id: number | null;
  actor_api_key_id: number | null;
  /** The sub workspace an admin workspace acted as (x-as-workspace); null otherwise. */
  acting_as_workspace_id: number | null;
  /** The admin workspace whose member or key acted as `acting_as_workspace_id` (migration 0009). */
  admin_workspace_id: number | null;
  action: string;
  target_type: string;
  target_id: string | null;
  /** JSON object. */
  details: string;
  created_at: string;
}

/** A location an event is about (migration 0020). */
export interface AuditEventLocationsTable {
  event_id: number;
  location_id: number;
}

export type AuditEventRow = Selectable<AuditEventsTable>;
export type NewAuditEventRow = Insertable<AuditEventsTable>;

/** An event as the log lists it: with the person who acted and the user it is about, when known. */
export type AuditEventListRow = AuditEventRow & {
  actor_name: string | null;
  actor_email: string | null;
  target_name: string | null;
  target_email: string | null;
};
