/**
 * Webhook delivery end to end, with a real receiver on loopback that verifies every request with
 * the independent `standardwebhooks` library: each event type the platform emits, the
 * signature and its tolerance, retries with backoff on the sandbox test clock, `410 Gone`, secret
 * rotation, event filters, redelivery and merchant isolation.
 *
 * The background worker is off: each test drives deliveries with `deliverDueWebhooks(deps)`, so
 * what is sent and when is exact.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { deliverDueWebhooks, nextRetryAt, RETRY_SCHEDULE_SECONDS } from '../../server/webhooks/worker.ts';
import { cardPayment, startTestServer, type TestServer } from '../support/server.ts';
import {
  advanceClock,
  createEndpoint,
  deliveriesOf,
  signatureHeadersOf,
  signaturesOf,
  startReceiver,
  verified,
  type Receiver,
  type Received,
} from './fixtures.ts';

let s: TestServer;
let receiver: Receiver;
/** A distinct path per test, so that each test reads only its own deliveries. */
let pathCounter = 0;
const newPath = () => `/hooks/${++pathCounter}`;

beforeAll(async () => {
  [s, receiver] = await Promise.all([startTestServer(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([s?.close(), receiver?.close()]);
});
afterEach(() => {
  vi.useRealTimers();
  receiver.answers.length = 0;
  receiver.fallback = 200;
});

const deliver = () => deliverDueWebhooks(s.deps);
const sessionBody = {
  amount: 2500,
  currency: 'USD',
  successUrl: 'https://shop.example.com/thanks?session={SESSION_ID}',
  cancelUrl: 'https://shop.example.com/cart',
  metadata: { orderId: 'ORD-1042' },
};

/** Delivers what is due and returns what the receiver got on `path` since `before`. */
async function deliverAndCollect(path: string, before = receiver.on(path).length): Promise<Received[]> {
  await deliver();
  return receiver.on(path).slice(before);
}

/** A merchant with one endpoint on a fresh receiver path. */
async function merchantWithEndpoint(events: Parameters<typeof createEndpoint>[2] = ['*']) {
  const { client, merchant } = await s.newMerchant();
  const path = newPath();
  const endpoint = await createEndpoint(client, receiver.url(path), events);
  return { client, merchant, path, endpoint };
}

/** The one delivery of `type` among `received`, verified; its event. */
function only(received: Received[], type: string, secret: string) {
  const matching = received.filter((r) => r.event.type === type);
  expect(matching.map((r) => r.event.type), `one ${type} among ${received.map((r) => r.event.type).join(', ')}`).toEqual([type]);
  return { request: matching[0]!, event: verified(matching[0]!, secret) };
}

/** Submits the hosted page's card form, as a browser would. */
function payOnHostedPage(sessionId: string, cardNumber = '4242424242424242'): Promise<Response> {
  return s.raw(`/checkout/${sessionId}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `cardNumber=${cardNumber}&expiry=12/30&cvc=123`,
    redirect: 'manual',
  });
}

/** The event as `getEvent` returns it. */
async function getEvent(client: TillpointClient, eventId: string) {
  return unwrap(await client.GET('/v1/events/{eventId}', { params: { path: { eventId } } }));
}

describe('delivery of each event type, signed and verifiable with standardwebhooks', () => {
  it('payment.succeeded: the payment as the API returned it, metadata included, body equal to getEvent', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    const payment = unwrap(await client.POST('/v1/payments', { body: { ...cardPayment(), metadata: { orderId: 'ORD-1042', note: 'gift' } } }));
    const { request, event } = only(await deliverAndCollect(path), 'payment.succeeded', endpoint.secret);
    expect(event.data.object).toEqual(payment);
    expect((event.data.object as { metadata?: unknown }).metadata).toEqual({ orderId: 'ORD-1042', note: 'gift' });
    expect(Object.keys(event)).toEqual(['id', 'type', 'createdAt', 'data']);
    // The body is exactly the event of the event log, and webhook-id is its id.
    expect(request.headers['webhook-id']).toBe(event.id);
    expect(event.id).toMatch(/^evt_[0-9A-Za-z]{24}$/);
    expect(JSON.parse(request.body)).toEqual(await getEvent(client, event.id));
    // Byte for byte: the object keeps the API's field order (compact JSON, as the API sends it).
    expect(request.body).toBe(JSON.stringify({ id: event.id, type: 'payment.succeeded', createdAt: event.createdAt, data: { object: payment } }));
    expect(request.headers['content-type']).toBe('application/json');
    expect(Number(request.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -2);
  });

  it('payment.failed: a declined card', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    const r = await client.POST('/v1/payments', { body: { ...cardPayment(2500, 'USD', '4000000000000002'), metadata: { orderId: 'ORD-7' } } });
    expect(r.response.status).toBe(402);
    const { event } = only(await deliverAndCollect(path), 'payment.failed', endpoint.secret);
    expect(event.data.object).toMatchObject({ id: r.error!.paymentId, status: 'failed', failureCode: 'card_declined', metadata: { orderId: 'ORD-7' } });
  });

  it('payment.refunded: a partial refund, with amountRefunded', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    const payment = unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    unwrap(await client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: payment.id } }, body: { amount: 1000 } }));
    const received = await deliverAndCollect(path);
    const { event } = only(received, 'payment.refunded', endpoint.secret);
    const after = unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: payment.id } } }));
    expect(event.data.object).toEqual(after);
    expect(event.data.object).toMatchObject({ amountRefunded: 1000, status: 'succeeded' });
    only(received, 'payment.succeeded', endpoint.secret);
  });

  it('payment.pending then payment.succeeded: mobile money settled by advancing the test clock', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    const payment = unwrap(
      await client.POST('/v1/payments', { body: { amount: 5000, currency: 'UGX', paymentMethod: { type: 'mobile_money', provider: 'mtn', phoneNumber: '+256700000003' } } }),
    );
    expect(payment.status).toBe('pending');
    only(await deliverAndCollect(path), 'payment.pending', endpoint.secret);
    await advanceClock(client, 15);
    const { event } = only(await deliverAndCollect(path), 'payment.succeeded', endpoint.secret);
    expect(event.data.object).toMatchObject({ id: payment.id, status: 'succeeded' });
  });

  it('payment.requires_action: a 3-D Secure card, with nextAction', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    const payment = unwrap(await client.POST('/v1/payments', { body: cardPayment(12000, 'EUR', '4000002760003184') }));
    const { event } = only(await deliverAndCollect(path), 'payment.requires_action', endpoint.secret);
    expect(event.data.object).toEqual(payment);
    expect(event.data.object).toMatchObject({ status: 'requires_action', nextAction: { type: 'three_d_secure_redirect' } });
  });

  it('checkout.session.created and checkout.session.completed: paid on the hosted page form', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    const session = unwrap(await client.POST('/v1/checkout/sessions', { body: sessionBody }));
    const created = only(await deliverAndCollect(path), 'checkout.session.created', endpoint.secret);
    expect(created.event.data.object).toEqual(session);

    const paid = await payOnHostedPage(session.id);
    expect(paid.status).toBe(303);
    const received = await deliverAndCollect(path);
    const completed = only(received, 'checkout.session.completed', endpoint.secret);
    const after = unwrap(await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: session.id } } }));
    expect(completed.event.data.object).toEqual(after);
    expect(completed.event.data.object).toMatchObject({ status: 'complete', metadata: { orderId: 'ORD-1042' } });
    const payment = only(received, 'payment.succeeded', endpoint.secret);
    expect(payment.event.data.object).toMatchObject({ id: after.paymentId, checkoutSessionId: session.id, metadata: { orderId: 'ORD-1042' } });
  });

  it('checkout.session.expired: the test clock passes expiresAt', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint(['checkout.session.expired']);
    const session = unwrap(await client.POST('/v1/checkout/sessions', { body: { ...sessionBody, expiresIn: 300 } }));
    expect(await deliverAndCollect(path)).toEqual([]);
    await advanceClock(client, 301);
    const { event } = only(await deliverAndCollect(path), 'checkout.session.expired', endpoint.secret);
    expect(event.data.object).toMatchObject({ id: session.id, status: 'expired', metadata: { orderId: 'ORD-1042' } });
  });
});

describe('signatures', () => {
  it('are rejected by standardwebhooks when the body is tampered with, and not accepted with another secret', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    const [request] = await deliverAndCollect(path);
    expect(() => verified(request!, endpoint.secret)).not.toThrow();
    const tampered = request!.body.replace('"amount":2500', '"amount":250000');
    expect(tampered).not.toBe(request!.body);
    expect(() => new Webhook(endpoint.secret).verify(tampered, signatureHeadersOf(request!))).toThrow(/No matching signature/);
    const other = await createEndpoint(client, receiver.url(newPath()));
    expect(() => verified(request!, other.secret)).toThrow(/No matching signature/);
    // The id is part of the signed content too.
    expect(() => new Webhook(endpoint.secret).verify(request!.body, { ...signatureHeadersOf(request!), 'webhook-id': 'evt_000000000000000000000000' })).toThrow();
  });

  it('are rejected when the timestamp is older than the 5-minute tolerance', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    const [request] = await deliverAndCollect(path);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 4 * 60 * 1000);
    expect(() => verified(request!, endpoint.secret)).not.toThrow();
    vi.setSystemTime(Date.now() + 2 * 60 * 1000);
    expect(() => verified(request!, endpoint.secret)).toThrow(/too old/);
  });

  it('keep the real time in webhook-timestamp while the test clock runs ahead', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint();
    await advanceClock(client, 86_400);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    const [request] = await deliverAndCollect(path);
    expect(Math.abs(Number(request!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(() => verified(request!, endpoint.secret)).not.toThrow();
  });

  it('come from the new and the previous secret during a rotation overlap, then only from the new one', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint(['payment.succeeded']);
    const rotated = unwrap(
      await client.POST('/v1/webhook-endpoints/{endpointId}/rotate-secret', { params: { path: { endpointId: endpoint.id } }, body: { overlapSeconds: 3600 } }),
    );
    expect(rotated.secret).not.toBe(endpoint.secret);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    const [during] = await deliverAndCollect(path);
    const [newSignature, oldSignature, ...more] = signaturesOf(during!);
    expect(more).toEqual([]);
    // Each signature verifies on its own with its own secret, and standardwebhooks accepts the
    // full header with either secret.
    expect(() => new Webhook(rotated.secret).verify(during!.body, signatureHeadersOf(during!, newSignature))).not.toThrow();
    expect(() => new Webhook(endpoint.secret).verify(during!.body, signatureHeadersOf(during!, oldSignature))).not.toThrow();
    expect(() => new Webhook(endpoint.secret).verify(during!.body, signatureHeadersOf(during!, newSignature))).toThrow();
    expect(() => verified(during!, rotated.secret)).not.toThrow();
    expect(() => verified(during!, endpoint.secret)).not.toThrow();

    await advanceClock(client, 3601);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2600) }));
    const [after] = await deliverAndCollect(path);
    expect(signaturesOf(after!)).toHaveLength(1);
    expect(() => verified(after!, rotated.secret)).not.toThrow();
    expect(() => verified(after!, endpoint.secret)).toThrow(/No matching signature/);
    const got = unwrap(await client.GET('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: endpoint.id } } }));
    expect(got.previousSecretExpiresAt).toBeNull();
  });
});

describe('retries', () => {
  it('follow the documented schedule with ±10 % jitter, then give up', () => {
    const from = new Date('2026-11-21T10:00:00.000Z');
    const delay = (n: number, random: number) => (nextRetryAt(n, from, random)!.getTime() - from.getTime()) / 1000;
    expect(RETRY_SCHEDULE_SECONDS.slice(0, 7)).toEqual([5, 30, 120, 600, 1800, 3600, 7200]);
    expect(RETRY_SCHEDULE_SECONDS.slice(7).every((s) => s === 14_400)).toBe(true);
    const total = RETRY_SCHEDULE_SECONDS.reduce((a, b) => a + b, 0);
    expect(total / 86_400).toBeGreaterThan(2.9);
    expect(total / 86_400).toBeLessThanOrEqual(3);
    expect(delay(1, 0)).toBe(4.5);
    expect(delay(1, 0.999999)).toBeCloseTo(5.5, 3);
    expect(delay(2, 0.5)).toBe(30);
    expect(nextRetryAt(RETRY_SCHEDULE_SECONDS.length + 1, from)).toBeNull();
  });

  it('a 500 is retried after the backoff and delivered once more: the same event, id and body', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint(['payment.succeeded']);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    receiver.answers.push(500);
    expect(await deliver()).toMatchObject({ claimed: 1, retrying: 1 });
    let [delivery] = await deliveriesOf(client, endpoint.id);
    expect(delivery).toMatchObject({ status: 'pending', attemptCount: 1, deliveredAt: null });
    expect(delivery!.attempts).toEqual([
      { attemptedAt: expect.any(String), statusCode: 500, latencyMs: expect.any(Number), error: 'The endpoint answered 500.', nextRetryAt: delivery!.nextAttemptAt },
    ]);
    const wait = Date.parse(delivery!.nextAttemptAt!) - Date.parse(delivery!.attempts[0]!.attemptedAt);
    expect(wait).toBeGreaterThanOrEqual(4500);
    expect(wait).toBeLessThanOrEqual(5500);

    // Not due yet: nothing is sent.
    expect(await deliver()).toMatchObject({ claimed: 0 });
    expect(receiver.on(path)).toHaveLength(1);

    await advanceClock(client, 6);
    expect(await deliver()).toMatchObject({ claimed: 1, delivered: 1 });
    const [first, second] = receiver.on(path);
    expect(receiver.on(path)).toHaveLength(2);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(second!.body).toBe(first!.body);
    expect(() => verified(second!, endpoint.secret)).not.toThrow();
    [delivery] = await deliveriesOf(client, endpoint.id);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 2, nextAttemptAt: null });
    expect(delivery!.attempts.map((a) => [a.statusCode, a.error, a.nextRetryAt])).toEqual([
      [500, 'The endpoint answered 500.', expect.any(String)],
      [200, null, null],
    ]);
    expect(delivery!.deliveredAt).toBe(delivery!.attempts[1]!.attemptedAt);
    // Delivered: never sent again.
    await advanceClock(client, 86_400);
    expect(await deliver()).toMatchObject({ claimed: 0 });
  });

  it('network errors and redirects count as failures', async () => {
    const { client, endpoint } = await merchantWithEndpoint(['payment.succeeded']);
    const dead = await startReceiver();
    const deadUrl = dead.url('/gone');
    await dead.close();
    unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: endpoint.id } }, body: { url: deadUrl } }));
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    await deliver();
    let [delivery] = await deliveriesOf(client, endpoint.id);
    expect(delivery!.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/^Could not reach the endpoint: ECONNREFUSED/) });

    const path = newPath();
    unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: endpoint.id } }, body: { url: receiver.url(path) } }));
    receiver.answers.push(302);
    await advanceClock(client, 6);
    await deliver();
    [delivery] = await deliveriesOf(client, endpoint.id);
    expect(delivery!.attempts[1]).toMatchObject({ statusCode: 302, error: expect.stringMatching(/redirect/) });
    expect(receiver.on(path)).toHaveLength(1);
    // Leave nothing pending for the next tests (the clock is shared by the server).
    unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: endpoint.id } }, body: { disabled: true } }));
  });

  it('stop after about 3 days: 25 attempts, then failed', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint(['payment.succeeded']);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    receiver.fallback = 503;
    const first = await deliver();
    expect(first).toMatchObject({ claimed: 1, retrying: 1 });
    for (let i = 0; i < RETRY_SCHEDULE_SECONDS.length; i++) {
      expect(await deliveriesOf(client, endpoint.id, { status: 'pending' })).toHaveLength(1);
      await advanceClock(client, Math.ceil(RETRY_SCHEDULE_SECONDS[i]! * 1.1) + 1);
      await deliver();
      expect(receiver.on(path)).toHaveLength(i + 2);
    }
    const [delivery] = await deliveriesOf(client, endpoint.id);
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: RETRY_SCHEDULE_SECONDS.length + 1, nextAttemptAt: null });
    expect(delivery!.attempts.at(-1)!.nextRetryAt).toBeNull();
    const span = Date.parse(delivery!.attempts.at(-1)!.attemptedAt) - Date.parse(delivery!.attempts[0]!.attemptedAt);
    expect(span / 86_400_000).toBeGreaterThan(2.5);
    expect(span / 86_400_000).toBeLessThan(3.6);
    expect(receiver.on(path)).toHaveLength(RETRY_SCHEDULE_SECONDS.length + 1);
    await advanceClock(client, 2_592_000);
    expect(await deliver()).toMatchObject({ claimed: 0 });
    expect((await deliveriesOf(client, endpoint.id, { status: 'failed' })).map((d) => d.id)).toEqual([delivery!.id]);
  });

  it('410 Gone disables the endpoint: nothing more is queued or sent until it is enabled again', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint(['payment.succeeded']);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2600) }));
    receiver.answers.push(410);
    // One delivery at a time, so that the second is still pending when the first gets its 410.
    expect(await deliverDueWebhooks(s.deps, { limit: 1 })).toMatchObject({ claimed: 1, failed: 1 });
    const got = unwrap(await client.GET('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: endpoint.id } } }));
    expect(got).toMatchObject({ disabled: true, disabledReason: 'gone' });
    const deliveries = await deliveriesOf(client, endpoint.id);
    expect(deliveries.map((d) => d.status)).toEqual(['failed', 'failed']);
    expect(deliveries.flatMap((d) => d.attempts.map((a) => a.statusCode))).toEqual([410]);

    unwrap(await client.POST('/v1/payments', { body: cardPayment(2700) }));
    await advanceClock(client, 60);
    expect(await deliver()).toMatchObject({ claimed: 0 });
    expect(await deliveriesOf(client, endpoint.id)).toHaveLength(2);
    expect(receiver.on(path)).toHaveLength(1);

    unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: endpoint.id } }, body: { disabled: false } }));
    const payment = unwrap(await client.POST('/v1/payments', { body: cardPayment(2800) }));
    const [request] = await deliverAndCollect(path);
    expect(verified(request!, endpoint.secret).data.object).toMatchObject({ id: payment.id });
  });
});

describe('event filters and isolation', () => {
  it('an endpoint for payment.refunded only gets payment.refunded; one for * gets everything', async () => {
    const { client, merchant } = await s.newMerchant();
    const refundsPath = newPath();
    const allPath = newPath();
    const refundsOnly = await createEndpoint(client, receiver.url(refundsPath), ['payment.refunded']);
    const everything = await createEndpoint(client, receiver.url(allPath), ['*']);
    const payment = unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    unwrap(await client.POST('/v1/checkout/sessions', { body: sessionBody }));
    await client.POST('/v1/payments', { body: cardPayment(2500, 'USD', '4000000000000002') });
    unwrap(await client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: payment.id } } }));
    await deliver();
    expect(receiver.on(refundsPath).map((r) => verified(r, refundsOnly.secret).type)).toEqual(['payment.refunded']);
    expect(receiver.on(allPath).map((r) => verified(r, everything.secret).type).sort()).toEqual(
      ['checkout.session.created', 'payment.failed', 'payment.refunded', 'payment.succeeded'].sort(),
    );
    // Every event of the merchant is in its log, delivered or not.
    const log = unwrap(await client.GET('/v1/events', { params: { query: { limit: 100 } } })).data;
    expect(log.map((e) => e.type).sort()).toEqual(['checkout.session.created', 'payment.failed', 'payment.refunded', 'payment.succeeded'].sort());
    expect(merchant.merchantId).toMatch(/^mer_/);
  });

  it('a merchant never receives or sees another merchant’s events, endpoints or deliveries', async () => {
    const a = await merchantWithEndpoint();
    const b = await merchantWithEndpoint();
    const paymentOfB = unwrap(await b.client.POST('/v1/payments', { body: cardPayment(2500) }));
    await deliver();
    expect(receiver.on(a.path)).toEqual([]);
    const [toB] = receiver.on(b.path);
    const eventOfB = verified(toB!, b.endpoint.secret);
    expect(eventOfB.data.object).toMatchObject({ id: paymentOfB.id });

    const endpointId = b.endpoint.id;
    const eventId = eventOfB.id;
    unwrap(await a.client.POST('/v1/payments', { body: cardPayment(2500) }));
    const eventOfA = await firstEventId(a.client);
    const responses = [
      await a.client.GET('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId } } }),
      await a.client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId } }, body: { disabled: true } }),
      await a.client.POST('/v1/webhook-endpoints/{endpointId}/rotate-secret', { params: { path: { endpointId } } }),
      await a.client.GET('/v1/webhook-endpoints/{endpointId}/deliveries', { params: { path: { endpointId } } }),
      await a.client.DELETE('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId } } }),
      await a.client.GET('/v1/events/{eventId}', { params: { path: { eventId } } }),
      await a.client.POST('/v1/events/{eventId}/redeliver', { params: { path: { eventId } }, body: {} }),
      // A's own event, but B's endpoint.
      await a.client.POST('/v1/events/{eventId}/redeliver', { params: { path: { eventId: eventOfA } }, body: { endpointId } }),
    ];
    for (const r of responses) {
      expect(r.response.status).toBe(404);
      expect(r.error).toMatchObject({ code: 'not_found' });
    }
    expect(unwrap(await a.client.GET('/v1/events')).data.map((e) => e.id)).not.toContain(eventId);
    expect(unwrap(await a.client.GET('/v1/webhook-endpoints')).data.map((e) => e.id)).toEqual([a.endpoint.id]);
    // B's endpoint is untouched, secret included.
    const stillB = unwrap(await b.client.GET('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId } } }));
    expect(stillB).toMatchObject({ disabled: false, previousSecretExpiresAt: null });
    expect(await deliveriesOf(b.client, endpointId)).toHaveLength(1);
    // A's own event goes to A only.
    await deliver();
    expect(receiver.on(a.path).map((r) => verified(r, a.endpoint.secret).id)).toEqual([eventOfA]);
    expect(receiver.on(b.path)).toHaveLength(1);
  });
});

/** The newest event id of the client's merchant. */
async function firstEventId(client: TillpointClient): Promise<string> {
  return unwrap(await client.GET('/v1/events', { params: { query: { limit: 1 } } })).data[0]!.id;
}

describe('redelivery and disabling', () => {
  it('redeliverEvent sends the event again with the same webhook-id and body', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint(['payment.succeeded']);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    const [first] = await deliverAndCollect(path);
    const eventId = String(first!.headers['webhook-id']);
    const queued = await client.POST('/v1/events/{eventId}/redeliver', { params: { path: { eventId } }, body: { endpointId: endpoint.id } });
    expect(queued.response.status).toBe(202);
    expect(queued.data!.data).toEqual([
      expect.objectContaining({ endpointId: endpoint.id, eventId, eventType: 'payment.succeeded', status: 'pending', attemptCount: 0, attempts: [] }),
    ]);
    const [again] = await deliverAndCollect(path);
    expect(again!.headers['webhook-id']).toBe(eventId);
    expect(again!.body).toBe(first!.body);
    expect(() => verified(again!, endpoint.secret)).not.toThrow();
    const deliveries = await deliveriesOf(client, endpoint.id, { eventId });
    expect(deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered']);
  });

  it('disabling an endpoint fails its pending deliveries and stops new ones', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint(['payment.succeeded']);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    const disabled = unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: endpoint.id } }, body: { disabled: true } }));
    expect(disabled).toMatchObject({ disabled: true, disabledReason: 'requested' });
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2600) }));
    expect(await deliver()).toMatchObject({ claimed: 0 });
    expect(receiver.on(path)).toEqual([]);
    const deliveries = await deliveriesOf(client, endpoint.id);
    expect(deliveries.map((d) => [d.status, d.attemptCount])).toEqual([['failed', 0]]);
  });

  it('deleting an endpoint drops its pending deliveries', async () => {
    const { client, path, endpoint } = await merchantWithEndpoint(['payment.succeeded']);
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    unwrap(await client.DELETE('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: endpoint.id } } }));
    expect(await deliver()).toMatchObject({ claimed: 0 });
    expect(receiver.on(path)).toEqual([]);
  });
});
