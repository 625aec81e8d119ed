/**
 * `npm start`: the reference server in sandbox mode on embedded PGlite (or PostgreSQL with
 * `DATABASE_URL`), with a demo merchant created on first run. Prints the base URL, the demo
 * credentials, the docs URL and the mock command.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import { createMerchant, type CreatedMerchant } from './auth/service.ts';
import { verifyCredential } from './auth/authenticate.ts';
import { findMerchant } from './auth/repository.ts';
import { startServer } from './boot.ts';
import { readSettings } from './config.ts';
import type { AppDeps } from './deps.ts';

type DemoCredentials = Pick<CreatedMerchant, 'merchantId' | 'name' | 'apiKey' | 'apiSecret' | 'clientId'>;

/**
 * Returns the demo merchant's credentials: those fixed by `DEMO_*` variables, else the ones saved
 * on an earlier run (`.data/demo-credentials.json`, readable by the owner only), else new ones.
 */
async function demoMerchant(deps: AppDeps, file: string, demo: ReturnType<typeof readSettings>['demo']): Promise<DemoCredentials> {
  if (demo.apiKey && demo.apiSecret) {
    const existing = await verifyCredential(deps, demo.apiKey);
    if (existing) {
      const merchant = await findMerchant(deps.db, existing.merchantId);
      return { merchantId: existing.merchantId, name: existing.merchantName, apiKey: demo.apiKey, apiSecret: demo.apiSecret, clientId: merchant!.clientId };
    }
    return createMerchant(deps, demo.name, demo);
  }
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
    if (await verifyCredential(deps, saved.apiKey)) return saved;
  }
  const created = await createMerchant(deps, demo.name, demo);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(created, null, 2));
  chmodSync(file, 0o600);
  return created;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const log = pino({ level: settings.logLevel });
  const running = await startServer({
    port: settings.port,
    host: settings.host,
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl,
    publicBaseUrl: settings.publicBaseUrl,
    mode: settings.mode,
    jwtSecret: settings.jwtSecret,
    rateLimitAuthenticated: settings.rateLimitAuthenticated,
    rateLimitPublic: settings.rateLimitPublic,
    trustProxy: settings.trustProxy,
    log,
  });
  const base = running.deps.config.publicBaseUrl;
  const credentialsFile = resolve(process.env.DEMO_CREDENTIALS_FILE ?? '.data/demo-credentials.json');
  const demo = await demoMerchant(running.deps, credentialsFile, settings.demo);

  process.stdout.write(
    [
      '',
      `Tillpoint reference server (${settings.mode}) on ${running.database.engine === 'pglite' ? `PGlite at ${resolve(settings.dataDir)}` : 'PostgreSQL'}`,
      '',
      `  Base URL       ${base}`,
      `  API docs       ${base}/docs`,
      `  OpenAPI spec   ${base}/openapi.yaml`,
      '',
      `  Demo merchant  ${demo.name} (${demo.merchantId})`,
      `  API key        ${demo.apiKey}`,
      `  API secret     ${demo.apiSecret}`,
      `  Client id      ${demo.clientId}`,
      '',
      `  Try it:  curl -s ${base}/v1/checkout/sessions -H 'x-api-key: ${demo.apiKey}' -H 'content-type: application/json' \\`,
      `             -d '{"amount":2500,"currency":"USD","successUrl":"https://example.com/ok?session={SESSION_ID}","cancelUrl":"https://example.com/cart"}'`,
      `  Mock:    npm run mock   (Prism on generated/openapi.yaml, http://127.0.0.1:4010)`,
      '',
    ].join('\n') + '\n',
  );

  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
