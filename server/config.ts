/**
 * Configuration from environment variables (documented in the README):
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `PORT` | 3000 | HTTP port (0 = any free port) |
 * | `HOST` | 127.0.0.1 | interface to listen on |
 * | `DATA_DIR` | `.data/pglite` | PGlite data directory (ignored with `DATABASE_URL`) |
 * | `DATABASE_URL` | — | PostgreSQL connection string; replaces PGlite |
 * | `PUBLIC_BASE_URL` | `http://localhost:<port>` | base of links (checkout `url`) |
 * | `TILLPOINT_MODE` | sandbox | `live` hides `/v1/sandbox/*` and issues `sk_live_` keys |
 * | `JWT_SECRET` | generated, kept in the database | HS256 key for access tokens (≥ 32 chars) |
 * | `RATE_LIMIT_AUTHENTICATED` | 100 | requests/min per credential |
 * | `RATE_LIMIT_PUBLIC` | 300 | requests/min per IP on public routes |
 * | `DEMO_MERCHANT_NAME`, `DEMO_API_KEY`, `DEMO_API_SECRET`, `DEMO_CLIENT_ID` | generated | fixed demo merchant credentials |
 * | `LOG_LEVEL` | info | pino level (`silent` to mute) |
 * | `TRUST_PROXY` | false | `true` behind a reverse proxy (client IP from `X-Forwarded-For`) |
 */

/** Reads a positive integer variable. @throws Error when set but not a positive integer. */
export function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** Settings of the `npm start` process. */
export interface ServerSettings {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  publicBaseUrl?: string;
  mode: 'sandbox' | 'live';
  jwtSecret?: string;
  rateLimitAuthenticated: number;
  rateLimitPublic: number;
  trustProxy: boolean;
  logLevel: string;
  demo: { name: string; apiKey?: string; apiSecret?: string; clientId?: string };
}

/** Parses the environment. @throws Error on an invalid value. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const mode = env.TILLPOINT_MODE ?? 'sandbox';
  if (mode !== 'sandbox' && mode !== 'live') throw new Error(`TILLPOINT_MODE must be sandbox or live, got "${mode}"`);
  if (env.JWT_SECRET !== undefined && env.JWT_SECRET.length < 32) throw new Error('JWT_SECRET must be at least 32 characters');
  return {
    port: intFromEnv(env, 'PORT', 3000),
    host: env.HOST ?? '127.0.0.1',
    dataDir: env.DATA_DIR ?? '.data/pglite',
    databaseUrl: env.DATABASE_URL || undefined,
    publicBaseUrl: env.PUBLIC_BASE_URL?.replace(/\/+$/, '') || undefined,
    mode,
    jwtSecret: env.JWT_SECRET,
    rateLimitAuthenticated: intFromEnv(env, 'RATE_LIMIT_AUTHENTICATED', 100),
    rateLimitPublic: intFromEnv(env, 'RATE_LIMIT_PUBLIC', 300),
    trustProxy: env.TRUST_PROXY === 'true',
    logLevel: env.LOG_LEVEL ?? 'info',
    demo: {
      name: env.DEMO_MERCHANT_NAME ?? 'Demo Coffee Roasters',
      apiKey: env.DEMO_API_KEY || undefined,
      apiSecret: env.DEMO_API_SECRET || undefined,
      clientId: env.DEMO_CLIENT_ID || undefined,
    },
  };
}
