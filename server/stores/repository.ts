/** SQL of the stores family. Plain rows in, plain rows out. */
import { and, eq, ilike, inArray, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { fetchSize, listConditions, listOrder, pageLimit, type ListQuery } from '../http/pagination.ts';
import { licenseKeys, orders, products, stores } from './schema.ts';

export type StoreRow = typeof stores.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type OrderRow = typeof orders.$inferSelect;
export type LicenseKeyRow = typeof licenseKeys.$inferSelect;
export type KeyStatus = LicenseKeyRow['status'];

/** Whether `err` is PostgreSQL's unique violation on the named constraint. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  const pg = e?.code ? e : e?.cause;
  return pg?.code === '23505' && pg.constraint === constraint;
}

/**
 * Checks the list parameters (limit, cursor, created range) before anything is looked up, so a
 * bad parameter is a 400 whatever the store in the path.
 * @throws ProblemError 400 `invalid_request` naming the parameter.
 */
export function assertListQuery(query: ListQuery): void {
  pageLimit(query);
  listConditions(query, stores);
}

export async function insertStore(db: Executor, row: typeof stores.$inferInsert): Promise<StoreRow> {
  const [created] = await db.insert(stores).values(row).returning();
  return created!;
}

/** A store by slug, of this merchant (or of any merchant when `merchantId` is null: public pages). */
export async function findStore(db: Executor, merchantId: string | null, slug: string): Promise<StoreRow | undefined> {
  const where = merchantId ? and(eq(stores.slug, slug), eq(stores.merchantId, merchantId)) : eq(stores.slug, slug);
  const [row] = await db.select().from(stores).where(where).limit(1);
  return row;
}

export async function findStoreById(db: Executor, storeId: string): Promise<StoreRow | undefined> {
  const [row] = await db.select().from(stores).where(eq(stores.id, storeId)).limit(1);
  return row;
}

export async function updateStore(db: Executor, storeId: string, changes: Partial<StoreRow>): Promise<StoreRow> {
  const [row] = await db.update(stores).set(changes).where(eq(stores.id, storeId)).returning();
  return row!;
}

export async function listStores(db: Executor, merchantId: string, query: ListQuery): Promise<StoreRow[]> {
  return db.select().from(stores).where(and(eq(stores.merchantId, merchantId), ...listConditions(query, stores))).orderBy(...listOrder(stores)).limit(fetchSize(query));
}

export async function insertProduct(db: Executor, row: typeof products.$inferInsert): Promise<ProductRow> {
  const [created] = await db.insert(products).values(row).returning();
  return created!;
}

export async function findProduct(db: Executor, storeId: string, sku: string, forUpdate = false): Promise<ProductRow | undefined> {
  const query = db.select().from(products).where(and(eq(products.storeId, storeId), eq(products.sku, sku))).limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  return row;
}

/** The products of a store with these SKUs (any order). */
export async function findProducts(db: Executor, storeId: string, skus: string[]): Promise<ProductRow[]> {
  if (skus.length === 0) return [];
  return db.select().from(products).where(and(eq(products.storeId, storeId), inArray(products.sku, skus)));
}

export async function updateProduct(db: Executor, productId: string, changes: Partial<ProductRow>): Promise<ProductRow> {
  const [row] = await db.update(products).set(changes).where(eq(products.id, productId)).returning();
  return row!;
}

export async function listProducts(db: Executor, storeId: string, query: ListQuery & { active?: boolean }): Promise<ProductRow[]> {
  const conditions: SQL[] = [eq(products.storeId, storeId), ...listConditions(query, products)];
  if (query.active !== undefined) conditions.push(eq(products.active, query.active));
  return db.select().from(products).where(and(...conditions)).orderBy(...listOrder(products)).limit(fetchSize(query));
}

/** Active products of the stores that opted in to the market, optionally whose name contains `search`. */
export async function marketProducts(db: Executor, search: string | undefined, limit: number): Promise<{ store: StoreRow; product: ProductRow }[]> {
  const conditions: SQL[] = [eq(stores.marketplace, true), eq(stores.licensingOnly, false), eq(products.active, true)];
  if (search) conditions.push(ilike(products.name, `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  return db
    .select({ store: stores, product: products })
    .from(products)
    .innerJoin(stores, eq(products.storeId, stores.id))
    .where(and(...conditions))
    .orderBy(products.name, products.id)
    .limit(limit);
}

/**
 * Inserts keys into a product's pool, skipping values it already holds.
 * @returns how many were inserted.
 */
export async function insertKeys(db: Executor, rows: (typeof licenseKeys.$inferInsert)[]): Promise<number> {
  if (rows.length === 0) return 0;
  const inserted = await db.insert(licenseKeys).values(rows).onConflictDoNothing({ target: [licenseKeys.productId, licenseKeys.value] }).returning({ id: licenseKeys.id });
  return inserted.length;
}

/** Counts of a product's keys by status. */
export async function countKeys(db: Executor, productId: string): Promise<Record<KeyStatus, number>> {
  const rows = await db
    .select({ status: licenseKeys.status, count: sql<number>`count(*)::int` })
    .from(licenseKeys)
    .where(eq(licenseKeys.productId, productId))
    .groupBy(licenseKeys.status);
  const counts: Record<KeyStatus, number> = { available: 0, reserved: 0, assigned: 0, revoked: 0, disabled: 0 };
  for (const r of rows) counts[r.status] = r.count;
  return counts;
}

/**
 * Takes up to `count` available keys of a product for an order, skipping keys another
 * transaction has locked (`FOR UPDATE SKIP LOCKED`), and marks them `status`.
 * @returns the keys taken (fewer than `count` when the pool has too few; the caller rolls back).
 */
export async function takeKeys(db: Executor, productId: string, orderId: string, count: number, status: 'reserved' | 'assigned'): Promise<LicenseKeyRow[]> {
  const free = await db
    .select({ id: licenseKeys.id })
    .from(licenseKeys)
    .where(and(eq(licenseKeys.productId, productId), eq(licenseKeys.status, 'available')))
    .orderBy(licenseKeys.createdAt, licenseKeys.id)
    .limit(count)
    .for('update', { skipLocked: true });
  if (free.length < count) return [];
  return db.update(licenseKeys).set({ status, orderId }).where(inArray(licenseKeys.id, free.map((k) => k.id))).returning();
}

/** Moves an order's keys from one status to another (`available` also clears the order). */
export async function setOrderKeys(db: Executor, orderId: string, from: KeyStatus[], to: KeyStatus): Promise<void> {
  await db
    .update(licenseKeys)
    .set(to === 'available' ? { status: to, orderId: null } : { status: to })
    .where(and(eq(licenseKeys.orderId, orderId), inArray(licenseKeys.status, from)));
}

/** The keys of some orders. */
export async function keysOfOrders(db: Executor, orderIds: string[]): Promise<LicenseKeyRow[]> {
  if (orderIds.length === 0) return [];
  return db.select().from(licenseKeys).where(inArray(licenseKeys.orderId, orderIds)).orderBy(licenseKeys.createdAt, licenseKeys.id);
}

export async function insertOrder(db: Executor, row: typeof orders.$inferInsert): Promise<OrderRow> {
  const [created] = await db.insert(orders).values(row).returning();
  return created!;
}

/** An order of this merchant (optionally of one store). */
export async function findOrder(db: Executor, merchantId: string, orderId: string, storeId?: string, forUpdate = false): Promise<OrderRow | undefined> {
  const conditions: SQL[] = [eq(orders.id, orderId), eq(orders.merchantId, merchantId)];
  if (storeId) conditions.push(eq(orders.storeId, storeId));
  const query = db.select().from(orders).where(and(...conditions)).limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  return row;
}

export async function findOrderBySession(db: Executor, sessionId: string, forUpdate = false): Promise<OrderRow | undefined> {
  const query = db.select().from(orders).where(eq(orders.checkoutSessionId, sessionId)).limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  return row;
}

/** The order of a store with this external reference that did not expire. */
export async function findOrderByReference(db: Executor, storeId: string, reference: string): Promise<OrderRow | undefined> {
  const [row] = await db
    .select()
    .from(orders)
    .where(and(eq(orders.storeId, storeId), eq(orders.externalReference, reference), sql`${orders.status} <> 'expired'`))
    .limit(1);
  return row;
}

export async function updateOrder(db: Executor, orderId: string, changes: Partial<OrderRow>): Promise<OrderRow> {
  const [row] = await db.update(orders).set(changes).where(eq(orders.id, orderId)).returning();
  return row!;
}

export async function listOrders(db: Executor, storeId: string, query: ListQuery & { status?: OrderRow['status'] }): Promise<OrderRow[]> {
  const conditions: SQL[] = [eq(orders.storeId, storeId), ...listConditions(query, orders)];
  if (query.status) conditions.push(eq(orders.status, query.status));
  return db.select().from(orders).where(and(...conditions)).orderBy(...listOrder(orders)).limit(fetchSize(query));
}
