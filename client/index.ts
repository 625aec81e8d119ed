import createClient from 'openapi-fetch';
import type { Client } from 'openapi-fetch';
import type { paths } from '../generated/schema.d.ts';
import { createAuthMiddleware, createIdempotencyMiddleware } from './middleware.ts';
import { withRetries } from './retry.ts';
import type { FetchLike, RetryOptions } from './retry.ts';

export { TillpointError, unwrap, isProblem } from './errors.ts';
export type { Problem, ProblemFieldError, SuccessData, TillpointErrorCode } from './errors.ts';
export { createAuthMiddleware, createIdempotencyMiddleware, TOKEN_REFRESH_MARGIN_MS } from './middleware.ts';
export type { AuthMiddlewareOptions, IdempotencyMiddlewareOptions } from './middleware.ts';
export { withRetries, DEFAULT_RETRY } from './retry.ts';
export { OPERATIONS, operationFor, operationForUrl } from './operations.ts';
export type { ClientOperation, OperationFacts, OperationId } from './operations.ts';
export type { FetchLike, RetryOptions } from './retry.ts';
export { verifyWebhook, WebhookVerificationError, WEBHOOK_TOLERANCE_SECONDS } from './webhooks.ts';
export type { TillpointEvent, TillpointEventType, WebhookHeaders, WebhookPayload, WebhookVerificationReason } from './webhooks.ts';
export type { paths, components, operations, webhooks } from '../generated/schema.d.ts';

/** Version of this client, sent in the `User-Agent` header. */
export const CLIENT_VERSION = '0.1.0';

/**
 * A typed openapi-fetch client for the Tillpoint API: `GET`, `POST`… take a path of the spec and
 * resolve to `{ data, error, response }` typed from its operation. Pass the result to `unwrap`
 * to get `data` or a thrown `TillpointError`.
 */
export type TillpointClient = Client<paths>;

/** Options of {@link createTillpointClient}. */
export interface TillpointClientOptions {
  /** Root URL of the API, without `/v1`, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /**
   * Secret API key (`sk_test_…` in the sandbox, `sk_live_…` in production). Keep it on your server.
   * Every scope. Give either `apiKey` (with or without `apiSecret`) or `clientToken`, not both.
   */
  apiKey?: string | undefined;
  /**
   * API secret. When set, the key and secret are exchanged for a one-hour JWT (`createAccessToken`)
   * sent as `Authorization: Bearer` and refreshed automatically; when absent (or empty), the key is
   * sent as `x-api-key` on every request. Only with `apiKey`.
   */
  apiSecret?: string | undefined;
  /**
   * Client token of an application (`ct_test_…` / `ct_live_…`, from `createClientToken`), sent as
   * `Authorization: Bearer <clientToken>` on every request. It may call only the operations whose
   * contract security lists `clientToken` with a scope the token holds: anything else is answered
   * `403` (see {@link TillpointError.isInsufficientScope} and {@link TillpointError.requiredScopes}),
   * key management (applications, tokens, key rotation) always. Mutually exclusive with `apiKey`
   * and `apiSecret`.
   */
  clientToken?: string | undefined;
  /** `fetch` implementation. Default `globalThis.fetch` (looked up at call time). */
  fetch?: FetchLike;
  /**
   * Retry policy for transient failures (network errors, `429`, `5xx`, `409
   * idempotency_request_in_progress`): defaults `{ maxRetries: 3, baseDelayMs: 250, maxDelayMs: 8000 }`.
   * `false` sends every request exactly once.
   */
  retry?: RetryOptions | false;
  /** Your application's product token (e.g. `my-shop/2.1`), sent before this client's in `User-Agent`. */
  userAgent?: string;
  /** Clock in milliseconds since the epoch, for access-token expiry. Default `Date.now`. */
  now?: () => number;
}

/**
 * Creates a Tillpoint API client: openapi-fetch typed with the spec's `paths`, with the auth and
 * idempotency middleware registered and the retrying `fetch` installed.
 *
 * Every request to an operation that declares `Idempotency-Key` in the contract gets one (UUID v4)
 * unless you pass one, and keeps it across retries, so a retried payment is never charged twice.
 * A `POST` to an operation without that header (`rotateApiKey`, `createSandboxMerchant`…) is never
 * retried: after a lost response it may have happened, and sending it again would repeat it.
 *
 * @example
 * ```ts
 * const tillpoint = createTillpointClient({ baseUrl: 'http://localhost:3000', apiKey, apiSecret });
 * const session = unwrap(await tillpoint.POST('/v1/checkout/sessions', { body: { amount: 2500, currency: 'USD', successUrl, cancelUrl } }));
 * ```
 *
 * With a client token of an application instead of the secret key (e.g. in a less trusted
 * service), every request carries `Authorization: Bearer <clientToken>`; an operation the token's
 * scopes do not cover fails with a `TillpointError` whose `isInsufficientScope` is `true`:
 * ```ts
 * const limited = createTillpointClient({ baseUrl, clientToken: 'ct_test_…' });
 * try {
 *   unwrap(await limited.POST('/v1/payments', { body }));
 * } catch (err) {
 *   if (err instanceof TillpointError && err.isInsufficientScope) console.log('needs', err.requiredScopes); // ['payments.create']
 * }
 * ```
 * @throws {TypeError} When `baseUrl` is missing, when neither `apiKey` nor `clientToken` is given,
 *   or when both are (a client token is never combined with the key or its secret). API errors are
 *   not thrown by the client methods (they resolve with `error`); a failed token exchange rejects
 *   with `TillpointError`.
 */
export function createTillpointClient(options: TillpointClientOptions): TillpointClient {
  if (!options.baseUrl) throw new TypeError('createTillpointClient: `baseUrl` is required');
  if (options.clientToken && (options.apiKey || options.apiSecret)) {
    throw new TypeError('createTillpointClient: give either `clientToken` or `apiKey` (and `apiSecret`), not both: a client token is sent alone as `Authorization: Bearer`');
  }
  if (!options.apiKey && !options.clientToken) throw new TypeError('createTillpointClient: `apiKey` (or `clientToken`) is required');

  const baseFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const retry = options.retry;
  const userAgent = [options.userAgent, `tillpoint-client/${CLIENT_VERSION}`].filter(Boolean).join(' ');
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: retry === false ? baseFetch : withRetries(baseFetch, retry),
    headers: { 'User-Agent': userAgent },
  });
  client.use(
    createAuthMiddleware({
      ...(options.clientToken ? { clientToken: options.clientToken } : { apiKey: options.apiKey!, apiSecret: options.apiSecret }),
      baseUrl: options.baseUrl,
      // Exchanging credentials has no side effect, so it is retried even though it is a POST without a key.
      fetch: retry === false ? baseFetch : withRetries(baseFetch, { ...retry, isSafeToRetry: () => true }),
      userAgent,
      ...(options.now ? { now: options.now } : {}),
    }),
    createIdempotencyMiddleware(),
  );
  return client;
}
