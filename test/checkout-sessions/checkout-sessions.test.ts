/**
 * Checkout-sessions family: createCheckoutSession, listCheckoutSessions, getCheckoutSession,
 * expireCheckoutSession, and the hosted page a customer pays on (`/checkout/{id}`).
 *
 * One server for the file with a clock the tests move forward (sessions expiring, distinct
 * creation times), plus a small second server whose rate limit is 3 requests per minute for the
 * 429 case. Every test uses its own merchants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTillpointClient, unwrap, type components, type TillpointClient } from '../../client/index.ts';
import { createMerchant } from '../../server/auth/service.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';

type CreateBody = components['schemas']['CreateCheckoutSessionRequest'];
type Session = components['schemas']['CheckoutSession'];

/** The main server runs on the system clock plus what the tests advance; `limited` allows 3 requests per minute per credential. */
const { server: s, limited, clock } = useTestServer({ clock: 'system', rateLimit: 3 });
const advanceClock = clock.advanceSeconds;

const SUCCESS_URL = 'https://shop.example.com/thanks?session={SESSION_ID}&step=done';
const CANCEL_URL = 'https://shop.example.com/cart';

function body(overrides: Partial<CreateBody> = {}): CreateBody {
  return { amount: 2500, currency: 'USD', successUrl: SUCCESS_URL, cancelUrl: CANCEL_URL, ...overrides };
}

async function createSession(client: TillpointClient, overrides: Partial<CreateBody> = {}): Promise<Session> {
  return unwrap(await client.POST('/v1/checkout/sessions', { body: body(overrides) }));
}

async function getSession(client: TillpointClient, sessionId: string): Promise<Session> {
  return unwrap(await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId } } }));
}

/** A well-formed session id that no merchant has. */
const unknownSessionId = () => `cs_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`;

