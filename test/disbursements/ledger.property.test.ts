/**
 * Ledger invariants under random use (fast-check): sequences of card payments, refunds, quotes,
 * disbursements (to mobile money, bank accounts and a payer's wallet), escrow-disbursements (hold, release, cancel), cancels, payout-job runs and
 * batches of concurrent payouts and refunds, all through real HTTP on PostgreSQL. After every
 * step the shared invariants hold (test/support/ledger-invariants.ts: balanced postings, the
 * system sums to zero per currency, no owned balance negative, payout accounts match the open
 * payouts, the API's balance is the ledger's), and each step moved the available balance by
 * exactly what it reported.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TillpointClient } from '../../client/index.ts';
import { PAYOUT_PROCESSING_SECONDS } from '../../generated/test-instruments.ts';
import { expectBalanceIsLedger, ledgerViolations } from '../support/ledger-invariants.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { DESTINATIONS, available, withClient, type Disbursement, type EscrowDisbursement, type QuoteRequest } from './fixtures.ts';

const { server: s, clock } = useTestServer({ clock: Date.parse('2026-11-21T10:00:00.000Z') });

type DestinationName = keyof typeof DESTINATIONS | 'wallet';
const recipientArb = fc.record({
  to: fc.constantFrom<DestinationName>('mobileMoneyPaid', 'mobileMoneyFailed', 'bankPaid', 'bankFailed', 'wallet'),
  amount: fc.integer({ min: 50, max: 20000 }),
});
const recipientsArb = fc.array(recipientArb, { minLength: 1, maxLength: 4 });

type Action =
  | { kind: 'pay'; amount: number }
  | { kind: 'refund'; payment: number; amount: number }
  | { kind: 'disburse'; recipients: { to: DestinationName; amount: number }[] }
  | { kind: 'hold'; recipients: { to: DestinationName; amount: number }[] }
  | { kind: 'cancel'; target: number }
  | { kind: 'release'; target: number }
  | { kind: 'cancelHeld'; target: number }
  | { kind: 'job' }
  | { kind: 'concurrent'; payouts: { to: DestinationName; amount: number }[][]; refund: { payment: number; amount: number } | null };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('pay' as const), amount: fc.integer({ min: 50, max: 50000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refund' as const), payment: fc.nat(), amount: fc.integer({ min: 1, max: 30000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('disburse' as const), recipients: recipientsArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hold' as const), recipients: recipientsArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), target: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancelHeld' as const), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'job' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('concurrent' as const),
      payouts: fc.array(recipientsArb, { minLength: 2, maxLength: 6 }),
      refund: fc.option(fc.record({ payment: fc.nat(), amount: fc.integer({ min: 1, max: 30000 }) }), { nil: null }),
    }),
  },
);

/** A quote body; `wallet` recipients are paid to the run's registered payer. */
const body = (recipients: { to: DestinationName; amount: number }[], payer: string): QuoteRequest => ({
  currency: 'USD',
  recipients: recipients.map((r) => ({ destination: r.to === 'wallet' ? { type: 'wallet' as const, userId: payer } : DESTINATIONS[r.to], amount: r.amount })),
});

/** One merchant's run: its client, what it created, and the step runner. */
class Run {
  payments: string[] = [];
  disbursements: string[] = [];
  escrows: string[] = [];
  constructor(
    readonly client: TillpointClient,
    readonly clientId: string,
    /** A registered payer of the merchant (`usr_…`), the wallet recipient. */
    readonly payer: string,
  ) {}

  private pick<T>(list: T[], index: number): T | undefined {
    return list.length === 0 ? undefined : list[index % list.length];
  }

  /** Quotes and pays (or holds); 201 or 402. Returns the created object's total, or null on 402. */
  private async payout(kind: 'disburse' | 'hold', recipients: { to: DestinationName; amount: number }[]): Promise<{ status: number; total: number }> {
    const q = await this.client.POST('/v1/disbursements/quotes', { params: withClient(this.clientId), body: body(recipients, this.payer) });
    expect(q.response.status, JSON.stringify(q.error)).toBe(201);
    const params = withClient(this.clientId);
    const r =
      kind === 'disburse'
        ? await this.client.POST('/v1/disbursements', { params, body: { quoteId: q.data!.id } })
        : await this.client.POST('/v1/escrow-disbursements', { params, body: { quoteId: q.data!.id } });
    expect([201, 402], JSON.stringify(r.error)).toContain(r.response.status);
    if (r.response.status === 201) (kind === 'disburse' ? this.disbursements : this.escrows).push(r.data!.id);
    return { status: r.response.status, total: q.data!.total };
  }

