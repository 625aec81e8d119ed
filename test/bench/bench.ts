/**
 * `npm run bench`: throughput, p99 latency and server memory of three operations (GET payment,
 * POST payment, POST checkout session) against four targets measured in ONE run, so that their
 * ratios are comparable:
 *
 *   1. the reference server (validated requests and responses) on in-memory PGlite;
 *   2. the reference server on PostgreSQL: a fresh database on TEST_DATABASE_URL or DATABASE_URL,
 *      else a throwaway PostgreSQL 15 cluster started here (skipped when none is available);
 *   3. bare Express 5 returning the same JSON bodies (express.json(), no validation, no database);
 *   4. the Prism mock on the bundled spec.
 *
 * Every target runs in its own child process (RSS is per target, sampled with `ps` during the
 * measured runs) on an ephemeral port of 127.0.0.1; autocannon runs in this process. Each target
 * gets an unmeasured warm-up of every operation first (express-openapi-validator compiles lazily).
 *
 * Options (flag or environment variable):
 *   --duration=<s>     BENCH_DURATION      seconds per measurement (default 10; --quick: 2)
 *   --connections=<n>  BENCH_CONNECTIONS   concurrent connections (default 10)
 *   --warmup=<s>       BENCH_WARMUP        unmeasured seconds per operation and target (default 2; --quick: 1)
 *   --targets=<list>   BENCH_TARGETS       comma-separated subset of pglite,postgres,bare,prism
 *   --quick                                smoke run: 2 s per measurement
 *
 * This file is also the child process of the reference-server targets (TILLPOINT_BENCH_CHILD set);
 * bare Express runs as plain JavaScript (`node -e`, no tsx loader) so that its RSS is Express's own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freshPostgresDatabase } from '../support/postgres.ts';

const execFileP = promisify(execFile);
const THIS_FILE = fileURLToPath(import.meta.url);
const ROOT = resolve(import.meta.dirname, '..', '..');
const SPEC = join(ROOT, 'generated', 'openapi.yaml');

// ───────────────────────────── shared: operations and bodies ─────────────────────────────

type OpKey = 'getPayment' | 'createPayment' | 'createCheckoutSession';

/** A canned response for bare Express: status and JSON body, as the reference server answers. */
interface Canned {
  status: number;
  body: unknown;
}
type CannedBodies = Record<OpKey, Canned>;

const PAYMENT_BODY = JSON.stringify({
  amount: 2500,
  currency: 'USD',
  paymentMethod: { type: 'card', card: { number: '4242424242424242', expMonth: 12, expYear: 2030, cvc: '123' } },
});
const SESSION_BODY = JSON.stringify({
  amount: 2500,
  currency: 'USD',
  successUrl: 'https://example.com/success?session={SESSION_ID}',
  cancelUrl: 'https://example.com/cancel',
});

interface Operation {
  key: OpKey;
  title: string;
  short: string;
  method: 'GET' | 'POST';
  path(paymentId: string): string;
  body?: string;
}

const OPERATIONS: Operation[] = [
  { key: 'getPayment', title: 'GET /v1/payments/{paymentId}', short: 'GET payment', method: 'GET', path: (id) => `/v1/payments/${id}` },
  { key: 'createPayment', title: 'POST /v1/payments (card 4242…, 2500 USD, unique Idempotency-Key)', short: 'POST payment', method: 'POST', path: () => '/v1/payments', body: PAYMENT_BODY },
  {
    key: 'createCheckoutSession',
    title: 'POST /v1/checkout/sessions (2500 USD)',
    short: 'POST checkout session',
    method: 'POST',
    path: () => '/v1/checkout/sessions',
    body: SESSION_BODY,
  },
];

/** Messages a child sends on its IPC channel. */
type ChildMessage = { type: 'ready'; url: string; apiKey?: string; paymentId?: string } | { type: 'failed'; message: string };

// ───────────────────────────────────── child processes ─────────────────────────────────────

