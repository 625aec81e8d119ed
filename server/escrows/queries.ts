/** Reads of escrows, each bringing the merchant's due fundings and releases up to date first. */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../errors/problem.ts';
import * as repo from './repository.ts';
import type { EscrowRow } from './repository.ts';
import { runDueEscrows } from './timed.ts';

/**
 * getEscrow: one escrow of the merchant.
 * @throws ProblemError 404 `not_found` for an unknown id or another merchant's escrow.
 */
export async function getEscrow(db: Executor, deps: AppDeps, merchantId: string, escrowId: string): Promise<EscrowRow> {
  await runDueEscrows(db, deps, merchantId);
  const escrow = await repo.findEscrow(db, merchantId, escrowId);
  if (!escrow) throw notFound('escrow', escrowId);
  return escrow;
}

/** listEscrows: newest first, filtered. @throws ProblemError 400 for a bad `cursor` or range. */
export async function listEscrows(db: Executor, deps: AppDeps, merchantId: string, filters: repo.EscrowFilters): Promise<EscrowRow[]> {
  await runDueEscrows(db, deps, merchantId);
  return repo.listEscrows(db, merchantId, filters);
}
