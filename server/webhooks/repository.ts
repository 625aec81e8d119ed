/** SQL for webhook endpoints, deliveries and attempts. Plain rows in, plain rows out. */
import { and, asc, count, eq, inArray, isNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Executor } from '../db/index.ts';
import type { ServerClock } from '../clock/index.ts';
import { events } from '../outbox/schema.ts';
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from './schema.ts';
import { fetchSize, listConditions, listOrder, type ListQuery } from '../http/pagination.ts';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type NewEndpointRow = typeof webhookEndpoints.$inferInsert;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type NewDeliveryRow = typeof webhookDeliveries.$inferInsert;
export type AttemptRow = typeof webhookAttempts.$inferSelect;

// --- endpoints -------------------------------------------------------------------------------

export async function insertEndpoint(db: Executor, row: NewEndpointRow): Promise<EndpointRow> {
  const [created] = await db.insert(webhookEndpoints).values(row).returning();
  return created!;
}

/** An endpoint of this merchant; `forUpdate` locks the row until the transaction ends. */
export async function findEndpoint(db: Executor, merchantId: string, endpointId: string, forUpdate = false): Promise<EndpointRow | undefined> {
  const query = db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.merchantId, merchantId)))
    .limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  return row;
}

export async function updateEndpoint(db: Executor, endpointId: string, changes: Partial<NewEndpointRow>): Promise<EndpointRow> {
  const [row] = await db.update(webhookEndpoints).set(changes).where(eq(webhookEndpoints.id, endpointId)).returning();
  return row!;
}

/** Deletes an endpoint of this merchant (its deliveries and attempts cascade). @returns whether it existed. */
export async function deleteEndpoint(db: Executor, merchantId: string, endpointId: string): Promise<boolean> {
  const rows = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.merchantId, merchantId)))
    .returning({ id: webhookEndpoints.id });
  return rows.length > 0;
}

export async function listEndpoints(db: Executor, merchantId: string, query: ListQuery): Promise<EndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.merchantId, merchantId), ...listConditions(query, webhookEndpoints)))
    .orderBy(...listOrder(webhookEndpoints))
    .limit(fetchSize(query));
}

/**
 * Serialises, until the transaction ends, the writers that take this lock with the same `key`
 * (a PostgreSQL transaction-level advisory lock on a hash of it): e.g. endpoint creation per
 * merchant, redelivery per event.
 */
export async function lockFor(tx: Executor, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

/** How many endpoints the merchant has, enabled or not. */
export async function countEndpoints(db: Executor, merchantId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, merchantId));
  return row?.n ?? 0;
}

/** The pending deliveries of an event to any of `endpointIds`. */
export async function pendingDeliveriesOf(db: Executor, eventId: string, endpointIds: string[]): Promise<DeliveryRow[]> {
  if (endpointIds.length === 0) return [];
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.eventId, eventId), inArray(webhookDeliveries.endpointId, endpointIds), eq(webhookDeliveries.status, 'pending')));
}

/** The enabled endpoints of a merchant (the fan-out candidates of its events). */
export async function enabledEndpoints(db: Executor, merchantId: string): Promise<Pick<EndpointRow, 'id' | 'events'>[]> {
  return db
    .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.merchantId, merchantId), isNull(webhookEndpoints.disabledReason)));
}

/** Whether an endpoint filter (`events`) selects an event type. */
export function subscribes(filter: readonly string[], type: string): boolean {
  return filter.includes('*') || filter.includes(type);
}

// --- deliveries ------------------------------------------------------------------------------

export async function insertDeliveries(db: Executor, rows: NewDeliveryRow[]): Promise<DeliveryRow[]> {
  if (rows.length === 0) return [];
  return db.insert(webhookDeliveries).values(rows).returning();
}

/** Marks every pending delivery of an endpoint `failed` (the endpoint was disabled). @returns how many. */
export async function failPendingDeliveries(db: Executor, endpointId: string): Promise<number> {
  const rows = await db
    .update(webhookDeliveries)
    .set({ status: 'failed', nextAttemptAt: null })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'pending')))
    .returning({ id: webhookDeliveries.id });
  return rows.length;
}

/** Filters of listWebhookDeliveries. */
export interface DeliveryFilters extends ListQuery {
  eventId?: string;
  status?: DeliveryRow['status'];
}

export async function listDeliveries(db: Executor, endpointId: string, filters: DeliveryFilters): Promise<DeliveryRow[]> {
  const conditions: SQL[] = [eq(webhookDeliveries.endpointId, endpointId), ...listConditions(filters, webhookDeliveries)];
  if (filters.eventId) conditions.push(eq(webhookDeliveries.eventId, filters.eventId));
  if (filters.status) conditions.push(eq(webhookDeliveries.status, filters.status));
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(...listOrder(webhookDeliveries))
    .limit(fetchSize(filters));
}

/** The attempts of these deliveries, oldest first. */
export async function attemptsOf(db: Executor, deliveryIds: string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  return db.select().from(webhookAttempts).where(inArray(webhookAttempts.deliveryId, deliveryIds)).orderBy(asc(webhookAttempts.id));
}

