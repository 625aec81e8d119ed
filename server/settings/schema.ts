/** Server-wide key/value settings (shared mechanism). */
import { pgTable, text } from 'drizzle-orm/pg-core';

/**
 * Server-wide settings such as the JWT signing secret, so tokens survive restarts, shared by
 * every instance. (The sandbox test clocks are per merchant: `server/clock/schema.ts`.)
 */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
