/**
 * Signing secrets and signatures of webhook deliveries, per the Standard Webhooks specification
 * (https://www.standardwebhooks.com/): the signature is the base64 HMAC-SHA256, keyed with the
 * base64-decoded secret after `whsec_`, of `<webhook-id>.<webhook-timestamp>.<raw body>`,
 * sent as `v1,<signature>`; several signatures are separated by spaces. Signing is done by the
 * maintained `standardwebhooks` library; the tests verify with it too.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Prefix of every endpoint secret. */
export const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` + base64 of 24 random bytes (32 characters), as the Standard Webhooks libraries expect. */
export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(24).toString('base64')}`;
}

/**
 * One `v1,<base64>` signature of a message.
 * @param secret An endpoint secret (`whsec_…`).
 * @param msgId The `webhook-id` header (the event id).
 * @param timestampSeconds The `webhook-timestamp` header, Unix seconds.
 * @param body The raw body, exactly as sent.
 */
export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  return new Webhook(secret).sign(msgId, new Date(timestampSeconds * 1000), body);
}

/** The headers of one delivery attempt. */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The Standard Webhooks headers of one attempt, signed with every secret given (the current
 * secret first, then the previous one during a rotation overlap).
 * @param signedAt When the attempt is signed; real time, so that receivers' tolerance checks pass.
 */
export function signatureHeaders(secrets: string[], msgId: string, signedAt: Date, body: string): SignatureHeaders {
  const timestamp = Math.floor(signedAt.getTime() / 1000);
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => sign(secret, msgId, timestamp, body)).join(' '),
  };
}
