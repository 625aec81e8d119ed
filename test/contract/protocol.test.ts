/**
 * Protocol conventions every route follows (DESIGN.md, "Conventions"): request ids, rate-limit
 * headers, RFC 9457 problem details, strict query parameters, no 5xx for bad input, and the
 * self-contained docs and bundled spec served by the reference server.
 *
 * One server for the file, with an authenticated rate limit of 20 requests per minute per
 * credential so that the 429 case is cheap; every test uses its own merchant.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { TillpointClient } from '../../client/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectProblem } from '../support/problems.ts';
import { describeErrors, fillPath, loadSpec, operationsOf, schemaValidator, SPEC_PATH } from './openapi.ts';

const doc = loadSpec();
const operations = operationsOf(doc);
const validator = schemaValidator(doc);

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ rateLimitAuthenticated: 20 });
});
afterAll(async () => s?.close());

const sessionBody = { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/ok', cancelUrl: 'https://shop.example.com/cart' };

/** A response and its parsed body (JSON when it is JSON, else the text). */
interface Answer {
  response: Response;
  body: unknown;
}

/** From a typed-client result (whose body openapi-fetch has already read). */
function answer(result: { response: Response; data?: unknown; error?: unknown }): Answer {
  return { response: result.response, body: result.error ?? result.data };
}

