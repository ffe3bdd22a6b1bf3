import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { publicRoute } from '../../core/auth/policy.ts';
import type { SystemService } from './system.service.ts';

const Status = Type.Object({ status: Type.String() }, { title: 'HealthStatus' });

export const systemRoutes: FastifyPluginAsyncTypebox<{ system: SystemService }> = async (app, { system }) => {
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
};
