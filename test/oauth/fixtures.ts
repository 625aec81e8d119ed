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
  await oauthRepo.insertTokens(s.deps.db, [{ tokenHash: hashToken(token), kind: 'access', scopes, grantId: grant.id, expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000), createdAt: now }]);
  return { token, grantId: grant.id };
}

/** A typed client sending the merchant's API key and the payer's token in `X-Payer-Token`. */
export function payerClient(s: TestServer, apiKey: string, payerToken?: string): Client<paths> {
  return createClient<paths>({ baseUrl: s.url, headers: { 'x-api-key': apiKey, ...(payerToken ? { 'x-payer-token': payerToken } : {}) } });
}

/** An OAuth client: an application of the merchant with a redirect URI and a client secret. */
export async function oauthApplication(client: TillpointClient, redirectUris = ['http://127.0.0.1:8765/callback']) {
  const app = unwrap(await client.POST('/v1/applications', { body: { name: 'Coffee app', redirectUris } }));
  const secret = unwrap(await client.POST('/v1/applications/{applicationId}/client-secret', { params: { path: { applicationId: app.id } } }));
  return { app, clientId: app.clientId, clientSecret: secret.clientSecret, redirectUri: redirectUris[0]! };
}

/** A PKCE pair (RFC 7636, S256). */
export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: Buffer.from(digest).toString('base64url') };
}

/** The value of the hidden `state` field of a consent page. */
export function pageState(htmlText: string): string {
  const match = /name="state" value="([^"]+)"/.exec(htmlText);
  if (!match) throw new Error(`No page state in: ${htmlText.slice(0, 500)}`);
  return match[1]!;
}

/** Posts one step of the consent page's form (no redirect following). */
export function postConsent(s: TestServer, fields: Record<string, string>): Promise<Response> {
  return s.raw('/oauth/consent', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields), redirect: 'manual' });
}

/**
 * Goes through the consent page with plain HTTP (its forms, as a browser would post them):
 * sign in with `email`, read the code back with the merchant's `client`, allow (or deny).
 * @returns the redirect's URL.
 */
export async function consentWithForms(s: TestServer, client: TillpointClient, query: Record<string, string>, email: string, decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
  const start = await s.raw(`/v1/oauth/authorize?${new URLSearchParams(query)}`, { redirect: 'manual' });
  if (start.status !== 200) throw new Error(`authorize answered ${start.status}`);
  const codeStep = await postConsent(s, { state: pageState(await start.text()), step: 'email', email });
  const codeState = pageState(await codeStep.text());
  const { code } = unwrap(await client.GET('/v1/sandbox/otp', { params: { query: { email } } }));
  const consent = await postConsent(s, { state: codeState, step: 'code', code });
  const decided = await postConsent(s, { state: pageState(await consent.text()), step: 'decide', decision });
  if (decided.status !== 303) throw new Error(`consent answered ${decided.status}: ${(await decided.text()).slice(0, 300)}`);
  return new URL(decided.headers.get('location')!);
}

/** Posts a form to the token (or revocation) endpoint. */
export function postForm(s: TestServer, path: '/v1/oauth/token' | '/v1/oauth/revoke', fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return s.raw(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields) });
}
