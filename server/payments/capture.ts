/**
 * Capturing a payment: the money reaches the merchant's available balance and the payment
 * succeeds, with its `payment.succeeded` event (whose subscribers complete the checkout session
 * it pays). Shared by the charge, the settlement of delayed payments and 3-D Secure.
 */
import type { Tx } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { accounts, post } from '../ledger/index.ts';
import * as repo from './repository.ts';
import type { PaymentRow } from './repository.ts';

/**
 * Moves the captured amount (minor units) from the `from` clearing account to the merchant's
 * available balance, then marks the payment succeeded.
 * @param db A transaction: the posting, the update and the events commit together.
 */
export async function capture(db: Tx, deps: AppDeps, payment: PaymentRow, from: string, now: Date): Promise<PaymentRow> {
  await post(db, {
    merchantId: payment.merchantId, kind: 'payment', sourceId: payment.id, currency: payment.currency, at: now,
    entries: [
      { account: from, amount: -payment.amount },
      { account: accounts.available(payment.merchantId), amount: payment.amount },
    ],
  });
  return succeed(db, deps, payment, now);
}

/** Marks the payment succeeded (if not yet) and records `payment.succeeded`; the ledger is the caller's. */
export async function succeed(db: Tx, deps: AppDeps, payment: PaymentRow, now: Date): Promise<PaymentRow> {
  const updated = payment.status === 'succeeded' ? payment : await repo.updatePayment(db, payment.id, { status: 'succeeded', settleAt: null, updatedAt: now });
  await deps.events.record(db, updated.merchantId, 'payment.succeeded', updated, now);
  return updated;
}