/** From raw fetch. */
async function rawAnswer(path: string, init?: RequestInit): Promise<Answer> {
  const response = await s.raw(path, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { response, body };
}

async function merchant(): Promise<{ key: string; clientId: string; client: TillpointClient }> {
  const m = await s.newMerchant();
  return { key: m.merchant.apiKey, clientId: m.merchant.clientId, client: m.client };
}

/** Asserts the headers every response carries, and that it is not a 5xx. */
function expectProtocolHeaders(response: Response) {
  expect(response.status).toBeLessThan(500);
  expect(response.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
  const limit = Number(response.headers.get('x-ratelimit-limit'));
  const remaining = Number(response.headers.get('x-ratelimit-remaining'));
  const reset = Number(response.headers.get('x-ratelimit-reset'));
  for (const [name, value] of [
    ['x-ratelimit-limit', limit],
    ['x-ratelimit-remaining', remaining],
    ['x-ratelimit-reset', reset],
  ] as const) {
    expect(Number.isInteger(value) && value >= 0, `${name}: ${response.headers.get(name)}`).toBe(true);
  }
  expect(remaining).toBeLessThanOrEqual(limit);
  // Unix time in seconds (not milliseconds).
  expect(reset).toBeGreaterThan(1_000_000_000);
  expect(reset).toBeLessThan(100_000_000_000);
}

/**
 * Asserts an RFC 9457 problem answer (test/support/problems.ts) whose body also validates
 * against the contract's `Problem` schema and whose `type` is an http(s) URI.
 */
function expectDocumentedProblem({ response, body }: Answer, code: string) {
  const problem = expectProblem({ response, error: body }, response.status, code);
  const errors = validator.errorsAt('/components/schemas/Problem', body);
  expect(errors, describeErrors(errors)).toEqual([]);
  expect(new URL(problem.type).protocol).toMatch(/^https?:$/);
}

describe('every response', () => {
  type Case = [name: string, status: number, code: string | null, send: () => Promise<Answer>];
  const cases: Case[] = [
    ['success (200)', 200, null, async () => answer(await (await merchant()).client.GET('/v1/checkout/sessions'))],
    ['creation (201)', 201, null, async () => answer(await (await merchant()).client.POST('/v1/checkout/sessions', { body: sessionBody }))],
    ['public route (201)', 201, null, async () => answer(await s.anonymous().POST('/v1/sandbox/merchants', { body: { name: 'Protocol' } }))],
    [
      'invalid body (400)',
      400,
      'invalid_request',
      async () => answer(await (await merchant()).client.POST('/v1/checkout/sessions', { body: { ...sessionBody, expiresIn: 10 } })),
    ],
    ['no credential (401)', 401, 'unauthenticated', async () => answer(await s.anonymous().GET('/v1/checkout/sessions'))],
    ['unknown route (404)', 404, 'not_found', async () => rawAnswer('/v1/no-such-route', { headers: { 'x-api-key': (await merchant()).key } })],
    [
      'unknown object (404)',
      404,
      'not_found',
      async () =>
        answer(await (await merchant()).client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: `cs_${'A'.repeat(24)}` } } })),
    ],
    ['method not allowed (405)', 405, 'method_not_allowed', async () => rawAnswer('/v1/checkout/sessions', { method: 'DELETE', headers: { 'x-api-key': (await merchant()).key } })],
    [
      'unsupported media type (415)',
      415,
      'unsupported_media_type',
      async () =>
        rawAnswer('/v1/checkout/sessions', { method: 'POST', headers: { 'x-api-key': (await merchant()).key, 'content-type': 'text/plain' }, body: 'amount=2500' }),
    ],
    [
      'malformed JSON (400)',
      400,
      'malformed_json',
      async () =>
        rawAnswer('/v1/checkout/sessions', {
          method: 'POST',
          headers: { 'x-api-key': (await merchant()).key, 'content-type': 'application/json' },
          body: '{"amount": 2500, "currency": "USD",',
        }),
    ],
    [
      'body over 100 kB (400)',
      400,
      'invalid_request',
      async () =>
        rawAnswer('/v1/checkout/sessions', {
          method: 'POST',
          headers: { 'x-api-key': (await merchant()).key, 'content-type': 'application/json' },
          body: JSON.stringify({ ...sessionBody, description: 'x'.repeat(120_000) }),
        }),
    ],
    [
      'rate limited (429)',
      429,
      'rate_limited',
      async () => {
        const { client } = await merchant();
        const first = await client.GET('/v1/checkout/sessions');
        const limit = Number(first.response.headers.get('x-ratelimit-limit'));
        expect(limit).toBeGreaterThan(0);
        expect(limit).toBeLessThanOrEqual(100); // this server is configured with 20
        for (let i = 1; i < limit; i++) expect((await client.GET('/v1/checkout/sessions')).response.status).toBe(200);
        return answer(await client.GET('/v1/checkout/sessions'));
      },
    ],
  ];

  it.each(cases)('%s carries X-Request-Id and X-RateLimit-* headers', async (_name, status, code, send) => {
    const result = await send();
    expect(result.response.status).toBe(status);
    expectProtocolHeaders(result.response);
    if (code) expectDocumentedProblem(result, code);
    if (status === 429) {
      expect(Number(result.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(result.response.headers.get('x-ratelimit-remaining')).toBe('0');
    }
    if (status === 405) {
      // The methods the contract defines on the path.
      const defined = operations.filter((o) => o.path === '/v1/checkout/sessions').map((o) => o.method);
      const allow = (result.response.headers.get('allow') ?? '').split(',').map((m) => m.trim().toLowerCase()).filter(Boolean);
      expect(allow.sort()).toEqual(defined.sort());
    }
  });

  it('is also true of the docs page, the spec and the hosted pages', async () => {
    const { client } = await merchant();
    const session = (await client.POST('/v1/checkout/sessions', { body: sessionBody })).data!;
    for (const path of ['/docs', '/openapi.yaml', new URL(session.url).pathname, '/checkout/cs_unknown']) {
      const response = await s.raw(path, { redirect: 'manual' });
      expectProtocolHeaders(response);
      await response.arrayBuffer();
    }
  });
});

describe('X-Request-Id', () => {
  it('echoes a well-formed id sent by the caller, also in problem bodies', async () => {
    const { client } = await merchant();
    const requestId = `trace-${crypto.randomUUID()}`;
    const ok = await client.GET('/v1/checkout/sessions', { headers: { 'X-Request-Id': requestId } });
    expect(ok.response.headers.get('x-request-id')).toBe(requestId);

    const failed = await client.GET('/v1/checkout/sessions', { params: { query: { limit: 0 } }, headers: { 'X-Request-Id': `${requestId}-2` } });
    expect(failed.response.headers.get('x-request-id')).toBe(`${requestId}-2`);
    expect(failed.error?.requestId).toBe(`${requestId}-2`);
  });

  it('replaces a malformed id with one of its own', async () => {
    const { client } = await merchant();
    for (const bad of ['short', 'has spaces in it', 'x'.repeat(129), '<script>alert(1)</script>']) {
      const { response } = await client.GET('/v1/checkout/sessions', { headers: { 'X-Request-Id': bad } });
      const id = response.headers.get('x-request-id');
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
    }
  });

  it('differs between requests that do not send one', async () => {
    const { client } = await merchant();
    const a = await client.GET('/v1/checkout/sessions');
    const b = await client.GET('/v1/checkout/sessions');
    expect(a.response.headers.get('x-request-id')).not.toBe(b.response.headers.get('x-request-id'));
  });
});

