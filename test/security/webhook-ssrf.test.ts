/**
 * Issue #4: webhook SSRF on a live server. Endpoint creation refuses `localhost` (with or
 * without trailing dots), `*.localhost`, cloud metadata names and literal special-purpose
 * addresses; and every delivery connects only to public unicast addresses, checked when
 * connecting, so a name that resolves to loopback (as after DNS rebinding) gets nothing. Failed
 * attempts read "connection failed", whatever the cause. A sandbox server still delivers to
 * loopback.
 */
import { hostname } from 'node:os';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTillpointClient, unwrap, type TillpointClient } from '../../client/index.ts';
import { createMerchant } from '../../server/auth/service.ts';
import { webhookEndpoints } from '../../server/db/schema.ts';
import { forbiddenHostReason, isPublicAddress } from '../../server/webhooks/address-policy.ts';
import { deliverDueWebhooks } from '../../server/webhooks/worker.ts';
import { expectInvalidBody } from '../support/problems.ts';
import { cardPayment, startTestServer, type TestServer } from '../support/server.ts';
import { deliveriesOf, startReceiver, type Receiver } from '../webhooks/fixtures.ts';

let live: TestServer;
let sandbox: TestServer;
let receiver: Receiver;
beforeAll(async () => {
  [live, sandbox, receiver] = await Promise.all([startTestServer({ mode: 'live' }), startTestServer(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([live?.close(), sandbox?.close(), receiver?.close()]);
});

async function liveClient(): Promise<TillpointClient> {
  const merchant = await createMerchant(live.deps, 'Live merchant');
  return createTillpointClient({ baseUrl: live.url, apiKey: merchant.apiKey, retry: false });
}

describe('isPublicAddress', () => {
  const blocked = [
    '0.0.0.0', '10.1.2.3', '100.64.0.1', '100.127.255.254', '127.0.0.1', '169.254.169.254', '172.16.0.1', '192.0.0.8', '192.0.2.1',
    '192.168.1.1', '198.18.0.1', '198.19.255.255', '198.51.100.7', '203.0.113.9', '224.0.0.251', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '::', '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fec0::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1',
    '64:ff9b::7f00:1', '64:ff9b::a9fe:a9fe', '2002:7f00:1::1', '2002:a00:1::', '2001:db8::1', '2001:0:4136:e378::1', '::127.0.0.1', 'not-an-ip',
  ];
  const allowed = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'];
  it.each(blocked)('%s is not public', (a) => expect(isPublicAddress(a)).toBe(false));
  it.each(allowed)('%s is public', (a) => expect(isPublicAddress(a)).toBe(true));
});

describe('createWebhookEndpoint on a live server', () => {
  it('400 for localhost with trailing dots, *.localhost, metadata names and literal special-purpose addresses', async () => {
    const client = await liveClient();
    const hosts = [
      'localhost.', 'LOCALHOST..', 'a.localhost', 'a.localhost.', 'metadata.google.internal', 'metadata.google.internal.', '[64:ff9b::7f00:1]',
      '[::ffff:7f00:1]', '100.64.0.1', '198.18.0.1', '192.0.0.1', '224.0.0.1', '240.0.0.1', '255.255.255.255', '[fec0::1]', '[2002:7f00:1::]', '2130706433',
    ];
    for (const host of hosts) {
      expect(forbiddenHostReason(new URL(`https://${host}/`).hostname), host).not.toBeNull();
      expectInvalidBody(await client.POST('/v1/webhook-endpoints', { body: { url: `https://${host}/hooks`, events: ['*'] } }), '/url');
    }
    expect(unwrap(await client.GET('/v1/webhook-endpoints')).data).toEqual([]);
  });

  it('stores a host name without its trailing dots', async () => {
    const client = await liveClient();
    const endpoint = unwrap(await client.POST('/v1/webhook-endpoints', { body: { url: 'https://shop.example.com./hooks?x=1', events: ['*'] } }));
    expect(endpoint.url).toBe('https://shop.example.com/hooks?x=1');
  });
});

describe('deliveries of a live server', () => {
  it('never connect to a name that resolves to loopback (DNS rebinding) or to a literal loopback address; the error is generic', async () => {
    const client = await liveClient();
    const name = hostname();
    const endpoint = unwrap(await client.POST('/v1/webhook-endpoints', { body: { url: `https://${name}/hooks`, events: ['*'] } }));
    for (const url of [`http://${name}:${receiver.port}/rebound`, `http://127.0.0.1:${receiver.port}/literal`]) {
      // As if the name was re-pointed after creation (and for the literal, a row from before the rule).
      await live.deps.db.update(webhookEndpoints).set({ url }).where(eq(webhookEndpoints.id, endpoint.id));
      // Any event will do (a live server declines the sandbox test cards): a new checkout session.
      unwrap(await client.POST('/v1/checkout/sessions', { body: { amount: 2500, currency: 'USD', successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/cart' } }));
      await deliverDueWebhooks(live.deps);
    }
    expect(receiver.on('/rebound')).toEqual([]);
    expect(receiver.on('/literal')).toEqual([]);
    const attempts = (await deliveriesOf(client, endpoint.id)).flatMap((d) => d.attempts);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    for (const a of attempts) expect(a).toMatchObject({ statusCode: null, error: 'Could not reach the endpoint: connection failed.' });
  });

  it('a sandbox server still delivers to loopback, through a name too (control)', async () => {
    const { client } = await sandbox.newMerchant();
    unwrap(await client.POST('/v1/webhook-endpoints', { body: { url: `http://${hostname()}:${receiver.port}/sandbox`, events: ['payment.succeeded'] } }));
    unwrap(await client.POST('/v1/payments', { body: cardPayment() }));
    await deliverDueWebhooks(sandbox.deps);
    expect(receiver.on('/sandbox')).toHaveLength(1);
  });
});
