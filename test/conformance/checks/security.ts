/**
 * Security checks, for every operation whose security is not `[]`:
 *
 * - `security.unauthenticated`: without any credential → 401;
 * - `security.bad-credential`: with an unknown credential in each accepted scheme (a key of the
 *   same shape as the real one, and garbage) → 401;
 * - `security.cross-merchant`: with merchant A's credential on merchant B's object → 404 (and the
 *   object is unchanged); a list of A shows none of B's objects.
 *
 * A 401 must also carry the headers its documented response declares specifically (e.g.
 * `WWW-Authenticate`). The scopes of client tokens (`security.insufficient-scope`,
 * `security.scope-granted`, `security.client-token-refused`, `security.client-token-invalid`)
 * are checked in scopes.ts.
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Exchange } from '../http.ts';
import { CheckRecorder, type CheckResult } from '../report.ts';
import type { Merchant, RequestParts, RunContext } from '../context.ts';
import { documentedResponse, resolveSchema, type Operation } from '../spec.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A credential of the same shape as `key` (same prefix, length and alphabet) that no one holds. */
export function lookalike(key: string): string {
  const cut = key.lastIndexOf('_');
  const prefix = cut >= 0 && cut < 16 ? key.slice(0, cut + 1) : '';
  const bytes = randomBytes(key.length);
  let rest = '';
  for (let i = 0; i < key.length - prefix.length; i++) rest += ALPHABET[bytes[i]! % ALPHABET.length];
  return prefix + rest;
}

/** Headers documented on the response to `status` of `op` but not on every response (e.g. WWW-Authenticate on 401). */
export function specificHeaders(ctx: RunContext, op: Operation, status: number): string[] {
  const documented = documentedResponse(op, status);
  return (documented?.headers ?? []).map((h) => h.name).filter((n) => !ctx.spec.universalHeaders.includes(n.toLowerCase()) && !/replay/i.test(n));
}

/** Records the failures of a response that must be `expected` (documented, strictly valid, with its specific headers). */
export function expectStatus(ctx: RunContext, rec: CheckRecorder, op: Operation, ex: Exchange, expected: number, what: string): void {
  rec.requests++;
  if (ex.status !== expected) {
    rec.fail(`${what}: expected ${expected}, got ${ex.status || ex.error}`, ex);
    return;
  }
  for (const issue of ctx.responseIssues(op, ex, { strict: true })) {
    rec.fail(`${what}: ${issue.message}`, ex, issue.schemaPath ? { schemaPath: issue.schemaPath, instancePath: issue.instancePath } : {});
  }
  for (const name of specificHeaders(ctx, op, expected)) {
    if (ex.headers[name.toLowerCase()] === undefined) rec.fail(`${what}: the ${expected} lacks the ${name} header its response documents`, ex);
  }
}

async function partsFor(ctx: RunContext, op: Operation, merchant: Merchant, fresh = false): Promise<RequestParts | string> {
  const built = await ctx.buildParts(op, merchant, { fresh });
  return 'error' in built ? built.error : built.parts;
}

