/**
 * The payments family, one `describe` per operationId: the happy paths and every status the
 * contract documents for each operation (500 cannot be provoked from outside and is not tested).
 *
 * The server runs on a controllable clock (`clock`, test/support/use-test-server.ts), so delayed mobile-money settlement and
 * the created-time filters are exact. A second server with a limit of 3 requests per minute per
 * credential shows the rate-limit headers and `429`.
 */
import { describe, expect, it } from 'vitest';
import type { TillpointClient } from '../../client/index.ts';
import { cardPayment, type TestServer } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { CARDS, PHONES, amountOf, balanceOf, mobileMoneyPayment, paymentRows, refundRows, type CreatePaymentRequest, type Payment, type Provider } from './fixtures.ts';
import { asResult, expectInvalidBody, expectInvalidParameter, expectProblem, type Result } from '../support/problems.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { clientWithUnknownKey } from '../support/clients.ts';

const RATE_LIMIT = 3;
const { server: s, limited, clock } = useTestServer({ clock: Date.parse('2026-11-21T10:00:00.000Z'), rateLimit: RATE_LIMIT });
const iso = (ms: number) => new Date(ms).toISOString();
/** Moves the server's clock forward. */
const advance = clock.advance;
const UNKNOWN_PAYMENT_ID = 'pay_000000000000000000000000';
const PROVIDERS: Provider[] = ['mtn', 'airtel', 'mpesa'];


/** Creates a payment and asserts the 201. */
async function pay(client: TillpointClient, body: CreatePaymentRequest = cardPayment()): Promise<Payment> {
  const r = await client.POST('/v1/payments', { body });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  return r.data!;
}

/** Creates a payment that is refused with 402 and returns it as retrieved afterwards. */
async function failedPayment(client: TillpointClient, body: CreatePaymentRequest = cardPayment(2500, 'USD', CARDS.declined)): Promise<Payment> {
  const r = await client.POST('/v1/payments', { body });
  expect(r.response.status).toBe(402);
  const got = await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: r.error!.paymentId! } } });
  return got.data!;
}

async function getPayment(client: TillpointClient, paymentId: string): Promise<Payment> {
  const r = await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId } } });
  expect(r.response.status, JSON.stringify(r.error)).toBe(200);
  return r.data!;
}

/** Asserts the rate-limit headers of a response. */
function expectRateLimitHeaders(r: Result, remaining: number): void {
  expect(r.response.headers.get('x-ratelimit-limit')).toBe(String(RATE_LIMIT));
  expect(r.response.headers.get('x-ratelimit-remaining')).toBe(String(remaining));
  expect(r.response.headers.get('x-ratelimit-reset')).toMatch(/^\d+$/);
}

/**
 * On the limited server: runs `calls` (exactly the limit), checking the countdown of
 * `X-RateLimit-Remaining`, then `last` must be `429 rate_limited` with `Retry-After`.
 */
async function expectRateLimited(calls: Array<() => Promise<Result>>, last: () => Promise<Result>): Promise<void> {
  expect(calls).toHaveLength(RATE_LIMIT);
  for (const [i, call] of calls.entries()) {
    const r = await call();
    expect(r.response.status).toBeLessThan(400);
    expectRateLimitHeaders(r, RATE_LIMIT - 1 - i);
  }
  const r = await last();
  const problem = expectProblem(r, 429, 'rate_limited');
  expectRateLimitHeaders(r, 0);
  const retryAfter = r.response.headers.get('retry-after');
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  expect(problem.retryAfter).toBe(Number(retryAfter));
}

