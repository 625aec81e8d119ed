/**
 * Assertions on RFC 9457 problem answers, shared by every family's tests: status, stable
 * `code`, media type, `type` URI, `X-Request-Id` and the field pointers of `errors[]`.
 */
import { expect } from 'vitest';
import type { components } from '../../generated/schema.d.ts';

export type Problem = components['schemas']['Problem'];

/** What a typed-client call or a wrapped raw fetch resolves to. */
export interface Result {
  response: Response;
  data?: unknown;
  error?: unknown;
}

/** Wraps a raw fetch response so it can go through {@link expectProblem}. */
export async function asResult(response: Response): Promise<Result> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the assertions below will fail on it
  }
  return response.ok ? { response, data: body } : { response, error: body };
}

/**
 * Asserts an RFC 9457 problem answer with `status` and `code` and returns its body. Checks the
 * media type, the `type` URI, `X-Request-Id` and, except for idempotent replays (whose body is the
 * stored one), that `requestId` equals that header.
 */
export function expectProblem(r: Result, status: number, code: string, options: { replayed?: boolean } = {}): Problem {
  expect(r.response.status, `expected ${status} ${code}, got ${r.response.status}: ${JSON.stringify(r.error ?? r.data)}`).toBe(status);
  expect(r.response.headers.get('content-type') ?? '').toMatch(/^application\/problem\+json/);
  const problem = r.error as Problem;
  expect(problem).toMatchObject({ status, code, type: expect.stringMatching(new RegExp(`${code}$`)), title: expect.any(String) });
  const requestId = r.response.headers.get('x-request-id');
  expect(requestId).toMatch(/\S/);
  if (!options.replayed) expect(problem.requestId).toBe(requestId);
  return problem;
}

/** Asserts a `400 invalid_request` whose `errors[]` point at `pointer` in the body. */
export function expectInvalidBody(r: Result, pointer: string, code = 'invalid_request'): Problem {
  const problem = expectProblem(r, 400, code);
  expect(problem.errors?.map((e) => e.pointer), JSON.stringify(problem.errors)).toContain(pointer);
  return problem;
}

/** Asserts a `400 invalid_request` naming the path or query parameter `parameter`. */
export function expectInvalidParameter(r: Result, parameter: string): Problem {
  const problem = expectProblem(r, 400, 'invalid_request');
  expect(problem.errors?.map((e) => e.parameter), JSON.stringify(problem.errors)).toContain(parameter);
  return problem;
}
