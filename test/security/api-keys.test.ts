/**
 * Issue #2 and key management (auth family): a key rotated out cannot rotate again (409
 * `api_key_expiring`), so a key in its grace period cannot mint keys that outlive it; then
 * listApiKeys, revokeApiKey and rotateApiSecret, one `describe` per operationId with every status
 * each documents (500 cannot be provoked and is not tested). The credential cache is on (5 s),
 * so "revocation takes effect at once" is checked against a warm cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTillpointClient, unwrap, type TillpointClient } from '../../client/index.ts';
import { asResult, expectProblem } from '../support/problems.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ credentialCacheMs: 5_000 });
});
afterAll(async () => s?.close());

const clientFor = (apiKey: string) => createTillpointClient({ baseUrl: s.url, apiKey, retry: false });
const statusOf = (apiKey: string) => s.raw('/v1/checkout/sessions', { headers: { 'x-api-key': apiKey } }).then((r) => r.status);

/** A merchant whose first key was rotated with a grace period: the old client and the new one. */
async function rotatedMerchant() {
  const { merchant, client: oldClient } = await s.newMerchant();
  const rotated = unwrap(await oldClient.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 3600 } }));
  return { merchant, oldClient, oldKey: merchant.apiKey, newKey: rotated.apiKey, newClient: clientFor(rotated.apiKey) };
}

async function keysOf(client: TillpointClient) {
  return unwrap(await client.GET('/v1/api-keys')).data;
}

describe('rotateApiKey from a key already rotated out (issue #2)', () => {
  it('409 api_key_expiring, and no key is minted', async () => {
    const { oldClient, newClient } = await rotatedMerchant();
    const again = await oldClient.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 604_800 } });
    expectProblem(again, 409, 'api_key_expiring');
    expect(await keysOf(newClient)).toHaveLength(2);
  });

  it('two concurrent rotations from one key: exactly one succeeds', async () => {
    const { client } = await s.newMerchant();
    const results = await Promise.all([1, 2, 3].map(() => client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 60 } })));
    expect(results.map((r) => r.response.status).sort()).toEqual([201, 409, 409]);
  });

  it('the new key can rotate (control)', async () => {
    const { newClient } = await rotatedMerchant();
    expect((await newClient.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 0 } })).response.status).toBe(201);
  });
});

describe('listApiKeys', () => {
  it('200: the working keys, newest first, by id and prefix only (never the key)', async () => {
    const { oldKey, newKey, newClient } = await rotatedMerchant();
    const r = await newClient.GET('/v1/api-keys');
    const keys = unwrap(r).data;
    expect(keys.map((k) => k.keyPrefix)).toEqual([newKey.slice(0, 12), oldKey.slice(0, 12)]);
    expect(keys[0]!.expiresAt).toBeNull();
    expect(Date.parse(keys[1]!.expiresAt!)).toBeGreaterThan(Date.now());
    expect(JSON.stringify(r.data)).not.toContain(newKey);
    expect(JSON.stringify(r.data)).not.toContain(oldKey);
  });

  it('paginates with limit and cursor', async () => {
    const { newClient } = await rotatedMerchant();
    const first = unwrap(await newClient.GET('/v1/api-keys', { params: { query: { limit: 1 } } }));
    expect(first).toMatchObject({ hasMore: true, data: [expect.anything()] });
    const second = unwrap(await newClient.GET('/v1/api-keys', { params: { query: { limit: 1, cursor: first.nextCursor! } } }));
    expect(second).toMatchObject({ hasMore: false, nextCursor: null });
    expect(second.data[0]!.id).not.toBe(first.data[0]!.id);
  });

  it('400 for a bad limit or cursor, 401 without a credential', async () => {
    const { client } = await s.newMerchant();
    expectProblem(await client.GET('/v1/api-keys', { params: { query: { limit: 0 } } }), 400, 'invalid_request');
    expectProblem(await client.GET('/v1/api-keys', { params: { query: { cursor: 'bm90LWEtY3Vyc29y' } } }), 400, 'invalid_request');
    expectProblem(await s.anonymous().GET('/v1/api-keys'), 401, 'unauthenticated');
  });
});

describe('createApiKey', () => {
  it('201: an additional key, shown once, that works and is listed by id and prefix', async () => {
    const { client } = await s.newMerchant();
    const r = await client.POST('/v1/api-keys');
    expect(r.response.status).toBe(201);
    const created = unwrap(r);
    expect(created.apiKey).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(await statusOf(created.apiKey)).toBe(200);
    const listed = await keysOf(client);
    expect(listed.map((k) => k.id)).toContain(created.id);
    expect(JSON.stringify(listed)).not.toContain(created.apiKey);
  });

  it('409 api_key_expiring from a rotated-out key; 401 without a credential', async () => {
    const { oldClient } = await rotatedMerchant();
    expectProblem(await oldClient.POST('/v1/api-keys'), 409, 'api_key_expiring');
    expectProblem(await s.anonymous().POST('/v1/api-keys'), 401, 'unauthenticated');
  });
});

