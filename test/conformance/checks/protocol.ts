/**
 * Protocol checks, derived from what the spec documents across operations:
 *
 * - `protocol.headers`: the headers documented on every response (request id, rate limits) are
 *   present and valid on every response the operation gave during the whole run;
 * - `protocol.idempotency`: for operations declaring an `Idempotency-Key`, the same key and body
 *   replay the first response (same status and body, with the documented replay header), the
 *   same key with another body is 422 (with the documented code), and concurrent duplicates
 *   create one object only;
 * - `protocol.pagination`: following the cursor with a small page size visits every object
 *   exactly once, in the same order as one big page;
 * - `protocol.rate-limit`: beyond the target's limit, every operation answers 429 with the
 *   headers its 429 response documents (only when the limit is low enough to reach).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Exchange } from '../http.ts';
import { CheckRecorder, type CheckResult } from '../report.ts';
import type { Merchant, RequestParts, RunContext } from '../context.ts';
import { resolveSchema, type JsonSchema, type Operation } from '../spec.ts';
import { specificHeaders } from './security.ts';

/** The universal headers on every response of `op` (from what was observed during the run). */
export function headersCheck(ctx: RunContext, op: Operation): CheckResult {
  const rec = new CheckRecorder('protocol.headers', ctx.redact);
  const obs = ctx.observed.get(op.id)!;
  if (ctx.spec.universalHeaders.length === 0) rec.notApplicable('the spec documents no header on every response');
  else if (obs.headerChecks === 0) rec.notApplicable('no response of this operation was observed');
  rec.requests = 0;
  rec.failureCount = obs.headerFailureCount;
  rec.failures.push(...obs.headerFailures);
  rec.note(`${ctx.spec.universalHeaders.join(', ')} on ${obs.headerChecks} responses`);
  return rec.result();
}

function issuesInto(ctx: RunContext, rec: CheckRecorder, op: Operation, ex: Exchange, what: string): void {
  for (const issue of ctx.responseIssues(op, ex, { strict: true })) rec.fail(`${what}: ${issue.message}`, ex, issue.schemaPath ? { schemaPath: issue.schemaPath } : {});
}

/** A valid body different from `body` (another example, or a valid change of one field). */
export function otherValidBody(ctx: RunContext, op: Operation, body: unknown): unknown {
  const media = op.body?.json;
  if (!media?.schemaPointer) return undefined;
  const valid = (v: unknown) => !isDeepStrictEqual(v, body) && ctx.spec.validator.isValid(media.schemaPointer!, v);
  for (const ex of media.examples) if (valid(ex.value) && ex.value && typeof ex.value === 'object' && JSON.stringify(ex.value).length > 2) return ex.value;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const schema = resolveSchema(ctx.spec.doc, media.schema);
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, raw] of Object.entries(props)) {
    const s = resolveSchema(ctx.spec.doc, raw);
    const current = (body as Record<string, unknown>)[name];
    const candidates: unknown[] = [];
    if (s.type === 'integer' || s.type === 'number') {
      const base = typeof current === 'number' ? current : typeof s.minimum === 'number' ? s.minimum : 1;
      candidates.push(base + 1, base - 1);
    } else if (s.type === 'string' && !s.pattern && !s.format && !s.enum) {
      candidates.push(`${typeof current === 'string' ? current : 'conformance'}-2`);
    } else if (Array.isArray(s.enum)) candidates.push(...s.enum.filter((v) => v !== current));
    else if (s.type === 'boolean') candidates.push(current !== true);
    else if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
      candidates.push({ ...((current as object) ?? {}), conformance: 'replay-check' });
    }
    for (const c of candidates) {
      const next = { ...(body as object), [name]: c };
      if (valid(next)) return next;
    }
  }
  return undefined;
}