/** Child: the reference server (in-memory PGlite, or PostgreSQL when a URL is given). */
async function serveReference(): Promise<() => Promise<void>> {
  const { startServer } = await import('../../server/boot.ts');
  const { createMerchant } = await import('../../server/auth/service.ts');
  const databaseUrl = process.env.TILLPOINT_BENCH_DATABASE_URL || undefined;
  const { loadConfig } = await import('../../server/config.ts');
  const dataDir = databaseUrl ? '.data' : mkdtempSync(join(tmpdir(), 'tillpoint-bench-'));
  const running = await startServer(loadConfig({}, { databaseUrl, dataDir, host: '127.0.0.1', port: 0, rateLimitAuthenticated: 1e9, rateLimitPublic: 1e9 }));
  const merchant = await createMerchant(running.deps, 'Bench Merchant');
  const res = await fetch(`${running.url}/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': merchant.apiKey },
    body: PAYMENT_BODY,
  });
  const payment = (await res.json()) as { id?: string };
  if (!res.ok || !payment.id) throw new Error(`creating the benchmark payment failed: ${res.status} ${JSON.stringify(payment)}`);
  process.send!({ type: 'ready', url: running.url, apiKey: merchant.apiKey, paymentId: payment.id } satisfies ChildMessage);
  return () => running.close();
}

/**
 * Child: bare Express 5 answering the canned bodies (express.json(), no validation, no database).
 * Plain JavaScript run by `node -e`, without the tsx loader, so that its RSS is Express's own.
 */
const BARE_EXPRESS_JS = `
const { default: express } = await import('express');
const canned = JSON.parse(process.env.TILLPOINT_BENCH_BODIES);
const app = express();
app.use(express.json());
const send = (c) => (_req, res) => void res.status(c.status).json(c.body);
app.get('/v1/payments/:paymentId', send(canned.getPayment));
app.post('/v1/payments', send(canned.createPayment));
app.post('/v1/checkout/sessions', send(canned.createCheckoutSession));
const server = app.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: 'http://127.0.0.1:' + server.address().port }));
server.once('error', (err) => { process.send({ type: 'failed', message: String(err) }); process.exit(1); });
const stop = () => { server.closeAllConnections(); server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 5000).unref(); };
process.on('message', (m) => m === 'stop' && stop());
process.on('disconnect', stop);
process.on('SIGTERM', stop);
`;

async function childMain(): Promise<void> {
  let close: (() => Promise<void>) | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    await close?.().catch(() => undefined);
    process.exit(0);
  };
  // The parent sends 'stop'; if it dies, the IPC channel closes and we go too.
  process.on('message', (m) => m === 'stop' && void stop());
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  try {
    close = await serveReference();
    if (stopping) await close();
  } catch (err) {
    process.send?.({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies ChildMessage);
    process.exit(1);
  }
}

// ─────────────────────────────────────── orchestrator ───────────────────────────────────────

/** The subset of autocannon's API used here (the package ships no types). */
interface CannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: CannonRequest & { headers: Record<string, string> }) => CannonRequest;
}
interface CannonHistogram {
  average: number;
  p99: number;
}
interface CannonResult {
  requests: CannonHistogram & { total: number };
  latency: CannonHistogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
interface CannonOptions {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  requests: CannonRequest[];
}
type Autocannon = (opts: CannonOptions, done: (err: Error | null, result: CannonResult) => void) => unknown;

interface Settings {
  duration: number;
  connections: number;
  warmup: number;
  targets: TargetKey[];
}

type TargetKey = 'pglite' | 'postgres' | 'bare' | 'prism';
const TARGET_LABELS: Record<TargetKey, string> = {
  pglite: 'reference server · PGlite',
  postgres: 'reference server · PostgreSQL',
  bare: 'bare Express 5',
  prism: 'Prism mock',
};
const SUMMARY_LABELS: Record<TargetKey, string> = {
  pglite: 'validated server on PGlite',
  postgres: 'validated server on PostgreSQL',
  bare: 'bare Express',
  prism: 'Prism mock',
};

/** A target up and running. */
interface Running {
  url: string;
  headers: Record<string, string>;
  paymentId: string;
  pid: number;
  stop(): Promise<void>;
}

interface Measurement {
  rps: number;
  p99: number;
  rssMb: number;
  total: number;
  bad: number;
  statuses: string;
}

type TargetOutcome = { kind: 'measured'; note: string; results: Partial<Record<OpKey, Measurement>> } | { kind: 'skipped' | 'failed'; note: string };

/** A bad flag or variable: reported without a stack trace. */
class UsageError extends Error {}

function parseSettings(argv: string[]): Settings {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${readFileSync(THIS_FILE, 'utf8').split('*/')[0]!.replace(/^\/\*\*?\n|^ \* ?/gm, '').trimEnd()}\n`);
      process.exit(0);
    }
    const m = /^--(duration|connections|warmup|targets|quick)(?:=(.*))?$/.exec(arg);
    if (!m) throw new UsageError(`Unknown argument ${arg} (try --help)`);
    flags.set(m[1]!, m[2] ?? 'true');
  }
  const quick = flags.get('quick') === 'true' || process.env.BENCH_QUICK === '1';
  const num = (name: string, env: string, fallback: number): number => {
    const raw = flags.get(name) ?? process.env[env];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${raw}`);
    return n;
  };
  const all: TargetKey[] = ['pglite', 'postgres', 'bare', 'prism'];
  const rawTargets = flags.get('targets') ?? process.env.BENCH_TARGETS;
  const targets = rawTargets ? rawTargets.split(',').map((t) => t.trim()) : all;
  for (const t of targets) if (!all.includes(t as TargetKey)) throw new UsageError(`Unknown target ${t}; choose from ${all.join(', ')}`);
  return {
    duration: num('duration', 'BENCH_DURATION', quick ? 2 : 10),
    connections: Math.round(num('connections', 'BENCH_CONNECTIONS', 10)),
    warmup: num('warmup', 'BENCH_WARMUP', quick ? 1 : 2),
    targets: all.filter((t) => targets.includes(t)),
  };
}

// ───────────── process bookkeeping: every child is tracked and killed at the end ─────────────

const children = new Set<ChildProcess>();
const extraPids = new Set<number>(); // processes we started but do not hold a handle to (the postmaster)
const cleanups: Array<() => Promise<void>> = [];
const managed = new WeakSet<ChildProcess>(); // children that a cleanup stops in its own way (PostgreSQL)

function track(child: ChildProcess, stoppedByCleanup = false): ChildProcess {
  children.add(child);
  if (stoppedByCleanup) managed.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((ok) => {
    const t = setTimeout(() => ok(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      ok(true);
    });
  });
}

/** Stops one child: a polite request, then SIGTERM, then SIGKILL. */
async function stopChild(child: ChildProcess, polite?: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  polite ? polite() : child.kill('SIGTERM');
  if (await waitExit(child, 5000)) return;
  child.kill('SIGTERM');
  if (await waitExit(child, 2000)) return;
  child.kill('SIGKILL');
  await waitExit(child, 2000);
}

/** Stops the servers first (they may hold database connections), then runs the cleanups (newest first). */
async function cleanupAll(): Promise<void> {
  await Promise.all([...children].filter((c) => !managed.has(c)).map((c) => stopChild(c)));
  while (cleanups.length) await cleanups.pop()!().catch((err) => process.stderr.write(`cleanup: ${String(err)}\n`));
  for (const child of [...children]) await stopChild(child);
}

/** Last resort on exit: nothing may outlive us. */
process.on('exit', () => {
  for (const child of children) if (child.pid && child.exitCode === null) child.kill('SIGKILL');
  for (const pid of extraPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

/** A free ephemeral port on 127.0.0.1 (for processes that need the number up front). */
async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
  });
}

/** Keeps the last few KB of a stream, for error messages. */
function tail(stream: NodeJS.ReadableStream | null): () => string {
  let buf = '';
  stream?.on('data', (chunk: Buffer) => {
    buf = (buf + chunk.toString()).slice(-4000);
  });
  return () => buf.trim();
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

// ───────────────────────────────────────── RSS sampling ─────────────────────────────────────────

/** RSS of a process and all its descendants, in MB. */
async function treeRssMb(rootPid: number): Promise<number> {
  const { stdout } = await execFileP('ps', ['-e', '-o', 'pid=,ppid=,rss=']);
  const rows = stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((r) => r.length === 3) as Array<[number, number, number]>;
  const pids = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of rows) if (pids.has(ppid) && !pids.has(pid)) (pids.add(pid), (grew = true));
  }
  return rows.filter(([pid]) => pids.has(pid)).reduce((sum, [, , rss]) => sum + rss, 0) / 1024;
}

/** Samples RSS every 250 ms until stopped; returns the peak. */
function sampleRss(pid: number): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await treeRssMb(pid).catch(() => 0));
      await sleep(250);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      peak = Math.max(peak, await treeRssMb(pid).catch(() => 0));
      return peak;
    },
  };
}

// ───────────────────────────────────────── targets ─────────────────────────────────────────

/** Starts this file as a child in the given role and waits for its 'ready' message. */
async function startNodeChild(role: 'reference' | 'bare', env: Record<string, string>): Promise<ChildMessage & { type: 'ready' } & { child: ChildProcess }> {
  const args = role === 'bare' ? ['--input-type=module', '-e', BARE_EXPRESS_JS] : ['--import', import.meta.resolve('tsx'), THIS_FILE];
  const child = track(
    spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env, TILLPOINT_BENCH_CHILD: role },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  const out = tail(child.stdout);
  const err = tail(child.stderr);
  try {
    const msg = await new Promise<ChildMessage>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('did not start within 180 s')), 180_000);
      child.on('message', (m: ChildMessage) => {
        clearTimeout(timer);
        ok(m);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        fail(new Error(`exited (${signal ?? code}) before it was ready\n${err() || out()}`));
      });
    });
    if (msg.type === 'failed') throw new Error(msg.message);
    return { ...msg, child };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** Asks a node child to close its server and exit (SIGTERM if its IPC channel is gone). */
function askToStop(child: ChildProcess): void {
  if (child.connected) child.send('stop', (err) => err && child.kill('SIGTERM'));
  else child.kill('SIGTERM');
}

async function startReference(databaseUrl?: string): Promise<Running> {
  const ready = await startNodeChild('reference', { TILLPOINT_BENCH_DATABASE_URL: databaseUrl ?? '' });
  return {
    url: ready.url,
    headers: { 'x-api-key': ready.apiKey! },
    paymentId: ready.paymentId!,
    pid: ready.child.pid!,
    stop: () => stopChild(ready.child, () => askToStop(ready.child)),
  };
}

async function startBare(canned: CannedBodies, paymentId: string): Promise<Running> {
  const ready = await startNodeChild('bare', { TILLPOINT_BENCH_BODIES: JSON.stringify(canned) });
  return {
    url: ready.url,
    headers: { 'x-api-key': `sk_test_${'0'.repeat(32)}` },
    paymentId,
    pid: ready.child.pid!,
    stop: () => stopChild(ready.child, () => askToStop(ready.child)),
  };
}

async function startPrism(paymentId: string): Promise<Running> {
  const port = await freePort();
  const prism = join(ROOT, 'node_modules', '.bin', 'prism');
  if (!existsSync(prism)) throw new Error(`${prism} not found (npm install)`);
  const child = track(
    spawn(prism, ['mock', SPEC, '-p', String(port), '-h', '127.0.0.1', '-v', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const out = tail(child.stdout);
  const err = tail(child.stderr);
  const url = `http://127.0.0.1:${port}`;
  const headers = { 'x-api-key': `sk_test_${'0'.repeat(32)}` };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Prism exited (${child.signalCode ?? child.exitCode})\n${err() || out()}`);
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`Prism did not answer on ${url} within 120 s\n${err() || out()}`);
    }
    const ok = await fetch(`${url}/v1/payments/${paymentId}`, { headers, signal: AbortSignal.timeout(2000) }).then(
      () => true,
      () => false,
    );
    if (ok) break;
    await sleep(300);
  }
  return { url, headers, paymentId, pid: child.pid!, stop: () => stopChild(child) };
}

// ─────────────────────────────────── PostgreSQL for target 2 ───────────────────────────────────

type PgSource = { url: string; note: string } | { skipped: string };

/** Creates a fresh database on the server of `adminUrl` and registers its removal. */
async function freshDatabase(adminUrl: string): Promise<string> {
  const db = await freshPostgresDatabase(adminUrl, 'tp_bench');
  cleanups.push(db.drop);
  return db.url;
}

function findPgBin(): string | undefined {
  const candidates = [process.env.PG_BIN, '/usr/lib/postgresql/15/bin'];
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
}

/** Starts a throwaway PostgreSQL cluster on 127.0.0.1 (as user postgres when we are root). */
async function throwawayCluster(): Promise<PgSource> {
  const bin = findPgBin();
  if (!bin) return { skipped: 'no DATABASE_URL/TEST_DATABASE_URL and no PostgreSQL binaries (set PG_BIN)' };
  const asRoot = process.getuid?.() === 0;
  let ids: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      const uid = Number((await execFileP('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await execFileP('id', ['-g', 'postgres'])).stdout.trim());
      ids = { uid, gid };
    } catch {
      return { skipped: 'running as root and there is no postgres user to run the cluster as' };
    }
  }
  const as = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const dir = mkdtempSync(join(tmpdir(), 'tillpoint-bench-pg-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  await execFileP(initCmd, initArgs, { cwd: dir });
  const port = await freePort();
  const [cmd, args] = as(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=50',
  ]);
  const child = track(spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }), true);
  const err = tail(child.stderr);
  let postmaster: number | undefined;
  cleanups.push(async () => {
    // Fast shutdown of the postmaster itself (runuser would not forward it cleanly), then wait.
    if (postmaster && isAlive(postmaster)) process.kill(postmaster, 'SIGINT');
    if (!(await waitExit(child, 15_000))) {
      if (postmaster && isAlive(postmaster)) process.kill(postmaster, 'SIGQUIT');
      await stopChild(child);
    }
    if (postmaster) extraPids.delete(postmaster);
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const { default: pg } = await import('pg');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`PostgreSQL exited (${child.exitCode})\n${err()}`);
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60 s\n${err()}`);
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    const ok = await c.connect().then(
      () => true,
      () => false,
    );
    await c.end().catch(() => undefined);
    if (ok) break;
    await sleep(250);
  }
  const pidFile = join(data, 'postmaster.pid');
  if (existsSync(pidFile)) {
    postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (postmaster) extraPids.add(postmaster);
  }
  const version = (await execFileP(join(bin, 'postgres'), ['--version'])).stdout.trim();
  return { url: await freshDatabase(url), note: `throwaway cluster on 127.0.0.1:${port} (${version}, default durability settings)` };
}

