/**
 * The merchant's balance, from the ledger.
 *
 * Source: getBalance.
 */
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { accountBalances, accounts } from '../ledger/index.ts';
import { settleDuePayments } from './settlement.ts';

/** Amount in minor units per currency. */
export type CurrencyAmounts = Awaited<ReturnType<typeof accountBalances>>;

/**
 * getBalance: available and pending balances per currency (due settlements first). A currency
 * whose entries sum to zero (nothing moved, or everything settled or refunded) is omitted, as
 * the contract's `Balance` schema says.
 */
export async function getBalance(db: Executor, deps: AppDeps, merchantId: string): Promise<{ available: CurrencyAmounts; pending: CurrencyAmounts }> {
  await settleDuePayments(db, deps, merchantId);
  const [available, pending] = await Promise.all([accountBalances(db, accounts.available(merchantId)), accountBalances(db, accounts.pending(merchantId))]);
  const withFunds = (balances: CurrencyAmounts) => balances.filter((b) => b.amount !== 0);
  return { available: withFunds(available), pending: withFunds(pending) };
}
