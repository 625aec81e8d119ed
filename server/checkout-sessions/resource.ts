/** Maps stored rows to the contract's `CheckoutSession` shape (the edge: handlers and event serializers). */
import type { components } from '../../generated/schema.d.ts';
import type { Links } from '../deps.ts';
import type { SessionRow } from './repository.ts';

export type CheckoutSession = components['schemas']['CheckoutSession'];

/** The API representation of a session row; `links` gives its hosted page (`url`). */
export function toCheckoutSession(row: SessionRow, links: Links): CheckoutSession {
  return {
    id: row.id,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    lineItems: row.lineItems,
    description: row.description,
    customerEmail: row.customerEmail,
    successUrl: row.successUrl,
    cancelUrl: row.cancelUrl,
    url: links.checkout(row.id),
    expiresAt: row.expiresAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    paymentId: row.paymentId,
    applicationId: row.applicationId,
    metadata: row.metadata,
    locale: row.locale,
  };
}

/** The success URL with every `{SESSION_ID}` placeholder replaced by the session id. */
export function successRedirect(row: SessionRow): string {
  return row.successUrl.replaceAll('{SESSION_ID}', encodeURIComponent(row.id));
}
