import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import { engineOf, isBusy, SQLITE_BUSY_TIMEOUT_MS, walSyncOf } from './dialect.ts';

/** The longest pause between two attempts at SQLite's write lock. */
const MAX_LOCK_PAUSE_MS = 25;

/** What a turn at SQLite's write lock gave: the transaction's result, or nothing while another process held the lock. */
type Turn<T> = { result: T } | 'busy';

/**
 * Runs `work` in one write transaction and returns its result.
 *
 * SQLite starts it with BEGIN IMMEDIATE: a deferred transaction that reads and later
 * writes gets SQLITE_BUSY at once (ignoring busy_timeout) when another process wrote
 * in between; taking the write lock up front makes it wait its turn instead. The wait
 * happens here, not in SQLite's busy timeout: better-sqlite3's calls are synchronous, so
 * SQLite sleeping on a lock held by another process (the CLI, a second instance) would
 * stop this process answering anything, and keeping the connection while waiting would
 * stop its reads. So the lock is tried without waiting, and while another process holds
 * it the connection is let go and the attempt repeated after a short pause, for as long as
 * the busy timeout (then SQLITE_BUSY: 503 STORAGE.BUSY). With synchronous=FULL the result
 * is returned once the WAL holding the commit is synced to disk, a sync shared with the
 * commits around it and waited for after the connection is let go (./wal-sync.ts).
 *
 * @example const user = await inTransaction(db, (tx) => insertUser(tx, input));
 */
export async function inTransaction<DB, T>(db: Kysely<DB>, work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (engineOf(db) === 'postgres') return db.transaction().execute(work);
  const walSync = walSyncOf(db);
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (let pause = 1; ; pause = Math.min(2 * pause, MAX_LOCK_PAUSE_MS)) {
    const turn = await db.connection().execute(async (connection): Promise<Turn<T>> => {
      if (!(await tryBeginImmediate(connection, Date.now() + pause > deadline))) return 'busy';
      try {
        const result = await work(connection as unknown as Transaction<DB>);
        await sql`commit`.execute(connection);
        // Before the connection serves another query, so no read can see this commit unannounced.
        walSync?.committed();
        return { result };
      } catch (error) {
        // SQLite may already have rolled back on its own (e.g. SQLITE_FULL); then this is a no-op error.
        await sql`rollback`.execute(connection).catch(() => undefined);
        throw error;
      }
    });
    if (turn !== 'busy') {
      await walSync?.flush();
      return turn.result;
    }
    await sleep(pause);
  }
}

/**
 * BEGIN IMMEDIATE with SQLite's busy timeout off; false when another process holds the
 * write lock. On the `last` attempt a busy lock is thrown, as SQLite would after its timeout.
 * The timeout is back on before anything else runs on the connection, or the transaction
 * just begun is rolled back.
 */
async function tryBeginImmediate<DB>(connection: Kysely<DB>, last: boolean): Promise<boolean> {
  await sql`pragma busy_timeout = 0`.execute(connection);
  const refused = await sql`begin immediate`.execute(connection).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  try {
    await sql.raw(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`).execute(connection);
  } catch (error) {
    if (!refused) await sql`rollback`.execute(connection).catch(() => undefined);
    throw error;
  }
  if (refused && (!isBusy(refused.error) || last)) throw refused.error;
  return !refused;
}
