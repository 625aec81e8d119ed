/**
 * Starting and stopping a server: database → migrations → signing secret → clock → app → listen
 * → the families' jobs (server/jobs.ts). Shared by `npm start` (main.ts), the tests and the
 * benchmark.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { eq } from 'drizzle-orm';
import pino, { type Logger } from 'pino';
import { createApp, createDeps } from './app.ts';
import { openDatabase, type Database, type DatabaseOptions, type Db } from './db/index.ts';
import { settings } from './db/schema.ts';
import type { AppConfig, AppDeps, WebhookSettings } from './deps.ts';
import { createServerClock, refreshClockOffset } from './clock/index.ts';
import { WEBHOOK_DELIVERY_JOB } from './webhooks/index.ts';

/** Options of {@link startServer}; everything has a default suitable for tests. */
export interface StartOptions extends DatabaseOptions {
  port?: number;
  host?: string;
  publicBaseUrl?: string;
  mode?: AppConfig['mode'];
  jwtSecret?: string;
  rateLimitAuthenticated?: number;
  rateLimitPublic?: number;
  /** Trust `X-Forwarded-For` for the client IP (behind a reverse proxy). Default false. */
  trustProxy?: boolean;
  log?: Logger;
  /**
   * Base clock for services; defaults to the system clock. On a sandbox server the test clock
   * offset (advanceSandboxClock) applies on top of it.
   */
  now?: () => Date;
  /**
   * Milliseconds between runs of every job but the webhook deliveries (settlements, expiries,
   * idempotency purge, the refresh of the sandbox clock offset from the database); 0 disables
   * their schedule (a sandbox clock advance still runs them). Default 1000.
   */
  sweepIntervalMs?: number;
  /**
   * Milliseconds between polls of the webhook delivery job; 0 disables it (tests then drive
   * deliveries with `deliverDueWebhooks(deps)`). Default 1000.
   */
  webhookWorkerIntervalMs?: number;
  /** Milliseconds between runs per job name (`payments.settlements`…), over the two above; 0 disables. */
  jobIntervalsMs?: Record<string, number>;
  /** Milliseconds an endpoint has to answer a webhook delivery attempt. Default 10 000. */
  webhookTimeoutMs?: number;
  /** Lease of a claimed delivery in milliseconds (see {@link WebhookSettings}). Default timeout + 30 000. */
  webhookLeaseMs?: number;
  /** Other webhook delivery settings (batch size, concurrency). */
  webhooks?: Partial<WebhookSettings>;
}

/** A running server. */
export interface RunningServer {
  url: string;
  deps: AppDeps;
  database: Database;
  server: Server;
  close(): Promise<void>;
}

/** Reads the JWT signing secret from `settings`, creating a random one on first start. */
async function signingSecret(db: Db, fromEnv?: string): Promise<Uint8Array> {
  if (fromEnv) return new TextEncoder().encode(fromEnv);
  await db.insert(settings).values({ key: 'jwt_secret', value: randomBytes(32).toString('base64url') }).onConflictDoNothing();
  const [row] = await db.select().from(settings).where(eq(settings.key, 'jwt_secret'));
  return new TextEncoder().encode(row!.value);
}

/**
 * Opens the database, builds the app and listens.
 * @throws when the database cannot be opened (e.g. the PGlite directory is locked) or the port is taken.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const log = options.log ?? pino({ level: 'silent' });
  const database = await openDatabase({
    ...options,
    onConnectionError: (err) => log.warn({ err }, 'idle PostgreSQL connection failed; the pool replaces it'),
  });
  const config: AppConfig = {
    mode: options.mode ?? 'sandbox',
    publicBaseUrl: '',
    jwtSecret: await signingSecret(database.db, options.jwtSecret),
    rateLimitAuthenticated: options.rateLimitAuthenticated ?? 100,
    rateLimitPublic: options.rateLimitPublic ?? 300,
    trustProxy: options.trustProxy ?? false,
    webhooks: {
      ...options.webhooks,
      ...(options.webhookTimeoutMs !== undefined ? { timeoutMs: options.webhookTimeoutMs } : {}),
      ...(options.webhookLeaseMs !== undefined ? { leaseMs: options.webhookLeaseMs } : {}),
    },
  };
  const base = options.now ?? (() => new Date());
  const clock = createServerClock(base);
  const sandbox = config.mode === 'sandbox';
  if (sandbox) await refreshClockOffset(database.db, clock);
  const { deps, jobs } = createDeps({ db: database.db, config, log, now: sandbox ? clock.now : base, clock });
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;
  config.publicBaseUrl = options.publicBaseUrl ?? url.replace('127.0.0.1', 'localhost');

  const sweepInterval = options.sweepIntervalMs ?? 1000;
  const deliveryInterval = options.webhookWorkerIntervalMs ?? 1000;
  const intervalsMs: Record<string, number> = {};
  for (const name of jobs.jobs.keys()) intervalsMs[name] = name === WEBHOOK_DELIVERY_JOB ? deliveryInterval : sweepInterval;
  jobs.start({ intervalsMs: { ...intervalsMs, ...options.jobIntervalsMs } });

  return {
    url,
    deps,
    database,
    server,
    close: async () => {
      await jobs.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
