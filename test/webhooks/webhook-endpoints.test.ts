/**
 * The webhooks family's endpoint operations, one `describe` per operationId: the happy paths and
 * every status each documents (500 cannot be provoked from outside and is not tested). A live
 * server shows the https-only rule; a server limited to one request per minute per credential
 * shows `429` on every operation.
 *
 * No delivery is sent here (the worker is off); deliveries are in delivery.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createTillpointClient, unwrap, type TillpointClient } from '../../client/index.ts';
import { createMerchant } from '../../server/auth/service.ts';
import { asResult, expectInvalidBody, expectInvalidParameter, expectProblem } from '../support/problems.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { clientWithUnknownKey } from '../support/clients.ts';
import { cardPayment, type TestServer } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { advanceClock, createEndpoint, deliveriesOf } from './fixtures.ts';

const { server: s, live, limited } = useTestServer({ rateLimit: 1, live: true });

const URL_A = 'https://shop.example.com/webhooks/tillpoint';
const UNKNOWN_ENDPOINT = 'we_000000000000000000000000';
const endpointPath = (endpointId: string) => ({ params: { path: { endpointId } } });

/** A raw request with the merchant's key. */
function raw(server: TestServer, method: string, path: string, apiKey: string, body?: string, contentType = 'application/json') {
  return server.raw(path, { method, headers: { 'x-api-key': apiKey, ...(body !== undefined ? { 'content-type': contentType } : {}) }, body });
}

/** A merchant of the live server (which has no sandbox routes), and its client. */
async function liveMerchant(): Promise<{ client: TillpointClient }> {
  const merchant = await createMerchant(live.deps, 'Live merchant');
  expect(merchant.apiKey).toMatch(/^sk_live_/);
  return { client: createTillpointClient({ baseUrl: live.url, apiKey: merchant.apiKey, retry: false }) };
}

async function get(client: TillpointClient, endpointId: string) {
  return unwrap(await client.GET('/v1/webhook-endpoints/{endpointId}', endpointPath(endpointId)));
}

