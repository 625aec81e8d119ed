/**
 * Events: every state change records one `evt_…` row in the same transaction as the change. The
 * table is the outbox from which webhook deliveries are made.
 */
import type { Tx } from '../db/index.ts';
import { events } from '../db/schema.ts';
import { newId } from '../ids.ts';

/** Event types emitted today. */
export type EventType =
  | 'payment.succeeded'
  | 'payment.failed'
  | 'payment.requires_action'
  | 'payment.pending'
  | 'payment.refunded'
  | 'checkout.session.created'
  | 'checkout.session.completed'
  | 'checkout.session.expired';

/** Records an event carrying a snapshot of the object (as the API returns it). */
export async function recordEvent(tx: Tx, merchantId: string, type: EventType, object: object, at: Date): Promise<string> {
  const id = newId('evt');
  await tx.insert(events).values({ id, merchantId, type, data: { object }, createdAt: at });
  return id;
}
