/** SQL for merchants and API keys. Plain rows in, plain rows out. */
import { and, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { runPrepared } from '../db/prepared.ts';
import { apiKeys } from './schema.ts';
import { merchants } from '../merchants/schema.ts';
import { fetchSize, listConditions, listOrder, type ListQuery } from '../http/pagination.ts';

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
 * Retires a key that has no expiry yet: sets `expiresAt` only if it is still `null`, so that of
 * two concurrent rotations from the same key exactly one succeeds.
 * @returns `true` when this call retired the key, `false` when it already had an expiry.
 */
export async function retireUnexpiringKey(db: Executor, keyId: string, expiresAt: Date): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ expiresAt })
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.expiresAt)))
    .returning({ id: apiKeys.id });
  return rows.length === 1;
}

/** The key row with this id (any state), if it exists. */
export async function findKeyById(db: Executor, keyId: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, keyId)).limit(1);
  return row;
}

/** A page of the merchant's keys still valid at `now`, newest first (one extra row, see toPage). */
export function listActiveKeys(db: Executor, merchantId: string, now: Date, query: ListQuery): Promise<ApiKeyRow[]> {
  const conditions = [eq(apiKeys.merchantId, merchantId), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))!, ...listConditions(query, apiKeys)];
  return db.select().from(apiKeys).where(and(...conditions)).orderBy(...listOrder(apiKeys)).limit(fetchSize(query));
}

/**
 * Makes a key of `merchantId` stop working at `now`, if it still works then.
 * @returns the updated row, or `undefined` when no such working key exists.
 */
export async function revokeKey(db: Executor, merchantId: string, keyId: string, now: Date): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set({ expiresAt: now })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.merchantId, merchantId), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))))
    .returning();
  return row;
}

/** Replaces the merchant's API secret hash. */
export async function setApiSecretHash(db: Executor, merchantId: string, apiSecretHash: string): Promise<void> {
  await db.update(merchants).set({ apiSecretHash }).where(eq(merchants.id, merchantId));
}

/** A merchant by id. */
export async function findMerchant(db: Executor, merchantId: string): Promise<MerchantRow | undefined> {
  const [row] = await db.select().from(merchants).where(eq(merchants.id, merchantId)).limit(1);
  return row;
}
