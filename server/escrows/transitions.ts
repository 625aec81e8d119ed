/**
 * The escrow state machine (contract `EscrowStatus`): every action locks the escrow row, checks
 * the action against {@link ALLOWED_ACTIONS} of the status it finds, moves the money and records
 * the event, all in one transaction. Two concurrent actions on one escrow are serialized by the
 * row lock: the second sees the first one's status and gets 409 `invalid_state_transition`.
 *
 * Money out of `escrow:<id>:held`: to `merchant:<id>:available` on release, to the account the
 * money came from (`refundAccount`: the card network's or provider's clearing account, or the
 * payer's wallet) on cancel or refund, to both on a split.
 *
 * Sources: releaseEscrow, cancelEscrow, disputeEscrow, resolveSandboxEscrowDispute, and the
 * release at the terms' time (`timed.ts`).
 */
import type { components } from '../../generated/schema.d.ts';
import type { Executor, Tx } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField, notFound } from '../errors/problem.ts';
import { accounts, post, type Entry } from '../ledger/index.ts';
import { escrowAccounts } from './accounts.ts';
import * as repo from './repository.ts';
import type { EscrowRow } from './repository.ts';
import { ALLOWED_ACTIONS, amountHeld } from './resource.ts';

type EscrowAction = components['schemas']['EscrowAction'];
type DisputeEscrowRequest = components['schemas']['DisputeEscrowRequest'];
type CancelEscrowRequest = components['schemas']['CancelEscrowRequest'];
type ResolveEscrowDisputeRequest = components['schemas']['ResolveEscrowDisputeRequest'];

/** 409 `invalid_state_transition` naming what the escrow's status allows. */
function invalidTransition(escrow: EscrowRow, action: EscrowAction): ProblemError {
  const allowed = ALLOWED_ACTIONS[escrow.status];
  return new ProblemError(
    'invalid_state_transition',
    `This escrow is ${escrow.status} and cannot be ${action === 'dispute' ? 'disputed' : action === 'resolve' ? 'resolved' : `${action}${action.endsWith('e') ? 'd' : 'ed'}`}; allowed actions: ${allowed.length > 0 ? allowed.join(', ') : 'none'}.`,
  );
}

/**
 * Runs `apply` on the locked escrow if its status allows `action`, in one transaction.
 * @param merchantId the caller (its escrows only: another merchant's id is 404), or null for the jobs.
 * @throws ProblemError 404 `not_found`, 409 `invalid_state_transition`, and what `apply` throws.
 */
async function transition(
  db: Executor,
  deps: AppDeps,
  merchantId: string | null,
  escrowId: string,
  action: EscrowAction,
  apply: (tx: Tx, escrow: EscrowRow, now: Date) => Promise<EscrowRow>,
  visible: (escrow: EscrowRow) => boolean = () => true,
): Promise<EscrowRow> {
  return db.transaction(async (tx) => {
    const escrow = merchantId ? await repo.findEscrow(tx, merchantId, escrowId, true) : await repo.lockEscrowById(tx, escrowId);
    if (!escrow || !visible(escrow)) throw notFound('escrow', escrowId);
    if (!ALLOWED_ACTIONS[escrow.status].includes(action)) throw invalidTransition(escrow, action);
    return apply(tx, escrow, deps.now(escrow.merchantId));
  });
}

/**
 * Posts the held money of `escrow` out to `entries` (positive amounts summing to what is held).
 * A refund into a payer's wallet locks the wallet first, as the wallets port asks.
 */
async function payOut(tx: Tx, deps: AppDeps, escrow: EscrowRow, kind: string, entries: Entry[], now: Date): Promise<void> {
  const held = amountHeld(escrow);
  if (escrow.payerUserId !== null && entries.some((e) => e.account === escrow.refundAccount && e.amount !== 0)) {
    const wallets = deps.ports.wallets;
    if (!wallets) throw new Error('No family provides the wallets port: a wallet refund needs it');
    await wallets.lock(tx, escrow.payerUserId, escrow.currency);
  }
  await post(tx, {
    merchantId: escrow.merchantId, kind, sourceId: escrow.id, currency: escrow.currency, at: now,
    entries: [{ account: escrowAccounts.held(escrow.id), amount: -held }, ...entries.filter((e) => e.amount !== 0)],
  });
}

