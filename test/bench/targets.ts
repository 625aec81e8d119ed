/**
 * Starting the benchmark's targets, each in its own child process on 127.0.0.1:
 *
 * - the reference server exactly as `npm start` runs it (`node --import tsx server/main.ts`,
 *   configured by environment variables only), on its embedded database or on `DATABASE_URL`;
 * - a PostgreSQL server for the `DATABASE_URL` target (TEST_DATABASE_URL or a throwaway cluster);
 * - bare Express 5 answering canned JSON (no validation, no database);
 * - the Prism mock on the bundled spec.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { freshPostgresDatabase } from '../support/postgres.ts';
import { PAYMENT_BODY, type CannedBodies, type Target } from './measure.ts';
import { descendantsIn, freePort, isAlive, processTable, onCleanup, outputTail, sleep, stopTree, track, trackPid, untrackPid, waitExit } from './processes.ts';

const execFileP = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SPEC = join(ROOT, 'generated', 'openapi.yaml');

/** A target up and running. */
export interface RunningTarget extends Target {
  /** Milliseconds from spawn to the first 200 (reference server) or first answer. */
  readyMs: number;
  /** What the target says it is (the reference server's banner line), if anything. */
  banner?: string;
  stop(): Promise<void>;
}

// ─────────────────────────────────────── reference server ───────────────────────────────────────

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const base62 = (n: number) => [...randomBytes(n)].map((b) => BASE62[b % 62]).join('');

/** The demo merchant of every reference server of this run (`DEMO_API_KEY` / `DEMO_API_SECRET`). */
export const DEMO = { apiKey: `sk_test_${base62(32)}`, apiSecret: `ss_test_${base62(32)}` };

/** A limit (requests/min) no benchmark reaches: the limiter runs but never throttles. */
export const UNTHROTTLED = 100_000_000;

/** Variables of `npm start` that the benchmark sets itself: inherited values are dropped. */
const SERVER_VARIABLES = [
  'PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'WEB_CONCURRENCY', 'RATE_LIMIT_AUTHENTICATED', 'RATE_LIMIT_PUBLIC', 'PUBLIC_BASE_URL',
  'TILLPOINT_MODE', 'JWT_SECRET', 'LOG_LEVEL', 'TRUST_PROXY', 'DEMO_MERCHANT_NAME', 'DEMO_API_KEY', 'DEMO_API_SECRET', 'DEMO_CLIENT_ID',
  'DEMO_CREDENTIALS_FILE', 'DATABASE_POOL_SIZE',
];

/** A temporary directory for one reference server: `DATA_DIR` (not created) and a credentials file. */
export interface Workspace {
  dir: string;
  dataDir: string;
  remove(): void;
}

/**
 * Creates a workspace under the system temp directory, removed at the end of the run at the
 * latest. It is world-traversable (0755): as root, the embedded PostgreSQL runs as user
 * `postgres` and must reach `DATA_DIR`.
 */
export function newWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'tillpoint-bench-'));
  chmodSync(dir, 0o755);
  const remove = () => rmSync(dir, { recursive: true, force: true });
  onCleanup(async () => remove());
  return { dir, dataDir: join(dir, 'data'), remove };
}

/** How to configure one reference server. */
export interface ReferenceOptions {
  workspace: Workspace;
  /** `WEB_CONCURRENCY`. */
  workers: number;
  /** `RATE_LIMIT_AUTHENTICATED` (0 = limiter off); `RATE_LIMIT_PUBLIC` is {@link UNTHROTTLED}. */
  rateLimitAuthenticated: number;
  /** `DATABASE_URL`; without it the server starts its embedded database in `DATA_DIR`. */
  databaseUrl?: string;
  /** pid of the external database's postmaster, to sample its memory. */
  databasePid?: number;
  /** Create the payment that GET payment reads (default true). */
  createPayment?: boolean;
  /** Give up when not ready after this many seconds (default 120). */
  readyTimeout?: number;
}

/** Thrown when the server answers but can never become ready (e.g. 429 on every request). */
class NotReady extends Error {}