describe('createWebhookEndpoint', () => {
  it('201: the endpoint, enabled, with a whsec_ secret of 24 random bytes shown once', async () => {
    const { client } = await s.newMerchant();
    const r = await client.POST('/v1/webhook-endpoints', { body: { url: URL_A, events: ['payment.succeeded', 'payment.refunded'], description: 'Order fulfilment' } });
    expect(r.response.status).toBe(201);
    const endpoint = r.data!;
    expect(endpoint).toEqual({
      id: expect.stringMatching(/^we_[0-9A-Za-z]{24}$/),
      url: URL_A,
      description: 'Order fulfilment',
      events: ['payment.succeeded', 'payment.refunded'],
      disabled: false,
      disabledReason: null,
      previousSecretExpiresAt: null,
      createdAt: expect.any(String),
      updatedAt: endpoint.createdAt,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
    });
    expect(Buffer.from(endpoint.secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
    // Never shown again.
    const { secret: _secret, ...rest } = endpoint;
    expect(await get(client, endpoint.id)).toEqual(rest);
    expect(JSON.stringify(unwrap(await client.GET('/v1/webhook-endpoints')))).not.toContain(endpoint.secret);
    // Each endpoint has its own secret.
    expect((await createEndpoint(client, URL_A)).secret).not.toBe(endpoint.secret);
  });

  it('accepts ["*"], and http:// URLs on a sandbox server', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, 'http://localhost:8080/hooks', ['*']);
    expect(endpoint).toMatchObject({ url: 'http://localhost:8080/hooks', events: ['*'], description: null });
  });

  it('takes no Idempotency-Key: the header is ignored, so the secret is never replayed (issue #9)', async () => {
    const { client } = await s.newMerchant();
    const key = newKey();
    const body = { url: URL_A, events: ['*' as const] };
    const first = await client.POST('/v1/webhook-endpoints', { body, headers: { 'Idempotency-Key': key } });
    const second = await client.POST('/v1/webhook-endpoints', { body, headers: { 'Idempotency-Key': key } });
    expect(second.response.status).toBe(201);
    expect(second.response.headers.get('idempotent-replayed')).toBeNull();
    expect(second.data!.secret).not.toBe(first.data!.secret);
    expect(unwrap(await client.GET('/v1/webhook-endpoints')).data).toHaveLength(2);
  });

  it('400 invalid_request for a missing or invalid field, naming it', async () => {
    const { client, merchant } = await s.newMerchant();
    const post = (body: unknown) => raw(s, 'POST', '/v1/webhook-endpoints', merchant.apiKey, JSON.stringify(body)).then(asResult);
    expectInvalidBody(await post({ events: ['*'] }), '/url');
    expectInvalidBody(await post({ url: URL_A }), '/events');
    expectInvalidBody(await post({ url: URL_A, events: [] }), '/events');
    expectInvalidBody(await post({ url: URL_A, events: ['payment.exploded'] }), '/events/0');
    expectInvalidBody(await post({ url: URL_A, events: ['payment.succeeded', 'payment.succeeded'] }), '/events');
    expectInvalidBody(await post({ url: 'ftp://shop.example.com/hooks', events: ['*'] }), '/url');
    expectInvalidBody(await post({ url: 'not a url', events: ['*'] }), '/url');
    expectInvalidBody(await post({ url: URL_A, events: ['*'], secret: 'whsec_mine' }), '/secret');
    expectInvalidBody(await client.POST('/v1/webhook-endpoints', { body: { url: URL_A, events: ['*', 'payment.succeeded'] } }), '/events');
    expectInvalidBody(await client.POST('/v1/webhook-endpoints', { body: { url: 'https://user:pass@shop.example.com/hooks', events: ['*'] } }), '/url');
    expect(unwrap(await client.GET('/v1/webhook-endpoints')).data).toEqual([]);
  });

  it('400 invalid_request for an http:// URL on a live server; https:// is accepted', async () => {
    const { client } = await liveMerchant();
    const problem = expectInvalidBody(await client.POST('/v1/webhook-endpoints', { body: { url: 'http://shop.example.com/hooks', events: ['*'] } }), '/url');
    expect(problem.errors![0]!.detail).toMatch(/https/);
    for (const url of ['https://localhost/hooks', 'https://127.0.0.1/hooks', 'https://10.1.2.3/hooks', 'https://169.254.169.254/latest', 'https://[::1]/hooks', 'https://[::ffff:127.0.0.1]/hooks', 'https://192.168.0.10:8443/hooks']) {
      const r = await client.POST('/v1/webhook-endpoints', { body: { url, events: ['*'] } });
      expect(expectInvalidBody(r, '/url').errors![0]!.detail, url).toMatch(/private|localhost/);
    }
    expect((await createEndpoint(client, URL_A)).url).toBe(URL_A);
    expect((await createEndpoint(client, 'https://8.8.8.8/hooks')).url).toBe('https://8.8.8.8/hooks');
  });

  it('401 unauthenticated without a valid credential', async () => {
    expectProblem(await s.anonymous().POST('/v1/webhook-endpoints', { body: { url: URL_A, events: ['*'] } }), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).POST('/v1/webhook-endpoints', { body: { url: URL_A, events: ['*'] } }), 401, 'unauthenticated');
  });

  it('415 unsupported_media_type for a body that is not JSON', async () => {
    const { merchant } = await s.newMerchant();
    expectProblem(await asResult(await raw(s, 'POST', '/v1/webhook-endpoints', merchant.apiKey, `url=${URL_A}`, 'application/x-www-form-urlencoded')), 415, 'unsupported_media_type');
  });
});

describe('listWebhookEndpoints', () => {
  it('200: newest first, without secrets, one page at a time', async () => {
    const { client } = await s.newMerchant();
    const created = [];
    for (let i = 0; i < 3; i++) {
      created.push(await createEndpoint(client, `${URL_A}/${i}`));
      await advanceClock(client, 1); // distinct creation times
    }
    const page1 = unwrap(await client.GET('/v1/webhook-endpoints', { params: { query: { limit: 2 } } }));
    expect(page1.data.map((e) => e.id)).toEqual([created[2]!.id, created[1]!.id]);
    expect(page1.hasMore).toBe(true);
    const page2 = unwrap(await client.GET('/v1/webhook-endpoints', { params: { query: { limit: 2, cursor: page1.nextCursor! } } }));
    expect(page2).toEqual({ data: [expect.objectContaining({ id: created[0]!.id })], hasMore: false, nextCursor: null });
    for (const endpoint of [...page1.data, ...page2.data]) expect(endpoint).not.toHaveProperty('secret');
  });

  it('400 invalid_request for a bad limit or cursor', async () => {
    const { client } = await s.newMerchant();
    expectInvalidParameter(await client.GET('/v1/webhook-endpoints', { params: { query: { limit: 0 } } }), 'limit');
    expectInvalidParameter(await client.GET('/v1/webhook-endpoints', { params: { query: { cursor: 'bm90LWEtY3Vyc29y' } } }), 'cursor');
  });

  it('401 unauthenticated without a credential', async () => {
    expectProblem(await s.anonymous().GET('/v1/webhook-endpoints'), 401, 'unauthenticated');
  });
});

