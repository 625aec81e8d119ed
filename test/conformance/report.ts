/**
 * The conformance report: its data model (what `--json` writes), and its renderings as a
 * terminal table with failure details and as JUnit XML for CI.
 */
import type { Exchange, RecordedRequest } from './http.ts';

/** Outcome of one check of one operation. */
export type CheckStatus = 'passed' | 'failed' | 'not_applicable';

/** The checks run for every operation, in report order. */
export const CHECK_NAMES = [
  'positive',
  'negative',
  'security.unauthenticated',
  'security.bad-credential',
  'security.insufficient-scope',
  'security.cross-merchant',
  'protocol.headers',
  'protocol.idempotency',
  'protocol.pagination',
  'protocol.rate-limit',
] as const;

/** Name of a check. */
export type CheckName = (typeof CHECK_NAMES)[number];

/** Short column titles of the checks in the terminal table. */
const COLUMN: Record<CheckName, string> = {
  positive: 'positive',
  negative: 'negative',
  'security.unauthenticated': 'no-cred',
  'security.bad-credential': 'bad-cred',
  'security.insufficient-scope': 'scope',
  'security.cross-merchant': 'cross-merch',
  'protocol.headers': 'headers',
  'protocol.idempotency': 'idempotency',
  'protocol.pagination': 'pagination',
  'protocol.rate-limit': 'rate-limit',
};

/** A response as shown in the report. */
export interface RecordedResponse {
  /** HTTP status; 0 when nothing came back. */
  status: number;
  headers: Record<string, string>;
  body: string;
  durationMs: number;
  error?: string;
}

/** One way in which the target disagreed with the contract. */
export interface Failure {
  message: string;
  /** What the suite sent (credentials shortened). */
  request?: RecordedRequest;
  /** What the target answered (body truncated). */
  response?: RecordedResponse;
  /** Where the failing schema keyword is in the spec (`#/components/schemas/Payment/properties/amount/type`). */
  schemaPath?: string;
  /** Where in the response body the failure is (JSON Pointer). */
  instancePath?: string;
  /** Fuzz case, e.g. `body /amount out-of-range` (reproducible with the run's seed). */
  case?: string;
}

/** The result of one check of one operation. */
export interface CheckResult {
  name: CheckName;
  status: CheckStatus;
  /** One line: what was checked, or why it does not apply. */
  summary: string;
  /** Requests sent for this check. */
  requests: number;
  /** Number of failures (only the first few are kept in `failures`). */
  failureCount: number;
  failures: Failure[];
}

/** Everything checked for one operation. */
export interface OperationReport {
  operationId: string;
  method: string;
  path: string;
  tags: string[];
  checks: CheckResult[];
  /** Documented status codes and those observed during the run. */
  statuses: { documented: string[]; observed: number[] };
}

/** A documented status never observed. */
export interface UncoveredStatus {
  operationId: string;
  status: string;
  /** `not-provokable`: 5xx; `rate-limit`: 429 with the target's limit out of reach; `not-observed`: anything else. */
  reason: 'not-provokable' | 'rate-limit' | 'not-observed';
  note: string;
}

/** Coverage of documented status codes and of operations by positive checks. */
export interface CoverageReport {
  status: CheckStatus;
  summary: string;
  /** (operation, status) pairs documented, and observed at least once. */
  documented: number;
  observed: number;
  ratio: number;
  threshold: number;
  /** The same ratio over statuses a healthy target can be made to answer (5xx, and 429 out of reach, excluded). */
  provokable: { documented: number; observed: number; ratio: number };
  uncovered: UncoveredStatus[];
  /** Operations without a passing positive check. */
  withoutPositive: string[];
}

/** A full conformance run. */
export interface ConformanceReport {
  tool: 'tillpoint-conformance';
  target: string;
  spec: string;
  seed: number;
  /** Whether the target was treated as a stateless mock, and why. */
  mock: { mock: boolean; how: 'option' | 'detected'; reason: string };
  startedAt: string;
  durationMs: number;
  requests: { total: number; fuzz: number; fuzzBudget: number };
  operations: OperationReport[];
  coverage: CoverageReport;
  summary: { operations: number; checks: number; passed: number; failed: number; notApplicable: number; ok: boolean };
  notes: string[];
}

/** Most failures kept in detail per check (the count is always complete). */
export const MAX_FAILURES_KEPT = 8;
const MAX_BODY = 2000;

/** Accumulates the outcome of one check. */
export class CheckRecorder {
  requests = 0;
  failureCount = 0;
  readonly failures: Failure[] = [];
  private naReason: string | undefined;
  private readonly notes: string[] = [];

  /** @param name the check. @param redact shortens credentials in recorded requests and responses. */
  constructor(
    readonly name: CheckName,
    private readonly redact: (text: string) => string = (t) => t,
  ) {}

