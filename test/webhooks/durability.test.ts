/**
 * At-least-once delivery across failures: the receiver is down while the server restarts, a
 * worker dies with an attempt in flight (its lease expires), several workers run at once (never
 * one attempt twice), and the background worker of a running server delivers by itself and
 * stops cleanly.
 *
 * Servers that restart or run side by side share a store: a fresh database on the run's
 * PostgreSQL server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import type { RunningServer } from '../../server/boot.ts';
import { claimDue } from '../../server/webhooks/repository.ts';
import { deliverDueWebhooks } from '../../server/webhooks/worker.ts';
import { cardPayment, startTestServer } from '../support/server.ts';
import {
  advanceClock,
  clientFor,
  createEndpoint,
  deliveriesOf,
  merchantOn,
  sharedStore,
  startOn,
  startReceiver,
  verified,
  type Receiver,
  type SharedStore,
} from './fixtures.ts';

/** Everything a test started, closed after it whatever happens. */
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!().catch(() => undefined);
});

async function store(): Promise<SharedStore> {
  const st = await sharedStore();
  cleanup.push(() => st.drop());
  return st;
}
async function server(st: SharedStore, options: Parameters<typeof startOn>[1] = {}): Promise<RunningServer> {
  const running = await startOn(st, options);
  cleanup.push(() => running.close());
  return running;
}
async function receiver(port?: number): Promise<Receiver> {
  const r = await startReceiver(port);
  cleanup.push(() => r.close());
  return r;
}

/** Ids of the distinct events a receiver got, verified with `secret`. */
function eventIds(r: Receiver, secret: string): string[] {
  return r.received.map((req) => verified(req, secret).id);
}

describe('restart', () => {
  it('receiver down while the server restarts: every event is delivered after the restart, nothing lost', async () => {
    const st = await store();
    const first = await server(st);
    const { client, apiKey } = await merchantOn(first);
    // A port that nobody listens on now, and where the receiver comes back later.
    const down = await startReceiver();
    const port = down.port;
    await down.close();
    const endpoint = await createEndpoint(client, `http://127.0.0.1:${port}/hooks`, ['payment.succeeded', 'payment.refunded']);
    const payments = [];
    for (const amount of [2500, 2600, 2700]) payments.push(unwrap(await client.POST('/v1/payments', { body: cardPayment(amount) })));
    unwrap(await client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: payments[0]!.id } } }));
    const events = unwrap(await client.GET('/v1/events', { params: { query: { limit: 100 } } })).data.filter((e) => e.type !== 'checkout.session.created');
    expect(events).toHaveLength(4);

    expect(await deliverDueWebhooks(first.deps)).toMatchObject({ claimed: 4, retrying: 4 });
    const failing = await deliveriesOf(client, endpoint.id);
    expect(failing.map((d) => d.attempts[0]!.error)).toEqual(Array(4).fill(expect.stringMatching(/ECONNREFUSED/)));
    await first.close();

    const up = await receiver(port);
    const second = await server(st);
    const again = clientFor(second, apiKey);
    await advanceClock(again, 10);
    expect(await deliverDueWebhooks(second.deps)).toMatchObject({ claimed: 4, delivered: 4 });
    expect(eventIds(up, endpoint.secret).sort()).toEqual(events.map((e) => e.id).sort());
    const delivered = await deliveriesOf(again, endpoint.id);
    expect(delivered.map((d) => [d.status, d.attemptCount])).toEqual(Array(4).fill(['delivered', 2]));
  });

  it('an attempt in flight when its worker died is retried once the lease expires', async () => {
    const st = await store();
    const leaseMs = 1500;
    const first = await server(st, { webhookLeaseMs: leaseMs });
    const { client, apiKey } = await merchantOn(first);
    const up = await receiver();
    const endpoint = await createEndpoint(client, up.url(), ['payment.succeeded']);
    const payment = unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    // A worker claims the delivery (first step of a round, committed) and dies before recording.
    const claimed = await claimDue(first.deps.db, first.deps.clock, 10, leaseMs, 'worker-that-died');
    expect(claimed).toHaveLength(1);
    const claimedAt = Date.now();
    await first.close();

    const second = await server(st, { webhookLeaseMs: leaseMs });
    // Still leased: another worker does not take it.
    if (Date.now() - claimedAt < leaseMs - 200) expect(await deliverDueWebhooks(second.deps)).toMatchObject({ claimed: 0 });
    await new Promise((r) => setTimeout(r, Math.max(0, leaseMs - (Date.now() - claimedAt)) + 100));
    expect(await deliverDueWebhooks(second.deps)).toMatchObject({ claimed: 1, delivered: 1 });
    expect(up.received.map((r) => verified(r, endpoint.secret).data.object)).toEqual([expect.objectContaining({ id: payment.id })]);
    const [delivery] = await deliveriesOf(clientFor(second, apiKey), endpoint.id);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });
});

