/**
 * Runs the conformance suite against a base URL and returns the report. Order of a run:
 *
 * 1. setup: merchants (from the credential-issuing operation, or the options), mock detection;
 * 2. positive checks, creating operations first, reads and lists next, actions on objects last;
 * 3. security checks (no credential, forged credentials, another merchant's objects, the scopes
 *    of client tokens);
 * 4. idempotency and pagination;
 * 5. schema-driven fuzzing with the request budget;
 * 6. operations that change the caller's account (e.g. key rotation), on dedicated merchants;
 * 7. the rate-limit probe (it throttles the client), then protocol headers and coverage.
 */
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { coverageCheck } from './checks/coverage.ts';
import { allocate, breaksSchema, planFuzz, runFuzz, type FuzzPlan } from './checks/negative.ts';
import { positiveCheck } from './checks/positive.ts';
import { headersCheck, idempotencyCheck, paginationCheck, rateLimitChecks } from './checks/protocol.ts';
import { scopeChecks } from './checks/scopes.ts';
import { badCredentialCheck, crossMerchantCheck, unauthenticatedCheck } from './checks/security.ts';
import { DEFAULT_COVERAGE_THRESHOLD, RunContext, type ConformanceOptions, type Merchant } from './context.ts';
import { HttpClient } from './http.ts';
import { CHECK_NAMES, CheckRecorder, type CheckName, type CheckResult, type ConformanceReport, type OperationReport } from './report.ts';
import { DEFAULT_SPEC_PATH, loadConformanceSpec, normalizeName, resolveSchema, type ConformanceSpec, type Operation } from './spec.ts';

export type { ConformanceOptions } from './context.ts';
export { DEFAULT_COVERAGE_THRESHOLD } from './context.ts';

/** Default fuzz budget (requests). */
export const DEFAULT_REQUESTS = 10_000;

/** The operations a run checks: all, or those matching `--operation` / `--tag`. */
export function selectOperations(spec: ConformanceSpec, options: Pick<ConformanceOptions, 'operations' | 'tags'>): Operation[] {
  const ids = options.operations?.length ? new Set(options.operations) : undefined;
  const tags = options.tags?.length ? new Set(options.tags) : undefined;
  if (ids) {
    const unknown = [...ids].filter((id) => !spec.operations.some((o) => o.id === id));
    if (unknown.length > 0) throw new Error(`Unknown operationId(s): ${unknown.join(', ')}. The spec has: ${spec.operations.map((o) => o.id).join(', ')}`);
  }
  const selected = spec.operations.filter((o) => (!ids || ids.has(o.id)) && (!tags || o.tags.some((t) => tags.has(t))));
  if (selected.length === 0) throw new Error('No operation matches the --operation/--tag filters');
  return selected;
}

/** Positive-check order: what creates objects first, then what reads them, then what changes them. */
function positiveOrder(op: Operation): number {
  const pathParams = op.parameters.some((p) => p.in === 'path');
  if (op.issuesCredentials) return 0;
  if (op.role === 'create' && !pathParams) return 1;
  if (op.role === 'other') return 2;
  if ((op.role === 'list' || op.role === 'read') && !pathParams) return 3;
  if (op.role === 'create') return 4;
  if (op.role === 'read' || op.role === 'list') return 5;
  return 6;
}

function notRun(name: CheckName, reason: string): CheckResult {
  return { name, status: 'not_applicable', summary: reason, requests: 0, failureCount: 0, failures: [] };
}

