/**
 * The suite's HTTP layer: one request at a time through `fetch`, with a per-request timeout,
 * the exchange (request sent, response received) recorded for the report, and — outside the
 * rate-limit probe — `429` answers waited out (`Retry-After`) and retried, so that a throttled
 * target slows the run down instead of failing it.
 */

/** A request as sent (and shown in the report). */
export interface RecordedRequest {
  method: string;
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  /** Raw body text, if any. */
  body?: string;
}

/** One request and what came back. */
export interface Exchange {
  operationId: string;
  request: RecordedRequest;
  /** HTTP status, or 0 when no response arrived (timeout, connection error). */
  status: number;
  /** Response headers, names lowercased. */
  headers: Record<string, string>;
  /** Media type of the response without parameters, lowercased (`application/problem+json`). */
  contentType: string;
  text: string;
  /** Parsed body when it is JSON, else `undefined`. */
  json: unknown;
  /** Whether `text` parsed as JSON. */
  isJson: boolean;
  durationMs: number;
  /** Why there is no response (`status` 0). */
  error?: string;
}

/** Options of {@link HttpClient}. */
export interface HttpOptions {
  baseUrl: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** Called with every exchange, including the `429`s that were retried. */
  onExchange: (exchange: Exchange) => void;
  /** Longest `Retry-After` honoured when waiting out a `429`, in seconds. */
  maxRetryAfterSeconds?: number;
}

/** Sends requests to the target and records them. */
export class HttpClient {
  /** Number of requests sent. */
  sent = 0;
  private readonly base: string;

  /** @param options target, timeout and the exchange sink. */
  constructor(private readonly options: HttpOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  /** The absolute URL of a path (with query) on the target. */
  url(pathAndQuery: string): string {
    return `${this.base}${pathAndQuery}`;
  }

  /**
   * Sends one request. A `429` of the target's rate limiter is waited out and retried (twice at
   * most) unless `retryRateLimited` is `false`; every attempt is recorded. A `429` that still has
   * requests left in its rate-limit window (`X-RateLimit-Remaining` above 0, e.g. a one-time code's
   * resend cooldown or exhausted attempts) is an answer of the operation, not throttling: it is
   * returned at once, since waiting would not change it within the run.
   */
  async send(operationId: string, request: RecordedRequest, options: { retryRateLimited?: boolean } = {}): Promise<Exchange> {
    for (let attempt = 0; ; attempt++) {
      const exchange = await this.once(operationId, request);
      this.options.onExchange(exchange);
      if (exchange.status !== 429 || options.retryRateLimited === false || attempt >= 2) return exchange;
      const remaining = Number(exchange.headers['x-ratelimit-remaining']);
      if (Number.isFinite(remaining) && remaining > 0) return exchange;
      const retryAfter = Number(exchange.headers['retry-after'] ?? '1');
      const seconds = Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : 1;
      await new Promise((r) => setTimeout(r, Math.min(seconds, this.options.maxRetryAfterSeconds ?? 65) * 1000 + 50));
    }
  }

  private async once(operationId: string, request: RecordedRequest): Promise<Exchange> {
    this.sent++;
    const started = performance.now();
    const base = { operationId, request, headers: {} as Record<string, string>, contentType: '', text: '', json: undefined, isJson: false };
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.text();
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
      let json: unknown;
      let isJson = false;
      if (text.length > 0) {
        try {
          json = JSON.parse(text);
          isJson = true;
        } catch {
          // not JSON
        }
      }
      return {
        ...base,
        status: response.status,
        headers,
        contentType: (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase(),
        text,
        json,
        isJson,
        durationMs: performance.now() - started,
      };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const error =
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? `no response within ${this.options.timeoutMs} ms`
          : `request failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
      return { ...base, status: 0, durationMs: performance.now() - started, error };
    }
  }
}
