/**
 * A checkout session and its payment: payments knows nothing of sessions; this family reacts to
 * `payment.succeeded` (an event subscriber, in the transaction that captured the payment, so the
 * session, the payment, the ledger and the events change together or not at all) and offers
 * payments the {@link CheckoutPort} for the 3-D Secure page.
 */
import type { Executor } from '../db/index.ts';
import type { EventSubscriber } from '../http/family.ts';
import type { CheckoutPort, PaymentRow } from '../payments/index.ts';
import { findSession, updateSession } from './repository.ts';
import { successRedirect } from './resource.ts';

/**
 * Subscriber of `payment.succeeded`: locks the payment's session and, if it is still open and
 * unexpired at the event's time, marks it `complete` with this payment and records
 * `checkout.session.completed`. A payment without a session, or for a session that can no longer
 * take it, changes nothing.
 */
export const completeSessionOfPayment: EventSubscriber = async (db, event, deps) => {
  const payment = event.object as PaymentRow;
  if (!payment.checkoutSessionId) return;
  const session = await findSession(db, null, payment.checkoutSessionId, true);
  if (!session || session.status !== 'open' || session.expiresAt <= event.at) return;
  const completed = await updateSession(db, session.id, { status: 'complete', paymentId: payment.id, completedAt: event.at });
  await deps.events.record(db, completed.merchantId, 'checkout.session.completed', completed, event.at);
};

/** The checkout side of payments' 3-D Secure page. */
export const checkoutPort: CheckoutPort = {
  async acceptsPayment(db: Executor, sessionId: string, now: Date): Promise<boolean> {
    const session = await findSession(db, null, sessionId, true);
    return session === undefined || (session.status === 'open' && session.expiresAt > now);
  },

  async returnAfterAuthentication(db: Executor, payment: PaymentRow): Promise<string> {
    const sessionId = payment.checkoutSessionId!;
    const session = await findSession(db, null, sessionId);
    if (session && payment.status === 'succeeded' && session.paymentId === payment.id) return successRedirect(session);
    return `/checkout/${sessionId}?error=${payment.failureCode ?? 'authentication_failed'}`;
  },
};
