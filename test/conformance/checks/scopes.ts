/**
 * Scope checks of client tokens (scoped bearer credentials of an application), derived from the
 * contract alone: the client-token scheme is the bearer scheme whose security requirements name
 * scopes (see spec.ts), an operation listing it may be called by a token holding the scopes of
 * one of those requirements, and every other secured operation refuses client tokens.
 *
 * - `security.insufficient-scope`: a token without the operation's scopes → `403` with problem
 *   `code: insufficient_scope`, a `requiredScopes`-like array naming (at least) the scopes of one
 *   of its requirements, and `WWW-Authenticate: Bearer … error="insufficient_scope",
 *   scope="<those scopes>"` (RFC 6750 §3.1);
 * - `security.scope-granted`: a token with the operation's scopes, on the positive check's
 *   request → neither `401` nor `403` (and a documented status);
 * - `security.client-token-refused`: on a secured operation that does not list the scheme, a
 *   token (with every scope of the contract when the suite can create one) → `403`;
 * - `security.client-token-invalid`: an unknown token of the same shape and a malformed one
 *   (`ct_test_` prefix) → `401` with `error="invalid_token"` in `WWW-Authenticate`.
 *
 * Tokens come from `--client-token` (with `--client-token-scopes`) or are created on the main
 * merchant through the contract's token-issuing operation; when neither is possible the checks
 * needing one are not applicable ("needs --client-token").
 */
import { randomBytes } from 'node:crypto';
import type { Exchange } from '../http.ts';
import { CheckRecorder, type CheckName, type CheckResult } from '../report.ts';
import { describeAlternatives, type ClientTokenResult, type Merchant, type RunContext } from '../context.ts';
import { documentedResponse, resolveSchema, typesOf, type Operation } from '../spec.ts';
import { PAYER_TOKEN } from './positive.ts';
import { expectStatus, lookalike } from './security.ts';

/** A parsed `WWW-Authenticate` challenge: the auth scheme (lowercased) and its auth-params (names lowercased). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses the first challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1), e.g.
 * `Bearer realm="tillpoint", error="insufficient_scope", scope="a b"` →
 * `{ scheme: 'bearer', params: { realm: 'tillpoint', error: 'insufficient_scope', scope: 'a b' } }`.
 * Quoted strings are unescaped; `undefined` for an absent or empty header.
 */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  const text = header?.trim();
  if (!text) return undefined;
  const scheme = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)/.exec(text)?.[1];
  if (!scheme) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const m of text.slice(scheme.length).matchAll(re)) params[m[1]!.toLowerCase()] ??= m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  return { scheme: scheme.toLowerCase(), params };
}

/** The name of the array property of the 403 problem listing the scopes (`requiredScopes` by default). */
export function requiredScopesMember(ctx: RunContext, op: Operation): string {
  const media = documentedResponse(op, 403)?.content.find((m) => /json/.test(m.type));
  const props = media?.schema ? ((resolveSchema(ctx.spec.doc, media.schema).properties ?? {}) as Record<string, unknown>) : {};
  return Object.keys(props).find((name) => /scope/i.test(name) && typesOf(ctx.spec.doc, props[name])?.has('array')) ?? 'requiredScopes';
}

/** Marks `rec` not applicable when the check cannot run on `op`; `true` when it can. */
function applicable(ctx: RunContext, rec: CheckRecorder, op: Operation, wants: 'listing' | 'not-listing'): boolean {
  const ct = ctx.spec.clientToken;
  if (op.isPublic) rec.notApplicable('public operation (security: [])');
  else if (!ct) rec.notApplicable('the contract declares no client-token scheme');
  else if (ctx.mock) rec.notApplicable('a stateless mock does not verify credentials');
  else if (wants === 'listing' && !op.clientTokenScopes) rec.notApplicable(`does not accept client tokens (its security lists no ${ct.scheme}; see security.client-token-refused)`);
  else if (wants === 'not-listing' && op.clientTokenScopes) rec.notApplicable(`accepts client tokens (its security lists ${ct.scheme})`);
  return rec.result().status !== 'not_applicable';
}

