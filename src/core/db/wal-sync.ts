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

  /** Resolves once every commit made so far is on disk. */
  async flush(): Promise<void> {
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
    await this.#sync();
    this.#syncs += 1;
    this.#synced = Math.max(this.#synced, covered);
  }
}

/**
 * Syncs the WAL file of the database at `databaseFile`. The first time, its directory too,
 * so the WAL's own directory entry survives a power loss.
 */
export function walFileSync(databaseFile: string): { sync: () => Promise<void>; close: () => Promise<void> } {
  let wal: Promise<FileHandle> | undefined;
  const openWal = async () => {
    const handle = await open(`${databaseFile}-wal`, 'r');
    const directory = await open(path.dirname(databaseFile), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return handle;
  };
  return {
    sync: async () => {
      wal ??= openWal();
      await (await wal).datasync();
    },
    close: async () => {
      await (await wal?.catch(() => undefined))?.close();
    },
  };
}
