/**
 * What the benchmark measures and how: the three operations, the load (autocannon, in the
 * orchestrating process so that it is not counted in a target's memory), a probe of each
 * operation before the load, and the peak memory of a target's processes during a measured run.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { DATABASE_COMMANDS, descendantsIn, processTableAsync, pssKb, sleep, type ProcessInfo } from './processes.ts';

// ───────────────────────────────────────── operations ─────────────────────────────────────────

export type OpKey = 'getPayment' | 'createPayment' | 'createCheckoutSession';

/** The card payment every POST payment sends (test card 4242…: succeeds). */
export const PAYMENT_BODY = JSON.stringify({
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

/** One benchmarked operation. */
export interface Operation {
  key: OpKey;
  title: string;
  short: string;
  method: 'GET' | 'POST';
  path(paymentId: string): string;
  body?: string;
}

export const OPERATIONS: Operation[] = [
  { key: 'getPayment', title: 'GET /v1/payments/{paymentId}', short: 'GET payment', method: 'GET', path: (id) => `/v1/payments/${id}` },
  {
    key: 'createPayment',
    title: 'POST /v1/payments (card 4242…, 2500 USD, a fresh Idempotency-Key per request)',
    short: 'POST payment',
    method: 'POST',
    path: () => '/v1/payments',
    body: PAYMENT_BODY,
  },
  {
    key: 'createCheckoutSession',
    title: 'POST /v1/checkout/sessions (2500 USD, a fresh Idempotency-Key per request)',
    short: 'POST checkout session',
    method: 'POST',
    path: () => '/v1/checkout/sessions',
    body: SESSION_BODY,
  },
];

/** A running target as the measurements see it. */
export interface Target {
  url: string;
  /** Sent with every request (the API key). */
  headers: Record<string, string>;
  /** The payment that GET payment reads. */
  paymentId: string;
  /** Whose memory to sample. */
  memory: MemoryScope;
}

// ─────────────────────────────────────────── load ───────────────────────────────────────────

/** The subset of autocannon's API used here (the package ships no types). */
interface CannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: CannonRequest & { headers: Record<string, string> }) => CannonRequest;
}
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface CannonOptions {
  url: string;
  connections: number;
  duration: number;
  headers?: Record<string, string>;
  requests: CannonRequest[];
}
type Autocannon = (opts: CannonOptions, done: (err: Error | null, result: CannonResult) => void) => unknown;

let cannon: Autocannon | undefined;

function cannonRequest(op: Operation, target: Target): CannonRequest {
  const req: CannonRequest = { method: op.method, path: op.path(target.paymentId) };
  if (op.body) {
    req.body = op.body;
    req.headers = { 'content-type': 'application/json' };
    // A fresh Idempotency-Key per request: every request really creates something.
    req.setupRequest = (r) => ({ ...r, headers: { ...r.headers, 'idempotency-key': randomUUID() } });
  }
  return req;
}

async function fire(target: Target, op: Operation, seconds: number, connections: number): Promise<CannonResult> {
  cannon ??= createRequire(import.meta.url)('autocannon') as Autocannon;
  return new Promise((ok, fail) => {
    cannon!({ url: target.url, connections, duration: seconds, headers: target.headers, requests: [cannonRequest(op, target)] }, (err, result) =>
      err ? fail(err) : ok(result),
    );
  });
}

/** A canned response for bare Express: status and JSON body, as the reference server answers. */
export interface Canned {
  status: number;
  body: unknown;
}
export type CannedBodies = Record<OpKey, Canned>;

/**
 * Sends one request of each operation.
 * @returns the responses (bare Express serves those of the reference server) and a line per
 *   operation that did not answer 2xx.
 */
