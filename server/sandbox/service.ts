/**
 * Sandbox test clock: move the caller's clock forward, then ask the jobs to run now, so what the
 * passing time causes for that merchant (expiries, settlements, deliveries due, escrow releases)
 * happens at once. Other merchants' clocks do not move.
 *
 * Source: advanceSandboxClock.
 */
import { advanceClockOffset } from '../clock/index.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';

/**
 * advanceSandboxClock: adds `seconds` to the merchant's offset, then runs the jobs (`deps.jobs.runAll`) on `db`.
 * @param seconds 1 to 2 592 000 (30 days), validated by the contract.
 * @returns the merchant's new time and its offset in seconds.
 */
export async function advanceClock(db: Executor, deps: AppDeps, merchantId: string, seconds: number): Promise<{ now: Date; offsetSeconds: number }> {
  const offsetSeconds = await advanceClockOffset(db, deps.clock, merchantId, seconds);
  await deps.jobs.runAll(db);
  return { now: deps.now(merchantId), offsetSeconds };
}