/** Submits the hosted page's card form, as a browser would, without following the redirect. */
function payOnHostedPage(sessionId: string, cardNumber = '4242424242424242'): Promise<Response> {
  return s.raw(`/checkout/${sessionId}/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ cardNumber, expiry: '12/30', cvc: '123' }).toString(),
    redirect: 'manual',
  });
}

/** Opens the hosted page, without following a redirect. */
function openHostedPage(session: Session): Promise<Response> {
  return s.raw(new URL(session.url).pathname, { redirect: 'manual' });
}

/** The successUrl a customer of `session` is sent to. */
const successTarget = (session: Session) => session.successUrl.replaceAll('{SESSION_ID}', session.id);

/** Asserts a 400 invalid_request whose errors point at exactly `pointers` (any of them for `oneOf`). */
function expectInvalid(result: { error?: unknown; response: Response }, field: 'pointer' | 'parameter', expected: string[], oneOf = false) {
  expect(result.response.status).toBe(400);
  const problem = result.error as { code?: string; errors?: Record<string, string>[] };
  expect(problem.code).toBe('invalid_request');
  const got = (problem.errors ?? []).map((e) => e[field]);
  if (oneOf) {
    expect(got.length).toBeGreaterThan(0);
    for (const g of got) expect(expected).toContain(g);
  } else {
    expect(got.sort()).toEqual([...expected].sort());
  }
}

describe('createCheckoutSession', () => {
  it('creates an open session for an amount, echoing what was given', async () => {
    const { client } = await s.newMerchant();
    const { data, response } = await client.POST('/v1/checkout/sessions', {
      body: body({
        description: 'Order ORD-1042',
        customerEmail: 'amara@example.com',
        expiresIn: 1800,
        metadata: { orderId: 'ORD-1042', channel: 'web' },
      }),
    });
    expect(response.status).toBe(201);
    const session = data!;
    expect(session).toMatchObject({
      status: 'open',
      amount: 2500,
      currency: 'USD',
      lineItems: [],
      description: 'Order ORD-1042',
      customerEmail: 'amara@example.com',
      successUrl: SUCCESS_URL, // the {SESSION_ID} placeholder is kept as given
      cancelUrl: CANCEL_URL,
      completedAt: null,
      paymentId: null,
      metadata: { orderId: 'ORD-1042', channel: 'web' },
    });
    expect(session.id).toMatch(/^cs_[0-9A-Za-z]{24}$/);
    expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBe(1800 * 1000);
    expect(await getSession(client, session.id)).toEqual(session);
  });

  it('points url at the hosted page /checkout/{id}, which shows the order', async () => {
    const { client } = await s.newMerchant('Hosted Page Roasters');
    const session = await createSession(client, { description: 'Order <ORD-7>' });
    const url = new URL(session.url);
    expect(url.pathname).toBe(`/checkout/${session.id}`);
    expect(url.origin).toBe(new URL(s.deps.config.publicBaseUrl).origin);

    const page = await openHostedPage(session);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('Hosted Page Roasters');
    expect(html).toContain('Order &lt;ORD-7&gt;'); // escaped, not injected
    expect(html).toContain(`action="/checkout/${session.id}/pay"`);
  });

  it('expires one hour after creation by default, with empty optional fields', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    expect(Date.parse(session.expiresAt) - Date.parse(session.createdAt)).toBe(3600 * 1000);
    expect(session).toMatchObject({ description: null, customerEmail: null, metadata: {}, lineItems: [] });
  });

  it('computes the total from lineItems', async () => {
    const { client } = await s.newMerchant();
    const lineItems = [
      { name: 'Ethiopian Yirgacheffe, 250 g', quantity: 2, unitAmount: 25000 },
      { name: 'Ceramic pour-over dripper', quantity: 1, unitAmount: 45000 },
    ];
    const { amount: _omit, ...withoutAmount } = body();
    const { data, response } = await client.POST('/v1/checkout/sessions', { body: { ...withoutAmount, currency: 'UGX', lineItems } });
    expect(response.status).toBe(201);
    expect(data).toMatchObject({ amount: 95000, currency: 'UGX', lineItems });

    const cents = await client.POST('/v1/checkout/sessions', {
      body: { ...withoutAmount, lineItems: [{ name: 'Beans', quantity: 3, unitAmount: 1999 }, { name: 'Filter', quantity: 1, unitAmount: 1 }] },
    });
    expect(cents.data!.amount).toBe(5998);
  });

  it('rejects invalid input with 400 and a pointer to each field, creating nothing', async () => {
    const { merchant, client } = await s.newMerchant();
    const { amount: _omit, ...noAmount } = body();
    const cases: [string, CreateBody, string[], boolean?][] = [
      ['expiresIn below 300', body({ expiresIn: 299 }), ['/expiresIn']],
      ['expiresIn above 24 h', body({ expiresIn: 86401 }), ['/expiresIn']],
      ['both amount and lineItems', body({ lineItems: [{ name: 'Beans', quantity: 1, unitAmount: 2500 }] }), ['/amount', '/lineItems'], true],
      ['neither amount nor lineItems', noAmount, ['/amount', '/lineItems'], true],
      ['successUrl without scheme', body({ successUrl: 'shop.example.com/thanks' }), ['/successUrl']],
      ['successUrl without host', body({ successUrl: 'https://' }), ['/successUrl']],
      ['cancelUrl with a javascript: scheme', body({ cancelUrl: 'javascript:alert(1)' }), ['/cancelUrl']],
      ['unknown currency', body({ currency: 'XYZ' }), ['/currency']],
      ['lowercase currency', body({ currency: 'usd' }), ['/currency']],
      ['invalid customerEmail', body({ customerEmail: 'not-an-email' }), ['/customerEmail']],
      ['line item with quantity 0', { ...noAmount, lineItems: [{ name: 'Beans', quantity: 0, unitAmount: 2500 }] }, ['/lineItems/0/quantity']],
      ['negative amount', body({ amount: -100 }), ['/amount']],
    ];
    for (const [name, invalid, pointers, oneOf] of cases) {
      const result = await client.POST('/v1/checkout/sessions', { body: invalid });
      try {
        expectInvalid(result, 'pointer', pointers, oneOf);
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message} — got ${JSON.stringify(result.error)}`);
      }
    }
    const unknownProperty = await s.raw('/v1/checkout/sessions', {
      method: 'POST',
      headers: { 'x-api-key': merchant.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body(), amountInDollars: 25 }),
    });
    expect(unknownProperty.status).toBe(400);
    expect((await unknownProperty.json()).errors).toEqual([expect.objectContaining({ pointer: '/amountInDollars' })]);

    expect(unwrap(await client.GET('/v1/checkout/sessions')).data).toEqual([]);
  });

  it('rejects a total below the currency minimum with 422 amount_too_small', async () => {
    const { client } = await s.newMerchant();
    const tooSmall = await client.POST('/v1/checkout/sessions', { body: body({ amount: 49 }) });
    expect(tooSmall.response.status).toBe(422);
    expect(tooSmall.error).toMatchObject({ code: 'amount_too_small' });
    expect(tooSmall.error?.errors).toEqual([expect.objectContaining({ pointer: '/amount' })]);

    const { amount: _omit, ...noAmount } = body();
    const smallLines = await client.POST('/v1/checkout/sessions', {
      body: { ...noAmount, currency: 'UGX', lineItems: [{ name: 'Sticker', quantity: 1, unitAmount: 1999 }] },
    });
    expect(smallLines.response.status).toBe(422);
    expect(smallLines.error).toMatchObject({ code: 'amount_too_small' });

    expect((await client.POST('/v1/checkout/sessions', { body: body({ amount: 50 }) })).response.status).toBe(201);
  });

  it('replays the same session for a retry with the same Idempotency-Key, 422 for another body', async () => {
    const { client } = await s.newMerchant();
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    const first = await client.POST('/v1/checkout/sessions', { body: body(), headers });
    const retry = await client.POST('/v1/checkout/sessions', { body: body(), headers });
    expect(first.response.status).toBe(201);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.data).toEqual(first.data);

    const reused = await client.POST('/v1/checkout/sessions', { body: body({ amount: 9900 }), headers });
    expect(reused.response.status).toBe(422);
    expect(reused.error).toMatchObject({ code: 'idempotency_key_reused' });

    expect(unwrap(await client.GET('/v1/checkout/sessions')).data.map((x) => x.id)).toEqual([first.data!.id]);
  });

  it('creates one session for concurrent duplicates; the others replay it or get 409', async () => {
    const { client } = await s.newMerchant();
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    const results = await Promise.all(Array.from({ length: 5 }, () => client.POST('/v1/checkout/sessions', { body: body(), headers })));
    const ids = new Set<string>();
    for (const r of results) {
      if (r.response.status === 201) ids.add(r.data!.id);
      else {
        expect(r.response.status).toBe(409);
        expect(r.error).toMatchObject({ code: 'idempotency_request_in_progress' });
      }
    }
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.response.status === 201 && r.response.headers.get('idempotent-replayed') !== 'true')).toHaveLength(1);
    expect(unwrap(await client.GET('/v1/checkout/sessions')).data.map((x) => x.id)).toEqual([...ids]);
  });

  it('rejects a request without credentials with 401', async () => {
    const { error, response } = await s.anonymous().POST('/v1/checkout/sessions', { body: body() });
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ code: 'unauthenticated' });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const { merchant, client } = await s.newMerchant();
    const response = await s.raw('/v1/checkout/sessions', {
      method: 'POST',
      headers: { 'x-api-key': merchant.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ amount: '2500', currency: 'USD', successUrl: SUCCESS_URL, cancelUrl: CANCEL_URL }).toString(),
    });
    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('unsupported_media_type');
    expect(unwrap(await client.GET('/v1/checkout/sessions')).data).toEqual([]);
  });

  it('answers 429 rate_limited with Retry-After beyond the per-credential limit, creating nothing more', async () => {
    const { merchant, client } = await limited.newMerchant();
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await client.POST('/v1/checkout/sessions', { body: body() });
      expect(r.response.status).toBe(201);
      remaining.push(r.response.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const over = await client.POST('/v1/checkout/sessions', { body: body() });
    expect(over.response.status).toBe(429);
    expect(over.error).toMatchObject({ code: 'rate_limited', status: 429 });
    const retryAfter = Number(over.response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(over.error?.retryAfter).toBe(retryAfter);
    expect(over.response.headers.get('x-ratelimit-limit')).toBe('3');

    // The budget is the API key's: an access token issued for it shares it, so minting tokens
    // (or respelling one) buys no extra requests. Another merchant has its own budget.
    const { accessToken } = unwrap(await limited.anonymous().POST('/v1/auth/token', { body: { apiKey: merchant.apiKey, apiSecret: merchant.apiSecret } }));
    const viaToken = await limited.raw('/v1/checkout/sessions', { headers: { authorization: `Bearer ${accessToken}` } });
    expect(viaToken.status).toBe(429);
    const other = await limited.newMerchant();
    const list = await other.client.GET('/v1/checkout/sessions', {});
    expect(list.response.status).toBe(200);
    expect(list.data?.data).toHaveLength(0);
  });
});

