/**
 * The scope checks of client tokens (checks/scopes.ts) against the real contract and the
 * reference server (issue 9):
 *
 * - derivation: the `clientToken` scheme, each operation's scopes (as generated/operations.ts
 *   has them) and the token-issuing operation (createClientToken) are read from the bundled spec;
 * - against the reference server, with the tokens the suite creates itself (sandbox merchant →
 *   createApplication → createClientToken): every scope check runs and passes on every operation
 *   listing clientToken, and key-only operations refuse a client token with every scope;
 * - behind a proxy injecting scope faults into the reference server's answers, each fault is
 *   reported on the right operation and check, and nothing else fails;
 * - with `--client-token`/`--client-token-scopes` (a token created on the reference server), the
 *   checks use that token for what it covers, and others created through the contract.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../generated/operations.ts';
import { parseCli } from './cli.ts';
import { lackingScope, satisfiesScopes } from './context.ts';
import { PAYER_TOKEN } from './checks/positive.ts';
import { parseChallenge } from './checks/scopes.ts';
import { checkOf } from './fixtures.ts';
import { renderJUnit, renderText, type ConformanceReport } from './report.ts';
import { runConformance, type ConformanceOptions } from './runner.ts';
import { DEFAULT_SPEC_PATH, loadConformanceSpec } from './spec.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

type OperationId = keyof typeof OPERATIONS;
const FACTS = Object.entries(OPERATIONS) as [OperationId, (typeof OPERATIONS)[OperationId]][];
/** Operations a client token may call (with their scopes), and secured ones only the secret key may. */
const LISTING = FACTS.filter(([, f]) => f.scopes.length > 0).map(([id]) => id);
const KEY_ONLY = FACTS.filter(([, f]) => !f.public && f.scopes.length === 0).map(([id]) => id);
const ALL_SCOPES = [...new Set(FACTS.flatMap(([, f]) => f.scopes))].sort();
/** Operations that act for a registered payer (`x-payer-scopes`): they also need the payer's OAuth access token. */
const PAYER_OPERATIONS = new Set<string>(loadConformanceSpec().operations.filter((o) => o.payerScopes).map((o) => o.id));

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

const failedChecks = (report: ConformanceReport) =>
  report.operations.flatMap((o) => o.checks.filter((c) => c.status === 'failed').map((c) => `${o.operationId} ${c.name}`)).sort();

const run = (baseUrl: string, extra: Partial<ConformanceOptions> = {}) => runConformance({ baseUrl, requests: 60, seed: 5, coverageThreshold: 0, ...extra });

describe('derivation from the bundled contract', () => {
  const spec = loadConformanceSpec();

  it('finds the clientToken scheme and the token-issuing operation, createClientToken', () => {
    expect(spec.clientToken?.scheme).toBe('clientToken');
    expect(spec.securitySchemes.clientToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(spec.clientToken?.issuer?.op.id).toBe('createClientToken');
    expect(spec.clientToken?.issuer).toMatchObject({ scopesProperty: 'scopes', tokenProperty: 'token' });
    expect(spec.clientToken?.exampleToken).toMatch(/^ct_test_[A-Za-z0-9]+$/);
    expect(spec.clientToken?.scopes).toEqual(ALL_SCOPES);
  });

  it('gives each operation the scopes of generated/operations.ts', () => {
    expect(spec.operations.map((o) => o.id).sort()).toEqual(FACTS.map(([id]) => id).sort());
    expect(LISTING.length).toBeGreaterThan(10);
    expect(KEY_ONLY).toEqual(expect.arrayContaining(['rotateApiKey', 'createApplication', 'createClientToken', 'listApplications', 'advanceSandboxClock']));
    for (const [id, facts] of FACTS) {
      const op = spec.operations.find((o) => o.id === id)!;
      expect(op.isPublic, id).toBe(facts.public);
      expect(op.clientTokenScopes, id).toEqual(facts.scopes.length > 0 ? [[...facts.scopes]] : undefined);
    }
  });

  it('picks, for a token that must lack an operation’s scopes, a scope of the other operations', () => {
    const all = ['events.read', 'payments.create', 'payments.read', 'refunds.create'];
    expect(lackingScope(all, [['payments.create']])).toBe('events.read');
    expect(lackingScope(all, [['events.read'], ['payments.read']])).toBe('payments.create');
    // Every scope named by the operation: one that does not satisfy a requirement alone.
    expect(lackingScope(['a', 'b'], [['a', 'b']])).toBe('a');
    expect(lackingScope(['a'], [['a']])).toBeUndefined();
    expect(satisfiesScopes(['payments.*'], [['payments.read']])).toBe(true);
    expect(satisfiesScopes(['*'], [['x.y', 'z.w']])).toBe(true);
    expect(satisfiesScopes(['payments.read'], [['payments.read', 'events.read']])).toBe(false);
  });

  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="tillpoint", error="insufficient_scope", scope="payments.create payments.read"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'tillpoint', error: 'insufficient_scope', scope: 'payments.create payments.read' },
    });
    expect(parseChallenge('Bearer realm="a \\"b\\"",error=invalid_token')).toEqual({ scheme: 'bearer', params: { realm: 'a "b"', error: 'invalid_token' } });
    expect(parseChallenge('')).toBeUndefined();
    expect(parseChallenge(undefined)).toBeUndefined();
  });

  it('the CLI takes --client-token and --client-token-scopes', () => {
    const cli = parseCli(['--base-url', 'http://x', '--api-key', 'sk_test_1', '--client-token', 'ct_test_abc', '--client-token-scopes', 'payments.read, events.read']);
    expect(cli !== 'help' && cli.options).toMatchObject({ clientToken: 'ct_test_abc', clientTokenScopes: ['payments.read', 'events.read'] });
    expect(() => parseCli(['--base-url', 'http://x', '--client-token-scopes', 'a'])).toThrow(/needs --client-token/);
  });
});

