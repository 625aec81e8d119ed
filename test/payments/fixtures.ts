/**
 * Fixtures of the payments family's tests: request bodies for the documented sandbox
 * instruments, balance helpers, and read-only views of the ledger and the payments tables.
 * Problem assertions, idempotency keys and clients shared by every family are in test/support/.
 */
import { and, eq, like, sql } from 'drizzle-orm';
import { expect } from 'vitest';
import type { TillpointClient } from '../../client/index.ts';
import type { components } from '../../generated/schema.d.ts';
import type { Db } from '../../server/db/index.ts';
import { toNumber } from '../../server/db/index.ts';
import { accounts } from '../../server/ledger/index.ts';
import { ledgerEntries, ledgerTransactions } from '../../server/ledger/schema.ts';
import { payments, refunds } from '../../server/payments/schema.ts';

export type Payment = components['schemas']['Payment'];
export type Refund = components['schemas']['Refund'];
export type Balance = components['schemas']['Balance'];
export type CreatePaymentRequest = components['schemas']['CreatePaymentRequest'];
export type Provider = 'mtn' | 'airtel' | 'mpesa';

/** The documented sandbox test cards. */
export const CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  threeDSecure: '4000002760003184',
} as const;

/** The documented mobile-money test numbers per provider (MTN and Airtel: Uganda; M-Pesa: Kenya). */
export const PHONES: Record<Provider, { succeeds: string; fails: string; delayed: string; currency: string }> = {
  mtn: { succeeds: '+256700000001', fails: '+256700000002', delayed: '+256700000003', currency: 'UGX' },
  airtel: { succeeds: '+256700000001', fails: '+256700000002', delayed: '+256700000003', currency: 'UGX' },
  mpesa: { succeeds: '+254700000001', fails: '+254700000002', delayed: '+254700000003', currency: 'KES' },
};

/** A mobile-money payment body. */
export function mobileMoneyPayment(provider: Provider, phoneNumber: string, amount = 5000, currency = PHONES[provider].currency): CreatePaymentRequest {
  return { amount, currency, paymentMethod: { type: 'mobile_money', provider, phoneNumber } };
}

/** The amount of `currency` in a balance list; an absent currency counts as 0. */
export function amountOf(list: { amount: number; currency: string }[], currency: string): number {
  const entries = list.filter((m) => m.currency === currency);
  expect(entries.length, `currency ${currency} listed more than once`).toBeLessThanOrEqual(1);
  return entries[0]?.amount ?? 0;
}

/** The balance of the client's merchant, asserting a 200. */
export async function balanceOf(client: TillpointClient): Promise<Balance> {
  const r = await client.GET('/v1/balance');
  expect(r.response.status).toBe(200);
  return r.data!;
}

/** Every payment of the client's merchant, walking all pages. */
export async function allPayments(client: TillpointClient): Promise<Payment[]> {
  const out: Payment[] = [];
  let cursor: string | undefined;
  for (;;) {
    const r = await client.GET('/v1/payments', { params: { query: { limit: 100, cursor } } });
    expect(r.response.status).toBe(200);
    out.push(...r.data!.data);
    if (!r.data!.hasMore) return out;
    cursor = r.data!.nextCursor ?? undefined;
  }
}

/** Ledger sums per account of one merchant: `{ available: { USD: 2500 }, pending: {...} }`. */
export async function merchantLedger(db: Db, merchantId: string): Promise<{ available: Record<string, number>; pending: Record<string, number> }> {
  const rows = await db
    .select({ account: ledgerEntries.account, currency: ledgerEntries.currency, amount: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(like(ledgerEntries.account, `merchant:${merchantId}:%`))
    .groupBy(ledgerEntries.account, ledgerEntries.currency);
  const out = { available: {} as Record<string, number>, pending: {} as Record<string, number> };
  for (const row of rows) {
    if (row.account === accounts.available(merchantId)) out.available[row.currency] = toNumber(row.amount);
    else if (row.account === accounts.pending(merchantId)) out.pending[row.currency] = toNumber(row.amount);
    else throw new Error(`unexpected merchant account ${row.account}`);
  }
  return out;
}

/** A balance list as a `{ currency: amount }` map without zero entries. */
export function nonZero(list: { amount: number; currency: string }[] | Record<string, number>): Record<string, number> {
  const entries = Array.isArray(list) ? list.map((m) => [m.currency, m.amount] as const) : Object.entries(list);
  return Object.fromEntries(entries.filter(([, amount]) => amount !== 0));
}

/** Sum of all ledger entries per currency, over the whole system, with the currencies that don't sum to zero. */
export async function unbalancedCurrencies(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .select({ currency: ledgerEntries.currency, amount: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .groupBy(ledgerEntries.currency);
  return Object.fromEntries(rows.map((r) => [r.currency, toNumber(r.amount)] as const).filter(([, amount]) => amount !== 0));
}

/** Ledger transactions that don't sum to zero (must be none). */
export async function unbalancedTransactions(db: Db): Promise<string[]> {
  const rows = await db
    .select({ id: ledgerEntries.transactionId })
    .from(ledgerEntries)
    .groupBy(ledgerEntries.transactionId, ledgerEntries.currency)
    .having(sql`sum(${ledgerEntries.amount}) <> 0`);
  return rows.map((r) => r.id);
}

/** Stored payment rows of a merchant. */
export function paymentRows(db: Db, merchantId: string) {
  return db.select().from(payments).where(eq(payments.merchantId, merchantId));
}

/** Stored refund rows of a payment. */
export function refundRows(db: Db, paymentId: string) {
  return db.select().from(refunds).where(eq(refunds.paymentId, paymentId));
}

/** Ledger transactions of a merchant caused by `sourceId` (a payment or refund id). */
export function ledgerTransactionsFor(db: Db, merchantId: string, sourceId: string) {
  return db
    .select()
    .from(ledgerTransactions)
    .where(and(eq(ledgerTransactions.merchantId, merchantId), eq(ledgerTransactions.sourceId, sourceId)));
}
