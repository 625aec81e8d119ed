/**
 * Stores family: stores, products, licence-key pools, store checkout sessions (keys reserved
 * with FOR UPDATE SKIP LOCKED, released on expiry), orders fulfilled on payment, licensing
 * fulfilment, refunds through the ledger, the sandbox dispute, BOLA across merchants, and the
 * public cart and market pages. One server for the file, on the system clock; every test uses
 * its own merchants and slugs.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient, type components } from '../../client/index.ts';
import { asResult, expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';

type Order = components['schemas']['Order'];
type StoreCheckoutSession = components['schemas']['StoreCheckoutSession'];

const { server: s, limited, clock } = useTestServer({ clock: 'system', rateLimit: 3 });

const SUCCESS_URL = 'https://shop.example.com/thanks?session={SESSION_ID}';
const CANCEL_URL = 'https://shop.example.com/cart';
const slug = () => `shop-${randomBytes(5).toString('hex')}`;

/** A merchant with a GBP store, a licensed product (FONT-PRO, `keys` keys) and an unlicensed one (MUG). */
async function storeWithCatalog(keys = 5, store: Partial<components['schemas']['CreateStoreRequest']> = {}) {
  const { client, merchant } = await s.newMerchant('Store Owner');
  const storeSlug = slug();
  const created = unwrap(await client.POST('/v1/stores', { body: { slug: storeSlug, name: 'Pixel Fonts', defaultCurrency: 'GBP', marketplace: true, ...store } }));
  const path = { storeSlug };
  unwrap(await client.POST('/v1/stores/{storeSlug}/products', { params: { path }, body: { sku: 'FONT-PRO', name: `Font Pro ${storeSlug}`, prices: { GBP: 4900, USD: 5900 }, licensed: true } }));
  unwrap(await client.POST('/v1/stores/{storeSlug}/products', { params: { path }, body: { sku: 'MUG', name: 'Mug', prices: { GBP: 1200 } } }));
  const values = Array.from({ length: keys }, (_, i) => `KEY-${storeSlug}-${i}`);
  if (keys > 0) unwrap(await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'FONT-PRO' } }, body: { keys: values } }));
  return { client, merchant, store: created, storeSlug, values };
}

function checkout(client: TillpointClient, storeSlug: string, items: Record<string, number>, extra: Partial<components['schemas']['CreateStoreCheckoutSessionRequest']> = {}) {
  return client.POST('/v1/stores/{storeSlug}/checkout/sessions', { params: { path: { storeSlug } }, body: { items, successUrl: SUCCESS_URL, cancelUrl: CANCEL_URL, ...extra } });
}

