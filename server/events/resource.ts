/** Maps stored event rows to the contract's `Event` shape: also the body of webhook deliveries. */
import type { components } from '../../generated/schema.d.ts';
import type { EventRow } from '../outbox/index.ts';

export type Event = components['schemas']['Event'];

/** The API representation of an event row: `{ id, type, createdAt, data: { object } }`. */
export function toEvent(row: Pick<EventRow, 'id' | 'type' | 'createdAt' | 'data'>): Event {
  return { id: row.id, type: row.type, createdAt: row.createdAt.toISOString(), data: row.data } as Event;
}
