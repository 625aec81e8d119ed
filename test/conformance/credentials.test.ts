/**
 * Checks that need a credential the run was not given are not applicable, saying which option
 * provides it, instead of failing: against the reference server with only `--api-key` of a
 * sandbox merchant, `createAccessToken` (which exchanges the key and its secret) is not checked
 * positively ("needs --api-secret"), nor are the operations requiring `X-Client-Id` ("needs
 * --client-id"); the run still passes, and with `--api-secret` / `--client-id` they are checked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOf } from './fixtures.ts';
import { renderText } from './report.ts';
import { runConformance } from './runner.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe('credentials the run was not given', () => {
  it('--api-key without --api-secret: createAccessToken is n/a ("needs --api-secret"), not failed, and the run passes', { timeout: 240_000 }, async () => {
    const { merchant } = await server.newMerchant('only the key');
    const report = await runConformance({ baseUrl: server.url, apiKey: merchant.apiKey, requests: 400, seed: 11 });
    const text = renderText(report);
    const positive = checkOf(report, 'createAccessToken', 'positive');
    expect(positive.status, text).toBe('not_applicable');
    expect(positive.summary).toMatch(/^needs --api-secret/);
    expect(positive.needs).toEqual(['--api-secret']);
    expect(positive.requests).toBe(0);
    // Not counted as an operation without a positive check, but named in the coverage summary.
    expect(report.coverage.withoutPositive, text).toEqual([]);
    expect(report.coverage.summary).toContain('not checked positively for lack of a credential: createAccessToken (needs --api-secret)');
    expect(text).toMatch(/1 × needs --api-secret: /);
    expect(report.summary.failed, text).toBe(0);
    expect(report.summary.ok, text).toBe(true);
    // Without --client-id, the merchant's own applications give the X-Client-Id (runner: discoverField).
    const quote = checkOf(report, 'createDisbursementQuote', 'positive');
    expect(quote.status, text).toBe('passed');
    expect(quote.needs).toBeUndefined();
    // Everything else that authenticates with the key is checked as usual.
    expect(checkOf(report, 'createPayment', 'positive').status).toBe('passed');
    expect(checkOf(report, 'rotateApiKey', 'positive').status).toBe('passed');
  });

  it('with --client-id, the operations requiring X-Client-Id are checked and pass', { timeout: 120_000 }, async () => {
    const { merchant } = await server.newMerchant('key and client id');
    const report = await runConformance({ baseUrl: server.url, apiKey: merchant.apiKey, clientId: merchant.clientId, tags: ['disbursements'], requests: 100, seed: 11 });
    const text = renderText(report);
    for (const op of ['createDisbursementQuote', 'createDisbursement', 'listDisbursements', 'getDisbursement', 'cancelDisbursement']) {
      expect(checkOf(report, op, 'positive').status, text).toBe('passed');
    }
    expect(report.summary.failed, text).toBe(0);
  });

  it('with --api-secret too, createAccessToken is checked and passes', { timeout: 60_000 }, async () => {
    const { merchant } = await server.newMerchant('key and secret');
    const report = await runConformance({ baseUrl: server.url, apiKey: merchant.apiKey, apiSecret: merchant.apiSecret, tags: ['auth'], requests: 100, seed: 11 });
    const positive = checkOf(report, 'createAccessToken', 'positive');
    expect(positive.status, renderText(report)).toBe('passed');
    expect(positive.needs).toBeUndefined();
  });
});
