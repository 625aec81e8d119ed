/**
 * Interoperability with an independent OAuth client: oauth4webapi (panva) drives the whole
 * flow against the running test server, and the consent page runs in a real browser (Debian's
 * Chromium through playwright-core):
 *
 * discovery (RFC 8414) → authorization request with PKCE S256 and state → sign-in with email and
 * the one-time code read back from the sandbox → consent → redirect validated by the library
 * (state, and `iss` per RFC 9207) → code exchange with client_secret_basic → the access token
 * acting for the payer (wallet read and payment) → refresh rotation → revocation (RFC 7009) →
 * the revoked tokens refused.
 *
 * Each step is recorded and printed at the end, so the run shows what happened.
 */
import * as oauth from 'oauth4webapi';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { createPayer, oauthApplication, payerClient, uniqueEmail } from './fixtures.ts';

const { server: s } = useTestServer();
let browser: Browser;
const steps: string[] = [];
const step = (text: string) => void steps.push(`${steps.length + 1}. ${text}`);
const insecure = { [oauth.allowInsecureRequests]: true } as const;

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
  // The interop steps as they ran (quoted in the report of the change).
  console.log(`OAuth interop with oauth4webapi + Chromium:\n${steps.join('\n')}`);
});

describe('OAuth 2.0 with an independent client (oauth4webapi) and the consent page in Chromium', () => {
  it('authorization code + PKCE → tokens → payer calls → refresh rotation → revocation', async () => {
    const { client, merchant } = await s.newMerchant('Interop Coffee');
    const redirectUri = 'http://127.0.0.1:8765/callback';
    const app = await oauthApplication(client, [redirectUri]);
    const email = uniqueEmail('interop');
    const payer = await createPayer(client, [{ amount: 10000, currency: 'USD' }], { email, name: 'Amara Okello' });
    step(`setup: merchant ${merchant.merchantId}, application ${app.app.id} (client_id ${app.clientId}) with a client secret and redirect URI ${redirectUri}; sandbox payer ${payer.id} <${email}> with 100.00 USD`);

    // Discovery.
    const issuer = new URL(s.deps.config.publicBaseUrl);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }));
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    step(`discovery: GET ${issuer.origin}/.well-known/oauth-authorization-server → issuer ${as.issuer}, PKCE ${as.code_challenge_methods_supported?.join(',')}, iss parameter supported`);

    const oauthClient: oauth.Client = { client_id: app.clientId };
    const clientAuth = oauth.ClientSecretBasic(app.clientSecret);
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
    const state = oauth.generateRandomState();
    const authorizationUrl = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: app.clientId, redirect_uri: redirectUri, scope: 'wallet.read wallet.pay', state, code_challenge: codeChallenge, code_challenge_method: 'S256' })) {
      authorizationUrl.searchParams.set(k, v);
    }
    step(`authorization request: ${authorizationUrl.pathname} with scope "wallet.read wallet.pay", state, code_challenge (S256 of a fresh verifier)`);

    // The consent page, in the browser.
    const context = await browser.newContext();
    const page = await context.newPage();
    let callback: string | undefined;
    await context.route(`${redirectUri}**`, async (route) => {
      callback = route.request().url();
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Client</title><p>Back at the client</p>' });
    });
    await page.goto(authorizationUrl.toString());
    await expect.poll(() => page.title()).toBe('Sign in to continue');
    const signInTitle = await page.title();
    expect(await page.textContent('h1')).toContain('Coffee app');
    await page.fill('#email', email);
    await page.click('button[type=submit]');
    await page.waitForSelector('#code');
    const { code: otp } = unwrap(await client.GET('/v1/sandbox/otp', { params: { query: { email } } }));
    step(`browser: consent page "${signInTitle}" → email submitted → one-time code read back with GET /v1/sandbox/otp?email=… (${otp.length} digits)`);
    await page.fill('#code', otp);
    await page.click('button[type=submit]');
    await page.waitForSelector('button[value=allow]');
    const listed = await page.$$eval('li', (items) => items.map((li) => li.textContent));
    expect(listed).toEqual(['See the balances of your Tillpoint wallet', 'Pay with your Tillpoint wallet']);
    step(`browser: signed in; consent lists ${JSON.stringify(listed)} → Allow`);
    await page.click('button[value=allow]');
    await expect.poll(() => callback, { timeout: 10_000 }).toBeDefined();
    await context.close();
    const callbackUrl = new URL(callback!);
    expect(callbackUrl.searchParams.get('iss')).toBe(as.issuer);
    step(`redirect: ${callbackUrl.origin}${callbackUrl.pathname}?code=oac_…&state=…&iss=${callbackUrl.searchParams.get('iss')}`);

    // The library validates state and iss.
    const params = oauth.validateAuthResponse(as, oauthClient, callbackUrl, state);
    step('oauth4webapi validateAuthResponse: state and iss accepted');

    const tokenResponse = await oauth.authorizationCodeGrantRequest(as, oauthClient, clientAuth, params, redirectUri, codeVerifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, oauthClient, tokenResponse);
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.user_id).toBe(payer.id);
    expect(tokens.merchant_id).toBe(merchant.merchantId);
    step(`token: authorization_code grant with client_secret_basic and the PKCE verifier → access_token oat_…, refresh_token ort_…, expires_in ${tokens.expires_in}, scope "${tokens.scope}", user_id ${tokens.user_id}, merchant_id ${tokens.merchant_id}`);

    // The access token acts for the payer, next to the merchant's key.
    const asPayer = payerClient(s, merchant.apiKey, tokens.access_token);
    expect(unwrap(await asPayer.GET('/v1/wallet')).balances).toEqual([{ currency: 'USD', amount: 10000 }]);
    const payment = unwrap(await asPayer.POST('/v1/payments', { body: { amount: 2500, currency: 'USD', paymentMethod: { type: 'wallet' } } }));
    expect(payment.status).toBe('succeeded');
    expect(unwrap(await asPayer.GET('/v1/wallet')).balances).toEqual([{ currency: 'USD', amount: 7500 }]);
    step(`payer calls (x-api-key + X-Payer-Token): GET /v1/wallet → 100.00 USD; wallet payment ${payment.id} of 25.00 USD → ${payment.status}; wallet now 75.00 USD`);

    // Refresh rotation.
    const refreshed = await oauth.processRefreshTokenResponse(as, oauthClient, await oauth.refreshTokenGrantRequest(as, oauthClient, clientAuth, tokens.refresh_token!, insecure));
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect((await payerClient(s, merchant.apiKey, refreshed.access_token).GET('/v1/wallet')).response.status).toBe(200);
    step('refresh: refresh_token grant → a new access token and a new refresh token (rotated); the new access token reads the wallet');

    // Revocation of the current refresh token ends the grant.
    await oauth.processRevocationResponse(await oauth.revocationRequest(as, oauthClient, clientAuth, refreshed.refresh_token!, insecure));
    for (const access of [tokens.access_token, refreshed.access_token]) {
      expect((await payerClient(s, merchant.apiKey, access).GET('/v1/wallet')).response.status).toBe(401);
    }
    const again = await oauth.refreshTokenGrantRequest(as, oauthClient, clientAuth, refreshed.refresh_token!, insecure);
    await expect(oauth.processRefreshTokenResponse(as, oauthClient, again)).rejects.toMatchObject({ error: 'invalid_grant' });
    step('revocation: RFC 7009 revoke of the refresh token → 200; both access tokens now 401 on GET /v1/wallet; the refresh token → invalid_grant');
  });
});
