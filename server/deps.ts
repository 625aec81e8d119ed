/**
 * The dependencies every service receives: database, clock, configuration, logger, links, the
 * event recorder, the jobs and the ports families offer each other. Passed explicitly (no
 * globals) so tests build an app on their own database and clock.
 */
import type { Logger } from 'pino';
import type { components } from '../generated/schema.d.ts';
import type { CredentialCache } from './auth/cache.ts';
import type { ServerClock } from './clock/index.ts';
import type { Config } from './config.ts';
import type { Db, Executor } from './db/index.ts';

export type { WebhookSettings } from './config.ts';

/** The configuration of a running app: {@link Config} with its public base URL resolved. */
export type AppConfig = Readonly<Config & { publicBaseUrl: string }>;

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
  /**
   * HMAC key (≥ 32 bytes) of access tokens (HS256) and request fingerprints: `JWT_SECRET`, or a
   * random one generated on first start and kept in the database.
   */
  signingKey: Uint8Array;
  log: Logger;
  /**
   * The current time of `merchantId`'s objects: the base clock plus that merchant's sandbox test
   * clock offset (`advanceSandboxClock`; none on a live server). Services never call `new Date()`
   * directly so a test clock can drive them. In a handler, `ctx.now()` is this for the caller.
   */
  now(merchantId: string): Date;
  /**
   * The base clock, which no test clock moves: whatever protects a merchant runs on it —
   * idempotency windows, credential lifetimes (access tokens, API key expiry and grace periods,
   * client tokens), leases.
   */
  realNow(): Date;
  /** The base clock and the per-merchant test clocks (`sqlNow` for jobs scanning every merchant). */
  clock: ServerClock;
  /** Verified credentials of this process (short TTL); set by `startServer`. */
  credentialCache?: CredentialCache;
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
export type BaseDeps = Pick<AppDeps, 'db' | 'config' | 'signingKey' | 'log' | 'realNow' | 'credentialCache'> & {
  /** The server clock; default a clock over `realNow` (test clocks apply in sandbox mode). */
  clock?: ServerClock;
};
