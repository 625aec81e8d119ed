/**
 * Charging: check the payment method against the sandbox rules, store the payment and, by its
 * outcome, capture it, hold it pending (delayed mobile money), ask for 3-D Secure or record the
 * failure. Every money movement posts to the ledger and records its event in the same
 * transaction as the payment.
 *
 * Sources: createPayment; the hosted checkout page (through checkout-sessions).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { components } from '../../generated/schema.d.ts';
import type { Executor, Tx } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField } from '../errors/problem.ts';
import { assertRedirectUrl } from '../http/urls.ts';
import { newId } from '../ids.ts';
import { accounts, post } from '../ledger/index.ts';
import { assertChargeable } from '../money/validate.ts';
import { capture } from './capture.ts';
import * as repo from './repository.ts';
import type { PaymentRow } from './repository.ts';
import { lockWallet, walletAccount } from './wallets.ts';
import { DELAYED_SETTLEMENT_SECONDS, TEST_CARDS, TEST_PHONE_NUMBERS, cardBrand, passesLuhn, type TestOutcome } from './test-instruments.ts';

type CreatePaymentRequest = components['schemas']['CreatePaymentRequest'];
type FailureCode = NonNullable<components['schemas']['Payment']['failureCode']>;

/** Why a charge failed at once (3-D Secure failures come later: `authentication_failed`). */
export type ChargeFailure = Exclude<FailureCode, 'authentication_failed'>;

/**
 * A payment request as the use case takes it: the contract's body plus the session it pays and,
 * for a wallet payment, the registered payer whose access token came with it (`wallet.pay`
 * already checked).
 */
export type ChargeInput = CreatePaymentRequest & { checkoutSessionId?: string; applicationId?: string | null; payerUserId?: string };

/** A payment method charged through the sandbox rules (card or mobile money), not a wallet. */
type InstrumentMethod = Exclude<CreatePaymentRequest['paymentMethod'], { type: 'wallet' }>;

/** The stored `failureMessage` of each immediate failure. */
export const FAILURES: Record<ChargeFailure, string> = {
  card_declined: 'The card issuer declined the payment.',
  insufficient_funds: 'The card has insufficient funds for this payment.',
  payment_failed: 'The mobile-money provider reported that the payment failed.',
};

/** A payment method that passed the sandbox rules. */
export interface TestInstrument {
  outcome: TestOutcome;
  methodType: 'card' | 'mobile_money';
  /** The details safe to store: never the full card number or the CVC. */
  details: Record<string, unknown>;
  /** The ledger clearing account the money comes from. */
  clearing: string;
}

/**
 * In live mode, refuses every instrument: a sandbox test instrument with 402
 * `test_instrument_in_live_mode` (as a live card network declines test cards), anything else
 * with 400, since the reference server has no payment processor behind it.
 */
function refuseInLiveMode(isTestInstrument: boolean, pointer: string): never {
  if (isTestInstrument) {
    throw new ProblemError('test_instrument_in_live_mode', 'Sandbox test cards and phone numbers are declined in live mode; nothing was charged.', [
      { pointer, detail: 'is a sandbox test instrument, declined in live mode' },
    ]);
  }
  throw invalidField(pointer, 'cannot be charged: this reference server has no payment processor in live mode');
}

/**
 * Checks a payment method against the sandbox rules and returns its outcome and the details
 * safe to store.
 * @param mode the server's mode: in `live` mode every instrument is refused (see {@link refuseInLiveMode}).
 * @throws ProblemError 400 `invalid_request` with a pointer under `pointer` (default `/paymentMethod`);
 *   402 `test_instrument_in_live_mode` for a test instrument in live mode.
 */
export function resolveTestInstrument(
  method: InstrumentMethod,
  now: Date,
  pointer = '/paymentMethod',
  mode: 'sandbox' | 'live' = 'sandbox',
): TestInstrument {
  if (method.type === 'card') {
    const { number, expMonth, expYear } = method.card;
    if (!passesLuhn(number)) throw invalidField(`${pointer}/card/number`, 'is not a valid card number (Luhn check failed)');
    const outcome = TEST_CARDS[number];
    if (mode === 'live') refuseInLiveMode(outcome !== undefined, `${pointer}/card/number`);
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
  if (mode === 'live') refuseInLiveMode(outcome !== undefined, `${pointer}/phoneNumber`);
  if (!outcome) throw invalidField(`${pointer}/phoneNumber`, 'is not a sandbox test phone number; use one of the documented numbers');
  return {
    outcome,
    methodType: 'mobile_money',
    details: { mobileMoney: { provider: method.provider, phoneNumber: method.phoneNumber } },
    clearing: accounts.clearing(`mobile_money:${method.provider}`),
  };
}

/** Result of a charge: the payment and, when it failed at once, why. */
export interface ChargeResult {
  payment: PaymentRow;
  failure?: ChargeFailure;
}

/**
 * Charges inside the caller's transaction: inserts the payment and, by outcome, posts to the
 * ledger and records its events (`payment.succeeded`, `.pending`, `.requires_action`, `.failed`).
 * A failed charge is stored and returned with its `failure`, not thrown.
 * @param input Amount in minor units of `currency`.
 * @throws ProblemError 400/422 on invalid input (nothing written).
 */
export async function charge(tx: Tx, deps: AppDeps, merchantId: string, input: ChargeInput, now: Date): Promise<ChargeResult> {
  assertChargeable(input.amount, input.currency);
  if (input.returnUrl !== undefined) assertRedirectUrl('/returnUrl', input.returnUrl, deps.config.mode === 'live');
  const method = input.paymentMethod;
  if (method.type === 'wallet') return chargeWallet(tx, deps, merchantId, input, now);
  const instrument = resolveTestInstrument(method, now, '/paymentMethod', deps.config.mode);
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
    applicationId: input.applicationId ?? null,
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
    await deps.events.record(tx, merchantId, `payment.${status}`, payment, now);
  }
  return { payment, failure };
}

