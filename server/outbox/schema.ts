/** The event log and outbox (shared mechanism): one row per recorded event. */
import { index, json, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';


/**
 * Event log and outbox: written in the transaction of the change it describes. `data` is `json`
 * (not `jsonb`) so that the object keeps the field order of the API in events and webhook bodies.
 */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    type: text('type').notNull(),
    data: json('data').$type<{ object: Record<string, unknown> }>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('events_merchant_idx').on(t.merchantId, t.createdAt, t.id), index('events_merchant_type_idx').on(t.merchantId, t.type, t.createdAt)],
);

