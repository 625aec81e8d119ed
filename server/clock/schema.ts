/** The sandbox test clocks, one per merchant (shared mechanism `server/clock`). */
import { bigint, pgTable, text } from 'drizzle-orm/pg-core';
import { merchants } from '../merchants/schema.ts';

/**
 * A merchant's sandbox test clock: how many whole seconds it runs ahead of the base clock. A
 * merchant without a row runs on the base clock. Only ever grows (advanceSandboxClock).
 */
export const merchantClocks = pgTable('merchant_clocks', {
  merchantId: text('merchant_id')
    .primaryKey()
    .references(() => merchants.id, { onDelete: 'cascade' }),
  offsetSeconds: bigint('offset_seconds', { mode: 'number' }).notNull(),
});
