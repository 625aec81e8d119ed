/**
 * Tables of the stores family: stores, their catalog, licence-key pools and orders. Amounts in
 * minor units. Slugs are unique across merchants (they appear in public add-to-cart links); SKUs
 * within a store; a licence key within its product.
 */
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt, money } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** Stores (`sto_…`). */
export const stores = pgTable(
  'stores',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    defaultCurrency: text('default_currency').notNull(),
    licensingOnly: boolean('licensing_only').notNull(),
    marketplace: boolean('marketplace').notNull(),
    successUrl: text('success_url'),
    cancelUrl: text('cancel_url'),
    createdAt: createdAt(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [uniqueIndex('stores_slug_key').on(t.slug), index('stores_list_idx').on(t.merchantId, t.createdAt, t.id)],
);

/** Products of a store's catalog (`prod_…`); `prices` maps ISO 4217 code → minor units. */
export const products = pgTable(
  'products',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    storeId: text('store_id').notNull().references(() => stores.id),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    prices: jsonb('prices').$type<Record<string, number>>().notNull(),
    licensed: boolean('licensed').notNull(),
    active: boolean('active').notNull(),
    archivedAt: at('archived_at'),
    createdAt: createdAt(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [uniqueIndex('products_store_sku_key').on(t.storeId, t.sku), index('products_list_idx').on(t.storeId, t.createdAt, t.id)],
);

/** One line of an order, as stored with it. */
export interface OrderLine {
  sku: string;
  productId: string;
  name: string;
  quantity: number;
  /** Catalog price of one unit, minor units. */
  unitAmount: number;
  licensed: boolean;
}

/** Orders (`ord_…`). A pending order holds the keys reserved for its checkout session. */
export const orders = pgTable(
  'orders',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    storeId: text('store_id').notNull().references(() => stores.id),
    status: text('status', { enum: ['pending', 'fulfilled', 'expired', 'refunded', 'disputed'] }).notNull(),
    source: text('source', { enum: ['checkout', 'licensing'] }).notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    customerEmail: text('customer_email'),
    externalReference: text('external_reference'),
    checkoutSessionId: text('checkout_session_id'),
    paymentId: text('payment_id'),
    refundId: text('refund_id'),
    lines: jsonb('lines').$type<OrderLine[]>().notNull(),
    createdAt: createdAt(),
    fulfilledAt: at('fulfilled_at'),
    refundedAt: at('refunded_at'),
    disputedAt: at('disputed_at'),
  },
  (t) => [
    index('orders_list_idx').on(t.storeId, t.createdAt, t.id),
    uniqueIndex('orders_session_key').on(t.checkoutSessionId),
    // Fulfilment is idempotent by external reference; an expired checkout frees its reference.
    uniqueIndex('orders_external_reference_key').on(t.storeId, t.externalReference).where(sql`external_reference is not null and status <> 'expired'`),
  ],
);

/**
 * Licence keys of a product's pool. `available` keys have no order; `reserved` ones are held
 * by a pending order; `assigned` ones belong to a fulfilled order; `revoked` (refund) and
 * `disabled` (dispute) are never given out again.
 */
export const licenseKeys = pgTable(
  'license_keys',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    productId: text('product_id').notNull().references(() => products.id),
    value: text('value').notNull(),
    status: text('status', { enum: ['available', 'reserved', 'assigned', 'revoked', 'disabled'] }).notNull(),
    orderId: text('order_id').references(() => orders.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('license_keys_product_value_key').on(t.productId, t.value),
    index('license_keys_available_idx').on(t.productId, t.status),
    index('license_keys_order_idx').on(t.orderId),
  ],
);
