import { setNewest } from './bounded-map.ts';

/**
 * A bounded, least-recently-used map of what was read at given data versions (the
 * tenant's, a workspace's, a user's: counters moved by database triggers in the same
 * transaction as any change a cached read depends on). An entry answers only while its
 * versions are still the ones it was read at, so every process sees a committed change on
 * its next request: the versions are read from the database first, on every request, and
 * the data after them, so nothing older than a version is ever stored under it.
 */
export interface VersionedCache<V> {
  /** The entry at exactly `version` (a `versionStamp`), else undefined. */
  get(key: string, version: string): V | undefined;
  /**
   * The entry whatever its version, for callers that must first read the versions they
   * compare with; they report the outcome with `counted`.
   */
  peek(key: string): { version: string; value: V } | undefined;
  set(key: string, version: string, value: V): void;
  /** Counts a lookup as answered from the cache (a hit) or not; `get` counts its own. */
  counted(hit: boolean): void;
  /** Lookups answered from the cache and not, since start-up. */
  stats(): CacheStats;
}

export interface CacheStats {
  hits: number;
  misses: number;
  entries: number;
}

/** The data versions a value was read at, as one key; null or undefined stands for a scope the value has none of. */
export function versionStamp(...versions: ReadonlyArray<number | null | undefined>): string {
  return versions.map((version) => version ?? '-').join('.');
}

/** A kept value is shared by every request that hits it, so none may change it for the others. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** With `maxEntries` 0 nothing is kept: every read goes to the database. */
export function createVersionedCache<V>(maxEntries: number): VersionedCache<V> {
  const entries = new Map<string, { version: string; value: V }>();
  let hits = 0;
  let misses = 0;

  function peek(key: string) {
    const entry = entries.get(key);
    // Re-inserted on every hit, so the oldest entry is the least recently used.
    if (entry) setNewest(entries, key, entry, maxEntries);
    return entry;
  }

  function counted(hit: boolean) {
    if (hit) hits += 1;
    else misses += 1;
  }

  return {
    get(key, version) {
      const entry = peek(key);
      const hit = entry?.version === version;
      counted(hit);
      return hit ? entry.value : undefined;
    },
    peek,
    set(key, version, value) {
      if (maxEntries > 0) setNewest(entries, key, { version, value: deepFreeze(value) }, maxEntries);
    },
    counted,
    stats: () => ({ hits, misses, entries: entries.size }),
  };
}

/**
 * The value kept for `key` at `version`, else loaded and kept. `version` must have been
 * read before `load` runs (the request context's data versions are).
 */
export async function readThrough<V>(
  cache: VersionedCache<V>,
  key: string,
  version: string,
  load: () => Promise<V>,
): Promise<V> {
  const kept = cache.get(key, version);
  if (kept !== undefined) return kept;
  const loaded = await load();
  cache.set(key, version, loaded);
  return loaded;
}
