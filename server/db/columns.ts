/** Column helpers shared by every family's Drizzle tables. */
import { bigint, timestamp } from 'drizzle-orm/pg-core';

/** `created_at timestamptz(3) not null default now()`. */
export const createdAt = () => timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow();

/**
 * A money column: `bigint` minor units read as a JS number. Amounts are capped at 10^12 by the
 * contract, far below 2^53.
 */
export const money = (name: string) => bigint(name, { mode: 'number' });