/** The columns of a new payment row that every method fills the same way. */
function paymentRow(merchantId: string, input: ChargeInput, now: Date) {
  return {
    id: newId('pay'),
    merchantId,
    amount: input.amount,
    currency: input.currency,
    description: input.description ?? null,
    customerEmail: input.customerEmail ?? null,
    reference: input.reference ?? null,
    checkoutSessionId: input.checkoutSessionId ?? null,
    applicationId: input.applicationId ?? null,
    returnUrl: input.returnUrl ?? null,
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * A wallet payment: locks the payer's wallet in the currency, then either moves the amount from
 * the wallet to the merchant's available balance (succeeded, `payment.succeeded`) or stores the
 * payment as failed with `insufficient_funds` (`payment.failed`), in the caller's transaction.
 * @throws Error without `payerUserId` (the handler checks the payer token first).
 */
async function chargeWallet(tx: Tx, deps: AppDeps, merchantId: string, input: ChargeInput, now: Date): Promise<ChargeResult> {
  const userId = input.payerUserId;
  if (!userId) throw new Error('A wallet payment reached charge() without its payer');
  const balance = await lockWallet(tx, userId, input.currency, merchantId, { open: false });
  const failure: ChargeFailure | undefined = balance < input.amount ? 'insufficient_funds' : undefined;
  let payment = await repo.insertPayment(tx, {
    ...paymentRow(merchantId, input, now),
    status: failure ? 'failed' : 'succeeded',
    methodType: 'wallet',
    methodDetails: { wallet: { userId } },
    failureCode: failure ?? null,
    failureMessage: failure ? WALLET_SHORT : null,
    settleAt: null,
  });
  if (failure) {
    await deps.events.record(tx, merchantId, 'payment.failed', payment, now);
    return { payment, failure };
  }
  payment = await capture(tx, deps, payment, walletAccount(userId), now);
  return { payment };
}

/** The stored `failureMessage` of a wallet payment the balance did not cover. */
const WALLET_SHORT = "The payer's wallet balance in this currency is below the amount.";

/**
 * Checks `mfaCode` when present (before anything is charged), against the code last sent to the
 * mobile-money phone number, or else to `customerEmail`, through the otp port, on `db` (so that a
 * wrong attempt counts even though the payment is refused).
 * @throws ProblemError 400 when the payment names neither; what the otp port throws.
 */
async function verifyMfaCode(db: Executor, deps: AppDeps, merchantId: string, input: ChargeInput, now: Date): Promise<void> {
  if (input.mfaCode === undefined) return;
  const method = input.paymentMethod;
  const phoneNumber = method.type === 'mobile_money' ? method.phoneNumber : undefined;
  const email = phoneNumber ? undefined : input.customerEmail;
  if (!phoneNumber && !email) throw invalidField('/mfaCode', 'needs the mobile-money phoneNumber or a customerEmail the code was sent to');
  if (!deps.ports.otp) throw new Error('No family provides the otp port: mfaCode cannot be checked');
  // Refuse an invalid payment before the code is spent on it.
  assertChargeable(input.amount, input.currency);
  if (method.type !== 'wallet') resolveTestInstrument(method, now, '/paymentMethod', deps.config.mode);
  await deps.ports.otp.verify(db, { merchantId, phoneNumber, email, code: input.mfaCode, pointer: '/mfaCode' }, now);
}

/**
 * createPayment: checks `mfaCode` if given, then charges in one transaction; a declined or
 * failed charge is stored, then reported.
 * @throws ProblemError 402 (`card_declined`, `insufficient_funds`, `payment_failed`) carrying
 *   `paymentId`; 422 `otp_invalid`/`otp_expired`, 429 `otp_attempts_exceeded` (nothing charged).
 */
export async function createPayment(db: Executor, deps: AppDeps, merchantId: string, input: ChargeInput): Promise<PaymentRow> {
  const now = deps.now();
  await verifyMfaCode(db, deps, merchantId, input, now);
  const { mfaCode: _code, ...toCharge } = input;
  const result = await db.transaction((tx) => charge(tx, deps, merchantId, toCharge, now));
  if (result.failure) {
    const detail = result.payment.methodType === 'wallet' ? WALLET_SHORT : FAILURES[result.failure];
    throw new ProblemError(result.failure, detail, undefined, { paymentId: result.payment.id });
  }
  return result.payment;
}