  /** Records a failure, with the exchange it is about. */
  fail(message: string, exchange?: Exchange, extra: Omit<Failure, 'message' | 'request' | 'response'> = {}): void {
    this.failureCount++;
    if (this.failures.length >= MAX_FAILURES_KEPT) return;
    this.failures.push({ message, ...(exchange ? recordExchange(exchange, this.redact) : {}), ...extra });
  }

  /** Marks the check as not applicable (unless it already failed). */
  notApplicable(reason: string): void {
    this.naReason ??= reason;
  }

  /** Adds a phrase to the summary line. */
  note(text: string): void {
    this.notes.push(text);
  }

  /** The check's result. */
  result(): CheckResult {
    const status: CheckStatus = this.failureCount > 0 ? 'failed' : this.naReason !== undefined ? 'not_applicable' : 'passed';
    const summary = status === 'not_applicable' ? this.naReason! : this.notes.join('; ');
    return { name: this.name, status, summary, requests: this.requests, failureCount: this.failureCount, failures: this.failures };
  }
}

/** The request and response of an exchange as kept in the report. */
export function recordExchange(exchange: Exchange, redact: (text: string) => string): { request: RecordedRequest; response: RecordedResponse } {
  const req = exchange.request;
  const request: RecordedRequest = {
    method: req.method,
    url: redact(req.url),
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, redact(v)])),
    ...(req.body !== undefined ? { body: truncate(redact(req.body)) } : {}),
  };
  const response: RecordedResponse = {
    status: exchange.status,
    headers: Object.fromEntries(Object.entries(exchange.headers).map(([k, v]) => [k, redact(v)])),
    body: truncate(redact(exchange.text)),
    durationMs: Math.round(exchange.durationMs),
    ...(exchange.error ? { error: exchange.error } : {}),
  };
  return { request, response };
}

function truncate(text: string, max = MAX_BODY): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

// ---------------------------------------------------------------------------------------------
// Terminal rendering
// ---------------------------------------------------------------------------------------------