/** Releases everything held to the merchant's available balance and records `escrow.released`. */
async function releaseHeld(tx: Tx, deps: AppDeps, escrow: EscrowRow, by: NonNullable<EscrowRow['releasedBy']>, now: Date): Promise<EscrowRow> {
  const held = amountHeld(escrow);
  await payOut(tx, deps, escrow, 'escrow_release', [{ account: accounts.available(escrow.merchantId), amount: held }], now);
  const released = await repo.updateEscrow(tx, escrow.id, { status: 'released', amountReleased: escrow.amountReleased + held, releasedBy: by, releasedAt: now, updatedAt: now });
  await deps.events.record(tx, escrow.merchantId, 'escrow.released', released, now);
  return released;
}

/**
 * releaseEscrow: delivery confirmed by the merchant, or by the registered payer who funded the
 * escrow (`payerUserId`); everything held goes to the merchant's available balance.
 * @param payerUserId the payer of `X-Payer-Token`, when the payer confirms.
 * @throws ProblemError 404 (also for another payer's escrow), 409 `invalid_state_transition` unless `funded`.
 */
export function releaseEscrow(db: Executor, deps: AppDeps, merchantId: string, escrowId: string, payerUserId?: string): Promise<EscrowRow> {
  return transition(
    db, deps, merchantId, escrowId, 'release',
    (tx, escrow, now) => releaseHeld(tx, deps, escrow, payerUserId !== undefined ? 'payer' : 'merchant', now),
    (escrow) => payerUserId === undefined || escrow.payerUserId === payerUserId,
  );
}

/**
 * cancelEscrow: everything held goes back to the payer, in full.
 * @throws ProblemError 404, 409 `invalid_state_transition` unless `funded`.
 */
export function cancelEscrow(db: Executor, deps: AppDeps, merchantId: string, escrowId: string, input: CancelEscrowRequest): Promise<EscrowRow> {
  return transition(db, deps, merchantId, escrowId, 'cancel', async (tx, escrow, now) => {
    const held = amountHeld(escrow);
    await payOut(tx, deps, escrow, 'escrow_refund', [{ account: escrow.refundAccount, amount: held }], now);
    const cancelled = await repo.updateEscrow(tx, escrow.id, {
      status: 'cancelled', amountRefunded: escrow.amountRefunded + held, cancellationReason: input.reason ?? null, cancelledAt: now, updatedAt: now,
    });
    await deps.events.record(tx, escrow.merchantId, 'escrow.cancelled', cancelled, now);
    return cancelled;
  });
}

/**
 * disputeEscrow: freezes the held money (no release at the deadline, no cancel) until resolved.
 * @throws ProblemError 404, 409 `invalid_state_transition` unless `funded`.
 */
export function disputeEscrow(db: Executor, deps: AppDeps, merchantId: string, escrowId: string, input: DisputeEscrowRequest): Promise<EscrowRow> {
  return transition(db, deps, merchantId, escrowId, 'dispute', async (tx, escrow, now) => {
    const disputed = await repo.updateEscrow(tx, escrow.id, {
      status: 'disputed', disputeReason: input.reason, disputeDetails: input.details ?? null, disputedAt: now, updatedAt: now,
    });
    await deps.events.record(tx, escrow.merchantId, 'escrow.disputed', disputed, now);
    return disputed;
  });
}

/**
 * The parts of a resolution in minor units: `[toMerchant, toPayer]`, summing to `held`.
 * @throws ProblemError 400 for amounts given without `split` or missing with it, 422
 *   `split_amount_mismatch` when a split does not add up to `held`.
 */
