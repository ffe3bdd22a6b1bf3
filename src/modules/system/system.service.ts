import { pingDatabase } from '../../core/db/open.ts';
import type { Db } from '../../schema/database.ts';
import { AppError } from '../../core/errors.ts';

const READINESS_TIMEOUT_MS = 2000;

export type SystemService = ReturnType<typeof createSystemService>;

export function createSystemService(deps: { db: Db }) {
  return {
    /** Resolves when the database answers within the readiness timeout, else throws STORAGE.UNAVAILABLE. */
    async checkDatabase(): Promise<void> {
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
    },
  };
}
