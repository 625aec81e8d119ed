/**
 * verifyWebhook (client/webhooks.ts), without a server: deliveries are signed here with the
 * independent `standardwebhooks` library, exactly as the Standard Webhooks spec says, and must
 * be accepted; every way a delivery can be wrong must be rejected with a
 * `WebhookVerificationError` whose message says what to fix, in particular a body that was parsed
 * and re-serialised.
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { verifyWebhook, WebhookVerificationError, type TillpointEvent, type WebhookPayload } from '../../client/index.ts';
import type { components } from '../../generated/schema.d.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const PREVIOUS = 'whsec_Rj1c0xTqN8vH3mWb5KpL7sYd2ZfG9aEu';

const event = {
  id: 'evt_2Xc8Vn4Kq7Ld1Rm9Tz3Hb6Pw',
  type: 'payment.refunded',
  createdAt: '2026-11-21T14:02:44.000Z',
  data: {
    object: {
      id: 'pay_3kTq9ZmX2bW7nR4vL8cY1dPa',
      status: 'succeeded',
      amount: 2500,
      currency: 'USD',
      amountRefunded: 1000,
      paymentMethod: { type: 'card', card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 } },
      description: 'Café order — ORD-1042',
      customerEmail: 'amara@example.com',
      reference: 'ORD-1042',
      checkoutSessionId: null,
      applicationId: null,
      failureCode: null,
      failureMessage: null,
      nextAction: null,
      metadata: { orderId: 'ORD-1042' },
      createdAt: '2026-11-21T10:15:30.000Z',
      updatedAt: '2026-11-21T14:02:44.000Z',
    },
  },
} satisfies components['schemas']['PaymentEvent'];

/** A delivery as Tillpoint sends it: compact JSON, signed with `secrets` by standardwebhooks. */
function delivery(body = JSON.stringify(event), secrets: string[] = [SECRET], at = new Date(), id = event.id) {
  const signature = secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' ');
  return { body, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature } };
}

/** The error verifyWebhook throws for these arguments. */
function rejection(...args: Parameters<typeof verifyWebhook>): WebhookVerificationError {
  try {
    verifyWebhook(...args);
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    return err as WebhookVerificationError;
  }
  throw new Error('verifyWebhook accepted the delivery');
}

afterEach(() => {
  vi.useRealTimers();
});

describe('verifyWebhook accepts', () => {
  it('a delivery signed per Standard Webhooks, returning the typed event', () => {
    const { body, headers } = delivery();
    const verified = verifyWebhook(body, headers, SECRET);
    expect(verified).toEqual(event);
    expectTypeOf(verified).toEqualTypeOf<TillpointEvent>();
    if (verified.type === 'payment.refunded') {
      expectTypeOf(verified.data.object).toEqualTypeOf<components['schemas']['Payment']>();
      expect(verified.data.object.amountRefunded).toBe(1000);
    }
    expectTypeOf<WebhookPayload<'checkout.session.completed'>>().toEqualTypeOf<components['schemas']['CheckoutSessionEvent']>();
  });

  it('the body as bytes (Buffer, Uint8Array) and fetch Headers, or Node header objects with any case', () => {
    const { body, headers } = delivery();
    expect(verifyWebhook(Buffer.from(body), headers, SECRET)).toEqual(event);
    expect(verifyWebhook(new TextEncoder().encode(body), new Headers(headers), SECRET)).toEqual(event);
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), [v]]));
    expect(verifyWebhook(body, upper, SECRET)).toEqual(event);
  });

  it('any of several secrets, and either signature of a rotation overlap', () => {
    const both = delivery(undefined, [SECRET, PREVIOUS]);
    expect(verifyWebhook(both.body, both.headers, SECRET).id).toBe(event.id);
    expect(verifyWebhook(both.body, both.headers, PREVIOUS).id).toBe(event.id);
    const newOnly = delivery(undefined, [SECRET]);
    expect(verifyWebhook(newOnly.body, newOnly.headers, [PREVIOUS, SECRET]).id).toBe(event.id);
  });

  it('a timestamp up to 5 minutes old', () => {
    const { body, headers } = delivery(undefined, [SECRET], new Date(Date.now() - 290_000));
    expect(verifyWebhook(body, headers, SECRET).id).toBe(event.id);
  });
});

