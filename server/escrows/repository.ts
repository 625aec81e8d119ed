/** SQL for escrows. Plain rows in, plain rows out. */
import { and, asc, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { ServerClock } from '../clock/index.ts';
import type { Executor } from '../db/index.ts';
import { runPrepared } from '../db/prepared.ts';
import { fetchSize, listConditions, listOrder, type ListQuery } from '../http/pagination.ts';
import { escrows } from './schema.ts';

export type EscrowRow = typeof escrows.$inferSelect;
export type NewEscrowRow = typeof escrows.$inferInsert;
export type EscrowStatus = EscrowRow['status'];

export async function insertEscrow(db: Executor, row: NewEscrowRow): Promise<EscrowRow> {
  const [created] = await db.insert(escrows).values(row).returning();
  return created!;
}

const byIdOfMerchant = (db: Executor) =>
  db
    .select()
    .from(escrows)
    .where(and(eq(escrows.id, sql.placeholder('escrowId')), eq(escrows.merchantId, sql.placeholder('merchantId'))))
    .limit(1);

/** An escrow of this merchant (never another merchant's); `forUpdate` locks the row until the transaction ends. */
export async function findEscrow(db: Executor, merchantId: string, escrowId: string, forUpdate = false): Promise<EscrowRow | undefined> {
  if (forUpdate) {
    const [row] = await db.select().from(escrows).where(and(eq(escrows.id, escrowId), eq(escrows.merchantId, merchantId))).limit(1).for('update');
    return row;
  }
  const [row] = await runPrepared(db, 'escrows_find', byIdOfMerchant, { escrowId, merchantId });
  return row;
}

/** An escrow by id whatever its merchant, locked until the transaction ends (the jobs). */
export async function lockEscrowById(db: Executor, escrowId: string): Promise<EscrowRow | undefined> {
  const [row] = await db.select().from(escrows).where(eq(escrows.id, escrowId)).limit(1).for('update');
  return row;
}

export async function updateEscrow(db: Executor, escrowId: string, changes: Partial<NewEscrowRow>): Promise<EscrowRow> {
  const [row] = await db.update(escrows).set(changes).where(eq(escrows.id, escrowId)).returning();
  return row!;
}

/** Filters of listEscrows. */
export interface EscrowFilters extends ListQuery {
  status?: EscrowStatus;
}

export async function listEscrows(db: Executor, merchantId: string, filters: EscrowFilters): Promise<EscrowRow[]> {
  const conditions: SQL[] = [eq(escrows.merchantId, merchantId), ...listConditions(filters, escrows)];
  if (filters.status) conditions.push(eq(escrows.status, filters.status));
  return db.select().from(escrows).where(and(...conditions)).orderBy(...listOrder(escrows)).limit(fetchSize(filters));
}

/**
 * Ids of funded escrows whose deadline or release time has come on their merchant's clock
 * (disputed ones are not `funded`, so never released here), optionally of one merchant.
 */
export async function findDueReleases(db: Executor, clock: Pick<ServerClock, 'sqlNow'>, merchantId?: string): Promise<string[]> {
  const conditions: SQL[] = [eq(escrows.status, 'funded'), lte(escrows.releaseAt, clock.sqlNow(escrows.merchantId))];
  if (merchantId) conditions.push(eq(escrows.merchantId, merchantId));
  const rows = await db.select({ id: escrows.id }).from(escrows).where(and(...conditions)).orderBy(asc(escrows.releaseAt)).limit(500);
  return rows.map((r) => r.id);
}

/** Ids of escrows awaiting delayed mobile money whose approval has come on their merchant's clock. */
export async function findDueFundings(db: Executor, clock: Pick<ServerClock, 'sqlNow'>, merchantId?: string): Promise<string[]> {
  const conditions: SQL[] = [eq(escrows.status, 'pending_funding'), lte(escrows.fundAt, clock.sqlNow(escrows.merchantId))];
  if (merchantId) conditions.push(eq(escrows.merchantId, merchantId));
  const rows = await db.select({ id: escrows.id }).from(escrows).where(and(...conditions)).orderBy(asc(escrows.fundAt)).limit(500);
  return rows.map((r) => r.id);
}
