/**
 * Money correctness: integer minor units for 0-, 2- and 3-decimal currencies, per-currency
 * minimums, real ISO 4217 codes only, refunds that can never exceed the captured amount (also
 * when sent concurrently), and a double-entry ledger that balances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TillpointClient } from '../../client/index.ts';
import { trialBalance } from '../../server/ledger/index.ts';
import { cardPayment, startTestServer, type TestServer } from '../support/server.ts';
import { CARDS, PHONES, allPayments, amountOf, balanceOf, merchantLedger, mobileMoneyPayment, nonZero, paymentRows, refundRows, unbalancedCurrencies, unbalancedTransactions, type CreatePaymentRequest, type Payment } from './fixtures.ts';
import { expectInvalidBody, expectProblem } from '../support/problems.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s?.close();
});

async function pay(client: TillpointClient, body: CreatePaymentRequest): Promise<Payment> {
  const r = await client.POST('/v1/payments', { body });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  return r.data!;
}

function refund(client: TillpointClient, paymentId: string, amount?: number) {
  return client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId } }, body: amount === undefined ? undefined : { amount } });
}

describe('minor units', () => {
  const exponents: Array<[currency: string, digits: number, amounts: number[]]> = [
    ['JPY', 0, [50, 2500, 123457]],
    ['USD', 2, [50, 2599, 1234567]],
    ['KWD', 3, [200, 1001, 1234567]],
  ];

  it.each(exponents)('%s (%i decimals): amounts are stored and returned exactly, balance is their exact sum', async (currency, _digits, amounts) => {
    const { client, merchant } = await s.newMerchant();
    const created: Payment[] = [];
    for (const amount of amounts) created.push(await pay(client, cardPayment(amount, currency)));
    expect(created.map((p) => p.amount)).toEqual(amounts);
    expect(created.every((p) => p.currency === currency && Number.isInteger(p.amount))).toBe(true);

    for (const p of created) {
      const got = await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: p.id } } });
      expect(got.data!.amount).toBe(p.amount);
    }
    expect((await allPayments(client)).map((p) => p.amount).sort((a, b) => a - b)).toEqual([...amounts].sort((a, b) => a - b));
    expect((await paymentRows(s.deps.db, merchant.merchantId)).map((r) => r.amount).sort((a, b) => a - b)).toEqual([...amounts].sort((a, b) => a - b));

    const total = amounts.reduce((a, b) => a + b, 0);
    expect(await balanceOf(client)).toEqual({ available: [{ amount: total, currency }], pending: [] });
  });

  it('amounts beyond 32 bits up to the documented maximum stay exact', async () => {
    const { client } = await s.newMerchant();
    const max = 999_999_999_999;
    await pay(client, cardPayment(max, 'JPY'));
    await pay(client, cardPayment(max - 1, 'JPY'));
    await pay(client, cardPayment(2 ** 31 + 7, 'USD'));
    const balance = await balanceOf(client);
    expect(amountOf(balance.available, 'JPY')).toBe(2 * max - 1);
    expect(amountOf(balance.available, 'USD')).toBe(2 ** 31 + 7);
    const over = await client.POST('/v1/payments', { body: cardPayment(max + 1, 'JPY') });
    expectInvalidBody(over, '/amount');
  });

  it('people-facing text uses each currency’s exponent (JPY 2500 → 2,500; USD 2500 → 25.00; KWD 2500 → 2.500)', async () => {
    const { client } = await s.newMerchant();
    const texts: Record<string, string> = {};
    for (const currency of ['JPY', 'USD', 'KWD']) {
      const p = await pay(client, cardPayment(2500, currency));
      const info = await client.GET('/v1/payments/{paymentId}/instructions', { params: { path: { paymentId: p.id } } });
      texts[currency] = info.data!.steps.join(' ');
    }
    expect(texts.JPY).toContain('2,500');
    expect(texts.JPY).not.toMatch(/25\.00|2\.500/);
    expect(texts.USD).toContain('25.00');
    expect(texts.KWD).toContain('2.500');
  });

  /** The minimums documented in the API overview, plus two currencies that are not listed. */
  const minimums: Array<[currency: string, minimum: number]> = [
    ['JPY', 50], ['USD', 50], ['KWD', 200],
    ['EUR', 50], ['CAD', 50], ['AUD', 50], ['CHF', 50], ['GBP', 30],
    ['BHD', 200], ['OMR', 200], ['KES', 5000], ['UGX', 2000], ['TZS', 150000], ['RWF', 700],
    ['NGN', 100000], ['GHS', 500], ['ZAR', 1000],
    // Not listed: half of one major unit.
    ['SEK', 50], ['TND', 500],
  ];
  it.each(minimums)('%s: minimum %i is accepted, one minor unit less is 422 amount_too_small at /amount', async (currency, minimum) => {
    const { client, merchant } = await s.newMerchant();
    const below = expectProblem(await client.POST('/v1/payments', { body: cardPayment(minimum - 1, currency) }), 422, 'amount_too_small');
    expect(below.errors?.map((e) => e.pointer)).toEqual(['/amount']);
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(0);
    const ok = await pay(client, cardPayment(minimum, currency));
    expect(ok).toMatchObject({ amount: minimum, currency, status: 'succeeded' });
  });

  it('the minimum applies to mobile money too', async () => {
    const { client } = await s.newMerchant();
    expectProblem(await client.POST('/v1/payments', { body: mobileMoneyPayment('mtn', PHONES.mtn.succeeds, 1999, 'UGX') }), 422, 'amount_too_small');
    expect((await pay(client, mobileMoneyPayment('mtn', PHONES.mtn.succeeds, 2000, 'UGX'))).amount).toBe(2000);
  });
});