const pool = async (client: TillpointClient, storeSlug: string) => unwrap(await client.GET('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'FONT-PRO' } } }));
const getOrder = async (client: TillpointClient, storeSlug: string, orderId: string): Promise<Order> => unwrap(await client.GET('/v1/stores/{storeSlug}/orders/{orderId}', { params: { path: { storeSlug, orderId } } }));

/** Pays a session on the hosted page with the test card, as the browser form does. */
async function pay(sessionId: string, cardNumber = '4242424242424242'): Promise<Response> {
  return s.raw(`/checkout/${sessionId}/pay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ cardNumber, expiry: '12/30', cvc: '123' }).toString(), redirect: 'manual' });
}

async function eventsOf(client: TillpointClient, type: string) {
  return unwrap(await client.GET('/v1/events', { params: { query: { type: type as never } } })).data;
}

describe('createStore / getStore / listStores / updateStore', () => {
  it('creates a store, reads it back by slug, lists it and updates it', async () => {
    const { client } = await s.newMerchant();
    const storeSlug = slug();
    const r = await client.POST('/v1/stores', { body: { slug: storeSlug, name: 'Pixel Fonts', defaultCurrency: 'GBP' } });
    expect(r.response.status).toBe(201);
    expect(r.data).toMatchObject({ slug: storeSlug, name: 'Pixel Fonts', defaultCurrency: 'GBP', licensingOnly: false, marketplace: false, id: expect.stringMatching(/^sto_/) });
    expect(unwrap(await client.GET('/v1/stores/{storeSlug}', { params: { path: { storeSlug } } })).id).toBe(r.data!.id);
    expect(unwrap(await client.GET('/v1/stores')).data.map((x) => x.slug)).toEqual([storeSlug]);
    const updated = await client.PATCH('/v1/stores/{storeSlug}', { params: { path: { storeSlug } }, body: { name: 'Pixel Fonts Ltd', marketplace: true } });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toMatchObject({ name: 'Pixel Fonts Ltd', marketplace: true, slug: storeSlug });
  });

  it('refuses a slug any merchant already uses (409 store_slug_taken), a bad slug and an unknown currency (400)', async () => {
    const { storeSlug } = await storeWithCatalog(0);
    const { client } = await s.newMerchant();
    const taken = expectProblem(await client.POST('/v1/stores', { body: { slug: storeSlug, name: 'Copy', defaultCurrency: 'GBP' } }), 409, 'store_slug_taken');
    expect(taken.errors?.[0]?.pointer).toBe('/slug');
    expectProblem(await client.POST('/v1/stores', { body: { slug: 'Bad Slug!', name: 'X', defaultCurrency: 'GBP' } }), 400, 'invalid_request');
    const currency = expectProblem(await client.POST('/v1/stores', { body: { slug: slug(), name: 'X', defaultCurrency: 'XTS' } }), 400, 'invalid_request');
    expect(currency.errors?.[0]?.pointer).toBe('/defaultCurrency');
  });

  it('answers 401 without a credential, 403 for a client token without stores scopes, 404 for an unknown store, 429 over the limit', async () => {
    expect((await s.raw('/v1/stores')).status).toBe(401);
    const { client } = await s.newMerchant();
    expectProblem(await client.GET('/v1/stores/{storeSlug}', { params: { path: { storeSlug: slug() } } }), 404, 'not_found');
    expectProblem(await client.PATCH('/v1/stores/{storeSlug}', { params: { path: { storeSlug: slug() } }, body: { name: 'x' } }), 404, 'not_found');
    const app = unwrap(await client.POST('/v1/applications', { body: { name: 'Storefront' } }));
    const token = unwrap(await client.POST('/v1/applications/{applicationId}/tokens', { params: { path: { applicationId: app.id } }, body: { label: 't', scopes: ['payments.read'] } }));
    const forbidden = await s.raw('/v1/stores', { headers: { authorization: `Bearer ${token.token}` } });
    expectProblem(await asResult(forbidden), 403, 'insufficient_scope');
    const reader = unwrap(await client.POST('/v1/applications/{applicationId}/tokens', { params: { path: { applicationId: app.id } }, body: { label: 'r', scopes: ['stores.read'] } }));
    expect((await s.raw('/v1/stores', { headers: { authorization: `Bearer ${reader.token}` } })).status).toBe(200);
    expectProblem(await asResult(await s.raw('/v1/stores', { method: 'POST', headers: { authorization: `Bearer ${reader.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ slug: slug(), name: 'x', defaultCurrency: 'GBP' }) })), 403, 'insufficient_scope');
    const { client: lc } = await limited.newMerchant();
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) last = (await lc.GET('/v1/stores')).response;
    expect(last!.status).toBe(429);
  });

  it('replays a createStore with the same Idempotency-Key', async () => {
    const { client } = await s.newMerchant();
    const body = { slug: slug(), name: 'Once', defaultCurrency: 'EUR' };
    const headers = { 'Idempotency-Key': `idem-${randomBytes(6).toString('hex')}` };
    const first = await client.POST('/v1/stores', { body, headers });
    const second = await client.POST('/v1/stores', { body, headers });
    expect(second.response.headers.get('idempotent-replayed')).toBe('true');
    expect(second.data!.id).toBe(first.data!.id);
    expectProblem(await client.POST('/v1/stores', { body: { ...body, name: 'Other' }, headers }), 422, 'idempotency_key_reused');
  });
});

