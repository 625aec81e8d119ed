/** SQL for merchants and API keys. Plain rows in, plain rows out. */
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { runPrepared } from '../db/prepared.ts';
import { apiKeys } from './schema.ts';
import { merchants } from '../merchants/schema.ts';

export type MerchantRow = typeof merchants.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** Inserts a merchant row. */
export async function insertMerchant(db: Executor, row: typeof merchants.$inferInsert): Promise<MerchantRow> {
  const [created] = await db.insert(merchants).values(row).returning();
  return created!;
}

/** Inserts an API key row (hash only). */
export async function insertApiKey(db: Executor, row: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
  const [created] = await db.insert(apiKeys).values(row).returning();
  return created!;
}

type ActiveKey = { key: ApiKeyRow; merchant: MerchantRow };

/** Keys still valid at the placeholder `now`, joined with their merchant. */
const activeKeys = (db: Executor) =>
  db
    .select({ key: apiKeys, merchant: merchants })
    .from(apiKeys)
    .innerJoin(merchants, eq(apiKeys.merchantId, merchants.id));
const notExpired = or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql.placeholder('now')));

/** The key with this hash and its merchant, if the key is still valid at `now`. */
export async function findActiveKeyByHash(db: Executor, keyHash: string, now: Date): Promise<ActiveKey | undefined> {
  const build = (d: Executor) => activeKeys(d).where(and(eq(apiKeys.keyHash, sql.placeholder('keyHash')), notExpired)).limit(1);
  const [row] = await runPrepared(db, 'api_keys_by_hash', build, { keyHash, now });
  return row;
}

/** The key with this id and its merchant, if still valid at `now` (used for access tokens). */
export async function findActiveKeyById(db: Executor, keyId: string, merchantId: string, now: Date): Promise<ActiveKey | undefined> {
  const build = (d: Executor) =>
    activeKeys(d)
      .where(and(eq(apiKeys.id, sql.placeholder('keyId')), eq(apiKeys.merchantId, sql.placeholder('merchantId')), notExpired))
      .limit(1);
  const [row] = await runPrepared(db, 'api_keys_by_id', build, { keyId, merchantId, now });
  return row;
}

/**
 * Sets when a key stops working; only ever brings the expiry closer.
 * @returns the key's effective expiry afterwards: `expiresAt`, or the earlier one it already had.
 */
export async function expireApiKey(db: Executor, keyId: string, expiresAt: Date): Promise<Date> {
  await db
    .update(apiKeys)
    .set({ expiresAt })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, expiresAt))));
  const [row] = await db.select({ expiresAt: apiKeys.expiresAt }).from(apiKeys).where(eq(apiKeys.id, keyId)).limit(1);
  return row?.expiresAt ?? expiresAt;
}

/** A merchant by id. */
export async function findMerchant(db: Executor, merchantId: string): Promise<MerchantRow | undefined> {
  const [row] = await db.select().from(merchants).where(eq(merchants.id, merchantId)).limit(1);
  return row;
}