/** Runs `tasks` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

/**
 * Runs the suite against `options.baseUrl` and returns the report (it never throws for a
 * non-conforming target; it throws when the run cannot start, e.g. no credentials).
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const started = Date.now();
  const specPath = resolve(options.specPath ?? DEFAULT_SPEC_PATH);
  const spec = loadConformanceSpec(specPath);
  let selected = selectOperations(spec, options);
  const seed = options.seed ?? randomInt(1, 2 ** 31 - 1);
  const budget = options.requests ?? DEFAULT_REQUESTS;
  const threshold = options.coverageThreshold ?? DEFAULT_COVERAGE_THRESHOLD;
  const probeMax = options.rateLimitProbeMax ?? 1000;
  const notes: string[] = [];
  let ctx: RunContext | undefined;
  const http = new HttpClient({ baseUrl: options.baseUrl, timeoutMs: options.timeoutMs ?? 10_000, onExchange: (ex) => ctx?.observe(ex) });
  ctx = new RunContext(spec, http, options);
  const c = ctx;
  const progress = (phase: string, done: number, total: number, operationId?: string) =>
    options.onProgress?.({ phase, done, total, requests: http.sent, ...(operationId ? { operationId } : {}) });
  const results = new Map<string, Map<CheckName, CheckResult>>(selected.map((op) => [op.id, new Map()]));
  const put = (op: Operation, r: CheckResult) => results.get(op.id)!.set(r.name, r);

  // ---- setup: credentials and mock detection ------------------------------------------------
  progress('setup', 0, 1);
  c.credentialOp = spec.operations.find((o) => o.issuesCredentials);
  let secretField: string | undefined;
  let clientIdField: string | undefined;
  if (c.credentialOp?.success?.media.schema) {
    const props = Object.keys((resolveSchema(spec.doc, c.credentialOp.success.media.schema).properties as object) ?? {});
    const keyNames = new Set(Object.values(spec.securitySchemes).flatMap((s) => [normalizeName(s.name), normalizeName(s.paramName ?? '')]));
    c.credentialField = props.find((p) => keyNames.has(normalizeName(p))) ?? c.credentialField;
    secretField = props.find((p) => /secret/i.test(p));
    c.credentialFlags.set(c.credentialField, '--api-key');
    if (secretField) c.credentialFlags.set(secretField, '--api-secret');
    // A credential field that a header parameter stands for (clientId → X-Client-Id).
    const headerNames = new Set(spec.operations.flatMap((o) => o.parameters.filter((p) => p.in === 'header').map((p) => normalizeName(p.name))));
    clientIdField = props.find((p) => p !== c.credentialField && p !== secretField && headerNames.has(normalizeName(p)));
    if (clientIdField) c.credentialFlags.set(clientIdField, '--client-id');
    for (const ex of c.credentialOp.success.media.examples) {
      for (const [field, value] of Object.entries((ex.value ?? {}) as Record<string, unknown>)) if (typeof value === 'string' && value.length >= 8) c.credentialExamples.set(value, field);
    }
  }
  const probe1 = await c.newMerchant('A');
  const probe2 = probe1 ? await c.newMerchant('B') : undefined;
  const canCreateMerchants = probe1 !== undefined;
  if (options.apiKey) {
    c.main = c.addMerchant({
      label: 'A',
      apiKey: options.apiKey,
      record: {
        [c.credentialField]: options.apiKey,
        ...(options.apiSecret && secretField ? { [secretField]: options.apiSecret } : {}),
        ...(options.clientId && clientIdField ? { [clientIdField]: options.clientId } : {}),
      },
    });
    // Without --client-id, a list of the merchant's own objects that carry one (its applications) gives it.
    if (clientIdField && !options.clientId) {
      const found = await c.discoverField(clientIdField, c.main);
      if (found !== undefined) c.main.record[clientIdField] = found;
    }
  } else if (probe1) c.main = probe1;
  else {
    throw new Error(
      c.credentialOp
        ? `No credentials: ${c.credentialOp.id} (${c.credentialOp.method.toUpperCase()} ${c.credentialOp.path}) did not issue any on this target; pass --api-key (and --api-key-2)`
        : 'No credentials: pass --api-key (and --api-key-2); the spec has no operation issuing credentials',
    );
  }
  if (options.mock !== undefined) {
    c.mock = options.mock;
  } else if (probe1 && probe2) {
    c.mock = probe1.apiKey === probe2.apiKey;
  } else {
    const creator = spec.operations.find((o) => o.role === 'create' && !o.parameters.some((p) => p.in === 'path'));
    if (creator) {
      const one = await c.create(creator, c.main);
      const two = await c.create(creator, c.main);
      c.mock = typeof one === 'string' && one === two;
    }
  }
  const mockReason =
    options.mock !== undefined
      ? 'as told by --mock'
      : c.mock
        ? 'two creations returned the same credentials or id: a stateless mock'
        : 'two creations returned different credentials or ids';
  if (options.apiKey2) {
    const record = { [c.credentialField]: options.apiKey2, ...(options.clientId2 && clientIdField ? { [clientIdField]: options.clientId2 } : {}) };
    c.second = c.addMerchant({ label: 'B', apiKey: options.apiKey2, record });
  }
  else c.second = probe2 ?? (canCreateMerchants ? await c.newMerchant('B') : undefined);
  if (!c.second) notes.push('no second merchant: cross-merchant checks are not applicable (pass --api-key-2)');
  const ct = spec.clientToken;
  if (!ct) notes.push('the contract declares no client-token scheme: the scope checks are not applicable');
  else if (options.clientToken) notes.push(`client token given with scopes ${options.clientTokenScopes?.join(' ') || '(none)'}${ct.issuer ? `; others are created with ${ct.issuer.op.id}` : ''}`);
  else if (!ct.issuer) notes.push(`the contract declares the ${ct.scheme} scheme but no operation issuing client tokens: pass --client-token (and --client-token-scopes) for the scope checks`);
  if (options.clientToken) c.secrets.add(options.clientToken);
  const dedicated = async (label: string): Promise<Merchant | undefined> => (canCreateMerchants ? await c.newMerchant(label) : undefined);
  const notice = (message: string) => {
    notes.push(message);
    options.onNotice?.(message);
  };
  const limit = Math.min(c.rateLimit.secured ?? Infinity, c.rateLimit.public ?? Infinity);
  if (!c.mock && limit < budget) {
    notice(
      `the target allows ${limit} requests per rate-limit window: the suite waits out every 429 (Retry-After), so ${budget.toLocaleString('en-US')} fuzz requests take about ` +
        `${Math.ceil(budget / limit)} windows; raise the target's limits for conformance runs (reference server: RATE_LIMIT_AUTHENTICATED, RATE_LIMIT_PUBLIC) or lower --requests`,
    );
  }

  // ---- operations needing a credential the run lacks (X-Client-Id without --client-id) --------
  const lacking = (op: Operation, m: Merchant | undefined) =>
    clientIdField && m && m.record[clientIdField] === undefined && op.parameters.some((p) => p.in === 'header' && p.required && normalizeName(p.name) === normalizeName(clientIdField!));
  const gated = selected.filter((op) => lacking(op, c.main));
  for (const op of gated) {
    for (const name of CHECK_NAMES) {
      const rec = new CheckRecorder(name, c.redact);
      rec.needsCredential(['--client-id'], `the operation requires a header standing for ${clientIdField}`);
      put(op, rec.result());
    }
  }
  const checkedAll = selected;
  selected = selected.filter((op) => !gated.includes(op));

  // ---- positive -------------------------------------------------------------------------------
  const accountOps = selected.filter((o) => o.role === 'account');
  const ordered = selected.filter((o) => o.role !== 'account').sort((a, b) => positiveOrder(a) - positiveOrder(b));
  let done = 0;
  for (const op of ordered) {
    progress('positive', done++, selected.length, op.id);
    put(op, await positiveCheck(c, op, c.main));
  }

  // ---- security -------------------------------------------------------------------------------
  done = 0;
  await pool(selected, 4, async (op) => {
    progress('security', done++, selected.length, op.id);
    put(op, await unauthenticatedCheck(c, op, c.main));
    put(op, await badCredentialCheck(c, op, c.main));
    if (lacking(op, c.second)) {
      const rec = new CheckRecorder('security.cross-merchant', c.redact);
      rec.needsCredential(['--client-id-2'], `merchant B's requests need a header standing for ${clientIdField}`);
      put(op, rec.result());
    } else put(op, await crossMerchantCheck(c, op, c.main, c.second));
    for (const r of await scopeChecks(c, op, c.main)) put(op, r);
  });

  // ---- idempotency and pagination ------------------------------------------------------------
  done = 0;
  await pool(
    selected.filter((o) => o.role !== 'account'),
    4,
    async (op) => {
      progress('protocol', done++, selected.length, op.id);
      put(op, await idempotencyCheck(c, op, c.main));
      const creatable = op.list?.itemIdPattern && !op.parameters.some((p) => p.in === 'path') && c.creatorsOf(op.list.itemIdPattern).length > 0;
      if (op.list && !c.mock && creatable) {
        // A new merchant, so that the list holds exactly the objects created for the check.
        const owner = await dedicated(`P-${op.id}`);
        put(op, await paginationCheck(c, op, owner ?? c.main, owner !== undefined));
      } else put(op, await paginationCheck(c, op, c.main, false));
    },
  );

  // ---- fuzz -----------------------------------------------------------------------------------
  const accountMerchant = accountOps.length > 0 ? ((await dedicated('F-account')) ?? c.main) : c.main;
  const plans: FuzzPlan[] = [];
  for (const op of selected) {
    progress('fuzz plan', plans.length, selected.length, op.id);
    plans.push(await planFuzz(c, op, op.role === 'account' ? accountMerchant : c.main));
  }
  // Operations that change the caller's account only get requests that break the schema.
  allocate(plans, budget, seed, (plan, fc) => !plan.skipValid || fc.kind === 'unknown-id' || breaksSchema(c, plan.op, fc));
  const fuzzTotal = plans.reduce((n, p) => n + p.cases.length, 0);
  const fuzzStart = http.sent;
  let fuzzDone = 0;
  const negative = await runFuzz(c, plans, options.concurrency ?? 8, () => {
    fuzzDone++;
    if (fuzzDone % 25 === 0 || fuzzDone === fuzzTotal) progress('fuzz', fuzzDone, fuzzTotal);
  });
  const fuzzSent = http.sent - fuzzStart;
  for (const op of selected) put(op, negative.get(op.id)!);

  // ---- operations on the caller's account (key rotation…), on dedicated merchants ------------
  for (const op of accountOps) {
    progress('account', accountOps.indexOf(op), accountOps.length, op.id);
    const merchant = (await dedicated(`R-${op.id}`)) ?? c.main;
    if (merchant === c.main) notes.push(`${op.id} changes the caller's account and ran last on the main credential (no operation creates merchants on this target)`);
    const before = merchant.apiKey;
    put(op, await positiveCheck(c, op, merchant));
    put(op, await idempotencyCheck(c, op, (await dedicated(`I-${op.id}`)) ?? merchant));
    put(op, notRun('protocol.pagination', 'not a paginated list'));
    if (merchant === c.main && merchant.apiKey !== before) notes.push(`${op.id} replaced the main credential; the suite now uses ${merchant.apiKey}`);
  }

  // ---- rate limits (last: throttles the client) ----------------------------------------------
  progress('rate-limit', 0, 1);
  const limited = await rateLimitChecks(c, selected, await dedicated('rate-limit'), probeMax);
  for (const op of selected) put(op, limited.get(op.id)!);
  for (const op of selected) put(op, headersCheck(c, op));

  // ---- report ---------------------------------------------------------------------------------
  selected = checkedAll;
  const operations: OperationReport[] = selected.map((op) => ({
    operationId: op.id,
    method: op.method,
    path: op.path,
    tags: op.tags,
    checks: CHECK_NAMES.map((n) => results.get(op.id)!.get(n) ?? notRun(n, 'not run')),
    statuses: { documented: op.statuses, observed: [...c.observed.get(op.id)!.statuses].sort((a, b) => a - b) },
  }));
  // Operations not run for lack of a credential are listed as such, not counted as unobserved statuses.
  const coverage = coverageCheck(c, selected.filter((op) => !gated.includes(op)), operations, threshold, probeMax);
  const all = operations.flatMap((o) => o.checks);
  const failed = all.filter((x) => x.status === 'failed').length;
  if (c.mock) notes.push('stateless mock: credentials, ownership, idempotency, pagination, rate limits and problem bodies of rejected requests are not applicable');
  progress('done', 1, 1);
  return {
    tool: 'tillpoint-conformance',
    target: options.baseUrl,
    spec: specPath,
    seed,
    mock: { mock: c.mock, how: options.mock !== undefined ? 'option' : 'detected', reason: mockReason },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    requests: { total: http.sent, fuzz: fuzzSent, fuzzBudget: budget },
    operations,
    coverage,
    summary: {
      operations: operations.length,
      checks: all.length,
      passed: all.filter((x) => x.status === 'passed').length,
      failed,
      notApplicable: all.filter((x) => x.status === 'not_applicable').length,
      ok: failed === 0 && coverage.status !== 'failed',
    },
    notes,
  };
}
