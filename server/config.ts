/**
 * The server's configuration: read once from the environment (every variable is described in
 * the README's "Configuration" table, and a test fails when one read here is missing there),
 * merged with programmatic overrides (tests, benchmarks), checked, and frozen.
 *
 * `loadConfig(env, overrides)` is the only place that reads `process.env` for the server.
 */

/** How webhook deliveries are made (see `deliverDueWebhooks`). */
export interface WebhookSettings {
  /** Milliseconds an endpoint has to answer one attempt before it counts as failed. Default 10 000. */
  timeoutMs: number;
  /**
   * Milliseconds a worker's claim on a delivery lasts (database time) before another worker may
   * take it over, e.g. after a crash. Must outlast a whole claimed batch:
   * default `timeoutMs × ceil(batchSize / concurrency) + 30 000` (70 000 with the defaults).
   */
  leaseMs: number;
  /** Deliveries claimed per round. Default 50. */
  batchSize: number;
  /** Attempts in flight at once per worker. Default 16. */
  concurrency: number;
}

/** Fixed demo merchant credentials (`DEMO_*`), for reproducible setups. */
export interface DemoSettings {
  /** Display name of the demo merchant. Default `Demo Coffee Roasters`. */
  name: string;
  /** `sk_test_` + 32 letters/digits; generated when absent. */
  apiKey?: string;
  /** `ss_test_` + 32 letters/digits; generated when absent. */
  apiSecret?: string;
  /** 32 lowercase letters/digits; generated when absent. */
  clientId?: string;
  /** Where generated demo credentials are kept (owner-only). Default `<DATA_DIR>/demo-credentials.json`. */
  credentialsFile: string;
}

/** The one configuration of a server process. Frozen; durations in milliseconds. */
export interface Config {
  /** `sandbox` accepts only test instruments and serves `/v1/sandbox/*`; `live` hides them. */
  mode: 'sandbox' | 'live';
  /** HTTP port; 0 = any free port. Default 3000 (`npm start`). */
  port: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host: string;
  /** Directory of the embedded PostgreSQL cluster (without `databaseUrl`). Default `.data`. */
  dataDir: string;
  /** PostgreSQL connection string; replaces the embedded cluster. */
  databaseUrl?: string;
  /** Connections in each process's pool. Default 10. */
  databasePoolSize: number;
  /** Base of links the API returns (checkout `url`), without trailing slash; default the listen address. */
  publicBaseUrl?: string;
  /** HS256 key of access tokens (≥ 32 characters); default generated once and kept in the database. */
  jwtSecret?: string;
  /** Requests per minute per credential on authenticated routes; 0 turns the limit off. Default 100. */
  rateLimitAuthenticated: number;
  /** Requests per minute per client IP on public routes and failed authentications; 0 = off. Default 300. */
  rateLimitPublic: number;
  /**
   * Reverse proxies in front of the server whose `X-Forwarded-For` entries are trusted for the
   * client IP (Express `trust proxy` as a hop count); 0 trusts none. Trusting every hop would let a
   * client choose its own IP (and rate-limit bucket) by sending the header itself.
   */
  trustProxy: number;
  /** Milliseconds a client has to send a whole request (then 408 and the connection closes). Default 30 000. */
  requestTimeoutMs: number;
  /** Milliseconds a client has to send the request's headers. Default 10 000. */
  headersTimeoutMs: number;
  /** Open connections per process; more are refused at once. Default 1 024. */
  maxConnections: number;
  /** pino log level (`silent` mutes). Default `info`. */
  logLevel: string;
  /** Worker processes (node:cluster) sharing the port and the database. Default 1 (no cluster). */
  webConcurrency: number;
  /**
   * How long a verified credential is trusted from this process's cache, in milliseconds. A
   * rotation in the same process invalidates at once; other processes see it within this bound.
   * Default 5 000; 0 disables the cache.
   */
  credentialCacheMs: number;
  /** Milliseconds between background job rounds (expiries, settlements, purges); 0 disables. Default 1 000. */
  sweepIntervalMs: number;
  /** Milliseconds between polls of the webhook delivery worker; 0 disables it. Default 1 000. */
  webhookWorkerIntervalMs: number;
  /** Milliseconds between runs per job name (`payments.settlements`…), over the two above; 0 disables. */
  jobIntervalsMs?: Readonly<Record<string, number>>;
  /** Webhook delivery settings. */
  webhooks: WebhookSettings;
  /** The demo merchant of `npm start`. */
  demo: DemoSettings;
}

/** Programmatic overrides of {@link loadConfig}: any field, nested settings partially. */
export type ConfigOverrides = Partial<Omit<Config, 'webhooks' | 'demo'>> & {
  webhooks?: Partial<WebhookSettings>;
  demo?: Partial<DemoSettings>;
  /** Shorthand for `webhooks.timeoutMs`. */
  webhookTimeoutMs?: number;
  /** Shorthand for `webhooks.leaseMs`. */
  webhookLeaseMs?: number;
};

