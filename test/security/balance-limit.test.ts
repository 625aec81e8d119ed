/**
 * Issue #10: a balance is the sum of ledger entries and is answered as a JSON integer, so it must
 * stay a safe integer (at most 2^53 − 1 minor units). getBalance answered 500 once a currency's
 * total passed 2^53; now a posting that would take a merchant's total in a currency (available
 * plus pending) past 9007199254740991 is refused with 422 `balance_limit_exceeded`, and nothing
 * of the request is written. The ledger is brought near the limit directly, through `post`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { accounts, MAX_ACCOUNT_BALANCE, post } from '../../server/ledger/index.ts';
import { allPayments, amountOf } from '../payments/fixtures.ts';
import { expectProblem } from '../support/problems.ts';
import { cardPayment, startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.close());

const NEAR = Number.MAX_SAFE_INTEGER - 1000;

describe('per-currency balance limit', () => {
  it('is 2^53 − 1 minor units', () => {
    expect(MAX_ACCOUNT_BALANCE).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('a payment that would pass it is 422 balance_limit_exceeded; getBalance keeps answering 200', async () => {
    const { merchant, client } = await s.newMerchant();
    await s.deps.db.transaction((tx) =>
      post(tx, {
        merchantId: merchant.merchantId,
        kind: 'test_seed',
        sourceId: 'seed',
        currency: 'USD',
        entries: [
          { account: accounts.available(merchant.merchantId), amount: NEAR },
          { account: accounts.clearing('test'), amount: -NEAR },
        ],
        at: new Date(),
      }),
    );
    expectProblem(await client.POST('/v1/payments', { body: cardPayment(2500) }), 422, 'balance_limit_exceeded');
    expect(await allPayments(client)).toEqual([]);
    const balance = await client.GET('/v1/balance');
    expect(balance.response.status).toBe(200);
    expect(amountOf(unwrap(balance).available, 'USD')).toBe(NEAR);
    // Up to the limit is fine, and other currencies are not concerned.
    expect((await client.POST('/v1/payments', { body: cardPayment(1000) })).response.status).toBe(201);
    expect((await client.POST('/v1/payments', { body: cardPayment(2500, 'EUR') })).response.status).toBe(201);
    expect(amountOf(unwrap(await client.GET('/v1/balance')).available, 'USD')).toBe(Number.MAX_SAFE_INTEGER - 0);
  });
});