describe('revokeApiKey', () => {
  it('200: the old key stops working at once, even with its verification cached', async () => {
    const { oldKey, newClient } = await rotatedMerchant();
    expect(await statusOf(oldKey)).toBe(200); // warms the credential cache
    const old = (await keysOf(newClient))[1]!;
    const r = unwrap(await newClient.DELETE('/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId: old.id } } }));
    expect(r).toMatchObject({ id: old.id, keyPrefix: old.keyPrefix });
    expect(Date.parse(r.expiresAt!)).toBeLessThanOrEqual(Date.now());
    expect(await statusOf(oldKey)).toBe(401);
    expect((await keysOf(newClient)).map((k) => k.id)).not.toContain(old.id);
  });

  it('access tokens of the revoked key stop too', async () => {
    const { merchant, oldKey, newClient } = await rotatedMerchant();
    const token = unwrap(await s.anonymous().POST('/v1/auth/token', { body: { apiKey: oldKey, apiSecret: merchant.apiSecret } })).accessToken;
    const withToken = () => s.raw('/v1/checkout/sessions', { headers: { authorization: `Bearer ${token}` } }).then((x) => x.status);
    expect(await withToken()).toBe(200);
    const old = (await keysOf(newClient))[1]!;
    unwrap(await newClient.DELETE('/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId: old.id } } }));
    expect(await withToken()).toBe(401);
  });

  it('409 api_key_in_use for the key making the call; 409 api_key_expiring from a rotated-out key', async () => {
    const { oldClient, newClient, newKey } = await rotatedMerchant();
    const [current, old] = await keysOf(newClient);
    expectProblem(await newClient.DELETE('/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId: current!.id } } }), 409, 'api_key_in_use');
    // A leaked old key cannot lock out the key that replaced it.
    expectProblem(await oldClient.DELETE('/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId: current!.id } } }), 409, 'api_key_expiring');
    expectProblem(await oldClient.DELETE('/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId: old!.id } } }), 409, 'api_key_in_use');
    expect(await statusOf(newKey)).toBe(200);
  });

  it('404 for an unknown key, a key of another merchant, or a key already revoked; 400 malformed id; 401', async () => {
    const a = await rotatedMerchant();
    const b = await s.newMerchant();
    const old = (await keysOf(a.newClient))[1]!;
    const otherKey = (await keysOf(b.client))[0]!;
    const del = (client: TillpointClient, apiKeyId: string) => client.DELETE('/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId } } });
    expectProblem(await del(a.newClient, 'key_000000000000000000000000'), 404, 'not_found');
    expectProblem(await del(a.newClient, otherKey.id), 404, 'not_found');
    unwrap(await del(a.newClient, old.id));
    expectProblem(await del(a.newClient, old.id), 404, 'not_found');
    expectProblem(await del(a.newClient, 'not-a-key-id'), 400, 'invalid_request');
    expectProblem(await s.anonymous().DELETE('/v1/api-keys/{apiKeyId}', { params: { path: { apiKeyId: old.id } } }), 401, 'unauthenticated');
    expect(await statusOf(b.merchant.apiKey)).toBe(200);
  });
});

describe('rotateApiSecret', () => {
  it('201: the new secret (shown once) works with the key, the previous one stops', async () => {
    const { merchant, client } = await s.newMerchant();
    const r = await client.POST('/v1/api-secret/rotate');
    expect(r.response.status).toBe(201);
    const { apiSecret } = unwrap(r);
    expect(apiSecret).toMatch(/^ss_test_[0-9A-Za-z]{32}$/);
    expect(apiSecret).not.toBe(merchant.apiSecret);
    expect((await s.anonymous().POST('/v1/auth/token', { body: { apiKey: merchant.apiKey, apiSecret } })).response.status).toBe(200);
    expectProblem(await s.anonymous().POST('/v1/auth/token', { body: { apiKey: merchant.apiKey, apiSecret: merchant.apiSecret } }), 401, 'invalid_credentials');
    expect(await statusOf(merchant.apiKey)).toBe(200);
  });

  it('409 api_key_expiring from a rotated-out key; 400 for an unknown query parameter; 401', async () => {
    const { merchant, oldClient } = await rotatedMerchant();
    expectProblem(await oldClient.POST('/v1/api-secret/rotate'), 409, 'api_key_expiring');
    expectProblem(await asResult(await s.raw('/v1/api-secret/rotate?force=1', { method: 'POST', headers: { 'x-api-key': merchant.apiKey } })), 400, 'invalid_request');
    expectProblem(await s.anonymous().POST('/v1/api-secret/rotate'), 401, 'unauthenticated');
  });
});
