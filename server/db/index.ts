/**
 * Opens the database: embedded PGlite in a data directory (default, one process only, guarded by
 * an exclusive lock file) or a PostgreSQL server through `DATABASE_URL`. Applies the Drizzle
 * migrations before returning.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';

/** Drizzle database over either engine; repository functions accept it or a transaction. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle as passed to `db.transaction(fn)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Anything a repository query can run on. */
export type Executor = Db | Tx;

/** An open database with its engine name and a function that closes it (and releases the lock). */
export interface Database {
  db: Db;
  engine: 'pglite' | 'postgres';
  close(): Promise<void>;
}

/** Where the database lives: `databaseUrl` wins; else `dataDir` (PGlite on disk); else in memory. */
export interface DatabaseOptions {
  databaseUrl?: string;
  dataDir?: string;
  /**
   * Called when an idle PostgreSQL connection fails (server restart, database dropped, network).
   * The pool replaces the connection; without a handler such an error would crash the process.
   */
  onConnectionError?: (err: Error) => void;
}

const migrationsFolder = resolve(import.meta.dirname, 'migrations');

/**
 * Opens and migrates the database.
 * @throws when the PGlite data directory is locked by another live process, or the server is unreachable.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.onConnectionError);
  return openPglite(options.dataDir);
}

async function openPostgres(url: string, onConnectionError: (err: Error) => void = () => undefined): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  // bigint (int8) sums come back as strings; our amounts stay far below 2^53.
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
  pool.on('error', onConnectionError);
  const db = drizzle(pool, { schema }) as unknown as Db;
  // Several instances may start at once: serialise migrations with an advisory lock.
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(727274)');
    await migrate(drizzle(client, { schema }), { migrationsFolder });
  } finally {
    await client.query('SELECT pg_advisory_unlock(727274)').catch(() => undefined);
    client.release();
  }
  return { db, engine: 'postgres', close: () => pool.end() };
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  let release: () => Promise<void> = async () => undefined;
  if (dataDir) {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    const lockfile = await import('proper-lockfile');
    try {
      release = await lockfile.lock(dir, { lockfilePath: join(dirname(dir), `${dir.split('/').pop()}.lock`), stale: 15_000, update: 5_000 });
    } catch (err) {
      throw new Error(
        `The data directory ${dir} is in use by another process (PGlite allows one process per directory). ` +
          `Stop it, or set DATA_DIR to another directory or DATABASE_URL to a PostgreSQL server.`,
        { cause: err },
      );
    }
  }
  const client = dataDir ? new PGlite(resolve(dataDir)) : new PGlite();
  const db = drizzle(client, { schema }) as unknown as Db;
  await migrate(drizzle(client, { schema }), { migrationsFolder });
  return {
    db,
    engine: 'pglite',
    close: async () => {
      await client.close();
      await release();
    },
  };
}

/** Reads one numeric aggregate (`sum`, `count`) that drivers may return as a string. */
export function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(BigInt(String(value)));
  if (!Number.isSafeInteger(n)) throw new Error(`Aggregate out of the safe integer range: ${String(value)}`);
  return n;
}
