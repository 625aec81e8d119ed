/**
 * The timed work of escrows, on each merchant's clock: delayed mobile money that was approved
 * funds its escrow, and funded escrows whose deadline or release time has come are released.
 * Run by the `escrows.timed` job (and at once by a sandbox clock advance) and before reads, so no
 * reader sees an escrow past its time. Funding runs first: an escrow funded late whose deadline
 * has already passed is released in the same run.
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import * as repo from './repository.ts';
import { fundIfDue, releaseIfDue } from './transitions.ts';

/**
 * Funds then releases what is due (of one merchant, or all), each escrow in its own transaction.
 * @returns how many escrows were funded and released.
 */
export async function runDueEscrows(db: Executor, deps: AppDeps, merchantId?: string): Promise<{ funded: number; released: number }> {
  let funded = 0;
  let released = 0;
  for (const id of await repo.findDueFundings(db, deps.clock, merchantId)) if (await fundIfDue(db, deps, id)) funded++;
  for (const id of await repo.findDueReleases(db, deps.clock, merchantId)) if (await releaseIfDue(db, deps, id)) released++;
  return { funded, released };
}
