import { describe, expect, it, vi } from 'vitest';
import { createTillpointClient, TillpointError, unwrap, withRetries } from '../../client/index.ts';
import type { TillpointClientOptions } from '../../client/index.ts';

// ---------------------------------------------------------------------------------------------
// A fake API: no network. Every request is recorded (method, path, headers, body text) and
// answered by a handler, so tests can script token exchanges, failures and retries.
// ---------------------------------------------------------------------------------------------

interface Sent {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

type Reply = Response | Error | ((request: Request) => Response | Promise<Response>);

function fakeFetch(route: (request: Request, sent: Sent) => Reply | Promise<Reply>) {
  const sent: Sent[] = [];
  const fetch = vi.fn(async (request: Request): Promise<Response> => {
    const record: Sent = {
      method: request.method,
      path: new URL(request.url).pathname,
      headers: new Headers(request.headers),
      body: await request.text(), // consumes the body, as a real fetch does
    };
    sent.push(record);
    const reply = await route(request, record);
    if (reply instanceof Error) throw reply;
    return typeof reply === 'function' ? reply(request) : reply;
  });
  return { fetch, sent };
}

/** Answers the calls in order with `replies`; fails the test on an unexpected extra call. */
function inOrder(...replies: Array<() => Reply>) {
  let i = 0;
  return () => {
    const next = replies[i++];
    if (!next) throw new Error(`unexpected request #${i}`);
    return next();
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function problem(status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return new Response(
    JSON.stringify({
      type: `https://docs.tillpoint.dev/problems/${code}`,
      title: code.replace(/_/g, ' '),
      status,
      detail: `detail of ${code}`,
      code,
      requestId: 'req_problem',
      ...extra,
    }),
    { status, headers: { 'content-type': 'application/problem+json', 'x-request-id': 'req_problem', ...headers } },
  );
}

const tokenReply = (accessToken: string, expiresIn = 3600) =>
  json(200, { accessToken, tokenType: 'Bearer', expiresIn, merchantId: 'mer_1', merchantName: 'Acme' });

const balance = () => json(200, { available: [], pending: [] });

const session = () =>
  json(201, { id: 'cs_1', url: 'https://pay.tillpoint.dev/checkout/cs_1', status: 'open' });

const sessionBody = {
  amount: 2500,
  currency: 'USD',
  successUrl: 'https://shop.example.com/done?session={SESSION_ID}',
  cancelUrl: 'https://shop.example.com/cart',
};

function client(fetch: TillpointClientOptions['fetch'], options: Partial<TillpointClientOptions> = {}) {
  const sleep = vi.fn(async (_ms: number) => {});
  const tillpoint = createTillpointClient({
    baseUrl: 'http://api.test',
    apiKey: 'sk_test_key',
    fetch,
    retry: { sleep, random: () => 0.5 },
    ...options,
  });
  return { tillpoint, sleep };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// ---------------------------------------------------------------------------------------------

describe('README example', () => {
  it('creates a checkout session and unwraps it', async () => {
    const api = fakeFetch(inOrder(() => tokenReply('tok_1'), session));
    const tillpoint = createTillpointClient({
      baseUrl: 'http://api.test',
      apiKey: 'sk_test_key',
      apiSecret: 'ss_test_secret',
      fetch: api.fetch,
    });
    const created = unwrap(await tillpoint.POST('/v1/checkout/sessions', { body: sessionBody }));
    expect(created.url).toBe('https://pay.tillpoint.dev/checkout/cs_1');
    expect(api.sent.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /v1/auth/token', 'POST /v1/checkout/sessions']);
    expect(JSON.parse(api.sent[1]!.body)).toEqual(sessionBody);
    expect(api.sent[1]!.headers.get('content-type')).toBe('application/json');
  });
});

describe('authentication with an API key', () => {
  it('sends the key as x-api-key and no Authorization', async () => {
    const api = fakeFetch(balance);
    const { tillpoint } = client(api.fetch);
    await tillpoint.GET('/v1/balance');
    expect(api.sent).toHaveLength(1);
    expect(api.sent[0]!.headers.get('x-api-key')).toBe('sk_test_key');
    expect(api.sent[0]!.headers.has('authorization')).toBe(false);
  });

  it('sends a User-Agent with the application product token first, token exchange included', async () => {
    const api = fakeFetch((_req, s) => (s.path === '/v1/auth/token' ? tokenReply('tok_1') : balance()));
    const { tillpoint } = client(api.fetch, { userAgent: 'my-shop/2.1', apiSecret: 'ss_test_secret' });
    await tillpoint.GET('/v1/balance');
    expect(api.sent).toHaveLength(2);
    for (const s of api.sent) expect(s.headers.get('user-agent')).toMatch(/^my-shop\/2\.1 tillpoint-client\/\d/);
  });

  it('rejects a missing key at construction', () => {
    expect(() => createTillpointClient({ baseUrl: 'http://api.test', apiKey: '' })).toThrow(/apiKey/);
  });
});

describe('authentication with an API key and secret (createAccessToken)', () => {
  it('exchanges once for concurrent requests and sends the token as Bearer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const api = fakeFetch(async (_req, s) => {
      if (s.path === '/v1/auth/token') {
        await gate;
        return tokenReply('tok_1');
      }
      return balance();
    });
    const { tillpoint } = client(api.fetch, { apiSecret: 'ss_test_secret' });

    const calls = [tillpoint.GET('/v1/balance'), tillpoint.GET('/v1/balance'), tillpoint.GET('/v1/balance')];
    await vi.waitFor(() => expect(api.sent).toHaveLength(1));
    release();
    await Promise.all(calls);

    const exchanges = api.sent.filter((s) => s.path === '/v1/auth/token');
    expect(exchanges).toHaveLength(1);
    expect(JSON.parse(exchanges[0]!.body)).toEqual({ apiKey: 'sk_test_key', apiSecret: 'ss_test_secret' });
    const apiCalls = api.sent.filter((s) => s.path === '/v1/balance');
    expect(apiCalls).toHaveLength(3);
    for (const call of apiCalls) {
      expect(call.headers.get('authorization')).toBe('Bearer tok_1');
      expect(call.headers.has('x-api-key')).toBe(false);
    }
  });

  it('reuses the token until 60 s before expiry, then refreshes it', async () => {
    let now = 1_700_000_000_000;
    let issued = 0;
    const api = fakeFetch((_req, s) => (s.path === '/v1/auth/token' ? tokenReply(`tok_${++issued}`, 3600) : balance()));
    const { tillpoint } = client(api.fetch, { apiSecret: 'ss_test_secret', now: () => now });
    const bearer = async () => {
      await tillpoint.GET('/v1/balance');
      return api.sent.at(-1)!.headers.get('authorization');
    };

    expect(await bearer()).toBe('Bearer tok_1');
    now += 3_600_000 - 60_000 - 1; // 60.001 s left
    expect(await bearer()).toBe('Bearer tok_1');
    now += 2; // 59.999 s left
    expect(await bearer()).toBe('Bearer tok_2');
    expect(await bearer()).toBe('Bearer tok_2');
    expect(api.sent.filter((s) => s.path === '/v1/auth/token')).toHaveLength(2);
  });

  it('rejects with TillpointError when the exchange fails, without calling the API', async () => {
    const api = fakeFetch(() => problem(401, 'invalid_credentials'));
    const { tillpoint } = client(api.fetch, { apiSecret: 'wrong' });
    const error = await tillpoint.GET('/v1/balance').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TillpointError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_credentials' });
    expect(api.sent.map((s) => s.path)).toEqual(['/v1/auth/token']);
  });

  it('drops a token the API answers 401 to, and exchanges again on the next request', async () => {
    let issued = 0;
    const apiReplies = inOrder(() => problem(401, 'unauthenticated'), balance);
    const api = fakeFetch((_req, s) => (s.path === '/v1/auth/token' ? tokenReply(`tok_${++issued}`) : apiReplies()));
    const { tillpoint } = client(api.fetch, { apiSecret: 'ss_test_secret' });

    expect((await tillpoint.GET('/v1/balance')).response.status).toBe(401);
    expect((await tillpoint.GET('/v1/balance')).response.status).toBe(200);
    expect(api.sent.at(-1)!.headers.get('authorization')).toBe('Bearer tok_2');
  });
});

describe('Idempotency-Key', () => {
  it('is a UUID v4 on POST, different for each call, and absent on GET', async () => {
    const api = fakeFetch((req) => (req.method === 'POST' ? session() : balance()));
    const { tillpoint } = client(api.fetch);
    await tillpoint.POST('/v1/checkout/sessions', { body: sessionBody });
    await tillpoint.POST('/v1/checkout/sessions', { body: sessionBody });
    await tillpoint.GET('/v1/balance');

    const [first, second, get] = api.sent.map((s) => s.headers.get('idempotency-key'));
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(second).not.toBe(first);
    expect(get).toBeNull();
  });

  it('is identical on every retry, and the body is re-sent unchanged', async () => {
    const api = fakeFetch(
      inOrder(
        () => problem(503, 'internal_error'),
        () => new TypeError('fetch failed'),
        () => problem(409, 'idempotency_request_in_progress'),
        session,
      ),
    );
    const { tillpoint } = client(api.fetch);
    const result = await tillpoint.POST('/v1/checkout/sessions', { body: sessionBody });

    expect(result.response.status).toBe(201);
    expect(api.sent).toHaveLength(4);
    const keys = new Set(api.sent.map((s) => s.headers.get('idempotency-key')));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(UUID);
    for (const s of api.sent) expect(JSON.parse(s.body)).toEqual(sessionBody);
  });

  it('is sent only to operations that declare it in the contract (not rotateApiKey, createSandboxMerchant)', async () => {
    const api = fakeFetch(() => problem(503, 'internal_error'));
    const { tillpoint } = client(api.fetch);
    await tillpoint.POST('/v1/api-keys/rotate', { body: {} });
    await tillpoint.POST('/v1/sandbox/merchants', { body: { name: 'Acme' } });
    await tillpoint.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: 'pay_1' } }, body: {} });
    const byPath = api.sent.map((s) => [s.path, s.headers.get('idempotency-key') !== null]);
    // The two operations without the header are sent once despite the 503; the refund is retried.
    expect(byPath).toEqual([
      ['/v1/api-keys/rotate', false],
      ['/v1/sandbox/merchants', false],
      ...Array.from({ length: 4 }, () => ['/v1/payments/pay_1/refunds', true]),
    ]);
  });

  it('keeps a key given by the caller, across retries too', async () => {
    const api = fakeFetch(inOrder(() => problem(503, 'internal_error'), session));
    const { tillpoint } = client(api.fetch);
    await tillpoint.POST('/v1/checkout/sessions', {
      body: sessionBody,
      params: { header: { 'Idempotency-Key': 'order-42-attempt-1' } },
    });
    expect(api.sent.map((s) => s.headers.get('idempotency-key'))).toEqual(['order-42-attempt-1', 'order-42-attempt-1']);
  });
});