describe('getWebhookEndpoint', () => {
  it('200: the endpoint', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A, ['checkout.session.completed'], 'Fulfilment');
    expect(await get(client, endpoint.id)).toMatchObject({ id: endpoint.id, url: URL_A, events: ['checkout.session.completed'], description: 'Fulfilment' });
  });

  it('400 for a malformed id, 404 for an unknown one, 401 without a credential', async () => {
    const { client } = await s.newMerchant();
    expectInvalidParameter(await client.GET('/v1/webhook-endpoints/{endpointId}', endpointPath('pay_000000000000000000000000')), 'endpointId');
    expectProblem(await client.GET('/v1/webhook-endpoints/{endpointId}', endpointPath(UNKNOWN_ENDPOINT)), 404, 'not_found');
    expectProblem(await s.anonymous().GET('/v1/webhook-endpoints/{endpointId}', endpointPath(UNKNOWN_ENDPOINT)), 401, 'unauthenticated');
  });
});

describe('updateWebhookEndpoint', () => {
  it('200: changes only the fields given; description null removes it', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A, ['payment.succeeded'], 'Old');
    await advanceClock(client, 5);
    const r = await client.PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(endpoint.id), body: { url: `${URL_A}/v2`, events: ['*'] } });
    expect(r.response.status).toBe(200);
    expect(r.data).toMatchObject({ url: `${URL_A}/v2`, events: ['*'], description: 'Old', disabled: false });
    expect(Date.parse(r.data!.updatedAt)).toBeGreaterThan(Date.parse(endpoint.updatedAt));
    expect(r.data).not.toHaveProperty('secret');
    const cleared = unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(endpoint.id), body: { description: null } }));
    expect(cleared).toMatchObject({ url: `${URL_A}/v2`, description: null });
  });

  it('200: disables (disabledReason requested) and enables again', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A);
    const disabled = unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(endpoint.id), body: { disabled: true } }));
    expect(disabled).toMatchObject({ disabled: true, disabledReason: 'requested' });
    // While disabled, events are not queued for it.
    unwrap(await client.POST('/v1/payments', { body: cardPayment() }));
    expect(await deliveriesOf(client, endpoint.id)).toEqual([]);
    const enabled = unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(endpoint.id), body: { disabled: false } }));
    expect(enabled).toMatchObject({ disabled: false, disabledReason: null });
    unwrap(await client.POST('/v1/payments', { body: cardPayment() }));
    expect(await deliveriesOf(client, endpoint.id)).toHaveLength(1);
  });

  it('400 invalid_request for an empty body or an invalid field, also https-only in live mode', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A);
    const patch = (body: object) => client.PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(endpoint.id), body: body as never });
    expectProblem(await patch({}), 400, 'invalid_request');
    expectInvalidBody(await patch({ url: 'mailto:ops@example.com' }), '/url');
    expectInvalidBody(await patch({ events: ['*', 'payment.failed'] }), '/events');
    expectInvalidBody(await patch({ disabled: 'yes' }), '/disabled');
    expectInvalidBody(await patch({ secret: 'whsec_x' }), '/secret');
    const l = await liveMerchant();
    const liveEndpoint = await createEndpoint(l.client, URL_A);
    expectInvalidBody(await l.client.PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(liveEndpoint.id), body: { url: 'http://shop.example.com/hooks' } }), '/url');
    expect(await get(client, endpoint.id)).toMatchObject({ url: URL_A, events: ['*'] });
  });

  it('404 for an unknown endpoint, 401 without a credential, 415 for a non-JSON body', async () => {
    const { client, merchant } = await s.newMerchant();
    expectProblem(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(UNKNOWN_ENDPOINT), body: { disabled: true } }), 404, 'not_found');
    expectProblem(await s.anonymous().PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(UNKNOWN_ENDPOINT), body: { disabled: true } }), 401, 'unauthenticated');
    const endpoint = await createEndpoint(client, URL_A);
    expectProblem(await asResult(await raw(s, 'PATCH', `/v1/webhook-endpoints/${endpoint.id}`, merchant.apiKey, 'disabled=true', 'text/plain')), 415, 'unsupported_media_type');
  });
});