/** Replays, key reuse with another body, and concurrent duplicates of an idempotent operation. */
export async function idempotencyCheck(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult> {
  const rec = new CheckRecorder('protocol.idempotency', ctx.redact);
  if (!op.idempotencyHeader) rec.notApplicable('declares no Idempotency-Key');
  else if (ctx.mock) rec.notApplicable('a stateless mock stores no response to replay');
  if (!op.idempotencyHeader || ctx.mock) return rec.result();
  const header = op.idempotencyHeader;
  const auth = ctx.authFor(op, merchant);
  const built = await ctx.buildParts(op, merchant, { fresh: true });
  if ('error' in built) {
    rec.fail(`cannot build a request: ${built.error}`);
    return rec.result();
  }
  const parts: RequestParts = { ...built.parts, headers: { ...built.parts.headers, [header]: ctx.uniqueKey() } };
  const first = await ctx.send(op, parts, auth);
  rec.requests++;
  if (first.status < 200 || first.status > 299) {
    rec.notApplicable(`no success to replay: a valid request answered ${first.status || first.error}`);
    return rec.result();
  }

  // Same key, same body: the first response again, marked as a replay.
  const replay = await ctx.send(op, parts, auth);
  rec.requests++;
  issuesInto(ctx, rec, op, replay, 'replay');
  if (replay.status !== first.status) rec.fail(`replay: status ${replay.status}, first response was ${first.status}`, replay);
  else if (!isDeepStrictEqual(replay.json, first.json)) rec.fail('replay: the body differs from the first response', replay);
  const marker = ctx.spec.replayHeader;
  if (marker && replay.headers[marker.name.toLowerCase()] !== marker.value) {
    rec.fail(`replay: header ${marker.name} is ${JSON.stringify(replay.headers[marker.name.toLowerCase()] ?? null)}, expected ${JSON.stringify(marker.value)}`, replay);
  }
  if (marker && first.headers[marker.name.toLowerCase()] !== undefined) rec.fail(`the first response carries ${marker.name} although it is not a replay`, first);

  // Same key, another body: rejected.
  const currentBody = parts.body && 'json' in parts.body ? parts.body.json : undefined;
  const other = otherValidBody(ctx, op, currentBody);
  if (other !== undefined) {
    const reused = await ctx.send(op, { ...parts, body: { json: other, contentType: op.body?.json?.type } }, auth);
    rec.requests++;
    const expected = op.statuses.includes('422') ? 422 : undefined;
    if (expected !== undefined && reused.status !== expected) rec.fail(`same key, other body: expected ${expected}, got ${reused.status || reused.error}`, reused);
    else if (reused.status < 400 || reused.status > 499) rec.fail(`same key, other body: expected a 4xx, got ${reused.status || reused.error}`, reused);
    else {
      issuesInto(ctx, rec, op, reused, 'same key, other body');
      const code = (reused.json as { code?: unknown } | undefined)?.code;
      const wanted = ctx.spec.idempotencyReusedCode;
      if (wanted && code !== wanted) rec.fail(`same key, other body: code ${JSON.stringify(code)}, expected ${JSON.stringify(wanted)}`, reused);
    }
  } else rec.note('no other valid body to reuse the key with');

  // Concurrent duplicates: one object, the others replay it or are told to retry.
  const again = await ctx.buildParts(op, merchant, { fresh: true });
  if (!('error' in again)) {
    const dup: RequestParts = { ...again.parts, headers: { ...again.parts.headers, [header]: ctx.uniqueKey() } };
    const answers = await Promise.all([0, 1, 2].map(() => ctx.send(op, dup, auth)));
    rec.requests += 3;
    const successes = answers.filter((x) => x.status >= 200 && x.status < 300);
    for (const x of answers) {
      if (x.status >= 200 && x.status < 300) continue;
      if (x.status === 409 && op.statuses.includes('409')) issuesInto(ctx, rec, op, x, 'concurrent duplicate');
      else rec.fail(`concurrent duplicate answered ${x.status || x.error} (expected the same success, or 409)`, x);
    }
    const differing = successes.find((x) => !isDeepStrictEqual(x.json, successes[0]!.json));
    if (differing) rec.fail('concurrent duplicates with one key got different successes (executed more than once)', differing);
    const settled = await ctx.send(op, dup, auth);
    rec.requests++;
    if (settled.status < 200 || settled.status > 299) rec.fail(`after concurrent duplicates, the key answers ${settled.status || settled.error}`, settled);
    else if (successes[0] && !isDeepStrictEqual(settled.json, successes[0].json)) rec.fail('after concurrent duplicates, the key replays another body', settled);
    rec.note(`replayed; key reuse rejected; concurrent duplicates: ${answers.map((x) => x.status).join('/')}`);
  }
  return rec.result();
}

/**
 * Pages through a list with the smallest useful page size, following the cursor: every object
 * (the ones the suite created for a fresh merchant, or the existing ones) exactly once, in the
 * order of a single big page.
 */
export async function paginationCheck(ctx: RunContext, op: Operation, owner: Merchant, fresh: boolean): Promise<CheckResult> {
  const rec = new CheckRecorder('protocol.pagination', ctx.redact);
  const list = op.list;
  if (!list) rec.notApplicable('not a paginated list');
  else if (ctx.mock) rec.notApplicable('a stateless mock returns a fixed page');
  else if (!list.cursorParam || !list.nextCursorProperty || !list.limitParam) rec.notApplicable('no cursor, next cursor or limit in the spec');
  if (!list || ctx.mock || !list.cursorParam || !list.nextCursorProperty || !list.limitParam) return rec.result();

  const created: string[] = [];
  const creator = list.itemIdPattern && !op.parameters.some((p) => p.in === 'path') ? ctx.creatorsOf(list.itemIdPattern)[0] : undefined;
  // What a new merchant holds before the suite creates anything (e.g. the API key it was
  // created with): those objects are its own too.
  const baseline: string[] = [];
  if (fresh && creator) {
    const before = await ctx.buildParts(op, owner, {});
    if (!('error' in before)) {
      const ex = await ctx.send(op, { ...before.parts, query: [...before.parts.query, [list.limitParam, String(list.limitMax ?? 100)]] }, ctx.authFor(op, owner));
      rec.requests++;
      const items = ((ex.json ?? {}) as Record<string, unknown>)[list.dataProperty];
      if (Array.isArray(items)) baseline.push(...items.map((i: { id?: unknown }) => String(i.id)));
    }
  }
  if (creator) {
    for (let i = 0; i < 5; i++) {
      const id = await ctx.create(creator, owner);
      if (typeof id === 'string') created.push(id);
      else {
        rec.fail(`cannot create objects to page through: ${id.error}`);
        return rec.result();
      }
    }
  }
  const built = await ctx.buildParts(op, owner, {});
  if ('error' in built) {
    rec.fail(`cannot build a request: ${built.error}`);
    return rec.result();
  }
  const auth = ctx.authFor(op, owner);
  const page = async (limit: number, cursor?: string) => {
    const parts: RequestParts = { ...built.parts, query: [...built.parts.query, [list.limitParam!, String(limit)], ...(cursor ? [[list.cursorParam!, cursor] as [string, string]] : [])] };
    const ex = await ctx.send(op, parts, auth);
    rec.requests++;
    issuesInto(ctx, rec, op, ex, `page (limit ${limit})`);
    const body = (ex.json ?? {}) as Record<string, unknown>;
    const items = Array.isArray(body[list.dataProperty]) ? (body[list.dataProperty] as { id?: unknown }[]) : [];
    const next = body[list.nextCursorProperty!];
    const hasMore = list.hasMoreProperty ? body[list.hasMoreProperty] : undefined;
    return { ex, ids: items.map((i) => String(i.id)), next: typeof next === 'string' && next !== '' ? next : undefined, hasMore };
  };

  const size = 2;
  const visited: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  let truncated = false;
  for (;;) {
    const p = await page(size, cursor);
    pages++;
    if (p.ex.status !== 200) {
      rec.fail(`page ${pages} answered ${p.ex.status || p.ex.error}`, p.ex);
      return rec.result();
    }
    if (p.ids.length > size) rec.fail(`page ${pages} has ${p.ids.length} items with ${list.limitParam}=${size}`, p.ex);
    if (p.hasMore !== undefined && p.hasMore !== (p.next !== undefined)) rec.fail(`page ${pages}: ${list.hasMoreProperty} is ${String(p.hasMore)} but ${list.nextCursorProperty} is ${p.next ?? 'null'}`, p.ex);
    if (p.next !== undefined && p.ids.length === 0) rec.fail(`page ${pages} is empty but has a next cursor`, p.ex);
    visited.push(...p.ids);
    if (!p.next) break;
    if (p.next === cursor) {
      rec.fail(`page ${pages} returns the cursor it was given: the walk does not advance`, p.ex);
      break;
    }
    if (pages >= 100) {
      truncated = true;
      break;
    }
    cursor = p.next;
  }
  const dups = visited.filter((id, i) => visited.indexOf(id) !== i);
  if (dups.length > 0) rec.fail(`objects visited more than once: ${[...new Set(dups)].slice(0, 5).join(', ')}`);
  const missing = created.filter((id) => !visited.includes(id));
  if (missing.length > 0) rec.fail(`objects never visited: ${missing.join(', ')}`);
  if (fresh && creator && !truncated) {
    const extra = visited.filter((id) => !created.includes(id) && !baseline.includes(id));
    if (extra.length > 0) rec.fail(`a new merchant's list holds objects it did not create: ${extra.slice(0, 5).join(', ')}`);
  }
  if (!creator && visited.length < 3) {
    rec.notApplicable(`fewer than 3 objects to page through (${visited.length}) and no operation creates them`);
    return rec.result();
  }
  // One big page must hold the same objects in the same order. Objects created meanwhile by
  // someone else (events of other activity…) are newer, so only the walked ones are compared.
  const max = Math.min(list.limitMax ?? 100, 100);
  const big = await page(max);
  const walked = new Set(visited);
  const shared = big.ids.filter((id) => walked.has(id));
  const expected = visited.slice(0, shared.length);
  const complete = !truncated && visited.length + (big.ids.length - shared.length) <= max;
  if (big.ex.status === 200 && (!isDeepStrictEqual(shared, expected) || (complete && shared.length !== visited.length))) {
    rec.fail(`pages of ${size} and one page of ${max} disagree on the objects or their order`, big.ex);
  }
  rec.note(`${visited.length} objects in ${pages} pages of ${size}${created.length ? ` (${created.length} created)` : ''}${truncated ? ', walk capped at 100 pages' : ''}`);
  return rec.result();
}

/**
 * Exhausts the rate limit on purpose (when it is low enough) and checks that every operation
 * then answers 429 with the headers its 429 response documents. Run last: it throttles the
 * credential (secured operations; a dedicated merchant when possible) and the client address
 * (public operations).
 */
export async function rateLimitChecks(ctx: RunContext, ops: Operation[], dedicated: Merchant | undefined, probeMax: number): Promise<Map<string, CheckResult>> {
  const out = new Map<string, CheckResult>();
  const results = new Map<string, CheckRecorder>(ops.map((op) => [op.id, new CheckRecorder('protocol.rate-limit', ctx.redact)]));
  const finish = () => {
    for (const [id, rec] of results) out.set(id, rec.result());
    return out;
  };
  if (ctx.mock) {
    for (const rec of results.values()) rec.notApplicable('a stateless mock does not enforce rate limits');
    return finish();
  }
  for (const op of ops) if (!op.statuses.includes('429')) results.get(op.id)!.notApplicable('429 not documented');

  for (const group of ['secured', 'public'] as const) {
    const members = ops.filter((op) => (group === 'public' ? op.isPublic : !op.isPublic) && op.statuses.includes('429'));
    if (members.length === 0) continue;
    const limit = ctx.rateLimit[group];
    if (limit === undefined) {
      for (const op of members) results.get(op.id)!.notApplicable('no X-RateLimit-Limit header observed');
      continue;
    }
    if (limit > probeMax) {
      for (const op of members) results.get(op.id)!.notApplicable(`the target's limit (${limit} per window) is above what the suite spends to reach it (${probeMax})`);
      continue;
    }
    const merchant = dedicated ?? ctx.main;
    // Build every request first: prerequisites cannot be created once throttled.
    const prepared: [Operation, RequestParts][] = [];
    for (const op of members) {
      const built = await ctx.buildParts(op, merchant, { fresh: op.method !== 'get' });
      if ('error' in built) results.get(op.id)!.fail(`cannot build a request: ${built.error}`);
      else prepared.push([op, built.parts]);
    }
    const cheapest = members.find((o) => o.method === 'get' && !o.parameters.some((p) => p.in === 'path')) ?? members[0]!;
    const cheapParts: RequestParts =
      cheapest.method === 'get' || !cheapest.body
        ? (prepared.find(([o]) => o === cheapest)?.[1] ?? { pathParams: {}, query: [], headers: {} })
        : { pathParams: {}, query: [], headers: {}, body: { text: '{', contentType: 'application/json' } };
    let throttled = false;
    for (let i = 0; i <= limit + 5 && !throttled; i++) {
      const ex = await ctx.send(cheapest, cheapParts, ctx.authFor(cheapest, merchant), { retryRateLimited: false });
      throttled = ex.status === 429;
    }
    if (!throttled) {
      for (const op of members) results.get(op.id)!.fail(`no 429 after ${limit + 6} requests although X-RateLimit-Limit is ${limit}`);
      continue;
    }
    for (const [op, parts] of prepared) {
      const rec = results.get(op.id)!;
      const ex = await ctx.send(op, parts, ctx.authFor(op, merchant), { retryRateLimited: false });
      rec.requests++;
      if (ex.status !== 429) {
        rec.fail(`beyond the limit: expected 429, got ${ex.status || ex.error}`, ex);
        continue;
      }
      issuesInto(ctx, rec, op, ex, '429');
      for (const name of specificHeaders(ctx, op, 429)) if (ex.headers[name.toLowerCase()] === undefined) rec.fail(`the 429 lacks the ${name} header its response documents`, ex);
      rec.note(`429 beyond a limit of ${limit}`);
    }
  }
  return finish();
}
