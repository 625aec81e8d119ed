import createClient from 'openapi-fetch';
import type { Middleware } from 'openapi-fetch';
import type { paths } from '../generated/schema.d.ts';
import { unwrap } from './errors.ts';
import { operationFor } from './operations.ts';
import type { FetchLike } from './retry.ts';

/** A new access token is fetched this many milliseconds before the current one expires. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;

/** Options of {@link createAuthMiddleware}. */
export interface AuthMiddlewareOptions {
  /** Secret API key (`sk_test_…` / `sk_live_…`). Give it or `clientToken`, not both. */
  apiKey?: string | undefined;
  /**
   * API secret. When given, the key and secret are exchanged for a short-lived JWT
   * (`createAccessToken`) sent as `Authorization: Bearer`; when absent, the key itself is sent
   * as `x-api-key`.
   */
  apiSecret?: string | undefined;
  /**
   * Client token of an application (`ct_test_…` / `ct_live_…`), sent as `Authorization: Bearer`
   * as it is (no exchange). Mutually exclusive with `apiKey` and `apiSecret`.
   */
  clientToken?: string | undefined;
  /** Root URL of the API, e.g. `http://localhost:3000`; the exchange goes to `${baseUrl}/v1/auth/token`. */
  baseUrl: string;
  /** `fetch` used for the token exchange. Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Clock in milliseconds since the epoch, used for token expiry. Default `Date.now`. */
  now?: () => number;
  /** `User-Agent` header of the token exchange. Default: that of the `fetch` implementation. */
  userAgent?: string;
}

/**
 * openapi-fetch middleware that authenticates every request (security schemes `apiKey` and
 * `bearerAuth` of the spec).
 *
 * - With `clientToken`: sets `Authorization: Bearer <clientToken>` (scheme `clientToken`).
 * - With `apiKey` only: sets `x-api-key: <apiKey>`.
 * - With `apiKey` and `apiSecret`: calls `POST /v1/auth/token` (operationId `createAccessToken`) with
 *   `{ apiKey, apiSecret }`, sets `Authorization: Bearer <accessToken>`, caches the token and fetches
 *   a new one once less than 60 s ({@link TOKEN_REFRESH_MARGIN_MS}; at most half the token's
 *   `expiresIn` seconds) remain. Concurrent requests share one in-flight exchange. A `401` answered
 *   to the cached token drops it, so the next request exchanges again.
 *
 * A request that already carries `Authorization` or `x-api-key` is left as it is.
 *
 * @throws {TypeError} At once when both `clientToken` and `apiKey`/`apiSecret` are given, or neither.
 * @throws {TillpointError} From `onRequest` (so the client call rejects) when the exchange is
 *   answered with an error, e.g. `401 invalid_credentials`; a network error of the exchange
 *   rejects with the `fetch` error.
 */
export function createAuthMiddleware(options: AuthMiddlewareOptions): Middleware {
  const { apiKey, apiSecret, clientToken } = options;
  if (clientToken && (apiKey || apiSecret)) throw new TypeError('createAuthMiddleware: give either `clientToken` or `apiKey` (and `apiSecret`), not both');
  if (clientToken) {
    return {
      onRequest({ request }) {
        if (!hasCredential(request)) request.headers.set('authorization', `Bearer ${clientToken}`);
      },
    };
  }
  if (!apiKey) throw new TypeError('createAuthMiddleware: `apiKey` (or `clientToken`) is required');
  const key = apiKey;
  if (!apiSecret) {
    return {
      onRequest({ request }) {
        if (!hasCredential(request)) request.headers.set('x-api-key', key);
      },
    };
  }

  const now = options.now ?? Date.now;
  const tokenClient = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: options.fetch ?? globalThis.fetch,
    headers: options.userAgent ? { 'User-Agent': options.userAgent } : {},
  });
  let cached: { token: string; refreshAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  async function exchange(): Promise<string> {
    const startedAt = now();
    const { accessToken, expiresIn } = unwrap(
      await tokenClient.POST('/v1/auth/token', { body: { apiKey: key, apiSecret: apiSecret! } }),
    );
    const lifetimeMs = expiresIn * 1000;
    cached = { token: accessToken, refreshAt: startedAt + lifetimeMs - Math.min(TOKEN_REFRESH_MARGIN_MS, lifetimeMs / 2) };
    return accessToken;
  }

  function accessToken(): Promise<string> {
    if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
    inFlight ??= exchange().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  return {
    async onRequest({ request }) {
      if (!hasCredential(request)) request.headers.set('authorization', `Bearer ${await accessToken()}`);
    },
    onResponse({ request, response }) {
      if (response.status === 401 && cached && request.headers.get('authorization') === `Bearer ${cached.token}`) {
        cached = undefined;
      }
    },
  };
}

/** Options of {@link createIdempotencyMiddleware}. */
export interface IdempotencyMiddlewareOptions {
  /** Makes a new key. Default `crypto.randomUUID()` (a UUID v4, as the spec recommends). */
  generateKey?: () => string;
}

/**
 * openapi-fetch middleware that gives a request an `Idempotency-Key` (UUID v4 by default) exactly
 * when the contract declares that header for its operation (the generated operation index, looked
 * up by method and openapi-fetch's `schemaPath`): `createPayment`, `createRefund`,
 * `createCheckoutSession`… but not `rotateApiKey` or `createSandboxMerchant`, whose responses hold
 * a secret and are therefore not stored for replay. It runs once per call of the client, before
 * `withRetries` (retry.ts), so every retry of that call sends the same key and the server replays
 * the first response instead of charging twice. A key the caller set is kept; other requests are
 * left unchanged.
 */
export function createIdempotencyMiddleware(options: IdempotencyMiddlewareOptions = {}): Middleware {
  const generateKey = options.generateKey ?? (() => crypto.randomUUID());
  return {
    onRequest({ request, schemaPath }) {
      if (operationFor(request.method, schemaPath)?.idempotent && !request.headers.has('idempotency-key')) {
        request.headers.set('Idempotency-Key', generateKey());
      }
    },
  };
}

function hasCredential(request: Request): boolean {
  return request.headers.has('authorization') || request.headers.has('x-api-key');
}