describe('listCheckoutSessions', () => {
  it('lists newest first and paginates with cursors, visiting every session exactly once', async () => {
    const { client } = await s.newMerchant();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      created.push((await createSession(client, { metadata: { n: String(i) } })).id);
      advanceClock(1);
    }
    const seen: string[] = [];
    const hasMore: boolean[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = unwrap(await client.GET('/v1/checkout/sessions', { params: { query: { limit: 3, ...(cursor ? { cursor } : {}) } } }));
      expect(result.data.length).toBeLessThanOrEqual(3);
      seen.push(...result.data.map((x) => x.id));
      hasMore.push(result.hasMore);
      if (!result.hasMore) {
        expect(result.nextCursor).toBeNull();
        break;
      }
      expect(result.nextCursor).toEqual(expect.any(String));
      cursor = result.nextCursor!;
    }
    expect(hasMore).toEqual([true, true, false]);
    expect(seen).toEqual([...created].reverse());
  });

  it('filters by status, also across pages', async () => {
    const { client } = await s.newMerchant();
    const open1 = await createSession(client);
    const toExpire = await createSession(client);
    const toPay = await createSession(client);
    const open2 = await createSession(client);
    unwrap(await client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId: toExpire.id } } }));
    expect((await payOnHostedPage(toPay.id)).status).toBe(303);

    const ids = async (status: 'open' | 'complete' | 'expired') =>
      unwrap(await client.GET('/v1/checkout/sessions', { params: { query: { status } } })).data.map((x) => x.id).sort();
    expect(await ids('open')).toEqual([open1.id, open2.id].sort());
    expect(await ids('expired')).toEqual([toExpire.id]);
    expect(await ids('complete')).toEqual([toPay.id]);

    const first = unwrap(await client.GET('/v1/checkout/sessions', { params: { query: { status: 'open', limit: 1 } } }));
    expect(first.hasMore).toBe(true);
    const second = unwrap(
      await client.GET('/v1/checkout/sessions', { params: { query: { status: 'open', limit: 1, cursor: first.nextCursor! } } }),
    );
    expect(second.hasMore).toBe(false);
    expect([...first.data, ...second.data].map((x) => x.id).sort()).toEqual([open1.id, open2.id].sort());
  });

  it('filters by creation time: createdGte inclusive, createdLt exclusive', async () => {
    const { client } = await s.newMerchant();
    const older = await createSession(client);
    advanceClock(5);
    const middle = await createSession(client);
    advanceClock(5);
    const newer = await createSession(client);
    const list = async (query: { createdGte?: string; createdLt?: string }) =>
      unwrap(await client.GET('/v1/checkout/sessions', { params: { query } })).data.map((x) => x.id);
    expect(await list({ createdGte: middle.createdAt })).toEqual([newer.id, middle.id]);
    expect(await list({ createdLt: middle.createdAt })).toEqual([older.id]);
    expect(await list({ createdGte: middle.createdAt, createdLt: newer.createdAt })).toEqual([middle.id]);
  });

  it('rejects invalid query parameters with 400 naming the parameter', async () => {
    const { merchant, client } = await s.newMerchant();
    expectInvalid(await client.GET('/v1/checkout/sessions', { params: { query: { limit: 0 } } }), 'parameter', ['limit']);
    expectInvalid(await client.GET('/v1/checkout/sessions', { params: { query: { limit: 101 } } }), 'parameter', ['limit']);
    expectInvalid(await client.GET('/v1/checkout/sessions', { params: { query: { cursor: 'not-a-cursor' } } }), 'parameter', ['cursor']);
    expectInvalid(await client.GET('/v1/checkout/sessions', { params: { query: { createdGte: 'yesterday' } } }), 'parameter', ['createdGte']);
    const badStatus = await s.raw('/v1/checkout/sessions?status=paid', { headers: { 'x-api-key': merchant.apiKey } });
    expect(badStatus.status).toBe(400);
    expect((await badStatus.json()).errors).toEqual([expect.objectContaining({ parameter: 'status' })]);
  });

  it('rejects a request without credentials with 401', async () => {
    const { error, response } = await s.anonymous().GET('/v1/checkout/sessions');
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ code: 'unauthenticated' });
  });
});

