/**
 * Merchants and their credentials: creation (sandbox merchants, the demo merchant), the
 * key-for-token exchange (createAccessToken) and key rotation (rotateApiKey).
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
import { expireApiKey, findActiveKeyByHash, findMerchant, insertApiKey, insertMerchant } from './repository.ts';

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
  const now = deps.now();
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
 * Issues a new API key and retires the caller's key after `gracePeriodSeconds` (0 = now), in one
 * transaction. Access tokens issued for the old key stop with it. A key already in a shorter
 * grace period keeps its earlier expiry, which `previousKeyExpiresAt` reports. Source: rotateApiKey.
 */
export async function rotateApiKey(deps: AppDeps, auth: AuthContext, gracePeriodSeconds: number): Promise<RotatedKey> {
  // Client tokens never get here (403 insufficient_scope: rotateApiKey does not list clientToken).
  const currentKeyId = auth.apiKeyId;
  if (!currentKeyId) throw new Error('rotateApiKey reached without an API key');
  const now = deps.realNow();
  const merchant = await findMerchant(deps.db, auth.merchantId);
  const apiKey = generateApiKey(merchant?.livemode ? 'live' : 'test');
  const requestedExpiry = new Date(now.getTime() + gracePeriodSeconds * 1000);
  const previousKeyExpiresAt = await deps.db.transaction(async (tx) => {
    await insertApiKey(tx, { id: newId('key'), merchantId: auth.merchantId, keyHash: hashSecret(apiKey), keyPrefix: keyPrefix(apiKey), createdAt: now });
    return expireApiKey(tx, currentKeyId, requestedExpiry);
  });
  // The old key's cached verifications carry its old (absent) expiry: verify it afresh.
  deps.credentialCache?.invalidateKey(currentKeyId);
  return { apiKey, keyPrefix: keyPrefix(apiKey), createdAt: now, previousKeyExpiresAt };
}