  private async refund(payment: number, amount: number): Promise<{ status: number; amount: number }> {
    const paymentId = this.pick(this.payments, payment);
    if (!paymentId) return { status: 0, amount: 0 };
    const r = await this.client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId } }, body: { amount } });
    expect([201, 402, 422], JSON.stringify(r.error)).toContain(r.response.status);
    return { status: r.response.status, amount };
  }

  /** Runs one action and checks how it moved the available balance. */
  async step(action: Action): Promise<void> {
    const before = await available(this.client);
    let delta: number;
    switch (action.kind) {
      case 'pay': {
        const r = await this.client.POST('/v1/payments', { body: cardPayment(action.amount) });
        expect(r.response.status).toBe(201);
        this.payments.push(r.data!.id);
        delta = action.amount;
        break;
      }
      case 'refund': {
        const r = await this.refund(action.payment, action.amount);
        if (r.status === 402) expect(before).toBeLessThan(r.amount);
        delta = r.status === 201 ? -r.amount : 0;
        break;
      }
      case 'disburse':
      case 'hold': {
        const r = await this.payout(action.kind, action.recipients);
        if (r.status === 402) expect(before).toBeLessThan(r.total);
        delta = r.status === 201 ? -r.total : 0;
        break;
      }
      case 'cancel':
      case 'cancelHeld': {
        const id = this.pick(action.kind === 'cancel' ? this.disbursements : this.escrows, action.target);
        if (!id) return;
        const params = withClient(this.clientId, { path: { disbursementId: id } });
        const r =
          action.kind === 'cancel'
            ? await this.client.POST('/v1/disbursements/{disbursementId}/cancel', { params })
            : await this.client.POST('/v1/escrow-disbursements/{disbursementId}/cancel', { params });
        expect([200, 409]).toContain(r.response.status);
        if (r.response.status !== 200) {
          // Cancelling runs the merchant's due payouts first: re-read instead of predicting them.
          delta = (await available(this.client)) - before;
          break;
        }
        const d = r.data as Disbursement | EscrowDisbursement;
        delta = d.recipients.filter((x) => x.status === 'cancelled').reduce((sum, x) => sum + x.amount + x.fee, 0);
        break;
      }
      case 'release': {
        const id = this.pick(this.escrows, action.target);
        if (!id) return;
        const r = await this.client.POST('/v1/escrow-disbursements/{disbursementId}/release', { params: withClient(this.clientId, { path: { disbursementId: id } }) });
        expect([200, 409]).toContain(r.response.status);
        delta = 0;
        break;
      }
      case 'job': {
        const open = [...(await this.payouts()).values()].filter((d) => d.status === 'pending');
        clock.advanceSeconds(PAYOUT_PROCESSING_SECONDS);
        await s.deps.jobs.runAll();
        const after = await this.payouts();
        // Every payout that was due is now finished; the sandbox destination chose each outcome,
        // and the amounts and fees of the failed recipients are back in available.
        delta = 0;
        for (const d of open) {
          const now = after.get(d.id)!;
          expect(['completed', 'partially_failed', 'failed']).toContain(now.status);
          for (const r of now.recipients) {
            expect(r.status).toBe(paysOut(r.destination) ? 'paid' : 'failed');
            if (r.status === 'failed') delta += r.amount + r.fee;
          }
        }
        break;
      }
      case 'concurrent': {
        const quotes = await Promise.all(
          action.payouts.map((recipients) => this.client.POST('/v1/disbursements/quotes', { params: withClient(this.clientId), body: body(recipients, this.payer) })),
        );
        const [results, refund] = await Promise.all([
          Promise.all(quotes.map((q) => this.client.POST('/v1/disbursements', { params: withClient(this.clientId), body: { quoteId: q.data!.id } }))),
          action.refund ? this.refund(action.refund.payment, action.refund.amount) : Promise.resolve({ status: 0, amount: 0 }),
        ]);
        delta = refund.status === 201 ? -refund.amount : 0;
        for (const [i, r] of results.entries()) {
          expect([201, 402]).toContain(r.response.status);
          if (r.response.status === 201) {
            this.disbursements.push(r.data!.id);
            delta -= quotes[i]!.data!.total;
          }
        }
        // What was refused was refused for want of money: even the smallest refused total did not fit.
        const refused = results.flatMap((r, i) => (r.response.status === 402 ? [quotes[i]!.data!.total] : []));
        if (refused.length > 0) expect(before + delta).toBeLessThan(Math.max(...refused));
        break;
      }
    }
    expect(await available(this.client), `after ${JSON.stringify(action)}`).toBe(before + delta);
  }

  /** The merchant's disbursements and escrow-disbursements by id (fewer than 100 of each in a run). */
  private async payouts(): Promise<Map<string, Disbursement | EscrowDisbursement>> {
    const [plain, held] = await Promise.all([
      this.client.GET('/v1/disbursements', { params: withClient(this.clientId, { query: { limit: 100 } }) }),
      this.client.GET('/v1/escrow-disbursements', { params: withClient(this.clientId, { query: { limit: 100 } }) }),
    ]);
    return new Map([...plain.data!.data, ...held.data!.data].map((d) => [d.id, d] as const));
  }
}

/** Whether the sandbox pays this destination (the `…Paid` test instruments; wallets always). */
function paysOut(destination: Disbursement['recipients'][number]['destination']): boolean {
  if (destination.type === 'mobile_money') return destination.phoneNumber === DESTINATIONS.mobileMoneyPaid.phoneNumber;
  if (destination.type === 'bank_account') return destination.accountNumber === DESTINATIONS.bankPaid.accountNumber;
  return true;
}

describe('ledger invariants under random sequences (fast-check)', () => {
  it('hold after every step of payments, refunds, quotes, payouts, escrow holds, releases, cancels, job runs and concurrent batches', { timeout: 600_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 3, maxLength: 10 }), async (actions) => {
        const { merchant, client } = await s.newMerchant();
        const payer = await client.POST('/v1/sandbox/payers', { body: { name: 'Property Payer', email: `payer+${crypto.randomUUID()}@example.com` } });
        expect(payer.response.status).toBe(201);
        const run = new Run(client, merchant.clientId, payer.data!.id);
        await run.step({ kind: 'pay', amount: 30000 });
        for (const action of actions) {
          await run.step(action);
          expect(await ledgerViolations(s.deps.db), `after ${JSON.stringify(action)}`).toEqual([]);
          await expectBalanceIsLedger(s.deps.db, client, merchant.merchantId);
        }
      }),
      { numRuns: 12 },
    );
  });
});
