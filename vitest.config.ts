import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One private PostgreSQL cluster for the run (the PostgreSQL store's tests need a real server).
    globalSetup: ['test/helpers/pg-global-setup.ts'],
    // Real processes are spawned by many tests: forks isolate them, and 2 workers match the
    // 2-core CI machine.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
