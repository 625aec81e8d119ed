/**
 * The dependencies every service receives: database, clock, configuration, logger, links, the
 * event recorder, the jobs and the ports families offer each other. Passed explicitly (no
 * globals) so tests build an app on their own database and clock.
 */
import type { Logger } from 'pino';
import type { components } from '../generated/schema.d.ts';
import type { Db, Executor } from './db/index.ts';
import type { ServerClock } from './clock/index.ts';

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

/** An event type of the contract (`EventType`). */
export type EventType = components['schemas']['EventType'];

/** Absolute URLs of the pages the server hosts, built once from `config.publicBaseUrl`. */
export interface Links {
  /** The hosted checkout page of a session: `{base}/checkout/{sessionId}`. */
  checkout(sessionId: string): string;
  /** The hosted 3-D Secure challenge of a payment: `{base}/authenticate/{paymentId}`. */
  authentication(paymentId: string): string;
}

/**
 * Records events in the outbox (`server/outbox`): the owning family's serializer turns the
 * domain object into the event's `data.object`, then the subscribers of the type run, all in the
 * caller's transaction.
 */
export interface EventRecorder {
  /**
   * @param db The caller's transaction (the event commits with the change it describes).
   * @param object The domain object (e.g. a payment row), as the type's serializer takes it.
   * @param at When the change happened (server clock); the event's `createdAt`.
   * @returns the event id (`evt_…`).
   * @throws Error when no family serializes `type` (a programming error).
   */
  record(db: Executor, merchantId: string, type: EventType, object: object, at: Date): Promise<string>;
}

/** The timed work of the server (`server/jobs.ts`). */
export interface JobRunner {
  /**
   * Runs every job now, as after a move of the sandbox clock: jobs that run on demand are
   * awaited; jobs that only wake (webhook deliveries) are nudged if they are scheduled.
   * @param db Where the awaited runs query (the caller's transaction); default the pool.
   * @throws what a job throws.
   */
  runAll(db?: Executor): Promise<void>;
  /** Starts a round of the named job now (or right after the current one) if it is scheduled. */
  wake(name: string): void;
}

/**
 * What families offer each other without importing each other's internals. Each family that
 * needs a port declares it here by module augmentation (`declare module '../deps.ts'`) in its
 * own folder; the family that implements it lists it under `provides` in its module.
 */
export interface Ports {}

/** Shared dependencies of services and handlers. */
export interface AppDeps {
  /** The connection pool. Handlers pass `ctx.db` to services instead (a transaction when idempotent). */
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
  /** Absolute URLs of the hosted pages. */
  links: Links;
  /** The outbox: how services record events. */
  events: EventRecorder;
  /** The timed work; services ask it to run now (sandbox clock) or wake a job. */
  jobs: JobRunner;
  /** Ports registered by the families (`provides`); absent when the family offering one is not listed. */
  ports: Partial<Ports>;
}

/** What `startServer` builds itself; the rest of {@link AppDeps} comes from the families (`createDeps`). */
export type BaseDeps = Pick<AppDeps, 'db' | 'config' | 'log' | 'now' | 'clock'>;
