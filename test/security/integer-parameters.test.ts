/**
 * Issue #6: integer query parameters must refuse values that are not finite integers. The
 * validator coerces query strings to numbers, and `1e309`, `Infinity` and `-Infinity` become
 * ±Infinity; without a format check they slipped past the range check (a 500, or a page of
 * `limit=-Infinity` with `hasMore: true` and no cursor). Every list operation of the contract
 * and every integer query parameter it declares is exercised, so a new list is covered too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillPath, loadSpec, operationsOf } from '../contract/openapi.ts';
import { asResult, expectInvalidParameter } from '../support/problems.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const doc = loadSpec();
/** Every operation with an integer query parameter, with that parameter's name. */
const cases = operationsOf(doc).flatMap((op) =>
  op.parameters.filter((p) => p.in === 'query' && p.schema?.type === 'integer').map((p) => ({ op, name: p.name })),
);
const BAD_VALUES = ['1e309', 'Infinity', '-Infinity', '-1e309', 'NaN', '1.5', '2147483648', '101', '0'];

let s: TestServer;
let apiKey: string;
let clientId: string;
beforeAll(async () => {
  s = await startTestServer();
  ({ apiKey, clientId } = (await s.newMerchant()).merchant);
});
afterAll(async () => s?.close());

describe('integer query parameters', () => {
  it('exist (listPayments, listCheckoutSessions, listWebhookEndpoints… take limit)', () => {
    expect(cases.map((c) => c.op.operationId)).toContain('listPayments');
  });

  for (const { op, name } of cases) {
    it(`${op.operationId}: ${name} that is not a finite int32 → 400 naming ${name}`, async () => {
      for (const value of BAD_VALUES) {
        const r = await asResult(await s.raw(`${fillPath(doc, op)}?${name}=${encodeURIComponent(value)}`, { method: op.method.toUpperCase(), headers: { 'x-api-key': apiKey, 'x-client-id': clientId } }));
        expect(r.response.status, `${name}=${value}: ${JSON.stringify(r.data ?? r.error)}`).toBe(400);
        expectInvalidParameter(r, name);
      }
    });
  }
});
