import { randomBase62 } from '../ids.ts';
import type { NextFunction, Request, Response } from 'express';

const ACCEPTED = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Gives every request an id (`req_…`, or the caller's own `X-Request-Id` when it is well formed)
 * and echoes it in the `X-Request-Id` response header.
 */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  const id = incoming && ACCEPTED.test(incoming) ? incoming : `req_${randomBase62(16)}`;
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
}
