/**
 * The escrows family. In this branch only its escrow-disbursements (a quoted payout held until
 * released); the escrows themselves are built alongside and merged into this module.
 */
import { defineFamily } from '../http/family.ts';
import { escrowDisbursementHandlers } from './escrow-disbursements/handlers.ts';

/** The escrows family module. */
export const escrows = defineFamily({
  tag: 'escrows',
  handlers: { ...escrowDisbursementHandlers },
});
