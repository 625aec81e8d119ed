/**
 * The wallets port (notes/ports.md §2): how other families (disbursements, escrows) move money
 * into or out of a registered payer's Tillpoint wallet with ordinary balanced ledger postings.
 * Implemented by payments under `provides.wallets`.
 */
import type { Tx } from '../db/index.ts';

/** Registered payers' wallets, for other families. */
export interface WalletsPort {
  /**
   * The ledger account of the payer's wallet (`payer:<userId>:wallet`); the ledger keeps one
   * balance per account and currency, so the name is the same in every currency.
   */
  account(userId: string, currency: string): string;
  /**
   * Locks the payer's wallet in `currency` until the transaction ends (`SELECT … FOR UPDATE`;
   * the wallet is opened at zero when the payer has none in that currency) and returns its
   * balance in minor units. Post after it, in the same transaction.
   * @param merchantId when given, a payer of another merchant's sandbox counts as absent.
   * @throws ProblemError 422 `payer_not_found` when no such payer exists (no `errors[]`: the
   *   caller knows the pointer of the field that named the payer).
   */
  lock(tx: Tx, userId: string, currency: string, merchantId?: string): Promise<number>;
}

declare module '../deps.ts' {
  interface Ports {
    /** Offered by payments to disbursements and escrows. */
    wallets: WalletsPort;
  }
}
