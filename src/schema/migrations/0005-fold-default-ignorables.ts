import type { Kysely } from 'kysely';
import { recomputeComparisonKeys } from '../rekey.ts';

/** The comparison key now drops default-ignorable code points (variation selectors, fillers): stored keys follow. */
export async function up(db: Kysely<any>): Promise<void> {
  await recomputeComparisonKeys(db);
}
