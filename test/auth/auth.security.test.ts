/**
 * The shared auth matrix, derived from the contract: every operation whose security is not `[]`
 * is called with each kind of bad credential and must answer `401 unauthenticated` as problem
 * details with a `WWW-Authenticate` challenge; with a valid credential of merchant A, objects of
 * merchant B are `404 not_found` and stay untouched.
 *
 * Requests are built from the spec (path ids from the parameter examples, bodies from the request
 * examples), so they are sent with raw fetch: the typed client needs literal paths.
 */
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { fillPath, loadSpec, operationsOf, requestExample, type SpecOperation } from '../contract/openapi.ts';
import { cardPayment, startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/server.ts';
import { createPayer, defaultApplicationId, mintPayerToken } from '../oauth/fixtures.ts';
import { createdEscrow, escrowBody } from '../escrows/fixtures.ts';

const doc = loadSpec();
const operations = operationsOf(doc);
const secured = operations.filter((op) => !op.isPublic);

let s: TestServer;
/** Bad credentials, as request headers, by case name. */
let badCredentials: [name: string, headers: Record<string, string>][];
/** A valid credential of a merchant with no objects (control: requests are well-formed). */
let validHeaders: Record<string, string>;
/** A payer token of the control merchant, for operations that act for a payer. */
let payerHeaders: Record<string, string>;

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Re-signs the claims of a real token with TEST_JWT_SECRET, replacing iat/exp. */
function resign(claims: JWTPayload, iat: number, exp: number): Promise<string> {
  return new SignJWT({ ...claims, iat, exp }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

async function accessToken(apiKey: string, apiSecret: string): Promise<string> {
  return unwrap(await s.anonymous().POST('/v1/auth/token', { body: { apiKey, apiSecret } })).accessToken;
}

/** Sends `op` with `headers`, filling the path (or using `overrides`) and the example body. */
function send(op: SpecOperation, headers: Record<string, string>, overrides: Record<string, string> = {}): Promise<Response> {
  const body = requestExample(doc, op);
  return s.raw(fillPath(doc, op, overrides), {
    method: op.method.toUpperCase(),
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
}

beforeAll(async () => {
  s = await startTestServer();
  const { merchant: live } = await s.newMerchant('Matrix live');
  const { merchant: rotated, client: rotatedClient } = await s.newMerchant('Matrix rotated');
  const { merchant: control, client: controlClient } = await s.newMerchant('Matrix control');
  validHeaders = { 'x-api-key': control.apiKey };
  // Operations acting for a registered payer (x-payer-scopes) also need the payer's token.
  const payer = await createPayer(controlClient);
  payerHeaders = { 'x-payer-token': (await mintPayerToken(s, control.merchantId, await defaultApplicationId(controlClient), payer.id, ['wallet.read', 'wallet.pay'])).token };

  const realClaims = decodeJwt(await accessToken(live.apiKey, live.apiSecret));
  const expiredToken = await resign(realClaims, nowSeconds() - 7200, nowSeconds() - 3600);
  const rotatedToken = await accessToken(rotated.apiKey, rotated.apiSecret);
  unwrap(await rotatedClient.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 0 } }));

  badCredentials = [
    ['no credential', {}],
    ['unknown well-formed API key in x-api-key', { 'x-api-key': `sk_test_${'Q'.repeat(32)}` }],
    ['unknown well-formed API key as Bearer', { authorization: `Bearer sk_test_${'Q'.repeat(32)}` }],
    ['expired JWT signed with the server secret', { authorization: `Bearer ${expiredToken}` }],
    ['rotated-out API key in x-api-key', { 'x-api-key': rotated.apiKey }],
    ['rotated-out API key as Bearer', { authorization: `Bearer ${rotated.apiKey}` }],
    ['access token of a rotated-out key', { authorization: `Bearer ${rotatedToken}` }],
    ['garbage bearer token', { authorization: 'Bearer not.a.token' }],
    ['empty x-api-key', { 'x-api-key': '' }],
  ];
});
afterAll(async () => s?.close());

describe('the auth matrix (derived from generated/openapi.yaml)', () => {
  it('covers the secured operations of the contract', () => {
    expect(secured.length).toBeGreaterThan(0);
    // Everything that reads or moves a merchant's data is secured; only credential exchange and
    // sandbox merchant creation are open.
    for (const op of operations.filter((o) => o.raw.tags?.some((t) => t === 'checkout-sessions' || t === 'payments'))) {
      expect(op.isPublic, `${op.operationId} must be secured`).toBe(false);
    }
  });

  it('is sound: the expired token is rejected for its expiry only', async () => {
    // Same claims, signature and key, but not expired: accepted. So the 401 below for the expired
    // token is caused by `exp`, not by a malformed token.
    const { merchant } = await s.newMerchant();
    const claims = decodeJwt(await accessToken(merchant.apiKey, merchant.apiSecret));
    const fresh = await resign(claims, nowSeconds() - 60, nowSeconds() + 600);
    const expired = await resign(claims, nowSeconds() - 7200, nowSeconds() - 3600);
    const list = (token: string) => s.raw('/v1/checkout/sessions', { headers: { authorization: `Bearer ${token}` } });
    expect((await list(fresh)).status).toBe(200);
    expect((await list(expired)).status).toBe(401);
  });

  describe.each(secured.map((op) => [op.operationId ?? op.path, op] as const))('%s', (_name, op) => {
    it('answers a well-formed request with a valid credential without 401 or 5xx (control)', async () => {
      const response = await send(op, { ...validHeaders, ...(op.raw['x-payer-scopes'] ? payerHeaders : {}) });
      expect(response.status).not.toBe(401);
      expect(response.status).toBeLessThan(500);
    });

    it('answers 401 unauthenticated problem details with WWW-Authenticate to every bad credential', async () => {
      const failures: string[] = [];
      for (const [name, headers] of badCredentials) {
        const response = await send(op, headers);
        const text = await response.text();
        const body = (() => {
          try {
            return JSON.parse(text) as Record<string, unknown>;
          } catch {
            return {};
          }
        })();
        const ok =
          response.status === 401 &&
          /^application\/problem\+json/.test(response.headers.get('content-type') ?? '') &&
          body.code === 'unauthenticated' &&
          body.status === 401 &&
          body.requestId === response.headers.get('x-request-id') &&
          /^Bearer\b/.test(response.headers.get('www-authenticate') ?? '');
        if (!ok) failures.push(`${name}: ${response.status} ${response.headers.get('www-authenticate') ?? '(no WWW-Authenticate)'} ${text.slice(0, 200)}`);
      }
      expect(failures).toEqual([]);
    });
  });
});

describe('objects of another merchant', () => {
  /** Merchant B's objects, by the path parameter that names them. */
  let owned: Record<string, string>;
  let clientA: TillpointClient;
  let headersA: Record<string, string>;
  let clientB: TillpointClient;

  beforeAll(async () => {
    const a = await s.newMerchant('Merchant A');
    const b = await s.newMerchant('Merchant B');
    clientA = a.client;
    clientB = b.client;
    // X-Client-Id of A's own application, for the operations that require it: only the object is B's.
    headersA = { 'x-api-key': a.merchant.apiKey, 'x-client-id': a.merchant.clientId };
    const payment = unwrap(await b.client.POST('/v1/payments', { body: cardPayment(2500) }));
    const session = unwrap(
      await b.client.POST('/v1/checkout/sessions', {
        body: { amount: 2500, currency: 'USD', successUrl: 'https://b.example.com/ok', cancelUrl: 'https://b.example.com/cart' },
      }),
    );
    // Created after the payment and the session, so that no delivery is queued to its URL.
    const endpoint = unwrap(await b.client.POST('/v1/webhook-endpoints', { body: { url: 'https://b.example.com/hooks', events: ['*'] } }));
    const [event] = unwrap(await b.client.GET('/v1/events', { params: { query: { limit: 1 } } })).data;
    const application = unwrap(await b.client.POST('/v1/applications', { body: { name: 'B app' } }));
    const token = unwrap(
      await b.client.POST('/v1/applications/{applicationId}/tokens', { params: { path: { applicationId: application.id } }, body: { label: 'B', scopes: ['*'] } }),
    );
    const [apiKey] = unwrap(await b.client.GET('/v1/api-keys')).data;
    const escrow = await createdEscrow({ ...b, header: { 'X-Client-Id': b.merchant.clientId } }, escrowBody(s.deps.realNow()));
    owned = { paymentId: payment.id, sessionId: session.id, endpointId: endpoint.id, eventId: event!.id, applicationId: application.id, tokenId: token.id, apiKeyId: apiKey!.id, escrowId: escrow.id };
    // A store of B with a licensed product and a fulfilled order (paid elsewhere).
    const storeSlug = `b-store-${Date.now().toString(36)}`;
    unwrap(await b.client.POST('/v1/stores', { body: { slug: storeSlug, name: 'B store', defaultCurrency: 'GBP' } }));
    unwrap(await b.client.POST('/v1/stores/{storeSlug}/products', { params: { path: { storeSlug } }, body: { sku: 'B-SKU', name: 'B licence', prices: { GBP: 900 }, licensed: true } }));
    unwrap(await b.client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'B-SKU' } }, body: { keys: ['B-KEY-1', 'B-KEY-2'] } }));
    const order = unwrap(await b.client.POST('/v1/stores/{storeSlug}/licensing/fulfill', { params: { path: { storeSlug } }, body: { items: { 'B-SKU': 1 }, externalReference: 'B-1', currency: 'GBP', amount: 900 } }));
    Object.assign(owned, { storeSlug, sku: 'B-SKU', orderId: order.id });
    // A disbursement and an escrow-disbursement of B's (both named disbursementId in their paths).
    await b.client.POST('/v1/payments', { body: cardPayment(10000) });
    const recipients = [{ destination: { type: 'bank_account' as const, accountNumber: '0001234567', bankCode: 'SBICUGKX', accountHolderName: 'B Ltd' }, amount: 1000 }];
    const withClientId = { header: { 'X-Client-Id': b.merchant.clientId } };
    const payout = async (path: '/v1/disbursements' | '/v1/escrow-disbursements') => {
      const quote = unwrap(await b.client.POST('/v1/disbursements/quotes', { params: withClientId, body: { currency: 'USD', recipients } }));
      return unwrap(await b.client.POST(path, { params: withClientId, body: { quoteId: quote.id } })).id;
    };
    disbursementIds = { disbursements: await payout('/v1/disbursements'), escrows: await payout('/v1/escrow-disbursements') };
    owned.disbursementId = disbursementIds.disbursements;
  });

  /** B's disbursement (`dsb_…`) and escrow-disbursement (`edb_…`), by the tag of the operation naming one. */
  let disbursementIds: Record<'disbursements' | 'escrows', string>;
  const objectsFor = (op: SpecOperation) =>
    (op.raw as { tags?: string[] }).tags?.includes('escrows') ? { ...owned, disbursementId: disbursementIds.escrows } : owned;

  const withObject = secured.filter((op) => op.parameters.some((p) => p.in === 'path'));

  it('exist for every path parameter of the contract (a new one needs a fixture here)', () => {
    expect(withObject.length).toBeGreaterThan(0);
    const names = new Set(withObject.flatMap((op) => op.parameters.filter((p) => p.in === 'path').map((p) => p.name)));
    expect([...names].filter((n) => !(n in owned))).toEqual([]);
  });

  it.each(withObject.map((op) => [op.operationId ?? op.path, op] as const))('%s answers 404 not_found to merchant A', async (_name, op) => {
    const response = await send(op, headersA, objectsFor(op));
    const body = await response.json();
    expect(response.status).toBe(404);
    expect(body).toMatchObject({ status: 404, code: 'not_found', requestId: response.headers.get('x-request-id') });
    // The 404 must not reveal the other merchant's object.
    expect(JSON.stringify(body)).not.toContain('Merchant B');
  });

  it('leaves merchant B’s objects unchanged and merchant A’s lists without them', async () => {
    const payment = unwrap(await clientB.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: owned.paymentId! } } }));
    expect(payment).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
    const session = unwrap(await clientB.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: owned.sessionId! } } }));
    expect(session.status).toBe('open');
    const order = unwrap(await clientB.GET('/v1/stores/{storeSlug}/orders/{orderId}', { params: { path: { storeSlug: owned.storeSlug!, orderId: owned.orderId! } } }));
    expect(order.status).toBe('fulfilled');
    const pool = unwrap(await clientB.GET('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug: owned.storeSlug!, sku: owned.sku! } } }));
    expect(pool).toMatchObject({ available: 1, assigned: 1, reserved: 0 });

    const paymentsOfA = unwrap(await clientA.GET('/v1/payments', { params: { query: { limit: 100 } } }));
    const sessionsOfA = unwrap(await clientA.GET('/v1/checkout/sessions', { params: { query: { limit: 100 } } }));
    expect(paymentsOfA.data.map((p) => p.id)).not.toContain(owned.paymentId);
    expect(sessionsOfA.data.map((x) => x.id)).not.toContain(owned.sessionId);
  });
});
