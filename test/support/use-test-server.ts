/**
 * One line per test file for its servers: `useTestServer({ clock, rateLimit })` starts, in
 * `beforeAll`, the main test server on a controllable clock and, when asked, a server with a
 * low per-credential rate limit for the 429 cases and a live-mode server; `afterAll` closes them. Built on
 * {@link startTestServer}.
 */
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

/** The base clock of the main server, moved by the test (the sandbox offset still applies on top). */
export interface TestClock {
  /** Current time in epoch milliseconds. */
  readonly ms: number;
  /** Current time. */
  now(): Date;
  /** Current time as an RFC 3339 string, as the API prints it. */
  iso(): string;
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void;
  /** Moves the clock forward by `seconds` seconds. */
  advanceSeconds(seconds: number): void;
}

/** Options of {@link useTestServer}. */
export interface UseTestServerOptions {
  /**
   * The main server's base clock: a start time in epoch milliseconds (the clock then stands
   * still until advanced), or `'system'` (the system clock plus what the test advanced). Default
   * `'system'`.
   */
  clock?: number | 'system';
  /** Starts a second server (`limited`) allowing this many requests per minute per credential. */
  rateLimit?: number;
  /** Also starts a live-mode server (`live`): https-only URLs, no sandbox routes, no sandbox jobs. */
  live?: boolean;
  /** More options for the main server (mode, webhook settings…). */
  server?: TestServerOptions;
}

/** The servers of a test file; read them inside tests and hooks (they start in `beforeAll`). */
export interface TestServers {
  /** The main server, on {@link TestServers.clock}. */
  readonly server: TestServer;
  /** The rate-limited server; throws when `rateLimit` was not given. */
  readonly limited: TestServer;
  /** The live-mode server; throws when `live` was not given. */
  readonly live: TestServer;
  clock: TestClock;
}

/** A view of a server that exists only once `beforeAll` has run. */
function late(name: string, get: () => TestServer | undefined): TestServer {
  return new Proxy({} as TestServer, {
    get(_target, property) {
      const server = get();
      if (!server) throw new Error(`The ${name} server is not running: use it inside a test or hook (and pass rateLimit for limited, live for live)`);
      const value = Reflect.get(server, property, server) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(server) : value;
    },
  });
}

/** Registers `beforeAll`/`afterAll` for the file's servers and returns them (see the file comment). */
export function useTestServer(options: UseTestServerOptions = {}): TestServers {
  const fixed = typeof options.clock === 'number';
  let offsetMs = 0;
  const ms = () => (fixed ? (options.clock as number) : Date.now()) + offsetMs;
  const clock: TestClock = {
    get ms() {
      return ms();
    },
    now: () => new Date(ms()),
    iso: () => new Date(ms()).toISOString(),
    advance: (by) => void (offsetMs += by),
    advanceSeconds: (seconds) => void (offsetMs += seconds * 1000),
  };
  let main: TestServer | undefined;
  let limited: TestServer | undefined;
  let live: TestServer | undefined;
  beforeAll(async () => {
    [main, limited, live] = await Promise.all([
      startTestServer({ ...options.server, now: clock.now }),
      options.rateLimit !== undefined ? startTestServer({ rateLimitAuthenticated: options.rateLimit }) : undefined,
      options.live ? startTestServer({ mode: 'live' }) : undefined,
    ]);
  });
  afterAll(async () => {
    await Promise.all([main?.close(), limited?.close(), live?.close()]);
  });
  return { server: late('main', () => main), limited: late('rate-limited', () => limited), live: late('live', () => live), clock };
}
