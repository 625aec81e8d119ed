/**
 * The Prism mock that frontend teams point their apps at (`npm run mock`): started here on the
 * bundled spec, exactly as documented, and asked for one operation of each family. A frontend
 * team relies on it answering with a documented status and the spec's own example, and on it
 * refusing a secured operation without credentials, as the real server does.
 *
 * The examples themselves are checked against their schemas by `npm run lint`
 * (`no-invalid-media-type-examples` is an error), so equal to the example means valid.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrism, type RunningPrism } from '../support/prism.ts';

const root = resolve(import.meta.dirname, '../..');
const SPEC_FILE = 'generated/openapi.yaml';

type Json = Record<string, unknown>;
interface MediaType {
  example?: unknown;
  examples?: Record<string, { value?: unknown; $ref?: string }>;
}
interface ResponseObject {
  $ref?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  security?: unknown[];
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, ResponseObject>;
}

const spec = parse(readFileSync(resolve(root, SPEC_FILE), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: Json;
};

/** Follows a local `#/…` JSON pointer in the bundled spec. */
function deref<T>(value: T & { $ref?: string }): T {
  if (!value.$ref) return value;
  const target = value.$ref
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node as Json)[key], spec);
  return deref(target as T & { $ref?: string });
}

/** The operation with this operationId, with its path and method. */
function operation(operationId: string): Operation & { path: string; method: string } {
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op?.operationId === operationId) return { ...op, path, method: method.toUpperCase() };
    }
  }
  throw new Error(`operationId ${operationId} is not in ${SPEC_FILE}`);
}

/** The documented examples of one response (or request) media type, by name (`default` for a lone `example`). */
function examplesOf(media: MediaType | undefined): Record<string, unknown> {
  if (!media) return {};
  if (media.example !== undefined) return { default: media.example };
  return Object.fromEntries(Object.entries(media.examples ?? {}).map(([name, ex]) => [name, deref(ex).value]));
}

function documentedResponse(op: Operation, status: number): ResponseObject {
  const response = op.responses[String(status)];
  expect(response, `${op.operationId} documents status ${status}`).toBeDefined();
  return deref(response!);
}

/** Asserts the response is documented for the operation and its body is one of that response's examples. */
async function expectDocumented(op: Operation, res: Response, status: number, exampleName?: string): Promise<unknown> {
  expect(res.status).toBe(status);
  const documented = documentedResponse(op, status);
  const [mediaType, media] = Object.entries(documented.content ?? {})[0] ?? [];
  expect(mediaType, `${op.operationId} ${status} has a body`).toBeDefined();
  expect(res.headers.get('content-type')).toMatch(new RegExp(`^${mediaType!.replace('+', '\\+')}\\b`));
  for (const header of Object.keys(documented.headers ?? {})) {
    if (header !== 'Idempotent-Replayed') expect(res.headers.get(header), `header ${header}`).not.toBeNull();
  }
  const body = await res.json();
  const examples = examplesOf(media);
  expect(Object.keys(examples).length).toBeGreaterThan(0);
  if (exampleName) expect(body).toEqual(examples[exampleName]);
  else expect(Object.values(examples)).toContainEqual(body);
  return body;
}

function requestExample(op: Operation, name?: string): unknown {
  const examples = examplesOf(op.requestBody?.content['application/json']);
  return name ? examples[name] : Object.values(examples)[0];
}

let prism: RunningPrism;
let base: string;

beforeAll(async () => {
  prism = await startPrism(SPEC_FILE);
  base = prism.url;
}, 40_000);

afterAll(async () => {
  await prism?.close();
});

const API_KEY = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc9Xb2Mn5Q';

function call(op: Operation & { path: string; method: string }, init: { path?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...init.headers };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${base}${init.path ?? op.path}`, {
    method: op.method,
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

describe('Prism mock on the bundled spec', () => {
  it('auth: createAccessToken answers 200 with the documented token example', async () => {
    const op = operation('createAccessToken');
    expect(op.security).toEqual([]);
    const res = await call(op, { body: requestExample(op) });
    const body = (await expectDocumented(op, res, 200)) as Json;
    expect(body.tokenType).toBe('Bearer');
  });

  it('checkout-sessions: createCheckoutSession answers 201 with a documented session example', async () => {
    const op = operation('createCheckoutSession');
    const res = await call(op, { headers: { 'x-api-key': API_KEY }, body: requestExample(op, 'amount') });
    const body = (await expectDocumented(op, res, 201)) as Json;
    expect(body.status).toBe('open');

    // A frontend can ask for a specific documented example.
    const lines = await call(op, {
      headers: { 'x-api-key': API_KEY, Prefer: 'example=lineItems' },
      body: requestExample(op, 'lineItems'),
    });
    await expectDocumented(op, lines, 201, 'lineItems');
  });

  it('checkout-sessions: an invalid body is rejected with a documented problem, not an example session', async () => {
    const op = operation('createCheckoutSession');
    const res = await call(op, { headers: { 'x-api-key': API_KEY }, body: { currency: 'USD', amount: 2500 } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(Object.keys(op.responses)).toContain(String(res.status));
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as Json).status).toBe(res.status);
  });

  it('payments: getPayment answers 200 with the documented payment example, with a key or a bearer token', async () => {
    const op = operation('getPayment');
    const path = op.path.replace('{paymentId}', 'pay_3kTq9ZmX2bW7nR4vL8cY1dPa');
    await expectDocumented(op, await call(op, { path, headers: { 'x-api-key': API_KEY } }), 200);
    await expectDocumented(op, await call(op, { path, headers: { Authorization: `Bearer ${API_KEY}` } }), 200);
  });

  it('sandbox: createSandboxMerchant is open without credentials and answers 201 with the documented merchant', async () => {
    const op = operation('createSandboxMerchant');
    expect(op.security).toEqual([]);
    const body = (await expectDocumented(op, await call(op, { body: requestExample(op) }), 201)) as Json;
    expect(body.apiKey).toMatch(/^sk_test_/);
  });

  it('a secured operation without credentials is 401 with the documented problem', async () => {
    const getPayment = operation('getPayment');
    // The global apiKey / bearerAuth alternatives, plus a client token with its scope.
    expect(getPayment.security).toEqual([{ apiKey: [] }, { bearerAuth: [] }, { clientToken: ['payments.read'] }]);
    const res = await call(getPayment, { path: getPayment.path.replace('{paymentId}', 'pay_3kTq9ZmX2bW7nR4vL8cY1dPa') });
    const body = (await expectDocumented(getPayment, res, 401)) as Json;
    expect(body.code).toBe('unauthenticated');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);

    const create = operation('createCheckoutSession');
    const denied = await call(create, { body: requestExample(create, 'amount') });
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as Json).code).toBe('unauthenticated');
  });
});
