/**
 * Tables of the escrows family. Amounts in minor units. The money itself is in the ledger
 * (`escrow:<id>:funding` while the payer's approval is pending, `escrow:<id>:held` once funded);
 * the row's `amountReleased`/`amountRefunded` record what left the escrow, and a CHECK keeps
 * them within `amount`.
 */
import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, money } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';

const at = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** Escrow statuses (contract `EscrowStatus`). */
export const ESCROW_STATUSES = ['pending_funding', 'funded', 'released', 'cancelled', 'disputed', 'refunded'] as const;

/** Escrows: one payer's money held for one merchant until its terms are met. */
export const escrows = pgTable(
  'escrows',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    status: text('status', { enum: ESCROW_STATUSES }).notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    amountReleased: money('amount_released').notNull().default(0),
    amountRefunded: money('amount_refunded').notNull().default(0),
    methodType: text('method_type', { enum: ['card', 'mobile_money', 'wallet'] }).notNull(),
    /** What funded it, safe to store (card brand/last4/expiry, mobile-money network and phone, wallet user id). */
    methodDetails: jsonb('method_details').$type<Record<string, unknown>>().notNull(),
    /** The ledger account refunds go back to: the clearing account of the card network or mobile-money provider, or the payer's wallet. */
    refundAccount: text('refund_account').notNull(),
    payerEmail: text('payer_email'),
    payerPhoneNumber: text('payer_phone_number'),
    payerUserId: text('payer_user_id'),
    termsType: text('terms_type', { enum: ['delivery_confirmation', 'time_release'] }).notNull(),
    /** The delivery-confirmation deadline or the time-release time: when the release job releases a funded escrow. */
    releaseAt: at('release_at').notNull(),
    /** When delayed mobile money settles into the escrow (while `pending_funding`). */
    fundAt: at('fund_at'),
    disputeReason: text('dispute_reason', { enum: ['not_delivered', 'not_as_described', 'other'] }),
    disputeDetails: text('dispute_details'),
    disputedAt: at('disputed_at'),
    resolutionOutcome: text('resolution_outcome', { enum: ['release', 'refund', 'split'] }),
    resolvedAt: at('resolved_at'),
    releasedBy: text('released_by', { enum: ['merchant', 'payer', 'terms', 'dispute_resolution'] }),
    cancellationReason: text('cancellation_reason', { enum: ['requested_by_payer', 'out_of_stock', 'duplicate', 'other'] }),
    description: text('description'),
    reference: text('reference'),
    applicationId: text('application_id'),
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull(),
    fundedAt: at('funded_at'),
    releasedAt: at('released_at'),
    cancelledAt: at('cancelled_at'),
    createdAt: createdAt(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('escrows_list_idx').on(t.merchantId, t.createdAt, t.id),
    index('escrows_release_idx').on(t.releaseAt).where(sql`status = 'funded'`),
    index('escrows_fund_idx').on(t.fundAt).where(sql`status = 'pending_funding'`),
    check('escrows_amounts_within', sql`${t.amountReleased} >= 0 and ${t.amountRefunded} >= 0 and ${t.amountReleased} + ${t.amountRefunded} <= ${t.amount}`),
  ],
);
