/**
 * Registered payers' wallets: `createSandboxPayer` (opening balances from the ledger),
 * `getWallet` (X-Payer-Token with `wallet.read`), wallet payments on `createPayment`
 * (`wallet.pay`; wallet and merchant ledger in one transaction, 402 when short, also under
 * parallel payments), refunds back into the wallet, and `mfaCode` checked through the otp port.
 */
import { describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { trialBalance } from '../../server/ledger/index.ts';
import { newKey } from '../support/idempotency.ts';
import { expectInvalidBody, expectProblem } from '../support/problems.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { createPayer, defaultApplicationId, mintPayerToken, payerClient, uniqueEmail } from '../oauth/fixtures.ts';
import { mobileMoneyPayment, PHONES } from './fixtures.ts';

const { server: s, clock } = useTestServer();
const PAYER_INVALID = 'Bearer realm="tillpoint-payer", error="invalid_token"';

/** A merchant, a payer of it holding `balances`, and a token of the payer with `scopes` for the default application. */
async function setUp(balances: { amount: number; currency: string }[], scopes: ('wallet.read' | 'wallet.pay')[] = ['wallet.read', 'wallet.pay']) {
  const { client, merchant } = await s.newMerchant();
  const payer = await createPayer(client, balances);
  const applicationId = await defaultApplicationId(client);
  const { token, grantId } = await mintPayerToken(s, merchant.merchantId, applicationId, payer.id, scopes);
  return { client, merchant, payer, applicationId, token, grantId, asPayer: payerClient(s, merchant.apiKey, token) };
}

const walletPayment = (amount: number, currency = 'USD') => ({ amount, currency, paymentMethod: { type: 'wallet' as const } });

describe('createSandboxPayer', () => {
  it('201: a usr_ payer with its wallet holding the opening balances; the ledger still balances', async () => {
    const { client } = await s.newMerchant();
    const email = uniqueEmail();
    const r = await client.POST('/v1/sandbox/payers', {
      body: { name: 'Amara Okello', email: email.toUpperCase(), phoneNumber: '+256700000001', balances: [{ amount: 10000, currency: 'USD' }, { amount: 5000000, currency: 'UGX' }] },
    });
    expect(r.response.status).toBe(201);
    expect(r.data).toEqual({
      id: expect.stringMatching(/^usr_[0-9A-Za-z]{24}$/),
      name: 'Amara Okello',
      email,
      phoneNumber: '+256700000001',
      wallet: { userId: r.data!.id, balances: [{ currency: 'UGX', amount: 5000000 }, { currency: 'USD', amount: 10000 }] },
      createdAt: expect.any(String),
    });
    // Not the merchant's money.
    expect(unwrap(await client.GET('/v1/balance')).available).toEqual([]);
    for (const { amount } of await trialBalance(s.deps.db)) expect(amount).toBe(0);
  });

  it('409 payer_email_taken for an email the merchant already uses (any case); another merchant may use it', async () => {
    const { client } = await s.newMerchant();
    const email = uniqueEmail();
    await createPayer(client, [], { email });
    const taken = expectProblem(await client.POST('/v1/sandbox/payers', { body: { name: 'Again', email: email.toUpperCase() } }), 409, 'payer_email_taken');
    expect(taken.errors?.[0]?.pointer).toBe('/email');
    const other = await s.newMerchant();
    expect((await other.client.POST('/v1/sandbox/payers', { body: { name: 'Other', email } })).response.status).toBe(201);
  });

  it('400: unknown or repeated currency, invalid phone number, missing name; 401 without credentials', async () => {
    const { client } = await s.newMerchant();
    const body = (extra: object) => ({ name: 'P', email: uniqueEmail(), ...extra });
    expectInvalidBody(await client.POST('/v1/sandbox/payers', { body: body({ balances: [{ amount: 1, currency: 'USD' }, { amount: 2, currency: 'USD' }] }) }), '/balances/1/currency');
    expectInvalidBody(await client.POST('/v1/sandbox/payers', { body: body({ balances: [{ amount: 1, currency: 'XXQ' }] }) }), '/balances/0/currency');
    expectInvalidBody(await client.POST('/v1/sandbox/payers', { body: body({ phoneNumber: '+10000000000' }) }), '/phoneNumber');
    expectInvalidBody(await client.POST('/v1/sandbox/payers', { body: { email: uniqueEmail() } as never }), '/name');
    expectProblem(await s.anonymous().POST('/v1/sandbox/payers', { body: body({}) }), 401, 'unauthenticated');
  });

  it('201 replayed for the same Idempotency-Key instead of 409', async () => {
    const { client } = await s.newMerchant();
    const key = newKey();
    const body = { name: 'P', email: uniqueEmail(), balances: [{ amount: 700, currency: 'EUR' }] };
    const first = unwrap(await client.POST('/v1/sandbox/payers', { body, headers: { 'Idempotency-Key': key } }));
    const again = await client.POST('/v1/sandbox/payers', { body, headers: { 'Idempotency-Key': key } });
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first);
  });
});

