/**
 * Orders of a store: a checkout of a cart (keys reserved with the session, fulfilled when it is
 * paid, released when it expires), licensing fulfilment of orders paid elsewhere, refunds and
 * (sandbox) disputes. Prices come from the catalog only; every change to an order, its keys and
 * its event happens in one transaction.
 *
 * Sources: createStoreCheckoutSession, fulfillLicensingOrder, listOrders, getOrder, refundOrder,
 * disputeOrder; the `checkout.session.completed` / `checkout.session.expired` events.
 */
import type { components } from '../../generated/schema.d.ts';
import { createSession, type SessionRow } from '../checkout-sessions/index.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField, notFound } from '../errors/problem.ts';
import type { EventSubscriber } from '../http/family.ts';
import type { ListQuery } from '../http/pagination.ts';
import { newId } from '../ids.ts';
import { isSupportedCurrency } from '../money/currency.ts';
import { createRefund } from '../payments/index.ts';
import { getStore } from './catalog.ts';
import * as repo from './repository.ts';
import type { LicenseKeyRow, OrderRow, StoreRow } from './repository.ts';
import type { OrderLine } from './schema.ts';

type CheckoutRequest = components['schemas']['CreateStoreCheckoutSessionRequest'];
type FulfillRequest = components['schemas']['FulfillLicensingRequest'];

/** Most units of one SKU in a cart (the contract's `Cart` maximum). */
export const MAX_QUANTITY = 100;

/** An order with what its wire shape needs: the store's slug and the order's keys. */
export interface OrderDetail {
  order: OrderRow;
  storeSlug: string;
  keys: LicenseKeyRow[];
}

/**
 * Prices a cart from the catalog of `store` in `currency`.
 * @param pointer JSON pointer of the cart in the request (`/items`); each error points at `/items/{sku}`.
 * @throws ProblemError 400 `invalid_request` naming every bad SKU: unknown, inactive or archived,
 *   no price in `currency`, quantity out of 1–100; or an unsupported currency (`/currency`).
 */
export async function priceCart(db: Executor, store: StoreRow, items: Record<string, number>, currency: string, pointer = '/items'): Promise<OrderLine[]> {
  if (!isSupportedCurrency(currency)) throw invalidField('/currency', `${currency} is not a supported ISO 4217 currency`);
  const skus = Object.keys(items);
  if (skus.length === 0) throw invalidField(pointer, 'the cart is empty');
  const found = new Map((await repo.findProducts(db, store.id, skus)).map((p) => [p.sku, p]));
  const errors: { pointer: string; detail: string }[] = [];
  const lines: OrderLine[] = [];
  for (const sku of skus) {
    const quantity = items[sku]!;
    const product = found.get(sku);
    const at = `${pointer}/${sku}`;
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_QUANTITY) errors.push({ pointer: at, detail: `quantity of ${sku} must be a whole number from 1 to ${MAX_QUANTITY}` });
    else if (!product) errors.push({ pointer: at, detail: `${sku} is not a product of this store` });
    else if (!product.active) errors.push({ pointer: at, detail: `${sku} is not for sale (inactive or archived)` });
    else if (product.prices[currency] === undefined) errors.push({ pointer: at, detail: `${sku} has no price in ${currency}` });
    else lines.push({ sku, productId: product.id, name: product.name, quantity, unitAmount: product.prices[currency]!, licensed: product.licensed });
  }
  if (errors.length > 0) throw new ProblemError('invalid_request', `The cart is invalid: ${errors.map((e) => e.detail).join('; ')}.`, errors);
  return lines;
}

/**
 * Takes one key per unit of each licensed line for `orderId` (`FOR UPDATE SKIP LOCKED`).
 * @throws ProblemError 409 `license_pool_exhausted` naming the SKU (the caller's transaction rolls back).
 */
async function takeKeysFor(db: Executor, orderId: string, lines: OrderLine[], status: 'reserved' | 'assigned', pointer: string): Promise<LicenseKeyRow[]> {
  const taken: LicenseKeyRow[] = [];
  for (const line of lines) {
    if (!line.licensed) continue;
    const keys = await repo.takeKeys(db, line.productId, orderId, line.quantity, status);
    if (keys.length < line.quantity) {
      throw new ProblemError('license_pool_exhausted', `Not enough licence keys are available for ${line.sku} (${line.quantity} needed).`, [
        { pointer: `${pointer}/${line.sku}`, detail: `not enough licence keys available for ${line.sku}` },
      ]);
    }
    taken.push(...keys);
  }
  return taken;
}

const referenceUsed = (reference: string) =>
  new ProblemError('external_reference_used', `An order of this store already has the external reference ${reference}.`, [{ pointer: '/externalReference', detail: 'is already used by an order of this store' }]);