/** A raw POST with the merchant's key and an arbitrary content type. */
function rawPost(server: TestServer, path: string, apiKey: string, contentType: string, body: string): Promise<Response> {
  return server.raw(path, { method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': contentType }, body });
}

describe('createPayment', () => {
  it('charges a test card: 201 succeeded, details echoed, no card number stored, money available', async () => {
    const { client, merchant } = await s.newMerchant();
    const body: CreatePaymentRequest = {
      ...cardPayment(2500, 'USD'),
      description: 'Order ORD-1042',
      customerEmail: 'amara@example.com',
      reference: 'ORD-1042',
      metadata: { orderId: 'ORD-1042' },
    };
    const r = await client.POST('/v1/payments', { body });
    expect(r.response.status).toBe(201);
    expect(r.response.headers.get('x-request-id')).toMatch(/\S/);
    expect(r.response.headers.get('idempotent-replayed')).toBeNull();
    const payment = r.data!;
    expect(payment).toEqual({
      id: expect.stringMatching(/^pay_[0-9A-Za-z]{24}$/),
      status: 'succeeded',
      amount: 2500,
      currency: 'USD',
      amountRefunded: 0,
      paymentMethod: { type: 'card', card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 } },
      description: 'Order ORD-1042',
      customerEmail: 'amara@example.com',
      reference: 'ORD-1042',
      checkoutSessionId: null,
      applicationId: null,
      failureCode: null,
      failureMessage: null,
      nextAction: null,
      metadata: { orderId: 'ORD-1042' },
      createdAt: iso(clock.ms),
      updatedAt: iso(clock.ms),
    });
    expect(await getPayment(client, payment.id)).toEqual(payment);
    expect(await balanceOf(client)).toEqual({ available: [{ amount: 2500, currency: 'USD' }], pending: [] });

    // The sandbox never stores the full card number or the CVC.
    const rows = await paymentRows(s.deps.db, merchant.merchantId);
    expect(rows).toHaveLength(1);
    const stored = JSON.stringify(rows[0]);
    expect(stored).not.toContain(CARDS.succeeds);
    expect(stored).not.toContain('"cvc"');
  });

  it('3-D Secure card: 201 requires_action with nextAction.redirectUrl, no money until the challenge passes', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, { ...cardPayment(12000, 'EUR', CARDS.threeDSecure), returnUrl: 'https://shop.example.com/done' });
    expect(payment.status).toBe('requires_action');
    expect(payment.paymentMethod.card?.last4).toBe('3184');
    expect(payment.nextAction).toEqual({ type: 'three_d_secure_redirect', redirectUrl: expect.stringMatching(/^https?:\/\//) });
    const redirectUrl = new URL(payment.nextAction!.redirectUrl);
    expect(redirectUrl.pathname).toContain(payment.id);
    expect(await balanceOf(client)).toEqual({ available: [], pending: [] });

    // The challenge page is served, and approving it captures the payment and returns to returnUrl.
    const page = await s.raw(redirectUrl.pathname);
    expect(page.status).toBe(200);
    const approved = await s.raw(redirectUrl.pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
      redirect: 'manual',
    });
    expect(approved.status).toBe(303);
    const back = new URL(approved.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe('https://shop.example.com/done');
    expect(back.searchParams.get('paymentId')).toBe(payment.id);
    const after = await getPayment(client, payment.id);
    expect(after).toMatchObject({ status: 'succeeded', nextAction: null, failureCode: null });
    expect(await balanceOf(client)).toEqual({ available: [{ amount: 12000, currency: 'EUR' }], pending: [] });
  });

  it('3-D Secure card: a failed challenge leaves the payment failed with authentication_failed and moves no money', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, cardPayment(12000, 'EUR', CARDS.threeDSecure));
    const path = new URL(payment.nextAction!.redirectUrl).pathname;
    const failed = await s.raw(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=fail', redirect: 'manual' });
    expect(failed.status).toBeLessThan(400);
    expect(await getPayment(client, payment.id)).toMatchObject({ status: 'failed', failureCode: 'authentication_failed', nextAction: null });
    expect(await balanceOf(client)).toEqual({ available: [], pending: [] });
  });

  it.each(PROVIDERS)('mobile money %s with the success number: 201 succeeded at once', async (provider) => {
    const { client } = await s.newMerchant();
    const phone = PHONES[provider];
    const payment = await pay(client, mobileMoneyPayment(provider, phone.succeeds, 5000));
    expect(payment).toMatchObject({
      status: 'succeeded',
      amount: 5000,
      currency: phone.currency,
      paymentMethod: { type: 'mobile_money', mobileMoney: { provider, phoneNumber: phone.succeeds } },
      nextAction: null,
      failureCode: null,
    });
    expect(payment.paymentMethod.card).toBeUndefined();
    expect(await balanceOf(client)).toEqual({ available: [{ amount: 5000, currency: phone.currency }], pending: [] });
  });

  it.each(PROVIDERS)('mobile money %s with the delayed number: pending, then succeeded after about 10 s, money pending → available', async (provider) => {
    const { client } = await s.newMerchant();
    const phone = PHONES[provider];
    const payment = await pay(client, mobileMoneyPayment(provider, phone.delayed, 50000));
    expect(payment).toMatchObject({ status: 'pending', amount: 50000, nextAction: null, failureCode: null });

    expect(await balanceOf(client)).toEqual({ available: [], pending: [{ amount: 50000, currency: phone.currency }] });

    advance(5_000);
    expect((await getPayment(client, payment.id)).status).toBe('pending');

    advance(6_000); // 11 s after creation
    const settled = await getPayment(client, payment.id);
    expect(settled).toMatchObject({ id: payment.id, status: 'succeeded', amount: 50000, updatedAt: iso(clock.ms) });
    // Nothing is pending any more: the currency leaves the pending list ("a currency with no funds is omitted").
    expect(await balanceOf(client)).toEqual({ available: [{ amount: 50000, currency: phone.currency }], pending: [] });
  });

  const declines: Array<[label: string, body: () => CreatePaymentRequest, code: string]> = [
    ['declined card', () => cardPayment(2500, 'USD', CARDS.declined), 'card_declined'],
    ['insufficient-funds card', () => cardPayment(2500, 'USD', CARDS.insufficientFunds), 'insufficient_funds'],
    ...PROVIDERS.map((p): [string, () => CreatePaymentRequest, string] => [`${p} failure number`, () => mobileMoneyPayment(p, PHONES[p].fails), 'payment_failed']),
  ];
  it.each(declines)('402 for the %s, with paymentId retrievable as failed', async (_label, body, code) => {
    const { client } = await s.newMerchant();
    const sent = body();
    const r = await client.POST('/v1/payments', { body: sent });
    const problem = expectProblem(r, 402, code);
    expect(problem.paymentId).toMatch(/^pay_[0-9A-Za-z]{24}$/);
    const payment = await getPayment(client, problem.paymentId!);
    expect(payment).toMatchObject({ status: 'failed', failureCode: code, amount: sent.amount, currency: sent.currency, nextAction: null });
    expect(payment.failureMessage).toMatch(/\S/);
    expect(await balanceOf(client)).toEqual({ available: [], pending: [] });
  });

  const invalidBodies: Array<[label: string, body: () => unknown, pointer: string]> = [
    ['missing amount', () => ({ currency: 'USD', paymentMethod: cardPayment().paymentMethod }), '/amount'],
    ['decimal amount', () => ({ ...cardPayment(), amount: 25.5 }), '/amount'],
    ['zero amount', () => ({ ...cardPayment(), amount: 0 }), '/amount'],
    ['amount as a string', () => ({ ...cardPayment(), amount: '2500' }), '/amount'],
    ['lowercase currency', () => cardPayment(2500, 'usd'), '/currency'],
    ['missing paymentMethod', () => ({ amount: 2500, currency: 'USD' }), '/paymentMethod'],
    ['card number with spaces', () => cardPayment(2500, 'USD', '4242 4242 4242 4242'), '/paymentMethod/card/number'],
    ['card number failing the Luhn check', () => cardPayment(2500, 'USD', '4242424242424241'), '/paymentMethod/card/number'],
    ['valid card number that is not a test card', () => cardPayment(2500, 'USD', '4111111111111111'), '/paymentMethod/card/number'],
    ['expired card', () => ({ ...cardPayment(), paymentMethod: { type: 'card', card: { number: CARDS.succeeds, expMonth: 1, expYear: 2020, cvc: '123' } } }), '/paymentMethod/card/expYear'],
    ['expiry month 13', () => ({ ...cardPayment(), paymentMethod: { type: 'card', card: { number: CARDS.succeeds, expMonth: 13, expYear: 2030, cvc: '123' } } }), '/paymentMethod/card/expMonth'],
    ['non-numeric CVC', () => ({ ...cardPayment(), paymentMethod: { type: 'card', card: { number: CARDS.succeeds, expMonth: 12, expYear: 2030, cvc: 'abc' } } }), '/paymentMethod/card/cvc'],
    ['phone number not in E.164', () => mobileMoneyPayment('mtn', '0700000001'), '/paymentMethod/phoneNumber'],
    ['phone number that is not a valid number', () => mobileMoneyPayment('mtn', '+25612345678'), '/paymentMethod/phoneNumber'],
    ['real phone number that is not a test number', () => mobileMoneyPayment('mtn', '+256772123456'), '/paymentMethod/phoneNumber'],
    ['unknown provider', () => ({ amount: 5000, currency: 'UGX', paymentMethod: { type: 'mobile_money', provider: 'paypal', phoneNumber: PHONES.mtn.succeeds } }), '/paymentMethod/provider'],
    ['invalid customerEmail', () => ({ ...cardPayment(), customerEmail: 'not-an-email' }), '/customerEmail'],
    ['returnUrl that is not http(s)', () => ({ ...cardPayment(), returnUrl: 'javascript:alert(1)' }), '/returnUrl'],
    ['non-string metadata value', () => ({ ...cardPayment(), metadata: { orderId: 42 } }), '/metadata/orderId'],
    ['unknown property', () => ({ ...cardPayment(), captureLater: true }), '/captureLater'],
  ];
  it.each(invalidBodies)('400 invalid_request for a %s, pointing at the field, and nothing is charged', async (_label, body, pointer) => {
    const { client, merchant } = await s.newMerchant();
    const r = await client.POST('/v1/payments', { body: body() as CreatePaymentRequest });
    expectInvalidBody(r, pointer);
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(0);
  });

  it('400 malformed_json for a body that is not JSON', async () => {
    const { merchant } = await s.newMerchant();
    const r = await asResult(await rawPost(s, '/v1/payments', merchant.apiKey, 'application/json', '{"amount": 2500,'));
    expectProblem(r, 400, 'malformed_json');
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(0);
  });

  it('401 without a credential, with an unknown API key and with a bogus bearer token', async () => {
    const body = cardPayment();
    for (const r of [
      await s.anonymous().POST('/v1/payments', { body }),
      await clientWithUnknownKey(s).POST('/v1/payments', { body }),
      await s.anonymous().POST('/v1/payments', { body, headers: { Authorization: 'Bearer not-a-token' } }),
    ]) {
      expectProblem(r, 401, 'unauthenticated');
      expect(r.response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
  });

  it('409 idempotency_request_in_progress while the first request with the key is still running', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    const body = cardPayment();
    await claimKeyInFlight(s.deps.db, { merchantId: merchant.merchantId, key, operationId: 'createPayment', path: '/v1/payments', body, at: new Date(clock.ms) });
    const r = await client.POST('/v1/payments', { body, headers: { 'Idempotency-Key': key } });
    expectProblem(r, 409, 'idempotency_request_in_progress');
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(0);
  });

  it('415 unsupported_media_type for a body that is not application/json', async () => {
    const { merchant } = await s.newMerchant();
    const json = JSON.stringify(cardPayment());
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const r = await asResult(await rawPost(s, '/v1/payments', merchant.apiKey, contentType, json));
      expectProblem(r, 415, 'unsupported_media_type');
    }
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(0);
  });

  it('422 amount_too_small below the currency minimum, pointing at /amount', async () => {
    const { client, merchant } = await s.newMerchant();
    const problem = expectProblem(await client.POST('/v1/payments', { body: cardPayment(49, 'USD') }), 422, 'amount_too_small');
    expect(problem.errors?.map((e) => e.pointer)).toContain('/amount');
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(0);
  });

  it('422 idempotency_key_reused for the same key with another body', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    await client.POST('/v1/payments', { body: cardPayment(2500), headers: { 'Idempotency-Key': key } });
    const r = await client.POST('/v1/payments', { body: cardPayment(2600), headers: { 'Idempotency-Key': key } });
    expectProblem(r, 422, 'idempotency_key_reused');
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(1);
  });

  it('429 rate_limited with Retry-After beyond the per-credential limit; the refused request charges nothing', async () => {
    const { client, merchant } = await limited.newMerchant();
    const create = () => client.POST('/v1/payments', { body: cardPayment() });
    await expectRateLimited([create, create, create], create);
    expect(await paymentRows(limited.deps.db, merchant.merchantId)).toHaveLength(RATE_LIMIT);
  });
});

