/**
 * Completing a checkout session when its payment succeeds. Called by the payments service inside
 * the transaction that settles the payment, so the session, the payment, the ledger and the
 * events change together or not at all.
 */
import type { Tx } from '../db/index.ts';
import { recordEvent } from '../events/index.ts';
import { findSession, updateSession, type SessionRow } from './repository.ts';
import { toCheckoutSession } from './resource.ts';

/**
 * Locks the session and, if it is still open and unexpired at `now`, marks it `complete` with
 * this payment and records `checkout.session.completed`.
 * @returns the completed session, or `null` when the session can no longer take the payment.
 */
export async function completeSessionForPayment(
  tx: Tx,
  sessionId: string,
  paymentId: string,
  now: Date,
  baseUrl: string,
): Promise<SessionRow | null> {
  const session = await findSession(tx, null, sessionId, true);
  if (!session || session.status !== 'open' || session.expiresAt <= now) return null;
  const completed = await updateSession(tx, sessionId, { status: 'complete', paymentId, completedAt: now });
  await recordEvent(tx, completed.merchantId, 'checkout.session.completed', toCheckoutSession(completed, baseUrl), now);
  return completed;
}
