/**
 * Coverage: every operation must have a passing positive check (one not applicable because the
 * run was not given a credential, e.g. `--api-secret`, is named in the summary instead), and the share of documented
 * (operation, status) pairs observed at least once during the run must reach the threshold.
 * Unobserved statuses are listed with the reason: a 5xx is not something a healthy target
 * produces on demand; a 429 is only provoked when the target's limit is low enough to reach; any
 * other status was not produced by the requests the suite derives from the spec.
 */
import type { CoverageReport, OperationReport, UncoveredStatus } from '../report.ts';
import type { RunContext } from '../context.ts';
import type { Operation } from '../spec.ts';

/** Computes the coverage of `ops` from what the run observed. */
export function coverageCheck(ctx: RunContext, ops: Operation[], reports: OperationReport[], threshold: number, probeMax: number): CoverageReport {
  const uncovered: UncoveredStatus[] = [];
  let documented = 0;
  let observed = 0;
  let excused = 0;
  let excusedObserved = 0;
  for (const op of ops) {
    const seen = ctx.observed.get(op.id)!.statuses;
    for (const status of op.statuses) {
      documented++;
      const code = Number(status);
      const notProvokable = code >= 500;
      const limit = ctx.rateLimit[op.isPublic ? 'public' : 'secured'];
      const rateLimited = code === 429 && (ctx.mock || limit === undefined || limit > probeMax);
      if (notProvokable || rateLimited) excused++;
      if (seen.has(code)) {
        observed++;
        if (notProvokable || rateLimited) excusedObserved++;
        continue;
      }
      if (notProvokable) uncovered.push({ operationId: op.id, status, reason: 'not-provokable', note: '5xx: a healthy target does not produce them on demand' });
      else if (rateLimited) {
        const why = ctx.mock
          ? 'a stateless mock does not enforce rate limits'
          : limit === undefined
            ? 'no X-RateLimit-Limit header observed'
            : `the target's limit (${limit} per window) is above what the suite spends to reach it (${probeMax})`;
        uncovered.push({ operationId: op.id, status, reason: 'rate-limit', note: `429: ${why}` });
      } else uncovered.push({ operationId: op.id, status, reason: 'not-observed', note: 'never observed: no request derived from the spec provoked it' });
    }
  }
  // A positive check not applicable for lack of a credential (e.g. --api-secret) is reported as such, not as missing.
  const positiveOf = (r: OperationReport) => r.checks.find((c) => c.name === 'positive');
  const withoutPositive = reports.filter((r) => positiveOf(r)?.status !== 'passed' && !positiveOf(r)?.needs).map((r) => r.operationId);
  const lacking = reports.filter((r) => positiveOf(r)?.needs).map((r) => `${r.operationId} (${positiveOf(r)!.summary.split(':')[0]})`);
  const ratio = documented === 0 ? 1 : observed / documented;
  const provokableDocumented = documented - excused;
  const provokableObserved = observed - excusedObserved;
  const provokable = { documented: provokableDocumented, observed: provokableObserved, ratio: provokableDocumented === 0 ? 1 : provokableObserved / provokableDocumented };
  const failures: string[] = [];
  if (withoutPositive.length > 0) failures.push(`${withoutPositive.length} operation(s) without a passing positive check`);
  let status: CoverageReport['status'] = 'passed';
  let summary = `${observed}/${documented} documented statuses observed (${(ratio * 100).toFixed(1)}%, threshold ${(threshold * 100).toFixed(1)}%)`;
  if (lacking.length > 0) summary = `${summary}; not checked positively for lack of a credential: ${lacking.join(', ')}`;
  if (ctx.mock) {
    status = withoutPositive.length > 0 ? 'failed' : 'not_applicable';
    summary = `${summary}; the status threshold does not apply to a stateless mock${failures.length ? `; ${failures.join('; ')}` : ''}`;
  } else {
    if (ratio < threshold) failures.push(`status coverage ${(ratio * 100).toFixed(1)}% is below the threshold ${(threshold * 100).toFixed(1)}%`);
    if (failures.length > 0) {
      status = 'failed';
      summary = `${summary}: ${failures.join('; ')}`;
    }
  }
  return { status, summary, documented, observed, ratio, threshold, provokable, uncovered, withoutPositive };
}