describe('listPayments', () => {
  /**
   * Six payments of one merchant in every status, one second apart, then three created in the
   * same millisecond (so that pages split inside a group of equal timestamps). Returns them with
   * their creation times, oldest first.
   */
  async function seed(client: TillpointClient) {
    const created: Array<{ payment: Payment; at: number }> = [];
    const add = async (make: () => Promise<Payment>) => {
      advance(1_000);
      created.push({ at: clock.ms, payment: await make() });
    };
    await add(() => pay(client, cardPayment(1000)));
    await add(() => failedPayment(client));
    await add(() => pay(client, cardPayment(3000, 'USD', CARDS.threeDSecure)));
    await add(() => pay(client, mobileMoneyPayment('mtn', PHONES.mtn.delayed)));
    await add(() => pay(client, mobileMoneyPayment('mpesa', PHONES.mpesa.succeeds)));
    await add(() => failedPayment(client, cardPayment(2500, 'USD', CARDS.insufficientFunds)));
    advance(1_000);
    for (const amount of [7001, 7002, 7003]) created.push({ at: clock.ms, payment: await pay(client, cardPayment(amount)) });
    return created;
  }

  /** Whether the payments are newest first (the order of payments created in the same millisecond is not specified). */
  const isNewestFirst = (ps: Payment[]) => ps.every((p, i) => i === 0 || ps[i - 1]!.createdAt >= p.createdAt);

  it('lists the merchant’s payments newest first in one page when they fit', async () => {
    const { client } = await s.newMerchant();
    const created = await seed(client);
    const r = await client.GET('/v1/payments');
    expect(r.response.status).toBe(200);
    expect(r.data!.hasMore).toBe(false);
    expect(r.data!.nextCursor).toBeNull();
    const ids = r.data!.data.map((p) => p.id);
    expect(new Set(ids)).toEqual(new Set(created.map((c) => c.payment.id)));
    expect(isNewestFirst(r.data!.data)).toBe(true);
    // Each listed payment is the one getPayment returns.
    for (const p of r.data!.data) expect(p).toEqual(await getPayment(client, p.id));
  });

  it('empty list for a merchant without payments; never another merchant’s payments', async () => {
    const { client: mine } = await s.newMerchant();
    const { client: theirs } = await s.newMerchant();
    await pay(theirs);
    const r = await mine.GET('/v1/payments');
    expect(r.data).toEqual({ data: [], hasMore: false, nextCursor: null });
  });

  it('limit=2 cursor pagination visits every payment exactly once, in order', async () => {
    const { client } = await s.newMerchant();
    const created = await seed(client);
    const full = (await client.GET('/v1/payments', { params: { query: { limit: 100 } } })).data!.data.map((p) => p.id);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    for (;;) {
      const r = await client.GET('/v1/payments', { params: { query: { limit: 2, cursor } } });
      expect(r.response.status).toBe(200);
      const page = r.data!;
      pages++;
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((p) => p.id));
      if (!page.hasMore) {
        expect(page.nextCursor).toBeNull();
        break;
      }
      expect(page.data).toHaveLength(2);
      expect(page.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
      cursor = page.nextCursor!;
      expect(pages).toBeLessThan(20);
    }
    expect(seen).toEqual(full);
    expect(new Set(seen).size).toBe(created.length);
    expect(pages).toBe(Math.ceil(created.length / 2));
  });

  it('a payment created while paging does not shift the following pages', async () => {
    const { client } = await s.newMerchant();
    const created = await seed(client);
    const first = (await client.GET('/v1/payments', { params: { query: { limit: 3 } } })).data!;
    advance(1_000);
    const newer = await pay(client);
    const rest = (await client.GET('/v1/payments', { params: { query: { limit: 100, cursor: first.nextCursor! } } })).data!;
    const ids = [...first.data, ...rest.data].map((p) => p.id);
    expect(ids).not.toContain(newer.id);
    expect(new Set(ids)).toEqual(new Set(created.map((c) => c.payment.id)));
    expect(ids).toHaveLength(created.length);
  });

  it('status filter returns exactly the payments in that status, and pages with it', async () => {
    const { client } = await s.newMerchant();
    const created = await seed(client);
    for (const status of ['succeeded', 'failed', 'requires_action', 'pending'] as const) {
      const expected = created.filter((c) => c.payment.status === status).map((c) => c.payment.id);
      expect(expected.length).toBeGreaterThan(0);
      const r = await client.GET('/v1/payments', { params: { query: { status } } });
      expect(r.response.status).toBe(200);
      expect(r.data!.data.every((p) => p.status === status)).toBe(true);
      expect(new Set(r.data!.data.map((p) => p.id))).toEqual(new Set(expected));
    }
    // Paging through the succeeded ones one at a time, with the filter repeated.
    const succeeded = created.filter((c) => c.payment.status === 'succeeded').map((c) => c.payment.id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await client.GET('/v1/payments', { params: { query: { status: 'succeeded', limit: 1, cursor } } })).data!;
      seen.push(...page.data.map((p) => p.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.sort()).toEqual([...succeeded].sort());
  });

  it('createdGte is inclusive and createdLt exclusive', async () => {
    const { client } = await s.newMerchant();
    const created = await seed(client);
    const [, second, third, fourth] = created;
    const r = await client.GET('/v1/payments', { params: { query: { createdGte: iso(second!.at), createdLt: iso(fourth!.at) } } });
    expect(r.response.status).toBe(200);
    expect(r.data!.data.map((p) => p.id)).toEqual([third!.payment.id, second!.payment.id]);

    const after = await client.GET('/v1/payments', { params: { query: { createdGte: iso(created.at(-1)!.at) } } });
    expect(new Set(after.data!.data.map((p) => p.id))).toEqual(new Set(created.slice(-3).map((c) => c.payment.id)));
    const before = await client.GET('/v1/payments', { params: { query: { createdLt: iso(second!.at) } } });
    expect(before.data!.data.map((p) => p.id)).toEqual([created[0]!.payment.id]);
    // A range combined with a status filter and pagination.
    const combined = await client.GET('/v1/payments', { params: { query: { createdGte: iso(second!.at), status: 'failed', limit: 1 } } });
    expect(combined.data!.data.map((p) => p.id)).toEqual([created[5]!.payment.id]);
    expect(combined.data!.hasMore).toBe(true);
    const next = await client.GET('/v1/payments', {
      params: { query: { createdGte: iso(second!.at), status: 'failed', limit: 1, cursor: combined.data!.nextCursor! } },
    });
    expect(next.data!.data.map((p) => p.id)).toEqual([second!.payment.id]);
    expect(next.data!.hasMore).toBe(false);
  });

  const badQueries: Array<[label: string, query: Record<string, unknown>, parameter: string]> = [
    ['limit 0', { limit: 0 }, 'limit'],
    ['limit 101', { limit: 101 }, 'limit'],
    ['limit not a number', { limit: 'ten' }, 'limit'],
    ['unknown status', { status: 'refunded' }, 'status'],
    ['createdGte not a date-time', { createdGte: 'yesterday' }, 'createdGte'],
    ['createdLt not a date-time', { createdLt: '2026-13-01' }, 'createdLt'],
    ['cursor not issued by the API', { cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
    ['unknown query parameter', { sort: 'amount' }, 'sort'],
  ];
  it.each(badQueries)('400 invalid_request for %s, naming the parameter', async (_label, query, parameter) => {
    const { client } = await s.newMerchant();
    const r = await client.GET('/v1/payments', { params: { query: query as never } });
    expectInvalidParameter(r, parameter);
  });

  it('401 without a credential or with an unknown key', async () => {
    expectProblem(await s.anonymous().GET('/v1/payments'), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).GET('/v1/payments'), 401, 'unauthenticated');
  });

  it('429 rate_limited with Retry-After beyond the per-credential limit', async () => {
    const { client } = await limited.newMerchant();
    const list = () => client.GET('/v1/payments');
    await expectRateLimited([list, list, list], list);
  });
});

describe('getPayment', () => {
  it('returns the payment as created', async () => {
    const { client } = await s.newMerchant();
    const created = await pay(client, { ...cardPayment(4200, 'GBP'), reference: 'R-1' });
    const r = await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: created.id } } });
    expect(r.response.status).toBe(200);
    expect(r.data).toEqual(created);
  });

  it('400 invalid_request for a malformed id, naming the paymentId parameter', async () => {
    const { client } = await s.newMerchant();
    const r = await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: 'pay_123' } } });
    expectInvalidParameter(r, 'paymentId');
  });

  it('401 without a credential or with an unknown key', async () => {
    const params = { path: { paymentId: UNKNOWN_PAYMENT_ID } };
    expectProblem(await s.anonymous().GET('/v1/payments/{paymentId}', { params }), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).GET('/v1/payments/{paymentId}', { params }), 401, 'unauthenticated');
  });

  it('404 not_found for an unknown id', async () => {
    const { client } = await s.newMerchant();
    expectProblem(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: UNKNOWN_PAYMENT_ID } } }), 404, 'not_found');
  });

  it('404 not_found for another merchant’s payment (no cross-merchant reads)', async () => {
    const { client: owner } = await s.newMerchant();
    const { client: other } = await s.newMerchant();
    const payment = await pay(owner);
    const r = await other.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: payment.id } } });
    const problem = expectProblem(r, 404, 'not_found');
    expect(JSON.stringify(problem)).not.toContain('"amount"');
    expect((await getPayment(owner, payment.id)).id).toBe(payment.id);
  });

  it('429 rate_limited with Retry-After beyond the per-credential limit', async () => {
    const { client } = await limited.newMerchant();
    let paymentId = '';
    const create = async () => {
      const r = await client.POST('/v1/payments', { body: cardPayment() });
      paymentId = r.data!.id;
      return r;
    };
    const get = () => client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId } } });
    await expectRateLimited([create, get, get], get);
  });
});

