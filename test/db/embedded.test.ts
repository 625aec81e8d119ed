/**
 * `npm start` on its embedded PostgreSQL cluster, as a user runs it: a real child process
 * (`node --import tsx server/main.ts`) on a temp `DATA_DIR`.
 *
 * - the banner names the embedded database and the server answers with the printed key;
 * - a second server on the same directory is refused with a clear message;
 * - `kill -9` under write load, of the server alone (its PostgreSQL left running, an orphan) and of
 *   the server with its PostgreSQL (crash recovery from the WAL), followed by a new start: every
 *   payment whose 201 was received is still there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/prism.ts';
import { cardPayment } from '../support/server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const API_KEY = 'sk_test_EmbeddedDurabilityTest0000000001';
const API_SECRET = 'ss_test_EmbeddedDurabilityTest0000000001';

interface Started {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      await new Promise((done) => child.once('exit', done));
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tillpoint-embedded-'));
  dirs.push(dir);
  return dir;
}

/** Spawns `npm start`'s entry point in its own process group (so a test can kill the group). */
function spawnServer(dir: string, port: number, env: Record<string, string> = {}): Started {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATA_DIR: dir,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DEMO_API_KEY: API_KEY,
      DEMO_API_SECRET: API_SECRET,
      RATE_LIMIT_AUTHENTICATED: '1000000',
      DATABASE_URL: '',
      ...env,
    },
  });
  children.push(child);
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Waits until the banner is printed (the server is ready), or the process exits. */
async function ready(started: Started, deadlineMs = 60_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (started.output().includes('API key')) return;
    if (started.child.exitCode !== null) throw new Error(`server exited with ${started.child.exitCode}:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server not ready within ${deadlineMs} ms:\n${started.output()}`);
}

const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

/**
 * Sends payments on `lanes` parallel connections until stopped; returns the ids of those whose
 * 201 was received. Requests cut off by the crash are not acknowledged and not counted.
 */
function writeLoad(url: string, lanes = 4) {
  const acknowledged: string[] = [];
  let running = true;
  const lane = async () => {
    while (running) {
      try {
        const response = await fetch(`${url}/v1/payments`, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': randomUUID() },
          body: JSON.stringify(cardPayment(1000 + (acknowledged.length % 500))),
        });
        if (response.status === 201) acknowledged.push(((await response.json()) as { id: string }).id);
      } catch {
        return; // the server is gone
      }
    }
  };
  const done = Promise.all(Array.from({ length: lanes }, lane));
  return {
    acknowledged,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** Every payment id of the merchant, following the cursor. */
async function allPaymentIds(url: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
    const response = await fetch(`${url}/v1/payments${query}`, { headers });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { data: { id: string }[]; nextCursor: string | null };
    for (const p of page.data) ids.add(p.id);
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

/** fsync, synchronous_commit and full_page_writes of the running cluster of `dir` (port from postmaster.pid). */
async function durabilitySettings(dir: string): Promise<Record<string, string>> {
  const port = readFileSync(join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[3]!.trim();
  const password = readFileSync(join(dir, 'postgres.password'), 'utf8').trim();
  const client = new pg.Client({ host: '127.0.0.1', port: Number(port), user: 'postgres', password, database: 'tillpoint' });
  await client.connect();
  try {
    const out: Record<string, string> = {};
    for (const name of ['fsync', 'synchronous_commit', 'full_page_writes']) out[name] = (await client.query(`SHOW ${name}`)).rows[0][name];
    return out;
  } finally {
    await client.end();
  }
}

describe('npm start on the embedded PostgreSQL cluster', () => {
  it('initialises a cluster, prints the embedded database, and answers with the printed key', async () => {
    const dir = dataDir();
    const server = spawnServer(dir, await freePort());
    await ready(server);
    expect(server.output()).toMatch(/on embedded PostgreSQL at .*postgres \(new cluster\)/);
    expect(existsSync(join(dir, 'postgres', 'PG_VERSION'))).toBe(true);
    const balance = await fetch(`${server.url}/v1/balance`, { headers });
    expect(balance.status).toBe(200);

    const second = spawnServer(dir, await freePort());
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/data directory .* is in use by another Tillpoint server \(process \d+\)/);
    // The first server is unharmed.
    expect((await fetch(`${server.url}/v1/balance`, { headers })).status).toBe(200);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(existsSync(join(dir, 'server.pid'))).toBe(false);
  });

  it('WEB_CONCURRENCY=2 runs two workers on one port and one database; SIGTERM stops them and PostgreSQL', async () => {
    const dir = dataDir();
    const server = spawnServer(dir, await freePort(), { WEB_CONCURRENCY: '2' });
    await ready(server);
    expect(server.output()).toMatch(/on embedded PostgreSQL at .*, 2 workers/);
    const children = readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const commands = children.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    expect(commands.filter((c) => c.includes('server/main.ts'))).toHaveLength(2);
    expect(commands.filter((c) => c.includes('postgres'))).toHaveLength(1);
    // Both workers answer on the one port (a payment written through one is read through any).
    const created = await fetch(`${server.url}/v1/payments`, { method: 'POST', headers, body: JSON.stringify(cardPayment(1234)) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    for (let i = 0; i < 10; i++) expect((await fetch(`${server.url}/v1/payments/${id}`, { headers })).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    for (const pid of children) expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
    expect(existsSync(join(dir, 'server.pid'))).toBe(false);
  });

  for (const [what, signalGroup] of [
    ['the server alone (PostgreSQL left running)', false],
    ['the server and its PostgreSQL', true],
  ] as const) {
    it(`kill -9 of ${what} under write load loses no acknowledged payment`, async () => {
      const dir = dataDir();
      const port = await freePort();
      const first = spawnServer(dir, port);
      await ready(first);
      const load = writeLoad(first.url);
      while (load.acknowledged.length < 60) await new Promise((r) => setTimeout(r, 20));
      if (signalGroup) process.kill(-first.child.pid!, 'SIGKILL');
      else first.child.kill('SIGKILL');
      await first.exited;
      await load.stop();
      const acknowledged = [...load.acknowledged];
      expect(acknowledged.length).toBeGreaterThanOrEqual(60);

      const second = spawnServer(dir, port);
      await ready(second);
      expect(second.output()).not.toContain('(new cluster)');
      // The cluster of npm start is durable: a kill -9 keeps the OS page cache, so the count
      // alone would pass with fsync off; these settings are what survive a power cut.
      expect(await durabilitySettings(dir)).toEqual({ fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' });
      const stored = await allPaymentIds(second.url);
      const lost = acknowledged.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    });
  }
});
