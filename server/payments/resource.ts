/** Maps stored rows to the contract's `Payment` and `Refund` shapes (the edge: handlers and event serializers). */
import type { components } from '../../generated/schema.d.ts';
import type { Links } from '../deps.ts';
import type { PaymentRow, RefundRow } from './repository.ts';

export type Payment = components['schemas']['Payment'];
export type Refund = components['schemas']['Refund'];
type MethodDetails = components['schemas']['PaymentMethodDetails'];

/** Path of the hosted 3-D Secure challenge page of a payment (relative redirects of the hosted pages). */
export function authenticationPath(paymentId: string): string {
  return `/authenticate/${paymentId}`;
}

/** The API representation of a payment row; `links` gives the 3-D Secure page of `nextAction`. */
export function toPayment(row: PaymentRow, links: Links): Payment {
  return {
    id: row.id,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    amountRefunded: row.amountRefunded,
    paymentMethod: { type: row.methodType, ...(row.methodDetails as Omit<MethodDetails, 'type'>) },
    description: row.description,
    customerEmail: row.customerEmail,
    reference: row.reference,
    checkoutSessionId: row.checkoutSessionId,
    applicationId: row.applicationId,
    failureCode: row.failureCode as Payment['failureCode'],
    failureMessage: row.failureMessage,
    nextAction:
      row.status === 'requires_action'
        ? { type: 'three_d_secure_redirect', redirectUrl: links.authentication(row.id) }
        : null,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The API representation of a refund row. */
export function toRefund(row: RefundRow): Refund {
  return {
    id: row.id,
    paymentId: row.paymentId,
    amount: row.amount,
    currency: row.currency,
    status: row.status,
    reason: row.reason,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
  };
}
