/**
 * server/jobs.ts without a database: which jobs a mode runs, what `runAll` (the sandbox clock)
 * awaits or only wakes, that a job never overlaps itself and that a wake during a run is kept.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AppDeps } from '../../server/deps.ts';
import { createJobRunner, type Job } from '../../server/jobs.ts';

const deps = { log: pino({ level: 'silent' }) } as unknown as AppDeps;

/** A job counting its runs; each run waits for `release` when given. */
function counting(name: string, extra: Partial<Job> = {}, release?: () => Promise<void>) {
  const job = {
    name,
    intervalMs: 0,
    runs: 0,
    async run() {
      job.runs++;
      await release?.();
    },
    ...extra,
  };
  return job;
}

describe('createJobRunner', () => {
  it('runAll awaits the jobs that run on demand, skips `skip`, and only wakes scheduled `wake` jobs', async () => {
    const run = counting('a');
    const skip = counting('b', { onRunAll: 'skip' });
    const wake = counting('c', { onRunAll: 'wake' });
    const jobs = createJobRunner(() => deps, [run, skip, wake], 'sandbox');
    await jobs.runAll();
    expect([run.runs, skip.runs, wake.runs]).toEqual([1, 0, 0]);
    jobs.start({ intervalsMs: { c: 60_000 } });
    await jobs.runAll();
    await new Promise((r) => setTimeout(r, 10));
    expect([run.runs, skip.runs, wake.runs]).toEqual([2, 0, 1]);
    await jobs.stop();
  });

  it('leaves out the jobs of another mode and refuses two jobs of one name', () => {
    const jobs = createJobRunner(() => deps, [counting('live-and-sandbox'), counting('sandbox-only', { modes: ['sandbox'] })], 'live');
    expect([...jobs.jobs.keys()]).toEqual(['live-and-sandbox']);
    expect(() => createJobRunner(() => deps, [counting('x'), counting('x')], 'live')).toThrow(/Two jobs are named x/);
  });

  it('a wake during a run gives exactly one more run after it, never two at once', async () => {
    let open = 0;
    let most = 0;
    let finish!: () => void;
    const job = counting('d', {}, async () => {
      open++;
      most = Math.max(most, open);
      await new Promise<void>((resolve) => (finish = resolve));
      open--;
    });
    const jobs = createJobRunner(() => deps, [job], 'sandbox');
    jobs.start({ intervalsMs: { d: 60_000 } });
    jobs.wake('d');
    jobs.wake('d');
    jobs.wake('d');
    await new Promise((r) => setTimeout(r, 5));
    finish();
    await new Promise((r) => setTimeout(r, 5));
    finish();
    await new Promise((r) => setTimeout(r, 5));
    expect(job.runs).toBe(2);
    expect(most).toBe(1);
    await jobs.stop();
  });
});
