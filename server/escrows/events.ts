/** The `escrow.*` events: their `data.object` is the escrow as getEscrow returns it. */
import type { FamilyModule } from '../http/family.ts';
import type { EscrowRow } from './repository.ts';
import { toEscrow } from './resource.ts';

const escrow = (row: EscrowRow) => toEscrow(row);

/** Serializers of the event types the escrows family records. */
export const escrowEventSerializers: NonNullable<FamilyModule['eventSerializers']> = {
  'escrow.funded': escrow,
  'escrow.released': escrow,
  'escrow.cancelled': escrow,
  'escrow.disputed': escrow,
  'escrow.resolved': escrow,
};
