import { defineConfig } from 'vitest/config';

// Unit tests run the TypeScript sources; e2e tests (test/e2e) start the built CLI (dist/) as a
// real process, which `npm test` builds first. The machine has 2 cores: keep parallelism at 2.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
