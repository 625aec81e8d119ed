/**
 * `npm run bench`: throughput, latency and memory of three operations — GET payment, POST payment
 * (card 4242…, a fresh Idempotency-Key per request) and POST checkout session — on every target,
 * measured in ONE run so that their ratios are comparable:
 *
 *   embedded          the reference server as `npm start` runs it (node --import tsx server/main.ts),
 *                     on its embedded database in a fresh temporary DATA_DIR, 1 worker
 *   embedded-2w       the same with WEB_CONCURRENCY=2
 *   embedded-nolimit  the same (1 worker) with RATE_LIMIT_AUTHENTICATED=0 (limiter off): the cost
 *                     of the shared limiter; the other reference targets run with a limit of
 *                     100000000/min, so the limiter works but never throttles
 *   postgres          the reference server on DATABASE_URL: a fresh database on TEST_DATABASE_URL,
 *                     else on a throwaway PostgreSQL 15 cluster (skipped, with the reason, if none)
 *   bare              bare Express 5 returning the same JSON (no validation, no database)
 *   prism             the Prism mock (-v warn) on generated/openapi.yaml
 *   startup           not a load target: npm start readiness, spawn → first 200 of GET /v1/balance,
 *                     on a fresh DATA_DIR and again on the same one (second start)
 *
 * Each target runs in its own child process on 127.0.0.1; the load generator (autocannon) runs
 * in this process. Every target gets an unmeasured warm-up of every operation first (the
 * validator compiles lazily). Per operation the report gives req/s, the ratio to bare Express and
 * to Prism, p50, p99, non-2xx count, and peak memory of the server process tree and of the
 * database processes, then the issue-8 targets marked met/missed. It reports, it never fails on
 * figures (exit 1 only when a target failed to start or the run broke).
 *
 * Options (flag or environment variable):
 *   --duration=<s>      BENCH_DURATION      seconds per measurement (default 10; --quick: 2)
 *   --connections=<n>   BENCH_CONNECTIONS   concurrent connections (default 50)
 *   --warmup=<s>        BENCH_WARMUP        unmeasured seconds per operation and target (default 2; --quick: 1)
 *   --targets=<list>    BENCH_TARGETS       comma-separated subset of
 *                                           startup,embedded,embedded-2w,embedded-nolimit,postgres,bare,prism
 *   --ready-timeout=<s> BENCH_READY_TIMEOUT seconds a reference server may take to answer 200
 *                                           (default 120; --quick: 60)
 *   --quick             BENCH_QUICK=1       smoke run: 2 s per measurement, 1 s warm-up
 *
 * Also read: TEST_DATABASE_URL (the postgres target's server), PG_BIN (PostgreSQL binaries for
 * the throwaway cluster), BENCH_LOG_LEVEL (LOG_LEVEL of the servers, default silent: set it to
 * debug a server that does not start; its last output is printed on failure). The server
 * variables of this shell (DATABASE_URL, DATA_DIR, PORT, WEB_CONCURRENCY, RATE_LIMIT_*, DEMO_*,
 * DATABASE_POOL_SIZE, …) are NOT passed on: each target sets its own.
 * Run it on an idle machine: compare ratios, not absolute figures.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureTarget, probe, type CannedBodies } from './measure.ts';
import { cleanupAll } from './processes.ts';
import { TARGET_KEYS, TARGET_LABELS, formatReport, type Readiness, type TargetKey, type TargetOutcome } from './report.ts';
import {
  UNTHROTTLED,
  newWorkspace,
  postgresSource,
  startBare,
  startPrism,
  startReference,
  specBodies,
  type ReferenceOptions,
  type RunningTarget,
} from './targets.ts';

const THIS_FILE = fileURLToPath(import.meta.url);
const ALL = ['startup', ...TARGET_KEYS] as const;
type Selectable = (typeof ALL)[number];

interface Settings {
  duration: number;
  connections: number;
  warmup: number;
  readyTimeout: number;
  selected: Selectable[];
}

/** A bad flag or variable: reported without a stack trace. */
class UsageError extends Error {}

