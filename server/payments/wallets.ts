/**
 * Tillpoint wallets of registered payers: the ledger account of each, locking and balances,
 * opening balances of sandbox payers, and `getWallet`.
 *
 * Sources: getWallet, createSandboxPayer, createPayment (`paymentMethod.type = wallet`).
 */
import type { Executor, Tx } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError, invalidField } from '../errors/problem.ts';
import { accountBalance, accountBalances, post } from '../ledger/index.ts';
import { isSupportedCurrency } from '../money/currency.ts';
import { findPayer } from '../oauth/index.ts';
import * as repo from './repository.ts';

/** The ledger account of a payer's wallet (one balance per currency). */
export function walletAccount(userId: string): string {
  return `payer:${userId}:wallet`;
}

/** Where sandbox opening balances come from: the outside world of the sandbox. */
export const SANDBOX_FUNDING_ACCOUNT = 'clearing:sandbox_funding';

/**
 * The wallets port's `lock` (see {@link import('./wallet-port.ts').WalletsPort.lock}).
 * @param options.open `false` for a debit: a currency the payer never held is balance 0 and no
 *   wallet is opened for it (default `true`: the wallet is opened at zero).
 * @returns the balance in minor units.
 * @throws ProblemError 422 `payer_not_found`.
 */
export async function lockWallet(tx: Tx, userId: string, currency: string, merchantId?: string, options: { open?: boolean } = {}): Promise<number> {
  let wallet = await repo.lockWallet(tx, userId, currency);
  if (!wallet) {
    const payer = await findPayer(tx, userId, merchantId);
    if (!payer) throw new ProblemError('payer_not_found', `No registered payer ${userId} exists in your sandbox.`);
    // A debit (open: false) of a currency the wallet never held finds nothing to take; only credits open a wallet.
    if (options.open === false) return 0;
    await repo.openWallet(tx, { userId, currency, merchantId: payer.merchantId });
    wallet = await repo.lockWallet(tx, userId, currency);
  }
  if (merchantId !== undefined && wallet!.merchantId !== merchantId) throw new ProblemError('payer_not_found', `No registered payer ${userId} exists in your sandbox.`);
  return accountBalance(tx, walletAccount(userId), currency);
}

/**
 * Credits a new sandbox payer's opening balances (minor units, one per currency) from
 * {@link SANDBOX_FUNDING_ACCOUNT}, in the caller's transaction.
 * @throws ProblemError 400 on an unknown currency or a currency given twice (pointer `/balances/<i>/currency`).
 */
export async function fundSandboxWallet(tx: Tx, merchantId: string, userId: string, balances: readonly { amount: number; currency: string }[], now: Date): Promise<void> {
  const seen = new Set<string>();
  for (const [i, { amount, currency }] of balances.entries()) {
    if (seen.has(currency)) throw invalidField(`/balances/${i}/currency`, `${currency} is given twice`);
    seen.add(currency);
    if (!isSupportedCurrency(currency)) throw invalidField(`/balances/${i}/currency`, `${currency} is not a supported ISO 4217 currency code`);
    await lockWallet(tx, userId, currency, merchantId);
    await post(tx, {
      merchantId, kind: 'sandbox_wallet_funding', sourceId: userId, currency, at: now,
      entries: [
        { account: SANDBOX_FUNDING_ACCOUNT, amount: -amount },
        { account: walletAccount(userId), amount },
      ],
    });
  }
}

/** A wallet's balances: every currency it has held (zero included), ordered by currency. */
export async function walletBalances(db: Executor, userId: string): Promise<{ userId: string; balances: { currency: string; amount: number }[] }> {
  const [currencies, sums] = await Promise.all([repo.walletCurrencies(db, userId), accountBalances(db, walletAccount(userId))]);
  const byCurrency = new Map(sums.map((b) => [b.currency, b.amount]));
  return { userId, balances: currencies.map((currency) => ({ currency, amount: byCurrency.get(currency) ?? 0 })) };
}

/** getWallet. */
export function getWallet(db: Executor, _deps: AppDeps, userId: string) {
  return walletBalances(db, userId);
}
