/**
 * Events: every state change records one `evt_…` row in the same transaction as the change. The
 * table is the outbox from which webhook deliveries are made: in that same transaction,
 * {@link recordEvent} also queues one delivery per enabled webhook endpoint of the merchant whose
 * filter selects the event's type (fan-out), so an event is delivered if and only if the change
 * that caused it committed.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Tx } from '../db/index.ts';
import { events } from '../outbox/schema.ts';
import { newId } from '../ids.ts';
import { enabledEndpoints, insertDeliveries, subscribes } from '../webhooks/repository.ts';

/** An event type of the contract (`EventType`): the events emitted today. */
export type EventType = components['schemas']['EventType'];

/**
 * Records an event carrying a snapshot of the object (as the API returns it) and queues its
 * webhook deliveries, due at `at`, inside the caller's transaction.
 * @param at When the change happened (server clock); the event's `createdAt`.
 * @returns the event id (`evt_…`).
 */
export async function recordEvent(tx: Tx, merchantId: string, type: EventType, object: object, at: Date): Promise<string> {
  const id = newId('evt');
  await tx.insert(events).values({ id, merchantId, type, data: { object: object as Record<string, unknown> }, createdAt: at });
  const endpoints = (await enabledEndpoints(tx, merchantId)).filter((e) => subscribes(e.events, type));
  await insertDeliveries(
    tx,
    endpoints.map((endpoint) => ({
      id: newId('del'),
      merchantId,
      endpointId: endpoint.id,
      eventId: id,
      eventType: type,
      status: 'pending' as const,
      nextAttemptAt: at,
      createdAt: at,
    })),
  );
  return id;
}