// --- the delivery worker -----------------------------------------------------------------------

/** What a worker needs to make one attempt, read when it claims the delivery. */
export interface ClaimedDelivery {
  id: string;
  merchantId: string;
  lockToken: string;
  attemptCount: number;
  eventId: string;
  eventType: string;
  eventCreatedAt: Date;
  eventData: { object: Record<string, unknown> };
  endpointId: string;
  url: string;
  disabled: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/**
 * Claims up to `limit` due deliveries for one worker, in one transaction: selects pending rows
 * due at `now` (server clock) whose lease is free or expired (database time) with
 * `FOR UPDATE SKIP LOCKED`, so concurrent workers on any instance never take the same row, sets
 * their lease (`lockedUntil = now() + leaseMs`, `lockToken`) and reads what sending needs. The
 * caller commits (returns) before any HTTP call.
 */
export async function claimDue(db: Db, clock: Pick<ServerClock, 'sqlNow'>, limit: number, leaseMs: number, lockToken: string): Promise<ClaimedDelivery[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: webhookDeliveries.id })
      .from(webhookDeliveries)
      .where(
        and(
          eq(webhookDeliveries.status, 'pending'),
          lte(webhookDeliveries.nextAttemptAt, clock.sqlNow(webhookDeliveries.merchantId)),
          or(isNull(webhookDeliveries.lockedUntil), lte(webhookDeliveries.lockedUntil, sql`now()`)),
        ),
      )
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(limit)
      .for('update', { skipLocked: true });
    if (due.length === 0) return [];
    const ids = due.map((d) => d.id);
    await tx
      .update(webhookDeliveries)
      .set({ lockedUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`, lockToken })
      .where(inArray(webhookDeliveries.id, ids));
    const rows = await tx
      .select({
        id: webhookDeliveries.id,
        merchantId: webhookDeliveries.merchantId,
        attemptCount: webhookDeliveries.attemptCount,
        eventId: events.id,
        eventType: events.type,
        eventCreatedAt: events.createdAt,
        eventData: events.data,
        endpointId: webhookEndpoints.id,
        url: webhookEndpoints.url,
        disabledReason: webhookEndpoints.disabledReason,
        secret: webhookEndpoints.secret,
        previousSecret: webhookEndpoints.previousSecret,
        previousSecretExpiresAt: webhookEndpoints.previousSecretExpiresAt,
      })
      .from(webhookDeliveries)
      .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(inArray(webhookDeliveries.id, ids));
    return rows.map(({ disabledReason, ...row }) => ({ ...row, lockToken, disabled: disabledReason !== null }));
  });
}

/** A delivery by id, locked until the transaction ends. */
export async function lockDelivery(db: Executor, deliveryId: string): Promise<DeliveryRow | undefined> {
  const [row] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).limit(1).for('update');
  return row;
}

export async function updateDelivery(db: Executor, deliveryId: string, changes: Partial<NewDeliveryRow>): Promise<void> {
  await db.update(webhookDeliveries).set(changes).where(eq(webhookDeliveries.id, deliveryId));
}

export async function insertAttempt(db: Executor, row: typeof webhookAttempts.$inferInsert): Promise<void> {
  await db.insert(webhookAttempts).values(row);
}

/**
 * The common case in one statement (one implicit transaction): a `2xx` answer to a delivery this
 * worker still holds (`lockToken`) marks it `delivered`, releases the lease and records the
 * attempt. Returns `false`, changing nothing, when the worker no longer holds the delivery (its
 * lease was taken over, or the endpoint was deleted); the caller then takes the general path.
 */
export async function recordDelivered(
  db: Executor,
  deliveryId: string,
  lockToken: string,
  attempt: { attemptedAt: Date; statusCode: number; latencyMs: number },
): Promise<boolean> {
  const at = attempt.attemptedAt.toISOString();
  const result = await db.execute(sql`
    WITH delivered AS (
      UPDATE ${webhookDeliveries}
      SET status = 'delivered', attempt_count = attempt_count + 1, delivered_at = ${at}::timestamptz,
          next_attempt_at = NULL, locked_until = NULL, lock_token = NULL
      WHERE id = ${deliveryId} AND lock_token = ${lockToken} AND status = 'pending'
      RETURNING id
    )
    INSERT INTO ${webhookAttempts} (delivery_id, attempted_at, status_code, latency_ms, error, next_retry_at)
    SELECT id, ${at}::timestamptz, ${attempt.statusCode}, ${attempt.latencyMs}, NULL, NULL FROM delivered
    RETURNING delivery_id`);
  return ((result as unknown as { rows?: unknown[] }).rows ?? []).length > 0;
}

/** Disables an endpoint after a `410 Gone` (unless it is already disabled). */
export async function disableGoneEndpoint(db: Executor, endpointId: string, now: Date): Promise<void> {
  await db
    .update(webhookEndpoints)
    .set({ disabledReason: 'gone', updatedAt: now })
    .where(and(eq(webhookEndpoints.id, endpointId), isNull(webhookEndpoints.disabledReason)));
}
