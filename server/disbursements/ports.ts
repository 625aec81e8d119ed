/**
 * What disbursements asks of the family that owns payer wallets (ports.md §2), without
 * importing it. Implemented under `provides.wallets`; without it, wallet recipients are refused.
 */
import type { Tx } from '../db/index.ts';

/** The payer-wallet side of a payout to a registered payer (`usr_…`). */
export interface WalletsPort {
  /** The ledger account name of the payer's wallet (per name + currency in the ledger). */
  account(userId: string, currency: string): string;
  /**
   * Locks the payer's wallet row for the rest of the transaction and returns its balance in
   * minor units.
   * @throws ProblemError (404, or 422 with a pointer-friendly code) when no such payer exists.
   */
  lock(tx: Tx, userId: string, currency: string): Promise<number>;
}

declare module '../deps.ts' {
  interface Ports {
    /** Offered by the payer-identity family (wallets) to disbursements. */
    wallets: WalletsPort;
  }
}