export async function probe(target: Target): Promise<{ canned: CannedBodies; problems: string[] }> {
  const canned = {} as CannedBodies;
  const problems: string[] = [];
  for (const op of OPERATIONS) {
    const headers: Record<string, string> = { ...target.headers };
    if (op.body) (headers['content-type'] = 'application/json'), (headers['idempotency-key'] = randomUUID());
    const res = await fetch(`${target.url}${op.path(target.paymentId)}`, { method: op.method, headers, body: op.body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (!res.ok) problems.push(`${op.short}: ${res.status} ${text.slice(0, 300)}`);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    canned[op.key] = { status: res.status, body };
  }
  return { canned, problems };
}

// ────────────────────────────────────────── memory ──────────────────────────────────────────

/**
 * Whose memory a target's figures include. `serverPid`'s whole process tree is sampled; within it,
 * PostgreSQL processes (and what runs below them) count as database, the rest as server. An
 * external database's postmaster (`databasePid`) adds its own tree as database.
 */
export interface MemoryScope {
  serverPid: number;
  databasePid?: number;
}

/** Peaks over a measured run, in MiB. */
export interface MemoryPeak {
  serverMb: number;
  /** NaN when the target has no database, or its processes could not be found. */
  databaseMb: number;
  /** Peak of server + database sampled at the same instant. */
  totalMb: number;
  /** Peak of the summed proportional set sizes (shared pages split between processes); NaN if unavailable. */
  totalPssMb: number;
  /** Most database processes seen in one sample. */
  databaseProcesses: number;
  /** Most node processes in the server tree in one sample (primary + workers). */
  nodeProcesses: number;
}

interface Split {
  server: ProcessInfo[];
  database: ProcessInfo[];
}

/** The server's and the database's processes, per {@link MemoryScope}. */
export function splitProcesses(scope: MemoryScope, table: ProcessInfo[]): Split {
  const server: ProcessInfo[] = [];
  const database: ProcessInfo[] = [];
  const root = table.find((p) => p.pid === scope.serverPid);
  if (root) {
    // Breadth-first with the database flag inherited: everything below a postgres process is database.
    const isDb = new Map<number, boolean>([[root.pid, false]]);
    server.push(root);
    for (const p of descendantsIn(table, root.pid)) {
      const db = isDb.get(p.ppid) || DATABASE_COMMANDS.has(p.comm);
      isDb.set(p.pid, db);
      (db ? database : server).push(p);
    }
  }
  if (scope.databasePid !== undefined) {
    const postmaster = table.find((p) => p.pid === scope.databasePid);
    if (postmaster) database.push(postmaster, ...descendantsIn(table, postmaster.pid));
  }
  return { server, database };
}

const sumKb = (ps: ProcessInfo[]) => ps.reduce((s, p) => s + p.rssKb, 0);

/**
 * Samples the memory of a target every `intervalMs` until stopped.
 * @returns `stop()`, which resolves to the peaks.
 */
export function sampleMemory(scope: MemoryScope, intervalMs = 250): { stop(): Promise<MemoryPeak> } {
  const peak: MemoryPeak = { serverMb: 0, databaseMb: NaN, totalMb: 0, totalPssMb: NaN, databaseProcesses: 0, nodeProcesses: 0 };
  const max = (a: number, b: number) => (Number.isNaN(a) ? b : Math.max(a, b));
  const once = async () => {
    const { server, database } = splitProcesses(scope, await processTableAsync());
    if (!server.length) return;
    const serverMb = sumKb(server) / 1024;
    peak.serverMb = Math.max(peak.serverMb, serverMb);
    peak.nodeProcesses = Math.max(peak.nodeProcesses, server.filter((p) => p.comm === 'node').length);
    if (database.length) {
      peak.databaseMb = max(peak.databaseMb, sumKb(database) / 1024);
      peak.databaseProcesses = Math.max(peak.databaseProcesses, database.length);
    }
    peak.totalMb = Math.max(peak.totalMb, serverMb + sumKb(database) / 1024);
    const pss = await Promise.all([...server, ...database].map((p) => pssKb(p.pid)));
    // Not readable, or a process exited meanwhile: no PSS figure for this sample.
    if (pss.every((kb) => kb !== undefined)) peak.totalPssMb = max(peak.totalPssMb, pss.reduce((s: number, kb) => s + kb!, 0) / 1024);
  };
  let running = true;
  const loop = (async () => {
    while (running) {
      await once().catch(() => undefined); // a process table that could not be read: skip the sample
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

// ───────────────────────────────────────── measuring ─────────────────────────────────────────

/** The figures of one operation on one target. */
export interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  /** Non-2xx responses plus connection errors and timeouts. */
  bad: number;
  /** e.g. `201×5120 429×3`. */
  statuses: string;
  memory: MemoryPeak;
}

/** Load settings. */
export interface LoadSettings {
  duration: number;
  warmup: number;
  connections: number;
}

const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/**
 * Warms every operation up (unmeasured: express-openapi-validator compiles its validators on
 * first use), then measures each operation for `duration` seconds while sampling memory.
 * @param log receives a progress line per step.
 */
export async function measureTarget(target: Target, settings: LoadSettings, log: (line: string) => void): Promise<Partial<Record<OpKey, Measurement>>> {
  const results: Partial<Record<OpKey, Measurement>> = {};
  log(`  warm-up: ${OPERATIONS.length} × ${settings.warmup} s (unmeasured)`);
  for (const op of OPERATIONS) await fire(target, op, settings.warmup, settings.connections);
  for (const op of OPERATIONS) {
    const sampler = sampleMemory(target.memory);
    let r: CannonResult;
    let memory: MemoryPeak;
    try {
      r = await fire(target, op, settings.duration, settings.connections);
    } finally {
      memory = await sampler.stop();
    }
    const bad = r.non2xx + r.errors + r.timeouts;
    const statuses = [
      ...Object.entries(r.statusCodeStats ?? {}).map(([code, { count }]) => `${code}×${count}`),
      ...(r.errors ? [`errors×${r.errors}`] : []),
      ...(r.timeouts ? [`timeouts×${r.timeouts}`] : []),
    ].join(' ');
    results[op.key] = { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, bad, statuses, memory };
    log(
      `  ${op.short.padEnd(22)} ${fmt(r.requests.average, 1).padStart(8)} req/s  p50 ${fmt(r.latency.p50, 1).padStart(6)} ms  p99 ${fmt(r.latency.p99, 1).padStart(6)} ms  ` +
        `RSS server ${fmt(memory.serverMb, 0)} MB (${memory.nodeProcesses} node), database ${fmt(memory.databaseMb, 0)} MB (${memory.databaseProcesses} proc)  ` +
        `non-2xx/errors ${bad}${bad ? `  ⚠ ${statuses}` : ''}`,
    );
  }
  return results;
}