describe('against the reference server, with the tokens the suite creates', () => {
  let report: ConformanceReport;
  beforeAll(async () => {
    report = await run(server.url, { operations: [...LISTING, ...KEY_ONLY] });
  }, 180_000);

  it('passes every check', () => {
    expect(report.summary.failed, renderText(report)).toBe(0);
    expect(report.notes.join('\n')).not.toMatch(/client-token scheme|issuing client tokens/);
  });

  it('on every operation listing clientToken: lacking scope → 403 insufficient_scope naming it, with it → through, forged → 401 invalid_token', () => {
    for (const id of LISTING) {
      const scopes = OPERATIONS[id].scopes.join(' ');
      // Acting for a registered payer (x-payer-scopes) also needs the payer's OAuth access token,
      // which only their consent in a browser issues (test/oauth covers it): exactly that n/a.
      const actsForPayer = PAYER_OPERATIONS.has(id);
      for (const name of ['security.insufficient-scope', 'security.scope-granted', 'security.client-token-invalid']) {
        const c = checkOf(report, id, name);
        if (actsForPayer && name === 'security.scope-granted') {
          expect(c.status, `${id} ${name}: ${c.summary}`).toBe('not_applicable');
          expect(c.summary, `${id} ${name}`).toMatch(new RegExp(`^needs ${PAYER_TOKEN}: `));
          continue;
        }
        expect(c.status, `${id} ${name}: ${c.summary}`).toBe('passed');
        expect(c.requests, `${id} ${name}`).toBeGreaterThan(0);
      }
      expect(checkOf(report, id, 'security.insufficient-scope').summary).toMatch(new RegExp(`^403 insufficient_scope for a token with [a-z_.]+, naming ${scopes.replace(/\./g, '\\.')}$`));
      expect(checkOf(report, id, 'security.insufficient-scope').summary).not.toContain(`with ${scopes},`);
      // Through means neither 401 nor 403: a business answer such as 409 (e.g. the endpoint cap) is the operation's own.
      if (!actsForPayer) expect(checkOf(report, id, 'security.scope-granted').summary).toMatch(new RegExp(`^(?!40[13])\\d{3} for a token with ${scopes.replace(/\./g, '\\.')}$`));
      expect(checkOf(report, id, 'security.client-token-invalid').summary).toBe('401 invalid_token for 2 forged client tokens');
      // The refusal check is for the operations that do not list the scheme.
      expect(checkOf(report, id, 'security.client-token-refused').summary).toBe('accepts client tokens (its security lists clientToken)');
    }
    expect(checkOf(report, 'createPayment', 'security.scope-granted').summary).toBe('201 for a token with payments.create');
    expect(checkOf(report, 'getPayment', 'security.scope-granted').summary).toBe('200 for a token with payments.read');
  });

  it('on every key-only operation (applications, rotateApiKey, advanceSandboxClock): a client token with every scope → 403', () => {
    for (const id of KEY_ONLY) {
      const c = checkOf(report, id, 'security.client-token-refused');
      expect(c.status, `${id}: ${c.summary}`).toBe('passed');
      expect(c.summary).toBe(`403 for a client token with ${ALL_SCOPES.join(' ')}`);
      for (const name of ['security.insufficient-scope', 'security.scope-granted', 'security.client-token-invalid']) {
        expect(checkOf(report, id, name).summary, `${id} ${name}`).toMatch(/^does not accept client tokens/);
      }
    }
  });

  it('observes the 403s (status coverage) and shows the checks in the reports', () => {
    expect(report.operations.find((o) => o.operationId === 'createPayment')!.statuses.observed).toContain(403);
    expect(report.operations.find((o) => o.operationId === 'rotateApiKey')!.statuses.observed).toContain(403);
    expect(renderText(report)).toMatch(/no-scope\s+scope-ok\s+ct-refused\s+ct-invalid/);
    expect(renderJUnit(report)).toContain('<testcase classname="createPayment" name="security.insufficient-scope">');
  });
});

