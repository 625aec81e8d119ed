/**
 * Escrow-disbursements (escrows family), one `describe` per operationId: a quoted payout whose
 * total leaves the available balance into a held account at creation, reaches the recipients
 * only when released (then paid by the payout job like a disbursement), and returns when
 * cancelled. Every documented status but 500.
 */
import { describe, expect, it } from 'vitest';
import { PAYOUT_PROCESSING_SECONDS } from '../../generated/test-instruments.ts';
import { createApplication, createToken, tokenClient } from '../applications/fixtures.ts';
import { DESTINATIONS, available, fund, quote, withClient, type EscrowDisbursement, type QuoteRequest } from '../disbursements/fixtures.ts';
import type { TillpointClient } from '../../client/index.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { expectLedgerInvariants } from '../support/ledger-invariants.ts';
import { asResult, expectInvalidBody, expectInvalidParameter, expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';

const { server: s, limited, clock } = useTestServer({ clock: Date.parse('2026-11-21T10:00:00.000Z'), rateLimit: 2 });

const THREE: QuoteRequest = {
  currency: 'USD',
  recipients: [
    { destination: DESTINATIONS.mobileMoneyPaid, amount: 20000 },
    { destination: DESTINATIONS.bankPaid, amount: 30000 },
    { destination: DESTINATIONS.mobileMoneyFailed, amount: 10000 },
  ],
};
const TOTAL = 60750;

async function funded(amount: number) {
  const { merchant, client } = await s.newMerchant();
  if (amount > 0) await fund(client, amount);
  return { merchant, client, clientId: merchant.clientId };
}

async function hold(client: TillpointClient, clientId: string, body: QuoteRequest = THREE): Promise<EscrowDisbursement> {
  const q = await quote(client, clientId, body);
  const r = await client.POST('/v1/escrow-disbursements', { params: withClient(clientId), body: { quoteId: q.id, description: 'Harvest payouts' } });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  return r.data!;
}

const act = (client: TillpointClient, clientId: string, action: 'release' | 'cancel', disbursementId: string) =>
  action === 'release'
    ? client.POST('/v1/escrow-disbursements/{disbursementId}/release', { params: withClient(clientId, { path: { disbursementId } }) })
    : client.POST('/v1/escrow-disbursements/{disbursementId}/cancel', { params: withClient(clientId, { path: { disbursementId } }) });

const getOne = (client: TillpointClient, clientId: string, disbursementId: string) =>
  client.GET('/v1/escrow-disbursements/{disbursementId}', { params: withClient(clientId, { path: { disbursementId } }) });

describe('createEscrowDisbursement', () => {
  it('201 held: the total leaves available into the held account and nobody is paid, however long it waits', async () => {
    const { client, clientId } = await funded(100000);
    const d = await hold(client, clientId);
    expect(d).toMatchObject({ status: 'held', total: TOTAL, releasedAt: null, completedAt: null, description: 'Harvest payouts' });
    expect(await available(client)).toBe(100000 - TOTAL);
    clock.advanceSeconds(PAYOUT_PROCESSING_SECONDS * 10);
    const later = await getOne(client, clientId, d.id);
    expect(later.data!.status).toBe('held');
    expect(later.data!.recipients.every((r) => r.status === 'pending')).toBe(true);
    await expectLedgerInvariants(s.deps.db);
  });

  it("402 insufficient_funds (nothing held), 404 for another merchant's quote, 422 quote_used / quote_expired", async () => {
    const { client, clientId } = await funded(1000);
    const big = await quote(client, clientId, THREE);
    expectProblem(await client.POST('/v1/escrow-disbursements', { params: withClient(clientId), body: { quoteId: big.id } }), 402, 'insufficient_funds');
    expect(await available(client)).toBe(1000);
    const other = await funded(0);
    expectProblem(await other.client.POST('/v1/escrow-disbursements', { params: withClient(other.clientId), body: { quoteId: big.id } }), 404, 'not_found');
    await fund(client, 100000);
    const q = await quote(client, clientId, THREE);
    expect((await client.POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: q.id } })).response.status).toBe(201);
    expectProblem(await client.POST('/v1/escrow-disbursements', { params: withClient(clientId), body: { quoteId: q.id } }), 422, 'quote_used');
    clock.advanceSeconds(15 * 60);
    expectProblem(await client.POST('/v1/escrow-disbursements', { params: withClient(clientId), body: { quoteId: big.id } }), 422, 'quote_expired');
  });

  it('400 missing_client_id and a malformed quoteId, 401, 403 without escrows.write, 409 in progress, 415, 422 key reused, 429', async () => {
    const { merchant, client, clientId } = await funded(100000);
    const q = await quote(client, clientId, THREE);
    expectProblem(await client.POST('/v1/escrow-disbursements', { params: { header: {} as { 'X-Client-Id': string } }, body: { quoteId: q.id } }), 400, 'missing_client_id');
    expectInvalidBody(await client.POST('/v1/escrow-disbursements', { params: withClient(clientId), body: { quoteId: 'dsb_x' } }), '/quoteId');
    expectProblem(await s.anonymous().POST('/v1/escrow-disbursements', { params: withClient(clientId), body: { quoteId: q.id } }), 401, 'unauthenticated');
    const app = await createApplication(client);
    const disburser = tokenClient(s, (await createToken(client, app.id, ['disbursements.write', 'escrows.read'])).token);
    const lacking = expectProblem(await disburser.POST('/v1/escrow-disbursements', { params: withClient(app.clientId), body: { quoteId: q.id } }), 403, 'insufficient_scope');
    expect(lacking.requiredScopes).toEqual(['escrows.write']);
    const key = newKey();
    await claimKeyInFlight(s.deps.db, { merchantId: merchant.merchantId, key, operationId: 'createEscrowDisbursement', path: '/v1/escrow-disbursements', body: { quoteId: q.id }, at: clock.now() });
    expectProblem(await client.POST('/v1/escrow-disbursements', { params: withClient(clientId, { header: { 'Idempotency-Key': key } }), body: { quoteId: q.id } }), 409, 'idempotency_request_in_progress');
    const key2 = newKey();
    expect((await client.POST('/v1/escrow-disbursements', { params: withClient(clientId, { header: { 'Idempotency-Key': key2 } }), body: { quoteId: q.id } })).response.status).toBe(201);
    const replay = await client.POST('/v1/escrow-disbursements', { params: withClient(clientId, { header: { 'Idempotency-Key': key2 } }), body: { quoteId: q.id } });
    expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
    expect(await available(client)).toBe(100000 - TOTAL);
    expectProblem(await client.POST('/v1/escrow-disbursements', { params: withClient(clientId, { header: { 'Idempotency-Key': key2 } }), body: { quoteId: q.id, description: 'other' } }), 422, 'idempotency_key_reused');
    const raw = await s.raw('/v1/escrow-disbursements', { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'x-client-id': clientId, 'content-type': 'text/plain' }, body: 'x' });
    expectProblem(await asResult(raw), 415, 'unsupported_media_type');
    const l = await limited.newMerchant();
    for (let i = 0; i < 2; i++) await l.client.GET('/v1/escrow-disbursements', { params: withClient(l.merchant.clientId) });
    expectProblem(await l.client.POST('/v1/escrow-disbursements', { params: withClient(l.merchant.clientId), body: { quoteId: q.id } }), 429, 'rate_limited');
  });
});

