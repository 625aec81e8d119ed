/**
 * Payments: charge a test card or mobile-money wallet, settle delayed payments, complete 3-D
 * Secure, refund, and report the balance. Every money movement posts to the ledger and records
 * its event in the same transaction as the payment's state change.
 *
 * Sources: createPayment, getPayment, listPayments, createRefund, getPaymentInstructions,
 * getBalance; the hosted 3-D Secure page.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { components } from '../../generated/schema.d.ts';
import { completeSessionForPayment } from '../checkout-sessions/completion.ts';
import { findSession } from '../checkout-sessions/repository.ts';
import type { Tx } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField, notFound } from '../errors/problem.ts';
import { recordEvent } from '../events/index.ts';
import { newId } from '../ids.ts';
import { accountBalances, accounts, post } from '../ledger/index.ts';
import { formatAmount } from '../money/currency.ts';
import { assertChargeable } from '../money/validate.ts';
import { assertRedirectUrl } from '../http/urls.ts';
import * as repo from './repository.ts';
import type { PaymentRow } from './repository.ts';
import { authenticationUrl, toPayment } from './resource.ts';
import { DELAYED_SETTLEMENT_SECONDS, TEST_CARDS, TEST_PHONE_NUMBERS, cardBrand, passesLuhn, type TestOutcome } from './test-instruments.ts';

type CreatePaymentRequest = components['schemas']['CreatePaymentRequest'];
type CreateRefundRequest = components['schemas']['CreateRefundRequest'];
type PaymentInstructions = components['schemas']['PaymentInstructions'];
type FailureCode = NonNullable<components['schemas']['Payment']['failureCode']>;

/** A payment request as the service takes it: the contract's body plus the session it pays. */
export type ChargeInput = CreatePaymentRequest & { checkoutSessionId?: string };

const FAILURES: Record<Exclude<FailureCode, 'authentication_failed'>, string> = {
  card_declined: 'The card issuer declined the payment.',
  insufficient_funds: 'The card has insufficient funds for this payment.',
  payment_failed: 'The mobile-money provider reported that the payment failed.',
};

/**
 * Checks a payment method against the sandbox rules and returns its outcome and the details
 * safe to store (never the full card number or the CVC).
 * @throws ProblemError 400 `invalid_request` with a pointer under `pointer` (default `/paymentMethod`).
 */
export function resolveTestInstrument(
  method: CreatePaymentRequest['paymentMethod'],
  now: Date,
  pointer = '/paymentMethod',
): { outcome: TestOutcome; methodType: 'card' | 'mobile_money'; details: Record<string, unknown>; clearing: string } {
  if (method.type === 'card') {
    const { number, expMonth, expYear } = method.card;
    if (!passesLuhn(number)) throw invalidField(`${pointer}/card/number`, 'is not a valid card number (Luhn check failed)');
    const outcome = TEST_CARDS[number];
    if (!outcome) throw invalidField(`${pointer}/card/number`, 'is not a sandbox test card; use one of the documented test card numbers');
    if (expYear < now.getUTCFullYear() || (expYear === now.getUTCFullYear() && expMonth < now.getUTCMonth() + 1)) {
      throw invalidField(`${pointer}/card/expYear`, 'the card has expired');
    }
    return {
      outcome,
      methodType: 'card',
      details: { card: { brand: cardBrand(number), last4: number.slice(-4), expMonth, expYear } },
      clearing: accounts.clearing('card'),
    };
  }
  const phone = parsePhoneNumberFromString(method.phoneNumber);
  if (!phone || !phone.isValid() || phone.number !== method.phoneNumber) {
    throw invalidField(`${pointer}/phoneNumber`, 'is not a valid E.164 phone number');
  }
  const outcome = TEST_PHONE_NUMBERS[method.phoneNumber];
  if (!outcome) throw invalidField(`${pointer}/phoneNumber`, 'is not a sandbox test phone number; use one of the documented numbers');
  return {
    outcome,
    methodType: 'mobile_money',
    details: { mobileMoney: { provider: method.provider, phoneNumber: method.phoneNumber } },
    clearing: accounts.clearing(`mobile_money:${method.provider}`),
  };
}

