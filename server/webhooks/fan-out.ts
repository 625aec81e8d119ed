/**
 * Queuing deliveries: in the transaction that records an event, one delivery per enabled
 * endpoint of the merchant whose filter selects the event's type (the fan-out); and later, on
 * request, a new delivery of a past event (redeliverEvent, for the events family).
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, notFound } from '../errors/problem.ts';
import type { EventSubscriber } from '../http/family.ts';
import { newId } from '../ids.ts';
import * as repo from './repository.ts';
import type { AttemptRow, DeliveryRow } from './repository.ts';
import { groupAttempts } from './service.ts';

/** The pending delivery rows of one event to `endpointIds`, due at `at`. */
function deliveries(merchantId: string, event: { id: string; type: string }, endpointIds: string[], at: Date): repo.NewDeliveryRow[] {
  return endpointIds.map((endpointId) => ({
    id: newId('del'),
    merchantId,
    endpointId,
    eventId: event.id,
    eventType: event.type,
    status: 'pending' as const,
    nextAttemptAt: at,
    createdAt: at,
  }));
}

/** Subscriber of every event: queues its deliveries, due at the event's time. */
export const queueDeliveries: EventSubscriber = async (db, event) => {
  const endpoints = (await repo.enabledEndpoints(db, event.merchantId)).filter((e) => repo.subscribes(e.events, event.type));
  await repo.insertDeliveries(db, deliveries(event.merchantId, event, endpoints.map((e) => e.id), event.at));
};

/**
 * Queues one new delivery of a past event, due now, to `endpointId` or to every enabled endpoint
 * subscribed to its type. The body and `webhook-id` are the event's, as on the first delivery.
 * An endpoint that already has a pending delivery of the event gets none (issue 13 #5: no
 * amplification by repeated redelivery): that delivery is returned instead, unchanged.
 * @param db A transaction (the caller's read of the event and these rows commit together).
 * @returns one pending delivery per target endpoint, in target order, with the attempts of those
 *   that were already pending.
 * @throws ProblemError 404 unknown endpoint; 409 `invalid_state` when the endpoint is disabled
 *   or not subscribed, or no enabled endpoint is subscribed.
 */
export async function redeliver(
  db: Executor,
  deps: AppDeps,
  merchantId: string,
  event: { id: string; type: string },
  endpointId?: string,
): Promise<{ deliveries: DeliveryRow[]; attempts: Map<string, AttemptRow[]> }> {
  let targets: string[];
  if (endpointId) {
    const endpoint = await repo.findEndpoint(db, merchantId, endpointId);
    if (!endpoint) throw notFound('webhook endpoint', endpointId);
    if (endpoint.disabledReason !== null) {
      throw new ProblemError('invalid_state', `The webhook endpoint ${endpointId} is disabled; enable it first.`);
    }
    if (!repo.subscribes(endpoint.events, event.type)) {
      throw new ProblemError('invalid_state', `The webhook endpoint ${endpointId} is not subscribed to ${event.type} events.`);
    }
    targets = [endpoint.id];
  } else {
    targets = (await repo.enabledEndpoints(db, merchantId)).filter((e) => repo.subscribes(e.events, event.type)).map((e) => e.id);
    if (targets.length === 0) {
      throw new ProblemError('invalid_state', `No enabled webhook endpoint is subscribed to ${event.type} events.`);
    }
  }
  // Under a per-event lock, an endpoint with a pending delivery gets that one back.
  await repo.lockFor(db, `redeliver:${event.id}`);
  const pending = await repo.pendingDeliveriesOf(db, event.id, targets);
  const pendingFor = new Map(pending.map((d) => [d.endpointId, d]));
  const inserted = await repo.insertDeliveries(db, deliveries(merchantId, event, targets.filter((t) => !pendingFor.has(t)), deps.now(merchantId)));
  const insertedFor = new Map(inserted.map((d) => [d.endpointId, d]));
  return {
    deliveries: targets.map((target) => (pendingFor.get(target) ?? insertedFor.get(target))!),
    attempts: groupAttempts(await repo.attemptsOf(db, pending.map((d) => d.id))),
  };
}