describe('getCheckoutSession', () => {
  it('returns the session as created', async () => {
    const { client } = await s.newMerchant();
    const created = await createSession(client, { metadata: { cart: 'c_1' } });
    const { data, response } = await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: created.id } } });
    expect(response.status).toBe(200);
    expect(data).toEqual(created);
  });

  it('answers 400 naming sessionId for a malformed id', async () => {
    const { client } = await s.newMerchant();
    expectInvalid(await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: 'cs_123' } } }), 'parameter', ['sessionId']);
    expectInvalid(await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: `pay_${'a'.repeat(24)}` } } }), 'parameter', [
      'sessionId',
    ]);
  });

  it('answers 404 for an unknown id and for another merchant’s session', async () => {
    const { client } = await s.newMerchant();
    const { client: other } = await s.newMerchant();
    const theirs = await createSession(other);
    for (const sessionId of [unknownSessionId(), theirs.id]) {
      const { error, response } = await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId } } });
      expect(response.status).toBe(404);
      expect(error).toMatchObject({ code: 'not_found' });
    }
  });

  it('rejects a request without credentials with 401', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    const { response } = await s.anonymous().GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: session.id } } });
    expect(response.status).toBe(401);
  });

  it('reports an open session past expiresAt as expired; its hosted page sends the customer to cancelUrl', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client, { expiresIn: 300 });
    expect((await getSession(client, session.id)).status).toBe('open');
    advanceClock(301);

    const expired = await getSession(client, session.id);
    expect(expired).toEqual({ ...session, status: 'expired' });

    const page = await openHostedPage(session);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(CANCEL_URL);

    // It can no longer be paid: the form also sends the customer to cancelUrl, and no payment is made.
    const pay = await payOnHostedPage(session.id);
    expect(pay.status).toBe(303);
    expect(pay.headers.get('location')).toBe(CANCEL_URL);
    expect(unwrap(await client.GET('/v1/payments', { params: { query: { checkoutSessionId: session.id } } })).data).toEqual([]);
    expect((await getSession(client, session.id)).status).toBe('expired');

    const listed = unwrap(await client.GET('/v1/checkout/sessions', { params: { query: { status: 'expired' } } }));
    expect(listed.data.map((x) => x.id)).toEqual([session.id]);
  });
});

