/**
 * The disbursements family, one `describe` per operationId: what an integrator relies on (fees,
 * reservation, per-recipient outcomes, balances, events) and every status the contract documents
 * for each operation, except 500 (cannot be provoked) and the wallets port's 404 (needs the
 * payer-identity family). The server runs on a controllable clock so that quote expiry and the
 * payout job's delay are exact.
 */
import { describe, expect, it } from 'vitest';
import { PAYOUT_PROCESSING_SECONDS } from '../../generated/test-instruments.ts';
import { createApplication, createToken, tokenClient } from '../applications/fixtures.ts';
import { clientWithUnknownKey } from '../support/clients.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { expectBalanceIsLedger, expectLedgerInvariants } from '../support/ledger-invariants.ts';
import { asResult, expectInvalidBody, expectInvalidParameter, expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { DESTINATIONS, available, disburse, fund, getDisbursement, quote, withClient, type Destination, type QuoteRequest } from './fixtures.ts';

const { server: s, limited, clock } = useTestServer({ clock: Date.parse('2026-11-21T10:00:00.000Z'), rateLimit: 2 });
const UNKNOWN = 'dsb_000000000000000000000000';

/** The three-recipient payout of the README: two paid (mobile money, bank), one failing. */
const THREE: QuoteRequest = {
  currency: 'USD',
  recipients: [
    { destination: DESTINATIONS.mobileMoneyPaid, amount: 20000, reference: 'AGENT-017' },
    { destination: DESTINATIONS.bankPaid, amount: 30000 },
    { destination: DESTINATIONS.mobileMoneyFailed, amount: 10000, reference: 'AGENT-018' },
  ],
};
const one = (amount: number, destination: Destination = DESTINATIONS.bankPaid): QuoteRequest => ({ currency: 'USD', recipients: [{ destination, amount }] });

async function funded(amount: number) {
  const { merchant, client } = await s.newMerchant();
  if (amount > 0) await fund(client, amount);
  return { merchant, client, clientId: merchant.clientId };
}

describe('createDisbursementQuote', () => {
  it('201: per-recipient amount and fee from the schedule (1.5 % mobile money, 1 % bank, rounded up), totals and a 15-minute expiry', async () => {
    const { client, clientId } = await funded(0);
    const q = await quote(client, clientId, {
      currency: 'USD',
      recipients: [...THREE.recipients, { destination: DESTINATIONS.mobileMoneyPaid, amount: 1001 }],
    });
    expect(q.id).toMatch(/^quo_/);
    expect(q.recipients.map((r) => [r.amount, r.fee])).toEqual([[20000, 300], [30000, 300], [10000, 150], [1001, 16]]);
    expect(q.recipients[0]!.reference).toBe('AGENT-017');
    expect(q).toMatchObject({ amount: 61001, fee: 766, total: 61767, currency: 'USD', disbursementId: null });
    expect(Date.parse(q.expiresAt) - Date.parse(q.createdAt)).toBe(15 * 60 * 1000);
    expect(await available(client)).toBe(0); // nothing reserved by a quote
  });

  it('400: without X-Client-Id (missing_client_id), a phone number that is not E.164-valid or not a payout test number, an unknown bank account, an unknown currency', async () => {
    const { client, clientId } = await funded(0);
    const missing = await client.POST('/v1/disbursements/quotes', { params: { header: {} as { 'X-Client-Id': string } }, body: THREE });
    expect(expectProblem(missing, 400, 'missing_client_id').errors).toEqual([{ header: 'x-client-id', detail: 'is required' }]);
    const post = (body: QuoteRequest) => client.POST('/v1/disbursements/quotes', { params: withClient(clientId), body });
    expectInvalidBody(await post(one(1000, { type: 'mobile_money', provider: 'mtn', phoneNumber: '+25670000000' })), '/recipients/0/destination/phoneNumber');
    expectInvalidBody(await post(one(1000, { type: 'mobile_money', provider: 'mtn', phoneNumber: '+256700000009' })), '/recipients/0/destination/phoneNumber');
    expectInvalidBody(await post({ currency: 'USD', recipients: [THREE.recipients[0]!, { destination: { ...DESTINATIONS.bankPaid, accountNumber: '1234567890' }, amount: 1000 }] }), '/recipients/1/destination/accountNumber');
    expectInvalidBody(await post({ ...one(1000), currency: 'XXX' }), '/currency');
    expectInvalidBody(await post({ currency: 'USD', recipients: [] }), '/recipients');
  });

  it('401 without a credential or with an unknown key', async () => {
    const { clientId } = await funded(0);
    expectProblem(await s.anonymous().POST('/v1/disbursements/quotes', { params: withClient(clientId), body: THREE }), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).POST('/v1/disbursements/quotes', { params: withClient(clientId), body: THREE }), 401, 'unauthenticated');
  });

  it("403: a client token without disbursements.write (insufficient_scope), an X-Client-Id that is not the merchant's or not the token's application (invalid_client_id)", async () => {
    const { client, clientId } = await funded(0);
    const app = await createApplication(client);
    const reader = tokenClient(s, (await createToken(client, app.id, ['disbursements.read'])).token);
    const writer = tokenClient(s, (await createToken(client, app.id, ['disbursements.write'])).token);
    const lacking = expectProblem(await reader.POST('/v1/disbursements/quotes', { params: withClient(app.clientId), body: THREE }), 403, 'insufficient_scope');
    expect(lacking.requiredScopes).toEqual(['disbursements.write']);
    const other = await s.newMerchant();
    expectProblem(await client.POST('/v1/disbursements/quotes', { params: withClient(other.merchant.clientId), body: THREE }), 403, 'invalid_client_id');
    expectProblem(await writer.POST('/v1/disbursements/quotes', { params: withClient(clientId), body: THREE }), 403, 'invalid_client_id');
    const r = await writer.POST('/v1/disbursements/quotes', { params: withClient(app.clientId), body: THREE });
    expect(r.response.status).toBe(201);
  });

  it('409 while a request with the same Idempotency-Key is in progress; a replay returns the same quote', async () => {
    const { merchant, client, clientId } = await funded(0);
    const key = newKey();
    await claimKeyInFlight(s.deps.db, { merchantId: merchant.merchantId, key, operationId: 'createDisbursementQuote', path: '/v1/disbursements/quotes', body: THREE, at: clock.now() });
    const r = await client.POST('/v1/disbursements/quotes', { params: withClient(clientId, { header: { 'Idempotency-Key': key } }), body: THREE });
    expectProblem(r, 409, 'idempotency_request_in_progress');
    const key2 = newKey();
    const first = await client.POST('/v1/disbursements/quotes', { params: { header: { 'X-Client-Id': clientId, 'Idempotency-Key': key2 } }, body: THREE });
    const again = await client.POST('/v1/disbursements/quotes', { params: { header: { 'X-Client-Id': clientId, 'Idempotency-Key': key2 } }, body: THREE });
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data!.id).toBe(first.data!.id);
    expectProblem(await client.POST('/v1/disbursements/quotes', { params: { header: { 'X-Client-Id': clientId, 'Idempotency-Key': key2 } }, body: one(5000) }), 422, 'idempotency_key_reused');
  });

  it('415 for a body that is not JSON', async () => {
    const { merchant, clientId } = await funded(0);
    const r = await s.raw('/v1/disbursements/quotes', { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'x-client-id': clientId, 'content-type': 'text/plain' }, body: 'recipients' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });

  it("422 amount_too_small below the currency's minimum, pointing at the recipient's amount", async () => {
    const { client, clientId } = await funded(0);
    const r = await client.POST('/v1/disbursements/quotes', { params: withClient(clientId), body: { currency: 'USD', recipients: [THREE.recipients[0]!, { destination: DESTINATIONS.bankPaid, amount: 49 }] } });
    expect(expectProblem(r, 422, 'amount_too_small').errors?.[0]?.pointer).toBe('/recipients/1/amount');
  });

  it('429 past the rate limit', async () => {
    const { merchant, client } = await limited.newMerchant();
    for (let i = 0; i < 2; i++) await client.POST('/v1/disbursements/quotes', { params: withClient(merchant.clientId), body: THREE });
    const r = await client.POST('/v1/disbursements/quotes', { params: withClient(merchant.clientId), body: THREE });
    expectProblem(r, 429, 'rate_limited');
    expect(r.response.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});

describe('createDisbursement', () => {
  it('201 pending with the whole total reserved; the job pays two recipients, fails one, returns its amount and fee; partially_failed; events', async () => {
    const { client, clientId } = await funded(100000);
    const d = await disburse(client, clientId, THREE);
    expect(d).toMatchObject({ status: 'pending', amount: 60000, fee: 750, total: 60750, completedAt: null, applicationId: null });
    expect(d.recipients.every((r) => r.status === 'pending')).toBe(true);
    expect(await available(client)).toBe(100000 - 60750);
    await expectLedgerInvariants(s.deps.db);

    clock.advanceSeconds(PAYOUT_PROCESSING_SECONDS);
    const done = await getDisbursement(client, clientId, d.id);
    expect(done.status).toBe('partially_failed');
    expect(done.recipients.map((r) => r.status)).toEqual(['paid', 'paid', 'failed']);
    expect(done.recipients[2]).toMatchObject({ failureCode: 'recipient_rejected', paidAt: null });
    expect(done.recipients[0]!.paidAt).toBe(clock.iso());
    expect(done.completedAt).toBe(clock.iso());
    expect(await available(client)).toBe(100000 - 60750 + 10150);
    await expectLedgerInvariants(s.deps.db);

    const events = await client.GET('/v1/events', { params: { query: { limit: 100 } } });
    const types = events.data!.data.map((e) => e.type);
    expect(types).toContain('disbursement.created');
    expect(types).toContain('disbursement.completed');
    const completed = events.data!.data.find((e) => e.type === 'disbursement.completed')!;
    expect((completed.data.object as { status: string }).status).toBe('partially_failed');
  });

  it('every recipient paid → completed; every recipient failed → failed, with the whole total back', async () => {
    const { merchant, client, clientId } = await funded(100000);
    const ok = await disburse(client, clientId, one(10000, DESTINATIONS.mobileMoneyPaid));
    const bad = await disburse(client, clientId, { currency: 'USD', recipients: [{ destination: DESTINATIONS.bankFailed, amount: 10000 }, { destination: DESTINATIONS.mobileMoneyFailed, amount: 5000 }] });
    clock.advanceSeconds(PAYOUT_PROCESSING_SECONDS);
    expect((await getDisbursement(client, clientId, ok.id)).status).toBe('completed');
    expect((await getDisbursement(client, clientId, bad.id)).status).toBe('failed');
    expect(await available(client)).toBe(100000 - 10150);
    await expectBalanceIsLedger(s.deps.db, client, merchant.merchantId);
    await expectLedgerInvariants(s.deps.db);
  });

  it('402 insufficient_funds when the available balance is below the total (amount plus fees); nothing reserved, the quote still unused', async () => {
    const { client, clientId } = await funded(10000);
    const q = await quote(client, clientId, one(9950)); // total 9950 + 100 = 10050
    expectProblem(await client.POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: q.id } }), 402, 'insufficient_funds');
    expect(await available(client)).toBe(10000);
    await fund(client, 50);
    const r = await client.POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: q.id } });
    expect(r.response.status).toBe(201);
    expect(await available(client)).toBe(0);
  });

  it("404 for another merchant's quote (pointer /quoteId), which stays usable by its owner", async () => {
    const a = await funded(100000);
    const b = await funded(100000);
    const q = await quote(a.client, a.clientId, one(1000));
    const r = await b.client.POST('/v1/disbursements', { params: withClient(b.clientId), body: { quoteId: q.id } });
    expect(expectProblem(r, 404, 'not_found').errors?.[0]?.pointer).toBe('/quoteId');
    expect(await available(b.client)).toBe(100000);
    expect((await a.client.POST('/v1/disbursements', { params: withClient(a.clientId), body: { quoteId: q.id } })).response.status).toBe(201);
  });

  it('422 quote_used for a second payment of a quote, quote_expired 15 minutes after it was created', async () => {
    const { client, clientId } = await funded(100000);
    const q = await quote(client, clientId, one(1000));
    expect((await client.POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: q.id } })).response.status).toBe(201);
    const used = await client.POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: q.id } });
    expect(expectProblem(used, 422, 'quote_used').errors?.[0]?.pointer).toBe('/quoteId');
    const late = await quote(client, clientId, one(1000));
    clock.advanceSeconds(15 * 60);
    expectProblem(await client.POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: late.id } }), 422, 'quote_expired');
  });

  it('a retry with the same Idempotency-Key replays the disbursement and reserves once', async () => {
    const { client, clientId } = await funded(100000);
    const q = await quote(client, clientId, one(1000));
    const key = newKey();
    const params = { header: { 'X-Client-Id': clientId, 'Idempotency-Key': key } };
    const first = await client.POST('/v1/disbursements', { params, body: { quoteId: q.id } });
    const again = await client.POST('/v1/disbursements', { params, body: { quoteId: q.id } });
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data!.id).toBe(first.data!.id);
    expect(await available(client)).toBe(100000 - 1010);
  });

  it('400 for a malformed quoteId, 401, 403 with a read-only client token, 415', async () => {
    const { merchant, client, clientId } = await funded(0);
    expectInvalidBody(await client.POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: 'quo_nope' } }), '/quoteId');
    expectProblem(await s.anonymous().POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: 'quo_000000000000000000000000' } }), 401, 'unauthenticated');
    const app = await createApplication(client);
    const reader = tokenClient(s, (await createToken(client, app.id, ['disbursements.read'])).token);
    expectProblem(await reader.POST('/v1/disbursements', { params: withClient(app.clientId), body: { quoteId: 'quo_000000000000000000000000' } }), 403, 'insufficient_scope');
    const raw = await s.raw('/v1/disbursements', { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'x-client-id': clientId, 'content-type': 'text/plain' }, body: 'x' });
    expectProblem(await asResult(raw), 415, 'unsupported_media_type');
  });

  it("a client token's disbursement carries its applicationId", async () => {
    const { client } = await funded(100000);
    const app = await createApplication(client);
    const writer = tokenClient(s, (await createToken(client, app.id, ['disbursements.write'])).token);
    const q = await writer.POST('/v1/disbursements/quotes', { params: withClient(app.clientId), body: one(1000) });
    const d = await writer.POST('/v1/disbursements', { params: withClient(app.clientId), body: { quoteId: q.data!.id } });
    expect(d.data!.applicationId).toBe(app.id);
  });
});

