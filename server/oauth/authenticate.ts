/**
 * Verifies a registered payer's OAuth access token sent in `X-Payer-Token` next to the
 * merchant's credential (after `authorize` verified the merchant's) and sets `req.payer`:
 *
 * - no header, or no verified merchant (authorization already answered): nothing to do;
 * - a value that is not shaped like an access token: left to the validator (400 naming the header);
 * - a bad checksum, or a token that is unknown, expired, revoked, of a revoked grant, or issued
 *   to another merchant's application → 401 `unauthenticated` with
 *   `WWW-Authenticate: Bearer realm="tillpoint-payer", error="invalid_token"`.
 *
 * Token lifetimes run on the real clock (`deps.realNow`), like every credential's.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { problemBody } from '../errors/problem.ts';
import { sendProblem } from '../errors/send.ts';
import { PAYER_CHALLENGE, type PayerContext } from './context.ts';
import * as repo from './repository.ts';
import { hashToken, hasTokenShape, isWellFormedToken } from './tokens.ts';

declare module 'express-serve-static-core' {
  interface Request {
    payer?: PayerContext;
  }
}

/**
 * The payer an access token acts for, if it verifies for `merchantId` at `now`.
 * @returns `null` for a malformed, unknown, expired or revoked token or another merchant's.
 */
export async function verifyPayerToken(db: Executor, token: string, merchantId: string, now: Date): Promise<PayerContext | null> {
  if (!isWellFormedToken('oat', token)) return null;
  const found = await repo.findLiveAccessToken(db, hashToken(token), now);
  if (!found || found.grant.merchantId !== merchantId) return null;
  return { userId: found.grant.userId, applicationId: found.grant.applicationId, scopes: found.scopes };
}

/** The middleware of the file comment. */
export function payerAuthentication(deps: AppDeps) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const token = req.get('x-payer-token')?.trim();
      if (token === undefined || !req.auth || !hasTokenShape('oat', token)) return next();
      const payer = await verifyPayerToken(deps.db, token, req.auth.merchantId, deps.realNow());
      if (!payer) {
        const body = problemBody('unauthenticated', "The payer's access token (X-Payer-Token) is unknown, expired or revoked.", req.path, String(res.locals.requestId));
        return sendProblem(res, body, { 'WWW-Authenticate': `${PAYER_CHALLENGE}, error="invalid_token"` });
      }
      req.payer = payer;
      next();
    } catch (err) {
      next(err);
    }
  };
}
