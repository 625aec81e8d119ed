/**
 * The escrows family: a describe per operationId (createEscrow, listEscrows, getEscrow,
 * releaseEscrow, cancelEscrow, disputeEscrow, and the sandbox's resolveSandboxEscrowDispute),
 * each documented status but 500; where the money is after every step (escrow-held account,
 * merchant balance, back to the payer's clearing account); BOLA across merchants; parallel
 * release and cancel of one escrow (exactly one wins); auto-release at the deadline after
 * advancing one merchant's test clock while another merchant's escrow stays untouched.
 */
import { describe, expect, it } from 'vitest';
import { createTillpointClient, unwrap } from '../../client/index.ts';
import { createMerchant } from '../../server/auth/index.ts';
import { accountBalances } from '../../server/ledger/index.ts';
import { escrowAccounts } from '../../server/escrows/index.ts';
import { merchantWithToken } from '../applications/fixtures.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { asResult, expectInvalidBody, expectInvalidParameter, expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { act, available, createdEscrow, escrowBody, escrowMerchant, freshEmail, methods, otpFor, postEscrow, type EscrowMerchant } from './fixtures.ts';

const servers = useTestServer({ clock: 'system', rateLimit: 3, live: true });
const s = servers.server;
const now = () => servers.server.deps.realNow();

const held = async (escrowId: string) => (await accountBalances(s.deps.db, escrowAccounts.held(escrowId)))[0]?.amount ?? 0;
const clearing = async (account: string, currency: string) => (await accountBalances(s.deps.db, account)).find((b) => b.currency === currency)?.amount ?? 0;
const eventsOf = async (m: EscrowMerchant, escrowId: string) =>
  unwrap(await m.client.GET('/v1/events', { params: { query: { limit: 100 } } }))
    .data.filter((e) => e.type.startsWith('escrow.') && (e.data.object as { id: string }).id === escrowId)
    .map((e) => e.type)
    .sort(); // events of one transaction share their time: compare them as a set
const advance = (m: EscrowMerchant, seconds: number) => m.client.POST('/v1/sandbox/clock/advance', { body: { seconds } });