/** Result of a charge inside a transaction: the payment row and, when it failed, why. */
export interface ChargeResult {
  payment: PaymentRow;
  failure?: Exclude<FailureCode, 'authentication_failed'>;
}

/**
 * Charges inside the caller's transaction: inserts the payment and, by outcome, posts to the
 * ledger, records events and completes the checkout session it pays.
 * @throws ProblemError 400/422 on invalid input (nothing written).
 */
export async function chargeInTx(tx: Tx, deps: AppDeps, merchantId: string, input: ChargeInput, now: Date): Promise<ChargeResult> {
  assertChargeable(input.amount, input.currency);
  if (input.returnUrl !== undefined) assertRedirectUrl('/returnUrl', input.returnUrl, deps.config.mode === 'live');
  const instrument = resolveTestInstrument(input.paymentMethod, now);
  const failure =
    instrument.outcome === 'decline' ? 'card_declined'
    : instrument.outcome === 'insufficient_funds' ? 'insufficient_funds'
    : instrument.outcome === 'fail' ? 'payment_failed'
    : undefined;
  const status: PaymentRow['status'] =
    failure ? 'failed'
    : instrument.outcome === 'three_d_secure' ? 'requires_action'
    : instrument.outcome === 'delayed' ? 'pending'
    : 'succeeded';

  let payment = await repo.insertPayment(tx, {
    id: newId('pay'),
    merchantId,
    status,
    amount: input.amount,
    currency: input.currency,
    methodType: instrument.methodType,
    methodDetails: instrument.details,
    description: input.description ?? null,
    customerEmail: input.customerEmail ?? null,
    reference: input.reference ?? null,
    checkoutSessionId: input.checkoutSessionId ?? null,
    failureCode: failure ?? null,
    failureMessage: failure ? FAILURES[failure] : null,
    returnUrl: input.returnUrl ?? null,
    settleAt: status === 'pending' ? new Date(now.getTime() + DELAYED_SETTLEMENT_SECONDS * 1000) : null,
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  });

  if (status === 'succeeded') payment = await capture(tx, deps, payment, instrument.clearing, now);
  if (status === 'pending') {
    await post(tx, {
      merchantId, kind: 'payment_pending', sourceId: payment.id, currency: payment.currency, at: now,
      entries: [
        { account: instrument.clearing, amount: -payment.amount },
        { account: accounts.pending(merchantId), amount: payment.amount },
      ],
    });
  }
  if (status === 'failed' || status === 'requires_action' || status === 'pending') {
    await recordEvent(tx, merchantId, `payment.${status}`, toPayment(payment, deps.config.publicBaseUrl), now);
  }
  return { payment, failure };
}

/** Moves the captured amount from clearing to the merchant's available balance and emits the events. */
async function capture(tx: Tx, deps: AppDeps, payment: PaymentRow, from: string, now: Date): Promise<PaymentRow> {
  await post(tx, {
    merchantId: payment.merchantId, kind: 'payment', sourceId: payment.id, currency: payment.currency, at: now,
    entries: [
      { account: from, amount: -payment.amount },
      { account: accounts.available(payment.merchantId), amount: payment.amount },
    ],
  });
  return succeed(tx, deps, payment, now);
}

async function succeed(tx: Tx, deps: AppDeps, payment: PaymentRow, now: Date): Promise<PaymentRow> {
  const updated = payment.status === 'succeeded' ? payment : await repo.updatePayment(tx, payment.id, { status: 'succeeded', settleAt: null, updatedAt: now });
  await recordEvent(tx, updated.merchantId, 'payment.succeeded', toPayment(updated, deps.config.publicBaseUrl), now);
  if (updated.checkoutSessionId) {
    await completeSessionForPayment(tx, updated.checkoutSessionId, updated.id, now, deps.config.publicBaseUrl);
  }
  return updated;
}

/**
 * createPayment: charges in one transaction; a declined or failed charge is stored, then reported.
 * @throws ProblemError 402 (`card_declined`, `insufficient_funds`, `payment_failed`) carrying `paymentId`.
 */
