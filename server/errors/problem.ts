/**
 * RFC 9457 problem details: the one error shape of the API (`application/problem+json`).
 * Handlers and services throw {@link ProblemError}; the error middleware in `./middleware.ts`
 * turns it, and every other error, into a response.
 */
import { PROBLEM_CODES } from '../../generated/problem-codes.ts';
import type { components } from '../../generated/schema.d.ts';

/** The problem body as documented in the contract (`Problem` schema). */
export type Problem = components['schemas']['Problem'];
/** Stable machine code of a problem (`ProblemCode` schema). */
export type ProblemCode = components['schemas']['ProblemCode'];
/** One invalid input: `pointer` into the body, `parameter` or `header` (`ProblemFieldError`). */
export type FieldError = components['schemas']['ProblemFieldError'];

/** Status and title of every code, generated from the contract's `ProblemCode` schema. */
const TITLES: Readonly<Record<ProblemCode, { readonly status: number; readonly title: string }>> = PROBLEM_CODES;

/** The HTTP status the contract gives a problem `code` (e.g. `not_found` → 404). */
export function statusOf(code: ProblemCode): number {
  return TITLES[code].status;
}

/** Base of the `type` URIs; `<base><code>` documents each problem type. */
export const PROBLEM_TYPE_BASE = 'https://docs.tillpoint.dev/problems/';

/** Extra members allowed on a problem body (`paymentId` on 402, `retryAfter` on 429, `requiredScopes` on 403, `attemptsLeft` on 422 `otp_*`). */
export type ProblemExtras = Pick<Problem, 'paymentId' | 'retryAfter' | 'requiredScopes' | 'attemptsLeft'>;

/**
 * An error that becomes a problem details response with the status of its `code`. One with a
 * `challenge` is about a credential sent in a header (a payer's token): it is answered with that
 * `WWW-Authenticate` value and never stored as an idempotent response (the retry that carries
 * the right credential must run).
 */
export class ProblemError extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly extras: ProblemExtras = {},
    readonly challenge?: string,
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = TITLES[code].status;
  }

  /** Serialises this error for the request `instance` and `requestId`. */
  toProblem(instance: string, requestId: string): Problem {
    return problemBody(this.code, this.detail, instance, requestId, this.errors, this.extras);
  }
}

/** Builds a problem body for `code` (status and title derived from the code). */
export function problemBody(
  code: ProblemCode,
  detail: string,
  instance: string,
  requestId: string,
  errors?: FieldError[],
  extras: ProblemExtras = {},
): Problem {
  const { status, title } = TITLES[code];
  return {
    type: `${PROBLEM_TYPE_BASE}${code}`,
    title,
    status,
    detail,
    instance,
    code,
    requestId,
    ...(errors && errors.length > 0 ? { errors } : {}),
    ...extras,
  };
}

/** 400 `invalid_request` for one body field, e.g. `invalidField('/currency', 'must be …')`. */
export function invalidField(pointer: string, detail: string): ProblemError {
  return new ProblemError('invalid_request', `Invalid ${pointer.slice(1) || 'body'}: ${detail}`, [{ pointer, detail }]);
}

/** 404 `not_found` for an object the merchant cannot see (absent or another merchant's). */
export function notFound(kind: string, id: string): ProblemError {
  return new ProblemError('not_found', `No ${kind} ${id} exists for this merchant.`);
}
