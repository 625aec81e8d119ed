/** Maps stored escrow rows to the contract's `Escrow` shape (the edge: handlers and event serializers). */
import type { components } from '../../generated/schema.d.ts';
import type { EscrowRow, EscrowStatus } from './repository.ts';

export type Escrow = components['schemas']['Escrow'];
type EscrowAction = components['schemas']['EscrowAction'];
type MethodDetails = Escrow['paymentMethod'];

/** What each status allows (contract `EscrowStatus`); any other action is 409 `invalid_state_transition`. */
export const ALLOWED_ACTIONS: Readonly<Record<EscrowStatus, readonly EscrowAction[]>> = {
  pending_funding: [],
  funded: ['release', 'cancel', 'dispute'],
  disputed: ['resolve'],
  released: [],
  cancelled: [],
  refunded: [],
};

/** What the escrow holds now, in minor units: the funded amount less what left it (0 before funding). */
export function amountHeld(row: Pick<EscrowRow, 'status' | 'amount' | 'amountReleased' | 'amountRefunded'>): number {
  return row.status === 'pending_funding' ? 0 : row.amount - row.amountReleased - row.amountRefunded;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The API representation of an escrow row. */
export function toEscrow(row: EscrowRow): Escrow {
  return {
    id: row.id,
    status: row.status,
    amount: row.amount,
    currency: row.currency,
    amountHeld: amountHeld(row),
    amountReleased: row.amountReleased,
    amountRefunded: row.amountRefunded,
    receiverId: row.merchantId,
    paymentMethod: { type: row.methodType, ...row.methodDetails } as MethodDetails,
    payer: { email: row.payerEmail, phoneNumber: row.payerPhoneNumber, userId: row.payerUserId },
    terms:
      row.termsType === 'delivery_confirmation'
        ? { type: 'delivery_confirmation', deadline: row.releaseAt.toISOString() }
        : { type: 'time_release', releaseAt: row.releaseAt.toISOString() },
    allowedActions: [...ALLOWED_ACTIONS[row.status]],
    dispute: row.disputeReason && row.disputedAt ? { reason: row.disputeReason, details: row.disputeDetails, openedAt: row.disputedAt.toISOString() } : null,
    resolution:
      row.resolutionOutcome && row.resolvedAt
        ? { outcome: row.resolutionOutcome, releaseAmount: row.amountReleased, refundAmount: row.amountRefunded, resolvedAt: row.resolvedAt.toISOString() }
        : null,
    releasedBy: row.releasedBy,
    cancellationReason: row.cancellationReason,
    description: row.description,
    reference: row.reference,
    applicationId: row.applicationId,
    metadata: row.metadata,
    fundedAt: iso(row.fundedAt),
    releasedAt: iso(row.releasedAt),
    cancelledAt: iso(row.cancelledAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
