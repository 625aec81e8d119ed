/**
 * Client tokens of an application: issue (shown once, SHA-256 at rest), list, revoke, and verify
 * them for authentication (offered to auth through the applications port).
 *
 * Sources: createClientToken, listClientTokens, revokeClientToken; authentication of `Bearer ct_…`.
 */
import type { components } from '../../generated/schema.d.ts';
import { digestsEqual, generateClientToken, hashSecret, type AuthContext, type VerifiedClientToken } from '../auth/index.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../errors/problem.ts';
import { pageLimit, type ListQuery } from '../http/pagination.ts';
import { newId } from '../ids.ts';
import { getApplication } from './applications.ts';
import * as repo from './repository.ts';
import type { ClientTokenRow } from './repository.ts';

type CreateClientTokenRequest = components['schemas']['CreateClientTokenRequest'];

/** A token just issued, with the raw token (returned once, never stored). */
export interface IssuedClientToken {
  row: ClientTokenRow;
  token: string;
}

/**
 * createClientToken: a new token of the merchant's application.
 * @throws ProblemError 404 `not_found` for an unknown id or another merchant's application.
 */
export async function createClientToken(
  db: Executor,
  deps: AppDeps,
  merchantId: string,
  applicationId: string,
  input: CreateClientTokenRequest,
): Promise<IssuedClientToken> {
  const app = await getApplication(db, merchantId, applicationId);
  const mode = deps.config.mode === 'live' ? 'live' : 'test';
  const token = generateClientToken(mode);
  // Token lifetimes run on the real clock, as every credential's (see AppDeps.realNow).
  const now = deps.realNow();
  // `*` covers every scope: keep just it.
  const scopes = input.scopes.includes('*') ? ['*'] : [...new Set(input.scopes)];
  const row = await repo.insertClientToken(db, {
    id: newId('ctk'),
    merchantId,
    applicationId: app.id,
    label: input.label,
    scopes,
    tokenHash: hashSecret(token),
    prefix: mode === 'live' ? 'ct_live_' : 'ct_test_',
    last4: token.slice(-4),
    expiresAt: input.expiresIn !== undefined ? new Date(now.getTime() + input.expiresIn * 1000) : null,
    createdAt: now,
  });
  return { row, token };
}

/** listClientTokens: newest first, revoked and expired included. @throws ProblemError 404 `not_found`. */
export async function listClientTokens(db: Executor, merchantId: string, applicationId: string, query: ListQuery): Promise<ClientTokenRow[]> {
  pageLimit(query); // a bad limit is a 400 even for an unknown application
  const app = await getApplication(db, merchantId, applicationId);
  return repo.listClientTokens(db, app.id, query);
}

/**
 * revokeClientToken: refused from now on, in this process at once (its cached verifications are
 * dropped), elsewhere within the credential cache's TTL. Revoking again keeps the first `revokedAt`.
 * @throws ProblemError 404 `not_found` for a token of another application or merchant.
 */
export async function revokeClientToken(db: Executor, deps: AppDeps, merchantId: string, applicationId: string, tokenId: string): Promise<ClientTokenRow> {
  const found = await repo.findClientToken(db, merchantId, applicationId, tokenId);
  if (!found) throw notFound('client token', tokenId);
  const row = await repo.revokeClientToken(db, found.id, deps.realNow());
  deps.credentialCache?.invalidateKey(found.id);
  return row;
}

/** Verifies a well-formed client token at `now` (see ApplicationsPort.verifyClientToken). */
export async function verifyClientToken(db: Executor, token: string, now: Date): Promise<VerifiedClientToken | null> {
  const hash = hashSecret(token);
  const found = await repo.findClientTokenByHash(db, hash);
  if (!found || !digestsEqual(found.token.tokenHash, hash)) return null;
  if (found.token.revokedAt || (found.token.expiresAt && found.token.expiresAt <= now)) return null;
  const auth: AuthContext = {
    merchantId: found.merchant.id,
    merchantName: found.merchant.name,
    via: 'client_token',
    credentialId: found.token.id,
    apiKeyId: null,
    applicationId: found.token.applicationId,
    scopes: found.token.scopes,
  };
  return { auth, validUntil: found.token.expiresAt };
}

/** Granularity of `lastUsedAt`: at most one write per token per minute (server clock). */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Records uses of tokens off the request path: at most one `UPDATE` per token per minute from
 * this process (and the `UPDATE` itself skips a `lastUsedAt` less than a minute old, for the
 * other processes). Failures are logged, never surfaced to the request.
 */
export function createUsageRecorder() {
  const lastWrite = new Map<string, number>();
  return (deps: { db: Executor; log: { warn(obj: object, msg: string): void } }, tokenId: string, now: Date): void => {
    const at = now.getTime();
    const previous = lastWrite.get(tokenId);
    if (previous !== undefined && at - previous < TOUCH_INTERVAL_MS && at >= previous) return;
    if (lastWrite.size >= 10_000) lastWrite.delete(lastWrite.keys().next().value!);
    lastWrite.set(tokenId, at);
    setImmediate(() => {
      repo.touchClientToken(deps.db, tokenId, now).catch((err: unknown) => deps.log.warn({ err, tokenId }, 'could not record the use of a client token'));
    });
  };
}