describe('createProduct / listProducts / getProduct / updateProduct / archiveProduct', () => {
  it('manages a product through its life and refuses changes once archived', async () => {
    const { client, storeSlug } = await storeWithCatalog(0);
    const path = { storeSlug, sku: 'MUG' };
    expect(unwrap(await client.GET('/v1/stores/{storeSlug}/products/{sku}', { params: { path } }))).toMatchObject({ sku: 'MUG', prices: { GBP: 1200 }, licensed: false, active: true, archivedAt: null });
    const list = unwrap(await client.GET('/v1/stores/{storeSlug}/products', { params: { path: { storeSlug }, query: { active: true } } }));
    expect(list.data.map((p) => p.sku).sort()).toEqual(['FONT-PRO', 'MUG']);
    const updated = unwrap(await client.PATCH('/v1/stores/{storeSlug}/products/{sku}', { params: { path }, body: { prices: { GBP: 1500, EUR: 1700 }, active: false } }));
    expect(updated).toMatchObject({ prices: { GBP: 1500, EUR: 1700 }, active: false });
    expect(unwrap(await client.GET('/v1/stores/{storeSlug}/products', { params: { path: { storeSlug }, query: { active: false } } })).data.map((p) => p.sku)).toEqual(['MUG']);
    const archived = await client.DELETE('/v1/stores/{storeSlug}/products/{sku}', { params: { path } });
    expect(archived.response.status).toBe(200);
    expect(archived.data).toMatchObject({ active: false, archivedAt: expect.any(String) });
    expectProblem(await client.PATCH('/v1/stores/{storeSlug}/products/{sku}', { params: { path }, body: { active: true } }), 409, 'invalid_state');
  });

  it('refuses a repeated SKU (409 sku_taken), an unknown price currency (400) and unknown SKUs (404)', async () => {
    const { client, storeSlug } = await storeWithCatalog(0);
    const params = { path: { storeSlug } };
    expectProblem(await client.POST('/v1/stores/{storeSlug}/products', { params, body: { sku: 'MUG', name: 'Again', prices: { GBP: 1 } } }), 409, 'sku_taken');
    const bad = expectProblem(await client.POST('/v1/stores/{storeSlug}/products', { params, body: { sku: 'NEW', name: 'x', prices: { XTS: 100 } } }), 400, 'invalid_request');
    expect(bad.errors?.[0]?.pointer).toBe('/prices/XTS');
    for (const r of [
      await client.GET('/v1/stores/{storeSlug}/products/{sku}', { params: { path: { storeSlug, sku: 'NOPE' } } }),
      await client.PATCH('/v1/stores/{storeSlug}/products/{sku}', { params: { path: { storeSlug, sku: 'NOPE' } }, body: { name: 'x' } }),
      await client.DELETE('/v1/stores/{storeSlug}/products/{sku}', { params: { path: { storeSlug, sku: 'NOPE' } } }),
      await client.GET('/v1/stores/{storeSlug}/products', { params: { path: { storeSlug: slug() } } }),
    ]) expectProblem(r, 404, 'not_found');
  });
});

describe('uploadLicenseKeys / getLicenseKeyPool', () => {
  it('adds keys once, counting repeats and keys already held as duplicates, and never lists the values', async () => {
    const { client, storeSlug } = await storeWithCatalog(0);
    const params = { path: { storeSlug, sku: 'FONT-PRO' } };
    const first = await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params, body: { keys: ['A-1', 'A-2', 'A-1'] } });
    expect(first.response.status).toBe(201);
    expect(first.data).toEqual({ added: 2, duplicates: 1, pool: { sku: 'FONT-PRO', available: 2, reserved: 0, assigned: 0, revoked: 0 } });
    const second = unwrap(await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params, body: { keys: ['A-2', 'A-3'] } }));
    expect(second).toMatchObject({ added: 1, duplicates: 1 });
    const counts = await client.GET('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params });
    expect(counts.data).toEqual({ sku: 'FONT-PRO', available: 3, reserved: 0, assigned: 0, revoked: 0 });
    expect(JSON.stringify(counts.data)).not.toContain('A-1');
  });

  it('refuses keys for a product that is not licensed (400) and an unknown product (404)', async () => {
    const { client, storeSlug } = await storeWithCatalog(0);
    const r = expectProblem(await client.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'MUG' } }, body: { keys: ['X'] } }), 400, 'invalid_request');
    expect(r.errors?.[0]?.pointer).toBe('/keys');
    expectProblem(await client.GET('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku: 'NONE' } } }), 404, 'not_found');
  });
});

