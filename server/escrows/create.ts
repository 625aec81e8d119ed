/**
 * createEscrow: take the payer's money into an escrow. A test card or immediate mobile money
 * funds it at once (`funded`, `escrow.funded`); delayed mobile money leaves it `pending_funding`
 * until its approval time (see `timed.ts`). The payer's instrument is checked by the payments
 * family's sandbox rules (`resolveTestInstrument`), so an escrow accepts exactly the test data a
 * payment does; a declined or failed charge creates nothing.
 *
 * Money: clearing account of the network → `escrow:<id>:held` (or `:funding` while pending), in
 * one transaction with the escrow row and its event. Never through the merchant's balance.
 *
 * Source: createEscrow.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import { post } from '../ledger/index.ts';
import { assertChargeable } from '../money/validate.ts';
import { DELAYED_SETTLEMENT_SECONDS, FAILURES, resolveTestInstrument } from '../payments/index.ts';
import { escrowAccounts } from './accounts.ts';
import { verifyPayerOtp } from './payer.ts';
import * as repo from './repository.ts';
import type { EscrowRow, NewEscrowRow } from './repository.ts';
import { requirePayer, type PayerContext } from '../oauth/index.ts';

type CreateEscrowRequest = components['schemas']['CreateEscrowRequest'];

/** Furthest ahead a deadline or release time may be, in seconds (366 days). */
export const MAX_TERMS_SECONDS = 366 * 86_400;

/** Who is creating the escrow. */
export interface EscrowCaller {
  merchantId: string;
  /** The client token's application, or null with a secret API key. */
  applicationId: string | null;
  /**
   * The registered payer of `X-Payer-Token` (wallet funding), checked for `wallet.pay` by
   * {@link createEscrow} only when the payment method is a wallet.
   */
  payer: () => PayerContext;
}

/**
 * The release time of the terms, checked against the merchant's `now`.
 * @throws ProblemError 400 with a pointer to the deadline or release time when it is not in the
 *   future or more than {@link MAX_TERMS_SECONDS} ahead.
 */
function releaseTimeOf(terms: CreateEscrowRequest['terms'], now: Date): Date {
  const [pointer, value] = terms.type === 'delivery_confirmation' ? ['/terms/deadline', terms.deadline] : ['/terms/releaseAt', terms.releaseAt];
  const at = new Date(value);
  if (!(at.getTime() > now.getTime())) throw invalidField(pointer, `must be in the future (it is now ${now.toISOString()})`);
  if (at.getTime() > now.getTime() + MAX_TERMS_SECONDS * 1000) throw invalidField(pointer, 'must be at most 366 days ahead');
  return at;
}

/**
 * createEscrow: a card or mobile-money payer confirmed by a one-time code, or a registered payer's wallet.
 * @param db The operation's executor (`ctx.db`): the one-time code is spent on it before the
 *   escrow's own transaction, so a wrong code counts an attempt even though nothing is created.
 * @returns the escrow, `funded` or `pending_funding`.
 * @throws ProblemError 400 (terms in the past, missing `payer.otp`, an instrument that is not a
 *   test instrument), 402 `card_declined` / `insufficient_funds` / `payment_failed` /
 *   `test_instrument_in_live_mode` (nothing created), 422 `receiver_not_allowed`,
 *   `payment_method_not_supported` (3-D Secure card), `amount_too_small`, `otp_invalid`,
 *   `otp_expired`; 429 when the code's attempts are exhausted.
 */
