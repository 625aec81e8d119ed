/** Tables of the otp family: one-time codes (keyed hashes only) and the sandbox's read-back copy. */
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

/**
 * One-time codes a merchant had sent (`requestOtp`, or the consent page of one of its
 * applications). Only `codeHash` is kept: HMAC-SHA256 of `<id>:<code>` under a server key
 * (see `codes.ts`). At most {@link MAX_ATTEMPTS} wrong attempts are counted; `consumedAt` set
 * once a code was accepted (single use).
 */
export const otpChallenges = pgTable(
  'otp_challenges',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    /** Lowercased. */
    email: text('email'),
    /** E.164. */
    phoneNumber: text('phone_number'),
    codeHash: text('code_hash').notNull(),
    attempts: integer('attempts').notNull().default(0),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    consumedAt: timestamp('consumed_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [
    index('otp_challenges_email_idx').on(t.merchantId, t.email, t.createdAt).where(sql`email IS NOT NULL`),
    index('otp_challenges_phone_idx').on(t.merchantId, t.phoneNumber, t.createdAt).where(sql`phone_number IS NOT NULL`),
    index('otp_challenges_created_idx').on(t.createdAt),
    check('otp_challenges_destination', sql`email IS NOT NULL OR phone_number IS NOT NULL`),
    check('otp_challenges_attempts', sql`attempts >= 0 AND attempts <= 5`),
  ],
);

/**
 * Sandbox only: the code as it would have been sent, for `getSandboxOtp`. A live server sends the
 * code and writes nothing here.
 */
export const otpSandboxDeliveries = pgTable('otp_sandbox_deliveries', {
  challengeId: text('challenge_id')
    .primaryKey()
    .references(() => otpChallenges.id, { onDelete: 'cascade' }),
  code: text('code').notNull(),
});
