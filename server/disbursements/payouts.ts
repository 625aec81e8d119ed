/**
 * Paying out: a quote becomes a disbursement (its total reserved from the available balance) or
 * an escrow-disbursement (its total held); wallet recipients are credited when the money is
 * released, the others by the payout job; a cancel returns what was not paid. Every money
 * movement is one balanced ledger posting in the same transaction as the state change.
 *
 * Ledger flows (minor units; `R` = the recipients still to be paid by the job):
 * - create (standard) / release (escrow): `from` −total → `payouts_reserved` +Σ(amount+fee of R),
 *   each wallet +amount, `platform:fees` +wallet fees (none today);
 *   `from` is `available` for a disbursement, `payouts_held` for a released escrow-disbursement;
 * - create (escrow): `available` −total → `payouts_held` +total;
 * - job: `payouts_reserved` −Σ(amount+fee of R) → `clearing:payout:<rail>` +amount and
 *   `platform:fees` +fee of each paid recipient, `available` +amount+fee of each failed one;
 * - cancel: `payouts_reserved` (or `payouts_held`) −what is left → `available`.
 *
 * Sources: createDisbursement, cancelDisbursement, createEscrowDisbursement,
 * releaseEscrowDisbursement, cancelEscrowDisbursement; the `disbursements.payouts` job.
 */
import type { components } from '../../generated/schema.d.ts';
import { PAYOUT_PROCESSING_SECONDS } from '../../generated/test-instruments.ts';
import type { Executor, Tx } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField, notFound } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import { accounts, lockBalance, post, type Entry } from '../ledger/index.ts';
import { formatAmount } from '../money/currency.ts';
import { payoutOutcome, payoutRail } from './destinations.ts';
import * as repo from './repository.ts';
import type { DisbursementKind, DisbursementRow, DisbursementWithRecipients, RecipientRow } from './repository.ts';

type CreateDisbursementRequest = components['schemas']['CreateDisbursementRequest'];

/** The stored `failureMessage` of a recipient the payout rail rejected. */
export const RECIPIENT_REJECTED = "The recipient's provider rejected the payment.";

const KIND_NAME: Record<DisbursementKind, string> = { standard: 'disbursement', escrow: 'escrow-disbursement' };

/** Records a `disbursement.*` event; escrow-disbursements have no events of their own yet. */
async function record(tx: Tx, deps: AppDeps, d: DisbursementWithRecipients, type: 'created' | 'completed' | 'failed' | 'cancelled', now: Date): Promise<void> {
  if (d.kind === 'standard') await deps.events.record(tx, d.merchantId, `disbursement.${type}`, d, now);
}

/**
 * Pays a quote: a `standard` disbursement (pending, or finished at once when every recipient is
 * a wallet) or an `escrow` one (held). One transaction: the quote is locked and marked used, the
 * merchant's available balance in the currency is locked and debited by the whole total, or
 * nothing happens.
 * @param applicationId the client token's application, null with a secret API key.
 * @throws ProblemError 404 `not_found` (pointer `/quoteId`) for a quote that is not the merchant's,
 *   422 `quote_used` / `quote_expired`, 402 `insufficient_funds` when the available balance is
 *   below the total; what the wallets port throws.
 */
export async function payQuote(
  db: Executor,
  deps: AppDeps,
  merchantId: string,
  kind: DisbursementKind,
  input: CreateDisbursementRequest,
  applicationId: string | null,
): Promise<DisbursementWithRecipients> {
  const now = deps.now(merchantId);
  return db.transaction(async (tx) => {
    const quote = await repo.lockQuote(tx, merchantId, input.quoteId);
    if (!quote) {
      throw new ProblemError('not_found', `No quote ${input.quoteId} exists for this merchant.`, [{ pointer: '/quoteId', detail: 'is not one of your quotes' }]);
    }
    if (quote.disbursementId) {
      throw new ProblemError('quote_used', `Quote ${quote.id} already paid ${quote.disbursementId}; request a new quote.`, [{ pointer: '/quoteId', detail: 'has already been used' }]);
    }
    if (quote.expiresAt <= now) {
      throw new ProblemError('quote_expired', `Quote ${quote.id} expired at ${quote.expiresAt.toISOString()}; request a new one.`, [{ pointer: '/quoteId', detail: 'has expired' }]);
    }
    const available = await lockBalance(tx, accounts.available(merchantId), quote.currency);
    if (available < quote.total) {
      throw new ProblemError(
        'insufficient_funds',
        `The available ${quote.currency} balance (${formatAmount(Math.max(available, 0), quote.currency)}) does not cover this payout's total of ${formatAmount(quote.total, quote.currency)}.`,
      );
    }
    const id = newId(kind === 'escrow' ? 'edb' : 'dsb');
    let d = await repo.insertDisbursement(
      tx,
      {
        id, merchantId, kind, quoteId: quote.id, status: kind === 'escrow' ? 'held' : 'pending', currency: quote.currency,
        amount: quote.amount, fee: quote.fee, total: quote.total, description: input.description ?? null, applicationId,
        metadata: input.metadata ?? {}, processAt: null, releasedAt: null, completedAt: null, createdAt: now, updatedAt: now,
      },
      quote.recipients.map((r, position) => ({
        position, destination: r.destination, amount: r.amount, fee: r.fee, reference: r.reference,
        status: 'pending' as const, failureCode: null, failureMessage: null, paidAt: null,
      })),
    );
    await repo.markQuoteUsed(tx, quote.id, id);
    if (kind === 'escrow') {
      await post(tx, {
        merchantId, kind: 'escrow_disbursement_hold', sourceId: id, currency: d.currency, at: now,
        entries: [
          { account: accounts.available(merchantId), amount: -d.total },
          { account: accounts.payoutsHeld(merchantId), amount: d.total },
        ],
      });
      return d;
    }
    await record(tx, deps, d, 'created', now);
    d = await dispatch(tx, deps, d, accounts.available(merchantId), 'disbursement_reserve', now);
    return d;
  });
}

