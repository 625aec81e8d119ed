/**
 * Negative check: schema-driven fuzzing (see ../fuzz.ts). Every request that breaks the schema
 * must get a documented 4xx with a problem body that names the offending input — `pointer` for a
 * body field, `parameter` for a query or path parameter, `header` for a header (the field-error
 * properties the spec's problem schema declares); a well-formed id of an object that does not
 * exist gets 404; a fuzzed request that happens to be valid may succeed but must get a documented
 * status. Never a 5xx, never a hang (per-request timeout).
 */
import type { Exchange } from '../http.ts';
import { CheckRecorder, type CheckResult } from '../report.ts';
import type { Merchant, RunContext } from '../context.ts';
import { capacityOf, generateCases, parameterValueValid, SiteBuilder, type FuzzCase, type Site } from '../fuzz.ts';
import { pointerSegments, type Operation } from '../spec.ts';

/** The fuzz plan of one operation. */
export interface FuzzPlan {
  op: Operation;
  merchant: Merchant;
  /** Sites and the valid request they mutate. */
  sites: Site[];
  base: import('../context.ts').RequestParts;
  /** Skip mutations that turn out valid (operations that change the account, e.g. key rotation). */
  skipValid: boolean;
  cases: FuzzCase[];
  problem?: string;
}

/** Builds the mutation sites of `op` from valid requests built from each of its examples. */
export async function planFuzz(ctx: RunContext, op: Operation, merchant: Merchant): Promise<FuzzPlan> {
  // The OAuth endpoints do not answer with problem details: nothing to fuzz for (see runFuzz).
  if (op.endpoint) return { op, merchant, sites: [], base: { pathParams: {}, query: [], headers: {} }, skipValid: true, cases: [] };
  const builder = new SiteBuilder(ctx.spec, op);
  const count = Math.max(1, op.body?.json?.examples.length ?? 0);
  let base: FuzzPlan['base'] | undefined;
  let problem: string | undefined;
  for (let i = 0; i < count; i++) {
    const built = await ctx.buildParts(op, merchant, { fresh: op.method !== 'get', example: i });
    if ('error' in built) {
      problem = built.error;
      continue;
    }
    base ??= built.parts;
    builder.body(built.parts);
  }
  if (base) builder.parameters(base, (pattern) => ctx.isResourcePattern(pattern), ctx.issuedTokens.get(op.id));
  return { op, merchant, sites: builder.sites, base: base ?? { pathParams: {}, query: [], headers: {} }, skipValid: op.role === 'account', cases: [], ...(base ? {} : { problem }) };
}

/**
 * Spreads `budget` requests over the plans (water-filling: an operation with few distinct cases
 * gives its unused share to the others) and generates their cases.
 */
export function allocate(plans: FuzzPlan[], budget: number, seed: number, keep: (plan: FuzzPlan, c: FuzzCase) => boolean = () => true): void {
  const active = plans.filter((p) => p.sites.length > 0);
  const shares = new Map<FuzzPlan, number>();
  let left = budget;
  let open = [...active];
  while (left > 0 && open.length > 0) {
    const share = Math.floor(left / open.length);
    if (share === 0) {
      // Fewer requests left than operations: one more each for the first ones.
      for (const p of open.slice(0, left)) shares.set(p, (shares.get(p) ?? 0) + 1);
      break;
    }
    const next: FuzzPlan[] = [];
    let spent = 0;
    for (const p of open) {
      const room = capacityOf(p.sites) - (shares.get(p) ?? 0);
      const give = Math.min(room, share);
      shares.set(p, (shares.get(p) ?? 0) + give);
      spent += give;
      if (room > share) next.push(p);
    }
    left -= spent;
    if (spent === 0) break;
    open = next;
  }
  const seen = new Map<FuzzPlan, Set<string>>();
  const add = (p: FuzzPlan, cases: FuzzCase[], room: number) => {
    const keys = seen.get(p) ?? new Set<string>();
    seen.set(p, keys);
    for (const c of cases) {
      if (room <= 0) break;
      const key = `${c.kind} ${JSON.stringify(c.parts)}`;
      if (keys.has(key) || !keep(p, c)) continue;
      keys.add(key);
      p.cases.push(c);
      room--;
    }
  };
  for (const p of active) add(p, generateCases(p.op, p.sites, shares.get(p) ?? 0, seed), Infinity);
  // Cases dropped (duplicates, or valid ones an operation must not receive) leave the budget
  // short: top up from operations with unbounded variety, with further seeds.
  const unbounded = active.filter((p) => p.sites.some((s) => s.capacity === Infinity));
  for (let round = 1; round <= 4 && unbounded.length > 0; round++) {
    let short = budget - plans.reduce((n, p) => n + p.cases.length, 0);
    if (short <= 0) break;
    const each = Math.ceil(short / unbounded.length);
    for (const p of unbounded) {
      if (short <= 0) break;
      const before = p.cases.length;
      add(p, generateCases(p.op, p.sites, each * 2, seed + round * 7919), Math.min(each, short));
      short -= p.cases.length - before;
    }
  }
}

