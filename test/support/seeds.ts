import { randomInt } from 'node:crypto';

/**
 * The seed of a property or fuzz test. Set (`PBT_SEED`, `FUZZ_SEED`), it replays a run;
 * unset, every run draws a new one, so each CI run explores cases no earlier run tried.
 * Either way it is printed, with the command that replays it.
 */
export function runSeed(test: string, variable: 'PBT_SEED' | 'FUZZ_SEED' = 'PBT_SEED'): number {
  const given = process.env[variable];
  const seed = given === undefined ? randomInt(2 ** 31) : Number(given) >>> 0;
  console.log(`[${test}] seed=${seed}: replay with ${variable}=${seed}`);
  return seed;
}
