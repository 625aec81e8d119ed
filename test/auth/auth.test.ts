/**
 * Auth family: createAccessToken (API key + secret → one-hour JWT) and rotateApiKey (new key,
 * old key retired now or after a grace period). One server for the file, with a clock the tests
 * move forward to cross grace periods; every test uses its own sandbox merchants.
 */
import { decodeJwt } from 'jose';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import { createTillpointClient, unwrap, type paths } from '../../client/index.ts';
import { idempotencyKeys } from '../../server/db/schema.ts';
import { expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';

/** The server runs on the system clock plus what the tests advance. */
const { server: s, clock } = useTestServer({ clock: 'system' });
const advanceClock = clock.advanceSeconds;

/** A client sending `x-api-key` (no retries). */
const withApiKey = (apiKey: string) => createTillpointClient({ baseUrl: s.url, apiKey, retry: false });
/** A client sending `Authorization: Bearer <token>`. */
const withBearer = (token: string) => createClient<paths>({ baseUrl: s.url, headers: { Authorization: `Bearer ${token}` } });
type AnyClient = ReturnType<typeof withBearer>;

/** Status of an authenticated read (listCheckoutSessions) made with `client`. */
async function authStatus(client: AnyClient): Promise<number> {
  const { response } = await client.GET('/v1/checkout/sessions');
  return response.status;
}

const sessionBody = { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/ok', cancelUrl: 'https://shop.example.com/cart' };

async function exchange(apiKey: string, apiSecret: string) {
  return s.anonymous().POST('/v1/auth/token', { body: { apiKey, apiSecret } });
}

describe('createAccessToken', () => {
  it('returns a one-hour Bearer token naming the merchant', async () => {
    const { merchant } = await s.newMerchant('Acme Coffee Roasters');
    const { data, response } = await exchange(merchant.apiKey, merchant.apiSecret);
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600, merchantId: merchant.merchantId, merchantName: 'Acme Coffee Roasters' });
    expect(data!.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('issues a JWT for the merchant whose exp is iat + 3600', async () => {
    const { merchant } = await s.newMerchant();
    const { data } = await exchange(merchant.apiKey, merchant.apiSecret);
    const claims = decodeJwt(data!.accessToken);
    expect(claims.sub).toBe(merchant.merchantId);
    expect(typeof claims.iat).toBe('number');
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it('authenticates calls as the merchant when sent as Authorization: Bearer', async () => {
    const { merchant, client: keyClient } = await s.newMerchant();
    const { data } = await exchange(merchant.apiKey, merchant.apiSecret);
    const tokenClient = withBearer(data!.accessToken);

    const created = await tokenClient.POST('/v1/checkout/sessions', { body: sessionBody });
    expect(created.response.status).toBe(201);
    // The session belongs to the merchant of the key: visible with the key itself.
    const read = await keyClient.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: created.data!.id } } });
    expect(read.response.status).toBe(200);
    expect(read.data!.id).toBe(created.data!.id);
  });

  it('rejects a wrong secret, another merchant’s secret and an unknown key with 401 invalid_credentials', async () => {
    const { merchant: a } = await s.newMerchant();
    const { merchant: b } = await s.newMerchant();
    const unknownKey = `sk_test_${'Z'.repeat(32)}`;
    for (const [apiKey, apiSecret] of [
      [a.apiKey, `ss_test_${'x'.repeat(32)}`],
      [a.apiKey, b.apiSecret],
      [unknownKey, a.apiSecret],
      ['not-a-key', a.apiSecret],
    ] as const) {
      const { error, response } = await exchange(apiKey, apiSecret);
      expectProblem({ response, error }, 401, 'invalid_credentials');
    }
  });

  it('rejects a missing field with 400 and a pointer to it', async () => {
    const { merchant } = await s.newMerchant();
    const missingSecret = await s.raw('/v1/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: merchant.apiKey }),
    });
    const body = await missingSecret.json();
    expect(missingSecret.status).toBe(400);
    expect(body.code).toBe('invalid_request');
    expect(body.errors).toEqual([expect.objectContaining({ pointer: '/apiSecret' })]);

    const missingKey = await s.raw('/v1/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiSecret: merchant.apiSecret }),
    });
    expect(missingKey.status).toBe(400);
    expect((await missingKey.json()).errors).toEqual([expect.objectContaining({ pointer: '/apiKey' })]);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const { merchant } = await s.newMerchant();
    const response = await s.raw('/v1/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ apiKey: merchant.apiKey, apiSecret: merchant.apiSecret }).toString(),
    });
    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('unsupported_media_type');
  });
});

