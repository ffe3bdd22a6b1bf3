import rateLimit from '@fastify/rate-limit';
import { isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { normalizeKey } from '../normalize.ts';

export interface AttemptLimiter {
  /**
   * Counts one attempt against every key; throws AUTH.RATE_LIMITED (429, Retry-After) past the
   * limit, and RATE_LIMIT.UNAVAILABLE (503, Retry-After) while the counters cannot be reached.
   */
  check(request: FastifyRequest): Promise<void>;
}

/**
 * Fixed-window counters from @fastify/rate-limit: in process memory by default, in
 * Redis when one is given, so every instance on one database shares one limit.
 */
export async function registerRateLimiting(
  app: FastifyInstance,
  options: { redis: Redis | undefined },
): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    ...(options.redis ? { redis: options.redis, nameSpace: 'tessera-rl:' } : {}),
  });
}

/** The leading 16-bit groups of an IPv6 address that name its network: a host is commonly given a whole /64. */
const IPV6_NETWORK_GROUPS = 4;

/**
 * The client a per-address limit counts: an IPv4 address (an IPv4-mapped IPv6 one included)
 * as it is, an IPv6 address as its /64, since one host can pick any of the 2^64 addresses
 * in it and would otherwise get a limit of its own for each.
 */
export function clientNetwork(ip: string): string {
  if (!isIPv6(ip)) return ip;
  const address = ip.split('%')[0] ?? ip;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  const [head = '', tail] = address.split('::');
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  // An IPv4 tail (`::1.2.3.4`) fills two groups.
  const width = (groups: string[]) => groups.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
  const first = groupsOf(head);
  const last = tail === undefined ? [] : groupsOf(tail);
  const groups = [...first, ...Array<string>(8 - width(first) - width(last)).fill('0'), ...last];
  return `${groups.slice(0, IPV6_NETWORK_GROUPS).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}

/** A limiter key per client network (`clientNetwork`). */
export const byClientNetwork = (request: FastifyRequest): string => `ip:${clientNetwork(request.ip)}`;

/** The tenant and normalized `email` of a request's body: one limiter key per address, however it is spelled. */
export function bodyEmailKey(request: FastifyRequest): string {
  const email = (request.body as { email?: unknown } | undefined)?.email;
  return `${request.ctx?.tenant.id ?? 0}:${normalizeKey(typeof email === 'string' ? email : '')}`;
}

/** What a refused client is told to wait while the rate-limit store is away (it reconnects on its own). */
const STORE_RETRY_SECONDS = 5;

/** 503 RATE_LIMIT.UNAVAILABLE with Retry-After: the shared counters (Redis) cannot be reached. */
export function rateLimitStoreUnavailable(details: Record<string, string> = {}): AppError {
  return new AppError('RATE_LIMIT.UNAVAILABLE', details, { seconds: STORE_RETRY_SECONDS });
}

/**
 * Limits attempts by several keys at once (say, per IP and per email): the request
 * passes only while every key is under the limit.
 */
export function createAttemptLimiter(
  app: FastifyInstance,
  options: { name: string; max: number; windowSeconds: number; keys: Array<(request: FastifyRequest) => string> },
): AttemptLimiter {
  const limiters = options.keys.map((keyOf) =>
    app.createRateLimit({
      max: options.max,
      timeWindow: options.windowSeconds * 1000,
      keyGenerator: (request: FastifyRequest) => `${options.name}:${keyOf(request)}`,
    }),
  );
  return {
    async check(request) {
      const results = await Promise.all(limiters.map((limiter) => limiter(request))).catch(() => {
        // The shared store (Redis) is away, or silent: refuse rather than let attempts go uncounted.
        // The outage itself is logged once, by core/redis.ts.
        throw rateLimitStoreUnavailable();
      });
      const retryAfterSeconds = Math.max(
        0,
        ...results.map((result) => (!result.isAllowed && result.isExceeded ? Math.max(result.ttlInSeconds, 1) : 0)),
      );
      if (retryAfterSeconds > 0) throw new AppError('AUTH.RATE_LIMITED', {}, { seconds: retryAfterSeconds });
    },
  };
}
