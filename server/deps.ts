/**
 * The dependencies every service receives: database, clock, configuration and logger. Passed
 * explicitly (no globals) so tests build an app on their own database and clock.
 */
import type { Logger } from 'pino';
import type { Db } from './db/index.ts';

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
}

/** Shared dependencies of services and handlers. */
export interface AppDeps {
  db: Db;
  config: AppConfig;
  log: Logger;
  /** Current time; services never call `new Date()` directly so a test clock can drive them. */
  now(): Date;
}
