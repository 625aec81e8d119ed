/**
 * Reading disbursements and escrow-disbursements: one, or a filtered page. Due payouts of the
 * merchant are processed first, so no reader sees a disbursement pending past its time.
 *
 * Sources: getDisbursement, listDisbursements, getEscrowDisbursement, listEscrowDisbursements.
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../errors/problem.ts';
import { processDuePayouts } from './payouts.ts';
import * as repo from './repository.ts';
import type { DisbursementFilters, DisbursementKind, DisbursementWithRecipients } from './repository.ts';

/**
 * One disbursement of the merchant and kind.
 * @throws ProblemError 404 `not_found` for an unknown id or another merchant's (or the other kind's).
 */
export async function getDisbursement(db: Executor, deps: AppDeps, merchantId: string, kind: DisbursementKind, id: string): Promise<DisbursementWithRecipients> {
  await processDuePayouts(db, deps, merchantId);
  const d = await repo.findDisbursement(db, merchantId, kind, id);
  if (!d) throw notFound(kind === 'escrow' ? 'escrow-disbursement' : 'disbursement', id);
  return d;
}

/** Newest first, filtered; one page plus one row to detect more. */
export async function listDisbursements(db: Executor, deps: AppDeps, merchantId: string, kind: DisbursementKind, filters: DisbursementFilters): Promise<DisbursementWithRecipients[]> {
  await processDuePayouts(db, deps, merchantId);
  return repo.listDisbursements(db, merchantId, kind, filters);
}
