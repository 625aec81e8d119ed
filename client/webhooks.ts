import { Webhook, WebhookVerificationError as LibraryVerificationError } from 'standardwebhooks';
import type { components, webhooks } from '../generated/schema.d.ts';

/**
 * An event as Tillpoint sends it to webhook endpoints (and as `getEvent` returns it):
 * `{ id, type, createdAt, data: { object } }`. Narrow it by `type`: `payment.*` events carry a
 * `Payment`, `checkout.session.*` events a `CheckoutSession`.
 */
export type TillpointEvent = components['schemas']['Event'];

/** Every event type (`payment.succeeded`, `checkout.session.completed`…). */
export type TillpointEventType = TillpointEvent['type'];

/** The body of the webhook of one event type, from the contract's `webhooks:` section. */
export type WebhookPayload<T extends keyof webhooks> = webhooks[T]['post']['requestBody']['content']['application/json'];

/** The request headers of a delivery: a fetch `Headers` or a Node `IncomingHttpHeaders`-like object. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/** Why {@link verifyWebhook} rejected a delivery. */
export type WebhookVerificationReason =
  | 'invalid_body'
  | 'missing_header'
  | 'invalid_secret'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'signature_mismatch'
  | 'id_mismatch';

/**
 * Thrown by {@link verifyWebhook} when a delivery must not be trusted. Answer it with `400` (the
 * delivery will be retried) and log `message`, which says what to fix.
 */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  /**
   * @param reason Machine-readable cause.
   * @param message What went wrong and, when it is likely on your side, what to change.
   */
  constructor(
    readonly reason: WebhookVerificationReason,
    message: string,
  ) {
    super(message);
  }
}

/** How far `webhook-timestamp` may be from your clock, in seconds (Standard Webhooks default: 5 minutes). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Top-level keys of an event body, in the order Tillpoint serialises them. */
const EVENT_KEYS = ['id', 'type', 'createdAt', 'data'];

const RAW_BODY_ADVICE =
  'Pass the raw request body exactly as received: for example express.raw({ type: "application/json" }) ' +
  'and req.body (a Buffer), or `await request.text()` with fetch-style requests.';

/**
 * Verifies a Tillpoint webhook delivery and returns its event, typed.
 *
 * Checks, per the Standard Webhooks specification (with the `standardwebhooks` library): the
 * three headers are present, `webhook-timestamp` is within {@link WEBHOOK_TOLERANCE_SECONDS}
 * (5 minutes) of your clock, and one of the `v1,` signatures in `webhook-signature` is the
 * HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>` with one of your secrets; then
 * that the body is an event whose `id` equals `webhook-id`.
 *
 * Use the event's `id` (also `webhook-id`) to ignore an event you already processed: deliveries
 * are at least once.
 *
 * @param rawBody The request body exactly as received, as a string or bytes (`Buffer`,
 *   `Uint8Array`). Not a parsed object: re-serialised JSON no longer matches the signature.
 * @param headers The request headers (`Headers`, or Node's `req.headers`).
 * @param secret The endpoint's secret (`whsec_…`), or several: during a rotation pass the new
 *   and the previous secret, and a delivery signed with either is accepted.
 * @returns The event: `{ id, type, createdAt, data: { object } }`.
 * @throws {WebhookVerificationError} With `reason` and a message saying what is wrong, in
 *   particular when the body looks parsed and re-serialised (an object was passed, or its JSON
 *   whitespace or key order changed).
 *
 * @example
 * ```ts
 * app.post('/webhooks/tillpoint', express.raw({ type: 'application/json' }), (req, res) => {
 *   const event = verifyWebhook(req.body, req.headers, process.env.TILLPOINT_WEBHOOK_SECRET!);
 *   if (event.type === 'payment.succeeded') fulfil(event.data.object.id);
 *   res.sendStatus(204);
 * });
 * ```
 */
export function verifyWebhook(rawBody: string | Uint8Array, headers: WebhookHeaders, secret: string | readonly string[]): TillpointEvent {
  const body = rawBodyText(rawBody);
  const signed = signatureHeaders(headers);
  const secrets = (typeof secret === 'string' ? [secret] : [...secret]).filter((s) => typeof s === 'string' && s !== '');
  if (secrets.length === 0) throw new WebhookVerificationError('invalid_secret', 'No secret given: pass the endpoint secret (whsec_…) shown when it was created or rotated.');

  let parsed: unknown;
  let verified = false;
  for (const candidate of secrets) {
    let hook: Webhook;
    try {
      hook = new Webhook(candidate);
    } catch {
      throw new WebhookVerificationError('invalid_secret', 'The secret is not a webhook endpoint secret: expected "whsec_" followed by base64, as shown when the endpoint was created or rotated.');
    }
    try {
      parsed = hook.verify(body, signed);
      verified = true;
      break;
    } catch (err) {
      const failure = translate(err, signed, body);
      if (failure.reason !== 'signature_mismatch') throw failure;
    }
  }
  if (!verified) throw mismatch(body, secrets.length);

  const event = parsed as Partial<TillpointEvent> | undefined;
  if (!event || typeof event !== 'object' || typeof event.type !== 'string' || typeof event.data !== 'object' || event.data === null) {
    throw new WebhookVerificationError('invalid_body', 'The signature is valid but the body is not a Tillpoint event ({ id, type, createdAt, data }).');
  }
  if (event.id !== signed['webhook-id']) {
    throw new WebhookVerificationError('id_mismatch', `The body's id (${String(event.id)}) differs from the webhook-id header (${signed['webhook-id']}).`);
  }
  return event as TillpointEvent;
}

