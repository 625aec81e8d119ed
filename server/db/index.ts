/**
 * Opens the database: PostgreSQL, and only PostgreSQL. Either a server named by `DATABASE_URL`
 * (production, several instances) or, without one, the embedded cluster of `DATA_DIR` started by
 * this process (see `./embedded.ts`). Applies the Drizzle migrations before returning.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema.ts';
import { startEmbeddedPostgres, type EmbeddedCluster } from './embedded.ts';

/** Drizzle database; repository functions accept it or a transaction. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle as passed to `db.transaction(fn)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Anything a repository query can run on. */
export type Executor = Db | Tx;

/** An open database and a function that closes it (and stops the embedded cluster, if any). */
export interface Database {
  db: Db;
  /** `embedded`: the cluster of `DATA_DIR`, owned by this process; `postgres`: `DATABASE_URL`. */
  engine: 'embedded' | 'postgres';
  /** Connection string in use (contains the password: never print it). */
  url: string;
  /** The embedded cluster, when this process started one. */
  cluster?: EmbeddedCluster;
  close(): Promise<void>;
}

/** Where the database lives: `databaseUrl` wins; else the embedded cluster of `dataDir`. */
export interface DatabaseOptions {
  databaseUrl?: string;
  /** Data directory of the embedded cluster (used without `databaseUrl`). */
  dataDir?: string;
  /** Connections in this process's pool. Default 10. */
  poolSize?: number;
  /** Skip migrations (workers of a primary that already migrated). Default false. */
  skipMigrations?: boolean;
  /**
   * Called when an idle PostgreSQL connection fails (server restart, database dropped, network).
   * The pool replaces the connection; without a handler such an error would crash the process.
   */
  onConnectionError?: (err: Error) => void;
  /** Called when the embedded PostgreSQL dies under the running server (the owner should stop). */
  onDatabaseExit?: (err: Error) => void;
}

const migrationsFolder = new URL('./migrations', import.meta.url).pathname;

/** Advisory-lock key serialising migrations when several instances start at once. */
const MIGRATION_LOCK = 727274;

/**
 * Opens and migrates the database.
 * @throws DataDirInUseError when another server owns the embedded data directory; Error when the
 *   server is unreachable or a migration fails.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options, 'postgres');
  if (!options.dataDir) throw new Error('openDatabase needs databaseUrl or dataDir');
  const cluster = await startEmbeddedPostgres({ dataDir: options.dataDir, onUnexpectedExit: options.onDatabaseExit });
  try {
    const database = await openPostgres(cluster.url, options, 'embedded');
    return {
      ...database,
      cluster,
      close: async () => {
        await database.close();
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

async function openPostgres(url: string, options: DatabaseOptions, engine: Database['engine']): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  pool.on('error', options.onConnectionError ?? (() => undefined));
  const db = drizzle(pool, { schema }) as unknown as Db;
  if (!options.skipMigrations) {
    try {
      await migrateDatabase(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
  }
  return { db, engine, url, close: () => pool.end() };
}

/** Applies pending migrations on one connection of `pool`, under an advisory lock. */
async function migrateDatabase(pool: import('pg').Pool): Promise<void> {
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(client, { schema }), { migrationsFolder });
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

/**
 * An `onConnectionError` that logs one concise line (the pool replaces the connection): the
 * driver's error object carries the whole client, too much for a log line.
 */
export function logConnectionError(log: { warn(obj: object, msg: string): void }): (err: Error) => void {
  return (err) => log.warn({ code: (err as { code?: string }).code, reason: err.message }, 'idle PostgreSQL connection failed; the pool replaces it');
}

/** Reads one numeric aggregate (`sum`, `count`) that drivers may return as a string. */
export function toNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(BigInt(String(value)));
  if (!Number.isSafeInteger(n)) throw new Error(`Aggregate out of the safe integer range: ${String(value)}`);
  return n;
}