const MARK: Record<CheckStatus, string> = { passed: 'ok', failed: 'FAIL', not_applicable: 'n/a' };

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The report as text: one row per operation, then failures, uncovered statuses and a summary line. */
export function renderText(report: ConformanceReport, options: { color?: boolean } = {}): string {
  const c = (code: string, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const mark = (s: CheckStatus) => (s === 'passed' ? c('32', MARK[s]) : s === 'failed' ? c('31;1', MARK[s]) : c('2', MARK[s]));
  const lines: string[] = [];
  lines.push(`Tillpoint conformance: ${report.target}`);
  lines.push(`spec ${report.spec} · seed ${report.seed} · ${report.mock.mock ? `stateless mock (${report.mock.reason})` : 'stateful target'}`);
  lines.push('');

  const nameWidth = Math.max(9, ...report.operations.map((o) => o.operationId.length)) + 2;
  const widths = CHECK_NAMES.map((n) => Math.max(COLUMN[n].length, 4) + 2);
  lines.push(pad('operation', nameWidth) + CHECK_NAMES.map((n, i) => pad(COLUMN[n], widths[i]!)).join('') + 'statuses');
  for (const op of report.operations) {
    const cells = CHECK_NAMES.map((n, i) => {
      const check = op.checks.find((x) => x.name === n);
      const text = check ? MARK[check.status] : '';
      return (check ? mark(check.status) : '') + ' '.repeat(Math.max(0, widths[i]! - text.length));
    });
    const observed = op.statuses.documented.filter((s) => op.statuses.observed.includes(Number(s)));
    lines.push(pad(op.operationId, nameWidth) + cells.join('') + `${observed.length}/${op.statuses.documented.length}`);
  }

  const failed = report.operations.flatMap((op) => op.checks.filter((x) => x.status === 'failed').map((x) => ({ op, check: x })));
  if (failed.length > 0) {
    lines.push('', c('31;1', 'Failures'));
    for (const { op, check } of failed) {
      lines.push('', `${c('31;1', 'FAIL')} ${op.operationId} › ${check.name}: ${check.failureCount} failure${check.failureCount === 1 ? '' : 's'}${check.summary ? ` (${check.summary})` : ''}`);
      for (const f of check.failures) lines.push(...renderFailure(f));
      if (check.failureCount > check.failures.length) lines.push(`    … ${check.failureCount - check.failures.length} more (all counted; the JSON report keeps the first ${MAX_FAILURES_KEPT})`);
    }
  }

  const cov = report.coverage;
  if (cov.withoutPositive.length > 0) lines.push('', `Operations without a passing positive check: ${cov.withoutPositive.join(', ')}`);
  if (cov.uncovered.length > 0) {
    lines.push('', `Documented statuses never observed (${cov.uncovered.length}):`);
    const byReason = new Map<string, UncoveredStatus[]>();
    for (const u of cov.uncovered) byReason.set(u.note, [...(byReason.get(u.note) ?? []), u]);
    for (const [note, list] of byReason) {
      lines.push(`  ${note}:`);
      lines.push(...wrap(list.map((u) => `${u.operationId} ${u.status}`).join(', '), 110, '    '));
    }
  }
  const na = report.operations.flatMap((op) => op.checks.filter((x) => x.status === 'not_applicable').map((x) => x.summary));
  if (na.length > 0) {
    lines.push('', 'Not applicable:');
    const counts = new Map<string, number>();
    for (const s of na) counts.set(s, (counts.get(s) ?? 0) + 1);
    for (const [reason, n] of [...counts].sort((a, b) => b[1] - a[1])) lines.push(`  ${n} × ${reason}`);
  }
  if (report.notes.length > 0) lines.push('', 'Notes:', ...report.notes.map((n) => `  - ${n}`));

  const s = report.summary;
  lines.push(
    '',
    `${s.ok ? c('32;1', 'PASS') : c('31;1', 'FAIL')}  ${s.operations} operations · ${s.checks} checks: ${s.passed} passed, ${s.failed} failed, ${s.notApplicable} not applicable · ` +
      `${report.requests.total.toLocaleString('en-US')} requests (${report.requests.fuzz.toLocaleString('en-US')} fuzz) · ` +
      `coverage ${cov.observed}/${cov.documented} statuses (${pct(cov.ratio)}, threshold ${pct(cov.threshold)}; provokable ${pct(cov.provokable.ratio)})` +
      `${cov.status === 'failed' ? ' FAILED' : cov.status === 'not_applicable' ? ' n/a' : ''} · ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

/** Breaks `text` at spaces into lines of at most `width` characters, each indented. */
function wrap(text: string, width: number, indent: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function renderFailure(f: Failure): string[] {
  const out = [`  - ${f.message}`];
  if (f.case) out.push(`      case:     ${f.case}`);
  if (f.schemaPath) out.push(`      schema:   ${f.schemaPath}${f.instancePath !== undefined ? ` at ${f.instancePath || '(root)'}` : ''}`);
  if (f.request) {
    const headers = Object.entries(f.request.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join(' | ');
    out.push(`      request:  ${f.request.method} ${f.request.url}${headers ? `  [${headers}]` : ''}`);
    if (f.request.body !== undefined) out.push(`                ${oneLine(f.request.body)}`);
  }
  if (f.response) {
    out.push(`      response: ${f.response.status === 0 ? f.response.error : `${f.response.status} ${f.response.headers['content-type'] ?? '(no content-type)'}`} (${f.response.durationMs} ms)`);
    if (f.response.body) out.push(`                ${oneLine(f.response.body)}`);
  }
  return out;
}

function oneLine(text: string, max = 400): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

// ---------------------------------------------------------------------------------------------
// JUnit XML
// ---------------------------------------------------------------------------------------------

function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/** The report as JUnit XML: a test suite per operation, a test case per check, plus coverage. */
export function renderJUnit(report: ConformanceReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = report.summary.checks + 1;
  const failures = report.summary.failed + (report.coverage.status === 'failed' ? 1 : 0);
  out.push(
    `<testsuites name="tillpoint-conformance" tests="${total}" failures="${failures}" skipped="${report.summary.notApplicable}" time="${(report.durationMs / 1000).toFixed(3)}">`,
  );
  for (const op of report.operations) {
    const f = op.checks.filter((x) => x.status === 'failed').length;
    const s = op.checks.filter((x) => x.status === 'not_applicable').length;
    out.push(`  <testsuite name="${xml(op.operationId)}" tests="${op.checks.length}" failures="${f}" skipped="${s}">`);
    out.push(`    <properties><property name="method" value="${op.method.toUpperCase()}"/><property name="path" value="${xml(op.path)}"/></properties>`);
    for (const check of op.checks) {
      out.push(`    <testcase classname="${xml(op.operationId)}" name="${xml(check.name)}">`);
      if (check.status === 'failed') {
        const body = check.failures.flatMap(renderFailure).join('\n');
        out.push(`      <failure message="${xml(`${check.failureCount} failure(s): ${check.failures[0]?.message ?? ''}`)}">${xml(body)}</failure>`);
      } else if (check.status === 'not_applicable') {
        out.push(`      <skipped message="${xml(check.summary)}"/>`);
      } else if (check.summary) {
        out.push(`      <system-out>${xml(check.summary)}</system-out>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  const cov = report.coverage;
  out.push(`  <testsuite name="coverage" tests="1" failures="${cov.status === 'failed' ? 1 : 0}" skipped="${cov.status === 'not_applicable' ? 1 : 0}">`);
  out.push('    <testcase classname="coverage" name="statuses and positive checks">');
  const detail = [cov.summary, ...cov.uncovered.map((u) => `${u.operationId} ${u.status}: ${u.note}`)].join('\n');
  if (cov.status === 'failed') out.push(`      <failure message="${xml(cov.summary)}">${xml(detail)}</failure>`);
  else if (cov.status === 'not_applicable') out.push(`      <skipped message="${xml(cov.summary)}"/>`);
  else out.push(`      <system-out>${xml(detail)}</system-out>`);
  out.push('    </testcase>', '  </testsuite>', '</testsuites>');
  return out.join('\n') + '\n';
}
