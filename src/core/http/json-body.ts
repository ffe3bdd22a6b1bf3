import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/**
 * JSON bodies only, and only valid UTF-8: decoding would otherwise turn invalid bytes into
 * U+FFFD and store what the client never sent. Anything else is a 415; JSON itself is
 * parsed by Fastify's own (prototype-poisoning-safe) parser.
 */
export function registerJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    if (!isUtf8(body)) {
      done(new AppError('REQUEST.MALFORMED', { body: 'is not valid UTF-8' }), undefined);
      return;
    }
    void parseJson(request, body.toString('utf8'), done);
  });
}

/**
 * A route's `preValidation` hook for a body that may be left out (an action whose fields
 * are all optional): none is read as `{}`, so the body schema still decides what is sent.
 */
export async function bodyMayBeLeftOut(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}