describe('concurrent workers', () => {
  /** Runs rounds of 5 until nothing is due. */
  async function drain(deps: RunningServer['deps']): Promise<number> {
    let claimed = 0;
    for (;;) {
      const round = await deliverDueWebhooks(deps, { limit: 5 });
      if (round.claimed === 0) return claimed;
      claimed += round.claimed;
    }
  }

  it('two workers in one server never deliver one attempt twice', async () => {
    const s = await startTestServer();
    cleanup.push(() => s.close());
    const up = await receiver();
    const { client } = await s.newMerchant();
    up.delayMs = 10;
    const endpoint = await createEndpoint(client, up.url(), ['payment.succeeded']);
    const count = 30;
    for (let i = 0; i < count; i++) unwrap(await client.POST('/v1/payments', { body: cardPayment(2500 + i) }));
    const claims = await Promise.all([drain(s.deps), drain(s.deps), drain(s.deps)]);
    expect(claims.reduce((a, b) => a + b, 0)).toBe(count);
    const ids = eventIds(up, endpoint.secret);
    expect(ids).toHaveLength(count);
    expect(new Set(ids).size).toBe(count);
    const deliveries = await deliveriesOf(client, endpoint.id);
    expect(deliveries.every((d) => d.status === 'delivered' && d.attemptCount === 1)).toBe(true);
  });

  it('two servers on one PostgreSQL database never deliver one attempt twice', async () => {
    const st = await store();
    expect(st.concurrent).toBe(true);
    const [a, b] = await Promise.all([server(st), server(st)]);
    const up = await receiver();
    // The receiver is slow, so that both servers' rounds overlap.
    up.delayMs = 20;
    const { client } = await merchantOn(a);
    const endpoint = await createEndpoint(client, up.url(), ['payment.succeeded']);
    const count = 40;
    for (let i = 0; i < count; i++) unwrap(await client.POST('/v1/payments', { body: cardPayment(2500 + i) }));
    const claims = await Promise.all([drain(a.deps), drain(b.deps), drain(a.deps), drain(b.deps)]);
    expect(claims.reduce((x, y) => x + y, 0)).toBe(count);
    expect(claims.filter((c) => c > 0).length).toBeGreaterThan(1);
    const ids = eventIds(up, endpoint.secret);
    expect(ids).toHaveLength(count);
    expect(new Set(ids).size).toBe(count);
  });
});

describe('the background worker', () => {
  it('delivers without being driven, retries as soon as the test clock makes a retry due, and stops with the server', async () => {
    const st = await store();
    const running = await startOn(st, { webhookWorkerIntervalMs: 50 });
    let closed = false;
    cleanup.push(async () => {
      if (!closed) await running.close();
    });
    const up = await receiver();
    const { client, apiKey } = await merchantOn(running);
    const endpoint = await createEndpoint(client, up.url(), ['payment.succeeded']);
    up.answers.push(500);
    const payment = unwrap(await client.POST('/v1/payments', { body: cardPayment(2500) }));
    await up.waitFor(1);
    await advanceClock(client, 10);
    const [, second] = await up.waitFor(2);
    expect(verified(second!, endpoint.secret).data.object).toMatchObject({ id: payment.id });

    // An attempt in flight when the server closes is interrupted, recorded and retried later.
    up.answers.push('hang');
    unwrap(await client.POST('/v1/payments', { body: cardPayment(2600) }));
    await up.waitFor(3);
    const started = Date.now();
    await running.close();
    closed = true;
    expect(Date.now() - started).toBeLessThan(running.deps.config.webhooks.timeoutMs);

    const after = await server(st);
    const deliveries = await deliveriesOf(clientFor(after, apiKey), endpoint.id, { status: 'pending' });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]!.attempts).toEqual([expect.objectContaining({ statusCode: null, error: 'The attempt was interrupted by a server shutdown.' })]);
  });
});