describe('deleteWebhookEndpoint', () => {
  it('200 { id, deleted: true }; afterwards 404 everywhere', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A);
    const r = await client.DELETE('/v1/webhook-endpoints/{endpointId}', endpointPath(endpoint.id));
    expect(r.response.status).toBe(200);
    expect(r.data).toEqual({ id: endpoint.id, deleted: true });
    expectProblem(await client.GET('/v1/webhook-endpoints/{endpointId}', endpointPath(endpoint.id)), 404, 'not_found');
    expectProblem(await client.DELETE('/v1/webhook-endpoints/{endpointId}', endpointPath(endpoint.id)), 404, 'not_found');
    expectProblem(await client.GET('/v1/webhook-endpoints/{endpointId}/deliveries', endpointPath(endpoint.id)), 404, 'not_found');
    expect(unwrap(await client.GET('/v1/webhook-endpoints')).data).toEqual([]);
  });

  it('400 for a malformed id, 401 without a credential', async () => {
    const { client } = await s.newMerchant();
    expectInvalidParameter(await client.DELETE('/v1/webhook-endpoints/{endpointId}', endpointPath('we_short')), 'endpointId');
    expectProblem(await s.anonymous().DELETE('/v1/webhook-endpoints/{endpointId}', endpointPath(UNKNOWN_ENDPOINT)), 401, 'unauthenticated');
  });
});

describe('rotateWebhookEndpointSecret', () => {
  const rotate = (client: TillpointClient, endpointId: string, body?: { overlapSeconds?: number }, headers: Record<string, string> = {}) =>
    client.POST('/v1/webhook-endpoints/{endpointId}/rotate-secret', { ...endpointPath(endpointId), ...(body ? { body } : {}), headers });

  it('201: a new secret; the previous one signs for one day by default', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A);
    const r = await rotate(client, endpoint.id);
    expect(r.response.status).toBe(201);
    const rotated = r.data!;
    expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt!) - Date.parse(rotated.updatedAt)).toBe(86_400_000);
    expect((await get(client, endpoint.id)).previousSecretExpiresAt).toBe(rotated.previousSecretExpiresAt);
    // The overlap ends: no previous secret any more.
    await advanceClock(client, 86_401);
    expect((await get(client, endpoint.id)).previousSecretExpiresAt).toBeNull();
  });

  it('201: overlapSeconds 0 drops the previous secret at once; 7 days is the maximum', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A);
    expect(unwrap(await rotate(client, endpoint.id, { overlapSeconds: 0 })).previousSecretExpiresAt).toBeNull();
    const week = unwrap(await rotate(client, endpoint.id, { overlapSeconds: 604_800 }));
    expect(Date.parse(week.previousSecretExpiresAt!) - Date.parse(week.updatedAt)).toBe(604_800_000);
  });

  it('takes no Idempotency-Key: a retry with the same key rotates again, never replaying a secret (issue #9)', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A);
    const key = newKey();
    const first = await rotate(client, endpoint.id, { overlapSeconds: 60 }, { 'Idempotency-Key': key });
    const second = await rotate(client, endpoint.id, { overlapSeconds: 60 }, { 'Idempotency-Key': key });
    expect(second.response.headers.get('idempotent-replayed')).toBeNull();
    expect(second.data!.secret).not.toBe(first.data!.secret);
  });

  it('400 for an overlap out of range, 404 unknown endpoint, 401, 415', async () => {
    const { client, merchant } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A);
    expectInvalidBody(await rotate(client, endpoint.id, { overlapSeconds: 604_801 }), '/overlapSeconds');
    expectInvalidBody(await rotate(client, endpoint.id, { overlapSeconds: -1 }), '/overlapSeconds');
    expectProblem(await rotate(client, UNKNOWN_ENDPOINT, {}), 404, 'not_found');
    expectProblem(await s.anonymous().POST('/v1/webhook-endpoints/{endpointId}/rotate-secret', endpointPath(endpoint.id)), 401, 'unauthenticated');
    const path = `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`;
    expectProblem(await asResult(await raw(s, 'POST', path, merchant.apiKey, 'overlapSeconds=5', 'text/plain')), 415, 'unsupported_media_type');
    // Nothing of that rotated the secret: the endpoint has no previous secret.
    expect((await get(client, endpoint.id)).previousSecretExpiresAt).toBeNull();
  });
});

