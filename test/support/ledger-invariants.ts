/**
 * Ledger invariants shared by every family's money tests: run them after any sequence of
 * operations. Each check returns the violations it found (empty when the books are right), so a
 * failing assertion lists all of them at once. Families add their own checks (escrows: each
 * escrow's held amount equals funded minus released/refunded) by passing more
 * {@link InvariantCheck}s to {@link ledgerViolations} / {@link expectLedgerInvariants}.
 */
import { and, eq, inArray, like, or, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { TillpointClient } from '../../client/index.ts';
import type { Db } from '../../server/db/index.ts';
import { toNumber } from '../../server/db/index.ts';
import { disbursementRecipients, disbursements } from '../../server/disbursements/schema.ts';
import { accounts } from '../../server/ledger/index.ts';
import { ledgerEntries } from '../../server/ledger/schema.ts';

/** One invariant: the violations it finds, in words. */
export type InvariantCheck = (db: Db) => Promise<string[]>;

/** Every ledger transaction sums to zero in each of its currencies. */
export const balancedTransactions: InvariantCheck = async (db) => {
  const rows = await db
    .select({ id: ledgerEntries.transactionId, currency: ledgerEntries.currency, sum: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .groupBy(ledgerEntries.transactionId, ledgerEntries.currency)
    .having(sql`sum(${ledgerEntries.amount}) <> 0`);
  return rows.map((r) => `ledger transaction ${r.id} sums to ${r.sum} ${r.currency}`);
};

/** The whole system sums to zero per currency. */
export const systemSumsToZero: InvariantCheck = async (db) => {
  const rows = await db
    .select({ currency: ledgerEntries.currency, sum: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .groupBy(ledgerEntries.currency)
    .having(sql`sum(${ledgerEntries.amount}) <> 0`);
  return rows.map((r) => `the ledger sums to ${r.sum} ${r.currency}, not 0`);
};

/**
 * Accounts that hold money someone owns never go below zero: merchants' available, pending,
 * reserved and held accounts, payer wallets and the platform's fees. (Clearing accounts, the
 * outside world, are negative by design.)
 */
export const noNegativeBalances: InvariantCheck = async (db) => {
  const rows = await db
    .select({ account: ledgerEntries.account, currency: ledgerEntries.currency, sum: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(or(like(ledgerEntries.account, 'merchant:%'), like(ledgerEntries.account, 'payer:%'), eq(ledgerEntries.account, accounts.platformFees())))
    .groupBy(ledgerEntries.account, ledgerEntries.currency)
    .having(sql`sum(${ledgerEntries.amount}) < 0`);
  return rows.map((r) => `${r.account} is negative: ${r.sum} ${r.currency}`);
};

/** Sums of an account per merchant and currency: `merchantId|currency` → minor units. */
async function merchantAccountSums(db: Db, suffix: string): Promise<Map<string, number>> {
  const rows = await db
    .select({ account: ledgerEntries.account, currency: ledgerEntries.currency, sum: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(like(ledgerEntries.account, `merchant:%:${suffix}`))
    .groupBy(ledgerEntries.account, ledgerEntries.currency);
  return new Map(rows.map((r) => [`${r.account.split(':')[1]}|${r.currency}`, toNumber(r.sum)]));
}

/** Compares two `merchantId|currency` → amount maps (absent = 0). */
function differences(label: string, ledger: Map<string, number>, expected: Map<string, number>): string[] {
  const out: string[] = [];
  for (const key of new Set([...ledger.keys(), ...expected.keys()])) {
    const [l, e] = [ledger.get(key) ?? 0, expected.get(key) ?? 0];
    if (l !== e) out.push(`${label} of ${key}: ledger ${l}, expected ${e}`);
  }
  return out;
}

/**
 * Payout accounts match the payouts: each merchant's `payouts_reserved` equals the amounts and
 * fees of the unpaid recipients of its pending disbursements (standard, or released escrow), and
 * its `payouts_held` equals the totals of its held escrow-disbursements.
 */
export const payoutAccountsMatchPayouts: InvariantCheck = async (db) => {
  const reserved = await db
    .select({ merchantId: disbursements.merchantId, currency: disbursements.currency, sum: sql<string>`sum(${disbursementRecipients.amount} + ${disbursementRecipients.fee})` })
    .from(disbursementRecipients)
    .innerJoin(disbursements, eq(disbursements.id, disbursementRecipients.disbursementId))
    .where(and(eq(disbursements.status, 'pending'), eq(disbursementRecipients.status, 'pending')))
    .groupBy(disbursements.merchantId, disbursements.currency);
  const held = await db
    .select({ merchantId: disbursements.merchantId, currency: disbursements.currency, sum: sql<string>`sum(${disbursements.total})` })
    .from(disbursements)
    .where(inArray(disbursements.status, ['held']))
    .groupBy(disbursements.merchantId, disbursements.currency);
  const asMap = (rows: { merchantId: string; currency: string; sum: string }[]) => new Map(rows.map((r) => [`${r.merchantId}|${r.currency}`, toNumber(r.sum)]));
  return [
    ...differences('payouts_reserved', await merchantAccountSums(db, 'payouts_reserved'), asMap(reserved)),
    ...differences('payouts_held', await merchantAccountSums(db, 'payouts_held'), asMap(held)),
  ];
};

/** The checks every money test runs. */
export const LEDGER_INVARIANTS: readonly InvariantCheck[] = [balancedTransactions, systemSumsToZero, noNegativeBalances, payoutAccountsMatchPayouts];

/** Every violation of `checks` (default {@link LEDGER_INVARIANTS}) plus `extra`. */
export async function ledgerViolations(db: Db, extra: readonly InvariantCheck[] = [], checks: readonly InvariantCheck[] = LEDGER_INVARIANTS): Promise<string[]> {
  const found: string[] = [];
  for (const check of [...checks, ...extra]) found.push(...(await check(db)));
  return found;
}

/** Asserts that no invariant is violated (the message lists every violation). */
export async function expectLedgerInvariants(db: Db, extra: readonly InvariantCheck[] = []): Promise<void> {
  expect(await ledgerViolations(db, extra)).toEqual([]);
}

/**
 * Every balance the API reports is the sum of its account's entries: `getBalance` of the
 * client's merchant against the ledger's `available` and `pending` accounts (zero sums omitted).
 */
export async function expectBalanceIsLedger(db: Db, client: TillpointClient, merchantId: string): Promise<void> {
  const r = await client.GET('/v1/balance');
  expect(r.response.status).toBe(200);
  const fromLedger = async (suffix: string) =>
    Object.fromEntries([...(await merchantAccountSums(db, suffix)).entries()].filter(([k, v]) => k.startsWith(`${merchantId}|`) && v !== 0).map(([k, v]) => [k.split('|')[1]!, v]));
  const fromApi = (list: { currency: string; amount: number }[]) => Object.fromEntries(list.map((m) => [m.currency, m.amount]));
  expect(fromApi(r.data!.available)).toEqual(await fromLedger('available'));
  expect(fromApi(r.data!.pending)).toEqual(await fromLedger('pending'));
}
