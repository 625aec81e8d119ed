/**
 * Authorization of secured operations, driven by the generated operation index (`scopes`,
 * `requiresClientId`), before the validator sees the request:
 *
 * - no credential → 401 `unauthenticated`, `WWW-Authenticate: Bearer realm="tillpoint"`;
 * - a credential that does not verify (unknown, malformed or bad checksum, expired, revoked,
 *   rotated out) → 401 with `error="invalid_token"` (RFC 6750 §3.1);
 * - a client token on an operation that no client token may call (empty `scopes`), or without
 *   its scopes (and without `*`) → 403 `insufficient_scope` with `requiredScopes` and
 *   `error="insufficient_scope", scope="…"`;
 * - on an operation requiring `X-Client-Id`: missing → 400 `missing_client_id` (before the
 *   validator's generic 400), not one of the caller's applications, or not the client token's
 *   own → 403 `invalid_client_id`.
 */
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { problemBody, type FieldError, type Problem, type ProblemCode } from '../errors/problem.ts';
import { sendProblem, WWW_AUTHENTICATE } from '../errors/send.ts';
import { findOperation } from '../http/spec.ts';
import { authenticateRequest, credentialOf } from './authenticate.ts';
import { hasScopes, type AuthContext } from './context.ts';

/** What a refusal needs to be written: its code, detail and extras. */
export interface Refusal {
  code: ProblemCode;
  detail: string;
  errors?: FieldError[];
  requiredScopes?: Scope[];
  /** The `WWW-Authenticate` challenge, when the refusal has one. */
  challenge?: string;
}

/** A scope of the vocabulary (`Scope` schema); the generator checks every operation's scopes are. */
type Scope = NonNullable<Problem['requiredScopes']>[number];

/** The facts of an operation this module reads (from `generated/operations.ts`). */
export interface OperationAccess {
  public: boolean;
  scopes: readonly string[];
  requiresClientId: boolean;
}

/** The challenge of a 403 `insufficient_scope` naming `scopes`. */
export function insufficientScopeChallenge(scopes: readonly string[]): string {
  return `${WWW_AUTHENTICATE}, error="insufficient_scope", scope="${scopes.join(' ')}"`;
}

/** The refusal of a verified caller on `op` for lack of scope, or `undefined` when allowed. */
export function scopeRefusal(op: OperationAccess, auth: AuthContext): Refusal | undefined {
  if (auth.via !== 'client_token') return undefined;
  const requiredScopes = [...op.scopes] as Scope[];
  if (requiredScopes.length === 0) {
    return {
      code: 'insufficient_scope',
      detail: 'This operation needs a secret API key (or its access token); client tokens cannot call it.',
      requiredScopes,
      challenge: insufficientScopeChallenge(requiredScopes),
    };
  }
  if (hasScopes(auth, requiredScopes)) return undefined;
  return {
    code: 'insufficient_scope',
    detail: `This client token lacks the scope this operation needs: ${requiredScopes.join(', ')}.`,
    requiredScopes,
    challenge: insufficientScopeChallenge(requiredScopes),
  };
}

/**
 * The `X-Client-Id` rule of an operation that requires the header.
 * @param header the header's value, if sent.
 * @param applicationOf resolves a client id to the id of the caller's application with it.
 * @returns the refusal, or `undefined` when the header names the caller's application.
 */
export async function clientIdRefusal(
  op: Pick<OperationAccess, 'requiresClientId'>,
  header: string | undefined,
  auth: AuthContext,
  applicationOf: (clientId: string) => Promise<string | undefined>,
): Promise<Refusal | undefined> {
  if (!op.requiresClientId) return undefined;
  if (header === undefined || header.trim() === '') {
    return {
      code: 'missing_client_id',
      detail: 'This operation requires the X-Client-Id header: the clientId of one of your applications.',
      errors: [{ header: 'x-client-id', detail: 'is required' }],
    };
  }
  const clientId = header.trim();
  const applicationId = /^[0-9a-z]{32}$/.test(clientId) ? await applicationOf(clientId) : undefined;
  if (!applicationId) {
    return { code: 'invalid_client_id', detail: 'X-Client-Id is not the clientId of one of your applications.', errors: [{ header: 'x-client-id', detail: 'is not one of your applications' }] };
  }
  if (auth.via === 'client_token' && auth.applicationId !== applicationId) {
    return { code: 'invalid_client_id', detail: "X-Client-Id is not the client token's application.", errors: [{ header: 'x-client-id', detail: "is not the client token's application" }] };
  }
  return undefined;
}

/** Writes a refusal with the shared problem writer. */
function refuse(res: Response, req: Request, refusal: Refusal): void {
  const body: Problem = problemBody(refusal.code, refusal.detail, req.path, String(res.locals.requestId), refusal.errors, {
    ...(refusal.requiredScopes ? { requiredScopes: refusal.requiredScopes } : {}),
  });
  sendProblem(res, body, refusal.challenge ? { 'WWW-Authenticate': refusal.challenge } : {});
}

/**
 * The middleware applying the rules of the file comment to every secured operation of the contract.
 * @param find the operation of a request (default: the route table of the generated index; tests
 *   pass a fake entry, e.g. one with `requiresClientId`).
 */
export function authorize(deps: AppDeps, find: (method: string, path: string) => OperationAccess | undefined = findOperation) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const op = find(req.method, req.path);
      if (!op || op.public) return next();
      await authenticateRequest(deps, req);
      const auth = req.auth;
      if (!auth) {
        const presented = credentialOf(req) !== undefined;
        return refuse(res, req, {
          code: 'unauthenticated',
          detail: presented
            ? 'The credential is unknown, malformed, expired or revoked.'
            : 'Send a valid API key in the x-api-key header, or a bearer token in Authorization.',
          challenge: presented ? `${WWW_AUTHENTICATE}, error="invalid_token"` : WWW_AUTHENTICATE,
        });
      }
      const refusal =
        scopeRefusal(op, auth) ??
        (await clientIdRefusal(op, req.get('x-client-id'), auth, async (clientId) => deps.ports.applications?.applicationOfClientId(deps.db, auth.merchantId, clientId)));
      if (refusal) return refuse(res, req, refusal);
      next();
    } catch (err) {
      next(err);
    }
  };
}
