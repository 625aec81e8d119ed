/**
 * The disbursements family: quotes, payouts to mobile money, bank accounts and payer wallets,
 * their cancellation and the payout job. Other families reach it only through this file: the
 * escrows family builds its escrow-disbursements on {@link payQuote}, {@link release},
 * {@link cancel} and the queries with `kind: 'escrow'`.
 */
import { defineFamily } from '../http/family.ts';
import { disbursementEventSerializers } from './events.ts';
import { disbursementsHandlers } from './handlers.ts';
import { processDuePayouts } from './payouts.ts';

export { cancel, payQuote, processDuePayouts, release } from './payouts.ts';
export { getDisbursement, listDisbursements } from './queries.ts';
export { toEscrowDisbursement, type EscrowDisbursement } from './resource.ts';
export type { DisbursementFilters, DisbursementKind, DisbursementWithRecipients } from './repository.ts';
export { FEE_BASIS_POINTS, feeFor } from './fees.ts';

/** The disbursements family module. */
export const disbursements = defineFamily({
  tag: 'disbursements',
  handlers: disbursementsHandlers,
  eventSerializers: disbursementEventSerializers,
  jobs: [
    {
      name: 'disbursements.payouts',
      intervalMs: 1000,
      run: (deps) => processDuePayouts(deps.db, deps),
    },
  ],
});
