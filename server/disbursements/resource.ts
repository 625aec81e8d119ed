/** Maps stored rows to the contract's `DisbursementQuote`, `Disbursement` and `EscrowDisbursement` shapes (the edge). */
import type { components } from '../../generated/schema.d.ts';
import type { DisbursementWithRecipients, QuoteRow, RecipientRow } from './repository.ts';

export type DisbursementQuote = components['schemas']['DisbursementQuote'];
export type Disbursement = components['schemas']['Disbursement'];
export type EscrowDisbursement = components['schemas']['EscrowDisbursement'];
type Recipient = components['schemas']['DisbursementRecipient'];

/** The API representation of a quote. */
export function toQuote(row: QuoteRow): DisbursementQuote {
  return {
    id: row.id,
    currency: row.currency,
    recipients: row.recipients.map((r) => ({ destination: r.destination, amount: r.amount, fee: r.fee, reference: r.reference })),
    amount: row.amount,
    fee: row.fee,
    total: row.total,
    expiresAt: row.expiresAt.toISOString(),
    disbursementId: row.disbursementId,
    createdAt: row.createdAt.toISOString(),
  };
}

function toRecipient(r: RecipientRow): Recipient {
  return {
    destination: r.destination,
    amount: r.amount,
    fee: r.fee,
    reference: r.reference,
    status: r.status,
    failureCode: r.failureCode,
    failureMessage: r.failureMessage,
    paidAt: r.paidAt?.toISOString() ?? null,
  };
}

/** The API representation of a (standard) disbursement. */
export function toDisbursement(d: DisbursementWithRecipients): Disbursement {
  if (d.status === 'held') throw new Error(`Disbursement ${d.id} is held: an escrow-disbursement`);
  return {
    id: d.id,
    quoteId: d.quoteId,
    status: d.status,
    currency: d.currency,
    amount: d.amount,
    fee: d.fee,
    total: d.total,
    recipients: d.recipients.map(toRecipient),
    description: d.description,
    applicationId: d.applicationId,
    metadata: d.metadata,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    completedAt: d.completedAt?.toISOString() ?? null,
  };
}

/** The API representation of an escrow-disbursement. */
export function toEscrowDisbursement(d: DisbursementWithRecipients): EscrowDisbursement {
  return {
    id: d.id,
    quoteId: d.quoteId,
    status: d.status,
    currency: d.currency,
    amount: d.amount,
    fee: d.fee,
    total: d.total,
    recipients: d.recipients.map(toRecipient),
    description: d.description,
    applicationId: d.applicationId,
    metadata: d.metadata,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    releasedAt: d.releasedAt?.toISOString() ?? null,
    completedAt: d.completedAt?.toISOString() ?? null,
  };
}