/** The body as a string, or a clear error when it was parsed already. */
function rawBodyText(rawBody: unknown): string {
  if (typeof rawBody === 'string') return rawBody;
  if (rawBody instanceof Uint8Array) return new TextDecoder('utf-8').decode(rawBody);
  if (rawBody !== null && typeof rawBody === 'object') {
    throw new WebhookVerificationError(
      'invalid_body',
      'verifyWebhook needs the raw request body, but got an object: the body was already parsed as JSON (for example by express.json()). ' +
        `Re-serialising it does not give back the signed bytes. ${RAW_BODY_ADVICE}`,
    );
  }
  throw new WebhookVerificationError('invalid_body', `verifyWebhook needs the raw request body as a string or bytes, got ${rawBody === null ? 'null' : typeof rawBody}. ${RAW_BODY_ADVICE}`);
}

/** The three signature headers, each checked to be present. */
function signatureHeaders(headers: WebhookHeaders): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const get = (name: string): string | undefined => {
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const record = headers as Record<string, string | string[] | undefined>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    const value = key === undefined ? undefined : record[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const names = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;
  const missing = names.filter((name) => !get(name));
  if (missing.length > 0) {
    throw new WebhookVerificationError(
      'missing_header',
      `Missing header${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: pass all the request headers (a proxy may have dropped them).`,
    );
  }
  return { 'webhook-id': get('webhook-id')!, 'webhook-timestamp': get('webhook-timestamp')!, 'webhook-signature': get('webhook-signature')! };
}

/** Maps an error of the `standardwebhooks` library to ours, with a useful message. */
function translate(err: unknown, signed: Record<string, string>, body: string): WebhookVerificationError {
  const message = err instanceof LibraryVerificationError || err instanceof Error ? err.message : String(err);
  const age = Math.floor(Date.now() / 1000) - Number.parseInt(signed['webhook-timestamp']!, 10);
  if (/too old/i.test(message)) {
    return new WebhookVerificationError(
      'timestamp_too_old',
      `The webhook-timestamp is ${age} seconds old, beyond the ${WEBHOOK_TOLERANCE_SECONDS}-second tolerance: the delivery may be a replay, or your clock is wrong.`,
    );
  }
  if (/too new/i.test(message)) {
    return new WebhookVerificationError(
      'timestamp_too_new',
      `The webhook-timestamp is ${-age} seconds in the future, beyond the ${WEBHOOK_TOLERANCE_SECONDS}-second tolerance: check your clock.`,
    );
  }
  if (/invalid signature headers/i.test(message)) {
    return new WebhookVerificationError('invalid_timestamp', `The webhook-timestamp header (${signed['webhook-timestamp']}) is not Unix seconds.`);
  }
  if (/missing/i.test(message)) return new WebhookVerificationError('missing_header', message);
  if (/JSON/.test(message) || err instanceof SyntaxError) {
    return new WebhookVerificationError('invalid_body', `The signature is valid but the body is not JSON: ${body.slice(0, 80)}`);
  }
  return new WebhookVerificationError('signature_mismatch', message);
}

/** The error for a signature that matches no secret, saying why when the body gives it away. */
function mismatch(body: string, secretCount: number): WebhookVerificationError {
  const hint = reserialisationHint(body);
  if (hint) {
    return new WebhookVerificationError(
      'signature_mismatch',
      `No signature matches, and the body looks parsed and re-serialised: ${hint}. The signature covers the exact bytes Tillpoint sent. ${RAW_BODY_ADVICE}`,
    );
  }
  return new WebhookVerificationError(
    'signature_mismatch',
    `No signature matches ${secretCount > 1 ? `any of the ${secretCount} secrets` : 'the secret'}: check that it is this endpoint's current secret ` +
      '(after a rotation, pass the new and the previous one), and that the body was not modified on the way.',
  );
}

/** Why a body is probably not the bytes Tillpoint sent (compact JSON, keys in its order), or undefined. */
function reserialisationHint(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const keys = Object.keys(parsed);
  if (EVENT_KEYS.every((k) => keys.includes(k)) && keys.join() !== EVENT_KEYS.join()) {
    return `its keys are in another order (${keys.join(', ')}) than Tillpoint sends them (${EVENT_KEYS.join(', ')})`;
  }
  if (JSON.stringify(parsed) !== body) {
    return 'its JSON formatting (whitespace, indentation or escaping) differs from the compact JSON Tillpoint sends';
  }
  return undefined;
}
