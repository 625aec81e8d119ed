/**
 * The simulated 3-D Secure challenge of a payment in `requires_action`, completed on the hosted
 * page `/authenticate/{paymentId}`.
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../errors/problem.ts';
import { accounts } from '../ledger/index.ts';
import { capture } from './capture.ts';
import * as repo from './repository.ts';
import type { PaymentRow } from './repository.ts';

/**
 * Completes the challenge: approved → captured (and its checkout session completed); refused, or
 * its checkout session no longer open → failed with `authentication_failed`. Idempotent: a
 * payment no longer awaiting authentication is returned unchanged.
 * @throws ProblemError 404 when no such payment exists.
 */
export async function completeAuthentication(db: Executor, deps: AppDeps, paymentId: string, approved: boolean): Promise<PaymentRow> {
  return db.transaction(async (tx) => {
    const payment = await repo.findPaymentById(tx, paymentId, true);
    if (!payment) throw notFound('payment', paymentId);
    const now = deps.now(payment.merchantId);
    if (payment.status !== 'requires_action') return payment;
    const checkout = deps.ports.checkout;
    const sessionClosed = payment.checkoutSessionId !== null && checkout !== undefined && !(await checkout.acceptsPayment(tx, payment.checkoutSessionId, now));
    if (approved && !sessionClosed) return capture(tx, deps, payment, accounts.clearing('card'), now);
    const failed = await repo.updatePayment(tx, payment.id, {
      status: 'failed',
      failureCode: 'authentication_failed',
      failureMessage: approved
        ? 'The checkout session was no longer open when authentication completed.'
        : 'The payer did not complete 3-D Secure authentication.',
      updatedAt: now,
    });
    await deps.events.record(tx, failed.merchantId, 'payment.failed', failed, now);
    return failed;
  });
}