/** The checkout of a cart: its session (with the hosted page) and its pending order. */
export interface CartCheckout {
  session: SessionRow;
  order: OrderRow;
  lines: OrderLine[];
  locale: string | null;
}

/**
 * createStoreCheckoutSession (also the cart and market pages): prices the cart, creates the
 * hosted checkout session and a `pending` order, and reserves the licence keys, in one
 * transaction; records `order.created`.
 * @throws ProblemError 400 (cart, currency, URLs), 409 `invalid_state` (licensing-only store),
 *   `license_pool_exhausted`, `external_reference_used`; 422 `amount_too_small`.
 */
export async function checkoutCart(db: Executor, deps: AppDeps, store: StoreRow, input: CheckoutRequest): Promise<CartCheckout> {
  if (store.licensingOnly) throw new ProblemError('invalid_state', 'This store is licensing-only: it fulfils orders paid elsewhere and takes no checkout sessions.');
  const currency = input.currency ?? store.defaultCurrency;
  try {
    return await db.transaction(async (tx) => {
      const lines = await priceCart(tx, store, input.items, currency);
      if (input.externalReference && (await repo.findOrderByReference(tx, store.id, input.externalReference))) throw referenceUsed(input.externalReference);
      const orderId = newId('ord');
      const session = await createSession(tx, deps, store.merchantId, {
        lineItems: lines.map((l) => ({ name: l.name, quantity: l.quantity, unitAmount: l.unitAmount })),
        currency,
        successUrl: input.successUrl,
        cancelUrl: input.cancelUrl,
        description: store.name,
        ...(input.customerEmail ? { customerEmail: input.customerEmail } : {}),
        ...(input.expiresIn ? { expiresIn: input.expiresIn } : {}),
        ...(input.locale ? { locale: input.locale } : {}),
        metadata: { orderId, storeSlug: store.slug },
      });
      const now = session.createdAt;
      const order = await repo.insertOrder(tx, {
        id: orderId,
        merchantId: store.merchantId,
        storeId: store.id,
        status: 'pending',
        source: 'checkout',
        amount: session.amount,
        currency,
        customerEmail: input.customerEmail ?? null,
        externalReference: input.externalReference ?? null,
        checkoutSessionId: session.id,
        lines,
        createdAt: now,
      });
      const keys = await takeKeysFor(tx, orderId, lines, 'reserved', '/items');
      await deps.events.record(tx, store.merchantId, 'order.created', { order, storeSlug: store.slug, keys } satisfies OrderDetail, now);
      return { session, order, lines, locale: input.locale ?? null };
    });
  } catch (err) {
    if (input.externalReference && repo.isUniqueViolation(err, 'orders_external_reference_key')) throw referenceUsed(input.externalReference);
    throw err;
  }
}

async function detail(db: Executor, order: OrderRow, storeSlug?: string): Promise<OrderDetail> {
  const slug = storeSlug ?? (await repo.findStoreById(db, order.storeId))!.slug;
  return { order, storeSlug: slug, keys: await repo.keysOfOrders(db, [order.id]) };
}

/**
 * Subscriber of `checkout.session.completed`: the pending order of the session is fulfilled
 * with its reserved keys (`order.fulfilled`), in the transaction that captured the payment.
 */
export const fulfillPaidOrder: EventSubscriber = async (db, event, deps) => {
  const session = event.object as SessionRow;
  const order = await repo.findOrderBySession(db, session.id, true);
  if (!order || order.status !== 'pending') return;
  await repo.setOrderKeys(db, order.id, ['reserved'], 'assigned');
  const fulfilled = await repo.updateOrder(db, order.id, { status: 'fulfilled', paymentId: session.paymentId, fulfilledAt: event.at });
  await deps.events.record(db, order.merchantId, 'order.fulfilled', await detail(db, fulfilled), event.at);
};

/** Subscriber of `checkout.session.expired`: the pending order expires and its keys return to the pool. */
export const releaseExpiredOrder: EventSubscriber = async (db, event) => {
  const session = event.object as SessionRow;
  const order = await repo.findOrderBySession(db, session.id, true);
  if (!order || order.status !== 'pending') return;
  await repo.setOrderKeys(db, order.id, ['reserved'], 'available');
  await repo.updateOrder(db, order.id, { status: 'expired' });
};

/**
 * fulfillLicensingOrder: a `fulfilled` order with one key per unit of each licensed SKU, taken
 * in one transaction; the same external reference returns the existing order (`replayed`).
 * @throws ProblemError 404 store, 400 cart or currency, 409 `license_pool_exhausted`.
 */