describe('expireCheckoutSession', () => {
  it('expires an open session; its hosted page then sends the customer to cancelUrl', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    const { data, response } = await client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId: session.id } } });
    expect(response.status).toBe(200);
    expect(data).toEqual({ ...session, status: 'expired' });
    expect(await getSession(client, session.id)).toEqual(data);

    const page = await openHostedPage(session);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(CANCEL_URL);
  });

  it('returns an already expired session with 200, unchanged', async () => {
    const { client } = await s.newMerchant();
    const expire = (sessionId: string) => client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId } } });

    const manual = await createSession(client);
    const first = await expire(manual.id);
    const again = await expire(manual.id);
    expect(again.response.status).toBe(200);
    expect(again.data).toEqual(first.data);

    const timedOut = await createSession(client, { expiresIn: 300 });
    advanceClock(301);
    const afterTimeout = await expire(timedOut.id);
    expect(afterTimeout.response.status).toBe(200);
    expect(afterTimeout.data).toEqual({ ...timedOut, status: 'expired' });
  });

  it('answers 409 invalid_state for a complete session, which stays complete', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    const paid = await payOnHostedPage(session.id);
    expect(paid.status).toBe(303);
    const complete = await getSession(client, session.id);
    expect(complete.status).toBe('complete');

    const { error, response } = await client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId: session.id } } });
    expect(response.status).toBe(409);
    expect(error).toMatchObject({ code: 'invalid_state' });
    expect(await getSession(client, session.id)).toEqual(complete);
  });

  it('answers 404 for an unknown id and for another merchant’s session, which stays open', async () => {
    const { client } = await s.newMerchant();
    const { client: other } = await s.newMerchant();
    const theirs = await createSession(other);
    for (const sessionId of [unknownSessionId(), theirs.id]) {
      const { error, response } = await client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId } } });
      expect(response.status).toBe(404);
      expect(error).toMatchObject({ code: 'not_found' });
    }
    expect((await getSession(other, theirs.id)).status).toBe('open');
  });

  it('answers 400 naming sessionId for a malformed id', async () => {
    const { client } = await s.newMerchant();
    expectInvalid(await client.POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId: 'nope' } } }), 'parameter', [
      'sessionId',
    ]);
  });

  it('rejects a request without credentials with 401, leaving the session open', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    const { response } = await s.anonymous().POST('/v1/checkout/sessions/{sessionId}/expire', { params: { path: { sessionId: session.id } } });
    expect(response.status).toBe(401);
    expect((await getSession(client, session.id)).status).toBe('open');
  });
});

