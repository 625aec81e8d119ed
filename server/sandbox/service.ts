/**
 * Sandbox test clock: advance the server-wide clock and run at once what the passing time causes.
 *
 * Source: advanceSandboxClock.
 */
import { expireDueSessions } from '../checkout-sessions/service.ts';
import type { AppDeps } from '../deps.ts';
import { settleDuePayments } from '../payments/service.ts';
import { purgeExpiredIdempotencyKeys } from '../idempotency/index.ts';
import { advanceClockOffset, type ServerClock } from './clock.ts';

/**
 * Runs the time-driven sweeps on the current clock: expires open checkout sessions past
 * `expiresAt`, settles due pending payments (each change with its events and webhook
 * deliveries) and forgets idempotency keys past their 24 hours, then wakes the webhook worker so that deliveries now due are sent.
 * @returns how many sessions expired and payments settled.
 */
export async function runSweeps(deps: AppDeps): Promise<{ expired: number; settled: number }> {
  const [settled, expired] = await Promise.all([
    settleDuePayments(deps),
    expireDueSessions(deps),
    purgeExpiredIdempotencyKeys(deps.db, deps.now()),
  ]);
  deps.wakeWebhookWorker?.();
  return { expired, settled };
}

/**
 * advanceSandboxClock: adds `seconds` to the shared offset, then runs the sweeps.
 * @param seconds 1 to 2 592 000 (30 days), validated by the contract.
 * @returns the new server time and offset in seconds.
 * @throws Error when the server has no clock to advance (deps built without `startServer`).
 */
export async function advanceClock(deps: AppDeps, seconds: number): Promise<{ now: Date; offsetSeconds: number }> {
  const clock: ServerClock | undefined = deps.clock;
  if (!clock) throw new Error('This server has no sandbox clock (deps.clock is not set)');
  const offsetSeconds = await advanceClockOffset(deps.db, clock, seconds);
  await runSweeps(deps);
  return { now: deps.now(), offsetSeconds };
}
