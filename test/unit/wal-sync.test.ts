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

  it('passes a failed sync on to every flush waiting for it, and tries again on the next', async () => {
    let fail = true;
    const wal = new WalSync(async () => {
      if (fail) throw new Error('EIO');
    });
    wal.committed();
    await expect(wal.flush()).rejects.toThrow('EIO');
    expect(wal.pending).toBe(true);
    fail = false;
    await wal.flush();
    expect(wal.pending).toBe(false);
  });
});
