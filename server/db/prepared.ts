/**
 * Prepared statements for per-request queries. Drizzle builds a query's SQL on every call (about
 * a quarter of the CPU of a GET under load); a prepared query is built once per database and
 * executed by name (node-postgres prepares it once per connection).
 *
 * A prepared query belongs to the pool it was built on, so inside a transaction the query is
 * built on the transaction instead (its statements must run on the transaction's connection).
 */
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Executor } from './index.ts';

/** Values for the `sql.placeholder(name)`s of a query. */
type Placeholders = Record<string, unknown>;

/** A Drizzle query that can run with placeholder values, or be prepared under a name. */
export interface Preparable<R> {
  execute(values?: Placeholders): Promise<R>;
  prepare(name: string): { execute(values?: Placeholders): Promise<R> };
  toSQL(): { sql: string };
}

/** The SQL text of each statement name, so one name can never stand for two queries. */
const texts = new Map<string, string>();

const cache = new WeakMap<object, Map<string, { execute(values?: Placeholders): Promise<unknown> }>>();

/**
 * Runs the query `build(db)` with `values`: prepared once per database under `name` (unique per
 * query text), or built afresh on a transaction.
 * @param name statement name, e.g. `payments_find`; one name per query text.
 * @param build builds the query with `sql.placeholder(…)` for every value.
 */
export function runPrepared<R>(db: Executor, name: string, build: (db: Executor) => Preparable<R>, values: Placeholders): Promise<R> {
  if (db instanceof PgTransaction) return build(db).execute(values);
  let statements = cache.get(db);
  if (!statements) cache.set(db, (statements = new Map()));
  let statement = statements.get(name);
  if (!statement) {
    const query = build(db);
    const text = query.toSQL().sql;
    const known = texts.get(name);
    if (known !== undefined && known !== text) throw new Error(`Prepared statement name ${name} is used for two different queries`);
    texts.set(name, text);
    statements.set(name, (statement = query.prepare(name)));
  }
  return statement.execute(values) as Promise<R>;
}
