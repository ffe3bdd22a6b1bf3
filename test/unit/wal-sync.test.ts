import { describe, expect, it } from 'vitest';
import { WalSync } from '../../src/core/db/wal-sync.ts';

/** A disk sync that finishes only when told to, recording when each began. */
function controlledSync() {
  const begun: Array<() => void> = [];
  return {
    begun,
    sync: () => new Promise<void>((resolve) => begun.push(resolve)),
    finish: (index: number) => begun[index]?.(),
  };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('WAL group commit', () => {
  it('answers a flush only after a sync that began after its commit', async () => {
    const disk = controlledSync();
    const wal = new WalSync(disk.sync);
    wal.committed();
    const first = wal.flush();
    expect(disk.begun).toHaveLength(1);
    // A commit while the first sync runs: that sync may not hold it.
    wal.committed();
    const second = wal.flush();
    disk.finish(0);
    expect(await settled(first)).toBe(true);
    expect(await settled(second)).toBe(false);
    expect(wal.pending).toBe(true);
    expect(disk.begun).toHaveLength(2);
    disk.finish(1);
    expect(await settled(second)).toBe(true);
    expect(wal.pending).toBe(false);
  });

  it('covers every commit made before a sync began with that one sync', async () => {
    const disk = controlledSync();
    const wal = new WalSync(disk.sync);
    const flushes = Array.from({ length: 10 }, () => {
      wal.committed();
      return wal.flush();
    });
    expect(disk.begun).toHaveLength(1);
    // The first flush began the sync after the first commit only; the other nine need one more.
    disk.finish(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(disk.begun).toHaveLength(2);
    disk.finish(1);
    await Promise.all(flushes);
    expect(wal.stats()).toEqual({ commits: 10, syncs: 2 });
  });

  it('answers at once when nothing is waiting to be synced', async () => {
    const disk = controlledSync();
    const wal = new WalSync(disk.sync);
    await wal.flush();
    expect(disk.begun).toHaveLength(0);
  });

  it('fails every flush after a failed sync, even once the disk answers again: a later sync would not prove the lost pages written', async () => {
    let fail = true;
    const wal = new WalSync(async () => {
      if (fail) throw new Error('EIO');
    });
    wal.committed();
    await expect(wal.flush()).rejects.toThrow('EIO');
    fail = false;
    wal.committed();
    await expect(wal.flush()).rejects.toThrow('EIO');
    expect(wal.pending).toBe(true);
  });
});

describe('syncing the WAL file', () => {
  it('syncs it, tries again after a failed open, treats a WAL SQLite removed as nothing to sync, and syncs once more on close', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { walFileSync } = await import('../../src/core/db/wal-sync.ts');
    const directory = mkdtempSync(path.join(os.tmpdir(), 'tessera-wal-'));
    const database = path.join(directory, 'tessera.sqlite');
    try {
      const file = walFileSync(database);
      await file.sync(); // no WAL yet: nothing to sync
      writeFileSync(`${database}-wal`, 'frames');
      await file.sync();
      rmSync(`${database}-wal`);
      await file.sync(); // the handle still refers to the removed file; syncing it is harmless
      await file.close();
      await file.sync(); // after close: opened again (here: gone, nothing to sync)
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
