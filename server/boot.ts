/**
 * Starting and stopping a server: database → migrations → signing key → clock → listen → app →
 * the families' jobs (server/jobs.ts). Shared by `npm start` (main.ts), the tests and the
 * benchmark.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import pino, { type Logger } from 'pino';
import { createApp, createDeps } from './app.ts';
import { createCredentialCache } from './auth/index.ts';
import { createServerClock, refreshClockOffsets } from './clock/index.ts';
import type { Config } from './config.ts';
import { logConnectionError, openDatabase, type Database, type Db } from './db/index.ts';
import { settings } from './db/schema.ts';
import type { AppConfig, AppDeps } from './deps.ts';
import { WEBHOOK_DELIVERY_JOB } from './webhooks/index.ts';

/** What a server needs beside its {@link Config}: logger, base clock, an already open database. */
export interface Runtime {
  log?: Logger;
  /**
   * Base clock for services; defaults to the system clock. On a sandbox server each merchant's
   * test-clock offset (advanceSandboxClock) applies on top of it.
   */
  now?: () => Date;
  /** A database opened (and migrated) by the caller; the server closes it with itself. */
  database?: Database;
}

/** A running server. */
export interface RunningServer {
  url: string;
  deps: AppDeps;
  database: Database;
  server: Server;
  close(): Promise<void>;
}

/** Reads the HMAC signing key from `settings`, creating a random one on first start. */
async function signingKey(db: Db, fromEnv?: string): Promise<Uint8Array> {
  if (fromEnv) return new TextEncoder().encode(fromEnv);
  await db.insert(settings).values({ key: 'jwt_secret', value: randomBytes(32).toString('base64url') }).onConflictDoNothing();
  const [row] = await db.select().from(settings).where(eq(settings.key, 'jwt_secret'));
  return new TextEncoder().encode(row!.value);
}

/** The URL a server listening on `host` and `port` is reached at on this machine. */
function listenUrl(host: string, port: number): string {
  return `http://${host !== '0.0.0.0' ? host : '127.0.0.1'}:${port}`;
}

/** The base of the links the API returns: `PUBLIC_BASE_URL`, else the listen address as `localhost`. */
export function publicBaseUrlOf(config: Pick<Config, 'host' | 'publicBaseUrl'>, port: number): string {
  return config.publicBaseUrl ?? listenUrl(config.host, port).replace('127.0.0.1', 'localhost');
}

/**
 * Listens on `port`/`host` (0 = a free port) and resolves once bound. Slow clients are cut off:
 * the whole request must arrive within `requestTimeoutMs` and its headers within
 * `headersTimeoutMs` (Node checks every second), and at most `maxConnections` are open at once.
 */
function listen(config: Readonly<Config>): Promise<Server> {
  const { port, host } = config;
  return new Promise<Server>((resolve, reject) => {
    const server = createServer({
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      connectionsCheckingInterval: 1_000,
    });
    server.maxConnections = config.maxConnections;
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Opens the database (or takes `runtime.database`), listens, then builds the app on a complete,
 * frozen configuration (its public base URL known) and starts the background work.
 * @throws DataDirInUseError when another server owns the embedded data directory; Error when the
 *   database is unreachable or the port is taken.
 */
export async function startServer(config: Readonly<Config>, runtime: Runtime = {}): Promise<RunningServer> {
  const log = runtime.log ?? pino({ level: 'silent' });
  const database =
    runtime.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.databasePoolSize,
      onConnectionError: logConnectionError(log),
    }));
  let server: Server;
  try {
    server = await listen(config);
  } catch (err) {
    await database.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = listenUrl(config.host, port);
  const appConfig: AppConfig = Object.freeze({ ...config, publicBaseUrl: publicBaseUrlOf(config, port) });

  const base = runtime.now ?? (() => new Date());
  const sandbox = config.mode === 'sandbox';
  const clock = createServerClock(base, sandbox);
  if (sandbox) await refreshClockOffsets(database.db, clock);
  const { deps, jobs } = createDeps({
    db: database.db,
    config: appConfig,
    signingKey: await signingKey(database.db, config.jwtSecret),
    log,
    realNow: base,
    clock,
    credentialCache: createCredentialCache(config.credentialCacheMs),
  });
  server.on('request', createApp(deps));

  const intervalsMs: Record<string, number> = {};
  for (const name of jobs.jobs.keys()) intervalsMs[name] = name === WEBHOOK_DELIVERY_JOB ? config.webhookWorkerIntervalMs : config.sweepIntervalMs;
  jobs.start({ intervalsMs: { ...intervalsMs, ...config.jobIntervalsMs } });

  return {
    url,
    deps,
    database,
    server,
    close: async () => {
      await jobs.stop();
      // Stop accepting, let requests in flight finish (5 s at most), then close the database.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), 5_000);
      await closed;
      clearTimeout(deadline);
      await database.close();
    },
  };
}