// ---------------------------------------------------------------------------------------------
// Fault injection: a proxy in front of the reference server (in the manner of faulty.test.ts)
// ---------------------------------------------------------------------------------------------

interface FaultProxy {
  url: string;
  /** createClientToken calls: the scopes asked for and the status answered. */
  issued: { scopes: string[]; status: number }[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Forwards to the reference server and injects four scope faults, each on requests carrying a
 * client token (`Authorization: Bearer ct_…`) only, so that no other check sees them:
 *
 * 1. createPayment: a 403 insufficient_scope loses `requiredScopes` and the challenge's `scope=`;
 * 2. listApplications (key-only): a 403 for a client token is replaced by the answer to the
 *    request forwarded with the API key of the merchant that created the token;
 * 3. getBalance: the 401 for a forged client token loses `error="invalid_token"`;
 * 4. getPayment: a client token the server lets through gets a 403 insufficient_scope instead.
 */
async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const issued: FaultProxy['issued'] = [];
  const owners = new Map<string, Record<string, string>>(); // client token → the credential that created it

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
    const send = (h: Record<string, string>) => fetch(`${upstream}${req.url}`, { method: req.method, headers: h, body: body.length > 0 ? new Uint8Array(body) : undefined });
    let answer = await send(headers);
    let status = answer.status;
    let text = await answer.text();
    const out = new Map<string, string>();
    answer.headers.forEach((value, name) => out.set(name, value));
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const token = /^Bearer (ct_\S+)$/.exec(headers.authorization ?? '')?.[1];

    if (req.method === 'POST' && /^\/v1\/applications\/[^/]+\/tokens$/.test(path)) {
      const asked = (JSON.parse(body.toString('utf8')) as { scopes?: string[] }).scopes ?? [];
      issued.push({ scopes: [...asked].sort(), status });
      const minted = status === 201 ? (JSON.parse(text) as { token?: string }).token : undefined;
      if (minted) owners.set(minted, headers['x-api-key'] ? { 'x-api-key': headers['x-api-key'] } : { authorization: headers.authorization! });
    }
    if (token && req.method === 'POST' && path === '/v1/payments' && status === 403) {
      const problem = JSON.parse(text) as Record<string, unknown>; // fault 1
      delete problem.requiredScopes;
      text = JSON.stringify(problem);
      out.set('www-authenticate', 'Bearer realm="tillpoint", error="insufficient_scope"');
    }
    if (token && req.method === 'GET' && path === '/v1/applications' && status === 403 && owners.has(token)) {
      const forwarded = { ...headers, ...owners.get(token)! }; // fault 2
      if (!('authorization' in owners.get(token)!)) delete forwarded.authorization;
      answer = await send(forwarded);
      status = answer.status;
      text = await answer.text();
      out.clear();
      answer.headers.forEach((value, name) => out.set(name, value));
    }
    if (token && req.method === 'GET' && path === '/v1/balance' && status === 401) out.set('www-authenticate', 'Bearer realm="tillpoint"'); // fault 3
    if (token && req.method === 'GET' && /^\/v1\/payments\/[^/]+$/.test(path) && status === 200) {
      status = 403; // fault 4
      text = JSON.stringify({
        type: 'https://docs.tillpoint.dev/problems/insufficient_scope',
        title: 'Insufficient scope',
        status: 403,
        code: 'insufficient_scope',
        detail: 'This client token lacks the scope this operation needs: payments.read.',
        instance: path,
        requestId: out.get('x-request-id'),
        requiredScopes: ['payments.read'],
      });
      out.set('content-type', 'application/problem+json; charset=utf-8');
      out.set('www-authenticate', 'Bearer realm="tillpoint", error="insufficient_scope", scope="payments.read"');
      out.delete('etag');
    }

    for (const [name, value] of out) if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) res.setHeader(name, value);
    res.writeHead(status);
    res.end(text);
  }

  const proxy: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    issued,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    },
  };
}

