/**
 * Issue #9: a webhook signing secret is shown once. createWebhookEndpoint and
 * rotateWebhookEndpointSecret used to honour an `Idempotency-Key`, so replaying the request with
 * the same key returned the secret again (from a stored response that kept it in clear). They
 * now take no `Idempotency-Key`, like rotateApiKey: the header is ignored, a retry is a new
 * request, and no idempotency record holds a `whsec_` secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { OPERATIONS } from '../../generated/operations.ts';
import { idempotencyKeys } from '../../server/db/schema.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.close());

const URL_A = 'https://shop.example.com/webhooks/tillpoint';

describe('webhook signing secrets are shown once', () => {
  it('the contract declares no Idempotency-Key on either operation', () => {
    expect(OPERATIONS.createWebhookEndpoint.idempotent).toBe(false);
    expect(OPERATIONS.rotateWebhookEndpointSecret.idempotent).toBe(false);
  });

  it('createWebhookEndpoint replayed with the same Idempotency-Key does not return the secret again', async () => {
    const { client } = await s.newMerchant();
    const headers = { 'Idempotency-Key': `we-${crypto.randomUUID()}` };
    const body = { url: URL_A, events: ['*' as const] };
    const first = unwrap(await client.POST('/v1/webhook-endpoints', { body, headers }));
    const again = await client.POST('/v1/webhook-endpoints', { body, headers });
    expect(again.response.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.stringify(again.data ?? again.error)).not.toContain(first.secret);
    const stored = JSON.stringify(await s.deps.db.select().from(idempotencyKeys));
    expect(stored).not.toContain(first.secret);
    expect(stored).not.toContain('whsec_');
  });

  it('rotateWebhookEndpointSecret replayed with the same Idempotency-Key does not return the new secret again', async () => {
    const { client } = await s.newMerchant();
    const endpoint = unwrap(await client.POST('/v1/webhook-endpoints', { body: { url: URL_A, events: ['*'] } }));
    const headers = { 'Idempotency-Key': `rot-${crypto.randomUUID()}` };
    const path = { params: { path: { endpointId: endpoint.id } }, body: { overlapSeconds: 60 }, headers };
    const first = unwrap(await client.POST('/v1/webhook-endpoints/{endpointId}/rotate-secret', path));
    const again = await client.POST('/v1/webhook-endpoints/{endpointId}/rotate-secret', path);
    expect(again.response.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.stringify(again.data ?? again.error)).not.toContain(first.secret);
    expect(JSON.stringify(await s.deps.db.select().from(idempotencyKeys))).not.toContain('whsec_');
  });
});