describe('getWallet', () => {
  it('200: the balances of the payer of X-Payer-Token', async () => {
    const { asPayer, payer } = await setUp([{ amount: 4200, currency: 'USD' }], ['wallet.read']);
    const r = await asPayer.GET('/v1/wallet');
    expect(r.response.status).toBe(200);
    expect(r.data).toEqual({ userId: payer.id, balances: [{ currency: 'USD', amount: 4200 }] });
  });

  it('401 without X-Payer-Token, with an unknown, revoked or another merchant\'s token; 403 without wallet.read', async () => {
    const { merchant, token, grantId, asPayer } = await setUp([], ['wallet.pay']);
    const missing = await payerClient(s, merchant.apiKey).GET('/v1/wallet');
    expectProblem(missing, 401, 'unauthenticated');
    expect(missing.response.headers.get('www-authenticate')).toBe('Bearer realm="tillpoint-payer"');
    const unknown = await payerClient(s, merchant.apiKey, `oat_test_${'A'.repeat(30)}000000`).GET('/v1/wallet');
    expectProblem(unknown, 401, 'unauthenticated');
    expect(unknown.response.headers.get('www-authenticate')).toBe(PAYER_INVALID);
    // A malformed value is a bad header (the contract's pattern).
    expectProblem(await payerClient(s, merchant.apiKey, 'not-a-token').GET('/v1/wallet'), 400, 'invalid_request');

    const lacking = await asPayer.GET('/v1/wallet');
    const problem = expectProblem(lacking, 403, 'insufficient_scope');
    expect(problem.requiredScopes).toEqual(['wallet.read']);
    expect(lacking.response.headers.get('www-authenticate')).toBe('Bearer realm="tillpoint-payer", error="insufficient_scope", scope="wallet.read"');

    const other = await s.newMerchant();
    expect((await payerClient(s, other.merchant.apiKey, token).GET('/v1/wallet')).response.headers.get('www-authenticate')).toBe(PAYER_INVALID);

    const { revokeGrant } = await import('../../server/oauth/repository.ts');
    await revokeGrant(s.deps.db, grantId, s.deps.realNow());
    expectProblem(await asPayer.GET('/v1/wallet'), 401, 'unauthenticated');
  });

  it('401 when the access token has expired (one hour)', async () => {
    const { asPayer } = await setUp([], ['wallet.read']);
    expect((await asPayer.GET('/v1/wallet')).response.status).toBe(200);
    clock.advanceSeconds(3601);
    expectProblem(await asPayer.GET('/v1/wallet'), 401, 'unauthenticated');
  });
});

describe('createPayment with a wallet', () => {
  it('201 succeeded: the wallet pays the merchant in one posting; refunds go back to the wallet', async () => {
    const { client, asPayer, payer } = await setUp([{ amount: 10000, currency: 'USD' }]);
    const r = await asPayer.POST('/v1/payments', { body: walletPayment(2500) });
    expect(r.response.status).toBe(201);
    expect(r.data).toMatchObject({ status: 'succeeded', amount: 2500, currency: 'USD', paymentMethod: { type: 'wallet', wallet: { userId: payer.id } } });
    expect(unwrap(await asPayer.GET('/v1/wallet')).balances).toEqual([{ currency: 'USD', amount: 7500 }]);
    expect(unwrap(await client.GET('/v1/balance')).available).toEqual([{ currency: 'USD', amount: 2500 }]);

    unwrap(await client.POST('/v1/payments/{paymentId}/refunds', { params: { path: { paymentId: r.data!.id } }, body: { amount: 1000 } }));
    expect(unwrap(await asPayer.GET('/v1/wallet')).balances).toEqual([{ currency: 'USD', amount: 8500 }]);
    expect(unwrap(await client.GET('/v1/balance')).available).toEqual([{ currency: 'USD', amount: 1500 }]);
    for (const { amount } of await trialBalance(s.deps.db)) expect(amount).toBe(0);
  });

  it('402 insufficient_funds when the wallet is short (stored as failed, nothing moved), also in a currency it never held', async () => {
    const { client, asPayer } = await setUp([{ amount: 1000, currency: 'USD' }]);
    const short = expectProblem(await asPayer.POST('/v1/payments', { body: walletPayment(1001) }), 402, 'insufficient_funds');
    const failed = unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: short.paymentId! } } }));
    expect(failed).toMatchObject({ status: 'failed', failureCode: 'insufficient_funds', paymentMethod: { type: 'wallet' } });
    expectProblem(await asPayer.POST('/v1/payments', { body: walletPayment(100, 'EUR') }), 402, 'insufficient_funds');
    expect(unwrap(await asPayer.GET('/v1/wallet')).balances).toEqual([{ currency: 'USD', amount: 1000 }]);
    expect(unwrap(await client.GET('/v1/balance')).available).toEqual([]);
  });

  it('parallel wallet payments never overdraw: 8 × 3000 from 10000 → 3 succeed, 5 are 402, 1000 left', async () => {
    const { client, asPayer } = await setUp([{ amount: 10000, currency: 'USD' }]);
    const results = await Promise.all(Array.from({ length: 8 }, () => asPayer.POST('/v1/payments', { body: walletPayment(3000), headers: { 'Idempotency-Key': newKey() } })));
    expect(results.filter((r) => r.response.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.response.status === 402)).toHaveLength(5);
    expect(unwrap(await asPayer.GET('/v1/wallet')).balances).toEqual([{ currency: 'USD', amount: 1000 }]);
    expect(unwrap(await client.GET('/v1/balance')).available).toEqual([{ currency: 'USD', amount: 9000 }]);
  });

  it('401 without X-Payer-Token (not stored under its Idempotency-Key: the retry with the token runs); 403 without wallet.pay', async () => {
    const { merchant, token } = await setUp([{ amount: 5000, currency: 'USD' }]);
    const key = newKey();
    const missing = await payerClient(s, merchant.apiKey).POST('/v1/payments', { body: walletPayment(500), headers: { 'Idempotency-Key': key } });
    expectProblem(missing, 401, 'unauthenticated');
    expect(missing.response.headers.get('www-authenticate')).toBe('Bearer realm="tillpoint-payer"');
    const retried = await payerClient(s, merchant.apiKey, token).POST('/v1/payments', { body: walletPayment(500), headers: { 'Idempotency-Key': key } });
    expect(retried.response.status).toBe(201);
    expect(retried.response.headers.get('idempotent-replayed')).toBeNull();

    const readOnly = await setUp([{ amount: 5000, currency: 'USD' }], ['wallet.read']);
    const refused = await readOnly.asPayer.POST('/v1/payments', { body: walletPayment(500) });
    expect(expectProblem(refused, 403, 'insufficient_scope').requiredScopes).toEqual(['wallet.pay']);
    expect(unwrap(await readOnly.asPayer.GET('/v1/wallet')).balances).toEqual([{ currency: 'USD', amount: 5000 }]);
  });

  it("another merchant's payer token is 401 and moves nothing", async () => {
    const { token, asPayer } = await setUp([{ amount: 5000, currency: 'USD' }]);
    const other = await s.newMerchant();
    expectProblem(await payerClient(s, other.merchant.apiKey, token).POST('/v1/payments', { body: walletPayment(500) }), 401, 'unauthenticated');
    expect(unwrap(await asPayer.GET('/v1/wallet')).balances).toEqual([{ currency: 'USD', amount: 5000 }]);
  });
});

