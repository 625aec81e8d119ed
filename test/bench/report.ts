/**
 * The benchmark's report: one table per operation (all targets of the run side by side), the
 * issue-8 targets marked met or missed, the cost of the rate limiter and of a second worker, and
 * the readiness times of `npm start`. It reports; it never fails the run.
 */
import { OPERATIONS, type Measurement, type OpKey } from './measure.ts';

/** Load targets of a run, in the order they are measured. */
export const TARGET_KEYS = ['embedded', 'embedded-2w', 'embedded-nolimit', 'postgres', 'bare', 'prism'] as const;
export type TargetKey = (typeof TARGET_KEYS)[number];

export const TARGET_LABELS: Record<TargetKey, string> = {
  embedded: 'reference · embedded DB · 1 worker',
  'embedded-2w': 'reference · embedded DB · 2 workers',
  'embedded-nolimit': 'reference · embedded DB · limiter off',
  postgres: 'reference · DATABASE_URL · 1 worker',
  bare: 'bare Express 5',
  prism: 'Prism mock',
};

/** What happened to one target. */
export type TargetOutcome =
  | { kind: 'measured'; note: string; readyMs: number; results: Partial<Record<OpKey, Measurement>> }
  | { kind: 'skipped' | 'failed'; note: string };

/** `npm start` readiness: spawn → first 200 of GET /v1/balance. */
export type Readiness = { firstMs: number; secondMs: number } | { failed: string };

/** Everything a report is made of. */
export interface RunResults {
  duration: number;
  connections: number;
  targets: TargetKey[];
  outcomes: Map<TargetKey, TargetOutcome>;
  readiness?: Readiness;
}

const fmt = (n: number | undefined, digits: number) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '–');
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b ? a / b : NaN);
const times = (r: number) => (Number.isFinite(r) ? `${r.toFixed(r < 0.1 ? 3 : 2)}×` : '–');