describe('createRefund', () => {
  const refund = (client: TillpointClient, paymentId: string, body?: { amount?: number; reason?: 'requested_by_customer' | 'duplicate' | 'fraudulent'; metadata?: Record<string, string> }, headers?: Record<string, string>) =>
    client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId } }, body, headers });

  it('refunds everything with no body: 201 succeeded refund, amountRefunded = amount, status stays succeeded', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, cardPayment(2500));
    const r = await refund(client, payment.id);
    expect(r.response.status).toBe(201);
    expect(r.data).toEqual({
      id: expect.stringMatching(/^re_[0-9A-Za-z]{24}$/),
      paymentId: payment.id,
      amount: 2500,
      currency: 'USD',
      status: 'succeeded',
      reason: null,
      metadata: {},
      createdAt: iso(clock.ms),
    });
    expect(await getPayment(client, payment.id)).toMatchObject({ status: 'succeeded', amountRefunded: 2500 });
    expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(0);
  });

  it('partial refund with reason and metadata, then the rest with {}', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, cardPayment(2500));
    const partial = await refund(client, payment.id, { amount: 1000, reason: 'requested_by_customer', metadata: { ticket: 'SUP-3318' } });
    expect(partial.response.status).toBe(201);
    expect(partial.data).toMatchObject({ paymentId: payment.id, amount: 1000, currency: 'USD', reason: 'requested_by_customer', metadata: { ticket: 'SUP-3318' } });
    expect(await getPayment(client, payment.id)).toMatchObject({ status: 'succeeded', amountRefunded: 1000 });
    expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(1500);

    const rest = await refund(client, payment.id, {});
    expect(rest.data).toMatchObject({ amount: 1500, reason: null });
    expect(rest.data!.id).not.toBe(partial.data!.id);
    expect(await getPayment(client, payment.id)).toMatchObject({ amountRefunded: 2500 });
  });

  it('refunds a mobile-money payment once it has settled', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, mobileMoneyPayment('airtel', PHONES.airtel.delayed, 20000));
    advance(11_000);
    const r = await refund(client, payment.id, { amount: 5000 });
    expect(r.response.status).toBe(201);
    expect(amountOf((await balanceOf(client)).available, 'UGX')).toBe(15000);
  });

  const invalid: Array<[label: string, body: unknown, pointer: string]> = [
    ['negative amount', { amount: -5 }, '/amount'],
    ['zero amount', { amount: 0 }, '/amount'],
    ['decimal amount', { amount: 10.5 }, '/amount'],
    ['unknown reason', { reason: 'changed_mind' }, '/reason'],
    ['unknown property', { amount: 100, currency: 'EUR' }, '/currency'],
  ];
  it.each(invalid)('400 invalid_request for a %s, pointing at the field; nothing refunded', async (_label, body, pointer) => {
    const { client } = await s.newMerchant();
    const payment = await pay(client);
    expectInvalidBody(await refund(client, payment.id, body as never), pointer);
    expect(await refundRows(s.deps.db, payment.id)).toHaveLength(0);
  });

  it('400 invalid_request for a malformed payment id', async () => {
    const { client } = await s.newMerchant();
    expectInvalidParameter(await refund(client, 'pay_!'), 'paymentId');
  });

  it('401 without a credential or with an unknown key; nothing refunded', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client);
    const params = { path: { paymentId: payment.id } };
    expectProblem(await s.anonymous().POST('/v1/payments/{paymentId}/refunds', { params, body: {} }), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).POST('/v1/payments/{paymentId}/refunds', { params, body: {} }), 401, 'unauthenticated');
    expect(await refundRows(s.deps.db, payment.id)).toHaveLength(0);
  });

  it('404 not_found for an unknown payment and for another merchant’s payment, which stays unrefunded', async () => {
    const { client: owner } = await s.newMerchant();
    const { client: other } = await s.newMerchant();
    const payment = await pay(owner);
    expectProblem(await refund(other, UNKNOWN_PAYMENT_ID), 404, 'not_found');
    expectProblem(await refund(other, payment.id, { amount: 100 }), 404, 'not_found');
    expect(await getPayment(owner, payment.id)).toMatchObject({ amountRefunded: 0 });
    expect(amountOf((await balanceOf(owner)).available, 'USD')).toBe(2500);
  });

  it('409 invalid_state for a payment that is pending, requires_action or failed', async () => {
    const { client } = await s.newMerchant();
    const pending = await pay(client, mobileMoneyPayment('mtn', PHONES.mtn.delayed));
    const challenged = await pay(client, cardPayment(2500, 'USD', CARDS.threeDSecure));
    const failed = await failedPayment(client);
    for (const payment of [pending, challenged, failed]) {
      expectProblem(await refund(client, payment.id), 409, 'invalid_state');
      expectProblem(await refund(client, payment.id, { amount: 100 }), 409, 'invalid_state');
      expect(await refundRows(s.deps.db, payment.id)).toHaveLength(0);
    }
  });

  it('409 idempotency_request_in_progress while the first refund with the key is still running', async () => {
    const { client, merchant } = await s.newMerchant();
    const payment = await pay(client);
    const key = newKey();
    const body = { amount: 500 };
    const path = `/v1/payments/${payment.id}/refunds`;
    await claimKeyInFlight(s.deps.db, { merchantId: merchant.merchantId, key, operationId: 'createRefund', path, body, at: new Date(clock.ms) });
    expectProblem(await refund(client, payment.id, body, { 'Idempotency-Key': key }), 409, 'idempotency_request_in_progress');
    expect(await refundRows(s.deps.db, payment.id)).toHaveLength(0);
  });

  it('415 unsupported_media_type for a body that is not application/json', async () => {
    const { client, merchant } = await s.newMerchant();
    const payment = await pay(client);
    const r = await asResult(await rawPost(s, `/v1/payments/${payment.id}/refunds`, merchant.apiKey, 'text/plain', '{"amount":100}'));
    expectProblem(r, 415, 'unsupported_media_type');
    expect(await refundRows(s.deps.db, payment.id)).toHaveLength(0);
  });

  it('422 refund_exceeds_payment above what remains (pointer /amount) and for a fully refunded payment', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, cardPayment(2500));
    const over = expectProblem(await refund(client, payment.id, { amount: 2501 }), 422, 'refund_exceeds_payment');
    expect(over.errors?.map((e) => e.pointer)).toContain('/amount');
    expect((await refund(client, payment.id, { amount: 2000 })).response.status).toBe(201);
    expectProblem(await refund(client, payment.id, { amount: 501 }), 422, 'refund_exceeds_payment');
    expect((await refund(client, payment.id)).data?.amount).toBe(500);
    expectProblem(await refund(client, payment.id), 422, 'refund_exceeds_payment');
    expectProblem(await refund(client, payment.id, { amount: 1 }), 422, 'refund_exceeds_payment');
    expect(await getPayment(client, payment.id)).toMatchObject({ amountRefunded: 2500 });
  });

  it('422 idempotency_key_reused for the same key with another amount; the first refund only', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client);
    const key = newKey();
    expect((await refund(client, payment.id, { amount: 100 }, { 'Idempotency-Key': key })).response.status).toBe(201);
    expectProblem(await refund(client, payment.id, { amount: 200 }, { 'Idempotency-Key': key }), 422, 'idempotency_key_reused');
    expect(await getPayment(client, payment.id)).toMatchObject({ amountRefunded: 100 });
  });

  it('429 rate_limited with Retry-After beyond the per-credential limit; the refused refund returns nothing', async () => {
    const { client } = await limited.newMerchant();
    let paymentId = '';
    const create = async () => {
      const r = await client.POST('/v1/payments', { body: cardPayment(2500) });
      paymentId = r.data!.id;
      return r;
    };
    const partial = () => refund(client, paymentId, { amount: 100 });
    await expectRateLimited([create, partial, partial], partial);
    expect(await refundRows(limited.deps.db, paymentId)).toHaveLength(2);
  });
});

