/**
 * Stores, their products and licence-key pools: create, read, list, update, archive, upload.
 * Every read is scoped to the merchant: another merchant's store or product is `404`.
 *
 * Sources: createStore, listStores, getStore, updateStore, createProduct, listProducts,
 * getProduct, updateProduct, archiveProduct, uploadLicenseKeys, getLicenseKeyPool.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField, notFound } from '../errors/problem.ts';
import { assertRedirectUrl } from '../http/urls.ts';
import type { ListQuery } from '../http/pagination.ts';
import { newId } from '../ids.ts';
import { isSupportedCurrency } from '../money/currency.ts';
import * as repo from './repository.ts';
import type { ProductRow, StoreRow } from './repository.ts';

type CreateStoreRequest = components['schemas']['CreateStoreRequest'];
type UpdateStoreRequest = components['schemas']['UpdateStoreRequest'];
type CreateProductRequest = components['schemas']['CreateProductRequest'];
type UpdateProductRequest = components['schemas']['UpdateProductRequest'];

/** Counts of a product's pool (`LicenseKeyPool`). */
export interface PoolCounts {
  sku: string;
  available: number;
  reserved: number;
  assigned: number;
  /** Revoked by refunds plus disabled by disputes. */
  revoked: number;
}

function assertCurrency(pointer: string, currency: string): void {
  if (!isSupportedCurrency(currency)) throw invalidField(pointer, `${currency} is not a supported ISO 4217 currency`);
}

function assertUrls(deps: AppDeps, input: { successUrl?: string | null; cancelUrl?: string | null }): void {
  const live = deps.config.mode === 'live';
  if (input.successUrl) assertRedirectUrl('/successUrl', input.successUrl, live);
  if (input.cancelUrl) assertRedirectUrl('/cancelUrl', input.cancelUrl, live);
}

/** Runs `insert` in a savepoint and turns the unique violation `constraint` into `error`. */
async function insertUnique<T>(db: Executor, constraint: string, error: () => ProblemError, insert: (tx: Executor) => Promise<T>): Promise<T> {
  try {
    return await db.transaction((tx) => insert(tx));
  } catch (err) {
    if (repo.isUniqueViolation(err, constraint)) throw error();
    throw err;
  }
}

/**
 * createStore.
 * @throws ProblemError 400 unknown currency or bad URL, 409 `store_slug_taken` (any merchant).
 */
export async function createStore(db: Executor, deps: AppDeps, merchantId: string, input: CreateStoreRequest): Promise<StoreRow> {
  assertCurrency('/defaultCurrency', input.defaultCurrency);
  assertUrls(deps, input);
  const now = deps.now(merchantId);
  return insertUnique(db, 'stores_slug_key', () => new ProblemError('store_slug_taken', `The slug ${input.slug} is already used by another store; choose another.`, [{ pointer: '/slug', detail: 'is already taken' }]), (tx) =>
    repo.insertStore(tx, {
      id: newId('sto'),
      merchantId,
      slug: input.slug,
      name: input.name,
      defaultCurrency: input.defaultCurrency,
      licensingOnly: input.licensingOnly ?? false,
      marketplace: input.marketplace ?? false,
      successUrl: input.successUrl ?? null,
      cancelUrl: input.cancelUrl ?? null,
      createdAt: now,
      updatedAt: now,
    }),
  );
}

/** getStore. @throws ProblemError 404 when the merchant has no store with this slug. */
export async function getStore(db: Executor, merchantId: string, slug: string): Promise<StoreRow> {
  const store = await repo.findStore(db, merchantId, slug);
  if (!store) throw notFound('store', slug);
  return store;
}

/** listStores: newest first. */
export function listStores(db: Executor, merchantId: string, query: ListQuery): Promise<StoreRow[]> {
  return repo.listStores(db, merchantId, query);
}

/** updateStore. @throws ProblemError 404, 400 unknown currency or bad URL. */
export async function updateStore(db: Executor, deps: AppDeps, merchantId: string, slug: string, input: UpdateStoreRequest): Promise<StoreRow> {
  const store = await getStore(db, merchantId, slug);
  if (input.defaultCurrency !== undefined) assertCurrency('/defaultCurrency', input.defaultCurrency);
  assertUrls(deps, input);
  return repo.updateStore(db, store.id, { ...input, updatedAt: deps.now(merchantId) });
}

function assertPrices(prices: Record<string, number>): void {
  for (const currency of Object.keys(prices)) assertCurrency(`/prices/${currency}`, currency);
}

