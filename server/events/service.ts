/**
 * The event log: list and read events, and queue a new delivery of one (redelivery).
 *
 * Sources: listEvents, getEvent, redeliverEvent.
 */
import type { AppDeps } from '../deps.ts';
import { ProblemError, notFound } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import * as webhooksRepo from '../webhooks/repository.ts';
import type { AttemptRow, DeliveryRow } from '../webhooks/repository.ts';
import { groupAttempts } from '../webhooks/service.ts';
import * as repo from './repository.ts';
import type { EventRow } from './repository.ts';

/** getEvent. @throws ProblemError 404 `not_found` (unknown or another merchant's). */
export async function getEvent(deps: AppDeps, merchantId: string, eventId: string): Promise<EventRow> {
  const event = await repo.findEvent(deps.db, merchantId, eventId);
  if (!event) throw notFound('event', eventId);
  return event;
}

/** listEvents: newest first, filtered by type and created range, one page plus one row. */
export function listEvents(deps: AppDeps, merchantId: string, filters: repo.EventFilters): Promise<EventRow[]> {
  return repo.listEvents(deps.db, merchantId, filters);
}

/**
 * redeliverEvent: queues one new delivery of the event, due now, to `endpointId` or to every
 * enabled endpoint subscribed to its type. The body and `webhook-id` are the event's, as on the
 * first delivery. An endpoint that already has a pending delivery of the event gets none: that
 * delivery is returned instead, unchanged.
 * @returns one pending delivery per target endpoint, in target order, with the attempts of those
 *   that were already pending.
 * @throws ProblemError 404 unknown event or endpoint; 409 `invalid_state` when the endpoint is
 *   disabled or not subscribed, or no enabled endpoint is subscribed.
 */
export async function redeliverEvent(
  deps: AppDeps,
  merchantId: string,
  eventId: string,
  endpointId?: string,
): Promise<{ deliveries: DeliveryRow[]; attempts: Map<string, AttemptRow[]> }> {
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const event = await repo.findEvent(tx, merchantId, eventId);
    if (!event) throw notFound('event', eventId);
    let targets: string[];
    if (endpointId) {
      const endpoint = await webhooksRepo.findEndpoint(tx, merchantId, endpointId);
      if (!endpoint) throw notFound('webhook endpoint', endpointId);
      if (endpoint.disabledReason !== null) {
        throw new ProblemError('invalid_state', `The webhook endpoint ${endpointId} is disabled; enable it first.`);
      }
      if (!webhooksRepo.subscribes(endpoint.events, event.type)) {
        throw new ProblemError('invalid_state', `The webhook endpoint ${endpointId} is not subscribed to ${event.type} events.`);
      }
      targets = [endpoint.id];
    } else {
      targets = (await webhooksRepo.enabledEndpoints(tx, merchantId)).filter((e) => webhooksRepo.subscribes(e.events, event.type)).map((e) => e.id);
      if (targets.length === 0) {
        throw new ProblemError('invalid_state', `No enabled webhook endpoint is subscribed to ${event.type} events.`);
      }
    }
    // At most one pending delivery per (event, endpoint) (issue #5): under a per-event lock, an
    // endpoint that has one gets it back instead of a new one.
    await webhooksRepo.lockFor(tx, `redeliver:${event.id}`);
    const pending = await webhooksRepo.pendingDeliveriesOf(tx, event.id, targets);
    const pendingFor = new Map(pending.map((d) => [d.endpointId, d]));
    const inserted = await webhooksRepo.insertDeliveries(
      tx,
      targets.filter((target) => !pendingFor.has(target)).map((target) => ({
        id: newId('del'),
        merchantId,
        endpointId: target,
        eventId: event.id,
        eventType: event.type,
        status: 'pending' as const,
        nextAttemptAt: now,
        createdAt: now,
      })),
    );
    const insertedFor = new Map(inserted.map((d) => [d.endpointId, d]));
    const deliveries = targets.map((target) => (pendingFor.get(target) ?? insertedFor.get(target))!);
    return { deliveries, attempts: groupAttempts(await webhooksRepo.attemptsOf(tx, pending.map((d) => d.id))) };
  });
}
