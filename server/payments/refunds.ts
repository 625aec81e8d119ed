/**
 * Refunds: all that is still refundable of a succeeded payment, or part of it.
 *
 * Source: createRefund.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, notFound } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import { accounts, lockBalance, post } from '../ledger/index.ts';
import { formatAmount } from '../money/currency.ts';
import * as repo from './repository.ts';
import type { PaymentRow, RefundRow } from './repository.ts';
import { settleDuePayments } from './settlement.ts';
import { lockWallet, walletAccount } from './wallets.ts';

type CreateRefundRequest = components['schemas']['CreateRefundRequest'];

/**
 * createRefund: refunds `amount` (minor units; default all that remains) in one transaction that
 * locks the payment, so concurrent refunds can never exceed what was captured. Records
 * `payment.refunded`.
 * @throws ProblemError 404 unknown payment, 409 `invalid_state` not succeeded,
 *   422 `refund_exceeds_payment` more than what remains, 402 `insufficient_funds` when the
 *   available balance (lowered by reserved payouts) does not cover the refund.
 */
export async function createRefund(db: Executor, deps: AppDeps, merchantId: string, paymentId: string, input: CreateRefundRequest): Promise<RefundRow> {
  const now = deps.now(merchantId);
  await settleDuePayments(db, deps, merchantId);
  return db.transaction(async (tx) => {
    const payment = await repo.findPayment(tx, merchantId, paymentId, true);
    if (!payment) throw notFound('payment', paymentId);
    if (payment.status !== 'succeeded') {
      throw new ProblemError('invalid_state', `Only succeeded payments can be refunded; this payment is ${payment.status}.`);
    }
    const refundable = payment.amount - payment.amountRefunded;
    const amount = input.amount ?? refundable;
    if (refundable === 0 || amount > refundable) {
      throw new ProblemError(
        'refund_exceeds_payment',
        `At most ${refundable} (${formatAmount(refundable, payment.currency)}) of this payment can still be refunded.`,
        [{ pointer: '/amount', detail: `must be at most ${refundable}` }],
      );
    }
    // The refund is paid from the available balance, which reserved payouts may have lowered:
    // lock it (as payouts do) so that the two can never overdraw it together.
    const available = await lockBalance(tx, accounts.available(merchantId), payment.currency);
    if (available < amount) {
      throw new ProblemError(
        'insufficient_funds',
        `The available ${payment.currency} balance (${formatAmount(Math.max(available, 0), payment.currency)}) does not cover this refund of ${formatAmount(amount, payment.currency)}.`,
      );
    }
    const refundId = newId('re');
    const wallet = walletOf(payment);
    // Back into the payer's wallet (locked, like every wallet movement), or out to the clearing account.
    if (wallet) await lockWallet(tx, wallet, payment.currency);
    await post(tx, {
      merchantId, kind: 'refund', sourceId: refundId, currency: payment.currency, at: now,
      entries: [
        { account: accounts.available(merchantId), amount: -amount },
        { account: wallet ? walletAccount(wallet) : accounts.clearing(clearingOf(payment)), amount },
      ],
    });
    const refund = await repo.insertRefund(tx, {
      id: refundId, merchantId, paymentId, amount, currency: payment.currency, status: 'succeeded',
      reason: input.reason ?? null, metadata: input.metadata ?? {}, createdAt: now,
    });
    const updated = await repo.updatePayment(tx, paymentId, { amountRefunded: payment.amountRefunded + amount, updatedAt: now });
    await deps.events.record(tx, merchantId, 'payment.refunded', updated, now);
    return refund;
  });
}

/** The clearing account (without prefix) a payment's money came from, where its refunds go back. */
function clearingOf(payment: PaymentRow): string {
  if (payment.methodType === 'card') return 'card';
  const details = payment.methodDetails as { mobileMoney?: { provider?: string } };
  return `mobile_money:${details.mobileMoney?.provider ?? 'unknown'}`;
}

/** The payer of a wallet payment (`usr_…`), else `undefined`. */
function walletOf(payment: PaymentRow): string | undefined {
  if (payment.methodType !== 'wallet') return undefined;
  return (payment.methodDetails as { wallet?: { userId?: string } }).wallet?.userId;
}
