/** The tenant of every other table: merchants (created by auth and the sandbox). */
import { boolean, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.ts';

/**
 * A merchant account; `apiSecretHash` is the SHA-256 hex of its API secret. Its public client id
 * is its default application's (`applications.client_id`, `is_default`): the one source of it.
 */
export const merchants = pgTable('merchants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  apiSecretHash: text('api_secret_hash').notNull(),
  livemode: boolean('livemode').notNull().default(false),
  createdAt: createdAt(),
});
