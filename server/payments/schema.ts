/** Tables of the payments family. Amounts in minor units. */
import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, money } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

/** Payments; `settleAt` is set while a delayed (mobile-money) payment is pending. */
export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    status: text('status', { enum: ['requires_action', 'pending', 'succeeded', 'failed'] }).notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    amountRefunded: money('amount_refunded').notNull().default(0),
    methodType: text('method_type', { enum: ['card', 'mobile_money', 'wallet'] }).notNull(),
    methodDetails: jsonb('method_details').$type<Record<string, unknown>>().notNull(),
    description: text('description'),
    customerEmail: text('customer_email'),
    reference: text('reference'),
    checkoutSessionId: text('checkout_session_id'),
    /** The application whose client token created the payment (or its checkout session); null with a secret API key. */
    applicationId: text('application_id'),
    failureCode: text('failure_code'),
    failureMessage: text('failure_message'),
    returnUrl: text('return_url'),
    settleAt: timestamp('settle_at', { withTimezone: true, precision: 3 }),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('payments_list_idx').on(t.merchantId, t.createdAt, t.id),
    index('payments_application_idx').on(t.merchantId, t.applicationId, t.createdAt, t.id),
    index('payments_settle_idx').on(t.settleAt).where(sql`status = 'pending'`),
  ],
);

/** Refunds of a payment (full or partial). */
export const refunds = pgTable(
  'refunds',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    paymentId: text('payment_id').notNull().references(() => payments.id),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['succeeded'] }).notNull(),
    reason: text('reason', { enum: ['requested_by_customer', 'duplicate', 'fraudulent'] }),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('refunds_payment_idx').on(t.paymentId)],
);

/**
 * The Tillpoint wallets of registered payers, one row per payer and currency: the row that
 * wallet movements lock (`SELECT … FOR UPDATE`). The balance is never stored: it is the sum of
 * the ledger entries of the account `payer:<userId>:wallet` in that currency.
 */
export const wallets = pgTable(
  'wallets',
  {
    userId: text('user_id').notNull(),
    currency: text('currency').notNull(),
    /** The merchant whose sandbox the payer belongs to. */
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.currency] })],
);
