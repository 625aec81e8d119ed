/**
 * Quoting a payout: check every recipient (destination and amount), price it with the fee
 * schedule and store the quote for 15 minutes. Nothing is reserved.
 *
 * Source: createDisbursementQuote.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import { assertChargeable } from '../money/validate.ts';
import { assertPayable } from './destinations.ts';
import { feeFor } from './fees.ts';
import * as repo from './repository.ts';
import type { QuoteRow } from './repository.ts';
import type { QuotedRecipient, StoredDestination } from './schema.ts';

type CreateQuoteRequest = components['schemas']['CreateDisbursementQuoteRequest'];

/** How long a quote can be paid: 15 minutes (DESIGN.md, Disbursements). */
export const QUOTE_TTL_SECONDS = 15 * 60;

/**
 * createDisbursementQuote: validates and prices the recipients, in one transaction (wallet
 * recipients are looked up, locked, through the wallets port).
 * @throws ProblemError 400 `invalid_request` with a pointer to the recipient's field (unknown
 *   currency, not a payout test instrument, wallets without the wallets port), 422
 *   `amount_too_small` or `payer_not_found` (a wallet recipient that is not one of the merchant's
 *   payers, pointer `/recipients/<i>/destination/userId`), 402 `test_instrument_in_live_mode`.
 */
export async function createQuote(db: Executor, deps: AppDeps, merchantId: string, input: CreateQuoteRequest): Promise<QuoteRow> {
  const now = deps.now(merchantId);
  const recipients: QuotedRecipient[] = input.recipients.map((r, i) => {
    const pointer = `/recipients/${i}`;
    assertChargeable(r.amount, input.currency, { amount: `${pointer}/amount`, currency: '/currency' });
    const destination = r.destination as StoredDestination;
    assertPayable(destination, `${pointer}/destination`, deps.config.mode);
    return { destination, amount: r.amount, fee: feeFor(destination.type, r.amount), reference: r.reference ?? null };
  });
  const amount = recipients.reduce((sum, r) => sum + r.amount, 0);
  const fee = recipients.reduce((sum, r) => sum + r.fee, 0);
  return db.transaction(async (tx) => {
    for (const [i, r] of recipients.entries()) {
      if (r.destination.type !== 'wallet') continue;
      const wallets = deps.ports.wallets;
      if (!wallets) throw invalidField(`/recipients/${i}/destination/type`, 'wallet payouts are not available on this server');
      try {
        await wallets.lock(tx, r.destination.userId, input.currency, merchantId);
      } catch (err) {
        // The port leaves the pointer to the caller: the recipient that named the payer.
        if (err instanceof ProblemError && err.code === 'payer_not_found' && !err.errors?.length) {
          throw new ProblemError(err.code, err.detail, [{ pointer: `/recipients/${i}/destination/userId`, detail: 'is not a registered payer of yours' }]);
        }
        throw err;
      }
    }
    return repo.insertQuote(tx, {
      id: newId('quo'), merchantId, currency: input.currency, recipients, amount, fee, total: amount + fee,
      expiresAt: new Date(now.getTime() + QUOTE_TTL_SECONDS * 1000), disbursementId: null, createdAt: now,
    });
  });
}
