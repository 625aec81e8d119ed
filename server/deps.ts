/**
 * The dependencies every service receives: database, clock, configuration and logger. Passed
 * explicitly (no globals) so tests build an app on their own database and clock.
 */
import type { Logger } from 'pino';
import type { CredentialCache } from './auth/cache.ts';
import type { Config } from './config.ts';
import type { Db } from './db/index.ts';
import type { ServerClock } from './sandbox/clock.ts';

export type { WebhookSettings } from './config.ts';

/** The configuration of a running app: {@link Config} with its public base URL resolved. */
export type AppConfig = Readonly<Config & { publicBaseUrl: string }>;

/** Shared dependencies of services and handlers. */
export interface AppDeps {
  db: Db;
  config: AppConfig;
  /**
   * HMAC key (≥ 32 bytes) of access tokens (HS256) and request fingerprints: `JWT_SECRET`, or a
   * random one generated on first start and kept in the database.
   */
  signingKey: Uint8Array;
  log: Logger;
  /**
   * Current time; services never call `new Date()` directly so a test clock can drive them. On a
   * server started by `startServer` it is `clock.now()`: the base clock plus the sandbox offset.
   */
  now(): Date;
  /** The server clock and its sandbox offset (advanceSandboxClock); set by `startServer`. */
  clock?: ServerClock;
  /** Verified credentials of this process (short TTL); set by `startServer`. */
  credentialCache?: CredentialCache;
  /** Wakes the background webhook worker (after a clock advance); absent when it does not run. */
  wakeWebhookWorker?: () => void;
}
