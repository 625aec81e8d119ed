import { operationForUrl } from './operations.ts';

/**
 * The `fetch` signature the client works with: one `Request` in, one `Response` out. The optional
 * second argument is passed through untouched (openapi-fetch uses it for undici extensions).
 */
export type FetchLike = (input: Request, init?: RequestInit) => Promise<Response>;

/** How {@link withRetries} retries. Every field is optional. */
export interface RetryOptions {
  /** Retries after the first attempt, so at most `maxRetries + 1` requests. Default `3`; `0` disables retries. */
  maxRetries?: number;
  /** Backoff base in milliseconds: retry `n` (0-based) waits up to `baseDelayMs * 2^n`. Default `250`. */
  baseDelayMs?: number;
  /** Upper bound in milliseconds of any wait, `Retry-After` included. Default `8000`. */
  maxDelayMs?: number;
  /** Waits `ms` milliseconds. Default: a `setTimeout` promise. Inject a stub in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Returns a number in `[0, 1)` used for jitter. Default `Math.random`. */
  random?: () => number;
  /**
   * Whether a request may be sent more than once. Default: any method other than `POST`, or a
   * `POST` to an operation the contract declares idempotent (it takes an `Idempotency-Key`, per
   * the generated operation index) that carries that header: the server then replays instead of
   * repeating. A `POST` to any other operation (`rotateApiKey`, `createSandboxMerchant`,
   * `expireCheckoutSession`…) is sent once, key or not.
   */
  isSafeToRetry?: (request: Request) => boolean;
}

/** The defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 8000 } as const;

/** HTTP statuses that say "try again later" without the request having had an effect that matters. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * Wraps `fetch` so that transient failures are retried, in the manner of stripe-node. Meant to be
 * passed as openapi-fetch's `fetch` option, after the middleware has set headers, so that every
 * attempt carries the same `Authorization` and the same `Idempotency-Key`.
 *
 * Retried, when the request is safe to retry (see {@link RetryOptions.isSafeToRetry}):
 * - network errors (`fetch` rejects with a `TypeError`);
 * - `429` (waits `Retry-After` when the response has it, in seconds or as an HTTP date per
 *   RFC 9110 §10.2.3, capped at `maxDelayMs`);
 * - `500`, `502`, `503`, `504` (a `Retry-After` is honoured the same way);
 * - `409` whose problem `code` is `idempotency_request_in_progress` (the first request with this
 *   key is still running; the retry gets its stored response).
 *
 * Any other status (`400`, `401`, `402`, `404`, `409 invalid_state`, `422`…) is returned at once.
 * Otherwise waits use "full jitter" exponential backoff: `random() * min(maxDelayMs, baseDelayMs * 2^n)`
 * milliseconds before retry `n` (0-based). Each attempt sends a clone of the `Request`, so a body
 * is re-sent byte for byte.
 *
 * @returns A fetch that resolves to the last response received (possibly still an error status once
 *   `maxRetries` is exhausted) and rejects with the last network error, or with the abort reason
 *   when the request's `signal` is aborted between attempts.
 */
export function withRetries(fetch: FetchLike, options: RetryOptions = {}): FetchLike {
  const maxRetries = options.maxRetries ?? DEFAULT_RETRY.maxRetries;
  const baseDelayMs = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const isSafeToRetry = options.isSafeToRetry ?? defaultIsSafeToRetry;

  return async function fetchWithRetries(request, init) {
    const retries = isSafeToRetry(request) ? maxRetries : 0;
    for (let attempt = 0; ; attempt++) {
      const isLast = attempt >= retries;
      // Keep the original unread until the last attempt: each earlier attempt consumes a clone.
      const attemptRequest = isLast ? request : request.clone();
      let response: Response;
      try {
        response = await fetch(attemptRequest, init);
      } catch (error) {
        if (isLast || !(error instanceof TypeError)) throw error;
        await pause(backoff(attempt));
        continue;
      }
      if (isLast || !(await isRetryable(response))) return response;
      await response.body?.cancel().catch(() => {});
      await pause(retryAfterMs(response) ?? backoff(attempt));
    }

    async function pause(ms: number): Promise<void> {
      request.signal.throwIfAborted();
      await sleep(ms);
      request.signal.throwIfAborted();
    }
  };

  function backoff(attempt: number): number {
    return random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  }

  function retryAfterMs(response: Response): number | undefined {
    const value = response.headers.get('retry-after')?.trim();
    if (!value) return undefined;
    const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
    if (Number.isNaN(ms)) return undefined;
    return Math.min(maxDelayMs, Math.max(0, ms));
  }
}

function defaultIsSafeToRetry(request: Request): boolean {
  if (request.method !== 'POST') return true;
  return request.headers.has('idempotency-key') && operationForUrl(request.method, request.url)?.idempotent === true;
}

async function isRetryable(response: Response): Promise<boolean> {
  if (RETRYABLE_STATUSES.has(response.status)) return true;
  if (response.status !== 409) return false;
  const body: unknown = await response.clone().json().catch(() => undefined);
  return (body as { code?: unknown } | undefined)?.code === 'idempotency_request_in_progress';
}
