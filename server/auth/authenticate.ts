/**
 * Authentication of secured operations. express-openapi-validator calls one security handler per
 * scheme of the contract (`apiKey`: `x-api-key` header; `bearerAuth`: `Authorization: Bearer`,
 * carrying an access token or the API key itself); the first credential that verifies sets
 * `req.auth`. Failures become `401 unauthenticated` problems.
 */
import type { Request } from 'express';
import type { AppDeps } from '../deps.ts';
import { digestsEqual, hashSecret, looksLikeApiKey } from './credentials.ts';
import { verifyAccessToken } from './jwt.ts';
import { findActiveKeyByHash, findActiveKeyById } from './repository.ts';
import type { AuthContext } from './context.ts';

export type { AuthContext };

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

/**
 * Verifies one credential: an API key (hash lookup, constant-time compare, not expired) or an
 * access token (signature, expiry, and its API key still active). A credential verified in the
 * last few seconds comes from the process's cache (see `./cache.ts` for the bounds).
 * @returns the caller, or `null` when the credential is unknown, expired or rotated out.
 */
export async function verifyCredential(deps: AppDeps, credential: string): Promise<AuthContext | null> {
  // Credential lifetimes run on the real clock (see AppDeps.realNow).
  const now = deps.realNow();
  const cached = deps.credentialCache?.get(credential, now);
  if (cached) return cached;
  const verifiedSince = deps.credentialCache?.clock() ?? 0;
  let auth: AuthContext;
  let validUntil: Date | null;
  if (looksLikeApiKey(credential)) {
    const hash = hashSecret(credential);
    const found = await findActiveKeyByHash(deps.db, hash, now);
    if (!found || !digestsEqual(found.key.keyHash, hash)) return null;
    auth = { merchantId: found.merchant.id, merchantName: found.merchant.name, apiKeyId: found.key.id, via: 'api_key' };
    validUntil = found.key.expiresAt;
  } else {
    const claims = await verifyAccessToken(deps.signingKey, credential, now);
    if (!claims) return null;
    const found = await findActiveKeyById(deps.db, claims.apiKeyId, claims.merchantId, now);
    if (!found) return null;
    auth = { merchantId: found.merchant.id, merchantName: found.merchant.name, apiKeyId: found.key.id, via: 'access_token' };
    validUntil = found.key.expiresAt && found.key.expiresAt < claims.expiresAt ? found.key.expiresAt : claims.expiresAt;
  }
  deps.credentialCache?.set(credential, auth, validUntil, verifiedSince);
  return auth;
}

/** The raw credential a request carries in `x-api-key` or `Authorization: Bearer`, if any. */
export function credentialOf(req: Request): string | undefined {
  const header = req.get('x-api-key');
  if (header) return header.trim();
  return bearerTokenOf(req);
}

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerTokenOf(req: Request): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
}

/**
 * Verifies the request's credential, if it carries one, and sets `req.auth` (before rate limits,
 * so that a verified caller is limited per API key). A credential that does not verify leaves
 * `req.auth` unset; the validator's security step then answers 401.
 */
export async function authenticateRequest(deps: AppDeps, req: Request): Promise<void> {
  if (req.auth) return;
  const credential = credentialOf(req);
  if (!credential) return;
  const auth = await verifyCredential(deps, credential);
  if (auth) req.auth = auth;
}

/** Security handlers for express-openapi-validator, one per scheme in the contract. */
export function securityHandlers(deps: AppDeps) {
  const check = async (req: Request, credential: string | undefined) => {
    if (req.auth) return true;
    if (!credential) return false;
    const auth = await verifyCredential(deps, credential);
    if (!auth) return false;
    req.auth = auth;
    return true;
  };
  return {
    apiKey: (req: Request) => check(req, req.get('x-api-key')?.trim()),
    // When both headers are sent, x-api-key is the credential (the one rate limits count).
    bearerAuth: async (req: Request) => req.get('x-api-key') === undefined && check(req, bearerTokenOf(req)),
  };
}