async function postgresSource(): Promise<PgSource> {
  if (process.env.TEST_DATABASE_URL) {
    return { url: await freshDatabase(process.env.TEST_DATABASE_URL), note: 'fresh database on TEST_DATABASE_URL' };
  }
  if (process.env.DATABASE_URL) {
    try {
      return { url: await freshDatabase(process.env.DATABASE_URL), note: 'fresh database on DATABASE_URL' };
    } catch (err) {
      return { skipped: `cannot create a scratch database on DATABASE_URL (${err instanceof Error ? err.message : String(err)}); not writing benchmark data into it` };
    }
  }
  try {
    return await throwawayCluster();
  } catch (err) {
    return { skipped: `could not start a throwaway PostgreSQL cluster: ${err instanceof Error ? err.message : String(err)}` };
  }
}

// ──────────────────────────────────────── measuring ────────────────────────────────────────

/** autocannon, loaded in the orchestrator only (not in the children, whose memory is measured). */
let cannon: Autocannon | undefined;

function cannonRequest(op: Operation, target: Running): CannonRequest {
  const req: CannonRequest = { method: op.method, path: op.path(target.paymentId) };
  if (op.body) {
    req.body = op.body;
    req.headers = { 'content-type': 'application/json' };
    // A unique Idempotency-Key per request: every request really creates something.
    req.setupRequest = (r) => ({ ...r, headers: { ...r.headers, 'idempotency-key': randomUUID() } });
  }
  return req;
}

