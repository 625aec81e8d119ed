/**
 * The state of one conformance run shared by the checks: the spec, the HTTP client, the
 * merchants (credentials) the suite acts as, the objects it created, and what it observed
 * (statuses, protocol headers, rate limits).
 *
 * It also builds requests from the spec by generic rules: path parameters are satisfied by
 * creating (or listing) the objects their `pattern` names; example values equal to a credential
 * in the credential-issuing operation's examples are replaced by the suite's own credentials;
 * ids in examples are replaced by ids of objects the suite owns (also as the keys of a map whose
 * `propertyNames` name objects); identifiers the client chooses (a slug, a SKU) are made unique
 * per request; every operation that declares an `Idempotency-Key` gets a unique one.
 */
import { randomBytes } from 'node:crypto';
import type { Exchange, HttpClient, RecordedRequest } from './http.ts';
import { recordExchange, type Failure } from './report.ts';
import {
  describeIssues,
  documentedResponse,
  normalizeName,
  resolveSchema,
  type ConformanceSpec,
  type JsonSchema,
  type MediaSpec,
  type Operation,
  type ParamSpec,
} from './spec.ts';
import { coerceHeader, matchingBranch, synthesize } from './values.ts';

/** Options of a run (see the CLI for their meaning and defaults). */
export interface ConformanceOptions {
  /** Root URL of the target, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** Path of the bundled spec; default `generated/openapi.yaml`. */
  specPath?: string;
  /** Credential of the main merchant; default: one from the credential-issuing operation. */
  apiKey?: string;
  /** Its secret, for operations that exchange key and secret. */
  apiSecret?: string;
  /** Credential of a second merchant, for cross-merchant checks; default: a new one. */
  apiKey2?: string;
  /**
   * The `clientId` of an application of the `apiKey` merchant (and of the `apiKey2` one), for
   * operations requiring a header that stands for it (`X-Client-Id`); without it, with a given
   * key, those operations are n/a ("needs --client-id").
   */
  clientId?: string;
  clientId2?: string;
  /**
   * A client token of the main merchant's application (`ct_test_…`), for the scope checks, with
   * the scopes it holds in {@link clientTokenScopes}. Default: the suite creates the tokens it
   * needs through the contract's token-issuing operation (a sandbox), or those checks are n/a.
   */
  clientToken?: string;
  /** The scopes {@link clientToken} holds; default none (a token that no operation's scopes are satisfied by). */
  clientTokenScopes?: string[];
  /** Seed of the fuzzer; default random (printed in the report). */
  seed?: number;
  /** Fuzz budget: requests spread across operations; default 10,000. */
  requests?: number;
  /** Only these operationIds (prerequisites still use the others). */
  operations?: string[];
  /** Only operations with one of these tags. */
  tags?: string[];
  /** `true`: the target is a stateless mock; `false`: it is not; default: detected. */
  mock?: boolean;
  /** Smallest share of documented statuses that must be observed; default {@link DEFAULT_COVERAGE_THRESHOLD}. */
  coverageThreshold?: number;
  /** Per-request timeout in milliseconds; default 10,000. */
  timeoutMs?: number;
  /** Requests in flight during fuzzing; default 8. */
  concurrency?: number;
  /** Largest rate limit the suite exhausts on purpose to observe 429; default 1,000. */
  rateLimitProbeMax?: number;
  /** Progress callback (the CLI draws a progress line with it). */
  onProgress?: (progress: Progress) => void;
  /** Called at once with notices worth acting on during a long run (e.g. a low rate limit). */
  onNotice?: (message: string) => void;
}

/** Default of {@link ConformanceOptions.coverageThreshold}: see the README for how it was chosen. */
export const DEFAULT_COVERAGE_THRESHOLD = 0.6;

/** Where the run is. */
export interface Progress {
  phase: string;
  operationId?: string;
  done: number;
  total: number;
  requests: number;
}

/** A merchant the suite acts as. */
export interface Merchant {
  label: string;
  /** The credential sent (API key). */
  apiKey: string;
  /** Everything known about it (the credential-issuing operation's response, or the CLI options). */
  record: Record<string, unknown>;
}

/** A client token the suite holds, or why it has none (and the CLI options that would give one). */
export type ClientTokenResult = { token: string; scopes: string[]; parent?: Record<string, unknown> } | { error: string; needs: string[] };

/** Whether a token holding `held` has `scope` (`*` is every scope, `payments.*` every `payments.` one). */
export function holdsScope(held: string[], scope: string): boolean {
  return held.some((h) => h === scope || h === '*' || (h.endsWith('.*') && scope.startsWith(h.slice(0, -1))));
}

/** Whether a token holding `held` satisfies one of the security requirements `alternatives`. */
export function satisfiesScopes(held: string[], alternatives: string[][]): boolean {
  return alternatives.some((alt) => alt.every((scope) => holdsScope(held, scope)));
}

/**
 * A scope to give a client token that must not be able to call an operation requiring
 * `alternatives`: the first of the contract's `scopes` that no requirement of the operation names
 * (a scope of other operations), else one that satisfies no requirement alone; `undefined` when
 * every scope of the contract would do.
 */
export function lackingScope(scopes: string[], alternatives: string[][]): string | undefined {
  return scopes.find((s) => !alternatives.some((alt) => alt.includes(s))) ?? scopes.find((s) => !satisfiesScopes([s], alternatives));
}

/** An object the suite created. */
export interface Created {
  id: string;
  pattern: string;
  owner: string;
  operationId: string;
  /** Reusable by later requests; `false` for objects created for one request (it may delete them). */
  shared: boolean;
  /** The path parameters it was created under (a nested object's parent, e.g. `applicationId` of a token). */
  parents?: Record<string, string>;
  /** The creating response's body. */
  record?: Record<string, unknown>;
}

/** Whether an object created under `parents` can stand where the path parameters `given` are already set. */
function sameParents(parents: Record<string, string> | undefined, given: Record<string, string> | undefined): boolean {
  return Object.entries(given ?? {}).every(([name, value]) => parents?.[name] === undefined || parents[name] === value);
}

/** How a request authenticates. */
export type Auth = { kind: 'merchant'; merchant: Merchant } | { kind: 'none' } | { kind: 'raw'; headers: Record<string, string> };

