/**
 * The events family, one `describe` per operationId: the event log (listEvents, getEvent) and
 * redeliverEvent, with every status each documents (500 cannot be provoked and is not tested).
 *
 * The server runs on a controllable base clock (`clock`, test/support/use-test-server.ts), so that creation times and the
 * created-range filters are exact.
 */
import { describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { asResult, expectInvalidBody, expectInvalidParameter, expectProblem } from '../support/problems.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { createEndpoint, deliveriesOf } from './fixtures.ts';

const { server: s, limited, clock } = useTestServer({ clock: Date.parse('2026-11-21T10:00:00.000Z'), rateLimit: 1 });
const iso = (ms: number) => new Date(ms).toISOString();
const tick = (ms = 1000) => clock.advance(ms);

const UNKNOWN_EVENT = 'evt_000000000000000000000000';
const URL_A = 'https://shop.example.com/webhooks/tillpoint';
const eventPath = (eventId: string) => ({ params: { path: { eventId } } });
const sessionBody = { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/ok', cancelUrl: 'https://shop.example.com/cart', metadata: { cart: 'C-1' } };

async function events(client: TillpointClient, query: Record<string, unknown> = {}) {
  return unwrap(await client.GET('/v1/events', { params: { query: { limit: 100, ...query } } }));
}

/** A merchant with a payment (refunded) and a checkout session: four events, one second apart. */
async function merchantWithHistory() {
  const { client, merchant } = await s.newMerchant();
  const t0 = clock.ms;
  const payment = unwrap(await client.POST('/v1/payments', { body: { ...cardPayment(2500), metadata: { orderId: 'ORD-9' } } }));
  tick();
  const session = unwrap(await client.POST('/v1/checkout/sessions', { body: sessionBody }));
  tick();
  unwrap(await client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: payment.id } }, body: { amount: 500 } }));
  tick();
  await client.POST('/v1/payments', { body: cardPayment(2500, 'USD', '4000000000000002') });
  tick();
  return { client, merchant, payment, session, t0 };
}

describe('listEvents', () => {
  it('200: every event of the merchant, newest first, with the object as the API returned it', async () => {
    const { client, payment, session, t0 } = await merchantWithHistory();
    const list = await events(client);
    expect(list.hasMore).toBe(false);
    expect(list.data.map((e) => [e.type, e.createdAt])).toEqual([
      ['payment.failed', iso(t0 + 3000)],
      ['payment.refunded', iso(t0 + 2000)],
      ['checkout.session.created', iso(t0 + 1000)],
      ['payment.succeeded', iso(t0)],
    ]);
    expect(list.data[3]).toEqual({ id: expect.stringMatching(/^evt_[0-9A-Za-z]{24}$/), type: 'payment.succeeded', createdAt: iso(t0), data: { object: payment } });
    expect(list.data[2]!.data.object).toEqual(session);
    expect(list.data[1]!.data.object).toMatchObject({ id: payment.id, amountRefunded: 500, metadata: { orderId: 'ORD-9' } });
  });

  it('200: filters by type and created range, paginates with the same filters', async () => {
    const { client, t0 } = await merchantWithHistory();
    expect((await events(client, { type: 'payment.refunded' })).data.map((e) => e.type)).toEqual(['payment.refunded']);
    expect((await events(client, { type: 'checkout.session.expired' })).data).toEqual([]);
    const range = await events(client, { createdGte: iso(t0 + 1000), createdLt: iso(t0 + 3000) });
    expect(range.data.map((e) => e.type)).toEqual(['payment.refunded', 'checkout.session.created']);
    const page1 = await events(client, { limit: 3 });
    expect(page1.hasMore).toBe(true);
    const page2 = await events(client, { limit: 3, cursor: page1.nextCursor });
    expect(page2).toMatchObject({ hasMore: false, nextCursor: null });
    expect([...page1.data, ...page2.data].map((e) => e.id)).toEqual((await events(client)).data.map((e) => e.id));
  });

  it('400 for an unknown type, a bad limit or date, 401 without a credential', async () => {
    const { client } = await s.newMerchant();
    const list = (query: Record<string, unknown>) => client.GET('/v1/events', { params: { query: query as never } });
    expectInvalidParameter(await list({ type: 'payment.exploded' }), 'type');
    expectInvalidParameter(await list({ limit: 0 }), 'limit');
    expectInvalidParameter(await list({ createdGte: 'yesterday' }), 'createdGte');
    expectInvalidParameter(await list({ cursor: 'bm9wZQ' }), 'cursor');
    expectProblem(await s.anonymous().GET('/v1/events'), 401, 'unauthenticated');
  });
});

