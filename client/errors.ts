import type { components } from '../generated/schema.d.ts';

/** An RFC 9457 problem document as Tillpoint returns it (`application/problem+json`). */
export type Problem = components['schemas']['Problem'];

/** One invalid input of a `400 invalid_request`: exactly one of `pointer`, `parameter` or `header` says where. */
export type ProblemFieldError = components['schemas']['ProblemFieldError'];

/**
 * The stable, machine-readable error code of a {@link TillpointError}: one of the documented
 * `ProblemCode` values, `'unknown'` when the error body was not a problem document (an HTML page
 * from a proxy, an empty body…), or a code added to the API after this client was generated.
 */
export type TillpointErrorCode = components['schemas']['ProblemCode'] | 'unknown' | (string & {});

/**
 * An error answer from the Tillpoint API (any status outside 2xx), thrown by {@link unwrap} and by
 * the access-token exchange of the auth middleware.
 *
 * Built from the RFC 9457 problem document when there is one; otherwise `code` is `'unknown'`,
 * `problem` is `undefined` and `status` still holds the HTTP status.
 *
 * @example
 * ```ts
 * try {
 *   unwrap(await tillpoint.POST('/v1/payments', { body }));
 * } catch (err) {
 *   if (err instanceof TillpointError && err.code === 'card_declined') { … }
 * }
 * ```
 */
export class TillpointError extends Error {
  override name = 'TillpointError';
  /** HTTP status code of the response (e.g. `402`). */
  readonly status: number;
  /** The problem's stable `code` (e.g. `'card_declined'`), or `'unknown'` for a non-problem body. */
  readonly code: TillpointErrorCode;
  /** The full problem document, or `undefined` when the body was not one. */
  readonly problem: Problem | undefined;
  /** The request id (`problem.requestId`, else the `X-Request-Id` response header), to quote to support. */
  readonly requestId: string | undefined;
  /** Invalid inputs of a `400 invalid_request` (`pointer` into the body, `parameter` or `header`); empty otherwise. */
  readonly errors: ProblemFieldError[];
  /**
   * The scopes a `403` asks for, e.g. `['payments.create']` when a client token without that scope
   * called `createPayment`: the problem's `requiredScopes`, else the `scope="…"` parameter of the
   * `WWW-Authenticate: Bearer … error="insufficient_scope", scope="…"` header (RFC 6750 §3),
   * split at spaces. Empty when the answer names none (any other error).
   */
  readonly requiredScopes: string[];
  /** The raw `WWW-Authenticate` response header (the challenge of a `401` or `403`), if any. */
  readonly wwwAuthenticate: string | undefined;

  /**
   * Prefer {@link TillpointError.fromResponse}; this constructor is for tests and custom transports.
   * @param status HTTP status code.
   * @param problem The parsed problem document, if the body was one.
   * @param requestId Used when the problem has no `requestId` (e.g. the `X-Request-Id` header).
   * @param wwwAuthenticate The `WWW-Authenticate` response header, from which `requiredScopes` is
   *   read when the problem does not list them.
   */
  constructor(status: number, problem?: Problem, requestId?: string, wwwAuthenticate?: string) {
    const code: TillpointErrorCode = problem?.code ?? 'unknown';
    const reqId = problem?.requestId ?? requestId;
    const errors = problem?.errors ?? [];
    const scopes = requiredScopesOf(problem, wwwAuthenticate);
    super(formatMessage(status, code, problem, errors, reqId, scopes));
    this.status = status;
    this.code = code;
    this.problem = problem;
    this.requestId = reqId;
    this.errors = errors;
    this.requiredScopes = scopes;
    this.wwwAuthenticate = wwwAuthenticate;
  }

  /**
   * `true` for a `403` saying the credential is valid but lacks a scope the operation needs (code
   * `insufficient_scope`, or `error="insufficient_scope"` in `WWW-Authenticate`): typically a
   * client token without the scope; {@link TillpointError.requiredScopes} says which scopes to
   * grant. `false` for any other error.
   */
  get isInsufficientScope(): boolean {
    if (this.status !== 403) return false;
    return this.code === 'insufficient_scope' || authParams(this.wwwAuthenticate).error === 'insufficient_scope';
  }

  /**
   * Builds the error from an error body (already parsed, as openapi-fetch returns it in `error`)
   * and its response. Never throws.
   * @param body The parsed JSON body, or the raw text when it was not JSON, or `undefined`.
   * @param response The HTTP response; its status and `X-Request-Id` header are used.
   */
  static fromResponse(body: unknown, response: Response): TillpointError {
    const requestId = response.headers.get('x-request-id') ?? undefined;
    const challenge = response.headers.get('www-authenticate') ?? undefined;
    return new TillpointError(response.status, isProblem(body) ? body : undefined, requestId, challenge);
  }
}

/**
 * Returns `data` of an openapi-fetch result, or throws when the API answered with an error.
 *
 * @param result What a client method (`tillpoint.GET(…)`, `tillpoint.POST(…)`…) resolves to:
 *   `{ data, error, response }`.
 * @returns The typed success body (`undefined` for a `204`).
 * @throws {TillpointError} When the response status is not 2xx, with `status`, `code`, `problem`,
 *   `requestId` and field `errors`; `code` is `'unknown'` if the body was not a problem document.
 */
export function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(result: R): SuccessData<R> {
  if (result.error !== undefined || !result.response.ok) {
    throw TillpointError.fromResponse(result.error, result.response);
  }
  return result.data as SuccessData<R>;
}

/** The `data` type of the success branch of an openapi-fetch result. */
export type SuccessData<R> = R extends { data: infer D } ? D : never;

/** `true` when `body` looks like a Tillpoint problem document (an object with a string `code`). */
export function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string';
}

function formatMessage(
  status: number,
  code: string,
  problem: Problem | undefined,
  errors: ProblemFieldError[],
  requestId: string | undefined,
  requiredScopes: string[],
): string {
  const text = problem ? (problem.detail ?? problem.title) : 'the response body is not a problem document';
  const fields = errors.map((e) => `${fieldName(e)}: ${e.detail}`).join('; ');
  return (
    `${status} ${code}: ${text}` +
    (fields ? ` [${fields}]` : '') +
    (requiredScopes.length > 0 ? ` (requires scope ${requiredScopes.join(' ')})` : '') +
    (requestId ? ` (request ${requestId})` : '')
  );
}

function fieldName(e: ProblemFieldError): string {
  if (e.pointer !== undefined) return e.pointer === '' ? '(body)' : e.pointer;
  if (e.parameter !== undefined) return `parameter ${e.parameter}`;
  if (e.header !== undefined) return `header ${e.header}`;
  return '(unknown field)';
}

/** `requiredScopes` of the problem (strings only), else the `scope` of the challenge. */
function requiredScopesOf(problem: Problem | undefined, wwwAuthenticate: string | undefined): string[] {
  const listed = (problem as { requiredScopes?: unknown } | undefined)?.requiredScopes;
  if (Array.isArray(listed)) {
    const scopes = listed.filter((s): s is string => typeof s === 'string' && s !== '');
    if (scopes.length > 0) return scopes;
  }
  const scope = authParams(wwwAuthenticate).scope;
  return scope ? scope.split(/\s+/).filter(Boolean) : [];
}

/**
 * The auth-params of a `WWW-Authenticate` challenge (`Bearer realm="tillpoint", error="…",
 * scope="a b"` → `{ realm, error, scope }`), names lowercased, quoted strings unescaped.
 */
function authParams(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  const re = /([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const m of header.matchAll(re)) out[m[1]!.toLowerCase()] ??= m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  return out;
}