function parseSettings(argv: string[]): Settings {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${readFileSync(THIS_FILE, 'utf8').split('*/')[0]!.replace(/^\/\*\*?\n|^ \* ?/gm, '').trimEnd()}\n`);
      process.exit(0);
    }
    const m = /^--(duration|connections|warmup|ready-timeout|targets|quick)(?:=(.*))?$/.exec(arg);
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
  const raw = flags.get('targets') ?? process.env.BENCH_TARGETS;
  const wanted = raw ? raw.split(',').map((t) => t.trim()).filter(Boolean) : [...ALL];
  for (const t of wanted) if (!(ALL as readonly string[]).includes(t)) throw new UsageError(`Unknown target ${t}; choose from ${ALL.join(', ')}`);
  if (!wanted.length) throw new UsageError('--targets is empty');
  return {
    duration: num('duration', 'BENCH_DURATION', quick ? 2 : 10),
    connections: Math.round(num('connections', 'BENCH_CONNECTIONS', 50)),
    warmup: num('warmup', 'BENCH_WARMUP', quick ? 1 : 2),
    readyTimeout: num('ready-timeout', 'BENCH_READY_TIMEOUT', quick ? 60 : 120),
    selected: ALL.filter((t) => wanted.includes(t)),
  };
}

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** npm start readiness: a fresh DATA_DIR, then a second start on the same one. */
async function measureReadiness(readyTimeout: number): Promise<Readiness> {
  log();
  log('▶ npm start readiness (embedded DB, 1 worker)');
  const workspace = newWorkspace();
  const options: ReferenceOptions = { workspace, workers: 1, rateLimitAuthenticated: UNTHROTTLED, createPayment: false, readyTimeout };
  try {
    const first = await startReference(options);
    await first.stop();
    log(`  first start, fresh DATA_DIR: ready in ${seconds(first.readyMs)}`);
    const second = await startReference(options);
    await second.stop();
    log(`  second start, same DATA_DIR: ready in ${seconds(second.readyMs)}`);
    return { firstMs: first.readyMs, secondMs: second.readyMs };
  } catch (err) {
    log(`  FAILED: ${firstLine(err)}`);
    return { failed: firstLine(err) };
  } finally {
    workspace.remove();
  }
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const loadTargets = settings.selected.filter((t): t is TargetKey => t !== 'startup');
  const cpu = cpus();
  log(`Tillpoint benchmark — Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${new Date().toISOString()}`);
  log(`${settings.duration} s per measurement, ${settings.connections} connections, warm-up ${settings.warmup} s per operation; targets: ${settings.selected.join(', ')}`);
  log('load generator (autocannon) in this process; each target in its own child process on 127.0.0.1');

  const readiness = settings.selected.includes('startup') ? await measureReadiness(settings.readyTimeout) : undefined;

  const outcomes = new Map<TargetKey, TargetOutcome>();
  let canned: CannedBodies | undefined;
  let paymentId: string | undefined;

  /** Starts, probes, measures and stops one target. */
  const run = async (key: TargetKey, start: () => Promise<RunningTarget | { skipped: string }>, note: () => string): Promise<void> => {
    log();
    log(`▶ ${TARGET_LABELS[key]}`);
    let target: RunningTarget | undefined;
    try {
      const started = await start();
      if ('skipped' in started) {
        log(`  skipped: ${started.skipped}`);
        outcomes.set(key, { kind: 'skipped', note: started.skipped });
        return;
      }
      target = started;
      log(`  ${target.url} (pid ${target.memory.serverPid}), ready in ${seconds(target.readyMs)}${note() ? `; ${note()}` : ''}`);
      if (target.banner) log(`  server: ${target.banner}`);
      const probed = await probe(target);
      for (const p of probed.problems) log(`  WARNING: probe request failed: ${p}`);
      if (key !== 'bare' && key !== 'prism') {
        canned ??= probed.problems.length ? undefined : probed.canned;
        paymentId ??= target.paymentId;
      }
      const results = await measureTarget(target, settings, log);
      outcomes.set(key, { kind: 'measured', note: note(), readyMs: target.readyMs, results });
    } catch (err) {
      log(`  FAILED: ${err instanceof Error ? err.message : String(err)}`);
      outcomes.set(key, { kind: 'failed', note: firstLine(err) });
    } finally {
      await target?.stop();
    }
  };

  const reference = async (key: TargetKey, workers: number, rateLimitAuthenticated: number, what: string) => {
    const workspace = newWorkspace();
    await run(
      key,
      () => startReference({ workspace, workers, rateLimitAuthenticated, readyTimeout: settings.readyTimeout }),
      () => what,
    );
    workspace.remove(); // the server is stopped: its data directory goes now, not at the end
  };

  for (const key of loadTargets) {
    switch (key) {
      case 'embedded':
        await reference(key, 1, UNTHROTTLED, `embedded DB in a fresh DATA_DIR, WEB_CONCURRENCY=1, RATE_LIMIT_AUTHENTICATED=${UNTHROTTLED}`);
        break;
      case 'embedded-2w':
        await reference(key, 2, UNTHROTTLED, `embedded DB in a fresh DATA_DIR, WEB_CONCURRENCY=2, RATE_LIMIT_AUTHENTICATED=${UNTHROTTLED}`);
        break;
      case 'embedded-nolimit':
        await reference(key, 1, 0, 'embedded DB in a fresh DATA_DIR, WEB_CONCURRENCY=1, RATE_LIMIT_AUTHENTICATED=0 (off)');
        break;
      case 'postgres': {
        let pgNote = '';
        await run(
          key,
          async () => {
            const source = await postgresSource();
            if ('skipped' in source) return source;
            pgNote = source.note;
            return startReference({
              workspace: newWorkspace(),
              workers: 1,
              rateLimitAuthenticated: UNTHROTTLED,
              databaseUrl: source.url,
              databasePid: source.postmasterPid,
              readyTimeout: settings.readyTimeout,
            });
          },
          () => pgNote,
        );
        // Drop the scratch database and stop the cluster now, so that they do not disturb later targets.
        await cleanupAll();
        break;
      }
      case 'bare': {
        let source = 'bodies captured from the reference server';
        await run(
          key,
          async () => {
            if (!canned) (canned = await specBodies()), (source = 'bodies from the spec examples (no reference server answered before it)');
            return startBare(canned, paymentId ?? 'pay_3kTq9ZmX2bW7nR4vL8cY1dPa');
          },
          () => source,
        );
        break;
      }
      case 'prism':
        await run(key, () => startPrism(paymentId ?? 'pay_3kTq9ZmX2bW7nR4vL8cY1dPa'), () => 'prism mock generated/openapi.yaml -v warn');
        break;
    }
  }

  for (const line of formatReport({ duration: settings.duration, connections: settings.connections, targets: loadTargets, outcomes, readiness })) log(line);
  const failed = [...outcomes.values()].some((o) => o.kind === 'failed') || (readiness !== undefined && 'failed' in readiness);
  if (failed) log('At least one target failed to start or crashed (see above).');
  process.exitCode = failed ? 1 : 0;
}

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