describe('createEscrow', () => {
  it('201 funded by mobile money: the money sits in the escrow, not in the balance; escrow.funded', async () => {
    const m = await escrowMerchant(s);
    const before = await clearing('clearing:mobile_money:mtn', 'UGX');
    const r = await postEscrow(m, escrowBody(now(), { metadata: { orderId: 'ORD-2201' } }));
    expect(r.response.status).toBe(201);
    const escrow = r.data!;
    expect(escrow).toMatchObject({
      status: 'funded', amount: 50000, currency: 'UGX', amountHeld: 50000, amountReleased: 0, amountRefunded: 0,
      receiverId: m.merchant.merchantId, allowedActions: ['release', 'cancel', 'dispute'], releasedBy: null, dispute: null,
      paymentMethod: { type: 'mobile_money', mobileMoney: { provider: 'mtn', phoneNumber: '+256700000001' } },
      terms: { type: 'delivery_confirmation' }, metadata: { orderId: 'ORD-2201' }, applicationId: null,
    });
    expect(escrow.id).toMatch(/^esc_[0-9A-Za-z]{24}$/);
    expect(escrow.fundedAt).toBe(escrow.createdAt);
    expect(await held(escrow.id)).toBe(50000);
    expect(await clearing('clearing:mobile_money:mtn', 'UGX')).toBe(before - 50000);
    expect(await available(m.client, 'UGX')).toBe(0);
    expect(await eventsOf(m, escrow.id)).toEqual(['escrow.funded'].sort());
  });

  it('201 funded by a test card with time-release terms; the receiverId may name the merchant itself', async () => {
    const m = await escrowMerchant(s);
    const releaseAt = new Date(now().getTime() + 3_600_000).toISOString();
    const escrow = await createdEscrow(m, escrowBody(now(), {
      amount: 12500, currency: 'USD', paymentMethod: methods.card(), terms: { type: 'time_release', releaseAt }, receiverId: m.merchant.merchantId,
    }));
    expect(escrow).toMatchObject({ status: 'funded', amountHeld: 12500, terms: { type: 'time_release', releaseAt }, paymentMethod: { type: 'card', card: { brand: 'visa', last4: '4242' } } });
  });

  it('201 pending_funding for delayed mobile money, funded (escrow.funded) once approved on the merchant clock', async () => {
    const m = await escrowMerchant(s);
    const escrow = await createdEscrow(m, escrowBody(now(), { paymentMethod: methods.mobileMoney('+256700000003') }));
    expect(escrow).toMatchObject({ status: 'pending_funding', amountHeld: 0, allowedActions: [], fundedAt: null });
    expect(await held(escrow.id)).toBe(0);
    expect((await accountBalances(s.deps.db, escrowAccounts.funding(escrow.id)))[0]?.amount).toBe(50000);
    expectProblem(await act.release(m, escrow.id), 409, 'invalid_state_transition');
    unwrap(await advance(m, 11));
    const funded = unwrap(await act.get(m, escrow.id));
    expect(funded).toMatchObject({ status: 'funded', amountHeld: 50000, allowedActions: ['release', 'cancel', 'dispute'] });
    expect(await held(escrow.id)).toBe(50000);
    expect((await accountBalances(s.deps.db, escrowAccounts.funding(escrow.id)))[0]?.amount).toBe(0);
    expect(await eventsOf(m, escrow.id)).toEqual(['escrow.funded'].sort());
  });

  it('replays the first answer for the same Idempotency-Key: one escrow, charged once', async () => {
    const m = await escrowMerchant(s);
    const email = freshEmail();
    const body = escrowBody(now(), { payer: { email, otp: await otpFor(m.client, email) } });
    const key = newKey();
    const first = await postEscrow(m, body, { 'Idempotency-Key': key });
    const second = await postEscrow(m, body, { 'Idempotency-Key': key });
    expect(second.response.status).toBe(201);
    expect(second.response.headers.get('idempotent-replayed')).toBe('true');
    expect(second.data!.id).toBe(first.data!.id);
    expect(unwrap(await m.client.GET('/v1/escrows', { params: { header: m.header } })).data).toHaveLength(1);
  });

  it('402 for a declined card, a failing mobile-money number, a card without funds; nothing is created', async () => {
    const m = await escrowMerchant(s);
    expectProblem(await postEscrow(m, escrowBody(now(), { amount: 2500, currency: 'USD', paymentMethod: methods.card('4000000000000002') })), 402, 'card_declined');
    expectProblem(await postEscrow(m, escrowBody(now(), { amount: 2500, currency: 'USD', paymentMethod: methods.card('4000000000009995') })), 402, 'insufficient_funds');
    expectProblem(await postEscrow(m, escrowBody(now(), { paymentMethod: methods.mobileMoney('+256700000002') })), 402, 'payment_failed');
    expect(unwrap(await m.client.GET('/v1/escrows', { params: { header: m.header } })).data).toEqual([]);
  });

  it('400 with a pointer: no payer.otp, no payer email or phone, a deadline in the past or too far, not a test card', async () => {
    const m = await escrowMerchant(s);
    const noOtp = await m.client.POST('/v1/escrows', { body: escrowBody(now(), { payer: { email: freshEmail() } }), params: { header: m.header } });
    expectInvalidBody(noOtp, '/payer/otp');
    const noContact = await m.client.POST('/v1/escrows', { body: escrowBody(now(), { payer: { otp: '123456' } }), params: { header: m.header } });
    expectInvalidBody(noContact, '/payer');
    expectInvalidBody(await postEscrow(m, escrowBody(now(), { terms: { type: 'delivery_confirmation', deadline: new Date(now().getTime() - 1000).toISOString() } })), '/terms/deadline');
    expectInvalidBody(await postEscrow(m, escrowBody(now(), { terms: { type: 'time_release', releaseAt: new Date(now().getTime() + 400 * 86_400_000).toISOString() } })), '/terms/releaseAt');
    expectInvalidBody(await postEscrow(m, escrowBody(now(), { amount: 2500, currency: 'USD', paymentMethod: methods.card('4111111111111111') })), '/paymentMethod/card/number');
    expectInvalidBody(await m.client.POST('/v1/escrows', { body: { ...escrowBody(now()), amount: -5 } as never, params: { header: m.header } }), '/amount');
  });

  it('400 missing_client_id without X-Client-Id; 403 invalid_client_id with one that is not the caller’s', async () => {
    const m = await escrowMerchant(s);
    const other = await escrowMerchant(s);
    const r = await s.raw('/v1/escrows', { method: 'POST', headers: { 'x-api-key': m.merchant.apiKey, 'content-type': 'application/json' }, body: JSON.stringify(escrowBody(now())) });
    expectProblem(await asResult(r), 400, 'missing_client_id');
    expectProblem(await postEscrow(m, escrowBody(now()), { 'X-Client-Id': other.merchant.clientId }), 403, 'invalid_client_id');
  });

  it('401 without a credential; 403 insufficient_scope for a client token without escrows.write', async () => {
    const r = await s.anonymous().POST('/v1/escrows', { body: escrowBody(now()), params: { header: { 'X-Client-Id': '7f3k9q2m5x8w1v4b6n0r3t7y2h5j8c1d' } } });
    expectProblem(r, 401, 'unauthenticated');
    const { viaToken, application } = await merchantWithToken(s, ['escrows.read']);
    const denied = await viaToken.POST('/v1/escrows', { body: escrowBody(now(), { payer: { email: freshEmail(), otp: '123456' } }), params: { header: { 'X-Client-Id': application.clientId } } });
    expect(expectProblem(denied, 403, 'insufficient_scope').requiredScopes).toEqual(['escrows.write']);
  });

  it('201 with a client token holding escrows.write: the escrow carries its application', async () => {
    const { viaToken, application, client } = await merchantWithToken(s, ['escrows.write', 'escrows.read']);
    const email = freshEmail();
    const otp = await otpFor(client, email);
    const r = await viaToken.POST('/v1/escrows', { body: escrowBody(now(), { payer: { email, otp } }), params: { header: { 'X-Client-Id': application.clientId } } });
    expect(r.response.status).toBe(201);
    expect(r.data!.applicationId).toBe(application.id);
  });

  it('409 idempotency_request_in_progress while the first request with the key runs', async () => {
    const m = await escrowMerchant(s);
    const key = newKey();
    const body = escrowBody(now(), { payer: { email: freshEmail(), otp: '123456' } });
    await claimKeyInFlight(s.deps.db, { merchantId: m.merchant.merchantId, key, operationId: 'createEscrow', path: '/v1/escrows', body, at: s.deps.realNow() });
    expectProblem(await postEscrow(m, body, { 'Idempotency-Key': key }), 409, 'idempotency_request_in_progress');
  });

  it('415 for a non-JSON body', async () => {
    const m = await escrowMerchant(s);
    const r = await s.raw('/v1/escrows', { method: 'POST', headers: { 'x-api-key': m.merchant.apiKey, 'x-client-id': m.merchant.clientId, 'content-type': 'text/plain' }, body: 'amount=5' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });

  it('422: another receiver, a 3-D Secure card, below the minimum, a wrong one-time code, a reused key', async () => {
    const m = await escrowMerchant(s);
    const other = await escrowMerchant(s);
    const refused = expectProblem(await postEscrow(m, escrowBody(now(), { receiverId: other.merchant.merchantId })), 422, 'receiver_not_allowed');
    expect(refused.errors?.[0]?.pointer).toBe('/receiverId');
    const threeDs = expectProblem(await postEscrow(m, escrowBody(now(), { amount: 2500, currency: 'USD', paymentMethod: methods.card('4000002760003184') })), 422, 'payment_method_not_supported');
    expect(threeDs.errors?.[0]?.pointer).toBe('/paymentMethod/card/number');
    expectProblem(await postEscrow(m, escrowBody(now(), { amount: 100 })), 422, 'amount_too_small');
    const email = freshEmail();
    const code = await otpFor(m.client, email);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const otp = expectProblem(await postEscrow(m, escrowBody(now(), { payer: { email, otp: wrong } })), 422, 'otp_invalid');
    expect(otp.errors?.[0]?.pointer).toBe('/payer/otp');
    // The right code still works once, then it is spent.
    expect((await postEscrow(m, escrowBody(now(), { payer: { email, otp: code } }))).response.status).toBe(201);
    expectProblem(await postEscrow(m, escrowBody(now(), { payer: { email, otp: code } })), 422, 'otp_invalid');
    const key = newKey();
    expect((await postEscrow(m, escrowBody(now()), { 'Idempotency-Key': key })).response.status).toBe(201);
    expectProblem(await postEscrow(m, escrowBody(now(), { amount: 60000 }), { 'Idempotency-Key': key }), 422, 'idempotency_key_reused');
  });

  it('402 test_instrument_in_live_mode on a live server: nothing is created', async () => {
    const live = servers.live;
    const merchant = await createMerchant(live.deps, 'Live merchant');
    const client = createTillpointClient({ baseUrl: live.url, apiKey: merchant.apiKey, retry: false });
    const header = { 'X-Client-Id': merchant.clientId };
    const r = await client.POST('/v1/escrows', { body: escrowBody(now(), { payer: { email: freshEmail(), otp: '123456' } }), params: { header } });
    expect(expectProblem(r, 402, 'test_instrument_in_live_mode').errors?.[0]?.pointer).toBe('/paymentMethod/phoneNumber');
    expect(unwrap(await client.GET('/v1/escrows', { params: { header } })).data).toEqual([]);
  });

  it('429 rate_limited', async () => {
    const m = await escrowMerchant(servers.limited);
    for (let i = 0; i < 3; i++) await m.client.GET('/v1/escrows', { params: { header: m.header } });
    expectProblem(await m.client.POST('/v1/escrows', { body: escrowBody(now(), { payer: { email: freshEmail(), otp: '123456' } }), params: { header: m.header } }), 429, 'rate_limited');
  });
});

describe('listEscrows', () => {
  it('200: newest first, filtered by status, paginated; never another merchant’s', async () => {
    const m = await escrowMerchant(s);
    const other = await escrowMerchant(s);
    await createdEscrow(other, escrowBody(now()));
    const a = await createdEscrow(m, escrowBody(now()));
    const b = await createdEscrow(m, escrowBody(now()));
    unwrap(await act.cancel(m, a.id));
    const all = unwrap(await m.client.GET('/v1/escrows', { params: { header: m.header } }));
    expect(all.data.map((e) => e.id)).toEqual([b.id, a.id]);
    const cancelled = unwrap(await m.client.GET('/v1/escrows', { params: { header: m.header, query: { status: 'cancelled' } } }));
    expect(cancelled.data.map((e) => e.id)).toEqual([a.id]);
    const page1 = unwrap(await m.client.GET('/v1/escrows', { params: { header: m.header, query: { limit: 1 } } }));
    expect(page1).toMatchObject({ hasMore: true, data: [{ id: b.id }] });
    const page2 = unwrap(await m.client.GET('/v1/escrows', { params: { header: m.header, query: { limit: 1, cursor: page1.nextCursor! } } }));
    expect(page2).toMatchObject({ hasMore: false, nextCursor: null, data: [{ id: a.id }] });
  });

  it('400 for a bad limit or cursor; 401; 403 without escrows.read', async () => {
    const m = await escrowMerchant(s);
    expectInvalidParameter(await m.client.GET('/v1/escrows', { params: { header: m.header, query: { limit: 0 } } }), 'limit');
    expectInvalidParameter(await m.client.GET('/v1/escrows', { params: { header: m.header, query: { cursor: 'not-a-cursor' } } }), 'cursor');
    expectProblem(await s.anonymous().GET('/v1/escrows', { params: { header: m.header } }), 401, 'unauthenticated');
    const { viaToken, application } = await merchantWithToken(s, ['payments.read']);
    expectProblem(await viaToken.GET('/v1/escrows', { params: { header: { 'X-Client-Id': application.clientId } } }), 403, 'insufficient_scope');
  });
});

describe('getEscrow', () => {
  it('200 for its merchant; 404 for another merchant (BOLA), 400 for a malformed id, 401, 403', async () => {
    const m = await escrowMerchant(s);
    const other = await escrowMerchant(s);
    const escrow = await createdEscrow(m, escrowBody(now()));
    expect(unwrap(await act.get(m, escrow.id))).toEqual(escrow);
    expectProblem(await act.get(other, escrow.id), 404, 'not_found');
    expectInvalidParameter(await act.get(m, 'esc_nope'), 'escrowId');
    expectProblem(await s.anonymous().GET('/v1/escrows/{escrowId}', { params: { path: { escrowId: escrow.id }, header: m.header } }), 401, 'unauthenticated');
    const { viaToken, application } = await merchantWithToken(s, ['escrows.write']);
    expectProblem(await viaToken.GET('/v1/escrows/{escrowId}', { params: { path: { escrowId: escrow.id }, header: { 'X-Client-Id': application.clientId } } }), 403, 'insufficient_scope');
  });
});

describe('releaseEscrow', () => {
  it('200: everything held goes to the merchant’s available balance; escrow.released; then 409', async () => {
    const m = await escrowMerchant(s);
    const escrow = await createdEscrow(m, escrowBody(now()));
    const released = unwrap(await act.release(m, escrow.id));
    expect(released).toMatchObject({ status: 'released', amountHeld: 0, amountReleased: 50000, releasedBy: 'merchant', allowedActions: [] });
    expect(released.releasedAt).not.toBeNull();
    expect(await held(escrow.id)).toBe(0);
    expect(await available(m.client, 'UGX')).toBe(50000);
    expect(await eventsOf(m, escrow.id)).toEqual(['escrow.funded', 'escrow.released'].sort());
    for (const again of [act.release, act.cancel, act.dispute]) expectProblem(await again(m, escrow.id), 409, 'invalid_state_transition');
    expect(await available(m.client, 'UGX')).toBe(50000);
  });

  it('404 for another merchant’s escrow, which stays funded (BOLA); 400 without X-Client-Id; 401; 403', async () => {
    const m = await escrowMerchant(s);
    const other = await escrowMerchant(s);
    const escrow = await createdEscrow(m, escrowBody(now()));
    for (const action of [act.release, act.cancel, act.dispute]) expectProblem(await action(other, escrow.id), 404, 'not_found');
    expectProblem(await act.resolve(other, escrow.id, { outcome: 'release' }), 404, 'not_found');
    expect(unwrap(await act.get(m, escrow.id)).status).toBe('funded');
    expect(await available(other.client, 'UGX')).toBe(0);
    const r = await s.raw(`/v1/escrows/${escrow.id}/release`, { method: 'POST', headers: { 'x-api-key': m.merchant.apiKey } });
    expectProblem(await asResult(r), 400, 'missing_client_id');
    expectProblem(await s.anonymous().POST('/v1/escrows/{escrowId}/release', { params: { path: { escrowId: escrow.id }, header: m.header } }), 401, 'unauthenticated');
    const { viaToken, application } = await merchantWithToken(s, ['escrows.read']);
    expectProblem(await viaToken.POST('/v1/escrows/{escrowId}/release', { params: { path: { escrowId: escrow.id }, header: { 'X-Client-Id': application.clientId } } }), 403, 'insufficient_scope');
    expectInvalidParameter(await act.release(m, 'pay_3kTq9ZmX2bW7nR4vL8cY1dPa'), 'escrowId');
  });

  it('replays with the same Idempotency-Key; 422 when the key is reused on another escrow; 409 in flight', async () => {
    const m = await escrowMerchant(s);
    const a = await createdEscrow(m, escrowBody(now()));
    const b = await createdEscrow(m, escrowBody(now()));
    const key = newKey();
    const first = unwrap(await act.release(m, a.id, { 'Idempotency-Key': key }));
    const replay = await act.release(m, a.id, { 'Idempotency-Key': key });
    expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.data).toEqual(first);
    expectProblem(await act.release(m, b.id, { 'Idempotency-Key': key }), 422, 'idempotency_key_reused');
    const inFlight = newKey();
    await claimKeyInFlight(s.deps.db, { merchantId: m.merchant.merchantId, key: inFlight, operationId: 'releaseEscrow', path: `/v1/escrows/${b.id}/release`, body: undefined, at: s.deps.realNow() });
    expectProblem(await act.release(m, b.id, { 'Idempotency-Key': inFlight }), 409, 'idempotency_request_in_progress');
    expect(await available(m.client, 'UGX')).toBe(50000);
  });

  it('parallel release and cancel of one escrow: exactly one wins, the other is 409; the money moved once', async () => {
    const m = await escrowMerchant(s);
    for (let round = 0; round < 3; round++) {
      const escrow = await createdEscrow(m, escrowBody(now()));
      const results = await Promise.all([act.release(m, escrow.id), act.cancel(m, escrow.id), act.release(m, escrow.id), act.cancel(m, escrow.id)]);
      const statuses = results.map((r) => r.response.status);
      expect(statuses.filter((x) => x === 200)).toHaveLength(1);
      expect(statuses.filter((x) => x === 409)).toHaveLength(3);
      const after = unwrap(await act.get(m, escrow.id));
      expect(after.amountReleased + after.amountRefunded).toBe(50000);
      expect(await held(escrow.id)).toBe(0);
    }
  });
});

describe('cancelEscrow', () => {
  it('200: everything held goes back to the payer’s clearing account; escrow.cancelled; then 409', async () => {
    const m = await escrowMerchant(s);
    const escrow = await createdEscrow(m, escrowBody(now(), { amount: 12500, currency: 'USD', paymentMethod: methods.card() }));
    const before = await clearing('clearing:card', 'USD');
    const cancelled = unwrap(await act.cancel(m, escrow.id));
    expect(cancelled).toMatchObject({ status: 'cancelled', amountHeld: 0, amountRefunded: 12500, cancellationReason: 'out_of_stock', allowedActions: [] });
    expect(await clearing('clearing:card', 'USD')).toBe(before + 12500);
    expect(await available(m.client, 'USD')).toBe(0);
    expect(await eventsOf(m, escrow.id)).toEqual(['escrow.funded', 'escrow.cancelled'].sort());
    expectProblem(await act.cancel(m, escrow.id), 409, 'invalid_state_transition');
  });

  it('200 without a body; 400 for an unknown reason; 415 for a non-JSON body', async () => {
    const m = await escrowMerchant(s);
    const escrow = await createdEscrow(m, escrowBody(now()));
    expectInvalidBody(await m.client.POST('/v1/escrows/{escrowId}/cancel', { params: { path: { escrowId: escrow.id }, header: m.header }, body: { reason: 'bored' } as never }), '/reason');
    const r = await s.raw(`/v1/escrows/${escrow.id}/cancel`, { method: 'POST', headers: { 'x-api-key': m.merchant.apiKey, 'x-client-id': m.merchant.clientId, 'content-type': 'text/plain' }, body: 'x' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
    const ok = await s.raw(`/v1/escrows/${escrow.id}/cancel`, { method: 'POST', headers: { 'x-api-key': m.merchant.apiKey, 'x-client-id': m.merchant.clientId } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { cancellationReason: unknown }).cancellationReason).toBeNull();
  });
});

describe('disputeEscrow', () => {
  it('200: the money is frozen: no release at the deadline, no release or cancel; escrow.disputed', async () => {
    const m = await escrowMerchant(s);
    const escrow = await createdEscrow(m, escrowBody(now()));
    const disputed = unwrap(await act.dispute(m, escrow.id));
    expect(disputed).toMatchObject({ status: 'disputed', amountHeld: 50000, allowedActions: ['resolve'], dispute: { reason: 'not_delivered', details: 'Never arrived.' } });
    unwrap(await advance(m, 2 * 86_400));
    expect(unwrap(await act.get(m, escrow.id)).status).toBe('disputed');
    for (const action of [act.release, act.cancel, act.dispute]) expectProblem(await action(m, escrow.id), 409, 'invalid_state_transition');
    expect(await held(escrow.id)).toBe(50000);
    expect(await eventsOf(m, escrow.id)).toEqual(['escrow.funded', 'escrow.disputed'].sort());
  });

  it('400 without a reason; 415 for a non-JSON body', async () => {
    const m = await escrowMerchant(s);
    const escrow = await createdEscrow(m, escrowBody(now()));
    expectInvalidBody(await m.client.POST('/v1/escrows/{escrowId}/dispute', { params: { path: { escrowId: escrow.id }, header: m.header }, body: {} as never }), '/reason');
    const r = await s.raw(`/v1/escrows/${escrow.id}/dispute`, { method: 'POST', headers: { 'x-api-key': m.merchant.apiKey, 'x-client-id': m.merchant.clientId, 'content-type': 'text/plain' }, body: 'x' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });
});

describe('resolveSandboxEscrowDispute', () => {
  async function disputedEscrow(m: EscrowMerchant) {
    const escrow = await createdEscrow(m, escrowBody(now()));
    unwrap(await act.dispute(m, escrow.id));
    return escrow;
  }

  it('200 split: exact parts to the merchant and back to the payer; escrow.released and escrow.resolved', async () => {
    const m = await escrowMerchant(s);
    const escrow = await disputedEscrow(m);
    const before = await clearing('clearing:mobile_money:mtn', 'UGX');
    const resolved = unwrap(await act.resolve(m, escrow.id, { outcome: 'split', releaseAmount: 30001, refundAmount: 19999 }));
    expect(resolved).toMatchObject({
      status: 'released', amountHeld: 0, amountReleased: 30001, amountRefunded: 19999, releasedBy: 'dispute_resolution',
      resolution: { outcome: 'split', releaseAmount: 30001, refundAmount: 19999 }, allowedActions: [],
    });
    expect(await available(m.client, 'UGX')).toBe(30001);
    expect(await clearing('clearing:mobile_money:mtn', 'UGX')).toBe(before + 19999);
    expect(await eventsOf(m, escrow.id)).toEqual(['escrow.funded', 'escrow.disputed', 'escrow.released', 'escrow.resolved'].sort());
  });

  it('200 refund (status refunded) and release (status released)', async () => {
    const m = await escrowMerchant(s);
    const a = await disputedEscrow(m);
    expect(unwrap(await act.resolve(m, a.id, { outcome: 'refund' }))).toMatchObject({ status: 'refunded', amountRefunded: 50000, releasedBy: null });
    const b = await disputedEscrow(m);
    expect(unwrap(await act.resolve(m, b.id, { outcome: 'release' }))).toMatchObject({ status: 'released', amountReleased: 50000 });
    expect(await available(m.client, 'UGX')).toBe(50000);
  });

  it('422 split_amount_mismatch (nothing moves); 400 for missing or extra amounts; 409 unless disputed; 404 live', async () => {
    const m = await escrowMerchant(s);
    const escrow = await disputedEscrow(m);
    const mismatch = expectProblem(await act.resolve(m, escrow.id, { outcome: 'split', releaseAmount: 30000, refundAmount: 19999 }), 422, 'split_amount_mismatch');
    expect(mismatch.errors?.[0]?.pointer).toBe('/releaseAmount');
    expectInvalidBody(await act.resolve(m, escrow.id, { outcome: 'split', releaseAmount: 50000 }), '/refundAmount');
    expectInvalidBody(await act.resolve(m, escrow.id, { outcome: 'refund', releaseAmount: 1 }), '/releaseAmount');
    expectInvalidBody(await act.resolve(m, escrow.id, { outcome: 'halves' } as never), '/outcome');
    expect(await held(escrow.id)).toBe(50000);
    const funded = await createdEscrow(m, escrowBody(now()));
    expectProblem(await act.resolve(m, funded.id, { outcome: 'release' }), 409, 'invalid_state_transition');
    const r = await servers.live.raw(`/v1/sandbox/escrows/${escrow.id}/resolve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': `sk_live_${'A'.repeat(32)}` }, body: '{"outcome":"release"}' });
    expectProblem(await asResult(r), 404, 'not_found');
  });

  it('401 without a credential; 403 for a client token (sandbox helpers need the secret key); 415', async () => {
    const m = await escrowMerchant(s);
    const escrow = await disputedEscrow(m);
    expectProblem(await s.anonymous().POST('/v1/sandbox/escrows/{escrowId}/resolve', { params: { path: { escrowId: escrow.id } }, body: { outcome: 'release' } }), 401, 'unauthenticated');
    const { viaToken } = await merchantWithToken(s, ['*']);
    expectProblem(await viaToken.POST('/v1/sandbox/escrows/{escrowId}/resolve', { params: { path: { escrowId: escrow.id } }, body: { outcome: 'release' } }), 403, 'insufficient_scope');
    const r = await s.raw(`/v1/sandbox/escrows/${escrow.id}/resolve`, { method: 'POST', headers: { 'x-api-key': m.merchant.apiKey, 'content-type': 'text/plain' }, body: 'x' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });
});

describe('release at the terms’ time, on each merchant’s own test clock', () => {
  it("advancing A's clock past the deadline releases A's escrow (releasedBy terms); B's escrow is untouched", async () => {
    const a = await escrowMerchant(s, 'A');
    const b = await escrowMerchant(s, 'B');
    const deadline = new Date(now().getTime() + 3_600_000).toISOString();
    const escrowA = await createdEscrow(a, escrowBody(now(), { terms: { type: 'delivery_confirmation', deadline } }));
    const escrowB = await createdEscrow(b, escrowBody(now(), { terms: { type: 'delivery_confirmation', deadline } }));
    const timed = await createdEscrow(a, escrowBody(now(), { terms: { type: 'time_release', releaseAt: new Date(now().getTime() + 7_200_000).toISOString() } }));
    unwrap(await advance(a, 3_601));
    // The jobs ran during the advance: the stored row changed, with its event.
    expect(await eventsOf(a, escrowA.id)).toEqual(['escrow.funded', 'escrow.released'].sort());
    expect(unwrap(await act.get(a, escrowA.id))).toMatchObject({ status: 'released', releasedBy: 'terms', amountReleased: 50000 });
    expect(unwrap(await act.get(a, timed.id)).status).toBe('funded');
    expect(await available(a.client, 'UGX')).toBe(50000);
    expect(unwrap(await act.get(b, escrowB.id))).toMatchObject({ status: 'funded', amountHeld: 50000 });
    expect(await held(escrowB.id)).toBe(50000);
    unwrap(await advance(a, 3_600));
    expect(unwrap(await act.get(a, timed.id))).toMatchObject({ status: 'released', releasedBy: 'terms' });
    expect(unwrap(await act.get(b, escrowB.id)).status).toBe('funded');
  });
});
