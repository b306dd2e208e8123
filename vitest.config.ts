import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One file at a time: the suites share one Redis and one MongoDB-compatible server
    // (each file with its own database and key prefix), and these machines have 2 cores.
    fileParallelism: false,
    pool: 'forks',
  },
});