describe('listDisbursements', () => {
  it('200: newest first, status and created filters, every disbursement once across pages, never an escrow-disbursement', async () => {
    const { client, clientId } = await funded(1000000);
    const first = await disburse(client, clientId, one(1000));
    clock.advance(1000);
    const created: string[] = [first.id];
    for (let i = 0; i < 4; i++) {
      created.push((await disburse(client, clientId, one(1000))).id);
      clock.advance(1000);
    }
    const q = await quote(client, clientId, one(1000));
    await client.POST('/v1/escrow-disbursements', { params: withClient(clientId), body: { quoteId: q.id } });
    await client.POST('/v1/disbursements/{disbursementId}/cancel', { params: withClient(clientId, { path: { disbursementId: created[4]! } }) });

    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const r = await client.GET('/v1/disbursements', { params: withClient(clientId, { query: { limit: 2, cursor } }) });
      expect(r.response.status).toBe(200);
      seen.push(...r.data!.data.map((d) => d.id));
      if (!r.data!.hasMore) break;
      cursor = r.data!.nextCursor!;
    }
    expect(seen).toEqual([...created].reverse());
    const cancelled = await client.GET('/v1/disbursements', { params: withClient(clientId, { query: { status: 'cancelled' as const } }) });
    expect(cancelled.data!.data.map((d) => d.id)).toEqual([created[4]]);
    const before = await client.GET('/v1/disbursements', { params: withClient(clientId, { query: { createdLt: new Date(Date.parse(first.createdAt) + 1).toISOString() } }) });
    expect(before.data!.data.map((d) => d.id)).toEqual([first.id]);
  });

  it('400 for a bad limit or cursor, 401, 403 without disbursements.read, 400 missing_client_id', async () => {
    const { client, clientId } = await funded(0);
    expectInvalidParameter(await client.GET('/v1/disbursements', { params: withClient(clientId, { query: { limit: 0 } }) }), 'limit');
    expectInvalidParameter(await client.GET('/v1/disbursements', { params: withClient(clientId, { query: { cursor: 'bm9wZQ' } }) }), 'cursor');
    expectProblem(await s.anonymous().GET('/v1/disbursements', { params: withClient(clientId) }), 401, 'unauthenticated');
    const app = await createApplication(client);
    const writer = tokenClient(s, (await createToken(client, app.id, ['disbursements.write'])).token);
    expectProblem(await writer.GET('/v1/disbursements', { params: withClient(app.clientId) }), 403, 'insufficient_scope');
    expectProblem(await client.GET('/v1/disbursements', { params: { header: {} as { 'X-Client-Id': string } } }), 400, 'missing_client_id');
  });
});

