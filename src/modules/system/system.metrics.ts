import { createHash, timingSafeEqual } from 'node:crypto';
import type { CacheStats } from '../../core/cache/versioned-cache.ts';
import { TESSERA_VERSION } from '../../core/version.ts';

/** What `GET /metrics` reports on: each versioned cache of the process, by name. */
export interface MetricSources {
  caches: Readonly<Record<string, () => CacheStats>>;
  /** SQLite with synchronous=FULL: commits, and the WAL syncs that covered them (core/db/wal-sync.ts). */
  walSync?: () => { commits: number; syncs: number };
}

interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

const labelsOf = (labels: Record<string, string> | undefined) =>
  labels ? `{${Object.entries(labels).map(([key, value]) => `${key}="${value.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}` : '';

/** Prometheus' text exposition format (0.0.4). */
function exposition(metrics: readonly Metric[]): string {
  return metrics
    .flatMap(({ name, help, type, samples }) => [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} ${type}`,
      ...samples.map(({ labels, value }) => `${name}${labelsOf(labels)} ${value}`),
    ])
    .join('\n')
    .concat('\n');
}

/** The process's figures an operator watches: cache hit rates, cache sizes, memory. */
export function renderMetrics(sources: MetricSources): string {
  const caches = Object.entries(sources.caches).map(([cache, stats]) => ({ cache, ...stats() }));
  const memory = process.memoryUsage();
  const wal = sources.walSync?.();
  return exposition([
    { name: 'tessera_info', help: 'The running version.', type: 'gauge', samples: [{ labels: { version: TESSERA_VERSION }, value: 1 }] },
    {
      name: 'tessera_cache_lookups_total',
      help: 'Lookups of a versioned cache since start-up: answered from the cache (hit) or read from the database (miss).',
      type: 'counter',
      samples: caches.flatMap(({ cache, hits, misses }) => [
        { labels: { cache, result: 'hit' }, value: hits },
        { labels: { cache, result: 'miss' }, value: misses },
      ]),
    },
    {
      name: 'tessera_cache_entries',
      help: 'Entries a versioned cache holds now.',
      type: 'gauge',
      samples: caches.map(({ cache, entries }) => ({ labels: { cache }, value: entries })),
    },
    ...(wal
      ? [
          { name: 'tessera_sqlite_commits_total', help: 'Write transactions committed.', type: 'counter' as const, samples: [{ value: wal.commits }] },
          {
            name: 'tessera_sqlite_wal_syncs_total',
            help: 'Disk syncs of the write-ahead log, each covering every commit before it (group commit).',
            type: 'counter' as const,
            samples: [{ value: wal.syncs }],
          },
        ]
      : []),
    { name: 'process_resident_memory_bytes', help: 'Resident memory of the process.', type: 'gauge', samples: [{ value: memory.rss }] },
    { name: 'nodejs_heap_used_bytes', help: 'JavaScript heap in use.', type: 'gauge', samples: [{ value: memory.heapUsed }] },
  ]);
}

/** Whether `authorization` is `Bearer <token>`, compared in constant time (digests, so lengths cannot leak either). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(authorization ?? ''), digest(`Bearer ${token}`));
}
