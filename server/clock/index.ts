/**
 * The server clock: a base clock (the system clock, or a test's clock) plus one sandbox test
 * clock per merchant, as Stripe's test clocks are objects: advancing a merchant's clock
 * (`advanceSandboxClock`) moves the time of that merchant's objects only — its checkout-session
 * expiries, payment settlements, webhook retries and escrow deadlines — and nobody else's.
 *
 * The rule for code that reads the time:
 * - time of a merchant's objects → `deps.now(merchantId)` (in a handler: `ctx.now()`); in SQL of
 *   a job that scans every merchant's rows → `deps.clock.sqlNow(table.merchantId)`;
 * - time that protects a merchant (credential lifetimes, idempotency windows, leases, rate limits)
 *   → `deps.realNow()`, which no test clock moves.
 *
 * The offsets are kept in the `merchant_clocks` table so that every instance on the database
 * shares them and they survive restarts; each instance keeps a copy in memory (the hot path reads
 * no table), refreshed by the sandbox clock-sync job, and updated at once by an advance it serves.
 * A live server ignores the offsets: every merchant's time is the base clock.
 */
import { eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { merchantClocks } from './schema.ts';

export { merchantClocks } from './schema.ts';

/** Largest single advance, in seconds (30 days), as the contract's `AdvanceClockRequest` says. */
export const MAX_ADVANCE_SECONDS = 2_592_000;

/** The base clock and the per-merchant test clocks over it. */
export interface ServerClock {
  /** The base clock: real time (or a test's base clock), no test-clock offset. */
  base(): Date;
  /** The merchant's time: the base clock plus its test-clock offset (no offset on a live server). */
  now(merchantId: string): Date;
  /** Seconds the merchant's clock runs ahead of the base clock (0 unless advanced; 0 when live). */
  offsetOf(merchantId: string): number;
  /** Records the merchant's offset as read from the database (never moves a clock back). */
  setOffset(merchantId: string, seconds: number): void;
  /**
   * A SQL `timestamptz` expression: the current time of the merchant whose id `merchantId` (a
   * column) holds — the base clock now plus that merchant's offset from `merchant_clocks`. Jobs
   * that scan every merchant's rows compare against it (e.g. `expires_at <= sqlNow(merchant_id)`).
   */
  sqlNow(merchantId: SQLWrapper): SQL;
  /** Whether the offsets apply (sandbox mode). */
  readonly sandbox: boolean;
}

/**
 * A server clock over `base` (default: the system clock).
 * @param base The base clock; a test's clock replaces the system clock, the offsets still apply.
 * @param sandbox Whether test-clock offsets apply (false on a live server).
 */
export function createServerClock(base: () => Date = () => new Date(), sandbox = true): ServerClock {
  const offsets = new Map<string, number>();
  const offsetOf = (merchantId: string) => (sandbox ? (offsets.get(merchantId) ?? 0) : 0);
  return {
    base,
    sandbox,
    now: (merchantId) => {
      const offset = offsetOf(merchantId);
      const at = base();
      return offset === 0 ? at : new Date(at.getTime() + offset * 1000);
    },
    offsetOf,
    setOffset(merchantId, seconds) {
      if (Number.isSafeInteger(seconds) && seconds > (offsets.get(merchantId) ?? 0)) offsets.set(merchantId, seconds);
    },
    sqlNow(merchantId) {
      const at = base().toISOString();
      if (!sandbox) return sql`${at}::timestamptz`;
      return sql`(${at}::timestamptz + coalesce((select ${merchantClocks.offsetSeconds} from ${merchantClocks} where ${merchantClocks.merchantId} = ${merchantId}), 0) * interval '1 second')`;
    },
  };
}

/**
 * Reads every merchant's offset from the database into `clock` (another instance may have
 * advanced one). Cheap: only merchants whose clock was ever advanced have a row.
 */
export async function refreshClockOffsets(db: Executor, clock: ServerClock): Promise<void> {
  const rows = await db.select().from(merchantClocks);
  for (const row of rows) clock.setOffset(row.merchantId, row.offsetSeconds);
}

/**
 * Adds `seconds` to the merchant's offset in one atomic statement (concurrent advances from
 * several instances add up) and updates `clock`.
 * @param seconds 1 to {@link MAX_ADVANCE_SECONDS}.
 * @returns the merchant's new offset in seconds.
 * @throws RangeError when `seconds` is out of range (the contract rejects it before).
 */
export async function advanceClockOffset(db: Executor, clock: ServerClock, merchantId: string, seconds: number): Promise<number> {
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_ADVANCE_SECONDS) {
    throw new RangeError(`seconds must be an integer from 1 to ${MAX_ADVANCE_SECONDS}, got ${seconds}`);
  }
  const [row] = await db
    .insert(merchantClocks)
    .values({ merchantId, offsetSeconds: seconds })
    .onConflictDoUpdate({ target: merchantClocks.merchantId, set: { offsetSeconds: sql`${merchantClocks.offsetSeconds} + ${seconds}` } })
    .returning({ offsetSeconds: merchantClocks.offsetSeconds });
  clock.setOffset(merchantId, row!.offsetSeconds);
  return row!.offsetSeconds;
}

/** The merchant's stored offset (0 when its clock was never advanced). */
export async function storedClockOffset(db: Executor, merchantId: string): Promise<number> {
  const [row] = await db.select().from(merchantClocks).where(eq(merchantClocks.merchantId, merchantId));
  return row?.offsetSeconds ?? 0;
}
