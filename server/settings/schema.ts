/** Server-wide key/value settings (shared mechanism). */
import { pgTable, text } from 'drizzle-orm/pg-core';

/**
 * Server-wide settings such as the JWT signing secret, so tokens survive restarts, and the
 * sandbox test clock offset (`sandbox_clock_offset_seconds`), shared by every instance.
 */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
