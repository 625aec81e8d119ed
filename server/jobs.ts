/**
 * The timed work of the server: checkout-session expiries, payment settlements, the idempotency
 * purge, webhook delivery rounds (next: escrow releases, payouts). Families register jobs in
 * their module (`jobs`); `startServer` schedules them; the sandbox clock asks them to run now
 * (`runAll`). Every job is safe to run concurrently on several instances: claims and state
 * changes are decided in the database.
 */
import type { AppConfig, AppDeps, JobRunner } from './deps.ts';

/** One kind of timed work, registered by a family. */
export interface Job {
  /** Unique name, e.g. `payments.settlements`; also the key of interval overrides. */
  name: string;
  /** Milliseconds between runs by default (overridable per job in {@link JobOptions}). */
  intervalMs: number;
  /**
   * What {@link JobRunner.runAll} (a sandbox clock advance) does: `run` awaits one run even when
   * the job is not scheduled (default); `wake` only nudges a scheduled job (webhook deliveries,
   * which tests drive by hand); `skip` leaves it alone.
   */
  onRunAll?: 'run' | 'wake' | 'skip';
  /** Server modes the job is scheduled in; default both. A sandbox-only job never runs live. */
  modes?: readonly AppConfig['mode'][];
  /**
   * One run on the current server clock.
   * @param signal Aborted at shutdown: a long run (a delivery round) stops early.
   */
  run(deps: AppDeps, signal: AbortSignal): Promise<unknown>;
}

/** How {@link ScheduledJobs.start} schedules the jobs. */
export interface JobOptions {
  /**
   * Milliseconds between runs by job name, overriding `intervalMs`; 0 disables the schedule (the
   * job still runs on `runAll` unless it only wakes).
   */
  intervalsMs?: Readonly<Record<string, number>>;
}

/** A job runner that can also be started and stopped (by `startServer`). */
export interface ScheduledJobs extends JobRunner {
  /** The jobs of this server's mode, by name. */
  readonly jobs: ReadonlyMap<string, Job>;
  /** Starts the timers of every job whose interval is positive. */
  start(options?: JobOptions): void;
  /** Stops the timers, aborts runs in flight and resolves once they have ended. */
  stop(): Promise<void>;
}

/**
 * Builds the runner of `jobs` for `deps` (`deps` is read on each run, so it may be completed
 * after this call). A tick that finds its job still running asks for one more run right after
 * it, so a wake is never lost and a job never overlaps itself in one process.
 * @throws Error when two jobs share a name.
 */
export function createJobRunner(deps: () => AppDeps, jobs: readonly Job[], mode: AppConfig['mode']): ScheduledJobs {
  const byName = new Map<string, Job>();
  for (const job of jobs) {
    if (byName.has(job.name)) throw new Error(`Two jobs are named ${job.name}`);
    if (!job.modes || job.modes.includes(mode)) byName.set(job.name, job);
  }
  const shutdown = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const scheduled = new Set<string>();
  const current = new Map<string, Promise<void>>();
  const again = new Set<string>();

  /** Runs the job now, or once more right after its current run; resolves when that run ended. */
  const trigger = (job: Job): Promise<void> => {
    const running = current.get(job.name);
    if (running) {
      again.add(job.name);
      return running;
    }
    const loop = async () => {
      do {
        again.delete(job.name);
        await job.run(deps(), shutdown.signal);
      } while (again.has(job.name) && !shutdown.signal.aborted);
    };
    const run = loop()
      .catch((err) => deps().log.error({ err, job: job.name }, 'job failed'))
      .finally(() => current.delete(job.name));
    current.set(job.name, run);
    return run;
  };

  return {
    jobs: byName,
    start(options = {}) {
      for (const job of byName.values()) {
        const ms = options.intervalsMs?.[job.name] ?? job.intervalMs;
        if (ms <= 0) continue;
        scheduled.add(job.name);
        const timer = setInterval(() => {
          if (!shutdown.signal.aborted) void trigger(job);
        }, ms);
        timer.unref();
        timers.push(timer);
      }
    },
    async runAll(db) {
      const runs: Promise<unknown>[] = [];
      const current = deps();
      // On the caller's executor (its transaction, when the request is idempotent), beside any
      // scheduled run: jobs are safe to run concurrently, and waiting for a scheduled run on the
      // pool from inside a transaction could wait forever on a single-connection database.
      const on = db ? { ...current, db: db as AppDeps['db'] } : current;
      for (const job of byName.values()) {
        const how = job.onRunAll ?? 'run';
        // On a transaction the jobs run one after another: a transaction is one connection, and
        // concurrent queries on one node-postgres client are deprecated (an error in pg 9).
        if (how === 'run') {
          if (db) await job.run(on, shutdown.signal);
          else runs.push(job.run(on, shutdown.signal));
        } else if (how === 'wake' && scheduled.has(job.name)) void trigger(job);
      }
      await Promise.all(runs);
    },
    wake(name) {
      const job = byName.get(name);
      if (job && scheduled.has(name) && !shutdown.signal.aborted) void trigger(job);
    },
    async stop() {
      for (const timer of timers) clearInterval(timer);
      shutdown.abort();
      await Promise.all(current.values());
    },
  };
}
