/**
 * Merchants and their credentials: creation (sandbox merchants, the demo merchant), the
 * key-for-token exchange (createAccessToken), key rotation (rotateApiKey), key listing and
 * revocation (listApiKeys, revokeApiKey) and secret rotation (rotateApiSecret).
 */
import type { AppDeps } from '../deps.ts';
import { ProblemError } from '../errors/problem.ts';
import { newId } from '../ids.ts';
import {
  digestsEqual,
  generateApiKey,
  generateApiSecret,
  generateClientId,
  hashSecret,
  keyPrefix,
  looksLikeApiKey,
} from './credentials.ts';
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from './jwt.ts';
import type { AuthContext } from './authenticate.ts';
import type { ListQuery } from '../http/pagination.ts';
import {
  findActiveKeyByHash,
  findKeyById,
  findMerchant,
  insertApiKey,
  insertMerchant,
  listActiveKeys,
  retireUnexpiringKey,
  revokeKey,
  setApiSecretHash,
  type ApiKeyRow,
} from './repository.ts';

/** A merchant just created, with its raw credentials (returned once, never stored). */
export interface CreatedMerchant {
  merchantId: string;
  name: string;
  apiKey: string;
  apiSecret: string;
  clientId: string;
  createdAt: Date;
}

/** Fixed credentials for reproducible setups (the demo merchant from environment variables). */
export interface FixedCredentials {
  apiKey?: string;
  apiSecret?: string;
  clientId?: string;
}

/**
 * Creates a merchant with one API key and its default application (whose `clientId` is the one
 * returned), in one transaction. Source: createSandboxMerchant.
 * @throws Error when fixed credentials are malformed, or no family provides the applications port.
 */
export async function createMerchant(deps: AppDeps, name: string, fixed: FixedCredentials = {}): Promise<CreatedMerchant> {
  const mode = deps.config.mode === 'live' ? 'live' : 'test';
  const apiKey = fixed.apiKey ?? generateApiKey(mode);
  const apiSecret = fixed.apiSecret ?? generateApiSecret(mode);
  const clientId = fixed.clientId ?? generateClientId();
  if (!looksLikeApiKey(apiKey)) throw new Error('API key must look like sk_test_ followed by 32 letters or digits');
  if (!/^[0-9a-z]{32}$/.test(clientId)) throw new Error('Client id must be 32 lowercase letters or digits');
  const applications = deps.ports.applications;
  if (!applications) throw new Error('No family provides the applications port: a merchant needs its default application');
  const merchantId = newId('mer');
  const now = deps.realNow();
  await deps.db.transaction(async (tx) => {
    await insertMerchant(tx, { id: merchantId, name, apiSecretHash: hashSecret(apiSecret), livemode: mode === 'live', createdAt: now });
    await insertApiKey(tx, { id: newId('key'), merchantId, keyHash: hashSecret(apiKey), keyPrefix: keyPrefix(apiKey), createdAt: now });
    await applications.createDefaultApplication(tx, merchantId, clientId, now);
  });
  return { merchantId, name, apiKey, apiSecret, clientId, createdAt: now };
}

/** The result of createAccessToken. */
export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  merchantId: string;
  merchantName: string;
}

/**
 * Exchanges an API key and its secret for a one-hour access token. Source: createAccessToken.
 * @throws ProblemError 401 `invalid_credentials` when the key is unknown or expired, or the secret differs.
 */
export async function issueAccessToken(deps: AppDeps, apiKey: string, apiSecret: string): Promise<IssuedToken> {
  const now = deps.realNow();
  const found = looksLikeApiKey(apiKey) ? await findActiveKeyByHash(deps.db, hashSecret(apiKey), now) : undefined;
  // Always hash and compare, so a wrong key and a wrong secret take the same time.
  const secretOk = digestsEqual(found?.merchant.apiSecretHash ?? '00', hashSecret(apiSecret));
  if (!found || !secretOk) {
    throw new ProblemError('invalid_credentials', 'The API key and API secret do not match an active key.');
  }
  const accessToken = await signAccessToken(deps.signingKey, { merchantId: found.merchant.id, apiKeyId: found.key.id }, now);
  return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, merchantId: found.merchant.id, merchantName: found.merchant.name };
}

/** The result of rotateApiKey: the new raw key (shown once). */
export interface RotatedKey {
  apiKey: string;
  keyPrefix: string;
  createdAt: Date;
  previousKeyExpiresAt: Date;
}

/**
 * Refuses key management from a key that is rotated out (it has an expiry): such a key must not
 * mint keys that outlive it, revoke the keys that replace it, or take over the secret (issue #2).
 * @throws ProblemError 409 `api_key_expiring`.
 */
async function assertCallerKeyNotExpiring(deps: AppDeps, auth: AuthContext): Promise<void> {
  if (!auth.apiKeyId) throw new Error('key management reached without an API key (client tokens are refused before)');
  const key = await findKeyById(deps.db, auth.apiKeyId);
  if (key?.expiresAt) throw expiringKey(key.expiresAt);
}

function expiringKey(expiresAt: Date): ProblemError {
  return new ProblemError('api_key_expiring', `The API key making this call was rotated out and expires at ${expiresAt.toISOString()}; use the new key.`);
}

