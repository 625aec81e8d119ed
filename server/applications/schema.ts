/** Tables of the applications family: applications and their client tokens. */
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

/**
 * Applications of a merchant, each with a public 32-character `clientId`. Exactly one per
 * merchant has `isDefault` (created with the merchant; its client id is the merchant's).
 */
export const applications = pgTable(
  'applications',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    clientId: text('client_id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    redirectUris: jsonb('redirect_uris').$type<string[]>().notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    /** SHA-256 of the OAuth client secret (`createClientSecret`); null until one is issued. */
    clientSecretHash: text('client_secret_hash'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('applications_client_id_idx').on(t.clientId),
    uniqueIndex('applications_default_idx').on(t.merchantId).where(sql`is_default`),
    index('applications_list_idx').on(t.merchantId, t.createdAt, t.id),
  ],
);

/**
 * Client tokens of an application, stored only as SHA-256 hashes (`tokenHash`); `last4` and the
 * prefix let the merchant recognise one. `revokedAt` set: refused from then on.
 */
export const clientTokens = pgTable(
  'client_tokens',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    applicationId: text('application_id').notNull().references(() => applications.id),
    label: text('label').notNull(),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    tokenHash: text('token_hash').notNull(),
    prefix: text('prefix', { enum: ['ct_test_', 'ct_live_'] }).notNull(),
    last4: text('last4').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, precision: 3 }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('client_tokens_hash_idx').on(t.tokenHash), index('client_tokens_list_idx').on(t.applicationId, t.createdAt, t.id)],
);
