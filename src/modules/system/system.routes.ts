import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { publicRoute } from '../../core/auth/policy.ts';
import { AppError } from '../../core/errors.ts';
import { bearerMatches, renderMetrics, type MetricSources } from './system.metrics.ts';
import type { SystemService } from './system.service.ts';

const Status = Type.Object({ status: Type.String() }, { title: 'HealthStatus' });

export const systemRoutes: FastifyPluginAsyncTypebox<{
  system: SystemService;
  /** `GET /metrics` exists only with a token to guard it. */
  metrics?: { token: string; sources: MetricSources };
}> = async (app, { system, metrics }) => {
  app.get(
    '/healthz',
    {
      config: { policy: publicRoute() },
      schema: { operationId: 'getHealth', tags: ['system'], summary: 'The process is up', response: { 200: Status } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { policy: publicRoute() },
      schema: {
        operationId: 'getReadiness',
        tags: ['system'],
        summary: 'The database and, when configured, Redis answer (503 while one does not)',
        response: { 200: Status },
      },
    },
    async () => {
      await system.checkReadiness();
      return { status: 'ready' };
    },
  );

  if (metrics) {
    app.get(
      '/metrics',
      {
        // Not a tenant's data: the process's own figures, behind the operator's METRICS_TOKEN.
        config: { policy: publicRoute() },
        schema: {
          operationId: 'getMetrics',
          tags: ['system'],
          summary: 'Prometheus metrics of this process (cache hit rates, memory); bearer METRICS_TOKEN',
          hide: true,
        },
      },
      async (request, reply) => {
        if (!bearerMatches(request.headers.authorization, metrics.token)) throw new AppError('AUTH.UNAUTHENTICATED');
        return reply.type('text/plain; version=0.0.4; charset=utf-8').header('cache-control', 'no-store').send(renderMetrics(metrics.sources));
      },
    );
  }
};
