import type { FastifyReply } from 'fastify';

/** A page whose every script, style and request comes from this server: no inline code, no other origin, no form posts. */
export const SELF_CONTAINED_PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Answers with a page (or a file of it) that Tessera serves itself: under the page's own
 * Content-Security-Policy, never type-sniffed, sending no referrer, revalidated on each visit.
 */
export function sendPage(reply: FastifyReply, page: { type: string; body: string; contentSecurityPolicy: string }): FastifyReply {
  return reply
    .type(page.type)
    .header('content-security-policy', page.contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .send(page.body);
}
