/**
 * Rate limits (DESIGN.md): authenticated routes `rateLimitAuthenticated` requests per minute per
 * API key (every access token issued for a key shares its bucket), public routes and requests
 * whose credential does not verify `rateLimitPublic` per minute per client IP. Counters live in
 * PostgreSQL (rate-limiter-flexible's PostgreSQL store, table `rate_limits`), so every worker and
 * every instance on one database enforces one limit together.
 *
 * Every response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
 * (Unix seconds); beyond the limit, `429 rate_limited` with `Retry-After`. A limit of 0 turns
 * that limiter off (load tests only): its responses then carry no rate-limit headers.
 */
import type { NextFunction, Request, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Pool } from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { authenticateRequest } from '../auth/index.ts';
import type { AppDeps } from '../deps.ts';
import { problemBody } from '../errors/problem.ts';
import { sendProblem } from '../errors/send.ts';
import { findOperation } from './spec.ts';

/** Length of a rate-limit window, in seconds. */
const WINDOW_SECONDS = 60;

/**
 * A PostgreSQL-backed limiter of `points` requests per window. Should the database fail, an
 * in-memory limiter of the same budget takes over in this process (rate-limiter-flexible's
 * insurance limiter), so a database hiccup neither answers 500 to everything nor lifts the limit.
 */
function limiter(pool: Pool, prefix: string, points: number): RateLimiterPostgres | undefined {
  if (points <= 0) return undefined;
  return new RateLimiterPostgres({
    insuranceLimiter: new RateLimiterMemory({ keyPrefix: prefix, points, duration: WINDOW_SECONDS }),
    storeClient: pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    // Created by the migrations (server/db/migrations/0003_rate_limits.sql).
    tableCreated: true,
    keyPrefix: prefix,
    points,
    duration: WINDOW_SECONDS,
  });
}

function setHeaders(res: Response, limit: number, result: RateLimiterRes): number {
  const resetSeconds = Math.ceil((Date.now() + Math.max(0, result.msBeforeNext)) / 1000);
  res.setHeader('X-RateLimit-Limit', String(limit));
  res.setHeader('X-RateLimit-Remaining', String(result.remainingPoints));
  res.setHeader('X-RateLimit-Reset', String(resetSeconds));
  return Math.max(1, Math.ceil(result.msBeforeNext / 1000));
}

/**
 * One middleware applying the right limiter to each request. Routes of the contract whose
 * security is `[]`, and everything outside the contract (docs, hosted pages), are public. On a
 * secured route the credential is verified first (`req.auth`), so the bucket is the verified
 * API key's, never a string an attacker can vary.
 */
export function rateLimits(deps: AppDeps) {
  const pool = (deps.db as unknown as { $client: Pool }).$client;
  const authLimit = deps.config.rateLimitAuthenticated;
  const publicLimit = deps.config.rateLimitPublic;
  const byKey = limiter(pool, 'key', authLimit);
  const byIp = limiter(pool, 'ip', publicLimit);
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const op = findOperation(req.method, req.path);
      if (op && !op.public) await authenticateRequest(deps, req);
      const [use, limit, key] = req.auth
        ? [byKey, authLimit, req.auth.credentialId]
        : [byIp, publicLimit, ipKeyGenerator(req.ip ?? 'unknown')];
      if (!use) return next();
      let result: RateLimiterRes;
      try {
        result = await use.consume(key);
      } catch (rejected) {
        if (!(rejected instanceof RateLimiterRes)) throw rejected;
        const retryAfter = setHeaders(res, limit, rejected);
        const body = problemBody(
          'rate_limited',
          `Rate limit of ${limit} requests per minute exceeded; retry in ${retryAfter} seconds.`,
          req.path,
          String(res.locals.requestId),
          undefined,
          { retryAfter },
        );
        sendProblem(res, body);
        return;
      }
      setHeaders(res, limit, result);
      next();
    } catch (err) {
      next(err);
    }
  };
}
