/**
 * The last middleware: turns every error into a problem details response. Validation errors from
 * express-openapi-validator get one `errors[]` entry per input with a JSON pointer into the body
 * (or the parameter/header name); anything unexpected is logged and answered with a 500 that
 * leaks nothing.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { findUnstorableText } from '../http/text.ts';
import { ProblemError, problemBody, statusOf, type FieldError, type Problem, type ProblemCode } from './problem.ts';
import { sendProblem } from './send.ts';

interface ValidatorError {
  status?: number;
  statusCode?: number;
  type?: string;
  message?: string;
  errors?: { path?: string; message?: string; errorCode?: string }[];
  /** Response headers the validator asks for, e.g. `Allow` on a 405. */
  headers?: Record<string, string>;
}

/** The `Allow` header value of a 405 from the validator (`get, post` → `GET, POST`), if any. */
function allowedMethods(err: unknown): string | undefined {
  const allow = (err as ValidatorError | null)?.headers?.Allow;
  return typeof allow === 'string' && allow ? allow.toUpperCase() : undefined;
}

/**
 * Maps a validator error path (`/body/amount`, `/query/limit`, `/params/sessionId`,
 * `/headers/idempotency-key`) to a field error. express-openapi-validator reports path
 * parameters under `/params/…`.
 */
export function fieldErrorFromPath(path: string, detail: string): FieldError {
  const [, where = '', ...rest] = path.split('/');
  const name = rest.join('/');
  if (where === 'body') return { pointer: name ? `/${name}` : '', detail };
  if (where === 'query' || where === 'path' || where === 'params') return { parameter: rest[0] ?? name, detail };
  if (where === 'headers') return { header: (rest[0] ?? name).toLowerCase(), detail };
  return { pointer: '', detail };
}

/**
 * The problem code of each status express-openapi-validator (or body-parser) can raise. Checked
 * against the generated table when this module loads: each code must carry that status, except a
 * 413 (body too large), which the contract answers as a 400 `invalid_request`.
 */
const VALIDATOR_CODES: Readonly<Record<number, ProblemCode>> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'insufficient_scope',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'invalid_request',
  415: 'unsupported_media_type',
};
for (const [status, code] of Object.entries(VALIDATOR_CODES)) {
  const expected = status === '413' ? 400 : Number(status);
  if (statusOf(code) !== expected) throw new Error(`VALIDATOR_CODES: ${code} has status ${statusOf(code)} in the contract, not ${expected}`);
}

/**
 * PostgreSQL SQLSTATEs of text it cannot store: U+0000 in `text` (22021) or in `jsonb` (22P05).
 * They are raised by the statement writing the input, so the transaction rolled back and nothing
 * was written: the request, not the server, is at fault.
 */
const UNSTORABLE_TEXT_CODES = new Set(['22021', '22P05']);

/** The SQLSTATE of a database error, looking through wrapping errors (`cause`). */
export function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/**
 * Drops an `int32`/`int64` format failure when the same input has another failure (1.5 is both
 * "must be integer" and "must match format int32"): the contract gives every integer a format
 * (OWASP API4), and one reason per input is what a client needs.
 */
function withoutRedundantIntegerFormats<E extends { path?: string; message?: string }>(errors: E[]): E[] {
  const isIntegerFormat = (x: E) => /format "int(32|64)"/.test(x.message ?? '');
  return errors.filter((x) => !isIntegerFormat(x) || !errors.some((o) => o !== x && o.path === x.path && !isIntegerFormat(o)));
}

function toProblem(err: unknown, req: Request, requestId: string, log: Logger): Problem {
  const instance = req.path;
  if (err instanceof ProblemError) return err.toProblem(instance, requestId);
  const state = sqlState(err);
  if (state && UNSTORABLE_TEXT_CODES.has(state)) {
    // Safety net for routes that do not check their input with assertStorableText (server/http/text.ts).
    const field = findUnstorableText(req.body) ?? { pointer: '', detail: 'must not contain U+0000' };
    return problemBody('invalid_request', `Invalid ${field.pointer ? `body${field.pointer}` : 'body'}: ${field.detail}.`, instance, requestId, [field]);
  }
  const e = (err ?? {}) as ValidatorError;
  if (e.type === 'entity.parse.failed') {
    return problemBody('malformed_json', 'The request body could not be parsed as JSON.', instance, requestId, [{ pointer: '', detail: 'invalid JSON' }]);
  }
  if (e.type === 'entity.too.large') {
    return problemBody('invalid_request', 'The request body is larger than 100 kB.', instance, requestId, [{ pointer: '', detail: 'body too large' }]);
  }
  const status = e.status ?? e.statusCode ?? 500;
  const code = VALIDATOR_CODES[status];
  if (code === 'invalid_request') {
    const errors = withoutRedundantIntegerFormats(e.errors ?? []).map((x) => fieldErrorFromPath(x.path ?? '', x.message ?? 'is invalid'));
    const detail = errors.length === 1 ? `Invalid input: ${describe(errors[0]!)}.` : `The request has ${errors.length} invalid inputs.`;
    return problemBody(code, detail, instance, requestId, errors);
  }
  if (code === 'unauthenticated') {
    return problemBody(code, 'Send a valid API key in the x-api-key header, or a bearer token in Authorization.', instance, requestId);
  }
  if (code === 'not_found') return problemBody(code, `No route ${req.method} ${req.path}.`, instance, requestId);
  if (code === 'method_not_allowed') return problemBody(code, `${req.method} is not allowed on ${req.path}.`, instance, requestId);
  if (code === 'unsupported_media_type') return problemBody(code, 'Send the request body as application/json.', instance, requestId);
  log.error({ err }, 'unhandled error');
  return problemBody('internal_error', 'An unexpected error occurred. Quote the request id when contacting support.', instance, requestId);
}

function describe(e: FieldError): string {
  const where = e.pointer !== undefined ? `body${e.pointer}` : (e.parameter ?? e.header ?? '');
  return `${where} ${e.detail}`;
}

/** Express error middleware producing `application/problem+json`. */
export function problemMiddleware(log: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const problem = toProblem(err, req, String(res.locals.requestId), log);
    // RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
    const allow = problem.status === 405 ? allowedMethods(err) : undefined;
    const challenge = err instanceof ProblemError ? err.challenge : undefined;
    // sendProblem bypasses response validation, so a validation failure cannot recurse here.
    sendProblem(res, problem, { ...(allow ? { Allow: allow } : {}), ...(challenge ? { 'WWW-Authenticate': challenge } : {}) });
  };
}
