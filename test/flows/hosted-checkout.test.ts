/**
 * A story across families: a merchant opens a checkout session (checkout-sessions), the payer
 * pays on the hosted page with a card that asks for 3-D Secure (payments, through the checkout
 * port), approves the challenge, and the merchant sees the payment captured, the session
 * complete, the balance credited and the events in the order they happened (events).
 */
import { describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { useTestServer } from '../support/use-test-server.ts';

const { server: s } = useTestServer();

/** Posts a hosted-page form as a browser would, without following the redirect. */
function submit(path: string, fields: Record<string, string>): Promise<Response> {
  return s.raw(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
}

describe('hosted checkout with 3-D Secure', () => {
  it('session → card asking for 3-D Secure → approved → payment succeeded, session complete, balance and events', async () => {
    const { client } = await s.newMerchant('Flow Roasters');
    const session = unwrap(
      await client.POST('/v1/checkout/sessions', {
        body: { amount: 4200, currency: 'USD', successUrl: 'https://shop.example.com/thanks?session={SESSION_ID}', cancelUrl: 'https://shop.example.com/cart' },
      }),
    );

    const pay = await submit(`/checkout/${session.id}/pay`, { cardNumber: '4000002760003184', expiry: '12/30', cvc: '123' });
    expect(pay.status).toBe(303);
    const challenge = new URL(pay.headers.get('location') ?? '', s.url).pathname;
    const paymentId = challenge.split('/').pop()!;
    const pending = unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId } } }));
    expect(pending).toMatchObject({ status: 'requires_action', checkoutSessionId: session.id, nextAction: { type: 'three_d_secure_redirect' } });
    expect(new URL(pending.nextAction!.redirectUrl).pathname).toBe(challenge);

    const approved = await submit(challenge, { decision: 'approve' });
    expect(approved.status).toBe(303);
    expect(approved.headers.get('location')).toBe(`https://shop.example.com/thanks?session=${session.id}`);

    expect(unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId } } }))).toMatchObject({ status: 'succeeded', nextAction: null });
    expect(unwrap(await client.GET('/v1/checkout/sessions/{sessionId}', { params: { path: { sessionId: session.id } } }))).toMatchObject({
      status: 'complete',
      paymentId,
    });
    expect(unwrap(await client.GET('/v1/balance')).available).toEqual([{ amount: 4200, currency: 'USD' }]);

    const events = unwrap(await client.GET('/v1/events', { params: { query: { limit: 10 } } })).data;
    const types = events.map((e) => e.type).reverse();
    expect(types.slice(0, 2)).toEqual(['checkout.session.created', 'payment.requires_action']);
    // Captured and completed in one transaction, at one instant.
    expect(types.slice(2).sort()).toEqual(['checkout.session.completed', 'payment.succeeded']);
    const completed = events.find((e) => e.type === 'checkout.session.completed')!;
    expect(completed.data.object).toMatchObject({ id: session.id, status: 'complete', paymentId, url: session.url });
  });
});
