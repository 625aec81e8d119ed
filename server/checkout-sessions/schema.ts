/** Tables of the checkout-sessions family. Amounts in minor units. */
import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, money } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

/** Hosted checkout sessions; `paymentId` is the payment that completed the session. */
export const checkoutSessions = pgTable(
  'checkout_sessions',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    status: text('status', { enum: ['open', 'complete', 'expired'] }).notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    lineItems: jsonb('line_items').$type<{ name: string; quantity: number; unitAmount: number }[]>().notNull(),
    description: text('description'),
    customerEmail: text('customer_email'),
    successUrl: text('success_url').notNull(),
    cancelUrl: text('cancel_url').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true, precision: 3 }),
    paymentId: text('payment_id'),
    /** The application whose client token created the session; null with a secret API key. */
    applicationId: text('application_id'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull(),
    /** BCP 47 tag the hosted page formats amounts with; null: en-US. */
    locale: text('locale'),
  },
  (t) => [
    index('checkout_sessions_list_idx').on(t.merchantId, t.createdAt, t.id),
    index('checkout_sessions_application_idx').on(t.merchantId, t.applicationId, t.createdAt, t.id),
  ],
);
