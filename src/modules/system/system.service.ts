import type { Redis } from 'ioredis';
import { pingDatabase } from '../../core/db/open.ts';
import { rateLimitStoreUnavailable } from '../../core/http/rate-limit.ts';
import type { Db } from '../../schema/database.ts';
import { AppError } from '../../core/errors.ts';

const READINESS_TIMEOUT_MS = 2000;

export type SystemService = ReturnType<typeof createSystemService>;

export function createSystemService(deps: { db: Db; redis: Redis | undefined }) {
  async function checkDatabase(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AppError('STORAGE.UNAVAILABLE')), READINESS_TIMEOUT_MS);
    });
    try {
      await Promise.race([pingDatabase(deps.db), timeout]);
    } catch {
      throw new AppError('STORAGE.UNAVAILABLE');
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    /**
     * Resolves when every dependency answers: the database (else STORAGE.UNAVAILABLE) and,
     * when configured, Redis (else RATE_LIMIT.UNAVAILABLE), each within its timeout.
     */
    async checkReadiness(): Promise<void> {
      await checkDatabase();
      if (deps.redis) {
        // The client's command timeout bounds the PING.
        await deps.redis.ping().catch(() => {
          throw rateLimitStoreUnavailable({ redis: 'does not answer' });
        });
      }
    },
  };
}
