/**
 * Double-entry ledger. Every money movement is one ledger transaction whose entries sum to zero
 * per currency, posted in the same database transaction as the state change that causes it.
 * Balances are never stored: a balance is the sum of its account's entries.
 *
 * Accounts (all amounts in minor units, credits positive):
 * - `merchant:<id>:available` — settled funds the merchant owns;
 * - `merchant:<id>:pending` — captured but not yet settled (delayed mobile money);
 * - `clearing:<method>` — the outside world (card network, mobile-money providers); its balance is
 *   the negative of everything that came in;
 * - `merchant:<id>:payouts_reserved` — reserved by pending disbursements, not yet paid out;
 * - `merchant:<id>:payouts_held` — held by escrow-disbursements until released or cancelled;
 * - `clearing:payout:<method>` — paid out to recipients (mobile-money providers, banks);
 * - `platform:fees` — the fees Tillpoint collected (disbursement fees).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../db/index.ts';
import { toNumber } from '../db/index.ts';
import { ledgerEntries, ledgerTransactions } from './schema.ts';
import { ProblemError } from '../errors/problem.ts';
import { newId } from '../ids.ts';

/** One line of a posting: a signed amount (minor units) on an account. */
export interface Entry {
  account: string;
  amount: number;
}

/** Account names. */
export const accounts = {
  available: (merchantId: string) => `merchant:${merchantId}:available`,
  pending: (merchantId: string) => `merchant:${merchantId}:pending`,
  clearing: (method: string) => `clearing:${method}`,
  payoutsReserved: (merchantId: string) => `merchant:${merchantId}:payouts_reserved`,
  payoutsHeld: (merchantId: string) => `merchant:${merchantId}:payouts_held`,
  payoutClearing: (method: string) => `clearing:payout:${method}`,
  platformFees: () => 'platform:fees',
};

/**
 * Most a merchant may hold in one currency, available plus pending, in minor units: 2^53 − 1,
 * so that every balance the API answers is a safe JSON integer (issue #10). About 90 trillion
 * in a two-decimal currency.
 */
export const MAX_ACCOUNT_BALANCE = Number.MAX_SAFE_INTEGER;

const MERCHANT_ACCOUNT = /^merchant:([^:]+):/;

/**
 * Refuses a posting that would take a merchant's total in the posting's currency (its available
 * and pending accounts together, so that moving money between them never fails) past
 * {@link MAX_ACCOUNT_BALANCE}. Only postings that increase that total pay for the sum.
 * @throws ProblemError 422 `balance_limit_exceeded`.
 */
async function assertWithinBalanceLimit(tx: Tx, currency: string, entries: Entry[]): Promise<void> {
  const deltas = new Map<string, number>();
  for (const e of entries) {
    const merchantId = MERCHANT_ACCOUNT.exec(e.account)?.[1];
    if (merchantId) deltas.set(merchantId, (deltas.get(merchantId) ?? 0) + e.amount);
  }
  for (const [merchantId, delta] of deltas) {
    if (delta <= 0) continue;
    const [row] = await tx
      .select({ total: sql<string | null>`sum(${ledgerEntries.amount})` })
      .from(ledgerEntries)
      .where(and(inArray(ledgerEntries.account, [accounts.available(merchantId), accounts.pending(merchantId)]), eq(ledgerEntries.currency, currency)));
    if (BigInt(row?.total ?? 0) + BigInt(delta) > BigInt(MAX_ACCOUNT_BALANCE)) {
      throw new ProblemError(
        'balance_limit_exceeded',
        `This would take the ${currency} balance past ${MAX_ACCOUNT_BALANCE} minor units, the most one account can hold.`,
      );
    }
  }
}

/**
 * Posts a balanced set of entries in one currency inside the caller's transaction.
 * @throws Error when the entries do not sum to zero or an amount is not a safe integer;
 *   ProblemError 422 `balance_limit_exceeded` when a merchant's total in the currency would pass
 *   {@link MAX_ACCOUNT_BALANCE} (the caller's transaction then rolls back).
 */
export async function post(
  tx: Tx,
  posting: { merchantId: string; kind: string; sourceId: string; currency: string; entries: Entry[]; at: Date },
): Promise<string> {
  let sum = 0;
  for (const e of posting.entries) {
    if (!Number.isSafeInteger(e.amount)) throw new Error(`Ledger amount is not an integer: ${e.amount}`);
    sum += e.amount;
  }
  if (sum !== 0) throw new Error(`Unbalanced ledger posting for ${posting.kind} ${posting.sourceId}: sums to ${sum}`);
  await assertWithinBalanceLimit(tx, posting.currency, posting.entries);
  const id = newId('ltx');
  await tx.insert(ledgerTransactions).values({ id, merchantId: posting.merchantId, kind: posting.kind, sourceId: posting.sourceId, createdAt: posting.at });
  await tx.insert(ledgerEntries).values(posting.entries.map((e) => ({ transactionId: id, account: e.account, currency: posting.currency, amount: e.amount })));
  return id;
}

/** Balance per currency of one account (sum of its entries), ordered by currency. */
export async function accountBalances(db: Executor, account: string): Promise<{ currency: string; amount: number }[]> {
  const rows = await db
    .select({ currency: ledgerEntries.currency, amount: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.account, account))
    .groupBy(ledgerEntries.currency)
    .orderBy(ledgerEntries.currency);
  return rows.map((r) => ({ currency: r.currency, amount: toNumber(r.amount) }));
}

/** Balance (minor units) of one account in one currency: the sum of its entries, 0 without any. */
export async function accountBalance(db: Executor, account: string, currency: string): Promise<number> {
  const [row] = await db
    .select({ amount: sql<string | null>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.account, account), eq(ledgerEntries.currency, currency)));
  return toNumber(row?.amount ?? 0);
}

/** Sum of every entry in the ledger per currency; zero for all currencies when the books balance. */
export async function trialBalance(db: Executor): Promise<{ currency: string; amount: number }[]> {
  const rows = await db
    .select({ currency: ledgerEntries.currency, amount: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .groupBy(ledgerEntries.currency);
  return rows.map((r) => ({ currency: r.currency, amount: toNumber(r.amount) }));
}

/**
 * Locks one account in one currency for the rest of the caller's transaction and returns its
 * balance (minor units), read after the lock was granted. Every debit that must not take an
 * account below zero takes this lock first (a transaction-scoped advisory lock on the account
 * and currency), so two such debits run one after the other and the second sees the first's
 * entries: concurrent payouts and refunds cannot overdraw. Credits need no lock.
 */
export async function lockBalance(tx: Tx, account: string, currency: string): Promise<number> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${account}|${currency}`}, 0))`);
  const [row] = await tx
    .select({ amount: sql<string | null>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.account, account), eq(ledgerEntries.currency, currency)));
  return toNumber(row?.amount ?? '0');
}
