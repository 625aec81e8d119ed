/**
 * Checkout sessions: create, read, list and expire hosted payment pages, and pay them with a
 * test card from the hosted page. Sessions past `expiresAt` are expired (with their
 * `checkout.session.expired` event) before they are read.
 *
 * Sources: createCheckoutSession, getCheckoutSession, listCheckoutSessions,
 * expireCheckoutSession; the hosted page `GET /checkout/{sessionId}`.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField, notFound } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import { assertChargeable } from '../money/validate.ts';
import { assertRedirectUrl } from '../http/urls.ts';
import { charge, type ChargeResult } from '../payments/index.ts';
import * as repo from './repository.ts';
import type { SessionRow } from './repository.ts';

type CreateCheckoutSessionRequest = components['schemas']['CreateCheckoutSessionRequest'];
type CardPaymentMethodRequest = components['schemas']['CardPaymentMethodRequest'];

const MAX_AMOUNT = 999_999_999_999;

/**
 * createCheckoutSession: validates the amount (or line items), currency and redirect URLs and
 * stores an open session expiring `expiresIn` seconds from now.
 * @throws ProblemError 400 `invalid_request` (amount and lineItems both or neither, bad URL,
 *   unknown currency, total too large), 422 `amount_too_small`.
 */
export async function createSession(
  db: Executor,
  deps: AppDeps,
  merchantId: string,
  input: CreateCheckoutSessionRequest,
  applicationId: string | null = null,
): Promise<SessionRow> {
  const lineItems = input.lineItems ?? [];
  if ((input.amount === undefined) === (input.lineItems === undefined)) {
    throw invalidField(input.amount === undefined ? '/amount' : '/lineItems', 'give either amount or lineItems, not both and not neither');
  }
  let amount = input.amount ?? 0;
  if (input.lineItems) {
    amount = lineItems.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0);
    if (!Number.isSafeInteger(amount) || amount > MAX_AMOUNT) throw invalidField('/lineItems', `the total must not exceed ${MAX_AMOUNT}`);
  }
  assertChargeable(amount, input.currency, { amount: input.lineItems ? '/lineItems' : '/amount', currency: '/currency' });
  const live = deps.config.mode === 'live';
  assertRedirectUrl('/successUrl', input.successUrl, live);
  assertRedirectUrl('/cancelUrl', input.cancelUrl, live);
  const now = deps.now(merchantId);
  return db.transaction(async (tx) => {
    const session = await repo.insertSession(tx, {
      id: newId('cs'),
      merchantId,
      status: 'open',
      amount,
      currency: input.currency,
      lineItems,
      description: input.description ?? null,
      customerEmail: input.customerEmail ?? null,
      successUrl: input.successUrl,
      cancelUrl: input.cancelUrl,
      expiresAt: new Date(now.getTime() + (input.expiresIn ?? 3600) * 1000),
      createdAt: now,
      metadata: input.metadata ?? {},
      applicationId,
      locale: input.locale ?? null,
    });
    await deps.events.record(tx, merchantId, 'checkout.session.created', session, now);
    return session;
  });
}

/** Expires one session in its own transaction if it is still open; records the event. */
async function expire(db: Executor, deps: AppDeps, sessionId: string): Promise<SessionRow | undefined> {
  return db.transaction(async (tx) => {
    const session = await repo.findSession(tx, null, sessionId, true);
    if (!session || session.status !== 'open') return session;
    const now = deps.now(session.merchantId);
    const expired = await repo.updateSession(tx, sessionId, { status: 'expired' });
    await deps.events.record(tx, expired.merchantId, 'checkout.session.expired', expired, now);
    return expired;
  });
}

/** Expires every open session past its `expiresAt` (of one merchant, or all). @returns how many. */
export async function expireDueSessions(db: Executor, deps: AppDeps, merchantId?: string): Promise<number> {
  const due = await repo.findDueExpirations(db, deps.clock, merchantId);
  for (const id of due) await expire(db, deps, id);
  return due.length;
}

/**
 * getCheckoutSession (merchantId given) or the hosted page (merchantId null).
 * @throws ProblemError 404 `not_found`.
 */
export async function getSession(db: Executor, deps: AppDeps, merchantId: string | null, sessionId: string): Promise<SessionRow> {
  let session = await repo.findSession(db, merchantId, sessionId);
  if (!session) throw notFound('checkout session', sessionId);
  if (session.status === 'open' && session.expiresAt <= deps.now(session.merchantId)) session = (await expire(db, deps, sessionId)) ?? session;
  return session;
}

/** listCheckoutSessions: newest first, filtered. */
export async function listSessions(db: Executor, deps: AppDeps, merchantId: string, filters: repo.SessionFilters): Promise<SessionRow[]> {
  await expireDueSessions(db, deps, merchantId);
  return repo.listSessions(db, merchantId, filters);
}

/**
 * expireCheckoutSession: an open session becomes `expired`; an expired one is returned as is.
 * @throws ProblemError 404 unknown, 409 `invalid_state` when the session is complete.
 */
export async function expireSession(db: Executor, deps: AppDeps, merchantId: string, sessionId: string): Promise<SessionRow> {
  const completeError = () => new ProblemError('invalid_state', 'The checkout session is complete and can no longer be expired.');
  const session = await getSession(db, deps, merchantId, sessionId);
  if (session.status === 'complete') throw completeError();
  const after = (await expire(db, deps, sessionId)) ?? session;
  // Paid on the hosted page between the read above and the locked update: still complete.
  if (after.status === 'complete') throw completeError();
  return after;
}

/**
 * Pays an open session with a card from the hosted page, in one transaction that locks the
 * session (two tabs cannot both pay it).
 * @returns the charge result; `session` is the session after the attempt.
 * @throws ProblemError 409 `invalid_state` when the session is no longer open; 400 on an invalid card.
 */
export async function payWithCard(
  db: Executor,
  deps: AppDeps,
  sessionId: string,
  card: CardPaymentMethodRequest['card'],
  customerEmail: string | undefined,
): Promise<ChargeResult & { session: SessionRow }> {
  return db.transaction(async (tx) => {
    const session = await repo.findSession(tx, null, sessionId, true);
    if (!session) throw notFound('checkout session', sessionId);
    const now = deps.now(session.merchantId);
    if (session.status !== 'open' || session.expiresAt <= now) {
      throw new ProblemError('invalid_state', 'This checkout session is no longer open.');
    }
    const result = await charge(
      tx,
      deps,
      session.merchantId,
      {
        amount: session.amount,
        currency: session.currency,
        paymentMethod: { type: 'card', card },
        description: session.description ?? undefined,
        customerEmail: customerEmail || session.customerEmail || undefined,
        metadata: session.metadata,
        checkoutSessionId: session.id,
        applicationId: session.applicationId,
      },
      now,
    );
    const after = (await repo.findSession(tx, null, sessionId)) ?? session;
    return { ...result, session: after };
  });
}
