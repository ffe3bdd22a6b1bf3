import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import { CONTEXT_RESPONSE_HEADERS } from '../auth/request-context.ts';

/** The request headers a browser app sends to Tessera: credentials, the context, the language; areas add their own. */
const CORE_HEADERS = ['Authorization', 'Content-Type', 'Accept-Language', 'X-Tenant', 'X-Workspace-ID', 'X-As-Workspace'];
/** The response headers a browser app may read: the request id for support, when to retry, and where the request ran. */
const EXPOSED_HEADERS = ['X-Request-Id', 'Retry-After', ...Object.values(CONTEXT_RESPONSE_HEADERS)];
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * Lets browser apps on the configured origins call the API. Listed origins may send
 * credentials (the console's refresh cookie); `*` admits any origin but never with
 * credentials, which is safe because Tessera's credentials travel in the Authorization
 * header, not in ambient cookies. With no origins configured, nothing is registered and
 * browsers keep their same-origin rule.
 *
 * Registered before the route-policy guard: the plugin's preflight route carries no policy
 * and does nothing itself (its hook answers every preflight before routing matters, and
 * answers nothing else), so it stays outside the policy registry rather than being given a
 * policy it does not use.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[] | '*', areaHeaders: Iterable<string>): Promise<void> {
  if (origins !== '*' && origins.length === 0) return;
  const listed = new Set(origins);
  await app.register(cors, {
    // An origin not listed gets no CORS headers at all (its preflight is a 404), not a half answer.
    origin: origins === '*' ? '*' : (origin, callback) => callback(null, origin !== undefined && listed.has(origin.toLowerCase())),
    credentials: origins !== '*',
    allowedHeaders: [...CORE_HEADERS, ...areaHeaders],
    exposedHeaders: EXPOSED_HEADERS,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    strictPreflight: false,
  });
}
