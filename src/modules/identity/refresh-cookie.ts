import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../core/errors.ts';
import type { IssuedSession } from './identity.service.ts';
import { tokenPair } from './identity.views.ts';

/**
 * The header a browser app (the console) sends to keep its refresh token where script cannot
 * read it: the token routes then set it as an HttpOnly cookie instead of answering it, and
 * `/auth/refresh` and `/auth/logout` read it from there.
 */
export const TOKEN_TRANSPORT_HEADER = 'x-token-transport'; // declared for CORS in identity.catalogue.ts

/** Only the token routes need the cookie; no other request carries it. */
const COOKIE_PATH = '/api/v1/auth';

export type RefreshCookie = ReturnType<typeof createRefreshCookie>;

/**
 * The refresh token as a cookie, CSRF-safe three ways: `SameSite=Strict` (no other site's
 * page sends it), the custom header (a cross-site form cannot send one, and a cross-origin
 * script needs a CORS preflight only the configured origins pass), and the `Origin` checked
 * against this server's own and the configured ones. Everything else in the API takes the
 * access token from the `Authorization` header, which a browser never adds by itself.
 */
export function createRefreshCookie(options: { publicUrl: string; maxAgeSeconds: number; corsOrigins: readonly string[] | '*' }) {
  const secure = options.publicUrl.startsWith('https://');
  const trustedOrigins = new Set([new URL(options.publicUrl).origin, ...(options.corsOrigins === '*' ? [] : options.corsOrigins)]);
  // One name per tenant: tenants named by `X-Tenant` share a host, and so the browser's cookie jar.
  const nameOf = (tenantSlug: string) => `tessera_refresh_${tenantSlug}`;

  function requested(request: FastifyRequest): boolean {
    if (request.headers[TOKEN_TRANSPORT_HEADER] !== 'cookie') return false;
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `${request.protocol}://${request.host}` && !trustedOrigins.has(origin)) {
      throw new AppError('AUTH.ORIGIN_REFUSED', { origin });
    }
    return true;
  }

  function set(reply: FastifyReply, tenantSlug: string, value: string, maxAgeSeconds: number) {
    void reply.header(
      'set-cookie',
      serializeCookie(nameOf(tenantSlug), value, { httpOnly: true, secure, sameSite: 'strict', path: COOKIE_PATH, maxAge: maxAgeSeconds }),
    );
  }

  return {
    /** Whether the request asked for the cookie transport (from an origin allowed to). */
    asked: requested,
    /** The token pair as the route answers it: with the refresh token in the body, or (asked for) in the cookie only. */
    deliver(request: FastifyRequest, reply: FastifyReply, tenantSlug: string, issued: IssuedSession) {
      const pair = tokenPair(issued);
      if (!requested(request)) return pair;
      set(reply, tenantSlug, issued.refreshToken, options.maxAgeSeconds);
      void reply.header('cache-control', 'no-store');
      const { refresh_token: _kept, ...withoutRefreshToken } = pair;
      return withoutRefreshToken;
    },
    /**
     * Sets the cookie for a browser that comes back by a redirect (single sign-on's callback):
     * a navigation sends no header, and the sign-in it ends was bound to that browser instead.
     */
    setForRedirect(reply: FastifyReply, tenantSlug: string, issued: IssuedSession) {
      set(reply, tenantSlug, issued.refreshToken, options.maxAgeSeconds);
      void reply.header('cache-control', 'no-store');
    },
    /** The refresh token a cookie-transport request carries, if it asked for that transport. */
    presented(request: FastifyRequest, tenantSlug: string): string | undefined {
      if (!requested(request)) return undefined;
      return parseCookies(request.headers.cookie ?? '')[nameOf(tenantSlug)];
    },
    /** Ends the cookie (sign-out, or a refresh token the server refused). */
    clear(request: FastifyRequest, reply: FastifyReply, tenantSlug: string) {
      if (requested(request)) set(reply, tenantSlug, '', 0);
    },
  };
}