async function fire(target: Running, op: Operation, seconds: number, connections: number): Promise<CannonResult> {
  cannon ??= createRequire(import.meta.url)('autocannon') as Autocannon;
  return new Promise((ok, fail) => {
    cannon!({ url: target.url, connections, duration: seconds, headers: target.headers, requests: [cannonRequest(op, target)] }, (err, result) =>
      err ? fail(err) : ok(result),
    );
  });
}

/** One request of each operation: checks the status and returns the bodies (for bare Express). */
async function probe(target: Running): Promise<{ canned: CannedBodies; problems: string[] }> {
  const canned = {} as CannedBodies;
  const problems: string[] = [];
  for (const op of OPERATIONS) {
    const headers: Record<string, string> = { ...target.headers };
    if (op.body) (headers['content-type'] = 'application/json'), (headers['idempotency-key'] = randomUUID());
    const res = await fetch(`${target.url}${op.path(target.paymentId)}`, { method: op.method, headers, body: op.body });
    const text = await res.text();
    if (!res.ok) problems.push(`${op.short}: ${res.status} ${text.slice(0, 300)}`);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep text
    }
    canned[op.key] = { status: res.status, body };
  }
  return { canned, problems };
}

/** Canned bodies from the spec's examples, used when no reference server ran before bare Express. */
async function specBodies(): Promise<CannedBodies> {
  const { parse } = await import('yaml');
  const spec = parse(readFileSync(SPEC, 'utf8')) as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }> }>>;
  };
  const pick = (path: string, method: string): Canned => {
    const responses = spec.paths[path]?.[method]?.responses ?? {};
    const status = Object.keys(responses).find((s) => /^2\d\d$/.test(s)) ?? '200';
    const examples = responses[status]?.content?.['application/json']?.examples ?? {};
    return { status: Number(status), body: Object.values(examples)[0]?.value ?? {} };
  };
  return {
    getPayment: pick('/v1/payments/{paymentId}', 'get'),
    createPayment: pick('/v1/payments', 'post'),
    createCheckoutSession: pick('/v1/checkout/sessions', 'post'),
  };
}

