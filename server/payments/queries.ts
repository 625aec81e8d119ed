/**
 * Reading payments: one, or a filtered page. A pending payment whose settlement is due is
 * settled first.
 *
 * Sources: getPayment, listPayments, getPaymentInstructions.
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../errors/problem.ts';
import * as repo from './repository.ts';
import type { PaymentRow } from './repository.ts';
import { settleDuePayments, settlePayment } from './settlement.ts';

/**
 * getPayment: one payment of the merchant (settled first if it is pending and its settlement is due).
 * @throws ProblemError 404 `not_found` for an unknown id or another merchant's payment.
 */
export async function getPayment(db: Executor, deps: AppDeps, merchantId: string, paymentId: string): Promise<PaymentRow> {
  const now = deps.now(merchantId);
  const payment = await repo.findPayment(db, merchantId, paymentId);
  if (!payment) throw notFound('payment', paymentId);
  if (payment.status === 'pending' && payment.settleAt && payment.settleAt <= now && (await settlePayment(db, deps, paymentId))) {
    return (await repo.findPayment(db, merchantId, paymentId))!;
  }
  return payment;
}

/** listPayments: newest first, filtered, one page plus one row to detect more. */
export async function listPayments(db: Executor, deps: AppDeps, merchantId: string, filters: repo.PaymentFilters): Promise<PaymentRow[]> {
  await settleDuePayments(db, deps, merchantId);
  return repo.listPayments(db, merchantId, filters);
}
