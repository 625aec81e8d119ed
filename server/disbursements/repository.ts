/** SQL of quotes, disbursements and their recipients. Plain rows in, plain rows out. */
import type { ServerClock } from '../clock/index.ts';
import { and, asc, eq, inArray, lte, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { fetchSize, listConditions, listOrder, type ListQuery } from '../http/pagination.ts';
import { disbursementQuotes, disbursementRecipients, disbursements } from './schema.ts';

export type QuoteRow = typeof disbursementQuotes.$inferSelect;
export type DisbursementRow = typeof disbursements.$inferSelect;
export type NewDisbursementRow = typeof disbursements.$inferInsert;
export type RecipientRow = typeof disbursementRecipients.$inferSelect;
export type DisbursementKind = DisbursementRow['kind'];

/** A disbursement with its recipients in order: what the services return. */
export type DisbursementWithRecipients = DisbursementRow & { recipients: RecipientRow[] };

export async function insertQuote(db: Executor, row: typeof disbursementQuotes.$inferInsert): Promise<QuoteRow> {
  const [created] = await db.insert(disbursementQuotes).values(row).returning();
  return created!;
}

/** A quote of this merchant, locked until the transaction ends. */
export async function lockQuote(db: Executor, merchantId: string, quoteId: string): Promise<QuoteRow | undefined> {
  const [row] = await db.select().from(disbursementQuotes).where(and(eq(disbursementQuotes.id, quoteId), eq(disbursementQuotes.merchantId, merchantId))).limit(1).for('update');
  return row;
}

export async function markQuoteUsed(db: Executor, quoteId: string, disbursementId: string): Promise<void> {
  await db.update(disbursementQuotes).set({ disbursementId }).where(eq(disbursementQuotes.id, quoteId));
}

export async function insertDisbursement(db: Executor, row: NewDisbursementRow, recipients: Omit<RecipientRow, 'disbursementId'>[]): Promise<DisbursementWithRecipients> {
  const [created] = await db.insert(disbursements).values(row).returning();
  const rows = await db.insert(disbursementRecipients).values(recipients.map((r) => ({ ...r, disbursementId: row.id }))).returning();
  return { ...created!, recipients: rows.sort((a, b) => a.position - b.position) };
}

/** A disbursement of this merchant and kind; `forUpdate` locks it until the transaction ends. */
export async function findDisbursement(db: Executor, merchantId: string, kind: DisbursementKind, id: string, forUpdate = false): Promise<DisbursementWithRecipients | undefined> {
  const query = db.select().from(disbursements).where(and(eq(disbursements.id, id), eq(disbursements.merchantId, merchantId), eq(disbursements.kind, kind))).limit(1);
  const [row] = forUpdate ? await query.for('update') : await query;
  if (!row) return undefined;
  return { ...row, recipients: await recipientsOf(db, row.id) };
}

/** A disbursement by id whatever its merchant (the payout job), locked; `skipLocked` skips one another instance holds. */
export async function lockDisbursementById(db: Executor, id: string): Promise<DisbursementWithRecipients | undefined> {
  const [row] = await db.select().from(disbursements).where(eq(disbursements.id, id)).limit(1).for('update', { skipLocked: true });
  if (!row) return undefined;
  return { ...row, recipients: await recipientsOf(db, row.id) };
}

async function recipientsOf(db: Executor, disbursementId: string): Promise<RecipientRow[]> {
  return db.select().from(disbursementRecipients).where(eq(disbursementRecipients.disbursementId, disbursementId)).orderBy(asc(disbursementRecipients.position));
}

export async function updateDisbursement(db: Executor, id: string, changes: Partial<NewDisbursementRow>): Promise<DisbursementRow> {
  const [row] = await db.update(disbursements).set(changes).where(eq(disbursements.id, id)).returning();
  return row!;
}

export async function updateRecipient(db: Executor, disbursementId: string, position: number, changes: Partial<RecipientRow>): Promise<void> {
  await db.update(disbursementRecipients).set(changes).where(and(eq(disbursementRecipients.disbursementId, disbursementId), eq(disbursementRecipients.position, position)));
}

/** Filters of the lists. */
export interface DisbursementFilters extends ListQuery {
  status?: DisbursementRow['status'];
}

/** One page (plus one row) of a merchant's disbursements of one kind, newest first, with their recipients. */
export async function listDisbursements(db: Executor, merchantId: string, kind: DisbursementKind, filters: DisbursementFilters): Promise<DisbursementWithRecipients[]> {
  const conditions: SQL[] = [eq(disbursements.merchantId, merchantId), eq(disbursements.kind, kind), ...listConditions(filters, disbursements)];
  if (filters.status) conditions.push(eq(disbursements.status, filters.status));
  const rows = await db.select().from(disbursements).where(and(...conditions)).orderBy(...listOrder(disbursements)).limit(fetchSize(filters));
  if (rows.length === 0) return [];
  const recipients = await db
    .select()
    .from(disbursementRecipients)
    .where(inArray(disbursementRecipients.disbursementId, rows.map((r) => r.id)))
    .orderBy(asc(disbursementRecipients.position));
  return rows.map((row) => ({ ...row, recipients: recipients.filter((r) => r.disbursementId === row.id) }));
}

/** Ids of pending disbursements whose payout is due on their merchant's clock (optionally of one merchant). */
export async function findDuePayouts(db: Executor, clock: Pick<ServerClock, 'sqlNow'>, merchantId?: string): Promise<string[]> {
  const conditions: SQL[] = [eq(disbursements.status, 'pending'), lte(disbursements.processAt, clock.sqlNow(disbursements.merchantId))];
  if (merchantId) conditions.push(eq(disbursements.merchantId, merchantId));
  const rows = await db.select({ id: disbursements.id }).from(disbursements).where(and(...conditions)).limit(100);
  return rows.map((r) => r.id);
}
