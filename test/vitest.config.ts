import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Test configuration. `npm test` runs every suite on embedded PGlite; `npm run test:pg` runs the
 * same suites against a throwaway PostgreSQL server (TEST_DATABASE_URL, see .ci/with-postgres.sh).
 */
export default defineConfig({
  root: resolve(import.meta.dirname, '..'),
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
  },
});
