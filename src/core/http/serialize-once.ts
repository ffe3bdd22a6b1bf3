import type { FastifyReply } from 'fastify';

/**
 * Sends a route's 200 body for `value`, serialized (by the route's own response schema)
 * once per value object. A page kept by a versioned cache is the same frozen object on
 * every hit, so its JSON is the same too; `toBody` must depend on nothing but `value`.
 */
export function createSerializeOnce<V extends object>() {
  // Kept as bytes: a page of records is tens of kilobytes, which a string would be encoded, and measured, again on every send.
  const bodies = new WeakMap<V, Buffer>();
  return (reply: FastifyReply, value: V, toBody: (value: V) => unknown): FastifyReply => {
    let body = bodies.get(value);
    if (body === undefined) {
      body = Buffer.from(reply.serialize(toBody(value)) as string);
      bodies.set(value, body);
    }
    return reply.type('application/json; charset=utf-8').send(body);
  };
}
