import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/**
 * Group commit for SQLite's write-ahead log, off the event loop. With `synchronous=FULL`
 * SQLite syncs the WAL inside every COMMIT, and better-sqlite3's calls are synchronous:
 * each write stopped the whole process for the length of a disk sync (~0.4–1 ms here, a
 * third of the event loop's time in a storm of invitations). Instead the connection runs
 * with `synchronous=NORMAL` (a commit reaches the WAL file, not yet the disk) and this
 * syncs the WAL on libuv's pool: a write is acknowledged only once a sync that began after
 * its commit has finished, and commits that arrive while a sync runs share the next one.
 */
export class WalSync {
  #committed = 0;
  #synced = 0;
  #syncs = 0;
  #running: Promise<void> | undefined;
  /** A failed disk sync, kept: see flush. */
  #failure: Error | undefined;
  readonly #sync: () => Promise<void>;

  constructor(sync: () => Promise<void>) {
    this.#sync = sync;
  }

  /** Called right after a COMMIT returns, before the connection serves anything else. */
  committed(): void {
    this.#committed += 1;
  }

  /** Whether some commit is not yet known to be on disk: what a reader may have seen. */
  get pending(): boolean {
    return this.#synced < this.#committed;
  }

  /**
   * Resolves once every commit made so far is on disk. After a failed sync it rejects for
   * good, as PostgreSQL stops after a failed WAL flush: the kernel may already have dropped
   * the pages it could not write, so a later sync that succeeds would not prove them on disk.
   * Every answer then fails (writes, and reads while a commit is unsynced) until a restart,
   * whose recovery reads the WAL as it is on disk.
   */
  async flush(): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    const wanted = this.#committed;
    while (this.#synced < wanted) {
      // A sync already running may have begun before the commits waited for: then one more.
      this.#running ??= this.#syncOnce().finally(() => (this.#running = undefined));
      await this.#running;
    }
  }

  /** Commits made, and disk syncs that covered them, since start-up. */
  stats(): { commits: number; syncs: number } {
    return { commits: this.#committed, syncs: this.#syncs };
  }

  async #syncOnce(): Promise<void> {
    const covered = this.#committed;
    try {
      await this.#sync();
    } catch (error) {
      this.#failure = error instanceof Error ? error : new Error(String(error));
      throw this.#failure;
    }
    this.#syncs += 1;
    this.#synced = Math.max(this.#synced, covered);
  }
}

/**
 * Syncs the WAL file of the database at `databaseFile`, and once its directory, so the
 * WAL's own directory entry survives a power loss (a directory that cannot be synced, as on
 * some network or overlay file systems, is let be, as SQLite lets it be). A WAL that no
 * longer exists was checkpointed into the database and removed by SQLite, which synced the
 * database first: nothing is left to sync. `close` syncs a last time; a sync after it opens
 * the file again.
 */
export function walFileSync(databaseFile: string): { sync: () => Promise<void>; close: () => Promise<void> } {
  const walPath = `${databaseFile}-wal`;
  let wal: Promise<FileHandle | undefined> | undefined;
  let directorySynced = false;
  const openWal = async (): Promise<FileHandle | undefined> => {
    const handle = await open(walPath, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (handle && !directorySynced) {
      const directory = await open(path.dirname(databaseFile), 'r');
      await directory.sync().catch(() => undefined);
      await directory.close();
      directorySynced = true;
    }
    return handle;
  };
  const sync = async () => {
    // A failed open is not kept: the next sync tries again.
    const opening = (wal ??= openWal().catch((error: unknown) => {
      wal = undefined;
      throw error;
    }));
    const handle = await opening;
    if (!handle) wal = undefined;
    else await handle.datasync();
  };
  return {
    sync,
    close: async () => {
      const opened = wal;
      wal = undefined;
      const handle = await opened?.catch(() => undefined);
      if (!handle) return;
      await handle.datasync().finally(() => handle.close());
    },
  };
}
