import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/sim/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Forks keep native better-sqlite3 handles isolated per test file. Two at once on this 2-core
    // machine: most files wait on sockets and timers, so one fork left a core idle (Vitest's default
    // is one fewer than the cores).
    pool: 'forks',
    maxWorkers: 2,
    // One PostgreSQL server for the run (PG_URL, or a throwaway embedded one): test/support/postgres.ts.
    globalSetup: ['test/support/postgres-global-setup.ts'],
  },
});