describe('verifyWebhook rejects', () => {
  it('a body that was parsed already (an object), saying to pass the raw body', () => {
    const { headers } = delivery();
    const err = rejection(event as unknown as string, headers, SECRET);
    expect(err.reason).toBe('invalid_body');
    expect(err.message).toMatch(/raw request body/);
    expect(err.message).toMatch(/already parsed as JSON/);
    expect(err.message).toMatch(/express\.raw/);
    expect(rejection(undefined as unknown as string, headers, SECRET).reason).toBe('invalid_body');
  });

  it('a body re-serialised with other whitespace, saying so', () => {
    const { body, headers } = delivery();
    const err = rejection(JSON.stringify(JSON.parse(body), null, 2), headers, SECRET);
    expect(err.reason).toBe('signature_mismatch');
    expect(err.message).toMatch(/parsed and re-serialised/);
    expect(err.message).toMatch(/whitespace/);
  });

  it('a body re-serialised with its keys in another order, saying so', () => {
    const { body, headers } = delivery();
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const sorted = JSON.stringify(Object.fromEntries(Object.keys(parsed).sort().map((k) => [k, parsed[k]])));
    const err = rejection(sorted, headers, SECRET);
    expect(err.reason).toBe('signature_mismatch');
    expect(err.message).toMatch(/parsed and re-serialised/);
    expect(err.message).toMatch(/keys are in another order/);
  });

  it('a tampered body or the wrong secret, without blaming re-serialisation', () => {
    const { body, headers } = delivery();
    const tampered = rejection(body.replace('"amountRefunded":1000', '"amountRefunded":2500'), headers, SECRET);
    expect(tampered.reason).toBe('signature_mismatch');
    expect(tampered.message).not.toMatch(/re-serialised/);
    expect(tampered.message).toMatch(/current secret/);
    expect(rejection(body, headers, PREVIOUS).reason).toBe('signature_mismatch');
    expect(rejection(body, headers, [PREVIOUS, PREVIOUS]).message).toMatch(/any of the 2 secrets/);
  });

  it('a timestamp older or newer than the 5-minute tolerance (replay, wrong clock)', () => {
    const old = delivery(undefined, [SECRET], new Date(Date.now() - 301_000));
    const tooOld = rejection(old.body, old.headers, SECRET);
    expect(tooOld.reason).toBe('timestamp_too_old');
    expect(tooOld.message).toMatch(/tolerance/);
    const future = delivery(undefined, [SECRET], new Date(Date.now() + 400_000));
    expect(rejection(future.body, future.headers, SECRET).reason).toBe('timestamp_too_new');
    // The same delivery, verified 6 minutes after it was signed.
    const fresh = delivery();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 360_000);
    expect(rejection(fresh.body, fresh.headers, SECRET).reason).toBe('timestamp_too_old');
  });

  it('missing headers, naming them; a timestamp that is not a number', () => {
    const { body, headers } = delivery();
    const missing = rejection(body, { 'webhook-id': headers['webhook-id'] }, SECRET);
    expect(missing.reason).toBe('missing_header');
    expect(missing.message).toMatch(/webhook-timestamp, webhook-signature/);
    expect(rejection(body, { ...headers, 'webhook-timestamp': 'yesterday' }, SECRET).reason).toBe('invalid_timestamp');
  });

  it('a secret that is not an endpoint secret, or none', () => {
    const { body, headers } = delivery();
    expect(rejection(body, headers, 'whsec_not base64!').reason).toBe('invalid_secret');
    expect(rejection(body, headers, []).reason).toBe('invalid_secret');
  });

  it('a validly signed body whose id is not the webhook-id, or that is not an event', () => {
    const other = { ...event, id: 'evt_9Qm4Tx7Lb2Kc5Wz8Nv1Rd3Hs' };
    const signed = delivery(JSON.stringify(other), [SECRET], new Date(), event.id);
    expect(rejection(signed.body, signed.headers, SECRET).reason).toBe('id_mismatch');
    const notEvent = delivery('{"hello":"world"}');
    expect(rejection(notEvent.body, notEvent.headers, SECRET).reason).toBe('invalid_body');
  });
});
