import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Test configuration. `npm test` runs every suite on one embedded PostgreSQL cluster (the one
 * `npm start` uses); `npm run test:pg` runs the same suites against a throwaway PostgreSQL 15
 * server (TEST_DATABASE_URL, see .ci/with-postgres.sh). Either way each test file gets a fresh
 * database cloned from a migrated template (test/support/global-setup.ts).
 */
export default defineConfig({
  root: resolve(import.meta.dirname, '..'),
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
  },
});
