import { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import { redactUrl } from './redact.ts';

const CONNECT_TIMEOUT_MS = 2000;
/** A Redis that holds the connection but stops answering must not hold requests: past this, a command fails. */
const COMMAND_TIMEOUT_MS = 1000;

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

/**
 * Connects to the Redis that REDIS_URL names, or refuses to start: a configured Redis is
 * a dependency (the shared rate-limit counters), and a server that started without it
 * would fail every limited request instead.
 *
 * Once running, commands never queue while Redis is away (`enableOfflineQueue: false`):
 * they fail at once, callers turn that into a 503, `/readyz` reports it, and the client
 * reconnects on its own. Its errors reach the logger, once per outage rather than once
 * per reconnection attempt.
 */
export async function connectRedis(url: string, log: FastifyBaseLogger): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  });
  // ioredis emits 'error' for every failed attempt: the latest one names the cause, in the
  // start-up message or in the outage line, which is written once, when reconnecting begins.
  let lastError: Error | undefined;
  let reachable = false;
  let outage = false;
  redis.on('error', (error: Error) => {
    lastError = error;
  });
  redis.on('reconnecting', () => {
    if (!reachable || outage) return;
    outage = true;
    log.error(
      { reason: lastError?.message ?? 'connection closed', redis: redactUrl(url) },
      'Redis does not answer; rate-limited requests get 503 until it is back',
    );
  });
  redis.on('ready', () => {
    if (!outage) return;
    outage = false;
    lastError = undefined;
    log.info({ redis: redactUrl(url) }, 'Redis answers again');
  });
  try {
    await redis.connect();
    // Bounded by the command timeout, like every command.
    await redis.ping();
    reachable = true;
  } catch (error) {
    redis.disconnect();
    const cause = lastError ?? error;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new RedisUnavailableError(`Redis at ${redactUrl(url)} does not answer (${reason}); start it, or unset REDIS_URL to keep rate-limit counters in this process`);
  }
  return redis;
}
