/**
 * Escrows funded from a registered payer's wallet (X-Payer-Token with `wallet.pay`): the wallet
 * is debited into the escrow at once, a short balance is 402 and creates nothing, a cancel or a
 * refund resolution goes back into the wallet, the payer confirms delivery (`releasedBy: payer`),
 * another payer's token cannot release it, and a payer token without `wallet.pay` is 403.
 */
import { describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { accountBalances } from '../../server/ledger/index.ts';
import { escrowAccounts } from '../../server/escrows/index.ts';
import { createPayer, defaultApplicationId, mintPayerToken, payerClient, type PayerScope } from '../oauth/fixtures.ts';
import { expectInvalidBody, expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { escrowBody } from './fixtures.ts';

const { server: s } = useTestServer();

async function setUp(balance: number, scopes: PayerScope[] = ['wallet.read', 'wallet.pay']) {
  const { client, merchant } = await s.newMerchant();
  const payer = await createPayer(client, [{ amount: balance, currency: 'UGX' }]);
  const applicationId = await defaultApplicationId(client);
  const { token } = await mintPayerToken(s, merchant.merchantId, applicationId, payer.id, scopes);
  const header = { 'X-Client-Id': merchant.clientId };
  return { client, merchant, payer, token, header, asPayer: payerClient(s, merchant.apiKey, token) };
}
type Setup = Awaited<ReturnType<typeof setUp>>;

const walletBody = (amount = 50000) => escrowBody(s.deps.realNow(), { amount, paymentMethod: { type: 'wallet' } });
const walletOf = async (x: Setup) => unwrap(await x.asPayer.GET('/v1/wallet', {})).balances.find((b) => b.currency === 'UGX')?.amount;
const create = (x: Setup, amount = 50000) => x.asPayer.POST('/v1/escrows', { body: walletBody(amount), params: { header: x.header } });

describe('createEscrow from a wallet', () => {
  it('201 funded: the wallet is debited into the escrow; cancel puts it back in the wallet', async () => {
    const x = await setUp(80000);
    const r = await create(x);
    expect(r.response.status, JSON.stringify(r.error)).toBe(201);
    expect(r.data).toMatchObject({ status: 'funded', amountHeld: 50000, paymentMethod: { type: 'wallet', wallet: { userId: x.payer.id } }, payer: { userId: x.payer.id } });
    expect(await walletOf(x)).toBe(30000);
    expect((await accountBalances(s.deps.db, escrowAccounts.held(r.data!.id)))[0]?.amount).toBe(50000);
    const cancelled = unwrap(await x.client.POST('/v1/escrows/{escrowId}/cancel', { params: { path: { escrowId: r.data!.id }, header: x.header } }));
    expect(cancelled).toMatchObject({ status: 'cancelled', amountRefunded: 50000 });
    expect(await walletOf(x)).toBe(80000);
  });

  it('402 insufficient_funds when the wallet is short: nothing is created, nothing is debited', async () => {
    const x = await setUp(40000);
    expectProblem(await create(x), 402, 'insufficient_funds');
    expect(await walletOf(x)).toBe(40000);
    expect(unwrap(await x.client.GET('/v1/escrows', { params: { header: x.header } })).data).toEqual([]);
  });

  it('401 without X-Payer-Token; 403 for a payer token without wallet.pay; 400 with a one-time code', async () => {
    const x = await setUp(80000, ['wallet.read']);
    const noToken = await x.client.POST('/v1/escrows', { body: walletBody(), params: { header: x.header } });
    expectProblem(noToken, 401, 'unauthenticated');
    expect(noToken.response.headers.get('www-authenticate')).toContain('tillpoint-payer');
    expectProblem(await create(x), 403, 'insufficient_scope');
    const y = await setUp(80000);
    expectInvalidBody(await y.asPayer.POST('/v1/escrows', { body: { ...walletBody(), payer: { otp: '123456' } }, params: { header: y.header } }), '/payer/otp');
    expect(await walletOf(y)).toBe(80000);
  });
});

describe('releaseEscrow by the payer', () => {
  it('200 releasedBy payer with their token; another payer of the merchant gets 404', async () => {
    const x = await setUp(80000);
    const escrow = unwrap(await create(x));
    const other = await createPayer(x.client, [{ amount: 1000, currency: 'UGX' }]);
    const { token } = await mintPayerToken(s, x.merchant.merchantId, await defaultApplicationId(x.client), other.id, ['wallet.pay']);
    const asOther = payerClient(s, x.merchant.apiKey, token);
    expectProblem(await asOther.POST('/v1/escrows/{escrowId}/release', { params: { path: { escrowId: escrow.id }, header: x.header } }), 404, 'not_found');
    const released = unwrap(await x.asPayer.POST('/v1/escrows/{escrowId}/release', { params: { path: { escrowId: escrow.id }, header: x.header } }));
    expect(released).toMatchObject({ status: 'released', releasedBy: 'payer', amountReleased: 50000 });
    expect(unwrap(await x.client.GET('/v1/balance')).available).toEqual([{ amount: 50000, currency: 'UGX' }]);
  });
});

describe('resolveSandboxEscrowDispute of a wallet escrow', () => {
  it('a split refunds its part into the wallet', async () => {
    const x = await setUp(80000);
    const escrow = unwrap(await create(x));
    unwrap(await x.client.POST('/v1/escrows/{escrowId}/dispute', { params: { path: { escrowId: escrow.id }, header: x.header }, body: { reason: 'not_as_described' } }));
    unwrap(await x.client.POST('/v1/sandbox/escrows/{escrowId}/resolve', { params: { path: { escrowId: escrow.id } }, body: { outcome: 'split', releaseAmount: 20000, refundAmount: 30000 } }));
    expect(await walletOf(x)).toBe(60000);
  });
});