describe('behind a proxy injecting scope faults into the reference server’s answers', () => {
  const OPS = ['createPayment', 'getPayment', 'listPayments', 'getBalance', 'listApplications', 'rotateApiKey', 'advanceSandboxClock'];
  let proxy: FaultProxy;
  let report: ConformanceReport;
  beforeAll(async () => {
    proxy = await startFaultProxy(server.url);
    report = await run(proxy.url, { operations: OPS });
  }, 120_000);
  afterAll(async () => proxy?.close());

  it('reports a 403 that names no scope (body and challenge) on createPayment security.insufficient-scope', () => {
    const c = checkOf(report, 'createPayment', 'security.insufficient-scope');
    expect(c.status, renderText(report)).toBe('failed');
    const messages = c.failures.map((f) => f.message).join('\n');
    expect(messages).toMatch(/the problem has no requiredScopes array of scopes/);
    expect(messages).toMatch(/lacks scope="…"/);
    expect(c.failures[0]!.response?.status).toBe(403);
  });

  it('reports a client token let through on a key-only operation on listApplications security.client-token-refused', () => {
    const c = checkOf(report, 'listApplications', 'security.client-token-refused');
    expect(c.status).toBe('failed');
    expect(c.failures[0]!.message).toMatch(/expected 403, got 200/);
  });

  it('reports a forged client token’s 401 without error="invalid_token" on getBalance security.client-token-invalid', () => {
    const c = checkOf(report, 'getBalance', 'security.client-token-invalid');
    expect(c.status).toBe('failed');
    expect(c.failures.some((f) => /lacks error="invalid_token"/.test(f.message) && f.response?.status === 401)).toBe(true);
  });

  it('reports a token holding the scope being refused on getPayment security.scope-granted', () => {
    const c = checkOf(report, 'getPayment', 'security.scope-granted');
    expect(c.status).toBe('failed');
    expect(c.failures[0]!.message).toMatch(/a client token with payments\.read was refused: 403/);
  });

  it('pins the faults down: every other check passes', () => {
    expect(failedChecks(report), renderText(report)).toEqual([
      'createPayment security.insufficient-scope',
      'getBalance security.client-token-invalid',
      'getPayment security.scope-granted',
      'listApplications security.client-token-refused',
    ]);
    for (const [id, name] of [
      ['getPayment', 'security.insufficient-scope'],
      ['getPayment', 'security.client-token-invalid'],
      ['createPayment', 'security.scope-granted'],
      ['getBalance', 'security.insufficient-scope'],
      ['rotateApiKey', 'security.client-token-refused'],
      ['advanceSandboxClock', 'security.client-token-refused'],
    ]) {
      expect(checkOf(report, id!, name!).status, `${id} ${name}`).toBe('passed');
    }
  });

  it('created its tokens on the reference server through createClientToken, once per scope set', () => {
    expect(proxy.issued.length).toBeGreaterThan(0);
    expect(proxy.issued.every((i) => i.status === 201), JSON.stringify(proxy.issued)).toBe(true);
    const sets = proxy.issued.map((i) => i.scopes.join(' '));
    expect(new Set(sets).size).toBe(sets.length);
    // One with each operation's scopes, one with every scope (for the refusals), and single scopes lacking them.
    expect(sets).toEqual(expect.arrayContaining(['payments.create', 'payments.read', 'balance.read', ALL_SCOPES.join(' ')]));
  });
});

