/**
 * Ledger invariants under random sequences of escrow and payment operations (fast-check, on
 * PostgreSQL, through the HTTP API): escrow creation (card, immediate and delayed mobile money),
 * release, cancel, dispute, dispute resolution (release, refund, exact split), parallel
 * release + cancel of one escrow, test-clock advances (delayed funding, releases at the terms'
 * time), card payments and refunds. A model of each escrow's status predicts which actions
 * succeed and which get 409. After every step:
 *
 * - every balance the API answers is the sum of its ledger entries;
 * - every ledger transaction, and the whole ledger, sums to zero per currency;
 * - no merchant's available balance is negative;
 * - each escrow's held account balance is `amount - amountReleased - amountRefunded` once funded
 *   (0 and the whole amount in its funding account while `pending_funding`), and equals the
 *   `amountHeld` the API answers.
 */
import { eq, like, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { toNumber } from '../../server/db/index.ts';
import { escrowAccounts } from '../../server/escrows/index.ts';
import { ledgerEntries } from '../../server/ledger/schema.ts';
import { accountBalances, trialBalance } from '../../server/ledger/index.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { act, escrowBody, escrowMerchant, methods, postEscrow, type Escrow, type EscrowMerchant } from './fixtures.ts';

const servers = useTestServer({ clock: 'system' });

type Status = Escrow['status'];
type Action = 'release' | 'cancel' | 'dispute' | 'resolve';
const ALLOWED: Record<Status, readonly Action[]> = {
  pending_funding: [], funded: ['release', 'cancel', 'dispute'], disputed: ['resolve'], released: [], cancelled: [], refunded: [],
};

type Command =
  | { kind: 'escrow'; funding: 'card' | 'mobile_money' | 'delayed'; amount: number; deadlineSeconds: number }
  | { kind: 'action'; action: Exclude<Action, 'resolve'>; pick: number }
  | { kind: 'resolve'; pick: number; outcome: 'release' | 'refund' | 'split'; share: number }
  | { kind: 'race'; pick: number }
  | { kind: 'advance'; seconds: number }
  | { kind: 'payment'; amount: number }
  | { kind: 'refund'; pick: number; share: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('escrow' as const), funding: fc.constantFrom('card' as const, 'mobile_money' as const, 'delayed' as const), amount: fc.integer({ min: 2000, max: 500_000 }), deadlineSeconds: fc.integer({ min: 60, max: 7200 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('action' as const), action: fc.constantFrom('release' as const, 'cancel' as const, 'dispute' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resolve' as const), pick: fc.nat(), outcome: fc.constantFrom('release' as const, 'refund' as const, 'split' as const), share: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('race' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 7200 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('payment' as const), amount: fc.integer({ min: 2000, max: 200_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refund' as const), pick: fc.nat(), share: fc.double({ min: 0.01, max: 1, noNaN: true }) }) },
);

/** What the test expects of one escrow. */
interface ModelEscrow {
  id: string;
  amount: number;
  status: Status;
}

async function assertInvariants(m: EscrowMerchant, escrows: ModelEscrow[]): Promise<void> {
  const db = servers.server.deps.db;
  // Every ledger transaction sums to zero per currency, hence the whole ledger does.
  const unbalanced = await db
    .select({ transactionId: ledgerEntries.transactionId })
    .from(ledgerEntries)
    .groupBy(ledgerEntries.transactionId, ledgerEntries.currency)
    .having(sql`sum(${ledgerEntries.amount}) <> 0`)
    .limit(1);
  expect(unbalanced).toEqual([]);
  for (const { currency, amount } of await trialBalance(db)) expect(amount, `system total in ${currency}`).toBe(0);
  // No available balance is negative, for any merchant.
  const negative = await db
    .select({ account: ledgerEntries.account, currency: ledgerEntries.currency })
    .from(ledgerEntries)
    .where(like(ledgerEntries.account, 'merchant:%:available'))
    .groupBy(ledgerEntries.account, ledgerEntries.currency)
    .having(sql`sum(${ledgerEntries.amount}) < 0`)
    .limit(1);
  expect(negative).toEqual([]);
  // The balance the API answers is the sum of the merchant's entries.
  const balance = unwrap(await m.client.GET('/v1/balance'));
  const ledgerAvailable = await db
    .select({ currency: ledgerEntries.currency, total: sql<string>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.account, `merchant:${m.merchant.merchantId}:available`))
    .groupBy(ledgerEntries.currency);
  const fromLedger = Object.fromEntries(ledgerAvailable.map((r) => [r.currency, toNumber(r.total)]).filter(([, v]) => v !== 0));
  expect(Object.fromEntries(balance.available.filter((b) => b.amount !== 0).map((b) => [b.currency, b.amount]))).toEqual(fromLedger);
  // Each escrow's held amount is what was funded minus what was released and refunded.
  for (const e of escrows) {
    const api = unwrap(await act.get(m, e.id));
    e.status = api.status; // the jobs may have funded or released it (clock advances)
    const held = (await accountBalances(db, escrowAccounts.held(e.id)))[0]?.amount ?? 0;
    const funding = (await accountBalances(db, escrowAccounts.funding(e.id)))[0]?.amount ?? 0;
    if (api.status === 'pending_funding') {
      expect([held, funding, api.amountHeld]).toEqual([0, e.amount, 0]);
    } else {
      expect(held).toBe(api.amount - api.amountReleased - api.amountRefunded);
      expect(api.amountHeld).toBe(held);
      expect(funding).toBe(0);
      if (['released', 'cancelled', 'refunded'].includes(api.status)) expect(held).toBe(0);
    }
  }
}

