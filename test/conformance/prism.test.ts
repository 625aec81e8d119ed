/**
 * The conformance suite against the Prism mock (`npm run mock`): it detects a stateless mock,
 * marks what a mock cannot honour (credentials, ownership, idempotency, pagination, rate limits,
 * problem bodies of rejected requests, status coverage) as not applicable, and everything else
 * passes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderText } from './report.ts';
import { runConformance } from './runner.ts';
import { OAUTH_FLOW, PAYER_TOKEN } from './checks/positive.ts';
import { startPrism, type RunningPrism } from '../support/prism.ts';

let prism: RunningPrism;
beforeAll(async () => {
  prism = await startPrism();
}, 40_000);
afterAll(async () => prism?.close());

describe('conformance suite against the Prism mock', () => {
  it('detects the mock and reports no failure', { timeout: 120_000 }, async () => {
    const report = await runConformance({ baseUrl: prism.url, requests: 1_000, seed: 20261121 });
    const text = renderText(report);
    expect(report.mock, text).toMatchObject({ mock: true, how: 'detected' });
    expect(report.summary.failed, text).toBe(0);
    expect(report.summary.ok, text).toBe(true);
    expect(report.coverage.status).toBe('not_applicable');
    expect(report.coverage.withoutPositive, text).toEqual([]);

    const checks = report.operations.flatMap((op) => op.checks.map((c) => ({ op: op.operationId, ...c })));
    // What a mock can honour is checked and passes…
    for (const name of ['positive', 'protocol.headers'] as const) {
      // Acting for a payer and the OAuth consent flow need a payer's consent in a browser (n/a with the reason).
      const consentOps = new Set(checks.filter((c) => c.name === 'positive' && c.status === 'not_applicable' && new RegExp(`^needs (${PAYER_TOKEN}|${OAUTH_FLOW})`).test(c.summary)).map((c) => c.op));
      // …and their headers are not observed when no request was built (the form-encoded OAuth endpoints).
      const needsConsent = (c: (typeof checks)[number]) => consentOps.has(c.op) && c.status === 'not_applicable';
      expect(checks.filter((c) => c.name === name && c.status !== 'passed' && !needsConsent(c)).map((c) => `${c.op}: ${c.status} ${c.summary}`), name).toEqual([]);
    }
    expect(checks.filter((c) => c.name === 'security.unauthenticated' && c.status === 'passed').length).toBeGreaterThan(0);
    expect(checks.filter((c) => c.name === 'negative' && c.status === 'passed').length).toBeGreaterThan(0);
    // …and what it cannot is reported as not applicable, saying why.
    for (const name of ['security.bad-credential', 'security.cross-merchant', 'protocol.idempotency', 'protocol.pagination', 'protocol.rate-limit'] as const) {
      const these = checks.filter((c) => c.name === name);
      expect(these.every((c) => c.status === 'not_applicable'), name).toBe(true);
    }
    expect(checks.some((c) => /stateless mock/.test(c.summary))).toBe(true);
  });
});
