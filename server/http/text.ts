/**
 * Text PostgreSQL cannot store. JSON strings may hold U+0000 and unpaired UTF-16 surrogates
 * (`"\u0000"`, `"\ud800"`), which are valid per the contract's schemas but rejected by
 * PostgreSQL (`text`: invalid byte sequence; `jsonb`: unsupported Unicode escape) or silently
 * replaced by U+FFFD. Such input is refused up front with `400 invalid_request` naming the field,
 * before anything is written (and before the idempotent response is stored as `jsonb`).
 */
import type { NextFunction, Request, Response } from 'express';
import { ProblemError, type FieldError } from '../errors/problem.ts';

/** U+0000, or a surrogate that is not part of a pair. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function escapeSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The first string (or property name) in a JSON value that PostgreSQL cannot store, as a field
 * error whose pointer names it (its object's pointer when the property name itself is at fault,
 * so that the error can be stored and returned).
 */
export function findUnstorableText(value: unknown, pointer = ''): FieldError | undefined {
  if (typeof value === 'string') {
    return UNSTORABLE.test(value) ? { pointer, detail: 'must not contain U+0000 or unpaired UTF-16 surrogates' } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorableText(value[i], `${pointer}/${i}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (UNSTORABLE.test(key)) return { pointer, detail: 'property names must not contain U+0000 or unpaired UTF-16 surrogates' };
      const found = findUnstorableText(child, `${pointer}/${escapeSegment(key)}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Rejects a request body holding text PostgreSQL cannot store.
 * @throws ProblemError 400 `invalid_request` naming the first such field.
 */
export function assertStorableText(body: unknown): void {
  const found = findUnstorableText(body);
  if (found) throw new ProblemError('invalid_request', `Invalid ${found.pointer ? `body${found.pointer}` : 'body'}: ${found.detail}.`, [found]);
}

/**
 * Express middleware applying {@link assertStorableText} to every parsed JSON body (mounted in
 * app.ts after the validator, so that it covers every operation).
 */
export function storableText(req: Request, _res: Response, next: NextFunction): void {
  try {
    assertStorableText(req.body);
    next();
  } catch (err) {
    next(err);
  }
}
