import type autocannon from 'autocannon';
import type { Server } from './processes.ts';

/** One request, sent over and over by every connection of a scenario. */
export interface Request {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /**
   * A fresh body for every request. Not autocannon's `idReplacement`: in autocannon 8 it
   * declares a Content-Length for 33-character ids while its ids are 24–29 characters,
   * so every request waits for bytes that never come and times out.
   */
  nextBody?: () => string;
  /** A fresh path for every request (a write that must change something each time). */
  nextPath?: () => string;
}

/**
 * Traffic in which every connection sends a sequence of its own (bench/mixed.ts), not one
 * request over and over.
 */
export interface Workload {
  /** autocannon's `setupClient` for one run of `connections` connections. */
  setupClient(connections: number): (client: autocannon.Client) => void;
}

export type Load = Request | Workload;

/** One request outside the measurement: a scenario that would only count 4xx is a broken bench. */
export async function call(server: Server, request: Request): Promise<unknown> {
  const path = request.nextPath ? request.nextPath() : request.path;
  const where = `${server.name}: ${request.method} ${path}`;
  const response = await fetch(`${server.url}${path}`, {
    method: request.method,
    headers: request.headers,
    body: request.nextBody ? request.nextBody() : request.body,
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    throw new Error(`${where} failed${server.alive() ? '' : ' (server exited)'}: ${String(error)}`);
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${where} answered ${response.status}: ${text}\n--- ${server.name} output ---\n${server.output()}`);
  }
  return JSON.parse(text) as unknown;
}

/** One request of a list; throws unless it answers `count` items, with or without a next page. */
export async function expectPage(server: Server, request: Request, count: number, more: boolean): Promise<void> {
  const page = (await call(server, request)) as { data: unknown[]; meta: { next_cursor: string | null } };
  const hasMore = page.meta.next_cursor !== null;
  if (page.data.length !== count || hasMore !== more) {
    throw new Error(
      `${server.name}: ${request.method} ${request.path} answered ${page.data.length} items` +
        `${hasMore ? ' and a next page' : ''}; expected ${count}${more ? ' and a next page' : ''}`,
    );
  }
}

export function json(body: object, headers: Record<string, string> = {}): Pick<Request, 'headers' | 'body'> {
  return { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** Each versioned cache's hits and misses since the server started, from its GET /metrics. */
export type CacheLookups = Record<string, { hit: number; miss: number }>;

export async function cacheLookups(server: Server, metricsToken: string): Promise<CacheLookups> {
  const response = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${server.name}: GET /metrics answered ${response.status}: ${text}`);
  const lookups: CacheLookups = {};
  for (const [, cache, result, count] of text.matchAll(/^tessera_cache_lookups_total\{cache="(\w+)",result="(hit|miss)"\} (\d+)$/gm)) {
    const entry = (lookups[cache as string] ??= { hit: 0, miss: 0 });
    entry[result as 'hit' | 'miss'] = Number(count);
  }
  return lookups;
}

/** Hits ÷ lookups of each cache between two readings; null where nothing was looked up. */
export function hitRatesBetween(before: CacheLookups, after: CacheLookups): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(after).map(([cache, { hit, miss }]) => {
      const hits = hit - (before[cache]?.hit ?? 0);
      const lookups = hits + miss - (before[cache]?.miss ?? 0);
      return [cache, lookups > 0 ? hits / lookups : null];
    }),
  );
}