async function measureTarget(target: Running, settings: Settings, label: string): Promise<Partial<Record<OpKey, Measurement>>> {
  const results: Partial<Record<OpKey, Measurement>> = {};
  log(`  warm-up: ${OPERATIONS.length} × ${settings.warmup} s (unmeasured)`);
  for (const op of OPERATIONS) await fire(target, op, settings.warmup, settings.connections);
  for (const op of OPERATIONS) {
    const rss = sampleRss(target.pid);
    let r: CannonResult;
    let rssMb = NaN;
    try {
      r = await fire(target, op, settings.duration, settings.connections);
    } finally {
      rssMb = await rss.stop();
    }
    const bad = r.non2xx + r.errors + r.timeouts;
    const statuses = Object.entries(r.statusCodeStats ?? {})
      .map(([code, { count }]) => `${code}×${count}`)
      .join(' ');
    results[op.key] = { rps: r.requests.average, p99: r.latency.p99, rssMb, total: r.requests.total, bad, statuses };
    log(`  ${op.short.padEnd(22)} ${fmt(r.requests.average, 1).padStart(9)} req/s  p99 ${fmt(r.latency.p99, 1).padStart(7)} ms  RSS ${fmt(rssMb, 0).padStart(5)} MB  non-2xx/errors ${bad}`);
    if (bad > 0) {
      log(`  WARNING: ${label} / ${op.short}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts (${statuses}) — this figure measures errors, not the operation`);
    }
  }
  return results;
}

