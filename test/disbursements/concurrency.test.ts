/**
 * Concurrent payouts on PostgreSQL through real parallel HTTP requests: a balance that covers
 * only some of them is never overdrawn, never partly reserved, and exactly as many succeed as it
 * covers; refunds racing payouts draw on the same lock.
 */
import { describe, expect, it } from 'vitest';
import { expectBalanceIsLedger, expectLedgerInvariants } from '../support/ledger-invariants.ts';
import { expectProblem } from '../support/problems.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { DESTINATIONS, available, fund, quote, withClient, type QuoteRequest } from './fixtures.ts';

const { server: s } = useTestServer();

/** 1000 to a bank account that is paid: total 1010 (1 % fee). */
const PAYOUT: QuoteRequest = { currency: 'USD', recipients: [{ destination: DESTINATIONS.bankPaid, amount: 1000 }] };
const TOTAL = 1010;

describe('concurrent disbursements', () => {
  it('20 at once against a balance covering 7: exactly 7 are created, 13 get 402 insufficient_funds, 500 stays available', async () => {
    const { merchant, client } = await s.newMerchant();
    await fund(client, 7 * TOTAL + 500);
    const quotes = await Promise.all(Array.from({ length: 20 }, () => quote(client, merchant.clientId, PAYOUT)));
    const results = await Promise.all(
      quotes.map((q) => client.POST('/v1/disbursements', { params: withClient(merchant.clientId), body: { quoteId: q.id } })),
    );
    const statuses = results.map((r) => r.response.status);
    expect(statuses.filter((st) => st === 201)).toHaveLength(7);
    expect(statuses.filter((st) => st === 402)).toHaveLength(13);
    for (const r of results.filter((x) => x.response.status === 402)) expectProblem(r, 402, 'insufficient_funds');
    expect(await available(client)).toBe(500);
    await expectBalanceIsLedger(s.deps.db, client, merchant.merchantId);
    await expectLedgerInvariants(s.deps.db);
    const listed = await client.GET('/v1/disbursements', { params: withClient(merchant.clientId, { query: { limit: 100 } }) });
    expect(listed.data!.data).toHaveLength(7);
  });

  it('payouts, escrow holds and refunds racing for one balance never take it below zero', async () => {
    const { merchant, client } = await s.newMerchant();
    const payment = await client.POST('/v1/payments', { body: cardPayment(5 * TOTAL) });
    expect(payment.response.status).toBe(201);
    const quotes = await Promise.all(Array.from({ length: 8 }, () => quote(client, merchant.clientId, PAYOUT)));
    const results = await Promise.all([
      ...quotes.slice(0, 4).map((q) => client.POST('/v1/disbursements', { params: withClient(merchant.clientId), body: { quoteId: q.id } })),
      ...quotes.slice(4).map((q) => client.POST('/v1/escrow-disbursements', { params: withClient(merchant.clientId), body: { quoteId: q.id } })),
      ...Array.from({ length: 4 }, () => client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: payment.data!.id } }, body: { amount: TOTAL } })),
    ]);
    const succeeded = results.filter((r) => r.response.status === 201).length;
    expect(results.every((r) => r.response.status === 201 || r.response.status === 402)).toBe(true);
    expect(succeeded).toBe(5); // each success takes exactly 1010 of the 5050
    expect(await available(client)).toBe(0);
    await expectLedgerInvariants(s.deps.db);
  });
});