describe('createStoreCheckoutSession', () => {
  it('prices the cart from the catalog, reserves keys, and fulfils the order with them when paid', async () => {
    const { client, storeSlug, values } = await storeWithCatalog(3);
    const r = await checkout(client, storeSlug, { 'FONT-PRO': 2, MUG: 1 }, { locale: 'de-DE', customerEmail: 'amara@example.com', externalReference: 'WP-1' });
    expect(r.response.status).toBe(201);
    const session = r.data as StoreCheckoutSession;
    expect(session).toMatchObject({ amount: 2 * 4900 + 1200, currency: 'GBP', locale: 'de-DE', lineItems: [{ sku: 'FONT-PRO', quantity: 2, unitAmount: 4900 }, { sku: 'MUG', quantity: 1, unitAmount: 1200 }] });
    expect(await pool(client, storeSlug)).toMatchObject({ available: 1, reserved: 2 });
    const pending = await getOrder(client, storeSlug, session.orderId);
    expect(pending).toMatchObject({ status: 'pending', checkoutSessionId: session.id, externalReference: 'WP-1' });
    expect(pending.items.flatMap((i) => i.licenseKeys)).toEqual([]);
    // The hosted page shows the lines in the customer's locale.
    const page = await (await s.raw(new URL(session.url).pathname)).text();
    expect(page).toContain('98,00');
    expect(page).toContain('110,00');

    const paid = await pay(session.id);
    expect(paid.status).toBe(303);
    const order = await getOrder(client, storeSlug, session.orderId);
    expect(order).toMatchObject({ status: 'fulfilled', paymentId: expect.stringMatching(/^pay_/), fulfilledAt: expect.any(String) });
    const keys = order.items[0]!.licenseKeys;
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => values.includes(k.key) && k.status === 'assigned')).toBe(true);
    expect(order.items[1]!.licenseKeys).toEqual([]);
    expect(await pool(client, storeSlug)).toMatchObject({ available: 1, reserved: 0, assigned: 2 });
    const created = (await eventsOf(client, 'order.created'))[0]!;
    const fulfilled = (await eventsOf(client, 'order.fulfilled'))[0]!;
    expect((created.data.object as Order).status).toBe('pending');
    expect(fulfilled.data.object).toEqual(order);
  });

  it('answers 400 naming each bad SKU: unknown, inactive, no price in the currency, quantity out of range', async () => {
    const { client, storeSlug } = await storeWithCatalog(3);
    unwrap(await client.PATCH('/v1/stores/{storeSlug}/products/{sku}', { params: { path: { storeSlug, sku: 'MUG' } }, body: { active: false } }));
    const inactive = expectProblem(await checkout(client, storeSlug, { MUG: 1, GHOST: 1 }), 400, 'invalid_request');
    expect(inactive.errors!.map((e) => e.pointer).sort()).toEqual(['/items/GHOST', '/items/MUG']);
    const noPrice = expectProblem(await checkout(client, storeSlug, { 'FONT-PRO': 1 }, { currency: 'EUR' }), 400, 'invalid_request');
    expect(noPrice.errors![0]).toMatchObject({ pointer: '/items/FONT-PRO', detail: expect.stringContaining('EUR') });
    const tooMany = expectProblem(await checkout(client, storeSlug, { 'FONT-PRO': 101 }), 400, 'invalid_request');
    expect(JSON.stringify(tooMany.errors)).toContain('FONT-PRO');
    expectProblem(await checkout(client, slug(), { 'FONT-PRO': 1 }), 404, 'not_found');
  });

  it('answers 409 license_pool_exhausted (nothing reserved), invalid_state for a licensing-only store, external_reference_used, and 422 below the minimum', async () => {
    const { client, storeSlug } = await storeWithCatalog(1);
    const exhausted = expectProblem(await checkout(client, storeSlug, { 'FONT-PRO': 2 }), 409, 'license_pool_exhausted');
    expect(exhausted.errors?.[0]?.pointer).toBe('/items/FONT-PRO');
    expect(await pool(client, storeSlug)).toMatchObject({ available: 1, reserved: 0 });
    unwrap(await checkout(client, storeSlug, { MUG: 1 }, { externalReference: 'REF-1' }));
    expectProblem(await checkout(client, storeSlug, { MUG: 1 }, { externalReference: 'REF-1' }), 409, 'external_reference_used');
    const lic = await storeWithCatalog(1, { licensingOnly: true });
    expectProblem(await checkout(lic.client, lic.storeSlug, { 'FONT-PRO': 1 }), 409, 'invalid_state');
    unwrap(await client.POST('/v1/stores/{storeSlug}/products', { params: { path: { storeSlug } }, body: { sku: 'STICKER', name: 'Sticker', prices: { GBP: 10 } } }));
    expectProblem(await checkout(client, storeSlug, { STICKER: 1 }), 422, 'amount_too_small');
  });

  it('returns the keys of an expired session to the pool and frees its external reference', async () => {
    const { client, storeSlug } = await storeWithCatalog(2);
    const session = unwrap(await checkout(client, storeSlug, { 'FONT-PRO': 2 }, { externalReference: 'EXP-1' }));
    expect(await pool(client, storeSlug)).toMatchObject({ available: 0, reserved: 2 });
    unwrap(await client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId: session.id } } }));
    expect(await pool(client, storeSlug)).toMatchObject({ available: 2, reserved: 0 });
    expect((await getOrder(client, storeSlug, session.orderId)).status).toBe('expired');
    expect((await checkout(client, storeSlug, { 'FONT-PRO': 2 }, { externalReference: 'EXP-1' })).response.status).toBe(201);
  });

  it('a session that reaches expiresAt unpaid gives its keys back (the expiry job, on the test clock)', async () => {
    const { client, storeSlug } = await storeWithCatalog(1);
    const session = unwrap(await checkout(client, storeSlug, { 'FONT-PRO': 1 }, { expiresIn: 300 }));
    expectProblem(await checkout(client, storeSlug, { 'FONT-PRO': 1 }), 409, 'license_pool_exhausted');
    clock.advanceSeconds(301);
    await s.deps.jobs.runAll();
    expect((await getOrder(client, storeSlug, session.orderId)).status).toBe('expired');
    expect(await pool(client, storeSlug)).toMatchObject({ available: 1, reserved: 0 });
    expect((await checkout(client, storeSlug, { 'FONT-PRO': 1 })).response.status).toBe(201);
  });

  it('30 concurrent checkouts for a pool of 20 keys: exactly 20 reserve, 10 get 409, no key twice, expiry returns them', async () => {
    const { client, storeSlug } = await storeWithCatalog(20);
    const results = await Promise.all(Array.from({ length: 30 }, () => checkout(client, storeSlug, { 'FONT-PRO': 1 })));
    const statuses = results.map((r) => r.response.status);
    const ok = results.filter((r) => r.response.status === 201).map((r) => r.data!);
    expect(ok).toHaveLength(20);
    expect(statuses.filter((st) => st === 409)).toHaveLength(10);
    for (const r of results.filter((x) => x.response.status === 409)) expect((r.error as { code: string }).code).toBe('license_pool_exhausted');
    expect(await pool(client, storeSlug)).toEqual({ sku: 'FONT-PRO', available: 0, reserved: 20, assigned: 0, revoked: 0 });
    // Pay them all: each order gets its own key.
    for (const sess of ok.slice(0, 10)) expect((await pay(sess.id)).status).toBe(303);
    for (const sess of ok.slice(10)) unwrap(await client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId: sess.id } } }));
    const keys = (await Promise.all(ok.slice(0, 10).map((x) => getOrder(client, storeSlug, x.orderId)))).flatMap((o) => o.items[0]!.licenseKeys.map((k) => k.key));
    expect(keys).toHaveLength(10);
    expect(new Set(keys).size).toBe(10);
    expect(await pool(client, storeSlug)).toEqual({ sku: 'FONT-PRO', available: 10, reserved: 0, assigned: 10, revoked: 0 });
  });
});

