import { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** How much of an unread body is read and thrown away so its sender can read the answer. */
const LINGER_BYTES = 64 * 1024 * 1024;
const LINGER_MS = 10_000;

/**
 * Lets a client read an error answered before its body was read (413 too large, 415 not
 * JSON, 400 unreadable, a 401 before parsing), as nginx's lingering close does. Called by
 * the error handler for every error answer: only errors leave a body unread, so the
 * success path pays nothing.
 *
 * Fastify marks such answers `Connection: close`, and Node then closes the socket as soon
 * as the answer is written, while the client is still sending: most clients (Node's fetch
 * among them) see EPIPE or a reset and never read the 413. Instead the connection stays
 * open, the rest of the body is read and discarded, and the connection is closed only if
 * the sender goes past a bound in bytes or time. Nothing of the discarded body is kept.
 */
export function lingerIfBodyUnread(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  // Injected requests (tests) have no socket to linger on.
  if (raw.complete || !(raw.socket instanceof Socket)) return;
  const socket = raw.socket;
  void reply.removeHeader('connection');
  reply.raw.once('finish', () => {
    let discarded = 0;
    const hangUp = () => socket.destroy();
    const timer = setTimeout(hangUp, LINGER_MS).unref();
    raw.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_BYTES) hangUp();
    });
    raw.once('end', () => clearTimeout(timer));
    raw.once('close', () => clearTimeout(timer));
    raw.resume();
  });
}
