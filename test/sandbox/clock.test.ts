/**
 * advanceSandboxClock: the caller's own test clock. Advancing it adds to the merchant's offset
 * kept in the `merchant_clocks` table (shared by every instance, kept across restarts, ignored in
 * live mode), runs the jobs at once (the merchant's sessions expire, its pending payments
 * settle), leaves every other merchant's time alone, and keeps a test's own base clock working
 * underneath. Every documented status is covered (500 excepted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { storedClockOffset } from '../../server/clock/index.ts';
import { asResult, expectInvalidBody, expectProblem } from '../support/problems.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { advanceClock, clientFor, merchantOn, sharedStore, startOn } from '../webhooks/fixtures.ts';

let s: TestServer;
let fixed: TestServer;
let live: TestServer;
let limited: TestServer;
const base = Date.parse('2026-11-21T10:00:00.000Z');

beforeAll(async () => {
  [s, fixed, live, limited] = await Promise.all([
    startTestServer(),
    startTestServer({ now: () => new Date(base) }),
    startTestServer({ mode: 'live' }),
    startTestServer({ rateLimitAuthenticated: 1 }),
  ]);
});
afterAll(async () => {
  await Promise.all([s?.close(), fixed?.close(), live?.close(), limited?.close()]);
});

const advance = (client: TillpointClient, seconds: number, headers: Record<string, string> = {}) =>
  client.POST('/v1/sandbox/clock/advance', { body: { seconds }, headers });

describe('advanceSandboxClock', () => {
  it("200: advances add up; the merchant's now is the base clock plus its offset, kept in merchant_clocks", async () => {
    const { client, merchant } = await fixed.newMerchant();
    const first = await advance(client, 3600);
    expect(first.response.status).toBe(200);
    expect(first.data).toEqual({ now: new Date(base + 3600_000).toISOString(), offsetSeconds: 3600 });
    expect(unwrap(await advance(client, 60))).toEqual({ now: new Date(base + 3660_000).toISOString(), offsetSeconds: 3660 });
    expect(fixed.deps.now(merchant.merchantId).toISOString()).toBe(new Date(base + 3660_000).toISOString());
    expect(await storedClockOffset(fixed.deps.db, merchant.merchantId)).toBe(3660);
    // Objects are stamped with the advanced clock.
    const session = unwrap(
      await client.POST('/v1/checkout/sessions', { body: { amount: 2500, currency: 'USD', successUrl: 'https://a.example.com/ok', cancelUrl: 'https://a.example.com/c' } }),
    );
    expect(session.createdAt).toBe(new Date(base + 3660_000).toISOString());
  });

  it('200 on the real clock: now is real time plus the offset', async () => {
    const { client } = await s.newMerchant();
    const clock = unwrap(await advance(client, 86_400));
    expect(clock.offsetSeconds).toBe(86_400);
    expect(Math.abs(Date.parse(clock.now) - (Date.now() + 86_400_000))).toBeLessThan(5000);
  });

  it('expires open checkout sessions past expiresAt and settles pending payments at once', async () => {
    const { client } = await fixed.newMerchant();
    const sessionBody = { amount: 2500, currency: 'USD', successUrl: 'https://a.example.com/ok', cancelUrl: 'https://a.example.com/c' };
    const short = unwrap(await client.POST('/v1/checkout/sessions', { body: { ...sessionBody, expiresIn: 300 } }));
    const long = unwrap(await client.POST('/v1/checkout/sessions', { body: { ...sessionBody, expiresIn: 7200 } }));
    const pending = unwrap(
      await client.POST('/v1/payments', { body: { amount: 5000, currency: 'UGX', paymentMethod: { type: 'mobile_money', provider: 'mtn', phoneNumber: '+256700000003' } } }),
    );
    expect(pending.status).toBe('pending');
    unwrap(await advance(client, 301));
    // The jobs ran during the request: the stored rows changed, with their events.
    const log = unwrap(await client.GET('/v1/events', { params: { query: { limit: 100 } } })).data;
    expect(log.filter((e) => e.type === 'checkout.session.expired').map((e) => e.data.object.id)).toEqual([short.id]);
    expect(log.filter((e) => e.type === 'payment.succeeded').map((e) => e.data.object.id)).toEqual([pending.id]);
    expect(unwrap(await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: long.id } } })).status).toBe('open');
    expect(unwrap(await client.GET('/v1/balance'))).toEqual({ available: [{ amount: 5000, currency: 'UGX' }], pending: [] });
  });

  it("moves only the caller's clock: A's checkout session expires, B's does not, B's time is unchanged", async () => {
    const a = await fixed.newMerchant('A');
    const b = await fixed.newMerchant('B');
    const sessionBody = { amount: 2500, currency: 'USD', successUrl: 'https://a.example.com/ok', cancelUrl: 'https://a.example.com/c', expiresIn: 300 };
    const sessionA = unwrap(await a.client.POST('/v1/checkout/sessions', { body: sessionBody }));
    const sessionB = unwrap(await b.client.POST('/v1/checkout/sessions', { body: sessionBody }));
    const pendingB = unwrap(
      await b.client.POST('/v1/payments', { body: { amount: 5000, currency: 'UGX', paymentMethod: { type: 'mobile_money', provider: 'mtn', phoneNumber: '+256700000003' } } }),
    );
    expect(unwrap(await advance(a.client, 3600)).offsetSeconds).toBe(3600);
    const get = (client: TillpointClient, sessionId: string) => client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId } } });
    expect(unwrap(await get(a.client, sessionA.id)).status).toBe('expired');
    expect(unwrap(await get(b.client, sessionB.id)).status).toBe('open');
    expect(unwrap(await b.client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: pendingB.id } } })).status).toBe('pending');
    expect(fixed.deps.now(b.merchant.merchantId).toISOString()).toBe(new Date(base).toISOString());
    // B's new objects are stamped with B's time, A's with A's.
    const laterB = unwrap(await b.client.POST('/v1/checkout/sessions', { body: sessionBody }));
    expect(laterB.createdAt).toBe(new Date(base).toISOString());
    const laterA = unwrap(await a.client.POST('/v1/checkout/sessions', { body: sessionBody }));
    expect(laterA.createdAt).toBe(new Date(base + 3600_000).toISOString());
  });

  it('is shared through the database: kept across a restart, seen by other instances, ignored in live mode', async () => {
    const store = await sharedStore();
    try {
      const a = await startOn(store);
      const { client, apiKey, merchantId } = await merchantOn(a);
      await advanceClock(client, 5000);
      if (store.concurrent) {
        // Another instance on the same database picks the offset up at its next clock-sync job run.
        const b = await startOn(store, { sweepIntervalMs: 50 });
        try {
          const started = Date.now();
          while (b.deps.clock.offsetOf(merchantId) !== 5000 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
          expect(b.deps.clock.offsetOf(merchantId)).toBe(5000);
          await advanceClock(client, 100);
          // Concurrent advances from several instances add up.
          const viaB = unwrap(await clientFor(b, apiKey).POST('/v1/sandbox/clock/advance', { body: { seconds: 10 } }));
          expect(viaB.offsetSeconds).toBe(5110);
        } finally {
          await b.close();
        }
      } else {
        await advanceClock(client, 100);
        expect(unwrap(await advance(client, 10)).offsetSeconds).toBe(5110);
      }
      await a.close();
      const restarted = await startOn(store);
      try {
        expect(restarted.deps.clock.offsetOf(merchantId)).toBe(5110);
        expect(Math.abs(restarted.deps.now(merchantId).getTime() - (Date.now() + 5_110_000))).toBeLessThan(5000);
      } finally {
        await restarted.close();
      }
      const liveServer = await startOn(store, { mode: 'live' });
      try {
        expect(Math.abs(liveServer.deps.now(merchantId).getTime() - Date.now())).toBeLessThan(5000);
      } finally {
        await liveServer.close();
      }
    } finally {
      await store.drop();
    }
  });

  it('replays the first answer for the same Idempotency-Key instead of advancing twice; 422 with another body', async () => {
    const { client, merchant } = await fixed.newMerchant();
    const before = fixed.deps.clock.offsetOf(merchant.merchantId);
    const key = newKey();
    const first = await advance(client, 10, { 'Idempotency-Key': key });
    const second = await advance(client, 10, { 'Idempotency-Key': key });
    expect(second.response.headers.get('idempotent-replayed')).toBe('true');
    expect(second.data).toEqual(first.data);
    expect(fixed.deps.clock.offsetOf(merchant.merchantId)).toBe(before + 10);
    expectProblem(await advance(client, 11, { 'Idempotency-Key': key }), 422, 'idempotency_key_reused');
  });

  it('409 idempotency_request_in_progress while the first request with the key runs', async () => {
    const { client, merchant } = await fixed.newMerchant();
    const key = newKey();
    await claimKeyInFlight(fixed.deps.db, { merchantId: merchant.merchantId, key, operationId: 'advanceSandboxClock', path: '/v1/sandbox/clock/advance', body: { seconds: 5 }, at: fixed.deps.realNow() });
    expectProblem(await advance(client, 5, { 'Idempotency-Key': key }), 409, 'idempotency_request_in_progress');
  });

  it('400 for seconds out of 1..2592000, not an integer, or missing', async () => {
    const { client, merchant } = await fixed.newMerchant();
    const before = fixed.deps.clock.offsetOf(merchant.merchantId);
    for (const seconds of [0, -5, 2_592_001, 1.5]) expectInvalidBody(await advance(client, seconds), '/seconds');
    expectInvalidBody(await asResult(await fixed.raw('/v1/sandbox/clock/advance', { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'content-type': 'application/json' }, body: '{}' })), '/seconds');
    expect(fixed.deps.clock.offsetOf(merchant.merchantId)).toBe(before);
    expect(unwrap(await advance(client, 2_592_000)).offsetSeconds).toBe(before + 2_592_000);
  });

  it('401 without a credential, 415 for a non-JSON body', async () => {
    expectProblem(await fixed.anonymous().POST('/v1/sandbox/clock/advance', { body: { seconds: 5 } }), 401, 'unauthenticated');
    const { merchant } = await fixed.newMerchant();
    const r = await fixed.raw('/v1/sandbox/clock/advance', { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'content-type': 'text/plain' }, body: 'seconds=5' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });

  it('404 on a live server, where sandbox routes do not exist', async () => {
    const r = await live.raw('/v1/sandbox/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': `sk_live_${'A'.repeat(32)}` }, body: '{"seconds":60}' });
    expectProblem(await asResult(r), 404, 'not_found');
    expect(live.deps.realNow().getTime()).toBeLessThan(Date.now() + 1000);
  });

  it('429 rate_limited', async () => {
    const { client } = await limited.newMerchant();
    expect((await advance(client, 1)).response.status).toBe(200);
    expectProblem(await advance(client, 1), 429, 'rate_limited');
  });
});