describe('fulfillLicensingOrder', () => {
  it('fulfils an order paid elsewhere with keys, and the same external reference returns the same order', async () => {
    const { client, storeSlug, values } = await storeWithCatalog(3, { licensingOnly: true });
    const body = { items: { 'FONT-PRO': 2 }, externalReference: 'WC-7781', currency: 'GBP', amount: 9800, customerEmail: 'amara@example.com' };
    const first = await client.POST('/v1/stores/{storeSlug}/licensing/fulfill', { params: { path: { storeSlug } }, body });
    expect(first.response.status).toBe(201);
    expect(first.data).toMatchObject({ status: 'fulfilled', source: 'licensing', amount: 9800, externalReference: 'WC-7781', paymentId: null });
    const keys = first.data!.items[0]!.licenseKeys.map((k) => k.key);
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => values.includes(k))).toBe(true);
    const again = await client.POST('/v1/stores/{storeSlug}/licensing/fulfill', { params: { path: { storeSlug } }, body });
    expect(again.response.status).toBe(200);
    expect(again.data).toEqual(first.data);
    expect(await pool(client, storeSlug)).toMatchObject({ available: 1, assigned: 2 });
    expectProblem(await client.POST('/v1/stores/{storeSlug}/licensing/fulfill', { params: { path: { storeSlug } }, body: { ...body, externalReference: 'WC-2' } }), 409, 'license_pool_exhausted');
    expectProblem(await client.POST('/v1/stores/{storeSlug}/licensing/fulfill', { params: { path: { storeSlug } }, body: { ...body, externalReference: 'WC-3', items: { NOPE: 1 } } }), 400, 'invalid_request');
  });
});