/**
 * Starts the reference server as `npm start` does, on a free port, and waits until
 * `GET /v1/balance` with the demo key answers 200 (the readiness time is measured from spawn).
 * Then creates one payment for GET payment.
 * Servers run with `LOG_LEVEL=silent` unless `BENCH_LOG_LEVEL` says otherwise (to debug a server
 * that does not start: its last output is in the error).
 * @throws Error when the server exits, answers 429 (its limiter throttles the probe), or is not
 *   ready within `readyTimeout` seconds; its output is in the message.
 */
export async function startReference(opts: ReferenceOptions): Promise<RunningTarget> {
  const tsx = import.meta.resolve('tsx');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of SERVER_VARIABLES) delete env[name];
    Object.assign(env, {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: opts.workspace.dataDir,
      WEB_CONCURRENCY: String(opts.workers),
      RATE_LIMIT_AUTHENTICATED: String(opts.rateLimitAuthenticated),
      RATE_LIMIT_PUBLIC: String(UNTHROTTLED),
      TILLPOINT_MODE: 'sandbox',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'silent',
      DEMO_API_KEY: DEMO.apiKey,
      DEMO_API_SECRET: DEMO.apiSecret,
      DEMO_CREDENTIALS_FILE: join(opts.workspace.dir, 'demo-credentials.json'),
      ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    });
    const started = performance.now();
    const child = track(spawn(process.execPath, ['--import', tsx, 'server/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    const output = outputTail(child.stdout, child.stderr);
    const banner = bannerLine(child);
    const url = `http://127.0.0.1:${port}`;
    const headers = { 'x-api-key': DEMO.apiKey };
    const stop = () => stopTree(child);
    try {
      await waitReady(child, url, headers, output, opts.readyTimeout ?? 120);
    } catch (err) {
      await stop();
      if (!(err instanceof NotReady) && /EADDRINUSE/.test(output()) && attempt < 3) continue; // the port was taken meanwhile
      throw err;
    }
    const readyMs = performance.now() - started;
    let paymentId = 'pay_none';
    if (opts.createPayment !== false) {
      try {
        paymentId = await createPayment(url, headers);
      } catch (err) {
        await stop();
        throw err;
      }
    }
    return {
      url,
      headers,
      paymentId,
      memory: { serverPid: child.pid!, databasePid: opts.databasePid },
      readyMs,
      banner: await Promise.race([banner, sleep(3000).then(() => undefined)]),
      stop,
    };
  }
}

/** e.g. `2 node, 9 postgres`: what runs below a process. */
function treeSummary(pid: number): string {
  const counts = new Map<string, number>();
  for (const p of descendantsIn(processTable(), pid)) counts.set(p.comm, (counts.get(p.comm) ?? 0) + 1);
  return [...counts].map(([comm, n]) => `${n} ${comm}`).join(', ') || 'nothing';
}

/** The server's banner line (`Tillpoint reference server (sandbox) on …`), printed once it serves. */
function bannerLine(child: ChildProcess): Promise<string> {
  return new Promise((ok) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf = (buf + chunk.toString()).slice(-4000);
      const m = /^Tillpoint reference server.*$/m.exec(buf);
      if (m) {
        child.stdout?.off('data', onData);
        ok(m[0].trim());
      }
    };
    child.stdout?.on('data', onData);
  });
}

async function waitReady(child: ChildProcess, url: string, headers: Record<string, string>, output: () => string, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout * 1000;
  let last = 'no answer';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (${child.signalCode ?? child.exitCode}) before it was ready\n${output()}`);
    if (Date.now() > deadline) {
      throw new Error(`server not ready within ${timeout} s (last: ${last}; running below it: ${treeSummary(child.pid!)}; BENCH_LOG_LEVEL=info shows its log)\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/v1/balance`, { headers, signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${text.slice(0, 200)}`;
      if (res.status === 429) {
        throw new NotReady(`GET /v1/balance answers 429 (rate limited; does this server treat RATE_LIMIT_AUTHENTICATED=0 as "off"?): ${text.slice(0, 200)}`);
      }
    } catch (err) {
      if (err instanceof NotReady) throw err;
      last = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    }
    await sleep(50);
  }
}

