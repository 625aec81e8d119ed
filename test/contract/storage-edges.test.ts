/**
 * Input the contract allows but storage cannot hold, found by the conformance suite's fuzzer:
 * every one must be a documented 4xx naming the input (or a plain answer), never a 500.
 *
 * - JSON strings with U+0000 or an unpaired UTF-16 surrogate (PostgreSQL text and jsonb refuse
 *   them, or replace them silently);
 * - cursors decoding to a timestamp PostgreSQL cannot represent;
 * - created-range filters with a leap second or a year outside 1–9999.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardPayment, startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
let key: string;
beforeAll(async () => {
  s = await startTestServer();
  key = (await s.newMerchant()).merchant.apiKey;
});
afterAll(async () => s?.close());

const session = { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/ok', cancelUrl: 'https://shop.example.com/cart' };

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await s.raw(path, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json', 'idempotency-key': `edge-${Math.random()}`, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { code?: string; errors?: { pointer?: string; parameter?: string }[] } };
}

async function get(path: string) {
  const res = await s.raw(path, { headers: { 'x-api-key': key } });
  return { status: res.status, body: (await res.json()) as { code?: string; data?: unknown[]; errors?: { parameter?: string }[] } };
}

describe('text PostgreSQL cannot store', () => {
  it.each([
    ['U+0000 in a field', { ...session, description: 'a\u0000b' }, '/description'],
    ['an unpaired surrogate in a field', { ...session, description: 'x\ud800y' }, '/description'],
    ['U+0000 in a metadata value', { ...session, metadata: { orderId: '\u0000' } }, '/metadata/orderId'],
    ['U+0000 in a metadata key', { ...session, metadata: { 'k\u0000': 'v' } }, '/metadata'],
  ])('createCheckoutSession: %s is 400 naming it', async (_name, body, pointer) => {
    const r = await post('/v1/checkout/sessions', body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_request');
    expect(r.body.errors).toEqual([expect.objectContaining({ pointer })]);
  });

  it('createPayment and createRefund reject it too, and nothing is charged', async () => {
    const pay = await post('/v1/payments', { ...cardPayment(), reference: 'ORD\u0000' });
    expect(pay.status).toBe(400);
    expect(pay.body.errors?.[0]?.pointer).toBe('/reference');
    expect((await get('/v1/payments')).body.data).toEqual([]);
    const ok = await post('/v1/payments', cardPayment());
    const id = (ok.body as unknown as { id: string }).id;
    const refund = await post(`/v1/payments/${id}/refunds`, { metadata: { note: '\udfff' } });
    expect(refund.status).toBe(400);
    expect(refund.body.errors?.[0]?.pointer).toBe('/metadata/note');
  });

  it('createSandboxMerchant rejects it before creating anything, with or without an Idempotency-Key', async () => {
    for (const name of ['a\u0000', 'Acme\udfff']) {
      const res = await s.raw('/v1/sandbox/merchants', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `edge-${Math.random()}` },
        body: JSON.stringify({ name }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe('/name');
    }
  });
});

describe('cursors and created-range filters at the edges of time', () => {
  const cursor = (t: string) => Buffer.from(JSON.stringify({ t, i: 'pay_x' })).toString('base64url');

  it.each(['+275760-09-13T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '2026-11-21T10:00:00Z'])('a cursor with timestamp %s is 400 naming the cursor', async (t) => {
    const r = await get(`/v1/payments?cursor=${cursor(t)}`);
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([expect.objectContaining({ parameter: 'cursor' })]);
  });

  it.each(['2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'])('createdGte / createdLt %s filter without error', async (t) => {
    for (const name of ['createdGte', 'createdLt']) {
      const r = await get(`/v1/payments?${name}=${encodeURIComponent(t)}`);
      expect(r.status, `${name}=${t}`).toBe(200);
    }
  });
});
