/**
 * Idempotency of the money-moving payments operations (createPayment, createRefund): a retried
 * request replays the first response and never moves money twice, even when the retries race.
 */
import { describe, expect, it } from 'vitest';
import type { TillpointClient } from '../../client/index.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { CARDS, amountOf, balanceOf, ledgerTransactionsFor, paymentRows, refundRows, type CreatePaymentRequest, type Payment } from './fixtures.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { expectProblem } from '../support/problems.ts';

const { server: s, clock } = useTestServer({ clock: Date.parse('2026-11-21T10:00:00.000Z') });
const HOUR = 60 * 60 * 1000;

function createPayment(client: TillpointClient, body: CreatePaymentRequest, key: string) {
  return client.POST('/v1/payments', { body, headers: { 'Idempotency-Key': key } });
}

function createRefund(client: TillpointClient, paymentId: string, body: { amount?: number }, key: string) {
  return client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId } }, body, headers: { 'Idempotency-Key': key } });
}

async function pay(client: TillpointClient, amount = 2500): Promise<Payment> {
  const r = await client.POST('/v1/payments', { body: cardPayment(amount) });
  expect(r.response.status).toBe(201);
  return r.data!;
}

describe('createPayment', () => {
  it('same key and body: the identical body again with Idempotent-Replayed: true, and no second payment', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    const body = { ...cardPayment(2500), description: 'Order 7', metadata: { orderId: '7' } };
    const first = await createPayment(client, body, key);
    expect(first.response.status).toBe(201);
    expect(first.response.headers.get('idempotent-replayed')).toBeNull();

    clock.advance(60_000); // a retry a minute later
    const again = await createPayment(client, body, key);
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first.data);

    const rows = await paymentRows(s.deps.db, merchant.merchantId);
    expect(rows.map((r) => r.id)).toEqual([first.data!.id]);
    expect(await ledgerTransactionsFor(s.deps.db, merchant.merchantId, first.data!.id)).toHaveLength(1);
    expect(await balanceOf(client)).toEqual({ available: [{ amount: 2500, currency: 'USD' }], pending: [] });
  });

  it('the same body with its fields in another order is the same request', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    const body = cardPayment(3100);
    const first = await createPayment(client, body, key);
    const reordered: CreatePaymentRequest = { paymentMethod: body.paymentMethod, currency: body.currency, amount: body.amount };
    const again = await createPayment(client, reordered, key);
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first.data);
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(1);
  });

  it('same key with a different body: 422 idempotency_key_reused, and the first payment still replays', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    const first = await createPayment(client, cardPayment(2500), key);
    for (const other of [cardPayment(2501), cardPayment(2500, 'EUR'), { ...cardPayment(2500), description: 'changed' }]) {
      const r = await createPayment(client, other, key);
      expectProblem(r, 422, 'idempotency_key_reused');
      expect(r.response.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(1);
    const again = await createPayment(client, cardPayment(2500), key);
    expect(again.data).toEqual(first.data);
    expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(2500);
  });

  it('a replayed 402 is replayed as 402 with the same failed payment', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    const body = cardPayment(2500, 'USD', CARDS.insufficientFunds);
    const first = await createPayment(client, body, key);
    const problem = expectProblem(first, 402, 'insufficient_funds');
    const again = await createPayment(client, body, key);
    expectProblem(again, 402, 'insufficient_funds', { replayed: true });
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.error).toEqual(problem);
    expect((await paymentRows(s.deps.db, merchant.merchantId)).map((r) => r.id)).toEqual([problem.paymentId]);
  });

  it('20 concurrent identical requests with one key: one payment, one ledger transaction; each answer is 201 with that payment or 409', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey('race');
    const body = cardPayment(4200);
    const results = await Promise.all(Array.from({ length: 20 }, () => createPayment(client, body, key)));

    const created = results.filter((r) => r.response.status === 201);
    const inProgress = results.filter((r) => r.response.status !== 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const r of inProgress) expectProblem(r, 409, 'idempotency_request_in_progress');
    const ids = new Set(created.map((r) => r.data!.id));
    expect(ids.size).toBe(1);
    // Exactly one answer did the work; every other 201 says it is a replay.
    expect(created.filter((r) => r.response.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    for (const r of created) expect(r.data).toEqual(created[0]!.data);

    const rows = await paymentRows(s.deps.db, merchant.merchantId);
    expect(rows.map((r) => r.id)).toEqual([...ids]);
    expect(await ledgerTransactionsFor(s.deps.db, merchant.merchantId, rows[0]!.id)).toHaveLength(1);
    expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(4200);

    // Once the race is over, the key replays.
    const after = await createPayment(client, body, key);
    expect(after.response.headers.get('idempotent-replayed')).toBe('true');
    expect(after.data!.id).toBe([...ids][0]);
  });

  it('keys are scoped per merchant: the same key on two merchants makes two payments', async () => {
    const a = await s.newMerchant();
    const b = await s.newMerchant();
    const key = newKey('shared');
    const body = cardPayment(2500);
    const fromA = await createPayment(a.client, body, key);
    const fromB = await createPayment(b.client, body, key);
    expect(fromA.response.status).toBe(201);
    expect(fromB.response.status).toBe(201);
    expect(fromB.response.headers.get('idempotent-replayed')).toBeNull();
    expect(fromB.data!.id).not.toBe(fromA.data!.id);
    expect(await paymentRows(s.deps.db, a.merchant.merchantId)).toHaveLength(1);
    expect(await paymentRows(s.deps.db, b.merchant.merchantId)).toHaveLength(1);
    // And a different body under the same key on the other merchant is not a "reuse".
    const c = await s.newMerchant();
    expect((await createPayment(c.client, cardPayment(9900), key)).response.status).toBe(201);
  });

  it('a claim abandoned by a request that died is taken over after the 60 s lease: the retry pays once', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    const body = cardPayment(4100);
    // What a crash leaves: the claim, and nothing else (the payment and the stored response
    // would have committed together).
    await claimKeyInFlight(s.deps.db, { merchantId: merchant.merchantId, key, operationId: 'createPayment', path: '/v1/payments', body, at: new Date(clock.ms) });
    expectProblem(await client.POST('/v1/payments', { body, headers: { 'Idempotency-Key': key } }), 409, 'idempotency_request_in_progress');
    clock.advance(61_000);
    const retry = await client.POST('/v1/payments', { body, headers: { 'Idempotency-Key': key } });
    expect(retry.response.status).toBe(201);
    const replay = await client.POST('/v1/payments', { body, headers: { 'Idempotency-Key': key } });
    expect(replay.response.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.data).toEqual(retry.data);
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(1);
    expect(await balanceOf(client)).toEqual({ available: [{ amount: 4100, currency: 'USD' }], pending: [] });
  });

  it('a key is remembered for 24 hours, then forgotten', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    const first = await createPayment(client, cardPayment(2500), key);
    clock.advance(23 * HOUR);
    expect((await createPayment(client, cardPayment(2500), key)).data).toEqual(first.data);
    expectProblem(await createPayment(client, cardPayment(2600), key), 422, 'idempotency_key_reused');
    clock.advance(1 * HOUR + 1_000); // 24 h and 1 s after the first request
    const fresh = await createPayment(client, cardPayment(2600), key);
    expect(fresh.response.status).toBe(201);
    expect(fresh.response.headers.get('idempotent-replayed')).toBeNull();
    expect(fresh.data!.id).not.toBe(first.data!.id);
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(2);
  });

});

