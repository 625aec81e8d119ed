/**
 * The server clock: a base clock (the system clock, or a test's clock) plus the sandbox test
 * clock offset, which `advanceSandboxClock` moves forward. The offset is kept in the `settings`
 * table so that every instance on the database shares it and it survives restarts; each
 * instance refreshes its copy from the database (a jobs tick, a webhook delivery round).
 *
 * A live server ignores the offset: its clock is always the base clock.
 */
import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { settings } from '../settings/schema.ts';

/** `settings` key of the offset, in whole seconds (a decimal string). */
export const CLOCK_OFFSET_KEY = 'sandbox_clock_offset_seconds';

/** Largest single advance, in seconds (30 days), as the contract's `AdvanceClockRequest` says. */
export const MAX_ADVANCE_SECONDS = 2_592_000;

/** A clock that runs `offsetSeconds` ahead of its base clock. */
export interface ServerClock {
  /** Base time plus the offset. */
  now(): Date;
  /** Seconds ahead of the base clock (0 unless the sandbox clock was advanced). */
  readonly offsetSeconds: number;
  /** Replaces the offset (never moves it back: offsets only grow). */
  setOffset(seconds: number): void;
}

/**
 * A server clock over `base` (default: the system clock).
 * @param base The base clock; a test's clock replaces the system clock, the offset still applies.
 */
export function createServerClock(base: () => Date = () => new Date()): ServerClock {
  let offset = 0;
  return {
    now: () => new Date(base().getTime() + offset * 1000),
    get offsetSeconds() {
      return offset;
    },
    setOffset(seconds: number) {
      if (Number.isSafeInteger(seconds) && seconds > offset) offset = seconds;
    },
  };
}

/**
 * Reads the shared offset from the database into `clock` (another instance may have advanced it).
 * @returns the offset in seconds.
 */
export async function refreshClockOffset(db: Executor, clock: ServerClock): Promise<number> {
  const [row] = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, CLOCK_OFFSET_KEY));
  if (row) clock.setOffset(Number(row.value));
  return clock.offsetSeconds;
}

/**
 * Adds `seconds` to the shared offset in one atomic statement (concurrent advances from several
 * instances add up) and updates `clock`.
 * @param seconds 1 to {@link MAX_ADVANCE_SECONDS}.
 * @returns the new offset in seconds.
 * @throws RangeError when `seconds` is out of range (the contract rejects it before).
 */
export async function advanceClockOffset(db: Executor, clock: ServerClock, seconds: number): Promise<number> {
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_ADVANCE_SECONDS) {
    throw new RangeError(`seconds must be an integer from 1 to ${MAX_ADVANCE_SECONDS}, got ${seconds}`);
  }
  const [row] = await db
    .insert(settings)
    .values({ key: CLOCK_OFFSET_KEY, value: String(seconds) })
    .onConflictDoUpdate({ target: settings.key, set: { value: sql`(${settings.value}::bigint + ${seconds})::text` } })
    .returning({ value: settings.value });
  const offset = Number(row!.value);
  clock.setOffset(offset);
  return offset;
}
