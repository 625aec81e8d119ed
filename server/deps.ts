/**
 * The dependencies every service receives: database, clock, configuration and logger. Passed
 * explicitly (no globals) so tests build an app on their own database and clock.
 */
import type { Logger } from 'pino';
import type { Db } from './db/index.ts';
import type { ServerClock } from './sandbox/clock.ts';

/** Runtime configuration of one app instance. */
export interface AppConfig {
  /** `sandbox` accepts only test instruments and serves `/v1/sandbox/*`; `live` hides them. */
  mode: 'sandbox' | 'live';
  /** Public base URL used in links such as a checkout session's `url`, without trailing slash. */
  publicBaseUrl: string;
  /** HMAC key for access tokens (HS256), at least 32 bytes. */
  jwtSecret: Uint8Array;
  /** Requests per minute per credential on authenticated routes. */
  rateLimitAuthenticated: number;
  /** Requests per minute per client IP on public routes. */
  rateLimitPublic: number;
  /** Behind a reverse proxy: take the client IP from `X-Forwarded-For` (Express `trust proxy`). */
  trustProxy: boolean;
  /** Webhook delivery settings; defaults in `server/webhooks/worker.ts` (`WEBHOOK_DEFAULTS`). */
  webhooks?: Partial<WebhookSettings>;
}

/** How webhook deliveries are made (see `deliverDueWebhooks`). */
export interface WebhookSettings {
  /** Milliseconds an endpoint has to answer one attempt before it counts as failed. Default 10 000. */
  timeoutMs: number;
  /**
   * Milliseconds a worker's claim on a delivery lasts (database time) before another worker may
   * take it over, e.g. after a crash. Must exceed `timeoutMs` plus the time to record the
   * attempt. Default `timeoutMs + 30 000`.
   */
  leaseMs: number;
  /** Deliveries claimed per round. Default 50. */
  batchSize: number;
  /** Attempts in flight at once per worker. Default 16. */
  concurrency: number;
}

/** Shared dependencies of services and handlers. */
export interface AppDeps {
  db: Db;
  config: AppConfig;
  log: Logger;
  /**
   * Current time; services never call `new Date()` directly so a test clock can drive them. On a
   * server started by `startServer` it is `clock.now()`: the base clock plus the sandbox offset.
   */
  now(): Date;
  /** The server clock and its sandbox offset (advanceSandboxClock); set by `startServer`. */
  clock?: ServerClock;
  /** Wakes the background webhook worker (after a clock advance); absent when it does not run. */
  wakeWebhookWorker?: () => void;
}
