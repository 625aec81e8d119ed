/**
 * Payouts to registered payers' wallets (`usr_…`, through the wallets port of payments): the
 * payer must be one of the merchant's (422 `payer_not_found` with a pointer otherwise), is
 * credited at once with no fee, and an all-wallet disbursement finishes at creation; an
 * escrow-disbursement credits the wallet only when released.
 */
import { and, eq, sql } from 'drizzle-orm';
import { toNumber } from '../../server/db/index.ts';
import { ledgerEntries } from '../../server/ledger/schema.ts';
import { describe, expect, it } from 'vitest';
import type { TillpointClient } from '../../client/index.ts';
import { expectLedgerInvariants } from '../support/ledger-invariants.ts';
import { expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { DESTINATIONS, available, fund, quote, withClient } from './fixtures.ts';

const { server: s } = useTestServer({ clock: Date.parse('2026-11-21T10:00:00.000Z') });

async function payer(client: TillpointClient): Promise<string> {
  const r = await client.POST('/v1/sandbox/payers', { body: { name: 'Amara Okello', email: `amara+${crypto.randomUUID()}@example.com` } });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  return r.data!.id;
}

/** The payer's wallet balance in `currency`, from the ledger. */
async function walletBalance(userId: string, currency = 'USD'): Promise<number> {
  const [row] = await s.deps.db
    .select({ sum: sql<string | null>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.account, `payer:${userId}:wallet`), eq(ledgerEntries.currency, currency)));
  return toNumber(row?.sum ?? 0);
}

describe('wallet recipients', () => {
  it('quote: no fee; 422 payer_not_found for an unknown payer or another merchant\'s, pointing at the recipient', async () => {
    const { merchant, client } = await s.newMerchant();
    const other = await s.newMerchant();
    const mine = await payer(client);
    const theirs = await payer(other.client);
    const q = await quote(client, merchant.clientId, { currency: 'USD', recipients: [{ destination: { type: 'wallet', userId: mine }, amount: 2500 }] });
    expect(q.recipients[0]!.fee).toBe(0);
    for (const userId of [theirs, 'usr_000000000000000000000000']) {
      const r = await client.POST('/v1/disbursements/quotes', {
        params: withClient(merchant.clientId),
        body: { currency: 'USD', recipients: [{ destination: DESTINATIONS.bankPaid, amount: 1000 }, { destination: { type: 'wallet', userId }, amount: 1000 }] },
      });
      expect(expectProblem(r, 422, 'payer_not_found').errors).toEqual([{ pointer: '/recipients/1/destination/userId', detail: 'is not a registered payer of yours' }]);
    }
  });

  it('a disbursement credits the wallet at once (paid); all-wallet → completed at creation with created and completed events; mixed → the rest by the job', async () => {
    const { merchant, client } = await s.newMerchant();
    await fund(client, 100000);
    const userId = await payer(client);
    const q = await quote(client, merchant.clientId, { currency: 'USD', recipients: [{ destination: { type: 'wallet', userId }, amount: 2500 }] });
    const r = await client.POST('/v1/disbursements', { params: withClient(merchant.clientId), body: { quoteId: q.id } });
    expect(r.response.status).toBe(201);
    expect(r.data).toMatchObject({ status: 'completed', total: 2500 });
    expect(r.data!.recipients[0]).toMatchObject({ status: 'paid', paidAt: r.data!.createdAt });
    expect(await walletBalance(userId)).toBe(2500);
    expect(await available(client)).toBe(100000 - 2500);
    const events = await client.GET('/v1/events', { params: { query: { limit: 100 } } });
    expect(events.data!.data.map((e) => e.type).filter((t) => t.startsWith('disbursement.')).sort()).toEqual(['disbursement.completed', 'disbursement.created']);

    const mixed = await quote(client, merchant.clientId, { currency: 'USD', recipients: [{ destination: { type: 'wallet', userId }, amount: 1000 }, { destination: DESTINATIONS.bankPaid, amount: 1000 }] });
    const m = await client.POST('/v1/disbursements', { params: withClient(merchant.clientId), body: { quoteId: mixed.id } });
    expect(m.data!.status).toBe('pending');
    expect(m.data!.recipients.map((x) => x.status)).toEqual(['paid', 'pending']);
    expect(await walletBalance(userId)).toBe(3500);
    // Cancelling returns only what is still reserved: the wallet credit stays.
    const c = await client.POST('/v1/disbursements/{disbursementId}/cancel', { params: withClient(merchant.clientId, { path: { disbursementId: m.data!.id } }) });
    expect(c.data!.recipients.map((x) => x.status)).toEqual(['paid', 'cancelled']);
    expect(await available(client)).toBe(100000 - 2500 - 1000);
    await expectLedgerInvariants(s.deps.db);
  });

  it('an escrow-disbursement credits the wallet only when released', async () => {
    const { merchant, client } = await s.newMerchant();
    await fund(client, 10000);
    const userId = await payer(client);
    const q = await quote(client, merchant.clientId, { currency: 'USD', recipients: [{ destination: { type: 'wallet', userId }, amount: 4000 }] });
    const held = await client.POST('/v1/escrow-disbursements', { params: withClient(merchant.clientId), body: { quoteId: q.id } });
    expect(held.data!.status).toBe('held');
    expect(await walletBalance(userId)).toBe(0);
    const released = await client.POST('/v1/escrow-disbursements/{disbursementId}/release', { params: withClient(merchant.clientId, { path: { disbursementId: held.data!.id } }) });
    expect(released.data).toMatchObject({ status: 'completed' });
    expect(await walletBalance(userId)).toBe(4000);
    expect(await available(client)).toBe(6000);
    await expectLedgerInvariants(s.deps.db);
  });
});
