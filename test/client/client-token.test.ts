/**
 * The typed client with a client token of an application (`clientToken`): it is sent as
 * `Authorization: Bearer`, never combined with an API key, and a `403 insufficient_scope` surfaces
 * as a `TillpointError` naming the scopes to grant. Against a small node:http server that enforces
 * scopes the way the contract describes (RFC 6750 §3.1 challenge).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthMiddleware, createTillpointClient, TillpointError, unwrap } from '../../client/index.ts';

const TOKEN = 'ct_test_4Hq8Zr2Lw6Nc0Vb3Xs7Dk1Mf9Pa5Ty2E';

interface Seen {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
}

let server: Server;
let baseUrl: string;
const seen: Seen[] = [];
/** What the next scope failure looks like: full (body and header), body only, or header only. */
let mode: 'full' | 'body' | 'header' = 'full';

function problem(status: number, code: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ type: `https://docs.tillpoint.dev/problems/${code}`, title: code, status, code, requestId: 'req_scope', ...extra });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    const auth = req.headers.authorization;
    res.setHeader('x-request-id', 'req_scope');
    if (!auth) {
      res.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer realm="tillpoint"' });
      return res.end(problem(401, 'unauthenticated'));
    }
    if (auth !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/problem+json', 'www-authenticate': 'Bearer realm="tillpoint", error="invalid_token"' });
      return res.end(problem(401, 'unauthenticated'));
    }
    // The token holds payments.read only.
    if (req.method === 'GET' && req.url === '/v1/balance') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ available: [], pending: [] }));
    }
    const scopes = req.method === 'POST' && req.url === '/v1/payments' ? ['payments.create'] : ['checkout_sessions.create', 'checkout_sessions.read'];
    const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
    if (mode !== 'body') headers['www-authenticate'] = `Bearer realm="tillpoint", error="insufficient_scope", scope="${scopes.join(' ')}"`;
    res.writeHead(403, headers);
    res.end(problem(403, 'insufficient_scope', { detail: `This token lacks ${scopes.join(', ')}.`, ...(mode !== 'header' ? { requiredScopes: scopes } : {}) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

const paymentBody = { amount: 2500, currency: 'USD', paymentMethod: { type: 'card', card: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' } } } as never;

describe('createTillpointClient with a client token', () => {
  it('sends the token as Authorization: Bearer and no x-api-key, and the token exchange is never called', async () => {
    seen.length = 0;
    const tillpoint = createTillpointClient({ baseUrl, clientToken: TOKEN, retry: false });
    const balance = unwrap(await tillpoint.GET('/v1/balance'));
    expect(balance).toEqual({ available: [], pending: [] });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]!.headers['x-api-key']).toBeUndefined();
    expect(seen[0]!.path).toBe('/v1/balance');
  });

  it('refuses a client token together with an API key or secret, and no credential at all', () => {
    expect(() => createTillpointClient({ baseUrl, clientToken: TOKEN, apiKey: 'sk_test_key' })).toThrow(/either `clientToken` or `apiKey`/);
    expect(() => createTillpointClient({ baseUrl, clientToken: TOKEN, apiSecret: 'ss_test_secret' })).toThrow(/not both/);
    expect(() => createTillpointClient({ baseUrl })).toThrow(/`apiKey` \(or `clientToken`\) is required/);
    expect(() => createAuthMiddleware({ baseUrl, clientToken: TOKEN, apiKey: 'sk_test_key' })).toThrow(TypeError);
    expect(() => createAuthMiddleware({ baseUrl })).toThrow(TypeError);
  });

  it('a request that brings its own Authorization keeps it', async () => {
    seen.length = 0;
    const tillpoint = createTillpointClient({ baseUrl, clientToken: TOKEN, retry: false });
    const result = await tillpoint.GET('/v1/balance', { headers: { Authorization: 'Bearer ct_test_other' } });
    expect(result.response.status).toBe(401);
    expect(seen[0]!.headers.authorization).toBe('Bearer ct_test_other');
  });
});

describe('TillpointError for a 403 insufficient_scope', () => {
  const call = async () => {
    const tillpoint = createTillpointClient({ baseUrl, clientToken: TOKEN, retry: false });
    try {
      unwrap(await tillpoint.POST('/v1/payments', { body: paymentBody }));
    } catch (err) {
      return err as TillpointError;
    }
    throw new Error('expected a TillpointError');
  };

  it('exposes requiredScopes from the problem body, isInsufficientScope, and says so in the message', async () => {
    mode = 'full';
    const error = await call();
    expect(error).toBeInstanceOf(TillpointError);
    expect(error.status).toBe(403);
    expect(error.code).toBe('insufficient_scope');
    expect(error.isInsufficientScope).toBe(true);
    expect(error.requiredScopes).toEqual(['payments.create']);
    expect(error.wwwAuthenticate).toBe('Bearer realm="tillpoint", error="insufficient_scope", scope="payments.create"');
    expect(error.message).toMatch(/^403 insufficient_scope: This token lacks payments\.create\. \(requires scope payments\.create\) \(request req_scope\)$/);
  });

  it('falls back to scope="…" of WWW-Authenticate when the body does not list them (several scopes)', async () => {
    mode = 'header';
    const tillpoint = createTillpointClient({ baseUrl, clientToken: TOKEN, retry: false });
    const result = await tillpoint.GET('/v1/checkout/sessions');
    const error = TillpointError.fromResponse(result.error, result.response);
    expect(error.isInsufficientScope).toBe(true);
    expect(error.requiredScopes).toEqual(['checkout_sessions.create', 'checkout_sessions.read']);
  });

  it('reads the body alone when there is no challenge header', async () => {
    mode = 'body';
    const error = await call();
    expect(error.wwwAuthenticate).toBeUndefined();
    expect(error.isInsufficientScope).toBe(true);
    expect(error.requiredScopes).toEqual(['payments.create']);
  });

  it('is not an insufficient scope for other errors: an invalid token (401) names no scope', async () => {
    const tillpoint = createTillpointClient({ baseUrl, clientToken: 'ct_test_revoked', retry: false });
    const result = await tillpoint.GET('/v1/balance');
    const error = TillpointError.fromResponse(result.error, result.response);
    expect(error.status).toBe(401);
    expect(error.isInsufficientScope).toBe(false);
    expect(error.requiredScopes).toEqual([]);
    expect(error.wwwAuthenticate).toContain('error="invalid_token"');
  });

  it('built directly: quoted-string escapes, a 403 with another code, and garbage in requiredScopes', () => {
    const challenge = 'Bearer realm="tillpoint", error="insufficient_scope", scope="a.read \\"b\\".write"';
    expect(new TillpointError(403, undefined, undefined, challenge).requiredScopes).toEqual(['a.read', '"b".write']);
    expect(new TillpointError(403, undefined, undefined, challenge).isInsufficientScope).toBe(true);
    const forbidden = { type: 'about:blank', title: 'Forbidden', status: 403, code: 'forbidden', requestId: 'req_1' } as never;
    expect(new TillpointError(403, forbidden).isInsufficientScope).toBe(false);
    expect(new TillpointError(403, forbidden).requiredScopes).toEqual([]);
    const odd = { type: 'about:blank', title: 'x', status: 403, code: 'insufficient_scope', requestId: 'req_1', requiredScopes: [1, '', 'events.read'] } as never;
    expect(new TillpointError(403, odd).requiredScopes).toEqual(['events.read']);
    expect(new TillpointError(401, odd).isInsufficientScope).toBe(false);
  });
});