describe('getDisbursement', () => {
  it("200 with per-recipient status; 404 for an unknown id and another merchant's disbursement (BOLA); 400 for a malformed id and an escrow-disbursement's (edb_); 401; 403", async () => {
    const a = await funded(100000);
    const b = await funded(0);
    const d = await disburse(a.client, a.clientId, THREE);
    expect((await getDisbursement(a.client, a.clientId, d.id)).recipients).toHaveLength(3);
    const get = (client: typeof a.client, clientId: string, disbursementId: string) =>
      client.GET('/v1/disbursements/{disbursementId}', { params: withClient(clientId, { path: { disbursementId } }) });
    expectProblem(await get(a.client, a.clientId, UNKNOWN), 404, 'not_found');
    expectProblem(await get(b.client, b.clientId, d.id), 404, 'not_found');
    const q = await quote(a.client, a.clientId, one(1000));
    const escrow = await a.client.POST('/v1/escrow-disbursements', { params: withClient(a.clientId), body: { quoteId: q.id } });
    expect(escrow.data!.id).toMatch(/^edb_/);
    expectInvalidParameter(await get(a.client, a.clientId, escrow.data!.id), 'disbursementId');
    expectInvalidParameter(await get(a.client, a.clientId, 'dsb_short'), 'disbursementId');
    expectProblem(await s.anonymous().GET('/v1/disbursements/{disbursementId}', { params: withClient(a.clientId, { path: { disbursementId: d.id } }) }), 401, 'unauthenticated');
    const app = await createApplication(a.client);
    const writer = tokenClient(s, (await createToken(a.client, app.id, ['disbursements.write'])).token);
    expectProblem(await writer.GET('/v1/disbursements/{disbursementId}', { params: withClient(app.clientId, { path: { disbursementId: d.id } }) }), 403, 'insufficient_scope');
  });
});