describe('retries', () => {
  it('retries a network error and returns the later success', async () => {
    const api = fakeFetch(inOrder(() => new TypeError('fetch failed'), balance));
    const { tillpoint, sleep } = client(api.fetch);
    const { data } = await tillpoint.GET('/v1/balance');
    expect(data).toEqual({ available: [], pending: [] });
    expect(api.sent).toHaveLength(2);
    expect(sleep).toHaveBeenCalledTimes(1);
  });

  it('waits Retry-After seconds on 429', async () => {
    const api = fakeFetch(inOrder(() => problem(429, 'rate_limited', {}, { 'retry-after': '2' }), balance));
    const { tillpoint, sleep } = client(api.fetch);
    expect((await tillpoint.GET('/v1/balance')).response.status).toBe(200);
    expect(sleep.mock.calls).toEqual([[2000]]);
  });

  it('caps Retry-After at maxDelayMs', async () => {
    const api = fakeFetch(inOrder(() => problem(429, 'rate_limited', {}, { 'retry-after': '120' }), balance));
    const { tillpoint, sleep } = client(api.fetch);
    await tillpoint.GET('/v1/balance');
    expect(sleep.mock.calls).toEqual([[8000]]);
  });

  it.each([500, 502, 503, 504])('retries %i', async (status) => {
    const api = fakeFetch(inOrder(() => problem(status, 'internal_error'), balance));
    const { tillpoint } = client(api.fetch);
    expect((await tillpoint.GET('/v1/balance')).response.status).toBe(200);
    expect(api.sent).toHaveLength(2);
  });

  it('retries 409 idempotency_request_in_progress but not 409 invalid_state', async () => {
    const inProgress = fakeFetch(inOrder(() => problem(409, 'idempotency_request_in_progress'), session));
    await client(inProgress.fetch).tillpoint.POST('/v1/checkout/sessions', { body: sessionBody });
    expect(inProgress.sent).toHaveLength(2);

    const invalidState = fakeFetch(() => problem(409, 'invalid_state'));
    const { tillpoint } = client(invalidState.fetch);
    const result = await tillpoint.POST('/v1/checkout/sessions/{sessionId}/expire', {
      params: { path: { sessionId: 'cs_1' } },
    });
    expect(result.response.status).toBe(409);
    expect(invalidState.sent).toHaveLength(1);
  });

  it.each([
    [400, 'invalid_request'],
    [401, 'unauthenticated'],
    [402, 'card_declined'],
    [404, 'not_found'],
    [422, 'idempotency_key_reused'],
  ])('does not retry %i %s', async (status, code) => {
    const api = fakeFetch(() => problem(status, code));
    const { tillpoint, sleep } = client(api.fetch);
    const result = await tillpoint.POST('/v1/checkout/sessions', { body: sessionBody });
    expect(result.response.status).toBe(status);
    expect(api.sent).toHaveLength(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('stops after maxRetries and returns the last response', async () => {
    let n = 0;
    const api = fakeFetch(() => problem(503, 'internal_error', { requestId: `req_${++n}` }));
    const { tillpoint } = client(api.fetch, { retry: { maxRetries: 2, sleep: async () => {} } });
    const result = await tillpoint.GET('/v1/balance');
    expect(api.sent).toHaveLength(3);
    expect(result.response.status).toBe(503);
    expect(() => unwrap(result)).toThrow(expect.objectContaining({ requestId: 'req_3' }));
  });

  it('rethrows the network error once retries are exhausted', async () => {
    const api = fakeFetch(() => new TypeError('fetch failed'));
    const { tillpoint } = client(api.fetch, { retry: { maxRetries: 1, sleep: async () => {} } });
    await expect(tillpoint.GET('/v1/balance')).rejects.toThrow('fetch failed');
    expect(api.sent).toHaveLength(2);
  });

  it('sends once with retry: false', async () => {
    const api = fakeFetch(() => problem(503, 'internal_error'));
    const { tillpoint } = client(api.fetch, { retry: false });
    expect((await tillpoint.GET('/v1/balance')).response.status).toBe(503);
    expect(api.sent).toHaveLength(1);
  });

  it('backs off exponentially with full jitter, capped at maxDelayMs', async () => {
    const delays = async (random: () => number) => {
      const sleep = vi.fn(async (_ms: number) => {});
      const api = fakeFetch(() => problem(503, 'internal_error'));
      const fetch = withRetries(api.fetch, { maxRetries: 5, baseDelayMs: 250, maxDelayMs: 1500, sleep, random });
      await fetch(new Request('http://api.test/v1/balance'));
      return sleep.mock.calls.map(([ms]) => ms);
    };
    expect(await delays(() => 0.999)).toEqual([249.75, 499.5, 999, 1498.5, 1498.5]);
    expect(await delays(() => 0.5)).toEqual([125, 250, 500, 750, 750]);
    expect(await delays(() => 0)).toEqual([0, 0, 0, 0, 0]);
  });

  it('never retries a POST without an Idempotency-Key', async () => {
    const api = fakeFetch(() => problem(503, 'internal_error'));
    const fetch = withRetries(api.fetch, { sleep: async () => {} });
    const response = await fetch(new Request('http://api.test/v1/payments', { method: 'POST', body: '{}' }));
    expect(response.status).toBe(503);
    expect(api.sent).toHaveLength(1);
  });

  it('never retries a POST to an operation without Idempotency-Key, even when one is sent', async () => {
    const api = fakeFetch(() => problem(503, 'internal_error'));
    const fetch = withRetries(api.fetch, { sleep: async () => {} });
    const request = new Request('http://api.test/v1/api-keys/rotate', { method: 'POST', body: '{}', headers: { 'idempotency-key': 'k1' } });
    expect((await fetch(request)).status).toBe(503);
    expect(api.sent).toHaveLength(1);
  });

  it('retries a POST with a key to an idempotent operation, under a base URL with a path prefix', async () => {
    const api = fakeFetch(inOrder(() => problem(503, 'internal_error'), session));
    const fetch = withRetries(api.fetch, { sleep: async () => {} });
    const request = new Request('http://api.test/gateway/v1/checkout/sessions', { method: 'POST', body: '{}', headers: { 'idempotency-key': 'k2' } });
    expect((await fetch(request)).status).toBe(201);
    expect(api.sent).toHaveLength(2);
  });

  it('retries a failed token exchange (it has no side effect)', async () => {
    const api = fakeFetch(
      inOrder(() => problem(503, 'internal_error'), () => tokenReply('tok_1'), balance),
    );
    const { tillpoint } = client(api.fetch, { apiSecret: 'ss_test_secret' });
    expect((await tillpoint.GET('/v1/balance')).response.status).toBe(200);
    expect(api.sent.map((s) => s.path)).toEqual(['/v1/auth/token', '/v1/auth/token', '/v1/balance']);
  });

  it('stops retrying when the request is aborted', async () => {
    const controller = new AbortController();
    const api = fakeFetch(() => problem(503, 'internal_error'));
    const { tillpoint } = client(api.fetch, {
      retry: { sleep: async () => controller.abort(new Error('caller gave up')) },
    });
    await expect(tillpoint.GET('/v1/balance', { signal: controller.signal })).rejects.toThrow('caller gave up');
    expect(api.sent).toHaveLength(1);
  });
});

describe('unwrap and TillpointError', () => {
  it('returns data on success', async () => {
    const api = fakeFetch(balance);
    const { tillpoint } = client(api.fetch);
    expect(unwrap(await tillpoint.GET('/v1/balance'))).toEqual({ available: [], pending: [] });
  });

  it('throws a TillpointError carrying status, code, requestId and a readable message', async () => {
    const api = fakeFetch(() =>
      problem(402, 'card_declined', {
        detail: 'The card issuer declined the payment.',
        requestId: 'req_7Hq2mXbP4cR9tLw1',
        paymentId: 'pay_1',
      }),
    );
    const { tillpoint } = client(api.fetch);
    const result = await tillpoint.POST('/v1/checkout/sessions', { body: sessionBody });
    let error: unknown;
    try {
      unwrap(result);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TillpointError);
    expect(error).toBeInstanceOf(Error);
    const e = error as TillpointError;
    expect(e.name).toBe('TillpointError');
    expect(e.status).toBe(402);
    expect(e.code).toBe('card_declined');
    expect(e.requestId).toBe('req_7Hq2mXbP4cR9tLw1');
    expect(e.problem?.paymentId).toBe('pay_1');
    expect(e.errors).toEqual([]);
    expect(e.message).toBe('402 card_declined: The card issuer declined the payment. (request req_7Hq2mXbP4cR9tLw1)');
  });

  it('exposes field errors of a 400 invalid_request', async () => {
    const errors = [
      { pointer: '/amount', detail: 'must be >= 1' },
      { parameter: 'limit', detail: 'must be <= 100' },
      { header: 'idempotency-key', detail: 'must not be empty' },
    ];
    const api = fakeFetch(() => problem(400, 'invalid_request', { detail: 'The request has 3 invalid inputs.', errors }));
    const { tillpoint } = client(api.fetch);
    const result = await tillpoint.POST('/v1/checkout/sessions', { body: sessionBody });
    const error = (() => {
      try {
        unwrap(result);
      } catch (e) {
        return e as TillpointError;
      }
      throw new Error('unwrap did not throw');
    })();
    expect(error.code).toBe('invalid_request');
    expect(error.errors).toEqual(errors);
    expect(error.message).toContain('/amount: must be >= 1');
    expect(error.message).toContain('parameter limit: must be <= 100');
    expect(error.message).toContain('header idempotency-key: must not be empty');
  });

  it('handles an error body that is not a problem (proxy HTML)', async () => {
    const api = fakeFetch(
      () =>
        new Response('<html><body>502 Bad Gateway</body></html>', {
          status: 502,
          headers: { 'content-type': 'text/html', 'x-request-id': 'req_proxy' },
        }),
    );
    const { tillpoint } = client(api.fetch, { retry: false });
    const result = await tillpoint.GET('/v1/balance');
    expect(() => unwrap(result)).toThrow(TillpointError);
    expect(() => unwrap(result)).toThrow(
      expect.objectContaining({ status: 502, code: 'unknown', problem: undefined, requestId: 'req_proxy', errors: [] }),
    );
    expect(() => unwrap(result)).toThrow(/^502 unknown: /);
  });

  it('handles an error with an empty body', async () => {
    const api = fakeFetch(() => new Response(null, { status: 404, headers: { 'content-length': '0' } }));
    const { tillpoint } = client(api.fetch);
    const result = await tillpoint.GET('/v1/balance');
    expect(() => unwrap(result)).toThrow(expect.objectContaining({ status: 404, code: 'unknown' }));
  });
});
