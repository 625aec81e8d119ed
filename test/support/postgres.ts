/**
 * Throwaway PostgreSQL databases for tests and benchmarks: one fresh database per server on the
 * PostgreSQL server of an admin URL (`TEST_DATABASE_URL`: set by test/support/global-setup.ts, or
 * by .ci/with-postgres.sh), cloned from the migrated template `TEST_TEMPLATE_DATABASE` when set.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database created for one test or benchmark, and how to remove it. */
export interface FreshDatabase {
  /** Connection string of the new database. */
  url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/**
 * Creates a database named `<prefix>_<random hex>` on the server of `adminUrl`, a copy of
 * `template` (default `TEST_TEMPLATE_DATABASE`, else an empty database).
 */
export async function freshPostgresDatabase(
  adminUrl: string,
  prefix = 'tp_test',
  template: string | undefined = process.env.TEST_TEMPLATE_DATABASE,
): Promise<FreshDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A fresh database for one test on the run's PostgreSQL server.
 * @throws Error outside the test runner (no `TEST_DATABASE_URL`).
 */
export function freshTestDatabase(prefix = 'tp_test'): Promise<FreshDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set: run the tests with vitest (test/support/global-setup.ts)');
  return freshPostgresDatabase(adminUrl, prefix);
}
