import type { FastifyReply } from 'fastify';

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
