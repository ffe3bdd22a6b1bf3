import { defineConfig } from 'vitest/config';

// The whole suite runs once per engine: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
const engines = ['sqlite', ...(process.env.TEST_DATABASE_URL ? ['postgres'] : [])];

export default defineConfig({
  test: {
    projects: engines.map((engine) => ({
      extends: true,
      test: {
        name: engine,
        env: { TEST_ENGINE: engine },
      },
    })),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/engines-banner.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // What a page shows after a click comes when the machine gets to it: a busy machine (the
    // browser tests share two cores with servers) must not fail a poll that would pass.
    expect: { poll: { timeout: 15_000 } },
    // Two cores: more workers only make every argon2 hash and spawned server slower.
    maxWorkers: 2,
    sequence: { concurrent: false },
  },
});
