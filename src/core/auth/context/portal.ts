import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { setNewest } from '../../cache/bounded-map.ts';
import { AppError } from '../../errors.ts';
import { createAttemptLimiter } from '../../http/rate-limit.ts';
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

/** The addresses refused at once, remembered at most; the oldest go first. */
const MAX_REFUSED_ADDRESSES = 10_000;

export interface PortalAttempts {
  /** 429 AUTH.RATE_LIMITED while the address is refused for this tenant's portal, before its code is compared. */
  refuseIfLimited(request: FastifyRequest, slug: string): void;
  /**
   * After a refusal of the request: a code presented and wrong is counted; the one past the
   * limit is answered 429 instead, and the address refused until the window ends.
   */
  countIfWrong(request: FastifyRequest, slug: string, refusal: unknown): Promise<void>;
}

/**
 * Guessing a tenant's portal access code, held back: wrong codes are counted per tenant and
 * client address (`max` per window, in Redis when one is set, like every attempt limit).
 * Past the limit, every request of that address to that portal is refused before its code
 * is compared, until the window ends; otherwise the right guess would still get through
 * and the 429s would only mark the wrong ones. A code that is missing is not a guess (a
 * browser's first visit has none) and is not counted. The refusal is remembered by the
 * instance that counted past the limit, so across several instances an address may have one
 * more code compared on each of the others, at most, before they refuse it too.
 */
export function createPortalAttempts(app: FastifyInstance, options: { max: number; windowSeconds: number }): PortalAttempts {
  const keyOf = (request: FastifyRequest, slug: string) => `${slug} ${request.ip}`;
  const slugs = new WeakMap<FastifyRequest, string>();
  const limiter = createAttemptLimiter(app, {
    name: 'portal-codes',
    ...options,
    keys: [(request) => keyOf(request, slugs.get(request) ?? '')],
  });
  // Until when (ms since the epoch, the same clock as the limiter's windows) an address is refused.
  const refusedUntil = new Map<string, number>();
  return {
    refuseIfLimited(request, slug) {
      const key = keyOf(request, slug);
      const until = refusedUntil.get(key);
      if (until === undefined) return;
      const left = until - Date.now();
      if (left <= 0) {
        refusedUntil.delete(key);
        return;
      }
      throw new AppError('AUTH.RATE_LIMITED', {}, { seconds: Math.ceil(left / 1000) });
    },
    async countIfWrong(request, slug, refusal) {
      const guessed = refusal instanceof AppError && refusal.code === 'PORTAL.ACCESS_DENIED' && typeof request.headers[HEADER] === 'string';
      if (!guessed) return;
      slugs.set(request, slug);
      try {
        await limiter.check(request);
      } catch (limited) {
        if (limited instanceof AppError && limited.code === 'AUTH.RATE_LIMITED') {
          const seconds = Number(limited.messageParams.seconds);
          setNewest(refusedUntil, keyOf(request, slug), Date.now() + seconds * 1000, MAX_REFUSED_ADDRESSES);
        }
        throw limited;
      }
    },
  };
}