/** Reads a non-negative integer variable. @throws Error when set but not a non-negative integer. */
export function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(value)) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** `TRUST_PROXY`: a hop count; `false` is 0 and `true` means one proxy (never "trust all"). */
function proxyHopsFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.TRUST_PROXY;
  if (raw === undefined || raw === '' || raw === 'false') return 0;
  if (raw === 'true') return 1;
  return intFromEnv(env, 'TRUST_PROXY', 0);
}

/**
 * Builds the configuration from `env` and `overrides` (overrides win), with every default.
 * @throws Error naming the variable when a value is invalid.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Readonly<Config> {
  const mode = overrides.mode ?? env.TILLPOINT_MODE ?? 'sandbox';
  if (mode !== 'sandbox' && mode !== 'live') throw new Error(`TILLPOINT_MODE must be sandbox or live, got "${mode}"`);
  const jwtSecret = overrides.jwtSecret ?? (env.JWT_SECRET || undefined);
  if (jwtSecret !== undefined && jwtSecret.length < 32) throw new Error('JWT_SECRET must be at least 32 characters');
  const dataDir = overrides.dataDir ?? (env.DATA_DIR || '.data');

  const timeoutMs = overrides.webhookTimeoutMs ?? overrides.webhooks?.timeoutMs ?? intFromEnv(env, 'WEBHOOK_TIMEOUT_MS', 10_000);
  const batchSize = overrides.webhooks?.batchSize ?? 50;
  const concurrency = overrides.webhooks?.concurrency ?? 16;
  const webhooks: WebhookSettings = {
    timeoutMs,
    batchSize,
    concurrency,
    leaseMs: overrides.webhookLeaseMs ?? overrides.webhooks?.leaseMs ?? timeoutMs * Math.ceil(batchSize / concurrency) + 30_000,
  };
  const webConcurrency = overrides.webConcurrency ?? intFromEnv(env, 'WEB_CONCURRENCY', 1);
  if (webConcurrency < 1) throw new Error('WEB_CONCURRENCY must be at least 1');
  const poolSize = overrides.databasePoolSize ?? intFromEnv(env, 'DATABASE_POOL_SIZE', 10);
  if (poolSize < 1) throw new Error('DATABASE_POOL_SIZE must be at least 1');

  const port = overrides.port ?? intFromEnv(env, 'PORT', 3000);
  if (port > 65_535) throw new Error(`PORT must be at most 65535, got ${port}`);
  const publicBaseUrl = (overrides.publicBaseUrl ?? (env.PUBLIC_BASE_URL || undefined))?.replace(/\/+$/, '');
  if (publicBaseUrl !== undefined && !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(publicBaseUrl)) {
    throw new Error(`PUBLIC_BASE_URL must be an absolute http(s) URL without query or fragment, got "${publicBaseUrl}"`);
  }

  const config: Config = {
    mode,
    port,
    host: overrides.host ?? (env.HOST || '127.0.0.1'),
    dataDir,
    databaseUrl: overrides.databaseUrl ?? (env.DATABASE_URL || undefined),
    databasePoolSize: poolSize,
    publicBaseUrl,
    jwtSecret,
    rateLimitAuthenticated: overrides.rateLimitAuthenticated ?? intFromEnv(env, 'RATE_LIMIT_AUTHENTICATED', 100),
    rateLimitPublic: overrides.rateLimitPublic ?? intFromEnv(env, 'RATE_LIMIT_PUBLIC', 300),
    trustProxy: overrides.trustProxy ?? proxyHopsFromEnv(env),
    requestTimeoutMs: overrides.requestTimeoutMs ?? intFromEnv(env, 'REQUEST_TIMEOUT_MS', 30_000),
    headersTimeoutMs: overrides.headersTimeoutMs ?? intFromEnv(env, 'HEADERS_TIMEOUT_MS', 10_000),
    maxConnections: overrides.maxConnections ?? intFromEnv(env, 'MAX_CONNECTIONS', 1_024),
    logLevel: overrides.logLevel ?? (env.LOG_LEVEL || 'info'),
    webConcurrency,
    credentialCacheMs: overrides.credentialCacheMs ?? intFromEnv(env, 'CREDENTIAL_CACHE_MS', 5_000),
    sweepIntervalMs: overrides.sweepIntervalMs ?? 1_000,
    webhookWorkerIntervalMs: overrides.webhookWorkerIntervalMs ?? 1_000,
    jobIntervalsMs: overrides.jobIntervalsMs && Object.freeze({ ...overrides.jobIntervalsMs }),
    webhooks: Object.freeze(webhooks),
    demo: Object.freeze({
      name: overrides.demo?.name ?? (env.DEMO_MERCHANT_NAME || 'Demo Coffee Roasters'),
      apiKey: overrides.demo?.apiKey ?? (env.DEMO_API_KEY || undefined),
      apiSecret: overrides.demo?.apiSecret ?? (env.DEMO_API_SECRET || undefined),
      clientId: overrides.demo?.clientId ?? (env.DEMO_CLIENT_ID || undefined),
      credentialsFile: overrides.demo?.credentialsFile ?? (env.DEMO_CREDENTIALS_FILE || `${dataDir}/demo-credentials.json`),
    }),
  };
  return Object.freeze(config);
}
