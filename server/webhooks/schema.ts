/** Tables of the webhooks family: endpoints, the delivery queue and its attempts. */
import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt } from '../db/columns.ts';
import { merchants } from '../merchants/schema.ts';
import { events } from '../outbox/schema.ts';

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