describe('createRefund', () => {
  it('same key and body: the same refund replayed, the money returned once', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, 2500);
    const key = newKey();
    const first = await createRefund(client, payment.id, { amount: 1000 }, key);
    expect(first.response.status).toBe(201);
    const again = await createRefund(client, payment.id, { amount: 1000 }, key);
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first.data);
    expect(await refundRows(s.deps.db, payment.id)).toHaveLength(1);
    expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(1500);
  });

  it('the same key on another payment’s refund, or on a payment, is 422 idempotency_key_reused', async () => {
    const { client } = await s.newMerchant();
    const one = await pay(client);
    const two = await pay(client);
    const key = newKey();
    expect((await createRefund(client, one.id, { amount: 100 }, key)).response.status).toBe(201);
    expectProblem(await createRefund(client, two.id, { amount: 100 }, key), 422, 'idempotency_key_reused');
    expectProblem(await createPayment(client, cardPayment(), key), 422, 'idempotency_key_reused');
    expect(await refundRows(s.deps.db, two.id)).toHaveLength(0);
  });

  it('a refused refund (409 invalid_state) is replayed as refused, and refunds nothing', async () => {
    const { client } = await s.newMerchant();
    const challenged = (await client.POST('/v1/payments', { body: cardPayment(2500, 'USD', CARDS.threeDSecure) })).data!;
    const key = newKey();
    const first = await createRefund(client, challenged.id, {}, key);
    expectProblem(first, 409, 'invalid_state');
    const again = await createRefund(client, challenged.id, {}, key);
    expectProblem(again, 409, 'invalid_state', { replayed: true });
    expect(again.error).toEqual(first.error);
    expect(await refundRows(s.deps.db, challenged.id)).toHaveLength(0);
  });

  it('20 concurrent identical refunds with one key return the money once', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, 2500);
    const key = newKey('refund-race');
    const results = await Promise.all(Array.from({ length: 20 }, () => createRefund(client, payment.id, { amount: 700 }, key)));
    const created = results.filter((r) => r.response.status === 201);
    for (const r of results.filter((x) => x.response.status !== 201)) expectProblem(r, 409, 'idempotency_request_in_progress');
    expect(new Set(created.map((r) => r.data!.id)).size).toBe(1);
    expect(await refundRows(s.deps.db, payment.id)).toHaveLength(1);
    expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(1800);
  });
});