describe('currency codes', () => {
  const notCurrencies: Array<[code: string, what: string]> = [
    ['XXX', 'the “no currency” code'],
    ['XTS', 'the testing code'],
    ['XAU', 'gold'],
    ['XAG', 'silver'],
    ['XDR', 'special drawing rights'],
    ['ABC', 'a code that does not exist'],
    ['ZZZ', 'a code that does not exist'],
  ];
  it.each(notCurrencies)('%s (%s) is 400 invalid_request at /currency', async (code) => {
    const { client, merchant } = await s.newMerchant();
    expectInvalidBody(await client.POST('/v1/payments', { body: cardPayment(2500, code) }), '/currency');
    expect(await paymentRows(s.deps.db, merchant.merchantId)).toHaveLength(0);
  });

  it.each(['usd', 'US', 'USDT', '840', ''])('malformed code %j is 400 invalid_request at /currency', async (code) => {
    const { client } = await s.newMerchant();
    expectInvalidBody(await client.POST('/v1/payments', { body: cardPayment(2500, code) }), '/currency');
  });
});

describe('refunds', () => {
  it('full refund returns the whole amount and empties the balance', async () => {
    const { client } = await s.newMerchant();
    const p = await pay(client, cardPayment(1001, 'KWD'));
    const r = await refund(client, p.id);
    expect(r.data).toMatchObject({ amount: 1001, currency: 'KWD' });
    expect((await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: p.id } } })).data).toMatchObject({
      status: 'succeeded',
      amountRefunded: 1001,
    });
    expect(amountOf((await balanceOf(client)).available, 'KWD')).toBe(0);
  });

  it('partial refund leaves the exact remainder', async () => {
    const { client } = await s.newMerchant();
    const p = await pay(client, cardPayment(777, 'JPY'));
    expect((await refund(client, p.id, 1)).data!.amount).toBe(1);
    expect(amountOf((await balanceOf(client)).available, 'JPY')).toBe(776);
  });

  it('several partial refunds up to exactly the amount, then one more minor unit is 422', async () => {
    const { client } = await s.newMerchant();
    const p = await pay(client, cardPayment(2500, 'USD'));
    const parts = [1000, 999, 500, 1];
    let refunded = 0;
    for (const amount of parts) {
      const r = await refund(client, p.id, amount);
      expect(r.response.status).toBe(201);
      expect(r.data!.amount).toBe(amount);
      refunded += amount;
      expect((await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: p.id } } })).data!.amountRefunded).toBe(refunded);
      expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(2500 - refunded);
    }
    expect(refunded).toBe(2500);
    const problem = expectProblem(await refund(client, p.id, 1), 422, 'refund_exceeds_payment');
    expect(problem.errors?.map((e) => e.pointer)).toContain('/amount');
    expectProblem(await refund(client, p.id), 422, 'refund_exceeds_payment');
    expect((await refundRows(s.deps.db, p.id)).map((r) => r.amount)).toEqual(expect.arrayContaining(parts));
    expect(await refundRows(s.deps.db, p.id)).toHaveLength(parts.length);
  });

  it('refunds only touch the refunded payment’s currency and merchant', async () => {
    const { client } = await s.newMerchant();
    const { client: other } = await s.newMerchant();
    await pay(other, cardPayment(2500, 'USD'));
    const usd = await pay(client, cardPayment(2500, 'USD'));
    await pay(client, cardPayment(3000, 'EUR'));
    await refund(client, usd.id, 700);
    const balance = await balanceOf(client);
    expect(amountOf(balance.available, 'USD')).toBe(1800);
    expect(amountOf(balance.available, 'EUR')).toBe(3000);
    expect(amountOf((await balanceOf(other)).available, 'USD')).toBe(2500);
  });

  it('10 concurrent partial refunds that together exceed the amount never exceed it', async () => {
    const { client } = await s.newMerchant();
    const p = await pay(client, cardPayment(2500, 'USD'));
    const results = await Promise.all(Array.from({ length: 10 }, () => refund(client, p.id, 300)));
    const statuses = results.map((r) => r.response.status);
    // 8 × 300 = 2400 fits, a 9th would make 2700: exactly 8 succeed, whatever the interleaving.
    expect(statuses.filter((x) => x === 201)).toHaveLength(8);
    for (const r of results.filter((x) => x.response.status !== 201)) expectProblem(r, 422, 'refund_exceeds_payment');

    const rows = await refundRows(s.deps.db, p.id);
    expect(rows).toHaveLength(8);
    expect(rows.reduce((sum, r) => sum + r.amount, 0)).toBe(2400);
    expect((await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: p.id } } })).data!.amountRefunded).toBe(2400);
    expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(100);
  });

  it('concurrent full refunds of one payment: exactly one succeeds', async () => {
    const { client } = await s.newMerchant();
    const p = await pay(client, cardPayment(5000, 'USD'));
    const results = await Promise.all(Array.from({ length: 6 }, () => refund(client, p.id)));
    const ok = results.filter((r) => r.response.status === 201);
    expect(ok).toHaveLength(1);
    expect(ok[0]!.data!.amount).toBe(5000);
    for (const r of results.filter((x) => x.response.status !== 201)) expectProblem(r, 422, 'refund_exceeds_payment');
    expect(await refundRows(s.deps.db, p.id)).toHaveLength(1);
    expect(amountOf((await balanceOf(client)).available, 'USD')).toBe(0);
  });
});

