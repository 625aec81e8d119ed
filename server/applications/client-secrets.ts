/**
 * OAuth client secrets of applications (the application is the OAuth client of the
 * authorization server): `acs_{test|live}_` + 32 random base62 characters, shown once, stored as
 * a SHA-256 hash; a new one replaces the previous at once.
 *
 * Source: createClientSecret; the oauth family through `oauthClient` (applications/index.ts).
 */
import { digestsEqual, hashSecret } from '../auth/index.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import { notFound } from '../errors/problem.ts';
import { randomBase62 } from '../ids.ts';
import * as repo from './repository.ts';
import type { ApplicationRow } from './repository.ts';

/**
 * createClientSecret: issues (or replaces) the application's client secret.
 * @returns the application and the secret, which is never stored in clear.
 * @throws ProblemError 404 `not_found` for an application that is not the merchant's.
 */
export async function createClientSecret(db: Executor, deps: AppDeps, merchantId: string, applicationId: string): Promise<{ application: ApplicationRow; clientSecret: string; createdAt: Date }> {
  const application = await repo.findApplication(db, merchantId, applicationId);
  if (!application) throw notFound('application', applicationId);
  const clientSecret = `acs_${deps.config.mode === 'live' ? 'live' : 'test'}_${randomBase62(32)}`;
  const now = deps.now(merchantId);
  const updated = await repo.updateApplication(db, applicationId, { clientSecretHash: hashSecret(clientSecret), updatedAt: now });
  return { application: updated, clientSecret, createdAt: now };
}

/** An application as the authorization server sees it: an OAuth client. */
export interface OAuthClient {
  /** `app_…`. */
  applicationId: string;
  merchantId: string;
  clientId: string;
  name: string;
  redirectUris: readonly string[];
  /** Whether a client secret was issued (only then may it take part in OAuth). */
  hasSecret: boolean;
}

/**
 * The OAuth client with this client id; with `clientSecret`, only if it is that client's secret
 * (constant-time comparison of hashes).
 */
export async function oauthClient(db: Executor, clientId: string, clientSecret?: string): Promise<OAuthClient | undefined> {
  const row = await repo.findApplicationByClientIdAnyMerchant(db, clientId);
  if (!row) return undefined;
  if (clientSecret !== undefined && !(row.clientSecretHash && digestsEqual(row.clientSecretHash, hashSecret(clientSecret)))) return undefined;
  return { applicationId: row.id, merchantId: row.merchantId, clientId: row.clientId, name: row.name, redirectUris: row.redirectUris, hasSecret: row.clientSecretHash !== null };
}
