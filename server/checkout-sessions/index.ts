/**
 * The checkout-sessions family: hosted checkout sessions (create, read, list, expire) and the
 * hosted checkout page. Depends on payments (through its index) to charge; payments reaches it
 * only through the `payment.succeeded` subscriber and the checkout port registered here.
 */
import { defineFamily } from '../http/family.ts';
import { checkoutPort, completeSessionOfPayment } from './completion.ts';
import { checkoutSessionEventSerializers } from './events.ts';
import { checkoutSessionsHandlers } from './handlers.ts';
import { checkoutPages } from './pages.ts';
import { expireDueSessions } from './service.ts';

export { createSession, getSession } from './service.ts';
export type { SessionRow } from './repository.ts';
export { supportedLocale } from './pages.ts';

/** The checkout-sessions family module. */
export const checkoutSessions = defineFamily({
  tag: 'checkout-sessions',
  handlers: checkoutSessionsHandlers,
  pages: checkoutPages,
  eventSerializers: checkoutSessionEventSerializers,
  eventSubscribers: { 'payment.succeeded': completeSessionOfPayment },
  provides: { checkout: checkoutPort },
  jobs: [
    {
      name: 'checkout-sessions.expiries',
      intervalMs: 1000,
      run: (deps) => expireDueSessions(deps.db, deps),
    },
  ],
});
