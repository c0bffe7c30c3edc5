import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/sim/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores here: forks keep native better-sqlite3 handles isolated per test file.
    pool: 'forks',
    // One PostgreSQL server for the run (PG_URL, or a throwaway embedded one): test/support/postgres.ts.
    globalSetup: ['test/support/postgres-global-setup.ts'],
  },
});