/**
 * The body pointers that name where a mutated body breaks its schema: the mutated field, and
 * every place ajv reports (e.g. the array when an enum value made two items equal, the object
 * when a property is missing, and the missing property itself).
 */
export function violatedPointers(ctx: RunContext, op: Operation, c: FuzzCase): Set<string> {
  const out = new Set<string>([c.target]);
  const pointer = op.body?.json?.schemaPointer;
  const json = c.parts.body && 'json' in c.parts.body ? c.parts.body.json : undefined;
  if (c.location !== 'body' || !pointer) return out;
  for (const issue of ctx.spec.validator.validate(pointer, json)) {
    out.add(issue.instancePath);
    if (issue.property !== undefined) out.add(`${issue.instancePath}/${issue.property.replaceAll('~', '~0').replaceAll('/', '~1')}`);
  }
  return out;
}

/** Whether the problem body names the mutated input (for a body, one of `violated`). */
export function namesInput(ctx: RunContext, c: FuzzCase, body: unknown, violated: Set<string> = new Set([c.target])): boolean {
  const keys = ctx.spec.fieldErrorKeys;
  if (!keys) return true;
  const list = (body as Record<string, unknown> | undefined)?.[keys.arrayProperty];
  if (!Array.isArray(list)) return false;
  const segments = pointerSegments(c.target);
  const parent = segments.length > 0 ? c.target.slice(0, c.target.length - (segments[segments.length - 1]!.length + 1)) : '';
  return list.some((raw) => {
    const e = (raw ?? {}) as Record<string, unknown>;
    if (c.location === 'body') {
      const p = keys.body ? e[keys.body] : undefined;
      if (typeof p !== 'string') return false;
      if (p === c.target || p.startsWith(`${c.target}/`) || (p !== '' && violated.has(p))) return true;
      // An error on the enclosing oneOf/anyOf node names it too.
      if (c.ancestors.includes(p) && c.target.startsWith(`${p}/`)) return true;
      // A missing or unknown property may be reported on its object, naming it.
      if ((c.kind === 'missing-required' || c.kind === 'unknown-property') && p === parent) return JSON.stringify(e).includes(segments[segments.length - 1] ?? '');
      return false;
    }
    if (c.location === 'header') {
      const h = keys.header ? e[keys.header] : undefined;
      return typeof h === 'string' && h.toLowerCase() === c.target.toLowerCase();
    }
    const name = keys.parameter ? e[keys.parameter] : undefined;
    return name === c.target;
  });
}

/** Whether a fuzz case breaks the schema (as opposed to happening to be valid). */
export function breaksSchema(ctx: RunContext, op: Operation, c: FuzzCase): boolean {
  if (c.wholeBody) return true;
  if (c.kind === 'unknown-id') return false;
  if (c.location === 'body') {
    const pointer = op.body?.json?.schemaPointer;
    const json = c.parts.body && 'json' in c.parts.body ? c.parts.body.json : undefined;
    return pointer ? !ctx.spec.validator.isValid(pointer, json) : true;
  }
  const p = op.parameters.find((x) => x.in === c.location && x.name === c.target);
  return p ? !parameterValueValid(ctx.spec, p, String(c.value)) : true;
}

