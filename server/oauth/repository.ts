/** SQL of the oauth family: payers, grants, codes and tokens. Plain rows in, plain rows out. */
import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { oauthCodes, oauthGrants, oauthTokens, payers } from './schema.ts';

export type PayerRow = typeof payers.$inferSelect;
export type NewPayerRow = typeof payers.$inferInsert;
export type GrantRow = typeof oauthGrants.$inferSelect;
export type CodeRow = typeof oauthCodes.$inferSelect;
export type NewCodeRow = typeof oauthCodes.$inferInsert;
export type TokenRow = typeof oauthTokens.$inferSelect;

/** Inserts a payer, or returns `undefined` when the merchant already has one with this email. */
export async function insertPayer(db: Executor, row: NewPayerRow): Promise<PayerRow | undefined> {
  const [created] = await db.insert(payers).values(row).onConflictDoNothing().returning();
  return created;
}

export async function findPayer(db: Executor, userId: string): Promise<PayerRow | undefined> {
  const [row] = await db.select().from(payers).where(eq(payers.id, userId)).limit(1);
  return row;
}

/** The merchant's payer with this (lowercased) email. */
export async function findPayerByEmail(db: Executor, merchantId: string, email: string): Promise<PayerRow | undefined> {
  const [row] = await db
    .select()
    .from(payers)
    .where(and(eq(payers.merchantId, merchantId), eq(payers.email, email)))
    .limit(1);
  return row;
}

/** What an access token verifies to: its grant and its scopes, if the token and the grant are live at `now`. */
export async function findLiveAccessToken(db: Executor, tokenHash: string, now: Date): Promise<{ grant: GrantRow; scopes: string[] } | undefined> {
  const [row] = await db
    .select({ grant: oauthGrants, scopes: oauthTokens.scopes })
    .from(oauthTokens)
    .innerJoin(oauthGrants, eq(oauthGrants.id, oauthTokens.grantId))
    .where(
      and(
        eq(oauthTokens.tokenHash, tokenHash),
        eq(oauthTokens.kind, 'access'),
        isNull(oauthTokens.revokedAt),
        gt(oauthTokens.expiresAt, now),
        isNull(oauthGrants.revokedAt),
      ),
    )
    .limit(1);
  return row;
}

export async function insertGrant(db: Executor, row: typeof oauthGrants.$inferInsert): Promise<GrantRow> {
  const [created] = await db.insert(oauthGrants).values(row).returning();
  return created!;
}

export async function findGrant(db: Executor, grantId: string): Promise<GrantRow | undefined> {
  const [row] = await db.select().from(oauthGrants).where(eq(oauthGrants.id, grantId)).limit(1);
  return row;
}

/** Revokes the grant and every token of it at `now` (idempotent). */
export async function revokeGrant(db: Executor, grantId: string, now: Date): Promise<void> {
  await db.update(oauthGrants).set({ revokedAt: now }).where(and(eq(oauthGrants.id, grantId), isNull(oauthGrants.revokedAt)));
  await db.update(oauthTokens).set({ revokedAt: now }).where(and(eq(oauthTokens.grantId, grantId), isNull(oauthTokens.revokedAt)));
}

export async function insertCode(db: Executor, row: NewCodeRow): Promise<CodeRow> {
  const [created] = await db.insert(oauthCodes).values(row).returning();
  return created!;
}

export async function findCode(db: Executor, codeHash: string): Promise<CodeRow | undefined> {
  const [row] = await db.select().from(oauthCodes).where(eq(oauthCodes.codeHash, codeHash)).limit(1);
  return row;
}

/** Spends the code at `now`, if still unused. @returns whether this call spent it (single use under concurrency). */
export async function spendCode(db: Executor, codeHash: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(oauthCodes)
    .set({ usedAt: now })
    .where(and(eq(oauthCodes.codeHash, codeHash), isNull(oauthCodes.usedAt)))
    .returning({ codeHash: oauthCodes.codeHash });
  return rows.length > 0;
}

export async function setCodeGrant(db: Executor, codeHash: string, grantId: string): Promise<void> {
  await db.update(oauthCodes).set({ grantId }).where(eq(oauthCodes.codeHash, codeHash));
}

export async function insertTokens(db: Executor, rows: (typeof oauthTokens.$inferInsert)[]): Promise<void> {
  await db.insert(oauthTokens).values(rows);
}

export async function findToken(db: Executor, tokenHash: string): Promise<TokenRow | undefined> {
  const [row] = await db.select().from(oauthTokens).where(eq(oauthTokens.tokenHash, tokenHash)).limit(1);
  return row;
}

/** Marks a refresh token rotated at `now`, if it is still unused and unrevoked. @returns whether this call did. */
export async function rotateRefreshToken(db: Executor, tokenHash: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(oauthTokens)
    .set({ usedAt: now })
    .where(and(eq(oauthTokens.tokenHash, tokenHash), eq(oauthTokens.kind, 'refresh'), isNull(oauthTokens.usedAt), isNull(oauthTokens.revokedAt)))
    .returning({ tokenHash: oauthTokens.tokenHash });
  return rows.length > 0;
}

/** Revokes one token at `now` (idempotent). */
export async function revokeToken(db: Executor, tokenHash: string, now: Date): Promise<void> {
  await db
    .update(oauthTokens)
    .set({ revokedAt: sql`coalesce(${oauthTokens.revokedAt}, ${now})` })
    .where(eq(oauthTokens.tokenHash, tokenHash));
}

/** Deletes codes and tokens that expired before `before` (their reuse no longer matters). @returns how many rows. */
export async function deleteExpiredBefore(db: Executor, before: Date): Promise<number> {
  const codes = await db.delete(oauthCodes).where(lt(oauthCodes.expiresAt, before)).returning({ codeHash: oauthCodes.codeHash });
  const tokens = await db.delete(oauthTokens).where(lt(oauthTokens.expiresAt, before)).returning({ tokenHash: oauthTokens.tokenHash });
  return codes.length + tokens.length;
}