function partsOf(input: ResolveEscrowDisputeRequest, held: number): [number, number] {
  if (input.outcome !== 'split') {
    if (input.releaseAmount !== undefined) throw invalidField('/releaseAmount', 'is only given with the outcome split');
    if (input.refundAmount !== undefined) throw invalidField('/refundAmount', 'is only given with the outcome split');
    return input.outcome === 'release' ? [held, 0] : [0, held];
  }
  if (input.releaseAmount === undefined) throw invalidField('/releaseAmount', 'is required with the outcome split');
  if (input.refundAmount === undefined) throw invalidField('/refundAmount', 'is required with the outcome split');
  if (input.releaseAmount + input.refundAmount !== held) {
    throw new ProblemError('split_amount_mismatch', `releaseAmount + refundAmount must be ${held}, the amount held.`, [
      { pointer: '/releaseAmount', detail: `releaseAmount + refundAmount must be ${held}` },
    ]);
  }
  return [input.releaseAmount, input.refundAmount];
}

/**
 * resolveSandboxEscrowDispute: settles a dispute by release, refund or an exact split. Ends
 * `released` when the merchant gets anything (with `escrow.released`), else `refunded`; always
 * records `escrow.resolved`.
 * @throws ProblemError 400/422 (see {@link partsOf}), 404, 409 `invalid_state_transition` unless `disputed`.
 */
export function resolveDispute(db: Executor, deps: AppDeps, merchantId: string, escrowId: string, input: ResolveEscrowDisputeRequest): Promise<EscrowRow> {
  return transition(db, deps, merchantId, escrowId, 'resolve', async (tx, escrow, now) => {
    const [toMerchant, toPayer] = partsOf(input, amountHeld(escrow));
    await payOut(tx, deps, escrow, 'escrow_resolution', [
      { account: accounts.available(escrow.merchantId), amount: toMerchant },
      { account: escrow.refundAccount, amount: toPayer },
    ], now);
    const released = toMerchant > 0;
    const resolved = await repo.updateEscrow(tx, escrow.id, {
      status: released ? 'released' : 'refunded',
      amountReleased: escrow.amountReleased + toMerchant,
      amountRefunded: escrow.amountRefunded + toPayer,
      resolutionOutcome: input.outcome,
      resolvedAt: now,
      ...(released ? { releasedBy: 'dispute_resolution' as const, releasedAt: now } : { cancelledAt: now }),
      updatedAt: now,
    });
    if (released) await deps.events.record(tx, escrow.merchantId, 'escrow.released', resolved, now);
    await deps.events.record(tx, escrow.merchantId, 'escrow.resolved', resolved, now);
    return resolved;
  });
}

/**
 * Releases one funded escrow whose terms' time has come on its merchant's clock (`releasedBy:
 * terms`), in its own transaction.
 * @returns false when it is no longer due (released, cancelled or disputed meanwhile).
 */
export async function releaseIfDue(db: Executor, deps: AppDeps, escrowId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const escrow = await repo.lockEscrowById(tx, escrowId);
    if (!escrow || escrow.status !== 'funded') return false;
    const now = deps.now(escrow.merchantId);
    if (escrow.releaseAt > now) return false;
    await releaseHeld(tx, deps, escrow, 'terms', now);
    return true;
  });
}

/**
 * Funds one `pending_funding` escrow whose delayed mobile money was approved (its `fundAt` has
 * come on its merchant's clock): `escrow:<id>:funding` → `escrow:<id>:held`, `escrow.funded`.
 * @returns false when it is not (or no longer) due.
 */
export async function fundIfDue(db: Executor, deps: AppDeps, escrowId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const escrow = await repo.lockEscrowById(tx, escrowId);
    if (!escrow || escrow.status !== 'pending_funding' || !escrow.fundAt) return false;
    const now = deps.now(escrow.merchantId);
    if (escrow.fundAt > now) return false;
    await post(tx, {
      merchantId: escrow.merchantId, kind: 'escrow_funding', sourceId: escrow.id, currency: escrow.currency, at: now,
      entries: [
        { account: escrowAccounts.funding(escrow.id), amount: -escrow.amount },
        { account: escrowAccounts.held(escrow.id), amount: escrow.amount },
      ],
    });
    const funded = await repo.updateEscrow(tx, escrow.id, { status: 'funded', fundAt: null, fundedAt: now, updatedAt: now });
    await deps.events.record(tx, escrow.merchantId, 'escrow.funded', funded, now);
    return true;
  });
}