describe('cancelDisbursement', () => {
  it('200 while pending: every recipient cancelled, the whole reservation back, disbursement.cancelled; then 409 invalid_state_transition, and the job leaves it alone', async () => {
    const { client, clientId } = await funded(100000);
    const d = await disburse(client, clientId, THREE);
    const cancel = () => client.POST('/v1/disbursements/{disbursementId}/cancel', { params: withClient(clientId, { path: { disbursementId: d.id } }) });
    const r = await cancel();
    expect(r.response.status).toBe(200);
    expect(r.data!.status).toBe('cancelled');
    expect(r.data!.recipients.map((x) => x.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(await available(client)).toBe(100000);
    expectProblem(await cancel(), 409, 'invalid_state_transition');
    clock.advanceSeconds(PAYOUT_PROCESSING_SECONDS);
    expect((await getDisbursement(client, clientId, d.id)).status).toBe('cancelled');
    expect(await available(client)).toBe(100000);
    const events = await client.GET('/v1/events', { params: { query: { type: 'disbursement.cancelled' } } });
    expect(events.data!.data.map((e) => (e.data.object as { id: string }).id)).toContain(d.id);
    await expectLedgerInvariants(s.deps.db);
  });

  it('409 invalid_state_transition once the job has processed it', async () => {
    const { client, clientId } = await funded(100000);
    const d = await disburse(client, clientId, one(1000));
    clock.advanceSeconds(PAYOUT_PROCESSING_SECONDS);
    const r = await client.POST('/v1/disbursements/{disbursementId}/cancel', { params: withClient(clientId, { path: { disbursementId: d.id } }) });
    expectProblem(r, 409, 'invalid_state_transition');
    expect(await available(client)).toBe(100000 - 1010);
  });

  it("404 for another merchant's disbursement (which stays pending), 400 for a malformed id, 401, 403", async () => {
    const a = await funded(100000);
    const b = await funded(0);
    const d = await disburse(a.client, a.clientId, one(1000));
    expectProblem(await b.client.POST('/v1/disbursements/{disbursementId}/cancel', { params: withClient(b.clientId, { path: { disbursementId: d.id } }) }), 404, 'not_found');
    expect((await getDisbursement(a.client, a.clientId, d.id)).status).toBe('pending');
    expectInvalidParameter(await a.client.POST('/v1/disbursements/{disbursementId}/cancel', { params: withClient(a.clientId, { path: { disbursementId: 'nope' } }) }), 'disbursementId');
    expectProblem(await s.anonymous().POST('/v1/disbursements/{disbursementId}/cancel', { params: withClient(a.clientId, { path: { disbursementId: d.id } }) }), 401, 'unauthenticated');
    const app = await createApplication(a.client);
    const reader = tokenClient(s, (await createToken(a.client, app.id, ['disbursements.read'])).token);
    expectProblem(await reader.POST('/v1/disbursements/{disbursementId}/cancel', { params: withClient(app.clientId, { path: { disbursementId: d.id } }) }), 403, 'insufficient_scope');
  });
});

describe('createRefund after payouts', () => {
  it('402 insufficient_funds when reserved payouts leave too little available for the refund', async () => {
    const { client, clientId } = await funded(0);
    const pay = await client.POST('/v1/payments', { body: { amount: 10000, currency: 'USD', paymentMethod: { type: 'card', card: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' } } } });
    await disburse(client, clientId, one(9000));
    const r = await client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: pay.data!.id } }, body: { amount: 1000 } });
    expectProblem(r, 402, 'insufficient_funds');
    expect(await available(client)).toBe(10000 - 9090);
    await expectLedgerInvariants(s.deps.db);
  });
});
