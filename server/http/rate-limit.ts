/**
 * Rate limits (DESIGN.md): authenticated routes `rateLimitAuthenticated` requests per minute per
 * credential, public routes `rateLimitPublic` per minute per client IP. Implemented with
 * express-rate-limit; every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
 * `X-RateLimit-Reset` (Unix seconds); beyond the limit, `429 rate_limited` with `Retry-After`.
 */
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { ipKeyGenerator, rateLimit, type RateLimitRequestHandler } from 'express-rate-limit';
import { credentialOf } from '../auth/authenticate.ts';
import type { AppConfig } from '../deps.ts';
import { problemBody } from '../errors/problem.ts';
import { sendProblem } from '../errors/send.ts';
import { findOperation } from './spec.ts';

const WINDOW_MS = 60_000;

function limiter(limit: number, key: (req: Request) => string): RateLimitRequestHandler {
  return rateLimit({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: false,
    legacyHeaders: true,
    keyGenerator: key,
    handler: (req, res) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + WINDOW_MS) - Date.now()) / 1000));
      const body = problemBody(
        'rate_limited',
        `Rate limit of ${limit} requests per minute exceeded; retry in ${retryAfter} seconds.`,
        req.path,
        String(res.locals.requestId),
        undefined,
        { retryAfter },
      );
      sendProblem(res, body);
    },
  });
}

const byIp = (req: Request) => `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`;

/**
 * One middleware applying the right limiter to each request: routes of the contract whose
 * security is `[]` and everything outside the contract (docs, hosted pages) are public.
 */
export function rateLimits(config: AppConfig) {
  const publicLimiter = limiter(config.rateLimitPublic, byIp);
  const authLimiter = limiter(config.rateLimitAuthenticated, (req) => {
    const credential = credentialOf(req);
    return credential ? `cred:${createHash('sha256').update(credential).digest('base64url')}` : byIp(req);
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const op = findOperation(req.method, req.path);
    return (op && !op.public ? authLimiter : publicLimiter)(req, res, next);
  };
}
