/** The `disbursement.*` events: their `data.object` is the disbursement as getDisbursement returns it. */
import type { FamilyModule } from '../http/family.ts';
import type { DisbursementWithRecipients } from './repository.ts';
import { toDisbursement } from './resource.ts';

const disbursement = (d: DisbursementWithRecipients) => toDisbursement(d);

/** Serializers of the event types the disbursements family records. */
export const disbursementEventSerializers: NonNullable<FamilyModule['eventSerializers']> = {
  'disbursement.created': disbursement,
  'disbursement.completed': disbursement,
  'disbursement.failed': disbursement,
  'disbursement.cancelled': disbursement,
};
