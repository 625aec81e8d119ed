/**
 * Test harness: starts the reference server on an ephemeral port with its own fresh database (a
 * copy of the migrated template on the run's PostgreSQL server) and creates isolated sandbox
 * merchants with typed clients.
 */
import { startServer, type RunningServer, type Runtime } from '../../server/boot.ts';
import { loadConfig, type ConfigOverrides } from '../../server/config.ts';
import createClient, { type Client } from 'openapi-fetch';
import { createTillpointClient, unwrap, type TillpointClient } from '../../client/index.ts';
import type { components, paths } from '../../generated/schema.d.ts';
import { freshTestDatabase } from './postgres.ts';

/** The JWT secret every test server uses, so tests can mint expired or forged tokens. */
export const TEST_JWT_SECRET = 'test-secret-for-access-tokens-0123456789abcdef';

export type SandboxMerchant = components['schemas']['SandboxMerchant'];

/** A running test server and helpers bound to it. */
export interface TestServer extends RunningServer {
  /** A new isolated merchant and a client authenticated with its API key (no retries). */
  newMerchant(name?: string): Promise<{ merchant: SandboxMerchant; client: TillpointClient }>;
  /** A typed client without credentials (plain openapi-fetch: no auth, no retries). */
  anonymous(): Client<paths>;
  /** Raw fetch against the server, for what the typed client cannot send (bad JSON, bad headers). */
  raw(path: string, init?: RequestInit): Promise<Response>;
}

/** What a test may set: any configuration field, and the base clock. */
export type TestServerOptions = ConfigOverrides & Pick<Runtime, 'now' | 'log'>;

/**
 * The configuration of a test server: loopback, any free port, no background jobs (tests drive
 * them), limits far above any test's traffic, a fixed JWT secret; `options` win.
 */
export function testConfig(options: ConfigOverrides = {}) {
  return loadConfig(
    {},
    {
      port: 0,
      host: '127.0.0.1',
      rateLimitAuthenticated: 1_000_000,
      rateLimitPublic: 1_000_000,
      jwtSecret: TEST_JWT_SECRET,
      sweepIntervalMs: 0,
      // No background webhook deliveries unless a test asks: tests drive them with deliverDueWebhooks.
      webhookWorkerIntervalMs: 0,
      ...options,
    },
  );
}

/** Starts a server for one test file on a fresh database (unless `databaseUrl` is given). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { now, log, ...overrides } = options;
  const pgdb = overrides.databaseUrl ? undefined : await freshTestDatabase();
  const running = await startServer(testConfig({ ...overrides, databaseUrl: overrides.databaseUrl ?? pgdb!.url }), { now, log });
  const anonymous = () => createClient<paths>({ baseUrl: running.url });
  return {
    ...running,
    anonymous,
    raw: (path, init) => fetch(`${running.url}${path}`, init),
    async newMerchant(name = 'Test Merchant') {
      const merchant = unwrap(await anonymous().POST('/v1/sandbox/merchants', { body: { name } }));
      return { merchant, client: createTillpointClient({ baseUrl: running.url, apiKey: merchant.apiKey, retry: false }) };
    },
    close: async () => {
      await running.close();
      await pgdb?.drop();
    },
  };
}

/** A valid card payment body for the given test card (default: succeeds). */
export function cardPayment(amount = 2500, currency = 'USD', number = '4242424242424242') {
  return {
    amount,
    currency,
    paymentMethod: { type: 'card' as const, card: { number, expMonth: 12, expYear: 2030, cvc: '123' } },
  };
}