describe('getEvent', () => {
  it('200: the event as listed (and as webhooks carry it)', async () => {
    const { client } = await merchantWithHistory();
    for (const event of (await events(client)).data) {
      expect(unwrap(await client.GET('/v1/events/{eventId}', eventPath(event.id)))).toEqual(event);
    }
  });

  it('400 malformed id, 404 unknown or another merchant’s, 401 without a credential', async () => {
    const { client } = await s.newMerchant();
    const other = await merchantWithHistory();
    const [foreign] = (await events(other.client)).data;
    expectInvalidParameter(await client.GET('/v1/events/{eventId}', eventPath('evt_short')), 'eventId');
    expectProblem(await client.GET('/v1/events/{eventId}', eventPath(UNKNOWN_EVENT)), 404, 'not_found');
    expectProblem(await client.GET('/v1/events/{eventId}', eventPath(foreign!.id)), 404, 'not_found');
    expectProblem(await s.anonymous().GET('/v1/events/{eventId}', eventPath(UNKNOWN_EVENT)), 401, 'unauthenticated');
  });
});

describe('redeliverEvent', () => {
  const redeliver = (client: TillpointClient, eventId: string, body?: { endpointId?: string }, headers: Record<string, string> = {}) =>
    client.POST('/v1/events/{eventId}/redeliver', { ...eventPath(eventId), ...(body ? { body } : {}), headers });

  it('202: one new delivery, due now, per subscribed enabled endpoint; or to the one named', async () => {
    const { client } = await merchantWithHistory();
    const refunds = await createEndpoint(client, `${URL_A}/refunds`, ['payment.refunded']);
    const all = await createEndpoint(client, `${URL_A}/all`, ['*']);
    const disabled = await createEndpoint(client, `${URL_A}/off`, ['*']);
    unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: disabled.id } }, body: { disabled: true } }));
    // Events from before the endpoints existed were not queued to them.
    expect(await deliveriesOf(client, all.id)).toEqual([]);
    const refunded = (await events(client, { type: 'payment.refunded' })).data[0]!;

    const r = await redeliver(client, refunded.id);
    expect(r.response.status).toBe(202);
    expect(r.data!.data.map((d) => d.endpointId).sort()).toEqual([refunds.id, all.id].sort());
    for (const d of r.data!.data) {
      expect(d).toMatchObject({ eventId: refunded.id, eventType: 'payment.refunded', status: 'pending', attemptCount: 0, nextAttemptAt: iso(clock.ms), attempts: [] });
    }
    // The delivery to `all` is still pending: asking again returns it, queueing nothing more.
    const one = unwrap(await redeliver(client, refunded.id, { endpointId: all.id }));
    expect(one.data.map((d) => d.id)).toEqual(r.data!.data.filter((d) => d.endpointId === all.id).map((d) => d.id));
    expect((await deliveriesOf(client, all.id, { eventId: refunded.id })).map((d) => d.id)).toEqual(one.data.map((d) => d.id));
  });

  it('replays the first answer for the same Idempotency-Key instead of queueing again; 422 with another body', async () => {
    const { client } = await merchantWithHistory();
    const endpoint = await createEndpoint(client, URL_A, ['*']);
    const [event] = (await events(client)).data;
    const key = newKey();
    const first = await redeliver(client, event!.id, {}, { 'Idempotency-Key': key });
    const second = await redeliver(client, event!.id, {}, { 'Idempotency-Key': key });
    expect(second.response.headers.get('idempotent-replayed')).toBe('true');
    expect(second.data).toEqual(first.data);
    expect(await deliveriesOf(client, endpoint.id, { eventId: event!.id })).toHaveLength(1);
    expectProblem(await redeliver(client, event!.id, { endpointId: endpoint.id }, { 'Idempotency-Key': key }), 422, 'idempotency_key_reused');
  });

  it('409 invalid_state: endpoint disabled, not subscribed, or no subscribed endpoint at all', async () => {
    const { client } = await merchantWithHistory();
    const [failed] = (await events(client, { type: 'payment.failed' })).data;
    expectProblem(await redeliver(client, failed!.id, {}), 409, 'invalid_state');
    const refundsOnly = await createEndpoint(client, URL_A, ['payment.refunded']);
    const problem = expectProblem(await redeliver(client, failed!.id, { endpointId: refundsOnly.id }), 409, 'invalid_state');
    expect(problem.detail).toMatch(/not subscribed to payment\.failed/);
    expectProblem(await redeliver(client, failed!.id, {}), 409, 'invalid_state');
    const off = await createEndpoint(client, URL_A, ['*']);
    unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: off.id } }, body: { disabled: true } }));
    expect(expectProblem(await redeliver(client, failed!.id, { endpointId: off.id }), 409, 'invalid_state').detail).toMatch(/disabled/);
    expect(await deliveriesOf(client, off.id)).toEqual([]);
  });

  it('409 idempotency_request_in_progress while the first request with the key runs', async () => {
    const { client, merchant } = await merchantWithHistory();
    await createEndpoint(client, URL_A, ['*']);
    const [event] = (await events(client)).data;
    const key = newKey();
    await claimKeyInFlight(s.deps.db, { merchantId: merchant.merchantId, key, operationId: 'redeliverEvent', path: `/v1/events/${event!.id}/redeliver`, body: {}, at: new Date(clock.ms) });
    expectProblem(await redeliver(client, event!.id, {}, { 'Idempotency-Key': key }), 409, 'idempotency_request_in_progress');
  });

  it('400 invalid body, 404 unknown event or endpoint, 401, 415', async () => {
    const { client, merchant } = await merchantWithHistory();
    const [event] = (await events(client)).data;
    expectInvalidBody(await redeliver(client, event!.id, { endpointId: 'we_x' }), '/endpointId');
    expectInvalidBody(await client.POST('/v1/events/{eventId}/redeliver', { ...eventPath(event!.id), body: { everything: true } as never }), '/everything');
    expectInvalidParameter(await redeliver(client, 'pay_000000000000000000000000', {}), 'eventId');
    expect(expectProblem(await redeliver(client, UNKNOWN_EVENT, {}), 404, 'not_found').detail).toMatch(/event/);
    expect(expectProblem(await redeliver(client, event!.id, { endpointId: 'we_000000000000000000000000' }), 404, 'not_found').detail).toMatch(/webhook endpoint/);
    expectProblem(await s.anonymous().POST('/v1/events/{eventId}/redeliver', { ...eventPath(event!.id), body: {} }), 401, 'unauthenticated');
    const r = await s.raw(`/v1/events/${event!.id}/redeliver`, { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'content-type': 'text/plain' }, body: 'all' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });
});

describe('429 rate_limited on every events operation', () => {
  const calls: [string, (c: TillpointClient) => Promise<{ response: Response; error?: unknown }>][] = [
    ['listEvents', (c) => c.GET('/v1/events')],
    ['getEvent', (c) => c.GET('/v1/events/{eventId}', eventPath(UNKNOWN_EVENT))],
    ['redeliverEvent', (c) => c.POST('/v1/events/{eventId}/redeliver', { ...eventPath(UNKNOWN_EVENT), body: {} })],
  ];
  it.each(calls)('%s', async (_name, call) => {
    const { client } = await limited.newMerchant();
    expect((await call(client)).response.status).not.toBe(429);
    expectProblem(await call(client), 429, 'rate_limited');
  });
});
