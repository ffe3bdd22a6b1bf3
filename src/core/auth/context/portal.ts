import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { setNewest } from '../../cache/bounded-map.ts';
import { AppError } from '../../errors.ts';
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
   * The tenant step's gate: `passPortal`, unless this address already sent as many wrong
   * codes as the limit allows in the window (429 AUTH.RATE_LIMITED, the code not compared).
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
  /** Set when the shared count (every instance's) reached the limit first. */
  refusedUntil: number;
}

/**
 * Guessing a tenant's portal access code, held back. Wrong codes are counted per tenant and
 * client address, `max` distinct ones per window; past them every request of that address
 * to that portal is refused before its code is compared, until the window ends, so a right
 * guess after the limit is refused too and tells nothing. A missing or empty code is not a
 * guess (a browser's first visit has none) and is not counted.
 *
 * The count that refuses is this process's, kept and checked synchronously in the gate, so
 * a burst of parallel guesses cannot all be compared before the first is counted. Each new
 * wrong code is also counted in the rate-limit store (Redis when set) once the request is
 * refused; when that shared count reaches the limit first, this process refuses the address
 * too. So across instances an address gets at most one more compare on each instance that
 * has not yet seen one of its wrong codes, and a restarted instance likewise. While the
 * shared store is away, each instance still limits on its own count.
 */
export function createPortalAttempts(app: FastifyInstance, options: { max: number; windowSeconds: number }): PortalAttempts {
  const windowMs = options.windowSeconds * 1000;
  const guesses = new Map<string, Guesses>();
  // The key of a request whose wrong code the gate counted, for `share` and the store's key.
  const counted = new WeakMap<FastifyRequest, string>();
  const sharedCount = app.createRateLimit({
    max: options.max,
    timeWindow: windowMs,
    keyGenerator: (request: FastifyRequest) => `portal-codes:${counted.get(request) ?? ''}`,
  });

  return {
    gate(tenant, request) {
      if (tenant.portalAccessCodeDigest === null) return;
      const key = `${tenant.id} ${request.ip}`;
      const now = Date.now();
      let entry = guesses.get(key);
      if (entry && now >= entry.windowEndsAt && now >= entry.refusedUntil) {
        guesses.delete(key);
        entry = undefined;
      }
      if (entry && (entry.codes.size >= options.max || now < entry.refusedUntil)) {
        const until = Math.max(entry.codes.size >= options.max ? entry.windowEndsAt : 0, entry.refusedUntil);
        throw new AppError('AUTH.RATE_LIMITED', {}, { seconds: Math.max(1, Math.ceil((until - now) / 1000)) });
      }
      try {
        passPortal(tenant, request);
      } catch (denied) {
        const presented = request.headers[HEADER];
        if (typeof presented === 'string' && presented !== '') {
          const digest = digestPortalCode(tenant.id, presented);
          if (!entry) {
            entry = { windowEndsAt: now + windowMs, codes: new Set(), refusedUntil: 0 };
            setNewest(guesses, key, entry, MAX_REMEMBERED_ADDRESSES);
          }
          if (!entry.codes.has(digest)) {
            entry.codes.add(digest);
            counted.set(request, key);
          }
        }
        throw denied;
      }
    },
    async share(request) {
      const key = counted.get(request);
      if (key === undefined) return;
      try {
        const shared = await sharedCount(request);
        const entry = guesses.get(key);
        if (entry && !shared.isAllowed && shared.remaining === 0) entry.refusedUntil = Date.now() + shared.ttl;
      } catch {
        // The shared store is away (core/redis.ts logs it): this process's own count still refuses.
      }
    },
  };
}
