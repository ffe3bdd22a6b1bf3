import type { FastifyReply } from 'fastify';

/**
 * Sends a route's 200 body for `value`, serialized (by the route's own response schema)
 * once per value object. A page kept by a versioned cache is the same frozen object on
 * every hit, so its JSON is the same too; `toBody` must depend on nothing but `value`.
 */
export function createSerializeOnce<V extends object>() {
  const bodies = new WeakMap<V, ReturnType<FastifyReply['serialize']>>();
  return (reply: FastifyReply, value: V, toBody: (value: V) => unknown): FastifyReply => {
    let body = bodies.get(value);
    if (body === undefined) {
      body = reply.serialize(toBody(value));
      bodies.set(value, body);
    }
    return reply.type('application/json; charset=utf-8').send(body);
  };
}
