/**
 * Issue 13 #3: a live-mode server must not accept the sandbox test instruments. A test card or
 * test phone number is declined with a stable code (402 `test_instrument_in_live_mode`), nothing
 * is charged, no balance moves, and the hosted pages show no sandbox banner and no 3-D Secure
 * simulator a payer could approve themselves with.
 */
import { describe, expect, it } from 'vitest';
import { createTillpointClient } from '../../client/index.ts';
import { createMerchant } from '../../server/auth/index.ts';
import { insertPayment } from '../../server/payments/repository.ts';
import { expectProblem } from '../support/problems.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';

const servers = useTestServer({ live: true });

async function liveMerchant() {
  const live = servers.live;
  const merchant = await createMerchant(live.deps, 'Live merchant');
  return { merchant, client: createTillpointClient({ baseUrl: live.url, apiKey: merchant.apiKey, retry: false }) };
}

const mobileMoney = { amount: 5000, currency: 'UGX', paymentMethod: { type: 'mobile_money' as const, provider: 'mtn' as const, phoneNumber: '+256700000001' } };

describe('live mode refuses sandbox test instruments', () => {
  for (const [what, body] of [
    ['the succeeding test card', cardPayment(99_900, 'USD', '4242424242424242')],
    ['the 3-D Secure test card', cardPayment(2500, 'USD', '4000002760003184')],
    ['a succeeding test phone number', mobileMoney],
  ] as const) {
    it(`createPayment with ${what}: 402 test_instrument_in_live_mode, nothing charged`, async () => {
      const { client } = await liveMerchant();
      const r = await client.POST('/v1/payments', { body });
      const problem = expectProblem(r, 402, 'test_instrument_in_live_mode');
      expect(problem.errors?.[0]?.pointer).toMatch(/^\/paymentMethod\//);
      const list = await client.GET('/v1/payments', {});
      expect(list.data?.data).toEqual([]);
      const balance = await client.GET('/v1/balance', {});
      expect(balance.data?.available).toEqual([]);
    });
  }

  it('the hosted checkout page has no sandbox banner, and paying with 4242… is declined without credit', async () => {
    const { client } = await liveMerchant();
    const session = await client.POST('/v1/checkout/sessions', {
      body: { amount: 99_900, currency: 'USD', successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/cart' },
    });
    expect(session.response.status).toBe(201);
    const page = await fetch(`${servers.live.url}/checkout/${session.data!.id}`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).not.toMatch(/Sandbox/);
    expect(html).not.toContain('4242424242424242');

    const form = new URLSearchParams({ cardNumber: '4242 4242 4242 4242', expiry: '12/30', cvc: '123', email: 'payer@example.com', holderName: 'A Payer' });
    const paid = await fetch(`${servers.live.url}/checkout/${session.data!.id}/pay`, { method: 'POST', body: form, redirect: 'manual' });
    expect(paid.status).toBe(402);
    expect(await paid.text()).toMatch(/live mode/i);
    const after = await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: session.data!.id } } });
    expect(after.data?.status).toBe('open');
    const balance = await client.GET('/v1/balance', {});
    expect(balance.data?.available).toEqual([]);
  });

  it('the 3-D Secure simulator does not exist in live mode, even for a payment awaiting authentication', async () => {
    const { merchant } = await liveMerchant();
    const id = 'pay_LiveModeAwaitingAuth0001';
    await insertPayment(servers.live.deps.db, {
      id,
      merchantId: merchant.merchantId,
      status: 'requires_action',
      amount: 2500,
      currency: 'USD',
      methodType: 'card',
      methodDetails: { card: { brand: 'visa', last4: '3184', expMonth: 12, expYear: 2030 } },
      metadata: {},
    });
    const r = await fetch(`${servers.live.url}/authenticate/${id}`);
    expect(r.status).toBe(404);
    const approve = await fetch(`${servers.live.url}/authenticate/${id}`, { method: 'POST', body: new URLSearchParams({ decision: 'approve' }), redirect: 'manual' });
    expect(approve.status).toBe(404);
    expect(await r.text()).not.toMatch(/Complete authentication|Sandbox/);
  });
});
