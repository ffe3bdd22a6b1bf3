import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { TENANT_SLUG_PATTERN } from '../../http/schemas.ts';

const TENANT_SLUG = new RegExp(TENANT_SLUG_PATTERN);

/** The slug a request names, unchecked: `X-Tenant`, else the Host's subdomain under `baseDomain`, else `default`. */
function tenantSlugOf(request: FastifyRequest, baseDomain: string | undefined): string {
  const header = request.headers['x-tenant'];
  if (typeof header === 'string') return header.trim().toLowerCase();
  if (baseDomain) {
    const host = request.hostname.toLowerCase();
    if (host.endsWith(`.${baseDomain}`)) return host.slice(0, -baseDomain.length - 1);
  }
  return 'default';
}

/** Step 1, the tenant: a slug no tenant can have is a 404 before anything is read. */
export function requestedTenant(request: FastifyRequest, baseDomain: string | undefined): string {
  const slug = tenantSlugOf(request, baseDomain);
  if (!TENANT_SLUG.test(slug)) throw new AppError('TENANT.NOT_FOUND');
  return slug;
}