/**
 * Issues a new API key and retires the caller's key after `gracePeriodSeconds` (0 = now), in one
 * transaction. Access tokens issued for the old key stop with it. Source: rotateApiKey.
 * @param gracePeriodSeconds seconds the old key keeps working (0 to 604800).
 * @throws ProblemError 409 `api_key_expiring` when the caller's key is already rotated out
 *   (checked and set atomically, so two concurrent rotations from one key cannot both succeed).
 */
export async function rotateApiKey(deps: AppDeps, auth: AuthContext, gracePeriodSeconds: number): Promise<RotatedKey> {
  // Client tokens never get here (403 insufficient_scope: rotateApiKey does not list clientToken).
  const currentKeyId = auth.apiKeyId;
  if (!currentKeyId) throw new Error('rotateApiKey reached without an API key');
  const now = deps.realNow();
  const merchant = await findMerchant(deps.db, auth.merchantId);
  const apiKey = generateApiKey(merchant?.livemode ? 'live' : 'test');
  const previousKeyExpiresAt = new Date(now.getTime() + gracePeriodSeconds * 1000);
  await deps.db.transaction(async (tx) => {
    if (!(await retireUnexpiringKey(tx, currentKeyId, previousKeyExpiresAt))) {
      const key = await findKeyById(tx, currentKeyId);
      throw expiringKey(key?.expiresAt ?? now);
    }
    await insertApiKey(tx, { id: newId('key'), merchantId: auth.merchantId, keyHash: hashSecret(apiKey), keyPrefix: keyPrefix(apiKey), createdAt: now });
  });
  // The old key's cached verifications carry its old (absent) expiry: verify it afresh.
  deps.credentialCache?.invalidateKey(currentKeyId);
  return { apiKey, keyPrefix: keyPrefix(apiKey), createdAt: now, previousKeyExpiresAt };
}

/** An API key as listApiKeys and revokeApiKey describe it (never the key itself). */
export type ApiKeySummary = Pick<ApiKeyRow, 'id' | 'keyPrefix' | 'createdAt' | 'expiresAt'>;

/**
 * A page of the merchant's keys that still work at the server's `now` (including keys in their
 * grace period), newest first, plus one extra row for `toPage`. Source: listApiKeys.
 * @throws ProblemError 400 `invalid_request` for a bad `limit` or `cursor`.
 */
export function listApiKeys(deps: AppDeps, auth: AuthContext, query: ListQuery): Promise<ApiKeySummary[]> {
  return listActiveKeys(deps.db, auth.merchantId, deps.realNow(), query);
}

/**
 * Makes one of the merchant's keys stop working now, with its access tokens, and forgets its
 * cached verifications in this process at once (other processes within the cache TTL).
 * Source: revokeApiKey.
 * @throws ProblemError 409 `api_key_in_use` for the caller's own key, 409 `api_key_expiring`
 *   when the caller's key is rotated out, 404 `not_found` for a key that is unknown to this
 *   merchant or no longer works.
 */
export async function revokeApiKey(deps: AppDeps, auth: AuthContext, apiKeyId: string): Promise<ApiKeySummary> {
  if (apiKeyId === auth.apiKeyId) {
    throw new ProblemError('api_key_in_use', `The API key ${apiKeyId} is making this call and cannot revoke itself; rotate it instead.`);
  }
  await assertCallerKeyNotExpiring(deps, auth);
  const revoked = await revokeKey(deps.db, auth.merchantId, apiKeyId, deps.realNow());
  if (!revoked) throw new ProblemError('not_found', `No working API key ${apiKeyId} exists for this merchant.`);
  deps.credentialCache?.invalidateKey(apiKeyId);
  return revoked;
}

/** The result of createApiKey: the new raw key (shown once) and its id. */
export interface CreatedKey {
  id: string;
  apiKey: string;
  keyPrefix: string;
  createdAt: Date;
}

/**
 * Issues an additional API key for the merchant; only its hash is stored. Source: createApiKey.
 * @throws ProblemError 409 `api_key_expiring` when the caller's key is rotated out.
 */
export async function createApiKey(deps: AppDeps, auth: AuthContext): Promise<CreatedKey> {
  await assertCallerKeyNotExpiring(deps, auth);
  const merchant = await findMerchant(deps.db, auth.merchantId);
  const apiKey = generateApiKey(merchant?.livemode ? 'live' : 'test');
  const row = await insertApiKey(deps.db, { id: newId('key'), merchantId: auth.merchantId, keyHash: hashSecret(apiKey), keyPrefix: keyPrefix(apiKey), createdAt: deps.realNow() });
  return { id: row.id, apiKey, keyPrefix: row.keyPrefix, createdAt: row.createdAt };
}

/** The result of rotateApiSecret: the new raw secret (shown once). */
export interface RotatedSecret {
  apiSecret: string;
  createdAt: Date;
}

/**
 * Replaces the merchant's API secret (the previous one stops working at once; keys and issued
 * access tokens are unaffected). Only the hash is stored. Source: rotateApiSecret.
 * @throws ProblemError 409 `api_key_expiring` when the caller's key is rotated out.
 */
export async function rotateApiSecret(deps: AppDeps, auth: AuthContext): Promise<RotatedSecret> {
  await assertCallerKeyNotExpiring(deps, auth);
  const merchant = await findMerchant(deps.db, auth.merchantId);
  const apiSecret = generateApiSecret(merchant?.livemode ? 'live' : 'test');
  await setApiSecretHash(deps.db, auth.merchantId, hashSecret(apiSecret));
  return { apiSecret, createdAt: deps.realNow() };
}
