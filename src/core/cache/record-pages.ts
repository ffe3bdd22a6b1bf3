import type { AllowedLocations } from '../auth/request-context.ts';
import type { InWorkspace } from '../db/workspace-scope.ts';
import { createVersionedCache, readThrough, type CacheStats } from './versioned-cache.ts';

/**
 * Pages of one scope of a workspace's records (its items, its stock levels), kept at the
 * scope's record version: a counter the database moves in the same transaction as any
 * change to the scope's tables (src/schema/record-versions.ts). The request context reads
 * the versions on every request, in its one statement and before any page, so nothing
 * older than a version is stored under it and every process sees a committed change on
 * its next request.
 *
 * A page is kept per workspace, per location access (a restricted member's page is not an
 * unrestricted one's) and per query; the caller's permissions were checked before.
 */
export interface RecordPages<V> {
  read(ctx: InWorkspace, query: string, load: () => Promise<V>): Promise<V>;
  stats(): CacheStats;
}

/** A scope's version in the context's list (`items=3,stock=17`); a scope never changed there is at 0. */
function versionIn(recordVersions: string, scope: string): string {
  const prefix = `${scope}=`;
  for (const entry of recordVersions.split(',')) if (entry.startsWith(prefix)) return entry.slice(prefix.length);
  return '0';
}

/** The same sets come back with every cached context, so each is spelled once. */
const spelledLocations = new WeakMap<ReadonlySet<number>, string>();
function locationKey(locations: AllowedLocations): string {
  if (locations === 'all') return '*';
  let spelled = spelledLocations.get(locations);
  if (spelled === undefined) {
    spelled = [...locations].sort((a, b) => a - b).join(',');
    spelledLocations.set(locations, spelled);
  }
  return spelled;
}

/** With `maxEntries` 0 nothing is kept: every page comes from the database. */
export function createRecordPages<V>(scope: string, maxEntries: number): RecordPages<V> {
  const pages = createVersionedCache<V>(maxEntries);
  return {
    read(ctx, query, load) {
      if (maxEntries === 0) return load();
      const { workspace } = ctx;
      return readThrough(pages, `${workspace.id} ${locationKey(workspace.locations)} ${query}`, versionIn(workspace.recordVersions, scope), load);
    },
    stats: () => pages.stats(),
  };
}