/** Formats the report as lines. */
export function formatReport(run: RunResults): string[] {
  const out: string[] = [];
  const m = (key: TargetKey, op: OpKey): Measurement | undefined => {
    const o = run.outcomes.get(key);
    return o?.kind === 'measured' ? o.results[op] : undefined;
  };

  // ── one table per operation
  const cols: Array<[string, number]> = [
    ['req/s', 9], ['×bare', 7], ['×Prism', 7], ['p50 ms', 8], ['p99 ms', 8], ['non-2xx', 8], ['srv MB', 8], ['db MB', 7], ['sum MB', 8], ['PSS MB', 8],
  ];
  const labelWidth = 38;
  for (const op of OPERATIONS) {
    out.push('', `${op.title}  —  ${run.duration} s, ${run.connections} connections`);
    out.push(`  ${'target'.padEnd(labelWidth)}${cols.map(([h, w]) => h.padStart(w)).join('')}`);
    const bare = m('bare', op.key)?.rps;
    const prism = m('prism', op.key)?.rps;
    for (const key of run.targets) {
      const o = run.outcomes.get(key);
      if (!o) continue;
      const r = m(key, op.key);
      if (!r) {
        out.push(`  ${TARGET_LABELS[key].padEnd(labelWidth)}  ${o.kind === 'measured' ? 'failed' : o.kind}`);
        continue;
      }
      const cells = [
        fmt(r.rps, 1),
        key === 'bare' ? '' : times(ratio(r.rps, bare)),
        key === 'prism' ? '' : times(ratio(r.rps, prism)),
        fmt(r.p50, 1),
        fmt(r.p99, 1),
        String(r.bad),
        fmt(r.memory.serverMb, 0),
        fmt(r.memory.databaseMb, 0),
        fmt(r.memory.totalMb, 0),
        fmt(r.memory.totalPssMb, 0),
      ];
      out.push(`  ${TARGET_LABELS[key].padEnd(labelWidth)}${cells.map((c, i) => c.padStart(cols[i]![1])).join('')}${r.bad ? `  ⚠ ${r.statuses}` : ''}`);
    }
  }
  out.push(
    '',
    'Memory: peak during the measured run, sampled every 250 ms. srv = RSS of the server process tree (primary and workers),',
    'db = RSS of the PostgreSQL processes (embedded: those below the server; DATABASE_URL: the postmaster and its children),',
    'sum = their peak at one instant; RSS counts shared memory (shared_buffers) once per process, PSS splits it (closer to the truth).',
    'non-2xx includes connection errors and timeouts. ×bare / ×Prism: req/s relative to that target for the same operation.',
  );

  // ── issue 8 targets
  out.push('', 'Issue 8 targets (reference server on its embedded database, 1 worker; the bench reports, it does not fail):');
  const prismOf = (op: OpKey) => m('prism', op)?.rps;
  const bareOf = (op: OpKey) => m('bare', op)?.rps;
  const mark = (ok: boolean | undefined) => (ok === undefined ? 'not evaluated' : ok ? 'met' : 'MISSED');
  const checks = (key: TargetKey): string[] => {
    const get = m(key, 'getPayment');
    const post = m(key, 'createPayment');
    const lines: string[] = [];
    if (get) {
      const vsPrism = ratio(get.rps, prismOf('getPayment'));
      const vsBare = ratio(get.rps, bareOf('getPayment'));
      const ok = Number.isFinite(vsPrism) && Number.isFinite(vsBare) ? vsPrism >= 1 && vsBare >= 0.25 && get.p99 <= 50 : undefined;
      lines.push(`GET payment ≥ 1.0× Prism, ≥ 0.25× bare, p99 ≤ 50 ms: ${times(vsPrism)} Prism, ${times(vsBare)} bare, p99 ${fmt(get.p99, 1)} ms — ${mark(ok)}${ok === undefined ? ' (needs prism and bare)' : ''}`);
    } else lines.push('GET payment ≥ 1.0× Prism, ≥ 0.25× bare, p99 ≤ 50 ms: not measured');
    if (post) {
      const vsPrism = ratio(post.rps, prismOf('createPayment'));
      const ok = Number.isFinite(vsPrism) ? vsPrism >= 0.5 && post.p99 <= 100 && post.bad === 0 : undefined;
      lines.push(`POST payment ≥ 0.5× Prism, p99 ≤ 100 ms, all 2xx: ${times(vsPrism)} Prism, p99 ${fmt(post.p99, 1)} ms, ${post.bad} non-2xx — ${mark(ok)}${ok === undefined ? ' (needs prism)' : ''}`);
    } else lines.push('POST payment ≥ 0.5× Prism, p99 ≤ 100 ms, all 2xx: not measured');
    const measured = OPERATIONS.map((op) => m(key, op.key)).filter((r): r is Measurement => !!r);
    if (measured.length) {
      const total = Math.max(...measured.map((r) => r.memory.totalMb));
      const pss = Math.max(...measured.map((r) => r.memory.totalPssMb).filter(Number.isFinite));
      const dbSeen = measured.some((r) => Number.isFinite(r.memory.databaseMb));
      lines.push(
        `peak RSS server + database ≤ 400 MB: ${fmt(total, 0)} MB${Number.isFinite(pss) ? ` (PSS ${fmt(pss, 0)} MB)` : ''}${dbSeen ? '' : ' — no database process found, server only'} — ${mark(dbSeen || key === 'bare' || key === 'prism' ? total <= 400 : undefined)}`,
      );
    }
    return lines;
  };
  if (m('embedded', 'getPayment') || m('embedded', 'createPayment')) for (const line of checks('embedded')) out.push(`  ${line}`);
  else out.push(`  not evaluated: ${run.outcomes.get('embedded')?.note.split('\n')[0] ?? 'the embedded target was not selected'}`);
  for (const key of ['embedded-2w', 'embedded-nolimit', 'postgres'] as const) {
    if (!run.outcomes.has(key) || run.outcomes.get(key)!.kind !== 'measured') continue;
    out.push(`  for comparison, ${TARGET_LABELS[key]}:`);
    for (const line of checks(key)) out.push(`    ${line}`);
  }

  // ── what the limiter and a second worker cost or bring
  const relative = (key: TargetKey, what: string) => {
    const parts = OPERATIONS.map((op) => {
      const r = ratio(m(key, op.key)?.rps, m('embedded', op.key)?.rps);
      return Number.isFinite(r) ? `${op.short} ${times(r)}` : undefined;
    }).filter(Boolean);
    if (parts.length) out.push(`  ${what}: ${parts.join(', ')}`);
  };
  const before = out.length;
  relative('embedded-nolimit', 'limiter off vs on (req/s; > 1× = what the shared limiter costs)');
  relative('embedded-2w', 'WEB_CONCURRENCY=2 vs 1 (req/s)');
  relative('postgres', 'DATABASE_URL vs embedded (req/s)');
  if (out.length > before) out.splice(before, 0, '', 'Relative to the embedded 1-worker target, same run:');

  // ── readiness
  out.push('');
  const rd = run.readiness;
  if (!rd) out.push('npm start readiness: not measured (target "startup" not selected)');
  else if ('failed' in rd) out.push(`npm start readiness: FAILED — ${rd.failed.split('\n')[0]}`);
  else
    out.push(
      `npm start readiness (spawn → first 200 of GET /v1/balance, embedded DB, 1 worker): first start on a fresh DATA_DIR ${fmt(rd.firstMs / 1000, 2)} s, second start on the same DATA_DIR ${fmt(rd.secondMs / 1000, 2)} s`,
    );

  // ── warnings and skipped targets
  const warnings: string[] = [];
  for (const key of run.targets) {
    const o = run.outcomes.get(key);
    if (!o) continue;
    if (o.kind !== 'measured') warnings.push(`${TARGET_LABELS[key]}: ${o.kind} — ${o.note.split('\n')[0]}`);
    else for (const op of OPERATIONS) if (o.results[op.key]?.bad) warnings.push(`${TARGET_LABELS[key]} / ${op.short}: non-2xx or failed responses (${o.results[op.key]!.statuses}); that figure measures errors`);
  }
  // Signs that the server under test is not the one the targets describe.
  const peaks = (key: TargetKey) => OPERATIONS.map((op) => m(key, op.key)?.memory).filter((x) => x !== undefined);
  for (const key of ['embedded', 'embedded-2w', 'embedded-nolimit'] as const) {
    const p = peaks(key);
    if (p.length && p.every((x) => x.databaseProcesses === 0)) warnings.push(`${TARGET_LABELS[key]}: no PostgreSQL process below the server (an in-process database?): db MB not measured`);
  }
  const w2 = peaks('embedded-2w');
  if (w2.length && Math.max(...w2.map((x) => x.nodeProcesses)) < 3) {
    warnings.push(`${TARGET_LABELS['embedded-2w']}: at most ${Math.max(...w2.map((x) => x.nodeProcesses))} node process(es) seen, not primary + 2 workers: WEB_CONCURRENCY seems ignored`);
  }
  out.push('');
  if (warnings.length) {
    out.push('Warnings:');
    for (const w of warnings) out.push(`  ${w}`);
  } else out.push('All measured runs: every response 2xx, no connection errors.');
  return out;
}
