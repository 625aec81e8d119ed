/**
 * The event log: list and read events, and queue a new delivery of one (redelivery, through
 * the webhooks family).
 *
 * Sources: listEvents, getEvent, redeliverEvent.
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../errors/problem.ts';
import type { EventRow } from '../outbox/index.ts';
import { redeliver } from '../webhooks/index.ts';
import * as repo from './repository.ts';

/** getEvent. @throws ProblemError 404 `not_found` (unknown or another merchant's). */
export async function getEvent(db: Executor, merchantId: string, eventId: string): Promise<EventRow> {
  const event = await repo.findEvent(db, merchantId, eventId);
  if (!event) throw notFound('event', eventId);
  return event;
}

/** listEvents: newest first, filtered by type and created range, one page plus one row. */
export function listEvents(db: Executor, merchantId: string, filters: repo.EventFilters): Promise<EventRow[]> {
  return repo.listEvents(db, merchantId, filters);
}

/**
 * redeliverEvent: queues one new delivery of the event, due now, to `endpointId` or to every
 * enabled endpoint subscribed to its type, in one transaction.
 * @throws ProblemError 404 unknown event or endpoint; 409 `invalid_state` (see `redeliver` of webhooks).
 */
export async function redeliverEvent(db: Executor, deps: AppDeps, merchantId: string, eventId: string, endpointId?: string) {
  return db.transaction(async (tx) => {
    const event = await repo.findEvent(tx, merchantId, eventId);
    if (!event) throw notFound('event', eventId);
    return redeliver(tx, deps, merchantId, event, endpointId);
  });
}
