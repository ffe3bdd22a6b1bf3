/**
 * Vitest global setup: says at the end of the run which engines the suite ran on, so a
 * green `npm test` without TEST_DATABASE_URL cannot be mistaken for a run on PostgreSQL too.
 * Vitest runs a global setup once per project; the banner is printed once.
 */
export default function setup(): () => void {
  return () => {
    // Each project loads this file afresh, so the guard lives in the environment.
    if (process.env.TESSERA_ENGINES_BANNER_PRINTED) return;
    process.env.TESSERA_ENGINES_BANNER_PRINTED = '1';
    process.stdout.write(
      process.env.TEST_DATABASE_URL
        ? '\nengines: sqlite + postgres (TEST_DATABASE_URL)\n'
        : '\nengines: sqlite only; PostgreSQL skipped (set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test to run it too)\n',
    );
  };
}