/**
 * Sends the money of a disbursement on its way from `from` (the available balance at creation,
 * the held account at an escrow release): wallet recipients are credited and `paid` now, the
 * rest reserved for the payout job in {@link PAYOUT_PROCESSING_SECONDS}; with no such rest the
 * disbursement finishes at once.
 */
async function dispatch(tx: Tx, deps: AppDeps, d: DisbursementWithRecipients, from: string, kind: string, now: Date): Promise<DisbursementWithRecipients> {
  const entries: Entry[] = [{ account: from, amount: -d.total }];
  let reserved = 0;
  let walletFees = 0;
  for (const r of d.recipients) {
    if (r.destination.type !== 'wallet') {
      reserved += r.amount + r.fee;
      continue;
    }
    const wallets = deps.ports.wallets;
    if (!wallets) throw invalidField('/quoteId', 'has a wallet recipient, and wallet payouts are not available on this server');
    await wallets.lock(tx, r.destination.userId, d.currency, d.merchantId);
    entries.push({ account: wallets.account(r.destination.userId, d.currency), amount: r.amount });
    walletFees += r.fee;
    await repo.updateRecipient(tx, d.id, r.position, { status: 'paid', paidAt: now });
  }
  if (reserved > 0) entries.push({ account: accounts.payoutsReserved(d.merchantId), amount: reserved });
  if (walletFees > 0) entries.push({ account: accounts.platformFees(), amount: walletFees });
  await post(tx, { merchantId: d.merchantId, kind, sourceId: d.id, currency: d.currency, at: now, entries });
  const processAt = reserved > 0 ? new Date(now.getTime() + PAYOUT_PROCESSING_SECONDS * 1000) : null;
  await repo.updateDisbursement(tx, d.id, { status: 'pending', processAt, updatedAt: now });
  const updated = (await repo.findDisbursement(tx, d.merchantId, d.kind, d.id))!;
  return reserved > 0 ? updated : finish(tx, deps, updated, now);
}

/** Ends a disbursement whose recipients are all paid or failed: `completed`, `partially_failed` or `failed`, with its event. */
async function finish(tx: Tx, deps: AppDeps, d: DisbursementWithRecipients, now: Date): Promise<DisbursementWithRecipients> {
  const paid = d.recipients.filter((r) => r.status === 'paid').length;
  const status: DisbursementRow['status'] = paid === d.recipients.length ? 'completed' : paid === 0 ? 'failed' : 'partially_failed';
  await repo.updateDisbursement(tx, d.id, { status, processAt: null, completedAt: now, updatedAt: now });
  const done = (await repo.findDisbursement(tx, d.merchantId, d.kind, d.id))!;
  await record(tx, deps, done, status === 'failed' ? 'failed' : 'completed', now);
  return done;
}

/**
 * Pays out one due pending disbursement in its own transaction: each pending recipient is paid
 * or failed (the sandbox destination chooses), failed amounts and fees return to available.
 * @returns false when it is not pending, not due, or another instance holds it.
 */