describe('createPayment with mfaCode', () => {
  async function codeFor(client: Awaited<ReturnType<typeof s.newMerchant>>['client'], to: { phoneNumber?: string; email?: string }) {
    unwrap(await client.POST('/v1/otp', { body: to }));
    return unwrap(await client.GET('/v1/sandbox/otp', { params: { query: to } })).code;
  }
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('201 with the code sent to the mobile-money phone; the code is then spent (422 otp_invalid)', async () => {
    const { client } = await s.newMerchant();
    const code = await codeFor(client, { phoneNumber: PHONES.mtn.succeeds });
    const body = { ...mobileMoneyPayment('mtn', PHONES.mtn.succeeds), mfaCode: code };
    expect((await client.POST('/v1/payments', { body })).response.status).toBe(201);
    const again = expectProblem(await client.POST('/v1/payments', { body }), 422, 'otp_invalid');
    expect(again).toMatchObject({ attemptsLeft: 0, errors: [{ pointer: '/mfaCode' }] });
  });

  it('422 otp_invalid with attemptsLeft for a wrong code, counted under Idempotency-Keys too, nothing charged; 429 after 5', async () => {
    const { client } = await s.newMerchant();
    const code = await codeFor(client, { phoneNumber: PHONES.mtn.succeeds });
    const body = { ...mobileMoneyPayment('mtn', PHONES.mtn.succeeds), mfaCode: wrong(code) };
    const left = [];
    for (let i = 0; i < 5; i++) left.push(expectProblem(await client.POST('/v1/payments', { body, headers: { 'Idempotency-Key': newKey() } }), 422, 'otp_invalid').attemptsLeft);
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const locked = await client.POST('/v1/payments', { body: { ...body, mfaCode: code } });
    expectProblem(locked, 429, 'otp_attempts_exceeded');
    expect(Number(locked.response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(unwrap(await client.GET('/v1/payments')).data).toEqual([]);
  });

  it("a card payment checks the code sent to customerEmail; a code for another phone is refused; 400 without phone or email", async () => {
    const { client } = await s.newMerchant();
    const email = uniqueEmail();
    const code = await codeFor(client, { email });
    expect((await client.POST('/v1/payments', { body: { ...cardPayment(), customerEmail: email, mfaCode: code } })).response.status).toBe(201);
    const phoneCode = await codeFor(client, { phoneNumber: '+256700000002' });
    expectProblem(await client.POST('/v1/payments', { body: { ...mobileMoneyPayment('mtn', PHONES.mtn.succeeds), mfaCode: phoneCode } }), 422, 'otp_invalid');
    expectInvalidBody(await client.POST('/v1/payments', { body: { ...cardPayment(), mfaCode: '123456' } }), '/mfaCode');
    expectInvalidBody(await client.POST('/v1/payments', { body: { ...cardPayment(), customerEmail: email, mfaCode: '12345' } }), '/mfaCode');
  });
});
