/**
 * `npm start`: the reference server in sandbox mode on its embedded PostgreSQL cluster (or on
 * `DATABASE_URL`), with a demo merchant created on first run. Prints the database in use, the base
 * URL, the demo credentials, the docs URL and the mock command.
 *
 * With `WEB_CONCURRENCY=N` (N > 1) this process is the primary of a node:cluster: it owns the
 * database (starting the embedded cluster, migrating) and the demo merchant, and runs N workers
 * that share the port and the database; a worker that dies is replaced. SIGINT/SIGTERM stop the
 * workers, then the database; an uncaught error in the primary stops the database before exiting.
 */
import cluster, { type Worker } from 'node:cluster';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino, { type Logger } from 'pino';
import { createMerchant, verifyCredential, type CreatedMerchant } from './auth/index.ts';
import { createDeps } from './app.ts';
import { publicBaseUrlOf, startServer } from './boot.ts';
import { loadConfig, type Config } from './config.ts';
import { logConnectionError, openDatabase, type Database } from './db/index.ts';
import type { AppDeps } from './deps.ts';

type DemoCredentials = Pick<CreatedMerchant, 'merchantId' | 'name' | 'apiKey' | 'apiSecret' | 'clientId'>;

/**
 * Returns the demo merchant's credentials: those fixed by `DEMO_*` variables, else the ones saved
 * on an earlier run (`DEMO_CREDENTIALS_FILE`, readable by the owner only), else new ones.
 */
async function demoMerchant(deps: AppDeps, demo: Config['demo']): Promise<DemoCredentials> {
  if (demo.apiKey && demo.apiSecret) {
    const existing = await verifyCredential(deps, demo.apiKey);
    if (existing) {
      const clientId = await deps.ports.applications?.defaultClientId(deps.db, existing.merchantId);
      if (!clientId) throw new Error(`Merchant ${existing.merchantId} has no default application`);
      return { merchantId: existing.merchantId, name: existing.merchantName, apiKey: demo.apiKey, apiSecret: demo.apiSecret, clientId };
    }
    return createMerchant(deps, demo.name, demo);
  }
  const file = resolve(demo.credentialsFile);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials;
    if (await verifyCredential(deps, saved.apiKey)) return saved;
  }
  const created = await createMerchant(deps, demo.name, demo);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(created, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return created;
}

function banner(config: Config, database: Database, base: string, demo: DemoCredentials): string {
  const where =
    database.engine === 'embedded'
      ? `embedded PostgreSQL at ${database.cluster!.clusterDir}${database.cluster!.initialised ? ' (new cluster)' : ''}`
      : 'PostgreSQL (DATABASE_URL)';
  const workers = config.webConcurrency > 1 ? `, ${config.webConcurrency} workers` : '';
  return [
    '',
    `Tillpoint reference server (${config.mode}) on ${where}${workers}`,
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
  ].join('\n');
}

/** Runs `stop` once on SIGINT/SIGTERM, and on an uncaught error (then exits 1). */
function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping: Promise<void> | undefined;
  const run = (code: number) => {
    stopping ??= stop()
      .catch((err) => log.error({ err }, 'shutdown failed'))
      .finally(() => process.exit(code));
  };
  process.once('SIGINT', () => run(0));
  process.once('SIGTERM', () => run(0));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; stopping');
    run(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection; stopping');
    run(1);
  });
}

async function single(config: Config, log: Logger, database: Database): Promise<void> {
  const running = await startServer(config, { log, database });
  onShutdown(log, () => running.close());
  const demo = await demoMerchant(running.deps, config.demo);
  process.stdout.write(banner(config, database, running.deps.config.publicBaseUrl, demo) + '\n');
}

async function primary(config: Config, log: Logger, database: Database): Promise<void> {
  let stopping = false;
  const workers = new Set<Worker>();
  const restarts: number[] = [];
  const fork = () => {
    // A worker connects to the primary's database as to any PostgreSQL server.
    const worker = cluster.fork({ DATABASE_URL: database.url });
    workers.add(worker);
    let listening = false;
    worker.once('listening', () => (listening = true));
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      if (stopping) return;
      if (!listening) {
        // It never served (port taken, bad configuration): restarting would only loop.
        log.fatal({ pid: worker.process.pid, code, signal }, 'a worker failed to start; stopping');
        process.emit('uncaughtException', new Error('a worker failed to start'));
        return;
      }
      const now = Date.now();
      restarts.push(now);
      while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
      if (restarts.length > 5) {
        log.fatal({ restarts: restarts.length }, 'workers keep dying (more than 5 in a minute); stopping');
        process.emit('uncaughtException', new Error('workers keep dying'));
        return;
      }
      const delayMs = Math.min(30_000, 500 * 2 ** (restarts.length - 1));
      log.error({ pid: worker.process.pid, code, signal, delayMs }, 'worker died; starting another');
      setTimeout(() => void (stopping || fork()), delayMs).unref();
    });
    return worker;
  };
  onShutdown(log, async () => {
    stopping = true;
    await Promise.all(
      [...workers].map(
        (worker) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => worker.process.kill('SIGKILL'), 10_000);
            worker.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    await database.close();
  });

  // The demo merchant is created once, here, before any worker serves.
  // Its jobs are never started here: the workers run them.
  const { deps } = createDeps({
    db: database.db,
    config: Object.freeze({ ...config, publicBaseUrl: config.publicBaseUrl ?? '' }),
    signingKey: new Uint8Array(32),
    log,
    realNow: () => new Date(),
  });
  const demo = await demoMerchant(deps, config.demo);
  const listening = Array.from({ length: config.webConcurrency }, () => {
    const worker = fork();
    return new Promise<number>((done) => worker.once('listening', (address) => done(address.port)));
  });
  const [port] = await Promise.all(listening);
  const base = publicBaseUrlOf(config, port!);
  process.stdout.write(banner(config, database, base, demo) + '\n');
}

async function worker(config: Config, log: Logger): Promise<void> {
  const running = await startServer(config, { log });
  onShutdown(log, () => running.close());
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel });
  if (cluster.isWorker) return worker(config, log);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    // The primary of a cluster only creates the demo merchant: two connections are plenty.
    poolSize: config.webConcurrency > 1 ? 2 : config.databasePoolSize,
    onConnectionError: logConnectionError(log),
    // Without its database the server can only fail every request: stop, so a supervisor restarts it.
    onDatabaseExit: (err) => process.emit('uncaughtException', err),
  });
  try {
    await (config.webConcurrency > 1 ? primary(config, log, database) : single(config, log, database));
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}

main().catch((err) => {
  process.stderr.write(`Failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
