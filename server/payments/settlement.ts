/**
 * Settlement of delayed (mobile-money) payments: a pending payment whose `settleAt` has come
 * moves from the merchant's pending to the available balance and succeeds. Run by the
 * `payments.settlements` job and before reads, so no reader sees a payment pending past its time.
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { accounts, post } from '../ledger/index.ts';
import { succeed } from './capture.ts';
import * as repo from './repository.ts';

/**
 * Settles the due pending payments (of one merchant, or all), each in its own transaction.
 * @returns how many payments settled.
 */
export async function settleDuePayments(db: Executor, deps: AppDeps, merchantId?: string): Promise<number> {
  let settled = 0;
  for (const id of await repo.findDueSettlements(db, deps.clock, merchantId)) {
    if (await settlePayment(db, deps, id)) settled++;
  }
  return settled;
}

/**
 * Settles one pending payment (pending → available) in its own transaction, at its merchant's time.
 * @returns false when the payment is no longer pending (another instance settled it).
 */
export async function settlePayment(db: Executor, deps: AppDeps, paymentId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const payment = await repo.findPaymentById(tx, paymentId, true);
    if (!payment || payment.status !== 'pending') return false;
    const now = deps.now(payment.merchantId);
    await post(tx, {
      merchantId: payment.merchantId, kind: 'settlement', sourceId: payment.id, currency: payment.currency, at: now,
      entries: [
        { account: accounts.pending(payment.merchantId), amount: -payment.amount },
        { account: accounts.available(payment.merchantId), amount: payment.amount },
      ],
    });
    await succeed(tx, deps, payment, now);
    return true;
  });
}