async function createPayment(url: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${url}/v1/payments`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: PAYMENT_BODY,
    signal: AbortSignal.timeout(30_000),
  });
  const payment = (await res.json().catch(() => ({}))) as { id?: string };
  if (!res.ok || !payment.id) throw new Error(`creating the payment for GET payment failed: ${res.status} ${JSON.stringify(payment)}`);
  return payment.id;
}

// ─────────────────────────────────── PostgreSQL for DATABASE_URL ───────────────────────────────────

/** A database for the `DATABASE_URL` target, or why there is none. */
export type PgSource = { url: string; note: string; postmasterPid?: number } | { skipped: string };

/**
 * A fresh database on `TEST_DATABASE_URL` when set, else on a throwaway PostgreSQL cluster
 * started here (PostgreSQL 15 from `/usr/lib/postgresql`, or `PG_BIN`). The database is dropped
 * and the cluster stopped by the registered cleanups.
 */
export async function postgresSource(): Promise<PgSource> {
  const admin = process.env.TEST_DATABASE_URL;
  if (admin) {
    const url = await freshDatabase(admin);
    const postmasterPid = await postmasterOf(admin);
    const memo = postmasterPid ? `postmaster pid ${postmasterPid}: the whole server's memory, other databases included` : 'database memory not measurable (server not local or data directory not readable)';
    return { url, postmasterPid, note: `fresh database on TEST_DATABASE_URL (${memo})` };
  }
  try {
    return await throwawayCluster();
  } catch (err) {
    return { skipped: `could not start a throwaway PostgreSQL cluster: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function freshDatabase(adminUrl: string): Promise<string> {
  const db = await freshPostgresDatabase(adminUrl, 'tp_bench');
  onCleanup(db.drop);
  return db.url;
}

/**
 * The postmaster of the server at `adminUrl`: `SHOW data_directory`, then the first line of its
 * `postmaster.pid`, when the server is on this machine and the file is readable.
 */
async function postmasterOf(adminUrl: string): Promise<number | undefined> {
  const host = new URL(adminUrl).hostname;
  if (host && !['localhost', '127.0.0.1', '[::1]', '::1'].includes(host)) return undefined;
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: adminUrl });
  try {
    await c.connect();
    const { rows } = await c.query<{ data_directory: string }>('SHOW data_directory');
    const pid = Number(readFileSync(join(rows[0]!.data_directory, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function findPgBin(): string | undefined {
  const candidates = [process.env.PG_BIN, process.env.PG_BINDIR, '/usr/lib/postgresql/15/bin'];
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  return candidates.find((d): d is string => !!d && existsSync(join(d, 'initdb')) && existsSync(join(d, 'postgres')));
}

/** Starts a throwaway PostgreSQL cluster on 127.0.0.1 (as user postgres when we are root). */
async function throwawayCluster(): Promise<PgSource> {
  const bin = findPgBin();
  if (!bin) return { skipped: 'no TEST_DATABASE_URL and no PostgreSQL binaries in /usr/lib/postgresql/*/bin (set PG_BIN)' };
  const asRoot = process.getuid?.() === 0;
  let ids: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      ids = { uid: Number((await execFileP('id', ['-u', 'postgres'])).stdout.trim()), gid: Number((await execFileP('id', ['-g', 'postgres'])).stdout.trim()) };
    } catch {
      return { skipped: 'running as root and there is no postgres user to run the cluster as' };
    }
  }
  const as = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  const dir = mkdtempSync(join(tmpdir(), 'tillpoint-bench-pg-'));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const [initCmd, initArgs] = as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  await execFileP(initCmd, initArgs, { cwd: dir });
  const port = await freePort();
  const [cmd, args] = as(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'max_connections=200',
  ]);
  const child = track(spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }), true);
  const err = outputTail(child.stderr);
  let postmaster: number | undefined;
  onCleanup(async () => {
    // Fast shutdown of the postmaster itself (runuser would not forward a signal cleanly), then wait.
    if (postmaster && isAlive(postmaster)) process.kill(postmaster, 'SIGINT');
    if (!(await waitExit(child, 15_000))) {
      if (postmaster && isAlive(postmaster)) process.kill(postmaster, 'SIGQUIT');
      await stopTree(child);
    }
    if (postmaster) untrackPid(postmaster);
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
  postmaster = await postmasterOf(url);
  if (postmaster) trackPid(postmaster);
  const version = (await execFileP(join(bin, 'postgres'), ['--version'])).stdout.trim();
  return { url: await freshDatabase(url), postmasterPid: postmaster, note: `throwaway cluster on 127.0.0.1:${port} (${version}, default durability settings)` };
}

// ──────────────────────────────────────── bare Express ────────────────────────────────────────

/**
 * Bare Express 5 answering the canned bodies (express.json(), no validation, no database).
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
process.on('disconnect', stop);
process.on('SIGTERM', stop);
`;

/** Starts bare Express answering `canned` (captured from a reference server, or the spec examples). */
export async function startBare(canned: CannedBodies, paymentId: string): Promise<RunningTarget> {
  const started = performance.now();
  const child = track(
    spawn(process.execPath, ['--input-type=module', '-e', BARE_EXPRESS_JS], {
      cwd: ROOT,
      env: { ...process.env, TILLPOINT_BENCH_BODIES: JSON.stringify(canned) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  const output = outputTail(child.stdout, child.stderr);
  const stop = () => stopTree(child);
  try {
    const msg = await new Promise<{ type: 'ready'; url: string } | { type: 'failed'; message: string }>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error('bare Express did not start within 60 s')), 60_000);
      child.once('message', (m: { type: 'ready'; url: string }) => (clearTimeout(timer), ok(m)));
      child.once('exit', (code, signal) => (clearTimeout(timer), fail(new Error(`bare Express exited (${signal ?? code})\n${output()}`))));
    });
    if (msg.type === 'failed') throw new Error(msg.message);
    return { url: msg.url, headers: { 'x-api-key': DEMO.apiKey }, paymentId, memory: { serverPid: child.pid! }, readyMs: performance.now() - started, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Canned bodies from the spec's examples, used when no reference server ran before bare Express. */
export async function specBodies(): Promise<CannedBodies> {
  const { parse } = await import('yaml');
  const spec = parse(readFileSync(SPEC, 'utf8')) as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { examples?: Record<string, { value: unknown }> }> }> }>>;
  };
  const pick = (path: string, method: string) => {
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

// ───────────────────────────────────────────── Prism ─────────────────────────────────────────────

/** Starts `prism mock generated/openapi.yaml -v warn` (as `npm run mock`) on a free port. */
export async function startPrism(paymentId: string): Promise<RunningTarget> {
  const prism = join(ROOT, 'node_modules', '.bin', 'prism');
  if (!existsSync(prism)) throw new Error(`${prism} not found (npm install)`);
  const port = await freePort();
  const started = performance.now();
  const child = track(spawn(prism, ['mock', SPEC, '-p', String(port), '-h', '127.0.0.1', '-v', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const output = outputTail(child.stdout, child.stderr);
  const url = `http://127.0.0.1:${port}`;
  const headers = { 'x-api-key': DEMO.apiKey };
  const stop = () => stopTree(child);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Prism exited (${child.signalCode ?? child.exitCode})\n${output()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prism did not answer on ${url} within 120 s\n${output()}`);
    }
    const ok = await fetch(`${url}/v1/payments/${paymentId}`, { headers, signal: AbortSignal.timeout(2000) }).then(
      () => true,
      () => false,
    );
    if (ok) break;
    await sleep(200);
  }
  return { url, headers, paymentId, memory: { serverPid: child.pid! }, readyMs: performance.now() - started, stop };
}
