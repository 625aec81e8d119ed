/**
 * The one writer of problem responses. Every `application/problem+json` the server sends — from
 * the validator, from a handler's `ProblemError`, from the rate limiter, from authentication, or
 * replayed from the idempotency store — gets its headers here, so a 401 always carries
 * `WWW-Authenticate` and a 429 always carries `Retry-After`.
 */
import type { Response } from 'express';
import type { Problem } from './problem.ts';

/** The challenge of every 401 (RFC 9110 §11.6.1, RFC 6750 §3). */
export const WWW_AUTHENTICATE = 'Bearer realm="tillpoint"';

/**
 * Sets the headers a problem response carries: `Content-Type: application/problem+json`,
 * `WWW-Authenticate` on a 401, `Retry-After` (seconds, from the body's `retryAfter`) on a 429,
 * then `extraHeaders` (e.g. `Allow` on a 405), which win over the derived ones.
 * @param problem the body about to be sent (a stored one too: only `status` and `retryAfter` are read).
 */
export function setProblemHeaders(res: Response, problem: Pick<Problem, 'status' | 'retryAfter'>, extraHeaders: Record<string, string> = {}): void {
  res.type('application/problem+json');
  if (problem.status === 401) res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
  if (problem.status === 429 && typeof problem.retryAfter === 'number') res.setHeader('Retry-After', String(problem.retryAfter));
  for (const [name, value] of Object.entries(extraHeaders)) res.setHeader(name, value);
}

/**
 * Sends `problem` with its status and the headers of {@link setProblemHeaders}. The body is
 * serialised directly (not through `res.json`), so it bypasses response validation: an error
 * answer can never recurse into the error middleware.
 */
export function sendProblem(res: Response, problem: Problem, extraHeaders: Record<string, string> = {}): void {
  setProblemHeaders(res, problem, extraHeaders);
  res.status(problem.status).send(JSON.stringify(problem));
}
