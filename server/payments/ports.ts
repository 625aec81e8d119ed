/**
 * What payments asks of the family that owns checkout sessions, without importing it (that
 * family depends on payments, not the other way round). Implemented by checkout-sessions under
 * `provides.checkout`; without it no payment has a `checkoutSessionId`.
 */
import type { Executor } from '../db/index.ts';
import type { PaymentRow } from './repository.ts';

/** The checkout session side of a payment made on the hosted checkout page. */
export interface CheckoutPort {
  /**
   * Locks the session (until the transaction ends) and tells whether it can still take a payment
   * at `now`: open and unexpired.
   */
  acceptsPayment(db: Executor, sessionId: string, now: Date): Promise<boolean>;
  /**
   * Where the payer goes after the 3-D Secure challenge of a checkout payment: the session's
   * success URL when this payment completed it, else back to the hosted form with the reason.
   */
  returnAfterAuthentication(db: Executor, payment: PaymentRow): Promise<string>;
}

declare module '../deps.ts' {
  interface Ports {
    /** Offered by checkout-sessions to payments. */
    checkout: CheckoutPort;
  }
}
