import { sql, type Kysely } from 'kysely';
import { timestampType, type Engine } from '../../core/db/dialect.ts';

/**
 * A message can outlive what it is about: an invitation's e-mail is worthless once the
 * invitation has expired. Messages get the moment they stop being worth sending; those
 * already queued for an invitation take its expiry.
 */
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  await db.schema.alterTable('outbox_messages').addColumn('expires_at', timestampType(engine)).execute();
  await sql`
    update outbox_messages set expires_at = (
      select i.expires_at from invitations i where outbox_messages.reference = 'invitation:' || cast(i.id as text)
    )
    where kind = 'invitation' and status in ('pending', 'failed')
  `.execute(db);
}
