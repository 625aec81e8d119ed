/**
 * The escrows family: a payer's money held until its terms are met (delivery confirmation with a
 * deadline, or a release time), then released to the merchant, cancelled back to the payer, or
 * disputed until resolved; and escrow-disbursements, a quoted payout held until released. Other families reach escrows only through this file.
 */
import { defineFamily } from '../http/family.ts';
import { escrowEventSerializers } from './events.ts';
import { escrowsHandlers } from './handlers.ts';
import { escrowDisbursementHandlers } from './escrow-disbursements/handlers.ts';
import { runDueEscrows } from './timed.ts';

export { escrowAccounts } from './accounts.ts';
export type { EscrowRow } from './repository.ts';
export { toEscrow, amountHeld, type Escrow } from './resource.ts';
export { resolveDispute } from './transitions.ts';

/** The escrows family module. */
export const escrows = defineFamily({
  tag: 'escrows',
  handlers: {
    ...escrowsHandlers,
    ...escrowDisbursementHandlers,
  },
  eventSerializers: escrowEventSerializers,
  jobs: [
    {
      // Delayed mobile money funding its escrow, and releases at the terms' time, on each merchant's clock.
      name: 'escrows.timed',
      intervalMs: 1000,
      run: (deps) => runDueEscrows(deps.db, deps),
    },
  ],
});
