/**
 * Stores family, what crosses to other mechanisms: the `order.*` events delivered to a webhook
 * endpoint signed per Standard Webhooks (verified with the independent `standardwebhooks`
 * library), and the Idempotency-Key and media-type rules on the creating operations.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { deliverDueWebhooks } from '../../server/webhooks/worker.ts';
import { expectProblem } from '../support/problems.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { createEndpoint, startReceiver, verified, type Receiver } from '../webhooks/fixtures.ts';

let s: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  [s, receiver] = await Promise.all([startTestServer(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([s?.close(), receiver?.close()]);
});

const URLS = { successUrl: 'https://shop.example.com/thanks?session={SESSION_ID}', cancelUrl: 'https://shop.example.com/cart' };

async function storeWithKeys(client: TillpointClient, keys: string[]) {
  const storeSlug = `hooks-${randomBytes(4).toString('hex')}`;
  unwrap(await client.POST('/v1/stores', { body: { slug: storeSlug, name: 'Hooks', defaultCurrency: 'GBP' } }));
  unwrap(await client.POST('/v1/stores/{storeSlug}/products', { params: { path: { storeSlug } }, body: { sku: 'LIC', name: 'Licence', prices: { GBP: 900 }, licensed: true } }));
  unwrap(await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'LIC' } }, body: { keys } }));
  return storeSlug;
}

async function paidOrder(client: TillpointClient, storeSlug: string) {
  const session = unwrap(await client.POST('/v1/stores/{storeSlug}/checkout/sessions', { params: { path: { storeSlug } }, body: { items: { LIC: 1 }, ...URLS } }));
  const paid = await s.raw(`/checkout/${session.id}/pay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'cardNumber=4242424242424242&expiry=12/30&cvc=123', redirect: 'manual' });
  expect(paid.status).toBe(303);
  return session.orderId;
}

describe('order.* webhooks', () => {
  it('order.created, order.fulfilled (with the key), order.refunded and order.disputed arrive signed, equal to getEvent', async () => {
    const { client } = await s.newMerchant();
    const path = `/hooks/stores-${randomBytes(3).toString('hex')}`;
    const endpoint = await createEndpoint(client, receiver.url(path), ['order.created', 'order.fulfilled', 'order.refunded', 'order.disputed']);
    const storeSlug = await storeWithKeys(client, ['K-1', 'K-2']);
    const refunded = await paidOrder(client, storeSlug);
    unwrap(await client.POST('/v1/stores/{storeSlug}/orders/{orderId}/refund', { params: { path: { storeSlug, orderId: refunded } } }));
    const disputed = await paidOrder(client, storeSlug);
    unwrap(await client.POST('/v1/sandbox/orders/{orderId}/dispute', { params: { path: { orderId: disputed } } }));
    await deliverDueWebhooks(s.deps);

    const events = receiver.on(path).map((r) => verified(r, endpoint.secret));
    const seen = events.map((e) => `${e.type} ${(e.data.object as { id: string }).id}`);
    expect(seen.sort()).toEqual(
      [`order.created ${refunded}`, `order.fulfilled ${refunded}`, `order.refunded ${refunded}`, `order.created ${disputed}`, `order.fulfilled ${disputed}`, `order.disputed ${disputed}`].sort(),
    );
    const fulfilled = events.find((e) => e.type === 'order.fulfilled' && (e.data.object as { id: string }).id === refunded)!;
    expect((fulfilled.data.object as { items: { licenseKeys: { key: string; status: string }[] }[] }).items[0]!.licenseKeys).toEqual([{ key: expect.stringMatching(/^K-[12]$/), status: 'assigned' }]);
    for (const e of events) expect(e).toEqual(unwrap(await client.GET('/v1/events/{eventId}', { params: { path: { eventId: e.id } } })));
  });
});

describe('Idempotency-Key and media type on the creating operations', () => {
  it('replays a checkout (same session, keys reserved once) and refuses the key with another body (422)', async () => {
    const { client } = await s.newMerchant();
    const storeSlug = await storeWithKeys(client, ['I-1', 'I-2', 'I-3']);
    const headers = { 'Idempotency-Key': `co-${randomBytes(6).toString('hex')}` };
    const params = { path: { storeSlug } };
    const first = unwrap(await client.POST('/v1/stores/{storeSlug}/checkout/sessions', { params, headers, body: { items: { LIC: 1 }, ...URLS } }));
    const again = await client.POST('/v1/stores/{storeSlug}/checkout/sessions', { params, headers, body: { items: { LIC: 1 }, ...URLS } });
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data!.id).toBe(first.id);
    const pool = unwrap(await client.GET('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'LIC' } } }));
    expect(pool).toMatchObject({ available: 2, reserved: 1 });
    expectProblem(await client.POST('/v1/stores/{storeSlug}/checkout/sessions', { params, headers, body: { items: { LIC: 2 }, ...URLS } }), 422, 'idempotency_key_reused');
    const upload = { 'Idempotency-Key': `up-${randomBytes(6).toString('hex')}` };
    unwrap(await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'LIC' } }, headers: upload, body: { keys: ['I-9'] } }));
    expectProblem(await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'LIC' } }, headers: upload, body: { keys: ['I-10'] } }), 422, 'idempotency_key_reused');
  });

  it('a refund replayed with its key refunds once; the key on another order is 422', async () => {
    const { client } = await s.newMerchant();
    const storeSlug = await storeWithKeys(client, ['R-1', 'R-2']);
    const a = await paidOrder(client, storeSlug);
    const b = await paidOrder(client, storeSlug);
    const headers = { 'Idempotency-Key': `rf-${randomBytes(6).toString('hex')}` };
    const first = unwrap(await client.POST('/v1/stores/{storeSlug}/orders/{orderId}/refund', { params: { path: { storeSlug, orderId: a } }, headers }));
    const again = await client.POST('/v1/stores/{storeSlug}/orders/{orderId}/refund', { params: { path: { storeSlug, orderId: a } }, headers });
    expect(again.response.status).toBe(200);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data!.refundId).toBe(first.refundId);
    const payment = unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: first.paymentId! } } }));
    expect(payment.amountRefunded).toBe(900);
    expectProblem(await client.POST('/v1/stores/{storeSlug}/orders/{orderId}/refund', { params: { path: { storeSlug, orderId: b } }, headers }), 422, 'idempotency_key_reused');
  });

  it('answers 415 for a body that is not JSON', async () => {
    const { merchant } = await s.newMerchant();
    const r = await s.raw('/v1/stores', { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'content-type': 'text/plain' }, body: 'slug=x' });
    expect(r.status).toBe(415);
  });
});
