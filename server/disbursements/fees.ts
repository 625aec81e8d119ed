/**
 * The disbursement fee schedule (the overview's *Disbursement fees*): per recipient, in basis
 * points of the amount, rounded up to a whole minor unit. Integer arithmetic only.
 */
import type { StoredDestination } from './schema.ts';

/** Basis points (1/100 of a percent) charged per recipient type. */
export const FEE_BASIS_POINTS: Readonly<Record<StoredDestination['type'], number>> = {
  mobile_money: 150,
  bank_account: 100,
  wallet: 0,
};

/**
 * The fee of paying `amount` (minor units) to a recipient of this type: `ceil(amount × bp / 10000)`,
 * computed exactly with BigInt.
 * @returns minor units, 0 for a payer wallet.
 */
export function feeFor(type: StoredDestination['type'], amount: number): number {
  const bp = BigInt(FEE_BASIS_POINTS[type]);
  const scaled = BigInt(amount) * bp;
  return Number((scaled + 9999n) / 10000n);
}
