/**
 * Starting and stopping a server: database → migrations → signing secret → app → listen →
 * background sweeper. Shared by `npm start` (main.ts), the tests and the benchmark.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { eq } from 'drizzle-orm';
import pino, { type Logger } from 'pino';
import { createApp } from './app.ts';
import { expireDueSessions } from './checkout-sessions/service.ts';
import { openDatabase, type Database, type DatabaseOptions, type Db } from './db/index.ts';
import { settings } from './db/schema.ts';
import type { AppConfig, AppDeps } from './deps.ts';
import { settleDuePayments } from './payments/service.ts';

/** Options of {@link startServer}; everything has a default suitable for tests. */
export interface StartOptions extends DatabaseOptions {
  port?: number;
  host?: string;
  publicBaseUrl?: string;
  mode?: AppConfig['mode'];
  jwtSecret?: string;
  rateLimitAuthenticated?: number;
  rateLimitPublic?: number;
  log?: Logger;
  /** Clock for services; defaults to the system clock. */
  now?: () => Date;
  /** Milliseconds between background sweeps (settlements, expiries); 0 disables. Default 1000. */
  sweepIntervalMs?: number;
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
  const database = await openDatabase(options);
  const config: AppConfig = {
    mode: options.mode ?? 'sandbox',
    publicBaseUrl: '',
    jwtSecret: await signingSecret(database.db, options.jwtSecret),
    rateLimitAuthenticated: options.rateLimitAuthenticated ?? 100,
    rateLimitPublic: options.rateLimitPublic ?? 300,
  };
  const deps: AppDeps = { db: database.db, config, log, now: options.now ?? (() => new Date()) };
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`;
  config.publicBaseUrl = options.publicBaseUrl ?? url.replace('127.0.0.1', 'localhost');

  let sweeping = false;
  const interval = options.sweepIntervalMs ?? 1000;
  const timer =
    interval > 0
      ? setInterval(() => {
          if (sweeping) return;
          sweeping = true;
          Promise.all([settleDuePayments(deps), expireDueSessions(deps)])
            .catch((err) => log.error({ err }, 'background sweep failed'))
            .finally(() => (sweeping = false));
        }, interval)
      : undefined;
  timer?.unref();

  return {
    url,
    deps,
    database,
    server,
    close: async () => {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await database.close();
    },
  };
}
