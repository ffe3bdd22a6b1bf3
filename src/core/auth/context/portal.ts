import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
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
