import { setNewest } from './bounded-map.ts';

/**
 * A bounded, least-recently-used map of what was read at a tenant's data version
 * (`tenant_data_versions`, moved by database triggers in the same transaction as any
 * change a cached read depends on). An entry answers only while the tenant is still at
 * the version it was read at, so every process sees a committed change on its next
 * request: the version is read from the database first, on every request, and the
 * data after it, so nothing older than a version is ever stored under it.
 */
export interface VersionedCache<V> {
  /** The entry at exactly `version`, else undefined. */
  get(key: string, version: number): V | undefined;
  /** The entry whatever its version, for callers that must first read the version they compare with. */
  peek(key: string): { version: number; value: V } | undefined;
  set(key: string, version: number, value: V): void;
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
  const entries = new Map<string, { version: number; value: V }>();

  function peek(key: string) {
    const entry = entries.get(key);
    // Re-inserted on every hit, so the oldest entry is the least recently used.
    if (entry) setNewest(entries, key, entry, maxEntries);
    return entry;
  }

  return {
    get(key, version) {
      const entry = peek(key);
      return entry?.version === version ? entry.value : undefined;
    },
    peek,
    set(key, version, value) {
      if (maxEntries > 0) setNewest(entries, key, { version, value: deepFreeze(value) }, maxEntries);
    },
  };
}

/**
 * The value kept for `key` at `version`, else loaded and kept. `version` must have been
 * read before `load` runs (the request context's `tenant.dataVersion` is).
 */
export async function readThrough<V>(
  cache: VersionedCache<V>,
  key: string,
  version: number,
  load: () => Promise<V>,
): Promise<V> {
  const kept = cache.get(key, version);
  if (kept !== undefined) return kept;
  const loaded = await load();
  cache.set(key, version, loaded);
  return loaded;
}