export async function createPayment(deps: AppDeps, merchantId: string, input: ChargeInput): Promise<PaymentRow> {
  const now = deps.now();
  const result = await deps.db.transaction((tx) => chargeInTx(tx, deps, merchantId, input, now));
  if (result.failure) {
    throw new ProblemError(result.failure, FAILURES[result.failure], undefined, { paymentId: result.payment.id });
  }
  return result.payment;
}

/**
 * Settles pending mobile-money payments whose settlement time has come (pending → available),
 * each in its own transaction. Called by the background sweeper and before reads.
 * @returns how many payments settled.
 */
export async function settleDuePayments(deps: AppDeps, merchantId?: string): Promise<number> {
  const now = deps.now();
  let settled = 0;
  for (const id of await repo.findDueSettlements(deps.db, now, merchantId)) {
    if (await settlePayment(deps, id, now)) settled++;
  }
  return settled;
}

/** Settles one pending payment (pending → available) in its own transaction; false if no longer pending. */
async function settlePayment(deps: AppDeps, paymentId: string, now: Date): Promise<boolean> {
  return deps.db.transaction(async (tx) => {
    const payment = await repo.findPaymentById(tx, paymentId, true);
    if (!payment || payment.status !== 'pending') return false;
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

/**
 * Completes the simulated 3-D Secure challenge of a payment in `requires_action`: approved →
 * captured (and its checkout session completed); refused, or its session no longer open → failed.
 * Idempotent: a payment no longer awaiting authentication is returned unchanged.
 * @throws ProblemError 404 when no such payment exists.
 */
export async function completeAuthentication(deps: AppDeps, paymentId: string, approved: boolean): Promise<PaymentRow> {
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const payment = await repo.findPaymentById(tx, paymentId, true);
    if (!payment) throw notFound('payment', paymentId);
    if (payment.status !== 'requires_action') return payment;
    const session = payment.checkoutSessionId ? await findSession(tx, null, payment.checkoutSessionId, true) : undefined;
    const sessionClosed = session !== undefined && (session.status !== 'open' || session.expiresAt <= now);
    if (approved && !sessionClosed) return capture(tx, deps, payment, accounts.clearing('card'), now);
    const failed = await repo.updatePayment(tx, payment.id, {
      status: 'failed',
      failureCode: 'authentication_failed',
      failureMessage: approved
        ? 'The checkout session was no longer open when authentication completed.'
        : 'The payer did not complete 3-D Secure authentication.',
      updatedAt: now,
    });
    await recordEvent(tx, failed.merchantId, 'payment.failed', toPayment(failed, deps.config.publicBaseUrl), now);
    return failed;
  });
}

/**
 * getPayment: one payment of the merchant (settled first if it is pending and its settlement is due).
 * @throws ProblemError 404 `not_found` for an unknown id or another merchant's payment.
 */
export async function getPayment(deps: AppDeps, merchantId: string, paymentId: string): Promise<PaymentRow> {
  const now = deps.now();
  const payment = await repo.findPayment(deps.db, merchantId, paymentId);
  if (!payment) throw notFound('payment', paymentId);
  if (payment.status === 'pending' && payment.settleAt && payment.settleAt <= now && (await settlePayment(deps, paymentId, now))) {
    return (await repo.findPayment(deps.db, merchantId, paymentId))!;
  }
  return payment;
}

/** listPayments: newest first, filtered, one page plus one row to detect more. */
export async function listPayments(deps: AppDeps, merchantId: string, filters: repo.PaymentFilters): Promise<PaymentRow[]> {
  await settleDuePayments(deps, merchantId);
  return repo.listPayments(deps.db, merchantId, filters);
}

/**
 * createRefund: refunds all that is still refundable, or `amount` of it, in one transaction that
 * locks the payment, so concurrent refunds can never exceed what was captured.
 * @throws ProblemError 404 unknown payment, 409 `invalid_state` not succeeded,
 *   422 `refund_exceeds_payment` more than what remains.
 */
export async function createRefund(deps: AppDeps, merchantId: string, paymentId: string, input: CreateRefundRequest) {
  const now = deps.now();
  await settleDuePayments(deps, merchantId);
  return deps.db.transaction(async (tx) => {
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
    const refundId = newId('re');
    await post(tx, {
      merchantId, kind: 'refund', sourceId: refundId, currency: payment.currency, at: now,
      entries: [
        { account: accounts.available(merchantId), amount: -amount },
        { account: accounts.clearing(clearingOf(payment)), amount },
      ],
    });
    const refund = await repo.insertRefund(tx, {
      id: refundId, merchantId, paymentId, amount, currency: payment.currency, status: 'succeeded',
      reason: input.reason ?? null, metadata: input.metadata ?? {}, createdAt: now,
    });
    const updated = await repo.updatePayment(tx, paymentId, { amountRefunded: payment.amountRefunded + amount, updatedAt: now });
    await recordEvent(tx, merchantId, 'payment.refunded', toPayment(updated, deps.config.publicBaseUrl), now);
    return refund;
  });
}

function clearingOf(payment: PaymentRow): string {
  if (payment.methodType === 'card') return 'card';
  const details = payment.methodDetails as { mobileMoney?: { provider?: string } };
  return `mobile_money:${details.mobileMoney?.provider ?? 'unknown'}`;
}

const PROVIDERS: Record<string, { name: string; ussd: string | null }> = {
  mtn: { name: 'MTN Mobile Money', ussd: '*165#' },
  airtel: { name: 'Airtel Money', ussd: '*185#' },
  mpesa: { name: 'M-Pesa', ussd: '*334#' },
};

/** getPaymentInstructions: what to tell the payer, by method and status. */
export function instructionsFor(payment: PaymentRow, merchantName: string, baseUrl: string): PaymentInstructions {
  const amount = formatAmount(payment.amount, payment.currency);
  const base = { paymentId: payment.id, paymentMethodType: payment.methodType, status: payment.status };
  if (payment.status === 'requires_action') {
    return {
      ...base,
      title: 'Complete 3-D Secure authentication',
      steps: [
        `Open ${authenticationUrl(baseUrl, payment.id)} in the payer's browser.`,
        `Confirm the payment of ${amount} to ${merchantName} in the bank's challenge.`,
      ],
      ussdCode: null,
      expiresAt: null,
    };
  }
  if (payment.status === 'pending' && payment.methodType === 'mobile_money') {
    const provider = (payment.methodDetails as { mobileMoney?: { provider?: string } }).mobileMoney?.provider ?? 'mtn';
    const info = PROVIDERS[provider] ?? { name: 'mobile money', ussd: null };
    return {
      ...base,
      title: 'Approve the payment on your phone',
      steps: [
        `Unlock your phone and wait for the ${info.name} prompt.`,
        `Check that the amount is ${amount} and the merchant is ${merchantName}.`,
        `Enter your PIN to approve. No prompt? Dial ${info.ussd ?? 'your provider\'s menu'} and open pending approvals.`,
      ],
      ussdCode: info.ussd,
      expiresAt: payment.settleAt?.toISOString() ?? null,
    };
  }
  if (payment.status === 'failed') {
    return {
      ...base,
      title: 'Payment failed',
      steps: [`${payment.failureMessage ?? 'The payment failed.'} Start a new payment to try again.`],
      ussdCode: null,
      expiresAt: null,
    };
  }
  return { ...base, title: 'Payment complete', steps: [`Nothing left to do: ${amount} was paid to ${merchantName}.`], ussdCode: null, expiresAt: null };
}

/**
 * getBalance: available and pending balances per currency, from the ledger. A currency whose
 * entries sum to zero (nothing moved, or everything settled or refunded) is omitted, as the
 * contract's `Balance` schema says.
 */
export async function getBalance(deps: AppDeps, merchantId: string) {
  await settleDuePayments(deps, merchantId);
  const [available, pending] = await Promise.all([
    accountBalances(deps.db, accounts.available(merchantId)),
    accountBalances(deps.db, accounts.pending(merchantId)),
  ]);
  const withFunds = (balances: typeof available) => balances.filter((b) => b.amount !== 0);
  return { available: withFunds(available), pending: withFunds(pending) };
}
