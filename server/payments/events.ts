/** The `payment.*` events: their `data.object` is the payment as getPayment returns it. */
import type { Links } from '../deps.ts';
import type { FamilyModule } from '../http/family.ts';
import type { PaymentRow } from './repository.ts';
import { toPayment } from './resource.ts';

const payment = (row: PaymentRow, links: Links) => toPayment(row, links);

/** Serializers of the event types the payments family records. */
export const paymentEventSerializers: NonNullable<FamilyModule['eventSerializers']> = {
  'payment.succeeded': payment,
  'payment.failed': payment,
  'payment.pending': payment,
  'payment.requires_action': payment,
  'payment.refunded': payment,
};