describe('getPaymentInstructions', () => {
  const instructions = (client: TillpointClient, paymentId: string) =>
    client.GET('/v1/payments/{paymentId}/instructions', { params: { path: { paymentId } } });

  it.each(PROVIDERS)('pending %s mobile money: approve on the phone, with a USSD code and an expiry; then nothing left to do', async (provider) => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, mobileMoneyPayment(provider, PHONES[provider].delayed, 50000));
    const r = await instructions(client, payment.id);
    expect(r.response.status).toBe(200);
    const info = r.data!;
    expect(info).toMatchObject({ paymentId: payment.id, paymentMethodType: 'mobile_money', status: 'pending' });
    expect(info.title).toMatch(/\S/);
    expect(info.ussdCode).toMatch(/^\*[0-9*]+#$/);
    if (provider === 'mtn') expect(info.ussdCode).toBe('*165#');
    expect(info.steps.length).toBeGreaterThan(0);
    expect(info.steps.join(' ')).toContain(info.ussdCode!);
    // 50000 minor units: 50,000 UGX (no decimals), 500.00 KES (two decimals).
    expect(info.steps.join(' ')).toContain(PHONES[provider].currency === 'UGX' ? '50,000' : '500.00');
    expect(Date.parse(info.expiresAt!)).toBeGreaterThan(Date.parse(payment.createdAt));

    advance(11_000);
    const after = (await instructions(client, payment.id)).data!;
    expect(after).toMatchObject({ paymentId: payment.id, status: 'succeeded', ussdCode: null, expiresAt: null });
    expect(after.title).not.toBe(info.title);
  });

  it('requires_action card: complete the challenge at nextAction.redirectUrl', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, cardPayment(12000, 'EUR', CARDS.threeDSecure));
    const info = (await instructions(client, payment.id)).data!;
    expect(info).toMatchObject({ paymentId: payment.id, paymentMethodType: 'card', status: 'requires_action', ussdCode: null, expiresAt: null });
    expect(info.steps.join(' ')).toContain(payment.nextAction!.redirectUrl);
    expect(info.steps.join(' ')).toContain('120.00');
  });

  it('succeeded card: nothing left to do', async () => {
    const { client } = await s.newMerchant();
    const payment = await pay(client, cardPayment(2500));
    const info = (await instructions(client, payment.id)).data!;
    expect(info).toMatchObject({ paymentId: payment.id, paymentMethodType: 'card', status: 'succeeded', ussdCode: null, expiresAt: null });
    expect(info.steps.length).toBeGreaterThan(0);
    expect(info.steps.join(' ')).toContain('25.00');
  });

  it('failed payment: says it failed, nothing awaited', async () => {
    const { client } = await s.newMerchant();
    const payment = await failedPayment(client, mobileMoneyPayment('mpesa', PHONES.mpesa.fails));
    const info = (await instructions(client, payment.id)).data!;
    expect(info).toMatchObject({ paymentId: payment.id, paymentMethodType: 'mobile_money', status: 'failed', ussdCode: null, expiresAt: null });
    expect(info.steps.length).toBeGreaterThan(0);
  });

  it('400 invalid_request for a malformed payment id', async () => {
    const { client } = await s.newMerchant();
    expectInvalidParameter(await instructions(client, 'payment-1'), 'paymentId');
  });

  it('401 without a credential or with an unknown key', async () => {
    const params = { path: { paymentId: UNKNOWN_PAYMENT_ID } };
    expectProblem(await s.anonymous().GET('/v1/payments/{paymentId}/instructions', { params }), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).GET('/v1/payments/{paymentId}/instructions', { params }), 401, 'unauthenticated');
  });

  it('404 not_found for an unknown payment and for another merchant’s payment', async () => {
    const { client: owner } = await s.newMerchant();
    const { client: other } = await s.newMerchant();
    const payment = await pay(owner, mobileMoneyPayment('mtn', PHONES.mtn.delayed));
    expectProblem(await instructions(other, UNKNOWN_PAYMENT_ID), 404, 'not_found');
    expectProblem(await instructions(other, payment.id), 404, 'not_found');
  });

  it('429 rate_limited with Retry-After beyond the per-credential limit', async () => {
    const { client } = await limited.newMerchant();
    let paymentId = '';
    const create = async () => {
      const r = await client.POST('/v1/payments', { body: cardPayment() });
      paymentId = r.data!.id;
      return r;
    };
    const read = () => instructions(client, paymentId);
    await expectRateLimited([create, read, read], read);
  });
});

