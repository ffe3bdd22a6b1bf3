import { sql, type Kysely, type Transaction } from 'kysely';
import { engineOf } from './dialect.ts';

/**
 * Runs `work` in one write transaction and returns its result.
 *
 * SQLite starts it with BEGIN IMMEDIATE: a deferred transaction that reads and later
 * writes gets SQLITE_BUSY at once (ignoring busy_timeout) when another process wrote
 * in between; taking the write lock up front makes it wait its turn instead.
 *
 * @example const user = await inTransaction(db, (tx) => insertUser(tx, input));
 */
export async function inTransaction<DB, T>(db: Kysely<DB>, work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (engineOf(db) === 'postgres') return db.transaction().execute(work);
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await work(connection as unknown as Transaction<DB>);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); then this is a no-op error.
      await sql`rollback`.execute(connection).catch(() => undefined);
      throw error;
    }
  });
}
