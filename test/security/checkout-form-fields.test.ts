/**
 * Issue #7: the hosted checkout form read its fields as strings, but a field sent twice
 * (`cardNumber=…&cardNumber=1`) arrives as an array, and the page answered a 500 TypeError as
 * problem+json. Each field is now accepted only as one string: otherwise the form is shown
 * again, as HTML, with a 400 and a message, and nothing is charged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { allPayments } from '../payments/fixtures.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
let client: TillpointClient;
beforeAll(async () => {
  s = await startTestServer();
  ({ client } = await s.newMerchant());
});
afterAll(async () => s?.close());

async function openSession(): Promise<string> {
  const session = unwrap(
    await client.POST('/v1/checkout/sessions', { body: { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/ok', cancelUrl: 'https://shop.example.com/cart' } }),
  );
  return session.id;
}

const VALID = 'cardNumber=4242424242424242&expiry=12/30&cvc=123&email=payer@example.com&holderName=Ada';

describe('hosted checkout form with a repeated field', () => {
  for (const field of ['cardNumber=1', 'cvc=999', 'email=other@example.com', 'holderName=Eve', 'expiry=01/31']) {
    it(`${field.split('=')[0]} sent twice → the form again, 400, HTML, nothing charged`, async () => {
      const sessionId = await openSession();
      const response = await s.raw(`/checkout/${sessionId}/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `${VALID}&${field}`,
        redirect: 'manual',
      });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await response.text();
      expect(page).toMatch(/once/);
      expect(page).toContain('name="cardNumber"');
    });
  }

  it('the same form with each field once pays (control)', async () => {
    const sessionId = await openSession();
    const response = await s.raw(`/checkout/${sessionId}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: VALID,
      redirect: 'manual',
    });
    expect(response.status).toBe(303);
    expect((await allPayments(client)).filter((p) => p.checkoutSessionId === sessionId)).toHaveLength(1);
  });

  it('no payment was made by the rejected forms', async () => {
    expect((await allPayments(client)).length).toBe(1);
  });
});