// ───────────────────────────────────────── reporting ─────────────────────────────────────────

const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function report(outcomes: Map<TargetKey, TargetOutcome>, settings: Settings): void {
  const summary: string[] = [];
  const warnings: string[] = [];
  for (const op of OPERATIONS) {
    log();
    log(`${op.title}  —  ${settings.duration} s, ${settings.connections} connections`);
    log(`  ${'target'.padEnd(32)}${'req/s'.padStart(10)}${'p99 ms'.padStart(10)}${'RSS MB'.padStart(10)}${'vs bare'.padStart(10)}${'non-2xx'.padStart(10)}`);
    const bare = outcomes.get('bare');
    const bareRps = bare?.kind === 'measured' ? bare.results[op.key]?.rps : undefined;
    for (const key of settings.targets) {
      const o = outcomes.get(key);
      if (!o) continue;
      if (o.kind !== 'measured' || !o.results[op.key]) {
        log(`  ${TARGET_LABELS[key].padEnd(32)}  ${o.kind === 'measured' ? 'failed' : o.kind}`);
        continue;
      }
      const m = o.results[op.key]!;
      const ratio = bareRps ? m.rps / bareRps : NaN;
      log(
        `  ${TARGET_LABELS[key].padEnd(32)}${fmt(m.rps, 1).padStart(10)}${fmt(m.p99, 1).padStart(10)}${fmt(m.rssMb, 0).padStart(10)}${(Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '–').padStart(10)}${String(m.bad).padStart(10)}${m.bad ? '  ⚠' : ''}`,
      );
      if (key !== 'bare' && Number.isFinite(ratio)) summary.push(`${SUMMARY_LABELS[key]} = ${ratio.toFixed(2)}× bare Express for ${op.short}`);
      if (m.bad) warnings.push(`${TARGET_LABELS[key]} / ${op.short}: ${m.bad} non-2xx or failed responses (${m.statuses})`);
    }
  }
  log();
  log('Summary (req/s relative to bare Express, same run):');
  for (const line of summary) log(`  ${line}`);
  if (!summary.length) log('  (no ratio: bare Express was not measured)');
  for (const key of settings.targets) {
    const o = outcomes.get(key);
    if (o && o.kind !== 'measured') log(`  ${TARGET_LABELS[key]}: ${o.kind} — ${o.note.split('\n')[0]}`);
  }
  log();
  if (warnings.length) {
    log('WARNING: some runs had non-2xx responses or errors; their figures are not meaningful:');
    for (const w of warnings) log(`  ${w}`);
  } else {
    log('All measured runs: 0 non-2xx responses, 0 errors.');
  }
  log('RSS: peak resident memory of the target process tree, sampled every 250 ms during its measured run');
  log('(PostgreSQL server processes are not included in the reference server on PostgreSQL).');
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const cpu = cpus();
  log(`Tillpoint benchmark — Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${new Date().toISOString()}`);
  log(`duration ${settings.duration} s per measurement, ${settings.connections} connections, warm-up ${settings.warmup} s per operation; targets: ${settings.targets.join(', ')}`);
  log('load generator (autocannon) runs in this process, each target in its own child process on 127.0.0.1');

  const outcomes = new Map<TargetKey, TargetOutcome>();
  let canned: CannedBodies | undefined;
  let paymentId: string | undefined;

  const runOne = async (key: TargetKey, start: () => Promise<Running | { skipped: string }>, note: () => string): Promise<void> => {
    log();
    log(`▶ ${TARGET_LABELS[key]}`);
    let target: Running | undefined;
    try {
      const started = await start();
      if ('skipped' in started) {
        log(`  skipped: ${started.skipped}`);
        outcomes.set(key, { kind: 'skipped', note: started.skipped });
        return;
      }
      target = started;
      log(`  listening on ${target.url} (pid ${target.pid})${note() ? `; ${note()}` : ''}`);
      const probed = await probe(target);
      for (const p of probed.problems) log(`  WARNING: probe request failed: ${p}`);
      if (key === 'pglite' || key === 'postgres') {
        canned ??= probed.problems.length ? undefined : probed.canned;
        paymentId ??= target.paymentId;
      }
      outcomes.set(key, { kind: 'measured', note: note(), results: await measureTarget(target, settings, TARGET_LABELS[key]) });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log(`  FAILED: ${message}`);
      outcomes.set(key, { kind: 'failed', note: message });
    } finally {
      await target?.stop();
    }
  };

  for (const key of settings.targets) {
    if (key === 'pglite') {
      await runOne(key, () => startReference(), () => 'in-memory PGlite');
    } else if (key === 'postgres') {
      let pgNote = '';
      await runOne(
        key,
        async () => {
          const source = await postgresSource();
          if ('skipped' in source) return source;
          pgNote = source.note;
          return startReference(source.url);
        },
        () => pgNote,
      );
      // Drop the scratch database and stop the cluster now, so they do not disturb later targets.
      await cleanupAll();
    } else if (key === 'bare') {
      let source = 'bodies captured from the reference server';
      await runOne(
        key,
        async () => {
          if (!canned) (canned = await specBodies()), (source = 'bodies from the spec examples (no reference server ran before it)');
          return startBare(canned, paymentId ?? 'pay_3kTq9ZmX2bW7nR4vL8cY1dPa');
        },
        () => source,
      );
    } else {
      await runOne(key, () => startPrism(paymentId ?? 'pay_3kTq9ZmX2bW7nR4vL8cY1dPa'), () => 'prism mock generated/openapi.yaml -v warn');
    }
  }

  report(outcomes, settings);
  const failed = [...outcomes.values()].some((o) => o.kind === 'failed');
  if (failed) log('At least one target failed to start or crashed (see above).');
  process.exitCode = failed ? 1 : 0;
}

// ───────────────────────────────────────── entry point ─────────────────────────────────────────

if (process.env.TILLPOINT_BENCH_CHILD === 'reference') {
  void childMain();
} else {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`\n${signal}: stopping every child process…`);
    void cleanupAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main()
    .catch((err) => {
      const detail = err instanceof UsageError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`bench failed: ${detail}\n`);
      process.exitCode = 1;
    })
    .finally(async () => {
      await cleanupAll();
      // autocannon and pg may leave handles behind; everything we started is stopped by now.
      process.exit(process.exitCode ?? 0);
    });
}
