/**
 * Throwaway PostgreSQL databases for tests and benchmarks: one fresh database per server on the
 * PostgreSQL server of an admin URL (`TEST_DATABASE_URL`, see .ci/with-postgres.sh).
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

/** Creates a database named `<prefix>_<random hex>` on the server of `adminUrl`. */
export async function freshPostgresDatabase(adminUrl: string, prefix = 'tp_test'): Promise<FreshDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
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
