/**
 * Sandbox test clock: move the server-wide clock forward, then ask the jobs to run now, so what
 * the passing time causes (expiries, settlements, deliveries due) happens at once.
 *
 * Source: advanceSandboxClock.
 */
import { advanceClockOffset } from '../clock/index.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';

/**
 * advanceSandboxClock: adds `seconds` to the shared offset, then runs the jobs (`deps.jobs.runAll`) on `db`.
 * @param seconds 1 to 2 592 000 (30 days), validated by the contract.
 * @returns the new server time and the offset in seconds.
 * @throws Error when the server has no clock to advance (deps built without `startServer`).
 */
export async function advanceClock(db: Executor, deps: AppDeps, seconds: number): Promise<{ now: Date; offsetSeconds: number }> {
  if (!deps.clock) throw new Error('This server has no sandbox clock (deps.clock is not set)');
  const offsetSeconds = await advanceClockOffset(db, deps.clock, seconds);
  await deps.jobs.runAll(db);
  return { now: deps.now(), offsetSeconds };
}