describe('query parameters', () => {
  const gets = operations.filter((op) => op.method === 'get' && !op.isPublic);

  it.each(gets.map((op) => [op.operationId, op] as const))('%s rejects an unknown query parameter with 400 naming it', async (_name, op) => {
    const { key, clientId } = await merchant();
    // X-Client-Id too (the merchant's default application), for the operations that require it: only the query is wrong.
    const result = await rawAnswer(`${fillPath(doc, op)}?unexpectedParam=1`, { headers: { 'x-api-key': key, 'x-client-id': clientId } });
    expect(result.response.status).toBe(400);
    expectProtocolHeaders(result.response);
    expectDocumentedProblem(result, 'invalid_request');
    expect((result.body as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ parameter: 'unexpectedParam' })]);
  });

  const lists = operations.filter((op) => op.parameters.some((p) => p.in === 'query' && p.name === 'limit'));

  it.each(lists.map((op) => [op.operationId, op] as const))('%s accepts limit 1 to 100 and rejects 0 and 101 with 400', async (_name, op) => {
    const { key, clientId } = await merchant();
    const get = (limit: string) => rawAnswer(`${fillPath(doc, op)}?limit=${limit}`, { headers: { 'x-api-key': key, 'x-client-id': clientId } });
    for (const limit of ['0', '101', '-1', 'ten']) {
      const result = await get(limit);
      expect(result.response.status, `limit=${limit}`).toBe(400);
      expectDocumentedProblem(result, 'invalid_request');
      expect((result.body as { errors: unknown[] }).errors).toEqual([expect.objectContaining({ parameter: 'limit' })]);
    }
    // A list under an object (listWebhookDeliveries) is filled with an example id that names no
    // object of this fresh merchant: past validation, the answer is then 404, not 400.
    const valid = op.parameters.some((p) => p.in === 'path') ? 404 : 200;
    for (const limit of ['1', '100']) expect((await get(limit)).response.status, `limit=${limit}`).toBe(valid);
  });

  it('derives its cases from the contract', () => {
    expect(gets.map((op) => op.operationId)).toEqual(expect.arrayContaining(['listCheckoutSessions', 'getCheckoutSession']));
    expect(lists.map((op) => op.operationId)).toEqual(expect.arrayContaining(['listCheckoutSessions']));
  });
});

describe('documentation', () => {
  it('serves a self-contained HTML docs page at /docs that renders offline', async () => {
    const response = await s.raw('/docs');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('Tillpoint API');
    // No external scripts, stylesheets or fonts: everything is inlined.
    const external = /^(https?:)?\/\//i;
    const scriptSrcs = [...html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!);
    expect(scriptSrcs.filter((src) => external.test(src))).toEqual([]);
    const links = [...html.matchAll(/<link\b[^>]*\bhref\s*=\s*["']?([^"'\s>]+)[^>]*>/gi)].filter((m) => /stylesheet|preload|font/i.test(m[0]));
    expect(links.map((m) => m[1]!).filter((href) => external.test(href))).toEqual([]);
  });

  it('serves the bundled contract at /openapi.yaml', async () => {
    const response = await s.raw('/openapi.yaml');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/yaml/);
    const text = await response.text();
    expect(text).toBe(readFileSync(SPEC_PATH, 'utf8'));
    const served = parse(text) as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
    expect(served.openapi).toMatch(/^3\.1\./);
    expect(served.info.title).toBe('Tillpoint API');
    expect(Object.keys(served.paths)).toEqual(Object.keys(doc.paths));
  });
});