/** Judges one answer to a fuzz case; returns the failure messages. */
export function judgeCase(ctx: RunContext, op: Operation, c: FuzzCase, invalid: boolean, ex: Exchange): { message: string; schemaPath?: string }[] {
  if (ex.status === 0) return [{ message: ex.error ?? 'no response' }];
  if (ex.status >= 500) return [{ message: `${ex.status} answered to ${invalid ? 'an invalid' : 'a valid'} request: a 5xx is never acceptable` }];
  const statusIssues = ctx.responseIssues(op, ex, { statusOnly: true });
  if (statusIssues.length > 0) return statusIssues;
  if (c.kind === 'unknown-id') {
    if (ctx.mock) return [];
    const expected = op.statuses.includes('404') ? 404 : undefined;
    if (expected && ex.status !== expected) return [{ message: `expected ${expected} for a well-formed id that does not exist, got ${ex.status}` }];
    return ctx.responseIssues(op, ex, { strict: true });
  }
  // A stateless mock validates requests only as far as its own validator goes: what it lets
  // through is answered with a documented example, which is all a mock can honour.
  if (ctx.mock) return [];
  if (invalid && (ex.status < 400 || ex.status > 499)) return [{ message: `accepted a request that breaks the schema (${ex.status})` }];
  const issues: { message: string; schemaPath?: string }[] = ctx.responseIssues(op, ex, { strict: true });
  if (invalid && !c.wholeBody && !namesInput(ctx, c, ex.json, violatedPointers(ctx, op, c))) {
    const where = c.location === 'body' ? `body field ${c.target || '(root)'}` : `${c.location} ${c.location === 'header' ? '' : 'parameter '}${c.target}`;
    const keys = ctx.spec.fieldErrorKeys!;
    const key = c.location === 'body' ? keys.body : c.location === 'header' ? keys.header : keys.parameter;
    issues.push({ message: `the problem does not name the ${where} (${keys.arrayProperty}[].${key ?? '?'})` });
  }
  return issues;
}

/**
 * Sends the cases of every plan, `concurrency` at a time, and returns one negative check result
 * per operation.
 */
export async function runFuzz(ctx: RunContext, plans: FuzzPlan[], concurrency: number, onCase?: () => void): Promise<Map<string, CheckResult>> {
  const recs = new Map<string, CheckRecorder>();
  const stats = new Map<string, { invalid: number; valid: number; skipped: number; accepted: number; statuses: Map<number, number>; kinds: Set<string> }>();
  for (const p of plans) {
    const rec = new CheckRecorder('negative', ctx.redact);
    recs.set(p.op.id, rec);
    stats.set(p.op.id, { invalid: 0, valid: 0, skipped: 0, accepted: 0, statuses: new Map(), kinds: new Set() });
    if (p.op.endpoint) rec.notApplicable('an OAuth endpoint (x-endpoint): it answers in the RFC 6749 §5.2 format (or HTML), not with problem details');
    else if (p.problem && p.cases.length === 0) rec.fail(`cannot build a valid request to mutate: ${p.problem}`);
    else if (p.sites.length === 0) rec.notApplicable('the operation takes no input the spec constrains');
    else if (p.cases.length === 0) rec.notApplicable('no fuzz budget left for this operation (--requests)');
  }
  // Interleave operations so that every one progresses together.
  const queue: [FuzzPlan, FuzzCase][] = [];
  const longest = Math.max(0, ...plans.map((p) => p.cases.length));
  for (let i = 0; i < longest; i++) for (const p of plans) if (p.cases[i]) queue.push([p, p.cases[i]!]);

  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const [plan, c] = queue[next++]!;
      const rec = recs.get(plan.op.id)!;
      const st = stats.get(plan.op.id)!;
      const invalid = breaksSchema(ctx, plan.op, c);
      if (!invalid && plan.skipValid && c.kind !== 'unknown-id') {
        st.skipped++;
        onCase?.();
        continue;
      }
      const parts = { ...c.parts, headers: { ...c.parts.headers } };
      const header = plan.op.idempotencyHeader;
      if (header && !(c.location === 'header' && c.target === header)) parts.headers[header] = ctx.uniqueKey();
      const ex = await ctx.send(plan.op, parts, ctx.authFor(plan.op, plan.merchant));
      rec.requests++;
      st[invalid ? 'invalid' : 'valid']++;
      if (invalid && ex.status >= 200 && ex.status < 300) st.accepted++;
      st.kinds.add(c.kind);
      st.statuses.set(ex.status, (st.statuses.get(ex.status) ?? 0) + 1);
      for (const failure of judgeCase(ctx, plan.op, c, invalid, ex)) rec.fail(failure.message, ex, { case: c.label, ...(failure.schemaPath ? { schemaPath: failure.schemaPath } : {}) });
      onCase?.();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));

  const out = new Map<string, CheckResult>();
  for (const p of plans) {
    const rec = recs.get(p.op.id)!;
    const st = stats.get(p.op.id)!;
    const statuses = [...st.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ');
    if (rec.requests > 0) {
      rec.note(`${rec.requests} cases (${st.invalid} invalid, ${st.valid} valid by schema${st.skipped ? `, ${st.skipped} valid skipped` : ''}): ${statuses}`);
      if (ctx.mock) rec.note(`mock: only documented statuses judged (it accepted ${st.accepted} invalid requests; rejecting them and naming the input is not applicable to a mock)`);
    }
    out.set(p.op.id, rec.result());
  }
  return out;
}
