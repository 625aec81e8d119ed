/**
 * Issue #5: webhook amplification. A merchant has at most 16 endpoints (the 17th is 409
 * `webhook_endpoint_limit`), so one event fans out to at most 16 deliveries; and redeliverEvent
 * queues at most one pending delivery per (event, endpoint): while one is pending, asking again
 * returns that delivery instead of queueing another, so a loop of redeliveries cannot multiply
 * the traffic sent to a receiver.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { webhookDeliveries } from '../../server/db/schema.ts';
import { expectProblem } from '../support/problems.ts';
import { cardPayment, startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.close());

const url = (i: number) => `https://shop.example.com/webhooks/${i}`;
const create = (client: TillpointClient, i: number) => client.POST('/v1/webhook-endpoints', { body: { url: url(i), events: ['*'] } });

describe('endpoints per merchant', () => {
  it('16 are accepted, the 17th is 409 webhook_endpoint_limit; deleting one makes room', async () => {
    const { client } = await s.newMerchant();
    const created = [];
    for (let i = 0; i < 16; i++) created.push(unwrap(await create(client, i)));
    expectProblem(await create(client, 16), 409, 'webhook_endpoint_limit');
    // Disabled endpoints count too: they can be enabled again.
    unwrap(await client.PATCH('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: created[0]!.id } }, body: { disabled: true } }));
    expectProblem(await create(client, 16), 409, 'webhook_endpoint_limit');
    unwrap(await client.DELETE('/v1/webhook-endpoints/{endpointId}', { params: { path: { endpointId: created[0]!.id } } }));
    expect((await create(client, 16)).response.status).toBe(201);
  });

  it('concurrent creations cannot pass the limit', async () => {
    const { client } = await s.newMerchant();
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => create(client, i)));
    expect(results.filter((r) => r.response.status === 201)).toHaveLength(16);
    expect(results.filter((r) => r.response.status === 409)).toHaveLength(8);
  });
});

describe('redeliverEvent while a delivery is pending', () => {
  it('returns the pending delivery instead of queueing another, to one endpoint or to all', async () => {
    const { client } = await s.newMerchant();
    const endpoint = unwrap(await create(client, 1));
    unwrap(await client.POST('/v1/payments', { body: cardPayment() }));
    const [event] = unwrap(await client.GET('/v1/events', { params: { query: { type: 'payment.succeeded' } } })).data;
    const redeliver = (body: { endpointId?: string }) =>
      client.POST('/v1/events/{eventId}/redeliver', { params: { path: { eventId: event!.id } }, body });
    const first = unwrap(await redeliver({ endpointId: endpoint.id })).data;
    for (let i = 0; i < 5; i++) {
      expect(unwrap(await redeliver({ endpointId: endpoint.id })).data.map((d) => d.id)).toEqual(first.map((d) => d.id));
      expect(unwrap(await redeliver({})).data.map((d) => d.id)).toEqual(first.map((d) => d.id));
    }
    const rows = await s.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event!.id));
    // The original delivery (never sent: the worker is off) is the one pending delivery.
    expect(rows.filter((r) => r.status === 'pending')).toHaveLength(1);
  });

  it('concurrent redeliveries queue at most one', async () => {
    const { client } = await s.newMerchant();
    const endpoint = unwrap(await create(client, 1));
    unwrap(await client.POST('/v1/payments', { body: cardPayment() }));
    const [event] = unwrap(await client.GET('/v1/events', { params: { query: { type: 'payment.succeeded' } } })).data;
    await s.deps.db.update(webhookDeliveries).set({ status: 'failed', nextAttemptAt: null }).where(eq(webhookDeliveries.eventId, event!.id));
    await Promise.all(Array.from({ length: 8 }, () => client.POST('/v1/events/{eventId}/redeliver', { params: { path: { eventId: event!.id } }, body: { endpointId: endpoint.id } })));
    const rows = await s.deps.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event!.id));
    expect(rows.filter((r) => r.status === 'pending')).toHaveLength(1);
  });
});