/** The parts of a request before it is turned into a URL and headers. */
export interface RequestParts {
  pathParams: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  body?: { json: unknown; contentType?: string } | { text: string; contentType?: string };
}

/** A problem found in a response. */
export interface Issue {
  message: string;
  schemaPath?: string;
  instancePath?: string;
}

/** What the suite observed of one operation across the whole run. */
export interface Observation {
  statuses: Set<number>;
  headerChecks: number;
  headerFailureCount: number;
  headerFailures: Failure[];
}

const MAX_DEPTH = 5;

/** The shared state of a run. */
export class RunContext {
  readonly runId = randomBytes(6).toString('hex');
  private keyCounter = 0;
  readonly registry: Created[] = [];
  readonly observed = new Map<string, Observation>();
  /** `X-RateLimit-Limit` last seen, for public and for secured operations. */
  readonly rateLimit: { public?: number; secured?: number } = {};
  /** Known credential values: example value in the spec → field of the merchant record. */
  readonly credentialExamples = new Map<string, string>();
  /** Opaque tokens the target issued (e.g. next cursors), by operation and query parameter. */
  readonly issuedTokens = new Map<string, Record<string, string[]>>();
  /** Secrets to shorten in the report. */
  readonly secrets = new Set<string>();
  /** Client tokens by their sorted scopes (created once, shared by every check). */
  private readonly clientTokens = new Map<string, Promise<ClientTokenResult>>();
  /** Per merchant, the JSON object of the latest success (2xx) of each operation, by operationId: what it last made. */
  private readonly lastMade = new WeakMap<Merchant, Map<string, Record<string, unknown>>>();
  main!: Merchant;
  second: Merchant | undefined;
  mock = false;
  /** The public operation issuing credentials, when the target offers one. */
  credentialOp: Operation | undefined;
  /** Field of the credential-issuing response that holds the API key. */
  credentialField = 'apiKey';
  /**
   * Credential fields of a merchant record → the CLI option that provides them (e.g. `apiSecret`
   * → `--api-secret`): a request whose example holds one the merchant lacks cannot succeed, and
   * the checks that need it to are not applicable ("needs --api-secret").
   */
  readonly credentialFlags = new Map<string, string>();
  merchantCount = 0;

  /** @param spec the contract. @param http the client (its exchanges must be passed to {@link observe}). */
  constructor(
    readonly spec: ConformanceSpec,
    readonly http: HttpClient,
    readonly options: ConformanceOptions,
  ) {
    for (const op of spec.operations) this.observed.set(op.id, { statuses: new Set(), headerChecks: 0, headerFailureCount: 0, headerFailures: [] });
  }

  /** Shortens every known secret in `text` to its first 12 characters. */
  redact = (text: string): string => {
    let out = text;
    for (const s of this.secrets) if (s.length >= 16) out = out.split(s).join(`${s.slice(0, 12)}…`);
    return out;
  };

  /** A fresh `Idempotency-Key`, unique across runs. */
  uniqueKey(): string {
    return `conf-${this.runId}-${++this.keyCounter}`;
  }

  /** The operation with this id. */
  op(id: string): Operation | undefined {
    return this.spec.operations.find((o) => o.id === id);
  }

  // -------------------------------------------------------------------------------------------
  // Observation
  // -------------------------------------------------------------------------------------------

  /** Records an exchange: observed status, protocol headers, rate limit. */
  observe(exchange: Exchange): void {
    const op = this.op(exchange.operationId);
    const obs = this.observed.get(exchange.operationId);
    if (!op || !obs || exchange.status === 0) return;
    obs.statuses.add(exchange.status);
    if (op.list?.cursorParam && op.list.nextCursorProperty && exchange.isJson) {
      const token = (exchange.json as Record<string, unknown> | null)?.[op.list.nextCursorProperty];
      if (typeof token === 'string') {
        const tokens = this.issuedTokens.get(op.id) ?? {};
        const list = (tokens[op.list.cursorParam] ??= []);
        if (list.length < 5 && !list.includes(token)) list.push(token);
        this.issuedTokens.set(op.id, tokens);
      }
    }
    const limit = Number(exchange.headers['x-ratelimit-limit']);
    if (Number.isInteger(limit) && limit > 0) this.rateLimit[op.isPublic ? 'public' : 'secured'] = limit;
    const documented = documentedResponse(op, exchange.status);
    // A mock answers some errors on its own (not from the spec): only judge what it rendered from the spec.
    if (this.mock && !(documented?.content.some((m) => m.type === exchange.contentType) ?? false)) return;
    obs.headerChecks++;
    for (const name of this.spec.universalHeaders) {
      const value = exchange.headers[name];
      const header = documented?.headers.find((h) => h.name.toLowerCase() === name) ?? this.anyHeaderSpec(name);
      let problem: string | undefined;
      let schemaPath: string | undefined;
      if (value === undefined) problem = `missing header ${header?.name ?? name} (documented on every response)`;
      else if (header?.schemaPointer) {
        const issues = this.spec.validator.validate(header.schemaPointer, coerceHeader(value, header.schema));
        if (issues.length > 0) {
          problem = `header ${header.name}: ${JSON.stringify(value)} ${issues[0]!.message}`;
          schemaPath = issues[0]!.schemaPath;
        }
      }
      if (problem) {
        obs.headerFailureCount++;
        if (obs.headerFailures.length < 8) obs.headerFailures.push({ message: `${exchange.status}: ${problem}`, ...recordExchange(exchange, this.redact), ...(schemaPath ? { schemaPath } : {}) });
      }
    }
  }

