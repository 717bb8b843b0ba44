import { defineConfig } from 'vitest/config';

// The two browser latency checks (pad → kiosk screen, pad → staff desk) measure a target in
// milliseconds; sharing two cores with another test file and its Chromium would measure that file.
// They run after everything else, one at a time.
const LATENCY = ['test/e2e/*latency.e2e.test.ts'];

export default defineConfig({
  test: {
    // Integration tests open real SQLite files, sockets and child processes; two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: LATENCY, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'latency', include: LATENCY, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