export async function fulfillLicensing(db: Executor, deps: AppDeps, merchantId: string, slug: string, input: FulfillRequest): Promise<OrderDetail & { replayed: boolean }> {
  const store = await getStore(db, merchantId, slug);
  const existing = async () => {
    const order = await repo.findOrderByReference(db, store.id, input.externalReference);
    return order ? { ...(await detail(db, order, store.slug)), replayed: true } : undefined;
  };
  const found = await existing();
  if (found) return found;
  try {
    return await db.transaction(async (tx) => {
      const lines = await priceCart(tx, store, input.items, input.currency);
      const now = deps.now(merchantId);
      const order = await repo.insertOrder(tx, {
        id: newId('ord'),
        merchantId,
        storeId: store.id,
        status: 'fulfilled',
        source: 'licensing',
        amount: input.amount,
        currency: input.currency,
        customerEmail: input.customerEmail ?? null,
        externalReference: input.externalReference,
        lines,
        createdAt: now,
        fulfilledAt: now,
      });
      const keys = await takeKeysFor(tx, order.id, lines, 'assigned', '/items');
      const result = { order, storeSlug: store.slug, keys };
      await deps.events.record(tx, merchantId, 'order.fulfilled', result, now);
      return { ...result, replayed: false };
    });
  } catch (err) {
    // The same reference fulfilled concurrently: answer with that order.
    if (repo.isUniqueViolation(err, 'orders_external_reference_key')) {
      const raced = await existing();
      if (raced) return raced;
    }
    throw err;
  }
}

/** getOrder. @throws ProblemError 404 (store or order of another merchant or store). */
export async function getOrder(db: Executor, merchantId: string, slug: string, orderId: string): Promise<OrderDetail> {
  const store = await getStore(db, merchantId, slug);
  const order = await repo.findOrder(db, merchantId, orderId, store.id);
  if (!order) throw notFound('order', orderId);
  return detail(db, order, store.slug);
}

/** listOrders: newest first, by status and creation time. */
export async function listOrders(db: Executor, merchantId: string, slug: string, query: ListQuery & { status?: OrderRow['status'] }): Promise<OrderDetail[]> {
  repo.assertListQuery(query);
  const store = await getStore(db, merchantId, slug);
  const rows = await repo.listOrders(db, store.id, query);
  const keys = await repo.keysOfOrders(db, rows.map((o) => o.id));
  return rows.map((order) => ({ order, storeSlug: store.slug, keys: keys.filter((k) => k.orderId === order.id) }));
}

/**
 * refundOrder: refunds a fulfilled order in full (its payment through payments' refund and the
 * ledger), revokes its keys and records `order.refunded`, in one transaction.
 * @throws ProblemError 404, 409 `invalid_state` unless `fulfilled`.
 */
export async function refundOrder(db: Executor, deps: AppDeps, merchantId: string, slug: string, orderId: string): Promise<OrderDetail> {
  const store = await getStore(db, merchantId, slug);
  return db.transaction(async (tx) => {
    const order = await repo.findOrder(tx, merchantId, orderId, store.id, true);
    if (!order) throw notFound('order', orderId);
    if (order.status !== 'fulfilled') throw new ProblemError('invalid_state', `Only fulfilled orders can be refunded; this order is ${order.status}.`);
    const refund = order.paymentId ? await createRefund(tx, deps, merchantId, order.paymentId, { reason: 'requested_by_customer' }) : undefined;
    const now = deps.now(merchantId);
    await repo.setOrderKeys(tx, order.id, ['assigned'], 'revoked');
    const refunded = await repo.updateOrder(tx, order.id, { status: 'refunded', refundId: refund?.id ?? null, refundedAt: now });
    const result = await detail(tx, refunded, store.slug);
    await deps.events.record(tx, merchantId, 'order.refunded', result, now);
    return result;
  });
}

/**
 * disputeOrder (sandbox): a fulfilled order of the merchant becomes `disputed`, its keys are
 * disabled, `order.disputed` is recorded. No money moves in the simulation.
 * @throws ProblemError 404, 409 `invalid_state` unless `fulfilled`.
 */
export async function disputeOrder(db: Executor, deps: AppDeps, merchantId: string, orderId: string): Promise<OrderDetail> {
  return db.transaction(async (tx) => {
    const order = await repo.findOrder(tx, merchantId, orderId, undefined, true);
    if (!order) throw notFound('order', orderId);
    if (order.status !== 'fulfilled') throw new ProblemError('invalid_state', `Only fulfilled orders can be disputed; this order is ${order.status}.`);
    const now = deps.now(merchantId);
    await repo.setOrderKeys(tx, order.id, ['assigned'], 'disabled');
    const disputed = await repo.updateOrder(tx, order.id, { status: 'disputed', disputedAt: now });
    const result = await detail(tx, disputed);
    await deps.events.record(tx, merchantId, 'order.disputed', result, now);
    return result;
  });
}

/** An order by its checkout session, for the hosted order page (the session id is the capability). */
export async function orderOfSession(db: Executor, sessionId: string): Promise<OrderDetail | undefined> {
  const order = await repo.findOrderBySession(db, sessionId);
  return order ? detail(db, order) : undefined;
}