describe('with --client-token and --client-token-scopes (a token created on the reference server)', () => {
  let merchant: Awaited<ReturnType<TestServer['newMerchant']>>['merchant'];
  let minted: string;
  beforeAll(async () => {
    ({ merchant } = await server.newMerchant('token holder'));
    const headers = { 'content-type': 'application/json', 'x-api-key': merchant.apiKey };
    const app = await fetch(`${server.url}/v1/applications`, { method: 'POST', headers: { ...headers, 'idempotency-key': `app-${Date.now()}` }, body: JSON.stringify({ name: 'reader' }) });
    expect(app.status).toBe(201);
    const { id } = (await app.json()) as { id: string };
    const token = await fetch(`${server.url}/v1/applications/${id}/tokens`, { method: 'POST', headers, body: JSON.stringify({ label: 'r', scopes: ['payments.read'] }) });
    expect(token.status).toBe(201);
    minted = ((await token.json()) as { token: string }).token;
    expect(minted).toMatch(/^ct_test_/);
  });

  const given = () => ({ apiKey: merchant.apiKey, apiSecret: merchant.apiSecret, clientToken: minted, clientTokenScopes: ['payments.read'] });
  const OPS = ['createPayment', 'getPayment', 'listApplications'];

  it('uses the token for what it covers, and creates the others through createClientToken', { timeout: 90_000 }, async () => {
    const report = await run(server.url, { operations: OPS, ...given() });
    expect(report.summary.failed, renderText(report)).toBe(0);
    expect(report.notes).toContain('client token given with scopes payments.read; others are created with createClientToken');
    expect(checkOf(report, 'createPayment', 'security.insufficient-scope').summary).toBe('403 insufficient_scope for a token with payments.read, naming payments.create');
    expect(checkOf(report, 'getPayment', 'security.scope-granted').summary).toBe('200 for a token with payments.read');
    // What the given token cannot show: a created one.
    expect(checkOf(report, 'createPayment', 'security.scope-granted').summary).toBe('201 for a token with payments.create');
    expect(checkOf(report, 'getPayment', 'security.insufficient-scope').status).toBe('passed');
    expect(checkOf(report, 'getPayment', 'security.insufficient-scope').summary).not.toMatch(/with payments\.read,/);
    expect(checkOf(report, 'listApplications', 'security.client-token-refused').summary).toBe(`403 for a client token with ${ALL_SCOPES.join(' ')}`);
    // The token is a secret: shortened in the report.
    expect(JSON.stringify(report)).not.toContain(minted);
  });

  it('without a token-issuing operation in the contract, only the given token is used: the rest is "needs --client-token"', { timeout: 90_000 }, async () => {
    const doc = parse(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    delete doc.paths['/v1/applications/{applicationId}/tokens']!.post;
    const specPath = join(tmpdir(), `tillpoint-no-issuer-${process.pid}-${Date.now()}.json`);
    writeFileSync(specPath, JSON.stringify(doc));
    expect(loadConformanceSpec(specPath).clientToken?.issuer).toBeUndefined();
    const report = await run(server.url, { operations: OPS, specPath, ...given() });
    expect(report.summary.failed, renderText(report)).toBe(0);
    expect(checkOf(report, 'createPayment', 'security.insufficient-scope').summary).toBe('403 insufficient_scope for a token with payments.read, naming payments.create');
    expect(checkOf(report, 'getPayment', 'security.scope-granted').summary).toBe('200 for a token with payments.read');
    expect(checkOf(report, 'listApplications', 'security.client-token-refused').summary).toBe('403 for a client token with payments.read');
    expect(checkOf(report, 'createPayment', 'security.scope-granted').status).toBe('not_applicable');
    expect(checkOf(report, 'createPayment', 'security.scope-granted').summary).toMatch(/^needs --client-token with --client-token-scopes payments\.create: /);
    expect(checkOf(report, 'getPayment', 'security.insufficient-scope').summary).toMatch(/^needs --client-token: .*the given client token holds payments\.read, which the operation accepts/);
    for (const id of ['createPayment', 'getPayment']) expect(checkOf(report, id, 'security.client-token-invalid').status).toBe('passed');
    expect(JSON.stringify(report)).not.toContain(minted);
  });
});