describe('paying on the hosted page', () => {
  it('completes the session with a succeeded payment carrying the session id and metadata', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client, {
      amount: 4200,
      description: 'Order ORD-2001',
      customerEmail: 'amara@example.com',
      metadata: { orderId: 'ORD-2001' },
    });

    const pay = await payOnHostedPage(session.id);
    expect(pay.status).toBe(303);
    expect(pay.headers.get('location')).toBe(`https://shop.example.com/thanks?session=${session.id}&step=done`);

    const complete = await getSession(client, session.id);
    expect(complete.status).toBe('complete');
    expect(complete.paymentId).toMatch(/^pay_[0-9A-Za-z]{24}$/);
    expect(complete.completedAt).not.toBeNull();
    expect(complete.successUrl).toBe(SUCCESS_URL);

    const payment = unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: complete.paymentId! } } }));
    expect(payment).toMatchObject({
      status: 'succeeded',
      amount: 4200,
      currency: 'USD',
      checkoutSessionId: session.id,
      description: 'Order ORD-2001',
      metadata: { orderId: 'ORD-2001' },
    });
    expect(JSON.stringify(payment)).not.toContain('4242424242424242');
  });

  it('sends a returning customer to successUrl and never charges twice', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    expect((await payOnHostedPage(session.id)).status).toBe(303);

    const page = await openHostedPage(session);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(successTarget(session));

    const again = await payOnHostedPage(session.id);
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(successTarget(session));
    const payments = unwrap(await client.GET('/v1/payments', { params: { query: { checkoutSessionId: session.id } } }));
    expect(payments.data).toHaveLength(1);
  });

  it('keeps the session open after a declined card, and completes it with the next card', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    const declined = await payOnHostedPage(session.id, '4000000000000002');
    expect(declined.status).toBe(402);
    expect(await declined.text()).toContain('declined');
    expect(await getSession(client, session.id)).toMatchObject({ status: 'open', paymentId: null });

    expect((await payOnHostedPage(session.id)).status).toBe(303);
    const complete = await getSession(client, session.id);
    const attempts = unwrap(await client.GET('/v1/payments', { params: { query: { checkoutSessionId: session.id } } })).data;
    expect(attempts.map((p) => p.status).sort()).toEqual(['failed', 'succeeded']);
    expect(complete.paymentId).toBe(attempts.find((p) => p.status === 'succeeded')!.id);
  });

  it('runs the 3-D Secure challenge: approving completes the session, failing lets the customer retry', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    const challenge = async () => {
      const pay = await payOnHostedPage(session.id, '4000002760003184');
      expect(pay.status).toBe(303);
      const location = pay.headers.get('location') ?? '';
      expect(location).toMatch(/\/authenticate\/pay_[0-9A-Za-z]{24}$/);
      expect(await getSession(client, session.id)).toMatchObject({ status: 'open', paymentId: null });
      return new URL(location, s.url).pathname;
    };
    const decide = (path: string, decision: 'approve' | 'fail') =>
      s.raw(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ decision }).toString(),
        redirect: 'manual',
      });

    const failed = await decide(await challenge(), 'fail');
    expect(failed.status).toBe(303);
    expect(new URL(failed.headers.get('location') ?? '', s.url).pathname).toBe(`/checkout/${session.id}`);
    expect((await getSession(client, session.id)).status).toBe('open');

    const approvedPath = await challenge();
    const approved = await decide(approvedPath, 'approve');
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe(successTarget(session));
    const complete = await getSession(client, session.id);
    expect(complete.status).toBe('complete');
    expect(complete.paymentId).toBe(approvedPath.split('/').pop());
  });

  it('sends a customer who cancels to cancelUrl and leaves the session open', async () => {
    const { client } = await s.newMerchant();
    const session = await createSession(client);
    const cancel = await s.raw(`/checkout/${session.id}/cancel`, { redirect: 'manual' });
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get('location')).toBe(CANCEL_URL);
    expect((await getSession(client, session.id)).status).toBe('open');
  });

  it('charges the line-item total', async () => {
    const { client } = await s.newMerchant();
    const { amount: _omit, ...noAmount } = body();
    const session = unwrap(
      await client.POST('/v1/checkout/sessions', { body: { ...noAmount, lineItems: [{ name: 'Beans', quantity: 3, unitAmount: 1250 }] } }),
    );
    expect((await payOnHostedPage(session.id)).status).toBe(303);
    const { paymentId } = await getSession(client, session.id);
    const payment = unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: paymentId! } } }));
    expect(payment).toMatchObject({ amount: 3750, status: 'succeeded' });
  });
});

describe('createCheckoutSession on a live server', () => {
  let live: TestServer;
  beforeAll(async () => {
    live = await startTestServer({ mode: 'live' });
  });
  afterAll(async () => live?.close());

  it('accepts only https redirect URLs, so a payer is never sent to a plain-http page', async () => {
    const merchant = await createMerchant(live.deps, 'Live Roasters');
    expect(merchant.apiKey).toMatch(/^sk_live_/);
    const client = createTillpointClient({ baseUrl: live.url, apiKey: merchant.apiKey, retry: false });
    const body = { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/ok?s={SESSION_ID}', cancelUrl: 'https://shop.example.com/cart' };
    expect((await client.POST('/v1/checkout/sessions', { body })).response.status).toBe(201);
    const plain = await client.POST('/v1/checkout/sessions', { body: { ...body, cancelUrl: 'http://shop.example.com/cart' } });
    expect(plain.response.status).toBe(400);
    expect(plain.error?.errors).toEqual([{ pointer: '/cancelUrl', detail: 'must be an https URL on a live server' }]);
  });
});
