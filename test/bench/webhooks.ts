/**
 * Webhook delivery throughput: events delivered per second by the delivery worker to a receiver
 * on loopback, on the embedded PostgreSQL cluster and (when a server is given) on that PostgreSQL.
 *
 *   npx tsx test/bench/webhooks.ts [--events=2000] [--workers=1] [--concurrency=16] [--batch=50]
 *   bash .ci/with-postgres.sh npx tsx test/bench/webhooks.ts      # adds the PostgreSQL run
 *
 * For each database: a server (background jobs off), one merchant with one endpoint subscribed
 * to everything, `--events` payment events recorded through `deps.events.record` (the outbox fan-out,
 * 200 per transaction; not measured), then `--workers` concurrent workers run
 * `deliverDueWebhooks` rounds until nothing is due (measured). Every attempt is a real signed
 * HTTP POST to a receiver in a separate process (plain node:http answering 200), and every
 * attempt is recorded in its own transaction, as in production. The receiver's count must equal
 * the number of events (no loss, no duplicate), else the run fails.
 *
 * PostgreSQL: a fresh database on `TEST_DATABASE_URL` or `DATABASE_URL`, dropped afterwards.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startServer, type RunningServer } from '../../server/boot.ts';
import type { Tx } from '../../server/db/index.ts';
import { loadConfig } from '../../server/config.ts';
import { createMerchant } from '../../server/auth/service.ts';
import type { PaymentRow } from '../../server/payments/index.ts';
import { createEndpoint } from '../../server/webhooks/service.ts';
import { deliverDueWebhooks } from '../../server/webhooks/worker.ts';
import { freshPostgresDatabase } from '../support/postgres.ts';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const [k, v] = a.slice(2).split('=');
      return [k!, v ?? 'true'];
    }),
);
const EVENTS = Number(args.events ?? 2000);
const WORKERS = Number(args.workers ?? 1);
const CONCURRENCY = Number(args.concurrency ?? 16);
const BATCH = Number(args.batch ?? 50);

/** A receiver in its own process: answers 200 to every POST, `GET /count` returns requests and distinct webhook-ids. */
async function startReceiver(): Promise<{ url: string; count(): Promise<{ requests: number; distinct: number }>; stop(): void }> {
  const script = `
    const http = require('node:http');
    let requests = 0; const ids = new Set();
    const server = http.createServer((req, res) => {
      if (req.method === 'GET') { res.end(JSON.stringify({ requests, distinct: ids.size })); return; }
      req.resume();
      req.on('end', () => { requests++; ids.add(req.headers['webhook-id']); res.writeHead(200).end(); });
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    count: async () => (await (await fetch(`${url}/count`)).json()) as { requests: number; distinct: number },
    stop: () => child.kill(),
  };
}

/** A realistic payment object, as events carry it. */
function paymentRow(merchantId: string, i: number): PaymentRow {
  const id = `pay_${randomBytes(12).toString('hex').slice(0, 24)}`;
  const at = new Date();
  return {
    id, merchantId, status: 'succeeded', amount: 2500 + i, currency: 'USD', amountRefunded: 0,
    methodType: 'card', methodDetails: { card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2030 } },
    description: `Order ORD-${i}`, customerEmail: 'amara@example.com', reference: `ORD-${i}`, checkoutSessionId: null, applicationId: null,
    failureCode: null, failureMessage: null, returnUrl: null, settleAt: null, metadata: { orderId: `ORD-${i}` }, createdAt: at, updatedAt: at,
  };
}

interface Result {
  target: string;
  seconds: number;
  perSecond: number;
  rounds: number;
}

async function run(target: string, server: RunningServer, receiverUrl: string, count: () => Promise<{ requests: number; distinct: number }>): Promise<Result> {
  const deps = server.deps;
  const merchant = await createMerchant(deps, 'Bench merchant');
  await createEndpoint(deps.db, deps, merchant.merchantId, { url: `${receiverUrl}/hooks`, events: ['*'] });
  const before = await count();
  for (let done = 0; done < EVENTS; ) {
    const n = Math.min(200, EVENTS - done);
    await deps.db.transaction(async (tx: Tx) => {
      for (let i = 0; i < n; i++) await deps.events.record(tx, merchant.merchantId, 'payment.succeeded', paymentRow(merchant.merchantId, done + i), deps.now(merchant.merchantId));
    });
    done += n;
  }
  // Warm-up: one small round (connection set-up, first queries), counted in the totals.
  let rounds = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      for (;;) {
        const round = await deliverDueWebhooks(deps);
        rounds++;
        if (round.claimed === 0) return;
        if (round.retrying + round.failed > 0) throw new Error(`${round.retrying + round.failed} deliveries failed`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = await count();
  const requests = after.requests - before.requests;
  const distinct = after.distinct - before.distinct;
  if (requests !== EVENTS || distinct !== EVENTS) throw new Error(`${target}: receiver got ${requests} requests (${distinct} distinct) for ${EVENTS} events`);
  return { target, seconds, perSecond: EVENTS / seconds, rounds };
}

async function main(): Promise<void> {
  const receiver = await startReceiver();
  const results: Result[] = [];
  const options = loadConfig(
    {},
    {
      port: 0,
      rateLimitAuthenticated: 1_000_000,
      rateLimitPublic: 1_000_000,
      sweepIntervalMs: 0,
      webhookWorkerIntervalMs: 0,
      webhooks: { concurrency: CONCURRENCY, batchSize: BATCH },
    },
  );
  const runtime = { log: pino({ level: 'silent' }) };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'tillpoint-whbench-'));
    try {
      const embedded = await startServer({ ...options, dataDir: dir }, runtime);
      try {
        results.push(await run('embedded PostgreSQL', embedded, receiver.url, receiver.count));
      } finally {
        await embedded.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const adminUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
    if (adminUrl) {
      const db = await freshPostgresDatabase(adminUrl, 'tp_whbench', undefined);
      const server = await startServer({ ...options, databaseUrl: db.url }, runtime);
      try {
        results.push(await run('PostgreSQL', server, receiver.url, receiver.count));
      } finally {
        await server.close();
        await db.drop();
      }
    }
  } finally {
    receiver.stop();
  }
  process.stdout.write(
    `\nWebhook delivery throughput: ${EVENTS} events, ${WORKERS} worker(s), ${CONCURRENCY} attempts in flight per worker, batches of ${BATCH}; ` +
      `receiver on loopback in its own process; ${cpus().length} CPU(s), Node ${process.version}\n\n`,
  );
  for (const r of results) {
    process.stdout.write(`  ${r.target.padEnd(20)} ${r.perSecond.toFixed(0).padStart(6)} events/s   (${r.seconds.toFixed(2)} s, ${r.rounds} rounds)\n`);
  }
  if (!process.env.TEST_DATABASE_URL && !process.env.DATABASE_URL) {
    process.stdout.write('\n  External PostgreSQL skipped: run with TEST_DATABASE_URL or DATABASE_URL (e.g. bash .ci/with-postgres.sh npx tsx test/bench/webhooks.ts)\n');
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
