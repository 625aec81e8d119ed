/** SQL for payments and refunds. Plain rows in, plain rows out. */
import { and, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { runPrepared } from '../db/prepared.ts';
import { payments, refunds, wallets } from './schema.ts';
import { fetchSize, listConditions, listOrder, type ListQuery } from '../http/pagination.ts';

export type PaymentRow = typeof payments.$inferSelect;
export type NewPaymentRow = typeof payments.$inferInsert;
export type RefundRow = typeof refunds.$inferSelect;

export async function insertPayment(db: Executor, row: NewPaymentRow): Promise<PaymentRow> {
  const [created] = await db.insert(payments).values(row).returning();
  return created!;
}

/** A payment of this merchant; `forUpdate` locks the row until the transaction ends. */
export async function findPayment(db: Executor, merchantId: string, paymentId: string, forUpdate = false): Promise<PaymentRow | undefined> {
  if (forUpdate) {
    const [row] = await db.select().from(payments).where(and(eq(payments.id, paymentId), eq(payments.merchantId, merchantId))).limit(1).for('update');
    return row;
  }
  const [row] = await runPrepared(db, 'payments_find', byIdOfMerchant, { paymentId, merchantId });
  return row;
}

const byIdOfMerchant = (db: Executor) =>
  db
    .select()
    .from(payments)
    .where(and(eq(payments.id, sql.placeholder('paymentId')), eq(payments.merchantId, sql.placeholder('merchantId'))))
    .limit(1);

/** A payment by id whatever its merchant (hosted pages, which hold the id as a capability). */
export async function findPaymentById(db: Executor, paymentId: string, forUpdate = false): Promise<PaymentRow | undefined> {
  const query = db.select().from(payments).where(eq(payments.id, paymentId)).limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  return row;
}

export async function updatePayment(db: Executor, paymentId: string, changes: Partial<NewPaymentRow>): Promise<PaymentRow> {
  const [row] = await db.update(payments).set(changes).where(eq(payments.id, paymentId)).returning();
  return row!;
}

/** Filters of listPayments. */
export interface PaymentFilters extends ListQuery {
  status?: PaymentRow['status'];
  checkoutSessionId?: string;
  applicationId?: string;
}

export async function listPayments(db: Executor, merchantId: string, filters: PaymentFilters): Promise<PaymentRow[]> {
  const conditions: SQL[] = [eq(payments.merchantId, merchantId), ...listConditions(filters, payments)];
  if (filters.status) conditions.push(eq(payments.status, filters.status));
  if (filters.checkoutSessionId) conditions.push(eq(payments.checkoutSessionId, filters.checkoutSessionId));
  if (filters.applicationId) conditions.push(eq(payments.applicationId, filters.applicationId));
  return db.select().from(payments).where(and(...conditions)).orderBy(...listOrder(payments)).limit(fetchSize(filters));
}

/** Ids of pending payments whose simulated settlement is due (optionally of one merchant). */
export async function findDueSettlements(db: Executor, now: Date, merchantId?: string): Promise<string[]> {
  const conditions: SQL[] = [eq(payments.status, 'pending'), lte(payments.settleAt, now)];
  if (merchantId) conditions.push(eq(payments.merchantId, merchantId));
  const rows = await db.select({ id: payments.id }).from(payments).where(and(...conditions)).limit(100);
  return rows.map((r) => r.id);
}

export async function insertRefund(db: Executor, row: typeof refunds.$inferInsert): Promise<RefundRow> {
  const [created] = await db.insert(refunds).values(row).returning();
  return created!;
}

export type WalletRow = typeof wallets.$inferSelect;

/** The payer's wallet row in `currency`, locked until the transaction ends. */
export async function lockWallet(db: Executor, userId: string, currency: string): Promise<WalletRow | undefined> {
  const [row] = await db.select().from(wallets).where(and(eq(wallets.userId, userId), eq(wallets.currency, currency))).limit(1).for('update');
  return row;
}

/** Opens a wallet at zero (nothing when it exists). */
export async function openWallet(db: Executor, row: typeof wallets.$inferInsert): Promise<void> {
  await db.insert(wallets).values(row).onConflictDoNothing();
}

/** The currencies of the payer's wallets, ordered. */
export async function walletCurrencies(db: Executor, userId: string): Promise<string[]> {
  const rows = await db.select({ currency: wallets.currency }).from(wallets).where(eq(wallets.userId, userId)).orderBy(wallets.currency);
  return rows.map((r) => r.currency);
}

