/**
 * Fixtures of payer identity tests: sandbox payers, and access tokens minted straight into the
 * oauth tables (for tests of what a token allows; the OAuth flow itself is tested end to end in
 * test/oauth/, through the consent page and the token endpoint).
 */
import createClient, { type Client } from 'openapi-fetch';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import type { components, paths } from '../../generated/schema.d.ts';
import * as oauthRepo from '../../server/oauth/repository.ts';
import { generateToken, hashToken } from '../../server/oauth/tokens.ts';
import { newId } from '../../server/ids.ts';
import type { TestServer } from '../support/server.ts';

export type SandboxPayer = components['schemas']['SandboxPayer'];
export type PayerScope = components['schemas']['PayerScope'];

/** A unique email for a test payer. */
export const uniqueEmail = (label = 'payer') => `${label}-${crypto.randomUUID().slice(0, 8)}@example.com`;

/** A new sandbox payer of the merchant behind `client`, with opening `balances`. */
export async function createPayer(client: TillpointClient, balances: { amount: number; currency: string }[] = [], extra: { name?: string; email?: string; phoneNumber?: string } = {}): Promise<SandboxPayer> {
  return unwrap(await client.POST('/v1/sandbox/payers', { body: { name: extra.name ?? 'Amara Okello', email: extra.email ?? uniqueEmail(), balances, ...(extra.phoneNumber ? { phoneNumber: extra.phoneNumber } : {}) } }));
}

/** The id of the merchant's default application. */
export async function defaultApplicationId(client: TillpointClient): Promise<string> {
  const page = unwrap(await client.GET('/v1/applications', { params: { query: { limit: 100 } } }));
  return page.data.find((a) => a.isDefault)!.id;
}

/**
 * An access token of a grant of `userId` to the application, minted in the database (no
 * consent page), valid `lifetimeSeconds` (default one hour, as issued) on the server's real clock.
 * @returns the token and its grant id.
 */
export async function mintPayerToken(
  s: TestServer,
  merchantId: string,
  applicationId: string,
  userId: string,
  scopes: PayerScope[],
  lifetimeSeconds = 3600,
): Promise<{ token: string; grantId: string }> {
  const now = s.deps.realNow();
  const grant = await oauthRepo.insertGrant(s.deps.db, { id: newId('grt'), merchantId, applicationId, userId, scopes, createdAt: now });
  const token = generateToken('oat', 'test');
  await oauthRepo.insertTokens(s.deps.db, [{ tokenHash: hashToken(token), kind: 'access', grantId: grant.id, expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000), createdAt: now }]);
  return { token, grantId: grant.id };
}

/** A typed client sending the merchant's API key and the payer's token in `X-Payer-Token`. */
export function payerClient(s: TestServer, apiKey: string, payerToken?: string): Client<paths> {
  return createClient<paths>({ baseUrl: s.url, headers: { 'x-api-key': apiKey, ...(payerToken ? { 'x-payer-token': payerToken } : {}) } });
}
