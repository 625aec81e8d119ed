/** Handlers of the stores family: request → use case → response (wire shapes made here). */
import type { OperationHandlers } from '../http/operations.ts';
import { requireAuth } from '../http/operations.ts';
import { toPage } from '../http/pagination.ts';
import * as catalog from './catalog.ts';
import * as orders from './orders.ts';
import { toOrder, toProduct, toStore, toStoreCheckoutSession } from './resource.ts';

type StoreOps =
  | 'createStore' | 'listStores' | 'getStore' | 'updateStore'
  | 'createProduct' | 'listProducts' | 'getProduct' | 'updateProduct' | 'archiveProduct'
  | 'uploadLicenseKeys' | 'getLicenseKeyPool'
  | 'createStoreCheckoutSession' | 'fulfillLicensingOrder' | 'listOrders' | 'getOrder' | 'refundOrder';

/** A paginated row carries the order's cursor position. */
const position = (d: orders.OrderDetail) => ({ ...d, createdAt: d.order.createdAt, id: d.order.id });

export const storesHandlers: Pick<OperationHandlers, StoreOps> = {
  async createStore(ctx) {
    return { status: 201, body: toStore(await catalog.createStore(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.body)) };
  },
  async listStores(ctx) {
    const rows = await catalog.listStores(ctx.db, requireAuth(ctx).merchantId, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toStore) };
  },
  async getStore(ctx) {
    return { status: 200, body: toStore(await catalog.getStore(ctx.db, requireAuth(ctx).merchantId, ctx.params.storeSlug)) };
  },
  async updateStore(ctx) {
    return { status: 200, body: toStore(await catalog.updateStore(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.body)) };
  },
  async createProduct(ctx) {
    return { status: 201, body: toProduct(await catalog.createProduct(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.body)) };
  },
  async listProducts(ctx) {
    const rows = await catalog.listProducts(ctx.db, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.query);
    return { status: 200, body: toPage(rows, ctx.query, toProduct) };
  },
  async getProduct(ctx) {
    const { product } = await catalog.getProduct(ctx.db, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.params.sku);
    return { status: 200, body: toProduct(product) };
  },
  async updateProduct(ctx) {
    return { status: 200, body: toProduct(await catalog.updateProduct(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.params.sku, ctx.body)) };
  },
  async archiveProduct(ctx) {
    return { status: 200, body: toProduct(await catalog.archiveProduct(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.params.sku)) };
  },
  async uploadLicenseKeys(ctx) {
    return { status: 201, body: await catalog.uploadLicenseKeys(ctx.db, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.params.sku, ctx.body.keys) };
  },
  async getLicenseKeyPool(ctx) {
    return { status: 200, body: await catalog.getLicenseKeyPool(ctx.db, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.params.sku) };
  },
  async createStoreCheckoutSession(ctx) {
    const store = await catalog.getStore(ctx.db, requireAuth(ctx).merchantId, ctx.params.storeSlug);
    const checkout = await orders.checkoutCart(ctx.db, ctx.deps, store, ctx.body);
    return { status: 201, body: toStoreCheckoutSession(checkout, ctx.deps.links) };
  },
  async fulfillLicensingOrder(ctx) {
    const result = await orders.fulfillLicensing(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.body);
    return result.replayed ? { status: 200, body: toOrder(result) } : { status: 201, body: toOrder(result) };
  },
  async listOrders(ctx) {
    const rows = await orders.listOrders(ctx.db, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.query);
    return { status: 200, body: toPage(rows.map(position), ctx.query, toOrder) };
  },
  async getOrder(ctx) {
    return { status: 200, body: toOrder(await orders.getOrder(ctx.db, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.params.orderId)) };
  },
  async refundOrder(ctx) {
    return { status: 200, body: toOrder(await orders.refundOrder(ctx.db, ctx.deps, requireAuth(ctx).merchantId, ctx.params.storeSlug, ctx.params.orderId)) };
  },
};
