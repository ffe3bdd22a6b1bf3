import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { publicRoute } from '../../core/auth/policy.ts';
import { pingDatabase, type Db } from '../../core/db/database.ts';
import { AppError } from '../../core/errors.ts';

const Status = Type.Object({ status: Type.String() });
const READINESS_TIMEOUT_MS = 2000;

export const systemRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/healthz',
    {
      config: { policy: publicRoute() },
      schema: { tags: ['system'], summary: 'The process is up', response: { 200: Status } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { policy: publicRoute() },
      schema: { tags: ['system'], summary: 'The database answers (503 while it does not)', response: { 200: Status } },
    },
    async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new AppError('STORAGE.UNAVAILABLE')), READINESS_TIMEOUT_MS);
      });
      try {
        await Promise.race([pingDatabase(db), timeout]);
      } catch {
        throw new AppError('STORAGE.UNAVAILABLE');
      } finally {
        clearTimeout(timer);
      }
      return { status: 'ready' };
    },
  );
};
