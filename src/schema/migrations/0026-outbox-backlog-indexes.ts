import type { Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';

/**
 * A backlog is read in order, not sorted whole for every batch. The worker's "what is due"
 * read, an OR across two statuses ordered by id, read every waiting message and sorted
 * them to take 20, and the expiry sweep before it read every waiting message too: at
 * 20,000 waiting, 36 ms of a single-threaded engine's time for each batch of 20. Now each
 * status is one range of an index in the order messages are taken, and the sweep finds
 * the expired ones by their expiry.
 */
export async function up(db: Kysely<any>, _engine: Engine): Promise<void> {
  await db.schema.dropIndex('outbox_due').execute();
  await db.schema.createIndex('outbox_due').on('outbox_messages').columns(['status', 'next_attempt_at', 'id']).execute();
  await db.schema.createIndex('outbox_expiry').on('outbox_messages').columns(['status', 'expires_at']).execute();
}
