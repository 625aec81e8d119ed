/** SQL of the otp family. Plain rows in, plain rows out. */
import { and, desc, eq, gt, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { otpChallenges, otpSandboxDeliveries } from './schema.ts';

export type OtpChallengeRow = typeof otpChallenges.$inferSelect;
export type NewOtpChallengeRow = typeof otpChallenges.$inferInsert;

/** Where a code went: a lowercased email, an E.164 phone number, or both. */
export interface Destination {
  email?: string;
  phoneNumber?: string;
}

/** Takes transaction-scoped advisory locks on each destination of the merchant (sorted, so two requests never deadlock). */
export async function lockDestinations(db: Executor, merchantId: string, to: Destination): Promise<void> {
  const keys = [to.email && `otp:${merchantId}:email:${to.email}`, to.phoneNumber && `otp:${merchantId}:phone:${to.phoneNumber}`].filter((k): k is string => !!k).sort();
  for (const key of keys) await db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

/** The merchant's latest code sent to the email OR the phone number (for the resend cooldown). */
export async function latestToEither(db: Executor, merchantId: string, to: Destination): Promise<OtpChallengeRow | undefined> {
  const either: SQL[] = [];
  if (to.email) either.push(eq(otpChallenges.email, to.email));
  if (to.phoneNumber) either.push(eq(otpChallenges.phoneNumber, to.phoneNumber));
  const [row] = await db
    .select()
    .from(otpChallenges)
    .where(and(eq(otpChallenges.merchantId, merchantId), or(...either)))
    .orderBy(desc(otpChallenges.createdAt), desc(otpChallenges.id))
    .limit(1);
  return row;
}

/** The merchant's latest code sent to the email AND the phone number given (each one that is given). */
export async function latestToBoth(db: Executor, merchantId: string, to: Destination): Promise<OtpChallengeRow | undefined> {
  const [row] = await db
    .select()
    .from(otpChallenges)
    .where(and(...matchBoth(merchantId, to)))
    .orderBy(desc(otpChallenges.createdAt), desc(otpChallenges.id))
    .limit(1);
  return row;
}

function matchBoth(merchantId: string, to: Destination): SQL[] {
  const conditions: SQL[] = [eq(otpChallenges.merchantId, merchantId)];
  if (to.email) conditions.push(eq(otpChallenges.email, to.email));
  if (to.phoneNumber) conditions.push(eq(otpChallenges.phoneNumber, to.phoneNumber));
  return conditions;
}

export async function insertChallenge(db: Executor, row: NewOtpChallengeRow): Promise<OtpChallengeRow> {
  const [created] = await db.insert(otpChallenges).values(row).returning();
  return created!;
}

export async function insertSandboxDelivery(db: Executor, challengeId: string, code: string): Promise<void> {
  await db.insert(otpSandboxDeliveries).values({ challengeId, code });
}

/**
 * Counts one wrong attempt, unless the code is used or already at `max` attempts.
 * @returns the attempts counted so far, or `undefined` when nothing was counted.
 */
export async function countWrongAttempt(db: Executor, id: string, max: number): Promise<number | undefined> {
  const [row] = await db
    .update(otpChallenges)
    .set({ attempts: sql`${otpChallenges.attempts} + 1` })
    .where(and(eq(otpChallenges.id, id), isNull(otpChallenges.consumedAt), lt(otpChallenges.attempts, max)))
    .returning({ attempts: otpChallenges.attempts });
  return row?.attempts;
}

/** Marks the code used at `now`, if it is still unused, unlocked and unexpired. @returns whether it was. */
export async function consume(db: Executor, id: string, max: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(otpChallenges)
    .set({ consumedAt: now })
    .where(and(eq(otpChallenges.id, id), isNull(otpChallenges.consumedAt), lt(otpChallenges.attempts, max), gt(otpChallenges.expiresAt, now)))
    .returning({ id: otpChallenges.id });
  return rows.length > 0;
}

export async function findChallenge(db: Executor, id: string): Promise<OtpChallengeRow | undefined> {
  const [row] = await db.select().from(otpChallenges).where(eq(otpChallenges.id, id)).limit(1);
  return row;
}

/** The latest code the sandbox kept for the destination (both given parts must match). */
export async function latestSandboxDelivery(db: Executor, merchantId: string, to: Destination): Promise<{ challenge: OtpChallengeRow; code: string } | undefined> {
  const [row] = await db
    .select({ challenge: otpChallenges, code: otpSandboxDeliveries.code })
    .from(otpChallenges)
    .innerJoin(otpSandboxDeliveries, eq(otpSandboxDeliveries.challengeId, otpChallenges.id))
    .where(and(...matchBoth(merchantId, to)))
    .orderBy(desc(otpChallenges.createdAt), desc(otpChallenges.id))
    .limit(1);
  return row;
}

/** Deletes codes (and their sandbox copies) created before `before`. @returns how many. */
export async function deleteChallengesBefore(db: Executor, before: Date): Promise<number> {
  const rows = await db.delete(otpChallenges).where(lt(otpChallenges.createdAt, before)).returning({ id: otpChallenges.id });
  return rows.length;
}