  private anyHeaderSpec(lowerName: string) {
    for (const op of this.spec.operations) for (const r of op.responses) for (const h of r.headers) if (h.name.toLowerCase() === lowerName) return h;
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------------

  /** Headers (and query parameters) carrying a merchant's credential for `op`. */
  credentialFor(op: Operation, apiKey: string): { headers: Record<string, string>; query: [string, string][] } {
    const headers: Record<string, string> = {};
    const query: [string, string][] = [];
    for (const alternative of op.security.length > 0 ? op.security : (this.spec.doc.security ?? [])) {
      const schemes = Object.keys(alternative).map((n) => this.spec.securitySchemes[n]);
      if (schemes.length === 0 || schemes.some((s) => !s)) continue;
      const fillable = schemes.every((s) => (s!.type === 'apiKey' && s!.paramName) || (s!.type === 'http' && s!.scheme === 'bearer'));
      if (!fillable) continue;
      for (const s of schemes) {
        if (s!.type === 'http') headers.authorization = `Bearer ${apiKey}`;
        else if (s!.in === 'query') query.push([s!.paramName!, apiKey]);
        else if (s!.in === 'cookie') headers.cookie = `${s!.paramName}=${apiKey}`;
        else headers[s!.paramName!.toLowerCase()] = apiKey;
      }
      return { headers, query };
    }
    return { headers, query };
  }

  /** Turns request parts into what is sent. */
  toRequest(op: Operation, parts: RequestParts, auth: Auth): RecordedRequest {
    const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => encodeURIComponent(parts.pathParams[name] ?? `{${name}}`));
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...parts.headers };
    const query = [...parts.query];
    if (auth.kind === 'merchant') {
      const cred = this.credentialFor(op, auth.merchant.apiKey);
      Object.assign(headers, cred.headers);
      query.push(...cred.query);
    } else if (auth.kind === 'raw') Object.assign(headers, auth.headers);
    let body: string | undefined;
    if (parts.body) {
      if ('json' in parts.body) {
        body = JSON.stringify(parts.body.json);
        headers['content-type'] = parts.body.contentType ?? this.jsonMediaType(op);
      } else {
        body = parts.body.text;
        if (parts.body.contentType !== undefined) headers['content-type'] = parts.body.contentType;
      }
    }
    const qs = query.length > 0 ? `?${new URLSearchParams(query).toString()}` : '';
    return { method: op.method.toUpperCase(), url: this.http.url(`${path}${qs}`), headers, ...(body !== undefined ? { body } : {}) };
  }

  private jsonMediaType(op: Operation): string {
    return op.body?.json?.type ?? 'application/json';
  }

  /** Sends a request for `op` and records it. */
  async send(op: Operation, parts: RequestParts, auth: Auth, options: { retryRateLimited?: boolean } = {}): Promise<Exchange> {
    const ex = await this.http.send(op.id, this.toRequest(op, parts, auth), options);
    if (auth.kind === 'merchant' && ex.status >= 200 && ex.status < 300 && ex.json && typeof ex.json === 'object' && !Array.isArray(ex.json)) {
      let made = this.lastMade.get(auth.merchant);
      if (!made) this.lastMade.set(auth.merchant, (made = new Map()));
      made.set(op.id, ex.json as Record<string, unknown>);
    }
    return ex;
  }

  /** How `op` is authenticated for `merchant` (none on public operations). */
  authFor(op: Operation, merchant: Merchant): Auth {
    return op.isPublic ? { kind: 'none' } : { kind: 'merchant', merchant };
  }

  // -------------------------------------------------------------------------------------------
  // Merchants
  // -------------------------------------------------------------------------------------------

  /** Registers the credentials of a merchant as secrets and as substitutes for the spec's examples. */
  addMerchant(merchant: Merchant): Merchant {
    for (const [k, v] of Object.entries(merchant.record)) if (typeof v === 'string' && v.length >= 16 && /key|secret|token|password/i.test(k)) this.secrets.add(v);
    this.secrets.add(merchant.apiKey);
    return merchant;
  }

  /** Creates a merchant through the credential-issuing operation, or returns `undefined` if there is none. */
  async newMerchant(label: string): Promise<Merchant | undefined> {
    const op = this.credentialOp;
    if (!op) return undefined;
    const example = op.body?.json?.examples[0]?.value;
    const parts: RequestParts = { pathParams: {}, query: [], headers: {} };
    if (op.idempotencyHeader) parts.headers[op.idempotencyHeader] = this.uniqueKey();
    if (example !== undefined) parts.body = { json: example };
    const ex = await this.send(op, parts, { kind: 'none' });
    if (ex.status === 0) throw new Error(`cannot reach ${this.options.baseUrl}: ${ex.error ?? 'no response'}`);
    if (ex.status < 200 || ex.status > 299 || !ex.json || typeof ex.json !== 'object') return undefined;
    const record = ex.json as Record<string, unknown>;
    const apiKey = record[this.credentialField];
    if (typeof apiKey !== 'string') return undefined;
    this.merchantCount++;
    return this.addMerchant({ label, apiKey, record });
  }

  /**
   * Follows a credential change: when a response to `merchant`'s request carries a new value of a
   * credential field (e.g. a rotated API key), the merchant uses it from now on.
   */
  followCredentials(merchant: Merchant, exchange: Exchange): void {
    if (exchange.status < 200 || exchange.status > 299 || !exchange.json || typeof exchange.json !== 'object') return;
    const body = exchange.json as Record<string, unknown>;
    const fresh = body[this.credentialField];
    if (typeof fresh === 'string' && fresh !== merchant.apiKey && normalizeName(this.credentialField) !== 'id') {
      merchant.apiKey = fresh;
      merchant.record = { ...merchant.record, [this.credentialField]: fresh };
      this.secrets.add(fresh);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Client tokens
  // -------------------------------------------------------------------------------------------

  /** The token given with `--client-token`, and its scopes. */
  givenClientToken(): { token: string; scopes: string[] } | undefined {
    return this.options.clientToken ? { token: this.options.clientToken, scopes: [...(this.options.clientTokenScopes ?? [])].sort() } : undefined;
  }

  /**
   * A client token of the main merchant holding exactly `scopes`: the given one when its scopes
   * are these, else one created (once) through the contract's token-issuing operation on an
   * application of the main merchant (itself created as a prerequisite).
   */
  clientTokenWith(scopes: string[]): Promise<ClientTokenResult> {
    const wanted = [...new Set(scopes)].sort();
    const given = this.givenClientToken();
    if (given && given.scopes.join(' ') === wanted.join(' ')) return Promise.resolve(given);
    const key = wanted.join(' ');
    let result = this.clientTokens.get(key);
    if (!result) {
      result = this.mintClientToken(wanted);
      this.clientTokens.set(key, result);
    }
    return result;
  }

  private async mintClientToken(scopes: string[]): Promise<ClientTokenResult> {
    const issuer = this.spec.clientToken?.issuer;
    const needs = ['--client-token'];
    if (!issuer) return { error: 'the contract has no operation issuing client tokens', needs };
    const built = await this.buildParts(issuer.op, this.main, {});
    if ('error' in built) return { error: `cannot build a ${issuer.op.id} request: ${built.error}`, needs };
    const body = built.parts.body && 'json' in built.parts.body ? built.parts.body.json : undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: `${issuer.op.id} has no JSON object body to set ${issuer.scopesProperty} in`, needs };
    (body as Record<string, unknown>)[issuer.scopesProperty] = scopes;
    const ex = await this.send(issuer.op, built.parts, this.authFor(issuer.op, this.main));
    const token = (ex.json as Record<string, unknown> | undefined)?.[issuer.tokenProperty];
    if (ex.status < 200 || ex.status > 299 || typeof token !== 'string') {
      return { error: `${issuer.op.id} with ${issuer.scopesProperty} [${scopes.join(', ')}] answered ${ex.status || ex.error}`, needs };
    }
    this.secrets.add(token);
    // The object the token was issued under (its application), whose fields (a client id) stand
    // for header parameters of requests made with the token.
    const parentIds = Object.values(built.parts.pathParams);
    const parent = this.registry.find((c) => parentIds.includes(c.id))?.record;
    return { token, scopes, ...(parent ? { parent } : {}) };
  }

  /**
   * `parts` for a request made with a client token: header parameters that name a field of the
   * object the token was issued under (e.g. `X-Client-Id` → the application's `clientId`) take
   * that object's value instead of the merchant's.
   */
  asClientToken(op: Operation, parts: RequestParts, token: { token: string; parent?: Record<string, unknown> }): RequestParts {
    return token.parent ? this.withHeadersOf(op, parts, { label: 'client token', apiKey: token.token, record: token.parent }) : parts;
  }

  /**
   * `parts` with the header parameters that name a credential field (e.g. `X-Client-Id` →
   * `clientId`) taken from `holder` instead: for a request built as one merchant and sent as
   * another (the cross-merchant check), or with a client token.
   */
  withHeadersOf(op: Operation, parts: RequestParts, holder: Merchant): RequestParts {
    const headers = { ...parts.headers };
    for (const p of op.parameters.filter((x) => x.in === 'header' && x.name !== op.idempotencyHeader)) {
      const value = this.credentialValue(p.name, undefined, holder);
      if (value !== undefined) headers[p.name] = value;
    }
    return { ...parts, headers };
  }

  /**
   * A client token that must not be able to call `op` (it lists the client-token scheme): the
   * given one when its scopes satisfy none of the operation's requirements, else one created with
   * a single scope of the contract's other operations ({@link lackingScope}).
   * @returns the token, why there is none, or `{ notApplicable }` when no token can lack the scopes.
   */
  async clientTokenLacking(op: Operation): Promise<ClientTokenResult | { notApplicable: string }> {
    const alternatives = op.clientTokenScopes ?? [];
    if (alternatives.some((alt) => alt.length === 0)) return { notApplicable: 'the contract lets a client token with any scopes call it (a requirement without scopes)' };
    const given = this.givenClientToken();
    if (given && !satisfiesScopes(given.scopes, alternatives)) return given;
    // Candidates in order of preference; the next is tried when the target refuses to issue one.
    const candidates: string[] = [];
    let pool = this.spec.clientToken?.scopes ?? [];
    for (let scope = lackingScope(pool, alternatives); scope !== undefined && candidates.length < 3; scope = lackingScope(pool, alternatives)) {
      candidates.push(scope);
      pool = pool.filter((s) => s !== scope);
    }
    if (candidates.length === 0) return { notApplicable: `the contract names no scope besides ${describeAlternatives(alternatives)}, so no client token can lack them` };
    let result: ClientTokenResult = { error: 'no candidate scope', needs: ['--client-token'] };
    for (const scope of candidates) {
      result = await this.clientTokenWith([scope]);
      if (!('error' in result)) break;
    }
    if ('error' in result && given) return { error: `the given client token holds ${describeAlternatives([given.scopes])}, which the operation accepts, and ${result.error}`, needs: result.needs };
    return result;
  }

  /** A client token entitled to call `op`: the given one when its scopes suffice, else one with the scopes of its first requirement. */
  async clientTokenEntitled(op: Operation): Promise<ClientTokenResult> {
    const alternatives = op.clientTokenScopes ?? [[]];
    const given = this.givenClientToken();
    if (given && satisfiesScopes(given.scopes, alternatives)) return given;
    const result = await this.clientTokenWith(alternatives[0]!);
    if ('error' in result) return { ...result, needs: [`--client-token with --client-token-scopes ${alternatives[0]!.join(',') || '(none)'}`] };
    return result;
  }

  /** The strongest client token at hand, for operations that must refuse every one: all the contract's scopes, else the given one. */
  async clientTokenAny(): Promise<ClientTokenResult> {
    const all = await this.clientTokenWith(this.spec.clientToken?.scopes ?? []);
    if (!('error' in all)) return all;
    const given = this.givenClientToken();
    if (given) return given;
    // The target would not issue a token with every scope: any token it did issue will do.
    for (const other of this.clientTokens.values()) {
      const held = await other;
      if (!('error' in held)) return held;
    }
    let last: ClientTokenResult = all;
    for (const scope of (this.spec.clientToken?.scopes ?? []).slice(0, 3)) {
      last = await this.clientTokenWith([scope]);
      if (!('error' in last)) return last;
    }
    return last;
  }

  // -------------------------------------------------------------------------------------------
  // Prerequisites
  // -------------------------------------------------------------------------------------------

  /**
   * A value for the client-chosen identifier `example` (e.g. a slug) that no earlier request of
   * any run used: the example with the run id and a counter appended, when that still matches
   * `pattern`; else the example.
   */
  uniqueKeyValue(example: string, pattern: string): string {
    const suffix = `${this.runId}${++this.keyCounter}`;
    let re: RegExp;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      return example;
    }
    for (const candidate of [`${example}-${suffix}`, `${example}${suffix}`, `${example.slice(0, 16)}-${suffix}`]) if (re.test(candidate)) return candidate;
    return example;
  }

  /** Operations creating objects whose id (or client-chosen identifier) matches `pattern`, fewest path parameters first. */
  creatorsOf(pattern: string): Operation[] {
    return this.spec.operations
      .filter((o) => o.role === 'create' && (o.resourcePattern === pattern || o.keyProperties.some((k) => k.pattern === pattern)))
      .sort((a, b) => pathParamCount(a) - pathParamCount(b));
  }

  /** List operations whose items have ids matching `pattern`. */
  listersOf(pattern: string): Operation[] {
    return this.spec.operations.filter((o) => o.role === 'list' && o.list?.itemIdPattern === pattern).sort((a, b) => pathParamCount(a) - pathParamCount(b));
  }

  /** A `GET` returning the object named by its only path parameter, whose id matches `pattern`. */
  readerOf(pattern: string): Operation | undefined {
    return this.spec.operations.find(
      (o) => o.role === 'read' && o.resourcePattern === pattern && o.parameters.filter((p) => p.in === 'path').length === 1 && o.parameters.find((p) => p.in === 'path')!.resolved.pattern === pattern,
    );
  }

  /** Whether some operation creates or lists objects with ids matching `pattern`. */
  isResourcePattern(pattern: string): boolean {
    return this.creatorsOf(pattern).length > 0 || this.listersOf(pattern).length > 0;
  }

  /**
   * An id of an object matching `pattern` owned by `merchant`: a cached one unless `fresh`, else
   * a new one created by the first creating operation (with its example `variant`, or the first
   * example that succeeds), else an item of a list (`variant`-th).
   * @returns the id, or an explanation of why none could be obtained.
   */
  async obtainId(
    pattern: string,
    merchant: Merchant,
    options: { fresh?: boolean; variant?: number; depth?: number; given?: Record<string, string> } = {},
  ): Promise<string | { error: string }> {
    const depth = options.depth ?? 0;
    if (depth > MAX_DEPTH) return { error: `prerequisites nest deeper than ${MAX_DEPTH} levels for ${pattern}` };
    if (!options.fresh) {
      const cached = this.registry.find((c) => c.shared && c.pattern === pattern && c.owner === merchant.label && sameParents(c.parents, options.given));
      if (cached) return cached.id;
    }
    const reasons: string[] = [];
    for (const creator of this.creatorsOf(pattern)) {
      const made = await this.create(creator, merchant, { exampleIndex: options.variant, depth: depth + 1, shared: !options.fresh, given: options.given, pattern });
      if (typeof made === 'string') return made;
      reasons.push(made.error);
    }
    for (const lister of this.listersOf(pattern)) {
      const built = await this.buildParts(lister, merchant, { depth: depth + 1, given: options.given });
      if ('error' in built) {
        reasons.push(built.error);
        continue;
      }
      if (lister.list?.limitParam) built.parts.query.push([lister.list.limitParam, String(lister.list.limitMax ?? 20)]);
      const ex = await this.send(lister, built.parts, this.authFor(lister, merchant));
      const items = (ex.json as Record<string, unknown> | undefined)?.[lister.list!.dataProperty];
      if (ex.status >= 200 && ex.status < 300 && Array.isArray(items) && items.length > 0) {
        const item = items[(options.variant ?? 0) % items.length] as { id?: unknown };
        if (typeof item?.id === 'string') return item.id;
      }
      reasons.push(`${lister.id} listed no object (${ex.status})`);
    }
    if (reasons.length === 0) reasons.push(`no operation creates or lists objects whose id matches ${pattern}`);
    return { error: reasons.join('; ') };
  }

  /**
   * Creates an object with `op` for `merchant`: with example `exampleIndex`, or with each example
   * in turn until one succeeds.
   */
  async create(
    op: Operation,
    merchant: Merchant,
    options: { exampleIndex?: number; depth?: number; shared?: boolean; given?: Record<string, string>; pattern?: string } = {},
  ): Promise<string | { error: string }> {
    const count = Math.max(1, op.body?.json?.examples.length ?? 0);
    const indexes = options.exampleIndex !== undefined ? [options.exampleIndex % count] : [...Array(count).keys()];
    let last = '';
    for (const i of indexes) {
      const built = await this.buildParts(op, merchant, { fresh: true, example: i, depth: options.depth, given: options.given });
      if ('error' in built) return built;
      const ex = await this.send(op, built.parts, this.authFor(op, merchant));
      const json = ex.json as Record<string, unknown> | undefined;
      const id = json?.id;
      if (ex.status >= 200 && ex.status < 300 && typeof id === 'string') {
        const entry = {
          owner: merchant.label, operationId: op.id, shared: options.shared === true, parents: built.parts.pathParams,
          ...(ex.json && typeof ex.json === 'object' && !Array.isArray(ex.json) ? { record: ex.json as Record<string, unknown> } : {}),
        };
        this.registry.push({ ...entry, id, pattern: op.resourcePattern! });
        let result = id;
        for (const key of op.keyProperties) {
          const value = json?.[key.name];
          if (typeof value !== 'string') continue;
          this.registry.push({ ...entry, id: value, pattern: key.pattern });
          if (key.pattern === options.pattern) result = value;
        }
        return result;
      }
      last = `${op.id} answered ${ex.status || ex.error}`;
    }
    return { error: last };
  }

  /**
   * Builds a valid request for `op` as `merchant`, from the spec's examples:
   * - path parameters: objects of the merchant (new ones when `fresh`), those in `given` as given;
   *   a later one is obtained under the earlier ones (a token of the application in the path);
   * - query parameters: the required ones, and with `optionalQuery` every one with an example;
   * - headers: a unique Idempotency-Key, required headers from their examples;
   * - body: request example `example` (default the first), or none with `'none'`; with `raw`
   *   the example is sent exactly as documented (no credential or id substitution).
   */
  async buildParts(
    op: Operation,
    merchant: Merchant,
    options: {
      fresh?: boolean;
      example?: number | 'none';
      optionalQuery?: boolean;
      raw?: boolean;
      variant?: number;
      depth?: number;
      given?: Record<string, string>;
    } = {},
  ): Promise<{ parts: RequestParts; exampleName?: string; needs?: string[] } | { error: string }> {
    const parts: RequestParts = { pathParams: {}, query: [], headers: {} };
    const depth = options.depth ?? 0;
    /** CLI options of the credentials the request needs and the merchant lacks (their spec examples stay). */
    const missing = new Set<string>();
    for (const p of op.parameters.filter((x) => x.in === 'path')) {
      const pattern = typeof p.resolved.pattern === 'string' ? p.resolved.pattern : undefined;
      const given = options.given?.[p.name];
      if (given !== undefined) parts.pathParams[p.name] = given;
      else if (pattern && this.isResourcePattern(pattern)) {
        const id = await this.obtainId(pattern, merchant, { fresh: options.fresh, variant: options.variant, depth, given: { ...parts.pathParams } });
        if (typeof id !== 'string') return { error: `path parameter ${p.name}: ${id.error}` };
        parts.pathParams[p.name] = id;
      } else {
        const value = this.paramValue(p, merchant);
        if (value === undefined) return { error: `path parameter ${p.name} has no example and no operation provides it` };
        parts.pathParams[p.name] = value;
      }
    }
    // A read of what a prerequisite makes (a one-time code read back after it was sent) sends the
    // prerequisites first, and asks about what the latest of them made: an optional query
    // parameter named like a property of that object takes its value (none when it is null).
    const readsPrerequisite = !options.raw && op.method === 'get' && op.prerequisites.length > 0;
    if (readsPrerequisite) await this.sendPrerequisites(op, merchant, depth);
    const made = readsPrerequisite ? op.prerequisites.map((pre) => this.lastMade.get(merchant)?.get(pre.operationId)).find((m) => m !== undefined) : undefined;
    for (const p of op.parameters.filter((x) => x.in === 'query')) {
      if (!p.required && !options.optionalQuery) continue;
      if (p.name === op.list?.cursorParam) continue;
      if (!p.required && made && Object.hasOwn(made, p.name)) {
        const sent = made[p.name];
        if (typeof sent === 'string' || typeof sent === 'number') parts.query.push([p.name, String(sent)]);
        continue;
      }
      const value = await this.resolveParam(p, merchant, options.raw === true, depth, missing);
      if (value !== undefined) parts.query.push([p.name, value]);
      else if (p.required) return { error: `required query parameter ${p.name} has no example` };
    }
    for (const p of op.parameters.filter((x) => x.in === 'header')) {
      if (p.name === op.idempotencyHeader) {
        parts.headers[p.name] = this.uniqueKey();
        continue;
      }
      const credential = this.credentialValue(p.name, p.exampleValues[0], merchant, missing);
      if (credential !== undefined) parts.headers[p.name] = credential;
      else if (p.required) {
        const value = this.paramValue(p, merchant);
        if (value === undefined) return { error: `required header ${p.name} has no example` };
        parts.headers[p.name] = value;
      }
    }
    let exampleName: string | undefined;
    if (op.body && options.example !== 'none') {
      const media = op.body.json;
      if (media) {
        const index = options.example ?? 0;
        const example = media.examples[index % Math.max(1, media.examples.length)];
        exampleName = example?.name;
        let value = example ? structuredClone(example.value) : synthesize(this.spec, media.schema);
        if (!options.raw) {
          // The identifiers this request chooses itself are made unique, not looked up.
          const record = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
          const chosen: Record<string, string> = {};
          for (const key of op.keyProperties) {
            const current = record?.[key.name];
            if (typeof current === 'string') chosen[key.name] = this.uniqueKeyValue(current, key.pattern);
          }
          // A fresh create that documents a conflict (409) gets unique email addresses too: there
          // an address identifies what it creates (a payer), so the example's own would meet the
          // suite's earlier object rather than create a new one.
          if (options.fresh && op.role === 'create' && op.statuses.includes('409') && record) {
            const props = (resolveSchema(this.spec.doc, media.schema).properties ?? {}) as Record<string, unknown>;
            for (const [name, schema] of Object.entries(props)) {
              const current = record[name];
              if (typeof current === 'string' && resolveSchema(this.spec.doc, schema).format === 'email' && !(name in chosen)) {
                const at = current.lastIndexOf('@');
                if (at > 0) chosen[name] = `${current.slice(0, at)}+${this.runId}${++this.keyCounter}${current.slice(at)}`;
              }
            }
          }
          // A create's fresh request references fresh objects too: what it names may be consumed
          // by it (a quote pays one disbursement).
          value = await this.substitute(value, media.schema, merchant, depth, missing, { ...parts.pathParams }, new Set(Object.keys(chosen)), options.fresh === true && op.role === 'create');
          if (record) Object.assign(value as Record<string, unknown>, chosen);
        }
        parts.body = { json: value, contentType: media.type };
      } else if (op.body.required) {
        return { error: `the request body has no JSON media type (${op.body.media.map((m) => m.type).join(', ')})` };
      }
    }
    // Only for requests meant to succeed: on fresh state (positive checks, prerequisite objects);
    // reads of what a prerequisite makes sent theirs above.
    if (!options.raw && options.fresh && !readsPrerequisite) await this.sendPrerequisites(op, merchant, depth);
    return { parts, exampleName, ...(missing.size > 0 ? { needs: [...missing] } : {}) };
  }

  /** Sends the operation's `x-prerequisites` as `merchant` (their answers are observed like any other; a failure shows in `op`'s own answer). */
  private async sendPrerequisites(op: Operation, merchant: Merchant, depth: number): Promise<void> {
    for (const pre of op.prerequisites) {
      const target = this.op(pre.operationId);
      if (!target || target === op || depth > MAX_DEPTH) continue;
      const index = Math.max(0, target.body?.json?.examples.findIndex((e) => e.name === pre.example) ?? 0);
      const built = await this.buildParts(target, merchant, { example: index, depth: depth + 1 });
      if (!('error' in built)) await this.send(target, built.parts, this.authFor(target, merchant));
    }
  }

  /**
   * A value of `field` the merchant owns, read from the first list operation (no path parameter,
   * no required header) whose items carry a string `field`, e.g. its applications' `clientId`.
   */
  async discoverField(field: string, merchant: Merchant): Promise<string | undefined> {
    for (const op of this.spec.operations) {
      if (op.method !== 'get' || !op.list || op.parameters.some((p) => p.in === 'path' || (p.in === 'header' && p.required))) continue;
      const ex = await this.send(op, { pathParams: {}, query: [], headers: {} }, this.authFor(op, merchant));
      const items = (ex.json as Record<string, unknown> | undefined)?.[op.list.dataProperty];
      if (ex.status !== 200 || !Array.isArray(items)) continue;
      const value = items.map((i) => (i as Record<string, unknown>)?.[field]).find((v): v is string => typeof v === 'string');
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /**
   * The header parameters of `op` that carry one of `merchant`'s own values (e.g. `X-Client-Id`
   * and its `clientId`), by name: what a request on `merchant`'s behalf must send.
   */
  merchantHeaders(op: Operation, merchant: Merchant): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const p of op.parameters.filter((x) => x.in === 'header' && x.name !== op.idempotencyHeader)) {
      const value = this.credentialValue(p.name, p.exampleValues[0], merchant);
      if (value !== undefined) headers[p.name] = value;
    }
    return headers;
  }

  /**
   * The value of a credential field of `merchant` that stands for `example` (or is named like
   * `name`). A credential the spec's example stands for but the merchant lacks (e.g. its secret
   * when the run was given only `--api-key`) adds its CLI option to `missing`.
   */
  private credentialValue(name: string | undefined, example: unknown, merchant: Merchant, missing?: Set<string>): string | undefined {
    const field = typeof example === 'string' ? this.credentialExamples.get(example) : undefined;
    const byValue = field !== undefined ? merchant.record[field] : undefined;
    if (typeof byValue === 'string') return byValue;
    const flag = field !== undefined ? this.credentialFlags.get(field) : undefined;
    if (flag !== undefined) missing?.add(flag);
    if (name === undefined) return undefined;
    const wanted = normalizeName(name);
    const match = Object.entries(merchant.record).find(([k, v]) => typeof v === 'string' && normalizeName(k) === wanted && wanted !== 'id' && wanted !== 'name');
    return match ? (match[1] as string) : undefined;
  }

  private async resolveParam(p: ParamSpec, merchant: Merchant, raw: boolean, depth: number, missing: Set<string>): Promise<string | undefined> {
    const pattern = typeof p.resolved.pattern === 'string' ? p.resolved.pattern : undefined;
    if (!raw && pattern && this.isResourcePattern(pattern)) {
      const id = await this.obtainId(pattern, merchant, { depth: depth + 1 });
      if (typeof id === 'string') return id;
    }
    if (!raw) {
      const credential = this.credentialValue(p.name, p.exampleValues[0], merchant, missing);
      if (credential !== undefined) return credential;
    }
    return this.paramValue(p, merchant);
  }

  /** A parameter value from its examples, else synthesized from its schema. */
  private paramValue(p: ParamSpec, _merchant: Merchant): string | undefined {
    const example = p.exampleValues.find((v) => v !== undefined && v !== null && typeof v !== 'object');
    if (example !== undefined) return String(example);
    const value = synthesize(this.spec, p.resolved);
    return value === undefined || (typeof value === 'object' && value !== null) ? undefined : String(value);
  }

  /**
   * Replaces credentials and object ids in an example value by the merchant's own, including the
   * keys of a map whose `propertyNames` name objects (a cart `{sku: quantity}`), obtained under
   * the request's path parameters `given`.
   */
  private async substitute(
    value: unknown,
    schema: JsonSchema | undefined,
    merchant: Merchant,
    depth: number,
    missing: Set<string>,
    given: Record<string, string> = {},
    /** Top-level properties left as they are (the request's own chosen identifiers). */
    keep: ReadonlySet<string> = new Set(),
    /** Referenced objects are created afresh (a create's fresh request: a quote pays one disbursement). */
    fresh = false,
  ): Promise<unknown> {
    if (typeof value === 'string') {
      const credential = this.credentialValue(undefined, value, merchant, missing);
      if (credential !== undefined) return credential;
      const s = schema ? resolveSchema(this.spec.doc, schema) : undefined;
      const pattern = typeof s?.pattern === 'string' ? s.pattern : undefined;
      if (pattern && this.isResourcePattern(pattern)) {
        const id = await this.obtainId(pattern, merchant, { depth: depth + 1, given, fresh });
        if (typeof id === 'string') return id;
      }
      return value;
    }
    if (Array.isArray(value)) {
      const items = schema ? resolveSchema(this.spec.doc, schema).items : undefined;
      const out: unknown[] = [];
      for (const v of value) out.push(await this.substitute(v, items as JsonSchema | undefined, merchant, depth, missing, given, new Set(), fresh));
      return out;
    }
    if (value && typeof value === 'object') {
      const s = schema ? resolveSchema(this.spec.doc, schema) : undefined;
      const branch = s ? matchingBranch(this.spec, s, value) : undefined;
      const props = ((branch ?? s)?.properties ?? {}) as Record<string, JsonSchema>;
      const names = s?.propertyNames ? resolveSchema(this.spec.doc, s.propertyNames) : undefined;
      const keyPattern = typeof names?.pattern === 'string' && this.isResourcePattern(names.pattern) ? names.pattern : undefined;
      const additional = s && typeof s.additionalProperties === 'object' ? (s.additionalProperties as JsonSchema) : undefined;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (keep.has(k)) {
          out[k] = v;
          continue;
        }
        let key = k;
        if (keyPattern && !Object.hasOwn(props, k)) {
          const id = await this.obtainId(keyPattern, merchant, { depth: depth + 1, given });
          if (typeof id === 'string' && !Object.hasOwn(out, id)) key = id;
        }
        out[key] = await this.substitute(v, props[k] ?? additional, merchant, depth, missing, given, new Set(), fresh);
      }
      await this.fillOneTimeCode(out, props, merchant);
      return out;
    }
    return value;
  }

  /**
   * The contract's one-time codes, found by shape: a `GET` whose success body has a 6-digit
   * `code`-like property and whose query parameters name the destination (`email`,
   * `phoneNumber`) reads a code back (a sandbox helper); the `POST` whose body has exactly those
   * properties sends one. `undefined` when the contract has no such pair.
   */
  private otpFlow(): { send: Operation; readBack: Operation; codeProperty: string; pattern: string; destinations: string[] } | undefined {
    if (this.otpFlowCache !== null) return this.otpFlowCache;
    const doc = this.spec.doc;
    const propsOf = (schema: JsonSchema | undefined) => ((schema ? resolveSchema(doc, schema) : undefined)?.properties ?? {}) as Record<string, JsonSchema>;
    let found: ReturnType<RunContext['otpFlow']>;
    for (const readBack of this.spec.operations.filter((o) => o.method === 'get' && o.success)) {
      const destinations = readBack.parameters.filter((p) => p.in === 'query').map((p) => p.name);
      if (destinations.length === 0) continue;
      const entry = Object.entries(propsOf(readBack.success!.media.schema)).find(([name, sch]) => /code|otp/i.test(name) && resolveSchema(doc, sch).pattern === '^[0-9]{6}$');
      if (!entry) continue;
      const send = this.spec.operations.find((o) => {
        if (o.method !== 'post' || !o.body?.json) return false;
        const keys = Object.keys(propsOf(o.body.json.schema)).sort();
        return keys.length > 0 && keys.join(' ') === [...destinations].sort().join(' ');
      });
      if (send) found = { send, readBack, codeProperty: entry[0], pattern: '^[0-9]{6}$', destinations };
      if (found) break;
    }
    this.otpFlowCache = found;
    return found;
  }
  private otpFlowCache: ReturnType<RunContext['otpFlow']> | null = null;

  /**
   * In an object of a request body carrying a one-time code (a `otp`/`code`-like property of the
   * codes' pattern) next to its destination (an email), sends a code to a fresh destination
   * through the contract's sending operation, reads it back, and puts both in the object.
   */
  private async fillOneTimeCode(out: Record<string, unknown>, props: Record<string, JsonSchema>, merchant: Merchant): Promise<void> {
    const flow = this.otpFlow();
    if (!flow) return;
    const codeKey = Object.keys(out).find((k) => /otp|code/i.test(k) && props[k] && resolveSchema(this.spec.doc, props[k]).pattern === flow.pattern);
    if (!codeKey) return;
    const emailKey = flow.destinations.find((d) => /email/i.test(d) && typeof out[d] === 'string');
    if (!emailKey) return;
    // A fresh address per request: codes have a resend cooldown per destination.
    out[emailKey] = `conformance-${this.uniqueKey().replace(/[^A-Za-z0-9]/g, '').slice(-16).toLowerCase()}@example.com`;
    const to: Record<string, unknown> = { [emailKey]: out[emailKey] };
    for (const d of flow.destinations) if (d !== emailKey && typeof out[d] === 'string') to[d] = out[d];
    const sent = await this.send(flow.send, { pathParams: {}, query: [], headers: {}, body: { json: to } }, this.authFor(flow.send, merchant));
    if (sent.status < 200 || sent.status > 299) return;
    const query = Object.entries(to).map(([k, v]) => [k, String(v)] as [string, string]);
    const read = await this.send(flow.readBack, { pathParams: {}, query, headers: {} }, this.authFor(flow.readBack, merchant));
    const code = (read.json as Record<string, unknown> | undefined)?.[flow.codeProperty];
    if (read.status === 200 && typeof code === 'string') out[codeKey] = code;
  }

  // -------------------------------------------------------------------------------------------
  // Response validation
  // -------------------------------------------------------------------------------------------

  /**
   * What is wrong with a response to `op` according to the spec: an undocumented status, an
   * undocumented media type, a body that does not match the documented schema (with `strict`,
   * also undocumented properties), a documented header with an invalid value. With
   * `statusOnly`, only the status is judged (a mock's own error answers).
   */
  responseIssues(op: Operation, exchange: Exchange, options: { strict?: boolean; statusOnly?: boolean } = {}): Issue[] {
    if (exchange.status === 0) return [{ message: exchange.error ?? 'no response' }];
    const documented = documentedResponse(op, exchange.status);
    if (!documented) return [{ message: `status ${exchange.status} is not documented (documented: ${op.responses.map((r) => r.status).join(', ')})` }];
    if (options.statusOnly) return [];
    const issues: Issue[] = [];
    if (documented.content.length > 0) {
      const media = mediaFor(documented.content, exchange.contentType);
      if (!media) {
        issues.push({
          message: `content type ${exchange.contentType || '(none)'} is not documented for ${exchange.status} (documented: ${documented.content.map((m) => m.type).join(', ')})`,
        });
      } else if (media.schemaPointer) {
        if (/json/.test(media.type) && !exchange.isJson) issues.push({ message: `the ${exchange.status} body is not valid JSON` });
        else {
          const body = /json/.test(media.type) ? exchange.json : exchange.text;
          for (const i of this.spec.validator.validate(media.schemaPointer, body, { strict: options.strict !== false })) {
            issues.push({ message: `body ${i.instancePath || '(root)'} ${i.message}`, schemaPath: i.schemaPath, instancePath: i.instancePath });
          }
        }
      }
    }
    for (const h of documented.headers) {
      const value = exchange.headers[h.name.toLowerCase()];
      if (value === undefined) {
        if (h.required) issues.push({ message: `required header ${h.name} is missing` });
        continue;
      }
      if (!h.schemaPointer) continue;
      const bad = this.spec.validator.validate(h.schemaPointer, coerceHeader(value, h.schema));
      if (bad.length > 0) issues.push({ message: `header ${h.name}: ${JSON.stringify(value)} ${bad[0]!.message}`, schemaPath: bad[0]!.schemaPath });
    }
    return issues;
  }
}

/** `payments.read or events.read+payments.read` (`(no scope)` for an empty requirement). */
export function describeAlternatives(alternatives: string[][]): string {
  return alternatives.map((alt) => (alt.length === 0 ? '(no scope)' : alt.join('+'))).join(' or ');
}

/** Describes issues on one line. */
export function describe(issues: Issue[]): string {
  return issues.map((i) => i.message).join('; ');
}
export { describeIssues };

function pathParamCount(op: Operation): number {
  return op.parameters.filter((p) => p.in === 'path').length;
}

function mediaFor(content: MediaSpec[], contentType: string): MediaSpec | undefined {
  return (
    content.find((m) => m.type === contentType) ??
    content.find((m) => m.type.endsWith('/*') && contentType.startsWith(m.type.slice(0, -1))) ??
    content.find((m) => m.type === '*/*')
  );
}
