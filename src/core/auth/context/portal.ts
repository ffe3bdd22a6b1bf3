import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { setNewest } from '../../cache/bounded-map.ts';
import { AppError } from '../../errors.ts';
import { clientNetwork } from '../../http/rate-limit.ts';
import { PORTAL_ACCESS_CODE_HEADER } from '../../http/surfaces.ts';
import { digestPortalCode } from '../secrets.ts';
import type { TenantContext } from '../request-context.ts';

const HEADER = PORTAL_ACCESS_CODE_HEADER.toLowerCase();

/**
 * The tenant step's gate on surfaces behind the portal access code: when the tenant has a
 * code, the request must present it (403 PORTAL.ACCESS_DENIED). The digests are compared in
 * constant time, so the answer's timing tells nothing about how much of a guess was right.
 */
export function passPortal(tenant: TenantContext, request: FastifyRequest): void {
  const stored = tenant.portalAccessCodeDigest;
  if (stored === null) return;
  const presented = request.headers[HEADER];
  const matches =
    typeof presented === 'string' &&
    timingSafeEqual(Buffer.from(digestPortalCode(tenant.id, presented), 'hex'), Buffer.from(stored, 'hex'));
  if (!matches) throw new AppError('PORTAL.ACCESS_DENIED');
}

/** The addresses whose wrong codes are remembered at once; the oldest go first. */
const MAX_REMEMBERED_ADDRESSES = 10_000;

export interface PortalAttempts {
  /**
   * Before the load: reads the shared count (every instance's) of the address's wrong codes
   * for the tenant `slug` names, for the gate to refuse on. Never throws.
   */
  readShared(request: FastifyRequest, slug: string): Promise<void>;
  /**
   * The tenant step's gate: `passPortal`, unless the address already sent as many wrong codes
   * as the limit allows in the window, here or (by `readShared`) on any instance: then 429
   * AUTH.RATE_LIMITED, the code not compared.
   */
  gate(tenant: TenantContext, request: FastifyRequest): void;
  /** After a refusal: a wrong code the gate counted is counted in the shared store too. Never throws. */
  share(request: FastifyRequest): Promise<void>;
}

/** The wrong codes one address sent to one tenant's portal in the current window. */
interface Guesses {
  windowEndsAt: number;
  /** Digests of the distinct wrong codes: a stale code sent again by an open tab is one guess. */
  codes: Set<string>;
}

/**
 * Guessing a tenant's portal access code, held back. Wrong codes are counted per tenant and
 * client network (`clientNetwork`), `max` distinct ones per window; past them every request of that address
 * to that portal is refused before its code is compared, until the window ends, so a right
 * guess after the limit is refused too and tells nothing. A missing or empty code is not a
 * guess (a browser's first visit has none) and is not counted.
 *
 * Two counts refuse. This process's, kept and checked in the gate with no wait between the
 * check, the comparison and the count, so a burst of parallel guesses cannot all be compared
 * before the first is counted. And the shared one (the rate-limit store, Redis when set),
 * which each new wrong code joins once its request is refused, read before the load of every
 * request behind the code, so an instance that never saw the address (another one, or this
 * one restarted) refuses it too. What escapes both: guesses sent at once to several instances
 * before any of them is counted, at most `max` on each. While the shared store is away, each
 * instance limits on its own count rather than refusing the whole portal.
 */
export function createPortalAttempts(app: FastifyInstance, options: { max: number; windowSeconds: number }): PortalAttempts {
  const windowMs = options.windowSeconds * 1000;
  const guesses = new Map<string, Guesses>();
  const keys = new WeakMap<FastifyRequest, string>();
  // Until when (ms since the epoch) the shared count refuses a request's address, as read before its load.
  const sharedRefusals = new WeakMap<FastifyRequest, number>();
  const newGuesses = new WeakSet<FastifyRequest>();
  const sharedCount = app.createRateLimit({
    max: options.max,
    timeWindow: windowMs,
    keyGenerator: (request: FastifyRequest) => {
      const key = keys.get(request);
      if (key === undefined) throw new Error('portal attempts: a request counted without its key');
      return `portal-codes:${key}`;
    },
  });
  const keyOf = (slug: string, request: FastifyRequest) => `${slug} ${clientNetwork(request.ip)}`;
  const refusal = (until: number, now: number) => new AppError('AUTH.RATE_LIMITED', {}, { seconds: Math.max(1, Math.ceil((until - now) / 1000)) });

  return {
    async readShared(request, slug) {
      keys.set(request, keyOf(slug, request));
      try {
        const shared = await sharedCount(request, { increment: false });
        if ('remaining' in shared && shared.remaining === 0) sharedRefusals.set(request, Date.now() + shared.ttl);
      } catch {
        // The shared store is away (core/redis.ts logs it): this process's own count still refuses.
      }
    },
    gate(tenant, request) {
      if (tenant.portalAccessCodeDigest === null) return;
      const key = keyOf(tenant.slug, request);
      const now = Date.now();
      const sharedUntil = sharedRefusals.get(request);
      if (sharedUntil !== undefined && now < sharedUntil) throw refusal(sharedUntil, now);
      let entry = guesses.get(key);
      if (entry && now >= entry.windowEndsAt) {
        guesses.delete(key);
        entry = undefined;
      }
      if (entry && entry.codes.size >= options.max) throw refusal(entry.windowEndsAt, now);
      try {
        passPortal(tenant, request);
      } catch (denied) {
        const presented = request.headers[HEADER];
        if (typeof presented === 'string' && presented !== '') {
          const digest = digestPortalCode(tenant.id, presented);
          entry ??= { windowEndsAt: now + windowMs, codes: new Set() };
          if (!entry.codes.has(digest)) {
            entry.codes.add(digest);
            keys.set(request, key);
            newGuesses.add(request);
          }
          // Kept as the newest, so the addresses evicted first are those quiet the longest.
          setNewest(guesses, key, entry, MAX_REMEMBERED_ADDRESSES);
        }
        throw denied;
      }
    },
    async share(request) {
      if (!newGuesses.has(request)) return;
      try {
        await sharedCount(request);
      } catch {
        // As in readShared: the local count stands while the shared store is away.
      }
    },
  };
}
