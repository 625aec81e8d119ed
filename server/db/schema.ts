/**
 * Database schema (Drizzle), shared by PGlite and PostgreSQL. Migrations in `./migrations` are
 * produced from this file by `npm run db:generate` (drizzle-kit, offline) and applied at start-up.
 *
 * Money columns are `bigint` minor units read as JS numbers: amounts are capped at 10^12 by the
 * contract, far below 2^53.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  json,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow();
const money = (name: string) => bigint(name, { mode: 'number' });

/** A merchant account; `apiSecretHash` is the SHA-256 hex of its API secret. */
export const merchants = pgTable('merchants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  clientId: text('client_id').notNull().unique(),
  apiSecretHash: text('api_secret_hash').notNull(),
  livemode: boolean('livemode').notNull().default(false),
  createdAt: createdAt(),
});

/** Secret API keys, stored only as SHA-256 hashes. A rotated key gets `expiresAt`. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    keyHash: text('key_hash').notNull(),
    keyPrefix: text('key_prefix').notNull(),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [uniqueIndex('api_keys_key_hash_idx').on(t.keyHash), index('api_keys_merchant_idx').on(t.merchantId)],
);

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
    metadata: jsonb('metadata').$type<Record<string, string>>().notNull(),
  },
  (t) => [index('checkout_sessions_list_idx').on(t.merchantId, t.createdAt, t.id)],
);

export const payments = pgTable(
  'payments',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    status: text('status', { enum: ['requires_action', 'pending', 'succeeded', 'failed'] }).notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    amountRefunded: money('amount_refunded').notNull().default(0),
    methodType: text('method_type', { enum: ['card', 'mobile_money'] }).notNull(),
    methodDetails: jsonb('method_details').$type<Record<string, unknown>>().notNull(),
    description: text('description'),
    customerEmail: text('customer_email'),
    reference: text('reference'),
    checkoutSessionId: text('checkout_session_id'),
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
    index('payments_settle_idx').on(t.settleAt).where(sql`status = 'pending'`),
  ],
);

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

/** One balanced posting: its entries sum to zero per currency. */
export const ledgerTransactions = pgTable('ledger_transactions', {
  id: text('id').primaryKey(),
  merchantId: text('merchant_id').notNull().references(() => merchants.id),
  kind: text('kind').notNull(),
  sourceId: text('source_id').notNull(),
  createdAt: createdAt(),
});

/** Signed amounts in minor units: debits negative, credits positive, per account and currency. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    transactionId: text('transaction_id').notNull().references(() => ledgerTransactions.id),
    account: text('account').notNull(),
    currency: text('currency').notNull(),
    amount: money('amount').notNull(),
  },
  (t) => [index('ledger_entries_account_idx').on(t.account, t.currency), index('ledger_entries_tx_idx').on(t.transactionId)],
);

/**
 * Event log and outbox: written in the transaction of the change it describes. `data` is `json`
 * (not `jsonb`) so that the object keeps the field order of the API in events and webhook bodies.
 */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    type: text('type').notNull(),
    data: json('data').$type<{ object: Record<string, unknown> }>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('events_merchant_idx').on(t.merchantId, t.createdAt, t.id), index('events_merchant_type_idx').on(t.merchantId, t.type, t.createdAt)],
);

/**
 * Webhook endpoints of a merchant. `secret` (and during a rotation overlap `previousSecret`) is
 * the signing key itself, `whsec_` + base64: it must be kept to sign deliveries, so it is stored,
 * and never returned except when created or rotated. `disabledReason` is null while enabled.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    url: text('url').notNull(),
    description: text('description'),
    events: jsonb('events').$type<string[]>().notNull(),
    disabledReason: text('disabled_reason', { enum: ['requested', 'gone'] }),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_list_idx').on(t.merchantId, t.createdAt, t.id)],
);

/**
 * One event to send to one endpoint: the delivery queue. Written with the event (fan-out in the
 * same transaction) or by a redelivery; claimed by workers with `FOR UPDATE SKIP LOCKED` and a
 * lease (`lockedUntil`, real database time) so several workers and instances never send one
 * attempt twice, and a lease left by a crashed worker expires. `nextAttemptAt` is on the
 * server clock (the sandbox test clock when advanced).
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    merchantId: text('merchant_id').notNull().references(() => merchants.id),
    endpointId: text('endpoint_id').notNull().references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull().references(() => events.id),
    eventType: text('event_type').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attemptCount: integer('attempt_count').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, precision: 3 }),
    lockedUntil: timestamp('locked_until', { withTimezone: true, precision: 3 }),
    lockToken: text('lock_token'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, precision: 3 }),
    createdAt: createdAt(),
  },
  (t) => [
    index('webhook_deliveries_list_idx').on(t.endpointId, t.createdAt, t.id),
    index('webhook_deliveries_event_idx').on(t.eventId),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
  ],
);

/** Every HTTP attempt of a delivery: status code (null without an answer), latency, error, next retry. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deliveryId: text('delivery_id').notNull().references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
    attemptedAt: timestamp('attempted_at', { withTimezone: true, precision: 3 }).notNull(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    error: text('error'),
    nextRetryAt: timestamp('next_retry_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId, t.id)],
);

/** Stored responses of idempotent requests, per scope (merchant or client IP) and key. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    operationId: text('operation_id').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_progress', 'completed'] }).notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/**
 * Server-wide settings such as the JWT signing secret, so tokens survive restarts, and the
 * sandbox test clock offset (`sandbox_clock_offset_seconds`), shared by every instance.
 */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
