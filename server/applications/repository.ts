/** SQL for applications and client tokens. Plain rows in, plain rows out. */
import { and, eq, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { runPrepared } from '../db/prepared.ts';
import { fetchSize, listConditions, listOrder, type ListQuery } from '../http/pagination.ts';
import { merchants } from '../merchants/schema.ts';
import { applications, clientTokens } from './schema.ts';

export type ApplicationRow = typeof applications.$inferSelect;
export type NewApplicationRow = typeof applications.$inferInsert;
export type ClientTokenRow = typeof clientTokens.$inferSelect;
export type NewClientTokenRow = typeof clientTokens.$inferInsert;

export async function insertApplication(db: Executor, row: NewApplicationRow): Promise<ApplicationRow> {
  const [created] = await db.insert(applications).values(row).returning();
  return created!;
}

/** An application of this merchant. */
export async function findApplication(db: Executor, merchantId: string, applicationId: string): Promise<ApplicationRow | undefined> {
  const [row] = await db
    .select()
    .from(applications)
    .where(and(eq(applications.id, applicationId), eq(applications.merchantId, merchantId)))
    .limit(1);
  return row;
}

/** The merchant's application with this client id. */
export async function findApplicationByClientId(db: Executor, merchantId: string, clientId: string): Promise<ApplicationRow | undefined> {
  const [row] = await db
    .select()
    .from(applications)
    .where(and(eq(applications.clientId, clientId), eq(applications.merchantId, merchantId)))
    .limit(1);
  return row;
}

/** The application with this client id, whatever its merchant (the OAuth client of the authorization server). */
export async function findApplicationByClientIdAnyMerchant(db: Executor, clientId: string): Promise<ApplicationRow | undefined> {
  const [row] = await db.select().from(applications).where(eq(applications.clientId, clientId)).limit(1);
  return row;
}

/** The merchant's default application. */
export async function findDefaultApplication(db: Executor, merchantId: string): Promise<ApplicationRow | undefined> {
  const [row] = await db
    .select()
    .from(applications)
    .where(and(eq(applications.merchantId, merchantId), eq(applications.isDefault, true)))
    .limit(1);
  return row;
}

export async function listApplications(db: Executor, merchantId: string, query: ListQuery): Promise<ApplicationRow[]> {
  const conditions: SQL[] = [eq(applications.merchantId, merchantId), ...listConditions(query, applications)];
  return db.select().from(applications).where(and(...conditions)).orderBy(...listOrder(applications)).limit(fetchSize(query));
}

export async function updateApplication(db: Executor, applicationId: string, changes: Partial<NewApplicationRow>): Promise<ApplicationRow> {
  const [row] = await db.update(applications).set(changes).where(eq(applications.id, applicationId)).returning();
  return row!;
}

export async function insertClientToken(db: Executor, row: NewClientTokenRow): Promise<ClientTokenRow> {
  const [created] = await db.insert(clientTokens).values(row).returning();
  return created!;
}

export async function listClientTokens(db: Executor, applicationId: string, query: ListQuery): Promise<ClientTokenRow[]> {
  const conditions: SQL[] = [eq(clientTokens.applicationId, applicationId), ...listConditions(query, clientTokens)];
  return db.select().from(clientTokens).where(and(...conditions)).orderBy(...listOrder(clientTokens)).limit(fetchSize(query));
}

/** A token of this application and merchant. */
export async function findClientToken(db: Executor, merchantId: string, applicationId: string, tokenId: string): Promise<ClientTokenRow | undefined> {
  const [row] = await db
    .select()
    .from(clientTokens)
    .where(and(eq(clientTokens.id, tokenId), eq(clientTokens.applicationId, applicationId), eq(clientTokens.merchantId, merchantId)))
    .limit(1);
  return row;
}

/** Sets `revokedAt` unless already revoked. @returns the row afterwards. */
export async function revokeClientToken(db: Executor, tokenId: string, at: Date): Promise<ClientTokenRow> {
  await db.update(clientTokens).set({ revokedAt: at }).where(and(eq(clientTokens.id, tokenId), isNull(clientTokens.revokedAt)));
  const [row] = await db.select().from(clientTokens).where(eq(clientTokens.id, tokenId)).limit(1);
  return row!;
}

/** The token with this hash and its merchant, whatever its state (the caller checks revocation and expiry). */
export async function findClientTokenByHash(db: Executor, tokenHash: string) {
  const build = (d: Executor) =>
    d
      .select({ token: clientTokens, merchant: { id: merchants.id, name: merchants.name } })
      .from(clientTokens)
      .innerJoin(merchants, eq(clientTokens.merchantId, merchants.id))
      .where(eq(clientTokens.tokenHash, sql.placeholder('tokenHash')))
      .limit(1);
  const [row] = await runPrepared(db, 'client_tokens_by_hash', build, { tokenHash });
  return row;
}

/** Sets `lastUsedAt` to `at` unless it is already within the minute before `at`. */
export async function touchClientToken(db: Executor, tokenId: string, at: Date): Promise<void> {
  const minuteBefore = new Date(at.getTime() - 60_000);
  await db
    .update(clientTokens)
    .set({ lastUsedAt: at })
    .where(and(eq(clientTokens.id, tokenId), or(isNull(clientTokens.lastUsedAt), lt(clientTokens.lastUsedAt, minuteBefore))));
}