describe('fulfillLicensingOrder under concurrency', () => {
  it('10 concurrent fulfilments with one external reference make one order and take keys once', async () => {
    const { client, storeSlug } = await storeWithCatalog(5, { licensingOnly: true });
    const body = { items: { 'FONT-PRO': 2 }, externalReference: 'RACE-1', currency: 'GBP', amount: 9800 };
    const results = await Promise.all(Array.from({ length: 10 }, () => client.POST('/v1/stores/{storeSlug}/licensing/fulfill', { params: { path: { storeSlug } }, body })));
    expect(results.map((r) => r.response.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    expect(new Set(results.map((r) => r.data!.id)).size).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r.data!.items)))).toHaveProperty('size', 1);
    expect(await pool(client, storeSlug)).toMatchObject({ available: 3, assigned: 2, reserved: 0 });
  });
});

describe('listOrders / getOrder / refundOrder / disputeOrder', () => {
  it('refunds a paid order in full through the ledger and revokes its keys', async () => {
    const { client, storeSlug } = await storeWithCatalog(2);
    const session = unwrap(await checkout(client, storeSlug, { 'FONT-PRO': 1 }));
    await pay(session.id);
    const before = unwrap(await client.GET('/v1/balance'));
    expect(before.available).toContainEqual({ amount: 4900, currency: 'GBP' });
    const r = await client.POST('/v1/stores/{storeSlug}/orders/{orderId}/refund', { params: { path: { storeSlug, orderId: session.orderId } } });
    expect(r.response.status).toBe(200);
    expect(r.data).toMatchObject({ status: 'refunded', refundId: expect.stringMatching(/^re_/), refundedAt: expect.any(String) });
    expect(r.data!.items[0]!.licenseKeys.map((k) => k.status)).toEqual(['revoked']);
    const after = unwrap(await client.GET('/v1/balance'));
    expect(after.available.find((m) => m.currency === 'GBP')?.amount ?? 0).toBe(0);
    const payment = unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: r.data!.paymentId! } } }));
    expect(payment.amountRefunded).toBe(4900);
    expect(await pool(client, storeSlug)).toMatchObject({ assigned: 0, revoked: 1, available: 1 });
    expect((await eventsOf(client, 'order.refunded'))[0]!.data.object).toEqual(r.data);
    expectProblem(await client.POST('/v1/stores/{storeSlug}/orders/{orderId}/refund', { params: { path: { storeSlug, orderId: session.orderId } } }), 409, 'invalid_state');
    const list = unwrap(await client.GET('/v1/stores/{storeSlug}/orders', { params: { path: { storeSlug }, query: { status: 'refunded' } } }));
    expect(list.data.map((o) => o.id)).toEqual([session.orderId]);
  });

  it('a sandbox chargeback disables the keys of a fulfilled order; other states are 409', async () => {
    const { client, storeSlug } = await storeWithCatalog(2);
    const session = unwrap(await checkout(client, storeSlug, { 'FONT-PRO': 1 }));
    const orderId = session.orderId;
    expectProblem(await client.POST('/v1/sandbox/orders/{orderId}/dispute', { params: { path: { orderId } } }), 409, 'invalid_state');
    await pay(session.id);
    const r = await client.POST('/v1/sandbox/orders/{orderId}/dispute', { params: { path: { orderId } } });
    expect(r.response.status).toBe(200);
    expect(r.data).toMatchObject({ status: 'disputed', disputedAt: expect.any(String) });
    expect(r.data!.items[0]!.licenseKeys.map((k) => k.status)).toEqual(['disabled']);
    expect((await eventsOf(client, 'order.disputed'))[0]!.data.object).toEqual(r.data);
    expectProblem(await client.POST('/v1/stores/{storeSlug}/orders/{orderId}/refund', { params: { path: { storeSlug, orderId } } }), 409, 'invalid_state');
    expectProblem(await client.POST('/v1/sandbox/orders/{orderId}/dispute', { params: { path: { orderId: 'ord_000000000000000000000000' } } }), 404, 'not_found');
  });
});

