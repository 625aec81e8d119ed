/**
 * Tables of the disbursements family (also used, through `index.ts`, by the escrow-disbursements
 * of the escrows family: a `kind` column tells them apart). Amounts in minor units.
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, money } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

/** Where a recipient's money goes, as stored (the contract's `PayoutDestination`). */
export type StoredDestination =
  | { type: 'mobile_money'; provider: 'mtn' | 'airtel' | 'mpesa'; phoneNumber: string }
  | { type: 'bank_account'; accountNumber: string; bankCode: string; accountHolderName: string }
  | { type: 'wallet'; userId: string };

/** One quoted recipient, as stored in the quote. */
export interface QuotedRecipient {
  destination: StoredDestination;
  /** Minor units the recipient receives. */
  amount: number;
  /** Minor units of fee (see `fees.ts`). */
  fee: number;
  reference: string | null;
}

/** Quotes: priced recipients, valid until `expiresAt`, used by at most one disbursement. */
export const disbursementQuotes = pgTable(
  'disbursement_quotes',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    currency: text('currency').notNull(),
    recipients: jsonb('recipients').$type<QuotedRecipient[]>().notNull(),
    amount: money('amount').notNull(),
    fee: money('fee').notNull(),
    total: money('total').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    /** The disbursement that used the quote; null while unused. */
    disbursementId: text('disbursement_id'),
    createdAt: createdAt(),
  },
  (t) => [index('disbursement_quotes_merchant_idx').on(t.merchantId, t.id)],
);

/** Disbursements and escrow-disbursements (`kind`). */
export const disbursements = pgTable(
  'disbursements',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    kind: text('kind', { enum: ['standard', 'escrow'] }).notNull(),
    quoteId: text('quote_id').notNull().unique().references(() => disbursementQuotes.id),
    status: text('status', { enum: ['held', 'pending', 'completed', 'partially_failed', 'failed', 'cancelled'] }).notNull(),
    currency: text('currency').notNull(),
    amount: money('amount').notNull(),
    fee: money('fee').notNull(),
    total: money('total').notNull(),
    description: text('description'),
    applicationId: text('application_id'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull(),
    /** When the payout job pays the pending recipients; null while held or once finished. */
    processAt: timestamp('process_at', { withTimezone: true, precision: 3 }),
    releasedAt: timestamp('released_at', { withTimezone: true, precision: 3 }),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('disbursements_list_idx').on(t.merchantId, t.kind, t.createdAt, t.id),
    index('disbursements_due_idx').on(t.processAt).where(sql`status = 'pending'`),
    check('disbursements_total_check', sql`${t.total} = ${t.amount} + ${t.fee}`),
  ],
);

/** The recipients of a disbursement, in the quote's order (`position`). */
export const disbursementRecipients = pgTable(
  'disbursement_recipients',
  {
    disbursementId: text('disbursement_id').notNull().references(() => disbursements.id),
    position: integer('position').notNull(),
    destination: jsonb('destination').$type<StoredDestination>().notNull(),
    amount: money('amount').notNull(),
    fee: money('fee').notNull(),
    reference: text('reference'),
    status: text('status', { enum: ['pending', 'paid', 'failed', 'cancelled'] }).notNull(),
    failureCode: text('failure_code', { enum: ['recipient_rejected'] }),
    failureMessage: text('failure_message'),
    paidAt: timestamp('paid_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [primaryKey({ columns: [t.disbursementId, t.position] })],
);
