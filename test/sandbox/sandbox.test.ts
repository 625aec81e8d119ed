/**
 * Sandbox family: createSandboxMerchant gives every developer or test run a fresh, isolated
 * merchant with working credentials; a live server does not have the route.
 */
import { describe, expect, it } from 'vitest';
import { createTillpointClient, unwrap } from '../../client/index.ts';
import { idempotencyKeys } from '../../server/db/schema.ts';
import { cardPayment, type TestServer } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';

/** `live`: a server in live mode, where sandbox routes must not exist. */
const { server: s, live } = useTestServer({ live: true });

const sessionBody = { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/ok', cancelUrl: 'https://shop.example.com/cart' };

function postMerchant(server: TestServer, body: unknown, headers: Record<string, string> = {}) {
  return server.raw('/v1/sandbox/merchants', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('createSandboxMerchant', () => {
  it('creates a merchant with its credentials, without any credential', async () => {
    const { data, response } = await s.anonymous().POST('/v1/sandbox/merchants', { body: { name: 'Acme Coffee Roasters' } });
    expect(response.status).toBe(201);
    expect(data!.name).toBe('Acme Coffee Roasters');
    expect(data!.merchantId).toMatch(/^mer_[0-9A-Za-z]{24}$/);
    expect(data!.apiKey).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(data!.apiSecret).toMatch(/^ss_test_[0-9A-Za-z]{32}$/);
    expect(data!.clientId).toMatch(/^[0-9a-z]{32}$/);
    expect(Number.isNaN(Date.parse(data!.createdAt))).toBe(false);
  });

  it('creates a merchant with a default name when there is no body', async () => {
    const { data, response } = await s.anonymous().POST('/v1/sandbox/merchants', {});
    expect(response.status).toBe(201);
    expect(data!.name.length).toBeGreaterThan(0);
    expect(data!.apiKey).toMatch(/^sk_test_/);
  });

  it('gives credentials that work immediately: the key, and the key with the secret for a token', async () => {
    const merchant = unwrap(await s.anonymous().POST('/v1/sandbox/merchants', { body: { name: 'Immediate' } }));
    const byKey = createTillpointClient({ baseUrl: s.url, apiKey: merchant.apiKey, retry: false });
    const list = await byKey.GET('/v1/checkout/sessions');
    expect(list.response.status).toBe(200);
    expect(list.data!.data).toEqual([]);

    const token = await s.anonymous().POST('/v1/auth/token', { body: { apiKey: merchant.apiKey, apiSecret: merchant.apiSecret } });
    expect(token.response.status).toBe(200);
    expect(token.data).toMatchObject({ merchantId: merchant.merchantId, merchantName: 'Immediate' });
  });

  it('isolates merchants: distinct credentials, and lists do not leak objects of the other', async () => {
    const a = await s.newMerchant('Isolated A');
    const b = await s.newMerchant('Isolated B');
    expect(a.merchant.merchantId).not.toBe(b.merchant.merchantId);
    expect(a.merchant.apiKey).not.toBe(b.merchant.apiKey);
    expect(a.merchant.apiSecret).not.toBe(b.merchant.apiSecret);
    expect(a.merchant.clientId).not.toBe(b.merchant.clientId);

    const session = unwrap(await a.client.POST('/v1/checkout/sessions', { body: sessionBody }));
    const payment = unwrap(await a.client.POST('/v1/payments', { body: cardPayment() }));

    const sessionsOfA = unwrap(await a.client.GET('/v1/checkout/sessions'));
    const paymentsOfA = unwrap(await a.client.GET('/v1/payments'));
    expect(sessionsOfA.data.map((x) => x.id)).toEqual([session.id]);
    expect(paymentsOfA.data.map((x) => x.id)).toEqual([payment.id]);

    const sessionsOfB = unwrap(await b.client.GET('/v1/checkout/sessions'));
    const paymentsOfB = unwrap(await b.client.GET('/v1/payments'));
    expect(sessionsOfB.data).toEqual([]);
    expect(paymentsOfB.data).toEqual([]);
    // A currency without funds is omitted from the balance.
    expect(unwrap(await b.client.GET('/v1/balance'))).toEqual({ available: [], pending: [] });
  });

  it('rejects an unknown property with 400 pointing at it', async () => {
    const response = await postMerchant(s, { name: 'Acme', plan: 'gold' });
    const body = await response.json();
    expect(response.status).toBe(400);
    expect(body.code).toBe('invalid_request');
    expect(body.errors).toEqual([expect.objectContaining({ pointer: '/plan' })]);
  });

  it('rejects a name that is too long or empty with 400 pointing at /name', async () => {
    for (const name of ['x'.repeat(101), '']) {
      const { error, response } = await s.anonymous().POST('/v1/sandbox/merchants', { body: { name } });
      expect(response.status, `name of ${name.length} characters`).toBe(400);
      expect(error?.errors).toEqual([expect.objectContaining({ pointer: '/name' })]);
    }
    const longest = await s.anonymous().POST('/v1/sandbox/merchants', { body: { name: 'x'.repeat(100) } });
    expect(longest.response.status).toBe(201);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const response = await s.raw('/v1/sandbox/merchants', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=Acme' });
    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('unsupported_media_type');
  });

  it('does not exist on a live server: 404 not_found', async () => {
    const { error, response } = await live.anonymous().POST('/v1/sandbox/merchants', { body: { name: 'Should not exist' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(error).toMatchObject({ code: 'not_found', requestId: response.headers.get('x-request-id') });
    expect(JSON.stringify(error)).not.toMatch(/sk_(test|live)_/);
  });

  it('never keeps the credentials in clear: an Idempotency-Key is not honoured and nothing stores them', async () => {
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    const first = unwrap(await s.anonymous().POST('/v1/sandbox/merchants', { body: { name: 'Twice' }, headers }));
    const retry = await s.anonymous().POST('/v1/sandbox/merchants', { body: { name: 'Twice' }, headers });
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.data!.merchantId).not.toBe(first.merchantId);
    const stored = JSON.stringify(await s.deps.db.select().from(idempotencyKeys));
    for (const secret of [first.apiKey, first.apiSecret, retry.data!.apiKey, retry.data!.apiSecret]) expect(stored).not.toContain(secret);
  });
});