describe('ledger', () => {
  /** A mixed history: every outcome, several currencies, refunds. */
  async function workload(client: TillpointClient): Promise<void> {
    const usd = await pay(client, cardPayment(2500, 'USD'));
    await pay(client, cardPayment(999, 'USD'));
    const jpy = await pay(client, cardPayment(5000, 'JPY'));
    await pay(client, cardPayment(1234, 'KWD'));
    await pay(client, mobileMoneyPayment('mtn', PHONES.mtn.succeeds, 25000));
    await pay(client, mobileMoneyPayment('mpesa', PHONES.mpesa.delayed, 15000));
    await pay(client, cardPayment(4000, 'EUR', CARDS.threeDSecure));
    await client.POST('/v1/payments', { body: cardPayment(2500, 'USD', CARDS.declined) });
    await client.POST('/v1/payments', { body: mobileMoneyPayment('airtel', PHONES.airtel.fails) });
    expect((await refund(client, usd.id, 600)).response.status).toBe(201);
    expect((await refund(client, jpy.id)).response.status).toBe(201);
  }

  it('each merchant’s balance equals the sum of its ledger entries and of its payments minus refunds', async () => {
    const merchants = await Promise.all([s.newMerchant(), s.newMerchant()]);
    for (const { client } of merchants) await workload(client);

    for (const { client, merchant } of merchants) {
      const balance = await balanceOf(client);
      const ledger = await merchantLedger(s.deps.db, merchant.merchantId);
      expect(nonZero(balance.available)).toEqual(nonZero(ledger.available));
      expect(nonZero(balance.pending)).toEqual(nonZero(ledger.pending));

      // The same figures from the API alone: succeeded payments minus their refunds; pending payments.
      const fromPayments = { available: {} as Record<string, number>, pending: {} as Record<string, number> };
      for (const p of await allPayments(client)) {
        if (p.status === 'succeeded') fromPayments.available[p.currency] = (fromPayments.available[p.currency] ?? 0) + p.amount - p.amountRefunded;
        if (p.status === 'pending') fromPayments.pending[p.currency] = (fromPayments.pending[p.currency] ?? 0) + p.amount;
      }
      expect(nonZero(balance.available)).toEqual(nonZero(fromPayments.available));
      expect(nonZero(balance.pending)).toEqual(nonZero(fromPayments.pending));
      expect(nonZero(balance.available)).toEqual({ USD: 2500 + 999 - 600, KWD: 1234, UGX: 25000 });
      expect(nonZero(balance.pending)).toEqual({ KES: 15000 });
    }
  });

  it('the entries of the whole system sum to zero per currency, and every ledger transaction balances', async () => {
    const { client } = await s.newMerchant();
    await workload(client);
    expect(await unbalancedCurrencies(s.deps.db)).toEqual({});
    expect(await unbalancedTransactions(s.deps.db)).toEqual([]);
    const trial = await trialBalance(s.deps.db);
    expect(trial.length).toBeGreaterThan(0);
    for (const row of trial) expect(row, row.currency).toMatchObject({ amount: 0 });
  });
});