describe('releaseEscrowDisbursement', () => {
  it('200: released (pending), then the payout job pays two and fails one; the failed amount and fee return to available; 409 on a second release or a cancel', async () => {
    const { client, clientId } = await funded(100000);
    const d = await hold(client, clientId);
    clock.advanceSeconds(60);
    const r = await act(client, clientId, 'release', d.id);
    expect(r.response.status).toBe(200);
    expect(r.data).toMatchObject({ status: 'pending', releasedAt: clock.iso() });
    expect(await available(client)).toBe(100000 - TOTAL);
    await expectLedgerInvariants(s.deps.db);
    expectProblem(await act(client, clientId, 'release', d.id), 409, 'invalid_state_transition');
    expectProblem(await act(client, clientId, 'cancel', d.id), 409, 'invalid_state_transition');
    clock.advanceSeconds(PAYOUT_PROCESSING_SECONDS);
    const done = await getOne(client, clientId, d.id);
    expect(done.data!.status).toBe('partially_failed');
    expect(done.data!.recipients.map((x) => x.status)).toEqual(['paid', 'paid', 'failed']);
    expect(await available(client)).toBe(100000 - TOTAL + 10150);
    await expectLedgerInvariants(s.deps.db);
  });

  it("404 for an unknown id and another merchant's (BOLA: it stays held); 400 for a malformed id and a plain disbursement's (dsb_); 401; 403 without escrows.write", async () => {
    const a = await funded(200000);
    const b = await funded(0);
    const d = await hold(a.client, a.clientId);
    expectProblem(await act(b.client, b.clientId, 'release', d.id), 404, 'not_found');
    expect((await getOne(a.client, a.clientId, d.id)).data!.status).toBe('held');
    expectProblem(await act(a.client, a.clientId, 'release', 'edb_000000000000000000000000'), 404, 'not_found');
    const q = await quote(a.client, a.clientId, THREE);
    const plain = await a.client.POST('/v1/disbursements', { params: withClient(a.clientId), body: { quoteId: q.id } });
    expectInvalidParameter(await act(a.client, a.clientId, 'release', plain.data!.id), 'disbursementId');
    expectInvalidParameter(await act(a.client, a.clientId, 'release', 'nope'), 'disbursementId');
    expectProblem(await s.anonymous().POST('/v1/escrow-disbursements/{disbursementId}/release', { params: withClient(a.clientId, { path: { disbursementId: d.id } }) }), 401, 'unauthenticated');
    const app = await createApplication(a.client);
    const reader = tokenClient(s, (await createToken(a.client, app.id, ['escrows.read'])).token);
    expectProblem(await reader.POST('/v1/escrow-disbursements/{disbursementId}/release', { params: withClient(app.clientId, { path: { disbursementId: d.id } }) }), 403, 'insufficient_scope');
  });
});