/** Records a token the suite could not get as "needs …"; `true` when there is a token. */
function haveToken(rec: CheckRecorder, token: ClientTokenResult | { notApplicable: string }): token is { token: string; scopes: string[] } {
  if ('notApplicable' in token) rec.notApplicable(token.notApplicable);
  else if ('error' in token) rec.needsCredential(token.needs, `no client token could be created (${token.error})`);
  return 'token' in token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function scopesText(scopes: string[]): string {
  return scopes.length === 0 ? 'no scope' : scopes.join(' ');
}

async function requestFor(ctx: RunContext, rec: CheckRecorder, op: Operation, merchant: Merchant, fresh: boolean) {
  const built = await ctx.buildParts(op, merchant, { fresh });
  if ('error' in built) {
    rec.fail(`cannot build a request: ${built.error}`);
    return undefined;
  }
  return built;
}

/** A client token lacking the operation's scopes gets `403 insufficient_scope` naming them, in the body and in `WWW-Authenticate`. */
export async function insufficientScopeCheck(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult> {
  const rec = new CheckRecorder('security.insufficient-scope', ctx.redact);
  if (!applicable(ctx, rec, op, 'listing')) return rec.result();
  const token = await ctx.clientTokenLacking(op);
  if (!haveToken(rec, token)) return rec.result();
  const built = await requestFor(ctx, rec, op, merchant, false);
  if (!built) return rec.result();
  const alternatives = op.clientTokenScopes!;
  const what = `a client token with ${scopesText(token.scopes)} (the operation needs ${describeAlternatives(alternatives)})`;
  const ex = await ctx.send(op, ctx.asClientToken(op, built.parts, token), { kind: 'raw', headers: bearer(token.token) });
  expectStatus(ctx, rec, op, ex, 403, what);
  if (ex.status === 403) judgeInsufficientScope(ctx, rec, op, ex, alternatives, what);
  rec.note(`403 insufficient_scope for a token with ${scopesText(token.scopes)}, naming ${describeAlternatives(alternatives)}`);
  return rec.result();
}

/** The body and challenge of a `403` answered to a token lacking `alternatives`. */
function judgeInsufficientScope(ctx: RunContext, rec: CheckRecorder, op: Operation, ex: Exchange, alternatives: string[][], what: string): void {
  const covers = (named: string[]) => alternatives.some((alt) => alt.every((s) => named.includes(s)));
  const body = ex.json as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') rec.fail(`${what}: the 403 has no JSON problem body`, ex);
  else {
    if (body.code !== 'insufficient_scope') rec.fail(`${what}: the problem's code is ${JSON.stringify(body.code)}, expected "insufficient_scope"`, ex);
    const member = requiredScopesMember(ctx, op);
    const listed = body[member];
    if (!Array.isArray(listed) || !listed.every((s) => typeof s === 'string')) rec.fail(`${what}: the problem has no ${member} array of scopes`, ex);
    else if (!covers(listed as string[])) rec.fail(`${what}: ${member} ${JSON.stringify(listed)} does not name ${describeAlternatives(alternatives)}`, ex);
  }
  const header = ex.headers['www-authenticate'];
  const challenge = parseChallenge(header);
  if (!challenge) rec.fail(`${what}: the 403 has no WWW-Authenticate challenge (RFC 6750 §3)`, ex);
  else {
    if (challenge.scheme !== 'bearer') rec.fail(`${what}: WWW-Authenticate ${JSON.stringify(header)} is not a Bearer challenge`, ex);
    if (challenge.params.error !== 'insufficient_scope') rec.fail(`${what}: WWW-Authenticate ${JSON.stringify(header)} lacks error="insufficient_scope"`, ex);
    const scope = challenge.params.scope;
    if (scope === undefined) rec.fail(`${what}: WWW-Authenticate ${JSON.stringify(header)} lacks scope="…"`, ex);
    else if (!covers(scope.split(/\s+/).filter(Boolean))) rec.fail(`${what}: WWW-Authenticate scope="${scope}" does not name ${describeAlternatives(alternatives)}`, ex);
  }
}

/** A client token holding the operation's scopes is let through: the positive check's request answers neither 401 nor 403. */
export async function scopeGrantedCheck(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult> {
  const rec = new CheckRecorder('security.scope-granted', ctx.redact);
  if (!applicable(ctx, rec, op, 'listing')) return rec.result();
  if (op.payerScopes) {
    rec.needsCredential([PAYER_TOKEN], 'without the payer\'s token, a granted client token is still 401 for the missing payer (x-payer-scopes)');
    return rec.result();
  }
  const token = await ctx.clientTokenEntitled(op);
  if (!haveToken(rec, token)) return rec.result();
  const built = await requestFor(ctx, rec, op, merchant, op.method !== 'get');
  if (!built) return rec.result();
  if (built.needs) {
    rec.needsCredential(built.needs, 'its requests carry a credential the run was not given');
    return rec.result();
  }
  const ex = await ctx.send(op, ctx.asClientToken(op, built.parts, token), { kind: 'raw', headers: bearer(token.token) });
  rec.requests++;
  const what = `a client token with ${scopesText(token.scopes)}`;
  if (ex.status === 401 || ex.status === 403) rec.fail(`${what} was refused: ${ex.status} (the contract lets it call the operation)`, ex);
  else for (const issue of ctx.responseIssues(op, ex, { statusOnly: true })) rec.fail(`${what}: ${issue.message}`, ex);
  rec.note(`${ex.status} for a token with ${scopesText(token.scopes)}`);
  return rec.result();
}

/** A secured operation whose security does not list the client-token scheme refuses a client token with 403. */
export async function clientTokenRefusedCheck(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult> {
  const rec = new CheckRecorder('security.client-token-refused', ctx.redact);
  if (!applicable(ctx, rec, op, 'not-listing')) return rec.result();
  const token = await ctx.clientTokenAny();
  if (!haveToken(rec, token)) return rec.result();
  const built = await requestFor(ctx, rec, op, merchant, false);
  if (!built) return rec.result();
  const ex = await ctx.send(op, ctx.asClientToken(op, built.parts, token), { kind: 'raw', headers: bearer(token.token) });
  // Should a faulty target let the token change the account (e.g. rotate the key), follow it.
  if (op.role === 'account') ctx.followCredentials(merchant, ex);
  expectStatus(ctx, rec, op, ex, 403, `a client token with ${scopesText(token.scopes)}`);
  rec.note(`403 for a client token with ${scopesText(token.scopes)}`);
  return rec.result();
}

/** Forged client tokens (unknown of the same shape, malformed) get 401 with `error="invalid_token"`. */
export async function clientTokenInvalidCheck(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult> {
  const rec = new CheckRecorder('security.client-token-invalid', ctx.redact);
  if (!applicable(ctx, rec, op, 'listing')) return rec.result();
  const built = await requestFor(ctx, rec, op, merchant, false);
  if (!built) return rec.result();
  const sample = ctx.options.clientToken ?? ctx.spec.clientToken?.exampleToken ?? `ct_test_${randomBytes(16).toString('hex')}`;
  const forged = lookalike(sample);
  const prefix = forged.slice(0, forged.lastIndexOf('_') + 1) || 'ct_test_';
  const cases: [string, string][] = [
    ['an unknown client token of the same shape', forged],
    ['a malformed client token', `${prefix}not-a-valid-token`],
  ];
  for (const [what, token] of cases) {
    const ex = await ctx.send(op, built.parts, { kind: 'raw', headers: bearer(token) });
    expectStatus(ctx, rec, op, ex, 401, what);
    if (ex.status !== 401) continue;
    const header = ex.headers['www-authenticate'];
    const challenge = parseChallenge(header);
    if (challenge?.params.error !== 'invalid_token') rec.fail(`${what}: WWW-Authenticate ${JSON.stringify(header ?? null)} lacks error="invalid_token" (RFC 6750 §3.1)`, ex);
  }
  rec.note(`401 invalid_token for ${cases.length} forged client tokens`);
  return rec.result();
}

/** The scope checks of one operation, in report order. */
export async function scopeChecks(ctx: RunContext, op: Operation, merchant: Merchant): Promise<CheckResult[]> {
  return [
    await insufficientScopeCheck(ctx, op, merchant),
    await scopeGrantedCheck(ctx, op, merchant),
    await clientTokenRefusedCheck(ctx, op, merchant),
    await clientTokenInvalidCheck(ctx, op, merchant),
  ];
}

/** Names of the scope checks. */
export const SCOPE_CHECKS: CheckName[] = ['security.insufficient-scope', 'security.scope-granted', 'security.client-token-refused', 'security.client-token-invalid'];
