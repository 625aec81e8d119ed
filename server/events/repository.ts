/** SQL for the event log. Plain rows in, plain rows out. */
import { and, eq, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { events, type EventRow } from '../outbox/index.ts';
import { fetchSize, listConditions, listOrder, type ListQuery } from '../http/pagination.ts';

export type { EventRow };

/** An event of this merchant. */
export async function findEvent(db: Executor, merchantId: string, eventId: string): Promise<EventRow | undefined> {
  const [row] = await db
    .select()
    .from(events)
    .where(and(eq(events.id, eventId), eq(events.merchantId, merchantId)))
    .limit(1);
  return row;
}

/** Filters of listEvents. */
export interface EventFilters extends ListQuery {
  type?: string;
}

export async function listEvents(db: Executor, merchantId: string, filters: EventFilters): Promise<EventRow[]> {
  const conditions: SQL[] = [eq(events.merchantId, merchantId), ...listConditions(filters, events)];
  if (filters.type) conditions.push(eq(events.type, filters.type));
  return db.select().from(events).where(and(...conditions)).orderBy(...listOrder(events)).limit(fetchSize(filters));
}
