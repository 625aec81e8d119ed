/**
 * Authentication of secured operations. The credential is verified once, early
 * ({@link authenticateRequest}, called by the rate limiter and by `./authorize.ts`), and sets
 * `req.auth`: a secret API key (`x-api-key`, or `Authorization: Bearer sk_…`), an access token of
 * one (`Bearer <JWT>`), or a client token of an application (`Bearer ct_…`). `./authorize.ts`
 * answers 401/403 from there; express-openapi-validator's security handlers (one per scheme of
 * the contract) only accept what was verified.
 */
import type { Request } from 'express';
import type { AppDeps } from '../deps.ts';
import { digestsEqual, hashSecret, isClientTokenLike, looksLikeApiKey, looksLikeClientToken } from './credentials.ts';
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
 * Verifies one credential: an API key (hash lookup, constant-time compare, not expired), a client
 * token (checksum checked offline first, then hash lookup, constant-time compare, not revoked or
 * expired; through `deps.ports.applications`) or an access token (signature, expiry, and its API
 * key still active). A credential verified in the
 * last few seconds comes from the process's cache (see `./cache.ts` for the bounds).
 * @returns the caller, or `null` when the credential is unknown, expired or rotated out.
 */
export async function verifyCredential(deps: AppDeps, credential: string): Promise<AuthContext | null> {
  // Credential lifetimes run on the real clock (see AppDeps.realNow).
  const now = deps.realNow();
  const cached = deps.credentialCache?.get(credential, now);
  if (cached) {
    if (cached.via === 'client_token') deps.ports.applications?.tokenUsed(deps, cached.credentialId, now);
    return cached;
  }
  const verifiedSince = deps.credentialCache?.clock() ?? 0;
  let auth: AuthContext;
  let validUntil: Date | null;
  if (isClientTokenLike(credential)) {
    // A bad checksum is refused before any database access.
    if (!looksLikeClientToken(credential) || !deps.ports.applications) return null;
    const verified = await deps.ports.applications.verifyClientToken(deps.db, credential, now);
    if (!verified) return null;
    ({ auth, validUntil } = verified);
    deps.ports.applications.tokenUsed(deps, auth.credentialId, now);
  } else if (looksLikeApiKey(credential)) {
    const hash = hashSecret(credential);
    const found = await findActiveKeyByHash(deps.db, hash, now);
    if (!found || !digestsEqual(found.key.keyHash, hash)) return null;
    auth = keyContext(found.merchant, found.key.id, 'api_key');
    validUntil = found.key.expiresAt;
  } else {
    const claims = await verifyAccessToken(deps.signingKey, credential, now);
    if (!claims) return null;
    const found = await findActiveKeyById(deps.db, claims.apiKeyId, claims.merchantId, now);
    if (!found) return null;
    auth = keyContext(found.merchant, found.key.id, 'access_token');
    validUntil = found.key.expiresAt && found.key.expiresAt < claims.expiresAt ? found.key.expiresAt : claims.expiresAt;
  }
  deps.credentialCache?.set(credential, auth, validUntil, verifiedSince);
  return auth;
}

/** The caller of a secret API key or its access token: every scope, no application. */
function keyContext(merchant: { id: string; name: string }, keyId: string, via: 'api_key' | 'access_token'): AuthContext {
  return { merchantId: merchant.id, merchantName: merchant.name, via, credentialId: keyId, apiKeyId: keyId, applicationId: null, scopes: ['*'] };
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

/** Requests whose credential was already verified (successfully or not). */
const attempted = new WeakSet<Request>();

/**
 * Verifies the request's credential, if it carries one, and sets `req.auth` (before rate limits,
 * so that a verified caller is limited per API key). A credential that does not verify leaves
 * `req.auth` unset; authorization (`./authorize.ts`) then answers 401.
 */
export async function authenticateRequest(deps: AppDeps, req: Request): Promise<void> {
  // Both the rate limiter and authorization ask; a credential is verified once per request,
  // so one that fails costs one database look-up, not two.
  if (req.auth || attempted.has(req)) return;
  attempted.add(req);
  const credential = credentialOf(req);
  if (!credential) return;
  // A client token is a bearer credential only (scheme clientToken): in x-api-key it is refused.
  if (isClientTokenLike(credential) && req.get('x-api-key') !== undefined) return;
  const auth = await verifyCredential(deps, credential);
  if (auth) req.auth = auth;
}

/**
 * Security handlers for express-openapi-validator, one per scheme in the contract. They accept
 * only what {@link authenticateRequest} verified (`req.auth`), each for its own kind of
 * credential: `apiKey` and `bearerAuth` never accept a client token, `clientToken` accepts
 * nothing else. (A scheme without a handler would let anonymous requests through.)
 */
export function securityHandlers() {
  const keyOrToken = (req: Request) => req.auth !== undefined && req.auth.via !== 'client_token';
  return {
    apiKey: (req: Request) => keyOrToken(req) && req.get('x-api-key') !== undefined,
    // When both headers are sent, x-api-key is the credential (the one rate limits count).
    bearerAuth: (req: Request) => keyOrToken(req) && req.get('x-api-key') === undefined,
    clientToken: (req: Request) => req.auth?.via === 'client_token' && req.get('x-api-key') === undefined,
  };
}
