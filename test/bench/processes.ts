/**
 * Process bookkeeping for the benchmark: every process it starts is tracked and stopped at the
 * end (whatever happens), process trees are listed from /proc (or `ps` elsewhere) to stop
 * orphans and to measure memory, and small helpers (free port, output tail, sleep).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';

/** Executables that belong to a PostgreSQL server (the postmaster, its backends, its tools). */
export const DATABASE_COMMANDS = new Set(['postgres', 'postmaster', 'initdb', 'pg_ctl']);

const children = new Set<ChildProcess>();
const lateChildren = new WeakSet<ChildProcess>(); // stopped after the cleanups (a database server)
const strayPids = new Set<number>(); // started by us (or by our children) without a handle
const cleanups: Array<() => Promise<void>> = [];

/**
 * Registers a child process so that {@link cleanupAll} and the exit hook stop it. A `late` child
 * (a database server) is stopped after the cleanups, which may still need it.
 */
export function track(child: ChildProcess, late = false): ChildProcess {
  children.add(child);
  if (late) lateChildren.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Registers a process without a handle (an orphaned database server) for the exit hook. */
export function trackPid(pid: number): void {
  strayPids.add(pid);
}

/** Forgets a pid registered with {@link trackPid} (it was stopped properly). */
export function untrackPid(pid: number): void {
  strayPids.delete(pid);
}

/** Registers a cleanup (dropping a database, removing a directory); they run newest first. */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/**
 * Stops every tracked child (servers first: they may hold database connections), then runs the
 * registered cleanups (newest first), then stops the late children and stray processes.
 */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...children].filter((c) => !lateChildren.has(c)).map((c) => stopTree(c)));
  while (cleanups.length) await cleanups.pop()!().catch((err) => process.stderr.write(`cleanup: ${String(err)}\n`));
  await Promise.all([...children].map((c) => stopTree(c)));
  for (const pid of [...strayPids]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/** Last resort on exit: nothing we started may outlive us. */
process.on('exit', () => {
  for (const child of children) {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      for (const pid of descendants(child.pid)) kill(pid, 'SIGKILL');
      kill(child.pid, 'SIGKILL');
    }
  }
  for (const pid of strayPids) kill(pid, 'SIGKILL');
});

/** True while a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: kill(0) said it exists
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Resolves true when the child has exited, false after `ms`. */
export async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((ok) => {
    const t = setTimeout(() => ok(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      ok(true);
    });
  });
}

async function waitGone(pids: number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/**
 * Stops a child and every process below it (cluster workers, an embedded PostgreSQL): a polite
 * request (default SIGTERM to the child, which should shut its database down), then SIGTERM to
 * whatever is left of the tree as it was before the request, then SIGKILL.
 */
export async function stopTree(child: ChildProcess, polite?: () => void, graceMs = 20_000): Promise<void> {
  if (!child.pid) return;
  const below = descendants(child.pid);
  if (child.exitCode === null && child.signalCode === null) {
    polite ? polite() : child.kill('SIGTERM');
    if (!(await waitExit(child, graceMs))) child.kill('SIGKILL');
    await waitExit(child, 2000);
  }
  // Orphans (a database the server did not stop, workers): SIGTERM is a smart shutdown for a
  // postmaster with no clients left; SIGKILL if that is not enough.
  const left = below.filter(isAlive);
  if (!left.length) return;
  if (await waitGone(left, 3000)) return;
  for (const pid of left) kill(pid, 'SIGTERM');
  if (await waitGone(left, 5000)) return;
  for (const pid of left.filter(isAlive)) kill(pid, 'SIGKILL');
  await waitGone(left, 2000);
}

// ─────────────────────────────────────── process table ───────────────────────────────────────

/** One row of the process table. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Executable name (Linux `comm`, at most 15 characters). */
  comm: string;
  /** Resident set size in KiB. */
  rssKb: number;
}

let pageKb: number | undefined;

/** A row from the text of /proc/<pid>/stat. */
function parseStat(pid: number, stat: string): ProcessInfo {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const rest = stat.slice(close + 2).split(' ');
  // rest[0] = state (field 3), rest[1] = ppid (4), rest[21] = rss in pages (24)
  pageKb ??= pageSizeKb();
  return { pid, ppid: Number(rest[1]), comm: stat.slice(open + 1, close), rssKb: Number(rest[21]) * pageKb };
}

const numeric = (entries: string[]) => entries.filter((e) => /^\d+$/.test(e)).map(Number);

/** The current process table: /proc on Linux, `ps` elsewhere. Synchronous (for exit hooks). */
export function processTable(): ProcessInfo[] {
  let pids: number[];
  try {
    pids = numeric(readdirSync('/proc'));
  } catch {
    return psTable();
  }
  const rows: ProcessInfo[] = [];
  for (const pid of pids) {
    try {
      rows.push(parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8')));
    } catch {
      // exited meanwhile
    }
  }
  return rows;
}

/**
 * The current process table, read without blocking the event loop (the load generator shares
 * it while memory is sampled).
 */
export async function processTableAsync(): Promise<ProcessInfo[]> {
  let pids: number[];
  try {
    pids = numeric(await readdir('/proc'));
  } catch {
    return psTable();
  }
  const rows = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').then((stat) => parseStat(pid, stat), () => undefined)));
  return rows.filter((r): r is ProcessInfo => !!r);
}

function pageSizeKb(): number {
  try {
    return Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) / 1024 || 4;
  } catch {
    return 4;
  }
}

function psTable(): ProcessInfo[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,rss=,comm='], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), rssKb: Number(m[3]), comm: m[4]!.trim().split('/').pop()! }));
}

/** Pids of every process below `root` (not including it), from a table. */
export function descendantsIn(table: ProcessInfo[], root: number): ProcessInfo[] {
  const byParent = new Map<number, ProcessInfo[]>();
  for (const p of table) {
    const siblings = byParent.get(p.ppid);
    if (siblings) siblings.push(p);
    else byParent.set(p.ppid, [p]);
  }
  const out: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length) {
    for (const p of byParent.get(queue.shift()!) ?? []) {
      out.push(p);
      queue.push(p.pid);
    }
  }
  return out;
}

/** Pids of every process below `root`, now. */
export function descendants(root: number): number[] {
  try {
    return descendantsIn(processTable(), root).map((p) => p.pid);
  } catch {
    return [];
  }
}

/** Proportional set size of a process in KiB (Linux `smaps_rollup`), or undefined. */
export async function pssKb(pid: number): Promise<number | undefined> {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ─────────────────────────────────────────── helpers ───────────────────────────────────────────

/** A port nobody listens on right now on 127.0.0.1 (another process may still take it). */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
  });
}

/** Keeps the last few KB a process printed on its streams, for error messages. */
export function outputTail(...streams: Array<NodeJS.ReadableStream | null>): () => string {
  let buf = '';
  for (const stream of streams) {
    stream?.on('data', (chunk: Buffer) => {
      buf = (buf + chunk.toString()).slice(-6000);
    });
  }
  return () => buf.trim();
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));
