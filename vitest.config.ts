import { defineConfig } from 'vitest/config';

/**
 * Files that kill processes or time recoveries run alone, after the others: their timings are what
 * they check, so they get the machine to themselves.
 */
const ALONE = ['tests/app/crash.test.ts', 'tests/broadcasts/crash.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      // Two files at a time: the suites share one Redis and one MongoDB-compatible server (each file
      // with its own database and key prefix), and spend much of their time waiting on them and on
      // their timers; these machines have 2 cores (792 s one at a time, 472 s two at a time, 29 Nov 2026).
      { extends: true, test: { name: 'shared', include: ['tests/**/*.test.ts'], exclude: ALONE, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
