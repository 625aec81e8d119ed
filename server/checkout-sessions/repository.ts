/** SQL for checkout sessions. Plain rows in, plain rows out. */
import { and, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import type { ServerClock } from '../clock/index.ts';
import { runPrepared } from '../db/prepared.ts';
import { checkoutSessions } from './schema.ts';
import { fetchSize, listConditions, listOrder, type ListQuery } from '../http/pagination.ts';

export type SessionRow = typeof checkoutSessions.$inferSelect;

export async function insertSession(db: Executor, row: typeof checkoutSessions.$inferInsert): Promise<SessionRow> {
  const [created] = await db.insert(checkoutSessions).values(row).returning();
  return created!;
}

/** A session of this merchant, or by id alone when `merchantId` is null (hosted page). */
export async function findSession(db: Executor, merchantId: string | null, sessionId: string, forUpdate = false): Promise<SessionRow | undefined> {
  if (!forUpdate && merchantId) {
    const [row] = await runPrepared(db, 'checkout_sessions_find', byIdOfMerchant, { sessionId, merchantId });
    return row;
  }
  const where = merchantId ? and(eq(checkoutSessions.id, sessionId), eq(checkoutSessions.merchantId, merchantId)) : eq(checkoutSessions.id, sessionId);
  const query = db.select().from(checkoutSessions).where(where).limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  return row;
}

const byIdOfMerchant = (db: Executor) =>
  db
    .select()
    .from(checkoutSessions)
    .where(and(eq(checkoutSessions.id, sql.placeholder('sessionId')), eq(checkoutSessions.merchantId, sql.placeholder('merchantId'))))
    .limit(1);

export async function updateSession(db: Executor, sessionId: string, changes: Partial<SessionRow>): Promise<SessionRow> {
  const [row] = await db.update(checkoutSessions).set(changes).where(eq(checkoutSessions.id, sessionId)).returning();
  return row!;
}

/** Ids of open sessions past their expiry on their merchant's clock (optionally of one merchant). */
export async function findDueExpirations(db: Executor, clock: Pick<ServerClock, 'sqlNow'>, merchantId?: string): Promise<string[]> {
  const conditions: SQL[] = [eq(checkoutSessions.status, 'open'), lte(checkoutSessions.expiresAt, clock.sqlNow(checkoutSessions.merchantId))];
  if (merchantId) conditions.push(eq(checkoutSessions.merchantId, merchantId));
  const rows = await db.select({ id: checkoutSessions.id }).from(checkoutSessions).where(and(...conditions)).limit(500);
  return rows.map((r) => r.id);
}

/** Filters of listCheckoutSessions. */
export interface SessionFilters extends ListQuery {
  status?: SessionRow['status'];
  applicationId?: string;
}

export async function listSessions(db: Executor, merchantId: string, filters: SessionFilters): Promise<SessionRow[]> {
  const conditions: SQL[] = [eq(checkoutSessions.merchantId, merchantId), ...listConditions(filters, checkoutSessions)];
  if (filters.status) conditions.push(eq(checkoutSessions.status, filters.status));
  if (filters.applicationId) conditions.push(eq(checkoutSessions.applicationId, filters.applicationId));
  return db.select().from(checkoutSessions).where(and(...conditions)).orderBy(...listOrder(checkoutSessions)).limit(fetchSize(filters));
}
