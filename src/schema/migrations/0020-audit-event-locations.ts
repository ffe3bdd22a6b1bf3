import type { Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';

/**
 * The locations an audit event is about (issue 17's location access): a receipt's location,
 * a transfer's two, a location's own changes, the defaults a settings change names, the
 * lists of a location-access change. A member restricted to some locations is shown an
 * event only when every location it names is one of theirs; an event naming none is shown
 * as before. The rows go with their event; they name no location by foreign key, because
 * the log outlives what it tells of.
 */
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema
    .createTable('audit_event_locations')
    .addColumn('event_id', 'integer', (c) => c.notNull().references('audit_events.id').onDelete('cascade'))
    .addColumn('location_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_event_locations_pk', ['event_id', 'location_id'])
    .execute();
}