export async function processPayout(db: Executor, deps: AppDeps, disbursementId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const d = await repo.lockDisbursementById(tx, disbursementId);
    if (!d) return false;
    const now = deps.now(d.merchantId);
    if (d.status !== 'pending' || !d.processAt || d.processAt > now) return false;
    const due = d.recipients.filter((r) => r.status === 'pending');
    const entries: Entry[] = [];
    let reserved = 0;
    for (const r of due) {
      reserved += r.amount + r.fee;
      if (payoutOutcome(r.destination) === 'succeed') {
        entries.push({ account: accounts.payoutClearing(payoutRail(r.destination)), amount: r.amount });
        if (r.fee > 0) entries.push({ account: accounts.platformFees(), amount: r.fee });
        await repo.updateRecipient(tx, d.id, r.position, { status: 'paid', paidAt: now });
      } else {
        entries.push({ account: accounts.available(d.merchantId), amount: r.amount + r.fee });
        await repo.updateRecipient(tx, d.id, r.position, { status: 'failed', failureCode: 'recipient_rejected', failureMessage: RECIPIENT_REJECTED });
      }
    }
    if (reserved > 0) {
      entries.unshift({ account: accounts.payoutsReserved(d.merchantId), amount: -reserved });
      await post(tx, { merchantId: d.merchantId, kind: 'disbursement_payout', sourceId: d.id, currency: d.currency, at: now, entries });
    }
    await finish(tx, deps, (await repo.findDisbursement(tx, d.merchantId, d.kind, d.id))!, now);
    return true;
  });
}

/**
 * Pays out every due pending disbursement (of one merchant, or all), each in its own transaction.
 * @returns how many were processed.
 */
export async function processDuePayouts(db: Executor, deps: AppDeps, merchantId?: string): Promise<number> {
  let processed = 0;
  for (const id of await repo.findDuePayouts(db, deps.clock, merchantId)) {
    if (await processPayout(db, deps, id)) processed++;
  }
  return processed;
}

/** 409 `invalid_state_transition` for an action the disbursement's status does not allow. */
function notAllowed(d: DisbursementRow, action: string, allowedIn: string): ProblemError {
  return new ProblemError('invalid_state_transition', `Only a ${allowedIn} ${KIND_NAME[d.kind]} can be ${action}; this one is ${d.status}.`);
}

/**
 * Cancels a disbursement while `pending` (standard) or `held` (escrow): what is still reserved or
 * held returns to available, every unpaid recipient becomes `cancelled`. Due payouts of the
 * merchant are processed first, so a disbursement past its payout time is no longer cancellable.
 * @throws ProblemError 404 unknown (or another merchant's), 409 `invalid_state_transition`.
 */
export async function cancel(db: Executor, deps: AppDeps, merchantId: string, kind: DisbursementKind, id: string): Promise<DisbursementWithRecipients> {
  // A disbursement whose payout is due is paid out first: past its time it is no longer cancellable.
  await processDuePayouts(db, deps, merchantId);
  const now = deps.now(merchantId);
  return db.transaction(async (tx) => {
    const d = await repo.findDisbursement(tx, merchantId, kind, id, true);
    if (!d) throw notFound(KIND_NAME[kind], id);
    const allowed = kind === 'escrow' ? 'held' : 'pending';
    if (d.status !== allowed) throw notAllowed(d, 'cancelled', allowed);
    const unpaid: RecipientRow[] = d.recipients.filter((r) => r.status === 'pending');
    const back = kind === 'escrow' ? d.total : unpaid.reduce((sum, r) => sum + r.amount + r.fee, 0);
    if (back > 0) {
      await post(tx, {
        merchantId, kind: kind === 'escrow' ? 'escrow_disbursement_cancel' : 'disbursement_cancel', sourceId: d.id, currency: d.currency, at: now,
        entries: [
          { account: kind === 'escrow' ? accounts.payoutsHeld(merchantId) : accounts.payoutsReserved(merchantId), amount: -back },
          { account: accounts.available(merchantId), amount: back },
        ],
      });
    }
    for (const r of unpaid) await repo.updateRecipient(tx, d.id, r.position, { status: 'cancelled' });
    await repo.updateDisbursement(tx, d.id, { status: 'cancelled', processAt: null, completedAt: now, updatedAt: now });
    const cancelled = (await repo.findDisbursement(tx, merchantId, kind, id))!;
    await record(tx, deps, cancelled, 'cancelled', now);
    return cancelled;
  });
}

/**
 * Releases a `held` escrow-disbursement: its held total goes on its way as a disbursement's does
 * at creation (wallets at once, the rest by the payout job).
 * @throws ProblemError 404 unknown (or another merchant's), 409 `invalid_state_transition`.
 */
export async function release(db: Executor, deps: AppDeps, merchantId: string, id: string): Promise<DisbursementWithRecipients> {
  const now = deps.now(merchantId);
  return db.transaction(async (tx) => {
    const d = await repo.findDisbursement(tx, merchantId, 'escrow', id, true);
    if (!d) throw notFound(KIND_NAME.escrow, id);
    if (d.status !== 'held') throw notAllowed(d, 'released', 'held');
    await repo.updateDisbursement(tx, d.id, { releasedAt: now, updatedAt: now });
    return dispatch(tx, deps, { ...d, releasedAt: now }, accounts.payoutsHeld(merchantId), 'escrow_disbursement_release', now);
  });
}