export async function createEscrow(db: Executor, deps: AppDeps, caller: EscrowCaller, input: CreateEscrowRequest): Promise<EscrowRow> {
  const { merchantId } = caller;
  const now = deps.now(merchantId);
  if (input.receiverId !== undefined && input.receiverId !== merchantId) {
    throw new ProblemError('receiver_not_allowed', 'The receiver of an escrow is the authenticated merchant.', [
      { pointer: '/receiverId', detail: `must be ${merchantId}, the authenticated merchant` },
    ]);
  }
  assertChargeable(input.amount, input.currency);
  const releaseAt = releaseTimeOf(input.terms, now);
  const method = input.paymentMethod;
  if (method.type === 'wallet') return fundFromWallet(db, deps, caller, input, releaseAt, now);
  const instrument = resolveTestInstrument(method, now, '/paymentMethod', deps.config.mode);
  if (instrument.outcome === 'three_d_secure') {
    throw new ProblemError('payment_method_not_supported', 'A card that asks for 3-D Secure cannot fund an escrow.', [
      { pointer: '/paymentMethod/card/number', detail: 'asks for 3-D Secure, which escrow funding does not support' },
    ]);
  }
  const payer = input.payer;
  if (payer.email === undefined && payer.phoneNumber === undefined) {
    throw invalidField('/payer', 'needs the email and/or phoneNumber the one-time code was sent to');
  }
  if (payer.otp === undefined) throw invalidField('/payer/otp', 'is required when the payer pays by card or mobile money');
  // One-time codes are credentials: their 10-minute lifetime runs on the real clock.
  await verifyPayerOtp(db, deps, { merchantId, email: payer.email, phoneNumber: payer.phoneNumber, code: payer.otp, pointer: '/payer/otp' }, deps.realNow());

  const failure =
    instrument.outcome === 'decline' ? 'card_declined'
    : instrument.outcome === 'insufficient_funds' ? 'insufficient_funds'
    : instrument.outcome === 'fail' ? 'payment_failed'
    : undefined;
  if (failure) throw new ProblemError(failure, `${FAILURES[failure]} No escrow was created.`);

  const delayed = instrument.outcome === 'delayed';
  const id = newId('esc');
  return db.transaction(async (tx) => {
    const escrow = await repo.insertEscrow(tx, {
      ...escrowRow(id, caller, input, releaseAt, now),
      status: delayed ? 'pending_funding' : 'funded',
      methodType: instrument.methodType,
      methodDetails: instrument.details,
      refundAccount: instrument.clearing,
      payerEmail: payer.email ?? null,
      payerPhoneNumber: payer.phoneNumber ?? null,
      payerUserId: null,
      fundAt: delayed ? new Date(now.getTime() + DELAYED_SETTLEMENT_SECONDS * 1000) : null,
      fundedAt: delayed ? null : now,
    });
    await post(tx, {
      merchantId, kind: delayed ? 'escrow_funding_pending' : 'escrow_funding', sourceId: id, currency: input.currency, at: now,
      entries: [
        { account: instrument.clearing, amount: -input.amount },
        { account: delayed ? escrowAccounts.funding(id) : escrowAccounts.held(id), amount: input.amount },
      ],
    });
    if (!delayed) await deps.events.record(tx, merchantId, 'escrow.funded', escrow, now);
    return escrow;
  });
}

/** The columns of a new escrow that every funding source fills the same way. */
function escrowRow(id: string, caller: EscrowCaller, input: CreateEscrowRequest, releaseAt: Date, now: Date) {
  return {
    id,
    merchantId: caller.merchantId,
    amount: input.amount,
    currency: input.currency,
    termsType: input.terms.type,
    releaseAt,
    description: input.description ?? null,
    reference: input.reference ?? null,
    applicationId: caller.applicationId,
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  } satisfies Partial<NewEscrowRow>;
}

/**
 * Funds an escrow from the wallet of the registered payer of `X-Payer-Token` (scope
 * `wallet.pay`): locks the wallet, refuses a short balance, moves the amount from the wallet to
 * `escrow:<id>:held`, all in one transaction. Refunds go back to the wallet.
 * @throws ProblemError 401/403 (payer token, from `requirePayer`), 400 when `payer.otp` is sent
 *   (a registered payer confirms with their token), 402 `insufficient_funds`, 422 `payer_not_found`.
 */
async function fundFromWallet(db: Executor, deps: AppDeps, caller: EscrowCaller, input: CreateEscrowRequest, releaseAt: Date, now: Date): Promise<EscrowRow> {
  const payer = caller.payer();
  if (input.payer.otp !== undefined) throw invalidField('/payer/otp', "is not used with a wallet: the payer's OAuth access token confirms the payment");
  const wallets = deps.ports.wallets;
  if (!wallets) throw new Error('No family provides the wallets port: an escrow funded from a wallet needs it');
  const id = newId('esc');
  const walletAccount = wallets.account(payer.userId, input.currency);
  return db.transaction(async (tx) => {
    const balance = await wallets.lock(tx, payer.userId, input.currency, caller.merchantId);
    if (balance < input.amount) {
      throw new ProblemError('insufficient_funds', `The payer's wallet holds less than ${input.amount} ${input.currency} (minor units). No escrow was created.`);
    }
    const escrow = await repo.insertEscrow(tx, {
      ...escrowRow(id, caller, input, releaseAt, now),
      status: 'funded',
      methodType: 'wallet',
      methodDetails: { wallet: { userId: payer.userId } },
      refundAccount: walletAccount,
      payerEmail: input.payer.email ?? null,
      payerPhoneNumber: input.payer.phoneNumber ?? null,
      payerUserId: payer.userId,
      fundAt: null,
      fundedAt: now,
    });
    await post(tx, {
      merchantId: caller.merchantId, kind: 'escrow_funding', sourceId: id, currency: input.currency, at: now,
      entries: [
        { account: walletAccount, amount: -input.amount },
        { account: escrowAccounts.held(id), amount: input.amount },
      ],
    });
    await deps.events.record(tx, caller.merchantId, 'escrow.funded', escrow, now);
    return escrow;
  });
}
