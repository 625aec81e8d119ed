/**
 * The scope checks of client tokens, before the contract and the reference server have them:
 *
 * - derivation: the client-token scheme, each operation's scopes and the token-issuing operation
 *   are read from a spec with `clientToken` added (scopes-fixture.ts); the bundled spec has none;
 * - against an enforcing proxy in front of the reference server (scopes-fixture.ts), the suite
 *   creates its own tokens (sandbox merchant → createApplication → createClientToken) and every
 *   scope check passes; with faults switched on, each is reported on the right operation and check;
 * - without a token-issuing operation the checks needing a token are n/a ("needs --client-token"),
 *   and with `--client-token`/`--client-token-scopes` they run on what that token covers;
 * - against the reference server and the bundled spec they are n/a ("the contract declares no
 *   client-token scheme").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli } from './cli.ts';
import { lackingScope, satisfiesScopes } from './context.ts';
import { parseChallenge } from './checks/scopes.ts';
import { renderJUnit, renderText, type CheckResult, type ConformanceReport } from './report.ts';
import { runConformance, type ConformanceOptions } from './runner.ts';
import { clientTokenSpec, FIXTURE_SCOPES, startScopeProxy, writeSpec, type ScopeProxy } from './scopes-fixture.ts';
import { loadConformanceSpec } from './spec.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const SCOPE_CHECKS = ['security.insufficient-scope', 'security.scope-granted', 'security.client-token-refused', 'security.client-token-invalid'] as const;
/** Operations listing clientToken, and secured ones that do not (rotateApiKey: key management). */
const LISTING = ['createPayment', 'getPayment', 'listPayments', 'getBalance', 'createRefund'];
const NOT_LISTING = ['listWebhookEndpoints', 'createWebhookEndpoint', 'rotateApiKey'];

let upstream: TestServer;
let withIssuer: string;
let withoutIssuer: string;
beforeAll(async () => {
  upstream = await startTestServer();
  withIssuer = writeSpec(clientTokenSpec(), 'client-tokens');
  withoutIssuer = writeSpec(clientTokenSpec({ issuer: false }), 'client-tokens-no-issuer');
});
afterAll(async () => upstream?.close());

function check(report: ConformanceReport, operationId: string, name: string): CheckResult {
  const op = report.operations.find((o) => o.operationId === operationId);
  expect(op, operationId).toBeDefined();
  const c = op!.checks.find((x) => x.name === name);
  expect(c, `${operationId} ${name}`).toBeDefined();
  return c!;
}

const run = (proxy: ScopeProxy, specPath: string, extra: Partial<ConformanceOptions> = {}) =>
  runConformance({ baseUrl: proxy.url, specPath, operations: [...LISTING, ...NOT_LISTING], requests: 150, seed: 5, coverageThreshold: 0, ...extra });