describe('cancelEscrowDisbursement', () => {
  it('200: the held total returns to available, every recipient cancelled; 409 on a second cancel or a release', async () => {
    const { client, clientId } = await funded(100000);
    const d = await hold(client, clientId);
    const r = await act(client, clientId, 'cancel', d.id);
    expect(r.response.status).toBe(200);
    expect(r.data!.status).toBe('cancelled');
    expect(r.data!.recipients.every((x) => x.status === 'cancelled')).toBe(true);
    expect(await available(client)).toBe(100000);
    expectProblem(await act(client, clientId, 'cancel', d.id), 409, 'invalid_state_transition');
    expectProblem(await act(client, clientId, 'release', d.id), 409, 'invalid_state_transition');
    await expectLedgerInvariants(s.deps.db);
  });

  it("404 for another merchant's (BOLA), 400 malformed id, 401, 403 without escrows.write", async () => {
    const a = await funded(100000);
    const b = await funded(0);
    const d = await hold(a.client, a.clientId);
    expectProblem(await act(b.client, b.clientId, 'cancel', d.id), 404, 'not_found');
    expect(await available(a.client)).toBe(100000 - TOTAL);
    expectInvalidParameter(await act(a.client, a.clientId, 'cancel', 'nope'), 'disbursementId');
    expectProblem(await s.anonymous().POST('/v1/escrow-disbursements/{disbursementId}/cancel', { params: withClient(a.clientId, { path: { disbursementId: d.id } }) }), 401, 'unauthenticated');
    const app = await createApplication(a.client);
    const reader = tokenClient(s, (await createToken(a.client, app.id, ['escrows.read'])).token);
    expectProblem(await reader.POST('/v1/escrow-disbursements/{disbursementId}/cancel', { params: withClient(app.clientId, { path: { disbursementId: d.id } }) }), 403, 'insufficient_scope');
  });
});

describe('getEscrowDisbursement and listEscrowDisbursements', () => {
  it('200 with filters and pagination, never a plain disbursement; 404 BOLA; 400 bad limit; 401; 403 without escrows.read', async () => {
    const a = await funded(1000000);
    const b = await funded(0);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await hold(a.client, a.clientId)).id);
      clock.advance(1000);
    }
    await act(a.client, a.clientId, 'cancel', ids[0]!);
    const q = await quote(a.client, a.clientId, THREE);
    await a.client.POST('/v1/disbursements', { params: withClient(a.clientId), body: { quoteId: q.id } });
    const page1 = await a.client.GET('/v1/escrow-disbursements', { params: withClient(a.clientId, { query: { limit: 2 } }) });
    const page2 = await a.client.GET('/v1/escrow-disbursements', { params: withClient(a.clientId, { query: { limit: 2, cursor: page1.data!.nextCursor! } }) });
    expect([...page1.data!.data, ...page2.data!.data].map((d) => d.id)).toEqual([...ids].reverse());
    expect(page2.data!.hasMore).toBe(false);
    const held = await a.client.GET('/v1/escrow-disbursements', { params: withClient(a.clientId, { query: { status: 'held' as const } }) });
    expect(held.data!.data.map((d) => d.id)).toEqual([ids[2], ids[1]]);
    expect((await getOne(a.client, a.clientId, ids[1]!)).data!.id).toBe(ids[1]);
    expectProblem(await getOne(b.client, b.clientId, ids[1]!), 404, 'not_found');
    expectInvalidParameter(await a.client.GET('/v1/escrow-disbursements', { params: withClient(a.clientId, { query: { limit: 101 } }) }), 'limit');
    expectInvalidParameter(await getOne(a.client, a.clientId, 'x'), 'disbursementId');
    expectProblem(await s.anonymous().GET('/v1/escrow-disbursements', { params: withClient(a.clientId) }), 401, 'unauthenticated');
    const app = await createApplication(a.client);
    const writer = tokenClient(s, (await createToken(a.client, app.id, ['escrows.write'])).token);
    expectProblem(await writer.GET('/v1/escrow-disbursements', { params: withClient(app.clientId) }), 403, 'insufficient_scope');
    expectProblem(await writer.GET('/v1/escrow-disbursements/{disbursementId}', { params: withClient(app.clientId, { path: { disbursementId: ids[1]! } }) }), 403, 'insufficient_scope');
  });
});
