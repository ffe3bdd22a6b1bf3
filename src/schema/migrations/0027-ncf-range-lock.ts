import { sql, type Kysely } from 'kysely';
import type { Engine } from '../../core/db/dialect.ts';

/** The advisory lock class of NCF range changes on PostgreSQL (the second key is the tenant id); 7235101 and 7235102 are the migrations' and the workspace groups'. */
const NCF_RANGE_LOCK_CLASS = 7235103;
const NCF_RANGE_LOCK = 'ncf_range_changes_one_at_a_time';

/**
 * Overlapping NCF ranges authorised at once are refused as overlapping, not as a deadlock.
 * PostgreSQL checks an exclusion constraint after the new row is in the index: two
 * transactions inserting overlapping ranges each find the other's row in progress, each
 * waits for the other, and the deadlock detector aborts one (40P01, answered 503). Of six
 * overlapping inserts at once, about one round in five ended so (a scratch run of 200
 * rounds). Taking a per-tenant lock before the row goes in makes the second wait for the
 * first to end and then meet its committed row: 23P01, answered 409. Drawing numbers
 * changes `next_number` only and takes no such lock. SQLite's writers run one at a time.
 */
export async function up(db: Kysely<any>, engine: Engine): Promise<void> {
  if (engine !== 'postgres') return;
  await sql
    .raw(
      `create function ${NCF_RANGE_LOCK}() returns trigger language plpgsql as $$ begin ` +
        `perform pg_advisory_xact_lock(${NCF_RANGE_LOCK_CLASS}, NEW.tenant_id); return NEW; end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger ${NCF_RANGE_LOCK} before insert or update of tenant_id, document_type, range_start, range_end ` +
        `on ncf_sequences for each row execute function ${NCF_RANGE_LOCK}()`,
    )
    .execute(db);
}
