/**
 * The stores family: stores, catalog, licence-key pools, store checkout sessions, licensing
 * fulfilment, orders, and the public cart and market pages. Uses checkout-sessions (sessions
 * and the hosted page) and payments (refunds) through their index; learns that a session was
 * paid or expired from their events.
 */
import { defineFamily } from '../http/family.ts';
import { storeEventSerializers } from './events.ts';
import { storesHandlers } from './handlers.ts';
import { fulfillPaidOrder, releaseExpiredOrder } from './orders.ts';
import { storePages } from './pages.ts';

export { disputeOrder, type OrderDetail } from './orders.ts';
export { toOrder } from './resource.ts';

/** The stores family module. */
export const stores = defineFamily({
  tag: 'stores',
  handlers: storesHandlers,
  pages: storePages,
  eventSerializers: storeEventSerializers,
  eventSubscribers: {
    'checkout.session.completed': fulfillPaidOrder,
    'checkout.session.expired': releaseExpiredOrder,
  },
});
