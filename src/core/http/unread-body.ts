import { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How much of an unread body is read and thrown away so its sender can read the answer. */
const LINGER_BYTES = 64 * 1024 * 1024;
const LINGER_MS = 10_000;

/**
 * Lets a client read an answer given before its body was read (413 too large, 415 not JSON,
 * 400 unreadable), as nginx's lingering close does.
 *
 * Fastify marks such answers `Connection: close`, and Node then closes the socket as soon
 * as the answer is written, while the client is still sending: most clients (Node's fetch
 * among them) see EPIPE or a reset and never read the 413. Instead the connection stays
 * open, the rest of the body is read and discarded, and the connection is closed only if
 * the sender goes past a bound in bytes or time. Nothing of the discarded body is kept.
 */
export function lingerOverUnreadBodies(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!request.raw.complete && reply.statusCode >= 400) void reply.removeHeader('connection');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const raw = request.raw;
    // Injected requests (tests) have no socket to linger on.
    if (raw.complete || reply.statusCode < 400 || !(raw.socket instanceof Socket)) {
      done();
      return;
    }
    const socket = raw.socket;
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
    done();
  });
}
