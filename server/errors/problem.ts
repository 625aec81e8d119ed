/**
 * RFC 9457 problem details: the one error shape of the API (`application/problem+json`).
 * Handlers and services throw {@link ProblemError}; the error middleware in `./middleware.ts`
 * turns it, and every other error, into a response.
 */
import type { components } from '../../generated/schema.d.ts';

/** The problem body as documented in the contract (`Problem` schema). */
export type Problem = components['schemas']['Problem'];
/** Stable machine code of a problem (`ProblemCode` schema). */
export type ProblemCode = components['schemas']['ProblemCode'];
/** One invalid input: `pointer` into the body, `parameter` or `header` (`ProblemFieldError`). */
export type FieldError = components['schemas']['ProblemFieldError'];

const TITLES: Record<ProblemCode, [status: number, title: string]> = {
  invalid_request: [400, 'Invalid request'],
  malformed_json: [400, 'Malformed JSON'],
  unauthenticated: [401, 'Unauthenticated'],
  invalid_credentials: [401, 'Invalid credentials'],
  card_declined: [402, 'Card declined'],
  insufficient_funds: [402, 'Insufficient funds'],
  payment_failed: [402, 'Payment failed'],
  insufficient_scope: [403, 'Insufficient scope'],
  not_found: [404, 'Not found'],
  method_not_allowed: [405, 'Method not allowed'],
  idempotency_request_in_progress: [409, 'Request in progress'],
  invalid_state: [409, 'Invalid state'],
  unsupported_media_type: [415, 'Unsupported media type'],
  idempotency_key_reused: [422, 'Idempotency key reused'],
  amount_too_small: [422, 'Amount too small'],
  refund_exceeds_payment: [422, 'Refund exceeds payment'],
  rate_limited: [429, 'Too many requests'],
  internal_error: [500, 'Internal error'],
};

/** Base of the `type` URIs; `<base><code>` documents each problem type. */
export const PROBLEM_TYPE_BASE = 'https://docs.tillpoint.dev/problems/';

/** Extra members allowed on a problem body (`paymentId` on 402, `retryAfter` on 429). */
export type ProblemExtras = Pick<Problem, 'paymentId' | 'retryAfter'>;

/** An error that becomes a problem details response with the status of its `code`. */
export class ProblemError extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = TITLES[code][0];
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
  const [status, title] = TITLES[code];
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