/** Without credentials, a secured operation answers 401. */
export async function unauthenticatedCheck(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult> {
  const rec = new CheckRecorder('security.unauthenticated', ctx.redact);
  if (op.isPublic) {
    rec.notApplicable('public operation (security: [])');
    return rec.result();
  }
  const parts = await partsFor(ctx, op, merchant);
  if (typeof parts === 'string') {
    rec.fail(`cannot build a request: ${parts}`);
    return rec.result();
  }
  expectStatus(ctx, rec, op, await ctx.send(op, parts, { kind: 'none' }), 401, 'without credentials');
  rec.note('401 without credentials');
  return rec.result();
}

/** With an unknown credential in each accepted scheme, a secured operation answers 401. */
export async function badCredentialCheck(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult> {
  const rec = new CheckRecorder('security.bad-credential', ctx.redact);
  if (op.isPublic) rec.notApplicable('public operation (security: [])');
  else if (ctx.mock) rec.notApplicable('a stateless mock does not verify credentials');
  if (op.isPublic || ctx.mock) return rec.result();
  const parts = await partsFor(ctx, op, merchant);
  if (typeof parts === 'string') {
    rec.fail(`cannot build a request: ${parts}`);
    return rec.result();
  }
  const schemes = new Set(op.security.flatMap((alt) => Object.keys(alt)));
  const cases: [string, Record<string, string>][] = [];
  for (const name of schemes) {
    const s = ctx.spec.securitySchemes[name];
    if (!s) continue;
    if (s.type === 'http' && s.scheme === 'bearer') {
      cases.push([`${name}: unknown key of the same shape`, { authorization: `Bearer ${lookalike(merchant.apiKey)}` }]);
      cases.push([`${name}: garbage token`, { authorization: 'Bearer not.a.valid.token' }]);
    } else if (s.type === 'apiKey' && s.in === 'header' && s.paramName) {
      cases.push([`${name}: unknown key of the same shape`, { [s.paramName.toLowerCase()]: lookalike(merchant.apiKey) }]);
      cases.push([`${name}: garbage`, { [s.paramName.toLowerCase()]: 'garbage' }]);
    }
  }
  if (cases.length === 0) {
    rec.notApplicable('no header-borne security scheme to forge');
    return rec.result();
  }
  for (const [what, headers] of cases) expectStatus(ctx, rec, op, await ctx.send(op, parts, { kind: 'raw', headers }), 401, what);
  rec.note(`401 for ${cases.length} forged credentials`);
  return rec.result();
}

/**
 * Merchant A may not read, change or list merchant B's objects: an operation addressing B's
 * object with A's credential answers 404 and leaves it unchanged; A's lists and B's lists share
 * no object.
 */
export async function crossMerchantCheck(ctx: RunContext, op: Operation, a: Merchant, b: Merchant | undefined): Promise<CheckResult> {
  const rec = new CheckRecorder('security.cross-merchant', ctx.redact);
  const pathParams = op.parameters.filter((p) => p.in === 'path' && typeof p.resolved.pattern === 'string' && ctx.isResourcePattern(p.resolved.pattern));
  if (op.isPublic) rec.notApplicable('public operation (security: [])');
  else if (ctx.mock) rec.notApplicable('a stateless mock has no owners');
  else if (!b) rec.needsCredential(['--api-key-2'], 'no second merchant (the target creates no sandbox merchants)');
  else if (op.role !== 'list' && pathParams.length === 0) rec.notApplicable('addresses no object by id');
  if (rec.result().status === 'not_applicable' || !b) return rec.result();

  if (op.role === 'list') {
    const pattern = op.list?.itemIdPattern;
    if (!pattern) {
      rec.notApplicable('list items have no id pattern');
      return rec.result();
    }
    // Make sure B has an object of this kind, then compare both lists.
    await ctx.obtainId(pattern, b);
    const ids = async (m: Merchant): Promise<Set<string> | undefined> => {
      const parts = await partsFor(ctx, op, m);
      if (typeof parts === 'string') {
        rec.fail(`cannot build a request: ${parts}`);
        return undefined;
      }
      if (op.list?.limitParam) parts.query.push([op.list.limitParam, String(op.list.limitMax ?? 100)]);
      const ex = await ctx.send(op, parts, { kind: 'merchant', merchant: m });
      rec.requests++;
      const items = (ex.json as Record<string, unknown> | undefined)?.[op.list!.dataProperty];
      if (ex.status !== 200 || !Array.isArray(items)) {
        rec.fail(`listing as merchant ${m.label} answered ${ex.status || ex.error}`, ex);
        return undefined;
      }
      return new Set(items.map((i) => (i as { id?: string }).id).filter((id): id is string => typeof id === 'string'));
    };
    const ofA = await ids(a);
    const ofB = await ids(b);
    if (!ofA || !ofB) return rec.result();
    const known = new Set([...ofB, ...ctx.registry.filter((c) => c.owner === b.label).map((c) => c.id)]);
    const leaked = [...ofA].filter((id) => known.has(id));
    if (leaked.length > 0) rec.fail(`merchant A's list shows ${leaked.length} object(s) of merchant B: ${leaked.slice(0, 3).join(', ')}`);
    rec.note(`A's list (${ofA.size}) and B's list (${ofB.size}) share no object`);
    return rec.result();
  }

  // B's own object(s), addressed with A's credential.
  const built = await ctx.buildParts(op, b, { fresh: op.method !== 'get' });
  if ('error' in built) {
    rec.fail(`cannot create merchant B's object: ${built.error}`);
    return rec.result();
  }
  const snapshots = new Map<string, unknown>();
  for (const p of pathParams) {
    const reader = ctx.readerOf(p.resolved.pattern as string);
    const id = built.parts.pathParams[p.name]!;
    if (!reader || reader === op) continue;
    const readParts = ctx.withHeadersOf(reader, { pathParams: { [reader.parameters.find((x) => x.in === 'path')!.name]: id }, query: [], headers: {} }, b);
    const ex = await ctx.send(reader, readParts, { kind: 'merchant', merchant: b });
    if (ex.status === 200) snapshots.set(p.name, ex.json);
  }
  // A's own credential-like headers (its X-Client-Id): only the object is B's.
  const ex = await ctx.send(op, ctx.withHeadersOf(op, built.parts, a), { kind: 'merchant', merchant: a });
  rec.requests++;
  const expected = op.statuses.includes('404') ? 404 : undefined;
  if (ex.status >= 200 && ex.status < 300) rec.fail(`merchant A reached merchant B's object: ${ex.status} instead of ${expected ?? 'a 4xx'}`, ex);
  else if (expected !== undefined && ex.status !== expected) rec.fail(`expected ${expected} for another merchant's object, got ${ex.status || ex.error}`, ex);
  else for (const issue of ctx.responseIssues(op, ex, { strict: true })) rec.fail(issue.message, ex, issue.schemaPath ? { schemaPath: issue.schemaPath } : {});

  for (const p of pathParams) {
    const before = snapshots.get(p.name);
    if (before === undefined) continue;
    const reader = ctx.readerOf(p.resolved.pattern as string)!;
    const readParts = ctx.withHeadersOf(reader, { pathParams: { [reader.parameters.find((x) => x.in === 'path')!.name]: built.parts.pathParams[p.name]! }, query: [], headers: {} }, b);
    const after = await ctx.send(reader, readParts, { kind: 'merchant', merchant: b });
    if (!isDeepStrictEqual(before, after.json)) rec.fail(`merchant A's request changed merchant B's object ${built.parts.pathParams[p.name]}`, after);
  }
  rec.note(`${ex.status} for merchant B's object`);
  return rec.result();
}

/** A bearer scheme whose requirements name scopes, and how the suite obtains its tokens. */
interface ScopedScheme {
  name: string;
  /** The literal start of its tokens, from `bearerFormat` (e.g. `ct_`). */
  prefix: string;
  /** The operation issuing tokens: its JSON body has an array of the scope vocabulary. */
  issuer: Operation;
  /** That array property. */
  scopesProperty: string;
  /** The vocabulary (the array items' `enum`). */
  vocabulary: string[];
}

/**
 * The scoped bearer scheme of the spec, if it has one the suite can obtain tokens of: an http
 * bearer scheme named with scopes in some requirement, whose `bearerFormat` starts with a literal
 * prefix, and an operation whose body has an array property whose items' `enum` holds every scope
 * used with the scheme.
 */
export function scopedScheme(ctx: RunContext): ScopedScheme | undefined {
  for (const s of Object.values(ctx.spec.securitySchemes)) {
    if (s.type !== 'http' || s.scheme !== 'bearer') continue;
    const used = new Set(ctx.spec.operations.flatMap((op) => op.security.flatMap((alt) => alt[s.name] ?? [])));
    const prefix = /^[A-Za-z0-9_]+/.exec(s.bearerFormat ?? '')?.[0];
    if (used.size === 0 || !prefix) continue;
    for (const issuer of ctx.spec.operations) {
      const schema = issuer.body?.json?.schema;
      if (!schema) continue;
      const props = (resolveSchema(ctx.spec.doc, schema).properties ?? {}) as Record<string, unknown>;
      for (const [property, raw] of Object.entries(props)) {
        const p = resolveSchema(ctx.spec.doc, raw);
        const items = p.type === 'array' && p.items ? resolveSchema(ctx.spec.doc, p.items) : undefined;
        const vocabulary = Array.isArray(items?.enum) ? (items.enum as unknown[]).filter((v): v is string => typeof v === 'string') : [];
        if (vocabulary.length > 0 && [...used].every((u) => vocabulary.includes(u))) return { name: s.name, prefix, issuer, scopesProperty: property, vocabulary };
      }
    }
  }
  return undefined;
}

const scopedTokens = new WeakMap<RunContext, Map<string, Promise<string | { error: string }>>>();

/** A token of the scoped scheme with exactly `scopes`, issued for `merchant` (one per scope set and run). */
function scopedToken(ctx: RunContext, scheme: ScopedScheme, merchant: Merchant, scopes: string[]): Promise<string | { error: string }> {
  let cache = scopedTokens.get(ctx);
  if (!cache) scopedTokens.set(ctx, (cache = new Map()));
  const key = `${merchant.label} ${scopes.join(' ')}`;
  let token = cache.get(key);
  if (!token) {
    token = (async () => {
      const built = await ctx.buildParts(scheme.issuer, merchant, { fresh: true });
      if ('error' in built) return { error: `${scheme.issuer.id}: ${built.error}` };
      const body = 'body' in built.parts && built.parts.body && 'json' in built.parts.body ? (built.parts.body.json as Record<string, unknown>) : {};
      const parts: RequestParts = { ...built.parts, body: { json: { ...body, [scheme.scopesProperty]: scopes } } };
      const ex = await ctx.send(scheme.issuer, parts, ctx.authFor(scheme.issuer, merchant));
      // The longest string starting with the prefix (a bare `ct_test_` is a prefix field, not the token).
      const found = Object.values((ex.json ?? {}) as Record<string, unknown>)
        .filter((v): v is string => typeof v === 'string' && v.startsWith(scheme.prefix))
        .sort((x, y) => y.length - x.length)[0];
      if (typeof found === 'string') ctx.secrets.add(found);
      return typeof found === 'string' ? found : { error: `${scheme.issuer.id} answered ${ex.status || ex.error} without a ${scheme.prefix}… token` };
    })();
    cache.set(key, token);
  }
  return token;
}

