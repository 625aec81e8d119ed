/**
 * Tables of the oauth family: registered payers (sandbox test payers for now), and the OAuth 2.0
 * grants of payers to merchants' applications with their authorization codes and tokens. Codes
 * and tokens are stored only as SHA-256 hashes (`codeHash`, `tokenHash`).
 */
import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

/** Registered payers (`usr_…`). A sandbox test payer belongs to the merchant that created it. */
export const payers = pgTable(
  'payers',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    name: text('name').notNull(),
    /** Lowercased; the sign-in identifier on the consent page. */
    email: text('email').notNull(),
    phoneNumber: text('phone_number'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('payers_email_idx').on(t.merchantId, t.email)],
);

/**
 * What a payer granted an application: its scopes. Every code exchanged and every token
 * refreshed belongs to one grant; `revokedAt` set (revocation, refresh-token reuse, code reuse)
 * ends every token of the grant at once.
 */
export const oauthGrants = pgTable(
  'oauth_grants',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    /** The application (`app_…`) granted: the OAuth client. */
    applicationId: text('application_id').notNull(),
    userId: text('user_id').notNull().references(() => payers.id),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [index('oauth_grants_user_idx').on(t.userId, t.applicationId)],
);

/**
 * Authorization codes (single use, 60 s), with the PKCE challenge (S256 only) and the redirect
 * URI they were issued for. `grantId` is set when the code was exchanged; `usedAt` marks it spent.
 */
export const oauthCodes = pgTable('oauth_codes', {
  codeHash: text('code_hash').primaryKey(),
  merchantId: text('merchant_id').notNull().references(() => merchants.id),
  applicationId: text('application_id').notNull(),
  userId: text('user_id').notNull().references(() => payers.id),
  scopes: jsonb('scopes').$type<string[]>().notNull(),
  redirectUri: text('redirect_uri').notNull(),
  codeChallenge: text('code_challenge').notNull(),
  codeChallengeMethod: text('code_challenge_method', { enum: ['S256'] }).notNull(),
  grantId: text('grant_id').references(() => oauthGrants.id),
  expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
  usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
  createdAt: createdAt(),
});

/**
 * Access tokens (`oat_…`, one hour) and refresh tokens (`ort_…`, 30 days) of a grant. A refresh
 * token is single use: `usedAt` set when rotated; presenting it again revokes the grant.
 */
export const oauthTokens = pgTable(
  'oauth_tokens',
  {
    tokenHash: text('token_hash').primaryKey(),
    kind: text('kind', { enum: ['access', 'refresh'] }).notNull(),
    /** What this token allows: the grant's scopes, or fewer after a narrowing refresh. */
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    grantId: text('grant_id')
      .notNull()
      .references(() => oauthGrants.id),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true, precision: 3 }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [index('oauth_tokens_grant_idx').on(t.grantId), index('oauth_tokens_expiry_idx').on(t.expiresAt).where(sql`revoked_at IS NULL`)],
);