/**
 * createProduct.
 * @throws ProblemError 404 store, 400 unknown currency in `prices`, 409 `sku_taken`.
 */
export async function createProduct(db: Executor, deps: AppDeps, merchantId: string, slug: string, input: CreateProductRequest): Promise<ProductRow> {
  const store = await getStore(db, merchantId, slug);
  assertPrices(input.prices);
  const now = deps.now(merchantId);
  return insertUnique(db, 'products_store_sku_key', () => new ProblemError('sku_taken', `The store already has a product with SKU ${input.sku}.`, [{ pointer: '/sku', detail: 'is already used in this store' }]), (tx) =>
    repo.insertProduct(tx, {
      id: newId('prod'),
      merchantId,
      storeId: store.id,
      sku: input.sku,
      name: input.name,
      description: input.description ?? null,
      prices: input.prices,
      licensed: input.licensed ?? false,
      active: input.active ?? true,
      archivedAt: null,
      createdAt: now,
      updatedAt: now,
    }),
  );
}

/** getProduct. @throws ProblemError 404 (store or SKU). */
export async function getProduct(db: Executor, merchantId: string, slug: string, sku: string, forUpdate = false): Promise<{ store: StoreRow; product: ProductRow }> {
  const store = await getStore(db, merchantId, slug);
  const product = await repo.findProduct(db, store.id, sku, forUpdate);
  if (!product) throw notFound('product', sku);
  return { store, product };
}

/** listProducts: newest first, optionally by `active`. */
export async function listProducts(db: Executor, merchantId: string, slug: string, query: ListQuery & { active?: boolean }): Promise<ProductRow[]> {
  repo.assertListQuery(query);
  const store = await getStore(db, merchantId, slug);
  return repo.listProducts(db, store.id, query);
}

/**
 * updateProduct. `prices` replaces the whole list.
 * @throws ProblemError 404, 400 unknown currency, 409 `invalid_state` for an archived product.
 */
export async function updateProduct(db: Executor, deps: AppDeps, merchantId: string, slug: string, sku: string, input: UpdateProductRequest): Promise<ProductRow> {
  if (input.prices) assertPrices(input.prices);
  return db.transaction(async (tx) => {
    const { product } = await getProduct(tx, merchantId, slug, sku, true);
    if (product.archivedAt) throw new ProblemError('invalid_state', `Product ${sku} is archived and can no longer be changed.`);
    return repo.updateProduct(tx, product.id, { ...input, updatedAt: deps.now(merchantId) });
  });
}

/** archiveProduct: inactive for good; an archived product is returned unchanged. @throws ProblemError 404. */
export async function archiveProduct(db: Executor, deps: AppDeps, merchantId: string, slug: string, sku: string): Promise<ProductRow> {
  return db.transaction(async (tx) => {
    const { product } = await getProduct(tx, merchantId, slug, sku, true);
    if (product.archivedAt) return product;
    const now = deps.now(merchantId);
    return repo.updateProduct(tx, product.id, { active: false, archivedAt: now, updatedAt: now });
  });
}

async function poolOf(db: Executor, product: ProductRow): Promise<PoolCounts> {
  const c = await repo.countKeys(db, product.id);
  return { sku: product.sku, available: c.available, reserved: c.reserved, assigned: c.assigned, revoked: c.revoked + c.disabled };
}

/**
 * uploadLicenseKeys: adds the keys the pool does not hold yet (repeats in the request and keys
 * already held count as duplicates).
 * @throws ProblemError 404, 400 when the product is not licensed.
 */
export async function uploadLicenseKeys(db: Executor, merchantId: string, slug: string, sku: string, keys: string[]): Promise<{ added: number; duplicates: number; pool: PoolCounts }> {
  const { product } = await getProduct(db, merchantId, slug, sku);
  if (!product.licensed) throw invalidField('/keys', `product ${sku} is not licensed; set licensed to true before uploading keys`);
  const unique = [...new Set(keys)];
  const added = await repo.insertKeys(
    db,
    unique.map((value) => ({ id: newId('lk'), merchantId, productId: product.id, value, status: 'available' as const })),
  );
  return { added, duplicates: keys.length - added, pool: await poolOf(db, product) };
}

/** getLicenseKeyPool. @throws ProblemError 404. */
export async function getLicenseKeyPool(db: Executor, merchantId: string, slug: string, sku: string): Promise<PoolCounts> {
  const { product } = await getProduct(db, merchantId, slug, sku);
  return poolOf(db, product);
}