describe('derivation from the contract', () => {
  it('finds the client-token scheme, each operation’s scopes and the token-issuing operation', () => {
    const spec = loadConformanceSpec(withIssuer);
    expect(spec.clientToken?.scheme).toBe('clientToken');
    expect(spec.clientToken?.scopes).toEqual([...new Set(Object.values(FIXTURE_SCOPES).flat())].sort());
    expect(spec.clientToken?.issuer?.op.id).toBe('createClientToken');
    expect(spec.clientToken?.issuer).toMatchObject({ scopesProperty: 'scopes', tokenProperty: 'token' });
    expect(spec.clientToken?.exampleToken).toMatch(/^ct_test_/);
    const scopes = (id: string) => spec.operations.find((o) => o.id === id)!.clientTokenScopes;
    expect(scopes('createPayment')).toEqual([['payments.create']]);
    expect(scopes('getEvent')).toEqual([['events.read']]);
    expect(scopes('rotateApiKey')).toBeUndefined();
    expect(scopes('createClientToken')).toBeUndefined();
    expect(scopes('createSandboxMerchant')).toBeUndefined();
    expect(loadConformanceSpec(withoutIssuer).clientToken?.issuer).toBeUndefined();
  });

  it('the bundled spec declares no client-token scheme (yet)', () => {
    const spec = loadConformanceSpec();
    expect(spec.clientToken).toBeUndefined();
    expect(spec.operations.every((o) => o.clientTokenScopes === undefined)).toBe(true);
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

describe('against an enforcing proxy, with tokens the suite creates', () => {
  let proxy: ScopeProxy;
  let report: ConformanceReport;
  beforeAll(async () => {
    proxy = await startScopeProxy(upstream.url, clientTokenSpec());
    report = await run(proxy, withIssuer);
  }, 120_000);
  afterAll(async () => proxy?.close());

  it('passes every check', () => {
    expect(report.summary.failed, renderText(report)).toBe(0);
  });

  it('checks every operation listing clientToken: lacking scope → 403 insufficient_scope, with it → through, forged → 401 invalid_token', () => {
    for (const id of LISTING) {
      for (const name of ['security.insufficient-scope', 'security.scope-granted', 'security.client-token-invalid']) {
        expect(check(report, id, name).status, `${id} ${name}: ${check(report, id, name).summary}`).toBe('passed');
      }
      expect(check(report, id, 'security.client-token-refused').summary).toBe('accepts client tokens (its security lists clientToken)');
    }
    expect(check(report, 'createPayment', 'security.insufficient-scope').summary).toBe('403 insufficient_scope for a token with checkout_sessions.create, naming payments.create');
    expect(check(report, 'getPayment', 'security.insufficient-scope').summary).toBe(
      '403 insufficient_scope for a token with checkout_sessions.create, naming payments.read',
    );
    expect(check(report, 'getPayment', 'security.scope-granted').summary).toBe('200 for a token with payments.read');
    expect(check(report, 'createPayment', 'security.scope-granted').summary).toBe('201 for a token with payments.create');
  });

  it('checks that the operations not listing clientToken refuse a token with every scope', () => {
    for (const id of NOT_LISTING) {
      expect(check(report, id, 'security.client-token-refused').status, id).toBe('passed');
      expect(check(report, id, 'security.client-token-refused').summary).toMatch(/^403 for a client token with checkout_sessions\.create events\.read payments\.create payments\.read refunds\.create$/);
      expect(check(report, id, 'security.insufficient-scope').summary).toMatch(/^does not accept client tokens/);
    }
  });

  it('created the tokens through the contract’s operations, once per scope set', () => {
    const sets = [...proxy.tokens.values()].map((t) => t.scopes.join(' ')).sort();
    expect(new Set(sets).size).toBe(sets.length);
    // A token lacking the scopes (a scope of other operations), one per scope needed, one with them all.
    expect(sets.sort()).toEqual(['checkout_sessions.create', 'checkout_sessions.create events.read payments.create payments.read refunds.create', 'payments.create', 'payments.read', 'refunds.create']);
  });

  it('observes the 403s (status coverage) and shows the checks in the reports', () => {
    const op = report.operations.find((o) => o.operationId === 'createPayment')!;
    expect(op.statuses.observed).toContain(403);
    const text = renderText(report);
    expect(text).toMatch(/no-scope\s+scope-ok\s+ct-refused\s+ct-invalid/);
    expect(renderJUnit(report)).toContain('<testcase classname="createPayment" name="security.insufficient-scope">');
    expect(report.notes.join('\n')).not.toMatch(/no client-token scheme/);
  });
});

describe('against a proxy with scope faults', () => {
  let proxy: ScopeProxy;
  let report: ConformanceReport;
  beforeAll(async () => {
    proxy = await startScopeProxy(upstream.url, clientTokenSpec(), { noRequiredScopes: true, refuseGranted: true, acceptRefused: true, noInvalidToken: true });
    report = await run(proxy, withIssuer);
  }, 120_000);
  afterAll(async () => proxy?.close());

  it('reports a 403 that names no scope (body and challenge)', () => {
    const c = check(report, 'createPayment', 'security.insufficient-scope');
    expect(c.status, renderText(report)).toBe('failed');
    const messages = c.failures.map((f) => f.message).join('\n');
    expect(messages).toMatch(/the problem has no requiredScopes array of scopes/);
    expect(messages).toMatch(/lacks scope="…"/);
    expect(c.failures[0]!.response?.status).toBe(403);
  });

  it('reports a token with the scope being refused', () => {
    const c = check(report, 'getPayment', 'security.scope-granted');
    expect(c.status).toBe('failed');
    expect(c.failures[0]!.message).toMatch(/a client token with payments\.read was refused: 403/);
  });

  it('reports a client token let through on an operation that does not list clientToken', () => {
    const c = check(report, 'listWebhookEndpoints', 'security.client-token-refused');
    expect(c.status).toBe('failed');
    expect(c.failures[0]!.message).toMatch(/expected 403, got 200/);
  });

  it('reports an unknown client token answered without error="invalid_token"', () => {
    const c = check(report, 'getBalance', 'security.client-token-invalid');
    expect(c.status).toBe('failed');
    expect(c.failures.some((f) => /lacks error="invalid_token"/.test(f.message))).toBe(true);
  });

  it('pins the faults down: the other scope checks pass', () => {
    const failed = report.operations.flatMap((o) => o.checks.filter((c) => c.status === 'failed').map((c) => `${o.operationId} ${c.name}`));
    expect(failed.sort()).toEqual(['createPayment security.insufficient-scope', 'getBalance security.client-token-invalid', 'getPayment security.scope-granted', 'listWebhookEndpoints security.client-token-refused']);
  });
});

describe('against a target that will not issue every token the suite asks for', () => {
  it('falls back to another scope for the token lacking the scope, and to a token it has for the refusals', { timeout: 60_000 }, async () => {
    const proxy = await startScopeProxy(upstream.url, clientTokenSpec(), { maxScopes: 1, unissuableScopes: ['checkout_sessions.create'] });
    try {
      const report = await run(proxy, withIssuer, { operations: ['createPayment', 'getPayment', 'listWebhookEndpoints'] });
      expect(report.summary.failed, renderText(report)).toBe(0);
      expect(check(report, 'createPayment', 'security.insufficient-scope').summary).toBe('403 insufficient_scope for a token with events.read, naming payments.create');
      expect(check(report, 'getPayment', 'security.scope-granted').status).toBe('passed');
      const refused = check(report, 'listWebhookEndpoints', 'security.client-token-refused');
      expect(refused.status).toBe('passed');
      expect(refused.summary).toMatch(/^403 for a client token with [a-z_]+\.[a-z]+$/);
    } finally {
      await proxy.close();
    }
  });
});

describe('without a token-issuing operation', () => {
  let proxy: ScopeProxy;
  beforeAll(async () => {
    // The proxy still issues tokens (the test mints one below), but the spec the suite reads does not say how.
    proxy = await startScopeProxy(upstream.url, clientTokenSpec());
  });
  afterAll(async () => proxy?.close());

  it('the checks needing a token are n/a ("needs --client-token"); forged tokens are still checked', { timeout: 60_000 }, async () => {
    const report = await run(proxy, withoutIssuer, { operations: ['createPayment', 'getPayment', 'listWebhookEndpoints'] });
    expect(report.summary.failed, renderText(report)).toBe(0);
    for (const [id, name] of [
      ['createPayment', 'security.insufficient-scope'],
      ['getPayment', 'security.scope-granted'],
      ['listWebhookEndpoints', 'security.client-token-refused'],
    ] as const) {
      const c = check(report, id, name);
      expect(c.status, `${id} ${name}`).toBe('not_applicable');
      expect(c.summary).toMatch(/^needs --client-token/);
      expect(c.needs?.[0]).toMatch(/^--client-token/);
    }
    expect(check(report, 'getPayment', 'security.scope-granted').summary).toMatch(/^needs --client-token with --client-token-scopes payments\.read: /);
    expect(check(report, 'createPayment', 'security.client-token-invalid').status).toBe('passed');
    expect(report.notes.join('\n')).toMatch(/no operation issuing client tokens: pass --client-token/);
  });

  it('with --client-token and --client-token-scopes, checks what that token covers', { timeout: 60_000 }, async () => {
    const { merchant } = await upstream.newMerchant('token holder');
    const headers = { 'content-type': 'application/json', 'x-api-key': merchant.apiKey };
    const app = (await (await fetch(`${proxy.url}/v1/applications`, { method: 'POST', headers, body: JSON.stringify({ name: 'reader' }) })).json()) as { id: string };
    const minted = (await (await fetch(`${proxy.url}/v1/applications/${app.id}/tokens`, { method: 'POST', headers, body: JSON.stringify({ label: 'r', scopes: ['payments.read'] }) })).json()) as { token: string };
    const report = await run(proxy, withoutIssuer, {
      operations: ['createPayment', 'getPayment', 'listWebhookEndpoints'],
      apiKey: merchant.apiKey,
      apiSecret: merchant.apiSecret,
      clientToken: minted.token,
      clientTokenScopes: ['payments.read'],
    });
    const text = renderText(report);
    expect(report.summary.failed, text).toBe(0);
    expect(check(report, 'createPayment', 'security.insufficient-scope').summary).toBe('403 insufficient_scope for a token with payments.read, naming payments.create');
    expect(check(report, 'getPayment', 'security.scope-granted').summary).toBe('200 for a token with payments.read');
    expect(check(report, 'listWebhookEndpoints', 'security.client-token-refused').summary).toBe('403 for a client token with payments.read');
    // What the token cannot be used for, and no other can be created: n/a.
    expect(check(report, 'createPayment', 'security.scope-granted').summary).toMatch(/^needs --client-token with --client-token-scopes payments\.create/);
    expect(check(report, 'getPayment', 'security.insufficient-scope').summary).toMatch(/^needs --client-token: .*the given client token holds payments\.read, which the operation accepts/);
    // The token is a secret: shortened in the report.
    expect(JSON.stringify(report)).not.toContain(minted.token);
  });
});

describe('against the reference server and the bundled spec', () => {
  it('the scope checks are n/a: the contract declares no client-token scheme', { timeout: 60_000 }, async () => {
    const report = await runConformance({ baseUrl: upstream.url, tags: ['payments', 'auth'], requests: 100, seed: 5, coverageThreshold: 0 });
    expect(report.summary.failed, renderText(report)).toBe(0);
    for (const op of report.operations) {
      for (const name of SCOPE_CHECKS) {
        const c = check(report, op.operationId, name);
        expect(c.status).toBe('not_applicable');
        expect(c.summary).toMatch(op.operationId === 'createAccessToken' ? /^public operation|declares no client-token scheme/ : /^the contract declares no client-token scheme$/);
      }
    }
    expect(report.notes).toContain('the contract declares no client-token scheme: the scope checks are not applicable');
  });
});
