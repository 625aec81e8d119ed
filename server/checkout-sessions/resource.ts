/** Maps stored rows to the contract's `CheckoutSession` shape. */
import type { components } from '../../generated/schema.d.ts';
import type { SessionRow } from './repository.ts';

export type CheckoutSession = components['schemas']['CheckoutSession'];

/** URL of the hosted checkout page of a session. */
export function checkoutUrl(baseUrl: string, sessionId: string): string {
  return `${baseUrl}/checkout/${sessionId}`;
}

/** The API representation of a session row. */
export function toCheckoutSession(row: SessionRow, baseUrl: string): CheckoutSession {
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
    url: checkoutUrl(baseUrl, row.id),
    expiresAt: row.expiresAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
    paymentId: row.paymentId,
    metadata: row.metadata,
  };
}

/** The success URL with every `{SESSION_ID}` placeholder replaced by the session id. */
export function successRedirect(row: SessionRow): string {
  return row.successUrl.replaceAll('{SESSION_ID}', encodeURIComponent(row.id));
}