describe('rotateApiKey', () => {
  it('returns a new sk_test_ key that works, and retires the old key at once by default', async () => {
    const { merchant, client } = await s.newMerchant();
    const { data, response } = await client.POST('/v1/api-keys/rotate', {});
    expect(response.status).toBe(201);
    expect(data!.apiKey).toMatch(/^sk_test_[0-9A-Za-z]{32}$/);
    expect(data!.apiKey).not.toBe(merchant.apiKey);
    expect(data!.keyPrefix).toBe(data!.apiKey.slice(0, data!.keyPrefix.length));
    expect(data!.previousKeyExpiresAt).toBe(data!.createdAt);

    expect(await authStatus(withApiKey(data!.apiKey))).toBe(200);
    const old = await withApiKey(merchant.apiKey).GET('/v1/checkout/sessions');
    expect(old.response.status).toBe(401);
    expect(old.error).toMatchObject({ code: 'unauthenticated' });
  });

  it('retires the old key immediately with gracePeriodSeconds 0', async () => {
    const { merchant, client } = await s.newMerchant();
    const { data } = await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 0 } });
    expect(await authStatus(withApiKey(merchant.apiKey))).toBe(401);
    expect(await authStatus(withApiKey(data!.apiKey))).toBe(200);
  });

  it('keeps the old key working until the grace period ends, then rejects it', async () => {
    const { merchant, client } = await s.newMerchant();
    const { data } = await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 600 } });
    expect(Date.parse(data!.previousKeyExpiresAt) - Date.parse(data!.createdAt)).toBe(600_000);

    const oldKey = withApiKey(merchant.apiKey);
    expect(await authStatus(oldKey)).toBe(200);
    advanceClock(590);
    expect(await authStatus(oldKey)).toBe(200);
    advanceClock(20);
    expect(await authStatus(oldKey)).toBe(401);
    expect(await authStatus(withApiKey(data!.apiKey))).toBe(200);
  });

  it('refuses to rotate a key already in its grace period (409 api_key_expiring): it cannot mint a key that outlives it', async () => {
    const { merchant, client } = await s.newMerchant();
    const first = unwrap(await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 600 } }));
    // Rotating again with the old key (still in its grace period) is refused; the new key rotates.
    const second = await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 3600 } });
    expect(second.response.status).toBe(409);
    expect(second.error).toMatchObject({ code: 'api_key_expiring' });

    advanceClock(601);
    expect(await authStatus(withApiKey(merchant.apiKey))).toBe(401);
    expect(await authStatus(withApiKey(first.apiKey))).toBe(200);
  });

  it('stops access tokens issued for the old key with it, while the secret works with the new key', async () => {
    const { merchant, client } = await s.newMerchant();
    const before = await exchange(merchant.apiKey, merchant.apiSecret);
    const oldToken = withBearer(before.data!.accessToken);
    expect(await authStatus(oldToken)).toBe(200);

    const { data } = await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 0 } });
    expect(await authStatus(oldToken)).toBe(401);
    // The old key can no longer be exchanged either.
    expect((await exchange(merchant.apiKey, merchant.apiSecret)).response.status).toBe(401);

    const after = await exchange(data!.apiKey, merchant.apiSecret);
    expect(after.response.status).toBe(200);
    expect(await authStatus(withBearer(after.data!.accessToken))).toBe(200);
  });

  it('keeps tokens of the old key working during the grace period only', async () => {
    const { merchant, client } = await s.newMerchant();
    const token = withBearer((await exchange(merchant.apiKey, merchant.apiSecret)).data!.accessToken);
    await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 300 } });
    expect(await authStatus(token)).toBe(200);
    advanceClock(301);
    expect(await authStatus(token)).toBe(401);
  });

  it('retires the key a bearer access token was issued for when rotating with that token', async () => {
    const { merchant } = await s.newMerchant();
    const token = withBearer((await exchange(merchant.apiKey, merchant.apiSecret)).data!.accessToken);
    const { data, response } = await token.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 0 } });
    expect(response.status).toBe(201);
    expect(await authStatus(withApiKey(merchant.apiKey))).toBe(401);
    expect(await authStatus(token)).toBe(401);
    expect(await authStatus(withApiKey(data!.apiKey))).toBe(200);
  });

  it('accepts the API key itself as Authorization: Bearer sk_test_…', async () => {
    const { merchant } = await s.newMerchant();
    const bearerKey = withBearer(merchant.apiKey);
    expect(await authStatus(bearerKey)).toBe(200);
    const { data, response } = await bearerKey.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 0 } });
    expect(response.status).toBe(201);
    expect(await authStatus(bearerKey)).toBe(401);
    expect(await authStatus(withBearer(data!.apiKey))).toBe(200);
  });

  it('takes x-api-key as the credential when both headers are sent, so a junk key cannot ride on a valid bearer', async () => {
    const { merchant } = await s.newMerchant();
    const both = (apiKey: string) =>
      s.raw('/v1/balance', { headers: { 'x-api-key': apiKey, authorization: `Bearer ${merchant.apiKey}` } });
    expect((await both(`sk_test_${'J'.repeat(32)}`)).status).toBe(401);
    expect((await both(merchant.apiKey)).status).toBe(200);
  });

  it('rejects an invalid gracePeriodSeconds with 400 pointing at it', async () => {
    const { merchant, client } = await s.newMerchant();
    for (const gracePeriodSeconds of [-1, 604_801, 1.5]) {
      const { error, response } = await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds } });
      expect(response.status, String(gracePeriodSeconds)).toBe(400);
      expect(error?.errors).toEqual([expect.objectContaining({ pointer: '/gracePeriodSeconds' })]);
    }
    const asString = await s.raw('/v1/api-keys/rotate', {
      method: 'POST',
      headers: { 'x-api-key': merchant.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ gracePeriodSeconds: '60' }),
    });
    expect(asString.status).toBe(400);
    expect((await asString.json()).errors).toEqual([expect.objectContaining({ pointer: '/gracePeriodSeconds' })]);
    // None of the rejected requests rotated the key.
    expect(await authStatus(client)).toBe(200);
  });

  it('never keeps the new key in clear: an Idempotency-Key is not honoured and nothing stores the key', async () => {
    const { client } = await s.newMerchant();
    const headers = { 'Idempotency-Key': `rotate-${crypto.randomUUID()}` };
    const first = unwrap(await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 60 }, headers }));
    // A retry is a new rotation of a key now in its grace period: refused, never a replay.
    const retry = await client.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 60 }, headers });
    expect(retry.response.status).toBe(409);
    expect(retry.response.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.stringify(retry.error)).not.toContain(first.apiKey);
    const stored = await s.deps.db.select().from(idempotencyKeys);
    expect(JSON.stringify(stored)).not.toContain(first.apiKey);
  });

  it('rejects a call without credentials with 401', async () => {
    const { error, response } = await s.anonymous().POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 0 } });
    expectProblem({ response, error }, 401, 'unauthenticated');
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const { merchant, client } = await s.newMerchant();
    const response = await s.raw('/v1/api-keys/rotate', {
      method: 'POST',
      headers: { 'x-api-key': merchant.apiKey, 'content-type': 'text/plain' },
      body: 'gracePeriodSeconds=0',
    });
    expect(response.status).toBe(415);
    expect(await authStatus(client)).toBe(200);
  });
});