describe('listWebhookDeliveries', () => {
  it('200: the deliveries of the endpoint, newest first, filtered by event and status, paginated', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A, ['payment.succeeded', 'payment.failed']);
    const paid = unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    await advanceClock(client, 1);
    await client.POST('/v1/payments', { body: cardPayment(2500, 'USD', '4000000000000002') });
    const all = await deliveriesOf(client, endpoint.id);
    expect(all.map((d) => d.eventType)).toEqual(['payment.failed', 'payment.succeeded']);
    expect(all[1]).toEqual({
      id: expect.stringMatching(/^del_[0-9A-Za-z]{24}$/),
      endpointId: endpoint.id,
      eventId: expect.stringMatching(/^evt_/),
      eventType: 'payment.succeeded',
      status: 'pending',
      attemptCount: 0,
      nextAttemptAt: paid.createdAt,
      deliveredAt: null,
      createdAt: paid.createdAt,
      attempts: [],
    });
    expect((await deliveriesOf(client, endpoint.id, { eventId: all[1]!.eventId })).map((d) => d.id)).toEqual([all[1]!.id]);
    expect(await deliveriesOf(client, endpoint.id, { status: 'delivered' })).toEqual([]);
    expect(await deliveriesOf(client, endpoint.id, { status: 'pending' })).toHaveLength(2);
    const page1 = unwrap(await client.GET('/v1/webhook-endpoints/{endpointId}/deliveries', { params: { path: { endpointId: endpoint.id }, query: { limit: 1 } } }));
    expect(page1.hasMore).toBe(true);
    const page2 = unwrap(
      await client.GET('/v1/webhook-endpoints/{endpointId}/deliveries', { params: { path: { endpointId: endpoint.id }, query: { limit: 1, cursor: page1.nextCursor! } } }),
    );
    expect([...page1.data, ...page2.data].map((d) => d.id)).toEqual(all.map((d) => d.id));
    expect(page2.hasMore).toBe(false);
  });

  it('400 for a bad filter, 404 unknown endpoint, 401 without a credential', async () => {
    const { client } = await s.newMerchant();
    const endpoint = await createEndpoint(client, URL_A);
    const list = (query: Record<string, unknown>) => client.GET('/v1/webhook-endpoints/{endpointId}/deliveries', { params: { path: { endpointId: endpoint.id }, query: query as never } });
    expectInvalidParameter(await list({ status: 'lost' }), 'status');
    expectInvalidParameter(await list({ eventId: 'pay_000000000000000000000000' }), 'eventId');
    expectInvalidParameter(await list({ limit: 101 }), 'limit');
    expectProblem(await client.GET('/v1/webhook-endpoints/{endpointId}/deliveries', endpointPath(UNKNOWN_ENDPOINT)), 404, 'not_found');
    expectProblem(await s.anonymous().GET('/v1/webhook-endpoints/{endpointId}/deliveries', endpointPath(endpoint.id)), 401, 'unauthenticated');
  });
});

describe('429 rate_limited on every webhook endpoint operation', () => {
  type Call = (client: TillpointClient, endpointId: string) => Promise<{ response: Response; error?: unknown; data?: unknown }>;
  const calls: [string, Call][] = [
    ['createWebhookEndpoint', (c) => c.POST('/v1/webhook-endpoints', { body: { url: URL_A, events: ['*'] } })],
    ['listWebhookEndpoints', (c) => c.GET('/v1/webhook-endpoints')],
    ['getWebhookEndpoint', (c, id) => c.GET('/v1/webhook-endpoints/{endpointId}', endpointPath(id))],
    ['updateWebhookEndpoint', (c, id) => c.PATCH('/v1/webhook-endpoints/{endpointId}', { ...endpointPath(id), body: { description: 'x' } })],
    ['deleteWebhookEndpoint', (c, id) => c.DELETE('/v1/webhook-endpoints/{endpointId}', endpointPath(id))],
    ['rotateWebhookEndpointSecret', (c, id) => c.POST('/v1/webhook-endpoints/{endpointId}/rotate-secret', endpointPath(id))],
    ['listWebhookDeliveries', (c, id) => c.GET('/v1/webhook-endpoints/{endpointId}/deliveries', endpointPath(id))],
  ];
  it.each(calls)('%s', async (_name, call) => {
    const { client } = await limited.newMerchant();
    const first = await call(client, UNKNOWN_ENDPOINT);
    expect(first.response.status).not.toBe(429);
    const second = await call(client, UNKNOWN_ENDPOINT);
    expectProblem(second, 429, 'rate_limited');
    expect(Number(second.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
