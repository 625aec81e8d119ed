/** Rows of the stores family → the contract's shapes (handlers and event serializers). */
import type { components } from '../../generated/schema.d.ts';
import type { Links } from '../deps.ts';
import type { CartCheckout, OrderDetail } from './orders.ts';
import type { ProductRow, StoreRow } from './repository.ts';

type Schemas = components['schemas'];
type KeyStatus = Schemas['LicenseKey']['status'];

export function toStore(row: StoreRow): Schemas['Store'] {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    defaultCurrency: row.defaultCurrency,
    licensingOnly: row.licensingOnly,
    marketplace: row.marketplace,
    successUrl: row.successUrl,
    cancelUrl: row.cancelUrl,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toProduct(row: ProductRow): Schemas['Product'] {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    prices: row.prices,
    licensed: row.licensed,
    active: row.active,
    archivedAt: row.archivedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Key statuses an order shows; reserved keys (a pending order) are not shown yet. */
const SHOWN: Partial<Record<string, KeyStatus>> = { assigned: 'assigned', revoked: 'revoked', disabled: 'disabled' };

/** An order with its lines and the keys each line received (one per unit, in line order). */
export function toOrder({ order, storeSlug, keys }: OrderDetail): Schemas['Order'] {
  // In id order, so every read of an order lists its keys the same way.
  const shown = keys.filter((k) => SHOWN[k.status]).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    id: order.id,
    storeSlug,
    status: order.status,
    source: order.source,
    amount: order.amount,
    currency: order.currency,
    customerEmail: order.customerEmail,
    externalReference: order.externalReference,
    checkoutSessionId: order.checkoutSessionId,
    paymentId: order.paymentId,
    refundId: order.refundId,
    items: order.lines.map((line) => ({
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      unitAmount: line.unitAmount,
      licenseKeys: shown.filter((k) => k.productId === line.productId).map((k) => ({ key: k.value, status: SHOWN[k.status]! })),
    })),
    createdAt: order.createdAt.toISOString(),
    fulfilledAt: order.fulfilledAt?.toISOString() ?? null,
    refundedAt: order.refundedAt?.toISOString() ?? null,
    disputedAt: order.disputedAt?.toISOString() ?? null,
  };
}

export function toStoreCheckoutSession(checkout: CartCheckout, links: Links): Schemas['StoreCheckoutSession'] {
  return {
    id: checkout.session.id,
    orderId: checkout.order.id,
    url: links.checkout(checkout.session.id),
    expiresAt: checkout.session.expiresAt.toISOString(),
    amount: checkout.session.amount,
    currency: checkout.session.currency,
    locale: checkout.locale,
    lineItems: checkout.lines.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitAmount: l.unitAmount })),
  };
}