describe('BOLA: another merchant sees none of a store, its products, keys or orders', () => {
  it('answers 404 for every store, product, pool and order operation of another merchant', async () => {
    const owner = await storeWithCatalog(2);
    const session = unwrap(await checkout(owner.client, owner.storeSlug, { 'FONT-PRO': 1 }));
    await pay(session.id);
    const { client: other } = await s.newMerchant('Intruder');
    const storeSlug = owner.storeSlug;
    const sku = 'FONT-PRO';
    const orderId = session.orderId;
    const results = [
      await other.GET('/v1/stores/{storeSlug}', { params: { path: { storeSlug } } }),
      await other.PATCH('/v1/stores/{storeSlug}', { params: { path: { storeSlug } }, body: { name: 'Mine' } }),
      await other.GET('/v1/stores/{storeSlug}/products', { params: { path: { storeSlug } } }),
      await other.POST('/v1/stores/{storeSlug}/products', { params: { path: { storeSlug } }, body: { sku: 'X', name: 'x', prices: { GBP: 100 } } }),
      await other.GET('/v1/stores/{storeSlug}/products/{sku}', { params: { path: { storeSlug, sku } } }),
      await other.PATCH('/v1/stores/{storeSlug}/products/{sku}', { params: { path: { storeSlug, sku } }, body: { prices: { GBP: 1 } } }),
      await other.DELETE('/v1/stores/{storeSlug}/products/{sku}', { params: { path: { storeSlug, sku } } }),
      await other.GET('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku } } }),
      await other.POST('/v1/stores/{storeSlug}/products/{sku}/license-keys', { params: { path: { storeSlug, sku } }, body: { keys: ['STOLEN'] } }),
      await checkout(other, storeSlug, { [sku]: 1 }),
      await other.POST('/v1/stores/{storeSlug}/licensing/fulfill', { params: { path: { storeSlug } }, body: { items: { [sku]: 1 }, externalReference: 'X', currency: 'GBP', amount: 100 } }),
      await other.GET('/v1/stores/{storeSlug}/orders', { params: { path: { storeSlug } } }),
      await other.GET('/v1/stores/{storeSlug}/orders/{orderId}', { params: { path: { storeSlug, orderId } } }),
      await other.POST('/v1/stores/{storeSlug}/orders/{orderId}/refund', { params: { path: { storeSlug, orderId } } }),
      await other.POST('/v1/sandbox/orders/{orderId}/dispute', { params: { path: { orderId } } }),
    ];
    for (const r of results) expectProblem(r, 404, 'not_found');
    // Nothing changed for the owner.
    expect(await pool(owner.client, storeSlug)).toMatchObject({ available: 1, assigned: 1, reserved: 0 });
    expect((await getOrder(owner.client, storeSlug, orderId)).status).toBe('fulfilled');
    // The other merchant's own store cannot reach the owner's order either.
    const mine = slug();
    unwrap(await other.POST('/v1/stores', { body: { slug: mine, name: 'Mine', defaultCurrency: 'GBP' } }));
    expectProblem(await other.GET('/v1/stores/{storeSlug}/orders/{orderId}', { params: { path: { storeSlug: mine, orderId } } }), 404, 'not_found');
  });
});

describe('cart page /s/{storeSlug}/cart and market page /market', () => {
  it('renders a cart from ?add= and ?items=, and its Checkout creates the session and goes to the hosted page', async () => {
    const { client, storeSlug } = await storeWithCatalog(2);
    const one = await s.raw(`/s/${storeSlug}/cart?add=FONT-PRO&currency=GBP`);
    expect(one.status).toBe(200);
    expect(await one.text()).toContain('£49.00');
    const two = await s.raw(`/s/${storeSlug}/cart?items=FONT-PRO:1,MUG:2&currency=GBP&locale=de-DE`);
    const html = await two.text();
    expect(two.status).toBe(200);
    expect(html).toContain('73,00');
    const submit = await s.raw(`/s/${storeSlug}/cart/checkout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'items=FONT-PRO%3A1%2CMUG%3A2&currency=GBP&locale=de-DE', redirect: 'manual' });
    expect(submit.status).toBe(303);
    const location = submit.headers.get('location')!;
    expect(location).toMatch(/\/checkout\/cs_[0-9A-Za-z]{24}$/);
    const sessionId = location.split('/').pop()!;
    const orders = unwrap(await client.GET('/v1/stores/{storeSlug}/orders', { params: { path: { storeSlug } } })).data;
    expect(orders[0]).toMatchObject({ checkoutSessionId: sessionId, amount: 4900 + 2400, status: 'pending' });
  });

  it('explains bad SKUs, quantities and currencies on the page (400), never a 5xx; unknown stores are 404', async () => {
    const { storeSlug } = await storeWithCatalog(1);
    const cases: [string, string][] = [
      [`?add=GHOST&currency=GBP`, 'GHOST is not a product of this store'],
      [`?add=FONT-PRO&currency=EUR`, 'FONT-PRO has no price in EUR'],
      [`?add=FONT-PRO&currency=zz1`, 'is not a currency'],
      [`?items=FONT-PRO:0`, 'must be a whole number from 1 to 100'],
      [`?items=MUG:1,%3Cscript%3E:1`, 'is not a valid SKU'],
      [`?items=a:b:c`, 'is not SKU:quantity'],
      [``, 'Your cart is empty'],
    ];
    for (const [query, message] of cases) {
      const r = await s.raw(`/s/${storeSlug}/cart${query}`);
      expect(r.status, query).toBe(400);
      const text = await r.text();
      expect(text, query).toContain(message.replace('<', '&lt;'));
      expect(text).not.toContain('<script>');
    }
    // The valid lines stay in the cart next to the message about the bad one.
    const mixed = await (await s.raw(`/s/${storeSlug}/cart?items=MUG:1,GHOST:1&currency=GBP`)).text();
    expect(mixed).toContain('£12.00');
    expect(mixed).toContain('Checkout');
    expect((await s.raw(`/s/no-such-store-${randomBytes(3).toString('hex')}/cart?add=X`)).status).toBe(404);
    // A sold-out product at checkout time is a message on the cart page.
    const soldOut = await s.raw(`/s/${storeSlug}/cart/checkout`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'items=FONT-PRO%3A2&currency=GBP', redirect: 'manual' });
    expect(soldOut.status).toBe(409);
    expect(await soldOut.text()).toContain('sold out');
  });

  it('lists the active products of opted-in stores with their add-to-cart links, searchable by name', async () => {
    const listed = await storeWithCatalog(1, { marketplace: true });
    const hidden = await storeWithCatalog(1, { marketplace: false });
    const page = await (await s.raw(`/market?q=${encodeURIComponent(`Font Pro ${listed.storeSlug}`)}`)).text();
    expect(page).toContain(`/s/${listed.storeSlug}/cart?add=FONT-PRO&amp;currency=GBP`);
    const other = await (await s.raw(`/market?q=${encodeURIComponent(`Font Pro ${hidden.storeSlug}`)}`)).text();
    expect(other).not.toContain(`/s/${hidden.storeSlug}/cart`);
    expect(other).toContain('No products match');
  });
});