async function run(commands: Command[]): Promise<void> {
  const s = servers.server;
  const m = await escrowMerchant(s, 'Property merchant');
  const escrows: ModelEscrow[] = [];
  const payments: { id: string; amount: number; refunded: number }[] = [];
  const nowOf = () => s.deps.now(m.merchant.merchantId);
  const pick = <T>(list: T[], n: number) => (list.length === 0 ? undefined : list[n % list.length]);

  for (const c of commands) {
    switch (c.kind) {
      case 'escrow': {
        const method = c.funding === 'card' ? methods.card() : methods.mobileMoney(c.funding === 'delayed' ? '+256700000003' : '+256700000001');
        const body = escrowBody(nowOf(), { amount: c.amount, paymentMethod: method, terms: { type: 'delivery_confirmation', deadline: new Date(nowOf().getTime() + c.deadlineSeconds * 1000).toISOString() } });
        const r = await postEscrow(m, { ...body, currency: c.funding === 'card' ? 'USD' : 'UGX' });
        expect(r.response.status, JSON.stringify(r.error)).toBe(201);
        expect(r.data!.status).toBe(c.funding === 'delayed' ? 'pending_funding' : 'funded');
        escrows.push({ id: r.data!.id, amount: c.amount, status: r.data!.status });
        break;
      }
      case 'action': {
        const e = pick(escrows, c.pick);
        if (!e) break;
        const r = await act[c.action](m, e.id);
        const allowed = ALLOWED[e.status].includes(c.action);
        expect(r.response.status, `${c.action} from ${e.status}`).toBe(allowed ? 200 : 409);
        if (allowed) e.status = r.data!.status;
        break;
      }
      case 'resolve': {
        const e = pick(escrows, c.pick);
        if (!e) break;
        const releaseAmount = Math.floor(e.amount * c.share);
        const body = c.outcome === 'split' ? { outcome: c.outcome, releaseAmount, refundAmount: e.amount - releaseAmount } : { outcome: c.outcome };
        const r = await act.resolve(m, e.id, body);
        const allowed = ALLOWED[e.status].includes('resolve');
        expect(r.response.status, `resolve from ${e.status}`).toBe(allowed ? 200 : 409);
        if (allowed) {
          const released = c.outcome === 'release' || (c.outcome === 'split' && releaseAmount > 0);
          expect(r.data!.status).toBe(released ? 'released' : 'refunded');
          e.status = r.data!.status;
        }
        break;
      }
      case 'race': {
        const e = pick(escrows, c.pick);
        if (!e) break;
        const results = await Promise.all([act.release(m, e.id), act.cancel(m, e.id)]);
        const wins = results.filter((r) => r.response.status === 200);
        expect(results.every((r) => r.response.status === 200 || r.response.status === 409)).toBe(true);
        expect(wins).toHaveLength(e.status === 'funded' ? 1 : 0);
        if (wins[0]) e.status = wins[0].data!.status;
        break;
      }
      case 'advance':
        unwrap(await m.client.POST('/v1/sandbox/clock/advance', { body: { seconds: c.seconds } }));
        break;
      case 'payment': {
        const r = await m.client.POST('/v1/payments', { body: cardPayment(c.amount, 'USD') });
        expect(r.response.status).toBe(201);
        payments.push({ id: r.data!.id, amount: c.amount, refunded: 0 });
        break;
      }
      case 'refund': {
        const p = pick(payments, c.pick);
        if (!p) break;
        const left = p.amount - p.refunded;
        const amount = Math.max(1, Math.floor(left * c.share));
        const r = await m.client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: p.id } }, body: { amount } });
        expect(r.response.status).toBe(left === 0 ? 422 : 201);
        if (left > 0) p.refunded += amount;
        break;
      }
    }
    await assertInvariants(m, escrows);
  }
}

describe('escrow and payment ledger invariants', () => {
  it('hold after every step of random sequences (create, fund, release, cancel, dispute, resolve, races, clock, payments, refunds)', { timeout: 300_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.array(commandArb, { minLength: 4, maxLength: 14 }), run), { numRuns: 25, seed: 20261201, endOnFailure: true });
  });
});
