/** The `order.*` events: their `data.object` is the order as getOrder returns it. */
import type { FamilyModule } from '../http/family.ts';
import type { OrderDetail } from './orders.ts';
import { toOrder } from './resource.ts';

const order = (detail: OrderDetail) => toOrder(detail);

/** Serializers of the event types the stores family records. */
export const storeEventSerializers: NonNullable<FamilyModule['eventSerializers']> = {
  'order.created': order,
  'order.fulfilled': order,
  'order.refunded': order,
  'order.disputed': order,
};