describe('getBalance', () => {
  it('a new merchant has nothing listed', async () => {
    const { client } = await s.newMerchant();
    const r = await client.GET('/v1/balance');
    expect(r.response.status).toBe(200);
    expect(r.data).toEqual({ available: [], pending: [] });
  });

  it('sums captured payments minus refunds per currency, pending apart, and ignores failures and other merchants', async () => {
    const { client } = await s.newMerchant();
    const { client: other } = await s.newMerchant();
    await pay(other, cardPayment(99900));
    await pay(client, cardPayment(2500));
    const usd = await pay(client, cardPayment(1000));
    await pay(client, cardPayment(7000, 'EUR'));
    await pay(client, mobileMoneyPayment('mtn', PHONES.mtn.succeeds, 3000));
    await pay(client, mobileMoneyPayment('mtn', PHONES.mtn.delayed, 40000));
    await pay(client, cardPayment(5000, 'USD', CARDS.threeDSecure));
    await failedPayment(client);
    expect((await client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: usd.id } }, body: { amount: 400 } })).response.status).toBe(201);

    const balance = await balanceOf(client);
    expect(amountOf(balance.available, 'USD')).toBe(2500 + 1000 - 400);
    expect(amountOf(balance.available, 'EUR')).toBe(7000);
    expect(amountOf(balance.available, 'UGX')).toBe(3000);
    expect(amountOf(balance.pending, 'UGX')).toBe(40000);
    expect(balance.available.map((m) => m.currency).sort()).toEqual(['EUR', 'UGX', 'USD']);
    expect(balance.pending.map((m) => m.currency)).toEqual(['UGX']);
  });

  it('a currency whose funds are back to zero is omitted', async () => {
    const { client } = await s.newMerchant();
    const usd = await pay(client, cardPayment(2500));
    await pay(client, cardPayment(3000, 'EUR'));
    expect((await client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: usd.id } } })).response.status).toBe(201);
    expect(await balanceOf(client)).toEqual({ available: [{ amount: 3000, currency: 'EUR' }], pending: [] });
  });

  it('401 without a credential or with an unknown key', async () => {
    expectProblem(await s.anonymous().GET('/v1/balance'), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).GET('/v1/balance'), 401, 'unauthenticated');
  });

  it('429 rate_limited with Retry-After beyond the per-credential limit', async () => {
    const { client } = await limited.newMerchant();
    const get = () => client.GET('/v1/balance');
    await expectRateLimited([get, get, get], get);
  });
});
