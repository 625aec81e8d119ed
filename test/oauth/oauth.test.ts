/**
 * The OAuth authorization server, through its endpoints as a client uses them (the consent page's
 * forms posted over plain HTTP; the same flow in a real browser with an independent client is
 * interop.browser.test.ts): a describe per operation, then the attacks RFC 9700 names — code
 * reuse, a wrong or missing PKCE verifier, `plain`, a mismatched redirect_uri, another client's
 * code, refresh-token reuse revoking the grant, a revoked access token, open redirects.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { oauthTokens } from '../../server/oauth/schema.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { consentWithForms, createPayer, oauthApplication, pageState, payerClient, pkcePair, postConsent, postForm, uniqueEmail } from './fixtures.ts';

const { server: s, clock } = useTestServer();

type OAuthClientInfo = Awaited<ReturnType<typeof oauthApplication>>;

/** A merchant with an OAuth application and a payer holding 10,000 USD. */
async function world() {
  const { client, merchant } = await s.newMerchant('OAuth Coffee');
  const oc = await oauthApplication(client);
  const email = uniqueEmail();
  const payer = await createPayer(client, [{ amount: 10000, currency: 'USD' }], { email, name: 'Amara Okello' });
  return { client, merchant, oc, email, payer };
}

function authorizeQuery(oc: OAuthClientInfo, challenge: string, extra: Record<string, string> = {}) {
  return { response_type: 'code', client_id: oc.clientId, redirect_uri: oc.redirectUri, scope: 'wallet.read wallet.pay', state: 'st-123', code_challenge: challenge, code_challenge_method: 'S256', ...extra };
}

/** Consent and return the code with its verifier. */
async function codeFor(w: Awaited<ReturnType<typeof world>>, extra: Record<string, string> = {}) {
  const { verifier, challenge } = await pkcePair();
  const url = await consentWithForms(s, w.client, authorizeQuery(w.oc, challenge, extra), w.email);
  return { code: url.searchParams.get('code')!, verifier, url };
}

function exchange(oc: OAuthClientInfo, code: string, verifier: string | undefined, extra: Record<string, string> = {}) {
  return postForm(s, '/v1/oauth/token', {
    grant_type: 'authorization_code', code, redirect_uri: oc.redirectUri, ...(verifier ? { code_verifier: verifier } : {}), client_id: oc.clientId, client_secret: oc.clientSecret, ...extra,
  });
}

function refresh(oc: OAuthClientInfo, refreshToken: string, extra: Record<string, string> = {}) {
  return postForm(s, '/v1/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: oc.clientId, client_secret: oc.clientSecret, ...extra });
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  scope: string;
  user_id: string;
  merchant_id: string;
}

async function tokensOf(response: Response): Promise<Tokens> {
  const body = (await response.json()) as Tokens;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function oauthError(response: Response, status: number, error: string): Promise<void> {
  const body = (await response.json()) as { error: string; error_description?: string };
  expect(response.status, JSON.stringify(body)).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(body.error).toBe(error);
}

/** Status of `GET /v1/wallet` with the merchant's key and `accessToken`. */
async function walletStatus(client: { merchant: { apiKey: string } }, accessToken: string): Promise<number> {
  return (await payerClient(s, client.merchant.apiKey, accessToken).GET('/v1/wallet')).response.status;
}

describe('getOAuthServerMetadata', () => {
  it('200: RFC 8414 metadata with S256 only and the RFC 9207 iss parameter', async () => {
    const r = await s.raw('/.well-known/oauth-authorization-server');
    expect(r.status).toBe(200);
    const issuer = s.deps.config.publicBaseUrl;
    expect(await r.json()).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/v1/oauth/authorize`,
      token_endpoint: `${issuer}/v1/oauth/token`,
      revocation_endpoint: `${issuer}/v1/oauth/revoke`,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: ['wallet.read', 'wallet.pay'],
    });
  });
});

describe('authorizeOAuth', () => {
  it('200: the sign-in page, not frameable nor cached; the redirect carries code, state and iss', async () => {
    const w = await world();
    const { challenge } = await pkcePair();
    const r = await s.raw(`/v1/oauth/authorize?${new URLSearchParams(authorizeQuery(w.oc, challenge))}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(r.headers.get('cache-control')).toBe('no-store');
    const text = await r.text();
    expect(text).toContain('Coffee app');
    expect(text).toContain('OAuth Coffee');
    const { url } = await codeFor(w);
    expect(`${url.origin}${url.pathname}`).toBe(w.oc.redirectUri);
    expect(url.searchParams.get('code')).toMatch(/^oac_[0-9A-Za-z]{40}$/);
    expect(url.searchParams.get('state')).toBe('st-123');
    expect(url.searchParams.get('iss')).toBe(s.deps.config.publicBaseUrl);
  });

  it('400 error page, never a redirect: unknown client, application without a secret, unregistered or look-alike redirect_uri (open redirects)', async () => {
    const w = await world();
    const noSecret = unwrap(await w.client.POST('/v1/applications', { body: { name: 'No secret', redirectUris: [w.oc.redirectUri] } }));
    const { challenge } = await pkcePair();
    const attempts: Record<string, string>[] = [
      { client_id: 'a'.repeat(32) },
      { client_id: noSecret.clientId },
      { redirect_uri: 'https://evil.example.com/callback' },
      { redirect_uri: `${w.oc.redirectUri}/../../evil` },
      { redirect_uri: `${w.oc.redirectUri}/more` },
      { redirect_uri: `${w.oc.redirectUri}?next=https://evil.example.com` },
      { redirect_uri: 'http://127.0.0.1:8765@evil.example.com/callback' },
      { redirect_uri: '//evil.example.com/callback' },
      { redirect_uri: w.oc.redirectUri.toUpperCase() },
      { redirect_uri: '' },
    ];
    for (const extra of attempts) {
      const r = await s.raw(`/v1/oauth/authorize?${new URLSearchParams(authorizeQuery(w.oc, challenge, extra))}`, { redirect: 'manual' });
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(r.headers.get('location'), JSON.stringify(extra)).toBeNull();
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    }
    // A repeated redirect_uri is not "one of them".
    const twice = `${new URLSearchParams(authorizeQuery(w.oc, challenge))}&redirect_uri=${encodeURIComponent('https://evil.example.com/cb')}`;
    const r = await s.raw(`/v1/oauth/authorize?${twice}`, { redirect: 'manual' });
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
  });

  it('303 back with error=invalid_request for missing PKCE or plain, invalid_scope, unsupported_response_type; always with state and iss', async () => {
    const w = await world();
    const { challenge } = await pkcePair();
    const cases: [Record<string, string>, string][] = [
      [{ code_challenge_method: 'plain', code_challenge: challenge }, 'invalid_request'],
      [{ code_challenge: '', code_challenge_method: '' }, 'invalid_request'],
      [{ code_challenge_method: 'S256', code_challenge: 'short' }, 'invalid_request'],
      [{ scope: 'wallet.read admin' }, 'invalid_scope'],
      [{ scope: '' }, 'invalid_scope'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
    ];
    for (const [extra, error] of cases) {
      const query = authorizeQuery(w.oc, challenge, extra);
      for (const [k, v] of Object.entries(query)) if (v === '') delete (query as Record<string, string>)[k];
      const r = await s.raw(`/v1/oauth/authorize?${new URLSearchParams(query)}`, { redirect: 'manual' });
      expect(r.status, JSON.stringify(extra)).toBe(303);
      const location = new URL(r.headers.get('location')!);
      expect(`${location.origin}${location.pathname}`).toBe(w.oc.redirectUri);
      expect(location.searchParams.get('error'), JSON.stringify(extra)).toBe(error);
      expect(location.searchParams.get('state')).toBe('st-123');
      expect(location.searchParams.get('iss')).toBe(s.deps.config.publicBaseUrl);
      expect(location.searchParams.get('code')).toBeNull();
    }
  });

  it('deny: back with error=access_denied, state and iss, and no code', async () => {
    const w = await world();
    const { challenge } = await pkcePair();
    const url = await consentWithForms(s, w.client, authorizeQuery(w.oc, challenge), w.email, 'deny');
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('st-123');
    expect(url.searchParams.get('iss')).toBe(s.deps.config.publicBaseUrl);
    expect(url.searchParams.get('code')).toBeNull();
  });

  it("sign-in: an unknown email gets the same page but no code; a wrong code shows the attempts left; another merchant's payer cannot sign in", async () => {
    const w = await world();
    const { challenge } = await pkcePair();
    const start = await s.raw(`/v1/oauth/authorize?${new URLSearchParams(authorizeQuery(w.oc, challenge))}`);
    const state = pageState(await start.text());
    const unknown = uniqueEmail('nobody');
    const unknownPage = await postConsent(s, { state, step: 'email', email: unknown });
    expect(unknownPage.status).toBe(200);
    expect(await unknownPage.text()).toContain('If');
    expect((await w.client.GET('/v1/sandbox/otp', { params: { query: { email: unknown } } })).response.status).toBe(404);

    const codeStep = await postConsent(s, { state, step: 'email', email: w.email });
    const codeState = pageState(await codeStep.text());
    const { code } = unwrap(await w.client.GET('/v1/sandbox/otp', { params: { query: { email: w.email } } }));
    const wrong = await postConsent(s, { state: codeState, step: 'code', code: String((Number(code) + 1) % 1_000_000).padStart(6, '0') });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain('4 attempts left');

    // The payer belongs to merchant A's sandbox: merchant B's application cannot sign them in.
    const other = await s.newMerchant();
    const otherApp = await oauthApplication(other.client);
    const otherStart = await s.raw(`/v1/oauth/authorize?${new URLSearchParams(authorizeQuery(otherApp, challenge))}`);
    await postConsent(s, { state: pageState(await otherStart.text()), step: 'email', email: w.email });
    expect((await other.client.GET('/v1/sandbox/otp', { params: { query: { email: w.email } } })).response.status).toBe(404);
  });

  it('a forged or tampered page state is an error page; signing in never skips the code step', async () => {
    const w = await world();
    const { challenge } = await pkcePair();
    const start = await s.raw(`/v1/oauth/authorize?${new URLSearchParams(authorizeQuery(w.oc, challenge))}`);
    const state = pageState(await start.text());
    const [payload, mac] = state.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), userId: w.payer.id })).toString('base64url');
    const r = await postConsent(s, { state: `${forged}.${mac}`, step: 'decide', decision: 'allow' });
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
    // The genuine state of the first step has no payer: deciding with it is refused too.
    const skip = await postConsent(s, { state, step: 'decide', decision: 'allow' });
    expect(skip.status).toBe(400);
    expect(skip.headers.get('location')).toBeNull();
  });
});

describe('createOAuthToken', () => {
  it('200: tokens for the payer and the merchant, no-store, hashed at rest; they act for the payer', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    const r = await exchange(w.oc, code, verifier);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const tokens = await tokensOf(r);
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'wallet.read wallet.pay', user_id: w.payer.id, merchant_id: w.merchant.merchantId });
    expect(tokens.access_token).toMatch(/^oat_test_[0-9A-Za-z]{36}$/);
    expect(tokens.refresh_token).toMatch(/^ort_test_[0-9A-Za-z]{36}$/);
    const stored = await s.deps.db.select().from(oauthTokens).where(eq(oauthTokens.tokenHash, createHash('sha256').update(tokens.access_token).digest('hex')));
    expect(stored).toHaveLength(1);
    const asPayer = payerClient(s, w.merchant.apiKey, tokens.access_token);
    expect(unwrap(await asPayer.GET('/v1/wallet'))).toEqual({ userId: w.payer.id, balances: [{ currency: 'USD', amount: 10000 }] });
    expect((await asPayer.POST('/v1/payments', { body: { amount: 1500, currency: 'USD', paymentMethod: { type: 'wallet' } } })).response.status).toBe(201);
    // Client authentication by HTTP Basic works as well (a minute later: the sign-in code's resend cooldown).
    clock.advanceSeconds(61);
    const second = await codeFor(w);
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64; a strict client writes `_` as %5F.
    const strict = (value: string) => encodeURIComponent(value).replace(/_/g, '%5F');
    const basic = `Basic ${Buffer.from(`${strict(w.oc.clientId)}:${strict(w.oc.clientSecret)}`).toString('base64')}`;
    await tokensOf(await postForm(s, '/v1/oauth/token', { grant_type: 'authorization_code', code: second.code, redirect_uri: w.oc.redirectUri, code_verifier: second.verifier }, { authorization: basic }));
  });

  it('code reuse: invalid_grant, and the tokens of the first exchange are revoked (RFC 6749 §4.1.2)', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    const first = await tokensOf(await exchange(w.oc, code, verifier));
    expect(await walletStatus(w, first.access_token)).toBe(200);
    await oauthError(await exchange(w.oc, code, verifier), 400, 'invalid_grant');
    expect(await walletStatus(w, first.access_token)).toBe(401);
    await oauthError(await refresh(w.oc, first.refresh_token), 400, 'invalid_grant');
  });

  it('parallel exchanges of one code: exactly one gets tokens', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    const statuses = (await Promise.all(Array.from({ length: 5 }, () => exchange(w.oc, code, verifier)))).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400]);
  });

  it('a wrong PKCE verifier or none: invalid_grant, and the code is spent', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    const other = (await pkcePair()).verifier;
    await oauthError(await exchange(w.oc, code, other), 400, 'invalid_grant');
    await oauthError(await exchange(w.oc, code, verifier), 400, 'invalid_grant');
    clock.advanceSeconds(61);
    const second = await codeFor(w);
    await oauthError(await exchange(w.oc, second.code, undefined), 400, 'invalid_grant');
    await oauthError(await exchange(w.oc, second.code, second.verifier), 400, 'invalid_grant');
  });

  it('a redirect_uri other than the one of the code: invalid_request, and the code is spent', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    await oauthError(await exchange(w.oc, code, verifier, { redirect_uri: 'http://127.0.0.1:8765/other' }), 400, 'invalid_request');
    await oauthError(await exchange(w.oc, code, verifier), 400, 'invalid_grant');
  });

  it("another client's code: invalid_grant (the code stays its client's)", async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    const thief = await oauthApplication(w.client);
    const other = await s.newMerchant();
    const foreign = await oauthApplication(other.client);
    await oauthError(await exchange(thief, code, verifier), 400, 'invalid_grant');
    await oauthError(await exchange(foreign, code, verifier), 400, 'invalid_grant');
    await tokensOf(await exchange(w.oc, code, verifier));
  });

  it('a code older than 60 seconds: invalid_grant', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    clock.advanceSeconds(61);
    await oauthError(await exchange(w.oc, code, verifier), 400, 'invalid_grant');
  });

  it('401 invalid_client: wrong or missing secret, unknown client, Basic with a bad secret (WWW-Authenticate); a replaced secret stops working', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    await oauthError(await exchange(w.oc, code, verifier, { client_secret: `acs_test_${'x'.repeat(32)}` }), 401, 'invalid_client');
    const noSecret = await postForm(s, '/v1/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: w.oc.redirectUri, code_verifier: verifier, client_id: w.oc.clientId });
    expect([400, 401]).toContain(noSecret.status);
    expect(((await noSecret.json()) as { error: string }).error).toMatch(/^invalid_(client|request)$/);
    await oauthError(await exchange(w.oc, code, verifier, { client_id: 'b'.repeat(32) }), 401, 'invalid_client');
    const basic = await postForm(s, '/v1/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: w.oc.redirectUri, code_verifier: verifier }, { authorization: `Basic ${Buffer.from(`${w.oc.clientId}:wrong`).toString('base64')}` });
    expect(basic.headers.get('www-authenticate')).toMatch(/^Basic/);
    await oauthError(basic, 401, 'invalid_client');
    // Nothing above spent the code (the client never authenticated).
    unwrap(await w.client.POST('/v1/applications/{applicationId}/client-secret', { params: { path: { applicationId: w.oc.app.id } } }));
    await oauthError(await exchange(w.oc, code, verifier), 401, 'invalid_client');
  });

  it('400: unsupported grant type, missing parameters, not form-encoded', async () => {
    const w = await world();
    await oauthError(await postForm(s, '/v1/oauth/token', { grant_type: 'password', client_id: w.oc.clientId, client_secret: w.oc.clientSecret, username: 'a', password: 'b' }), 400, 'unauthorized_client');
    await oauthError(await postForm(s, '/v1/oauth/token', { grant_type: 'authorization_code', client_id: w.oc.clientId, client_secret: w.oc.clientSecret }), 400, 'invalid_request');
    const json = await s.raw('/v1/oauth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'refresh_token' }) });
    await oauthError(json, 400, 'invalid_request');
  });

  it('refresh rotation: a new pair each time; presenting a rotated refresh token revokes the whole grant (RFC 9700 §4.14.2)', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    const first = await tokensOf(await exchange(w.oc, code, verifier));
    const second = await tokensOf(await refresh(w.oc, first.refresh_token));
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect(await walletStatus(w, second.access_token)).toBe(200);
    const third = await tokensOf(await refresh(w.oc, second.refresh_token));
    // The attacker (or a confused client) presents an old refresh token.
    await oauthError(await refresh(w.oc, first.refresh_token), 400, 'invalid_grant');
    for (const access of [first.access_token, second.access_token, third.access_token]) expect(await walletStatus(w, access)).toBe(401);
    await oauthError(await refresh(w.oc, third.refresh_token), 400, 'invalid_grant');
  });

  it('parallel refreshes with one refresh token: at most one succeeds, and the reuse ends the grant', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    const first = await tokensOf(await exchange(w.oc, code, verifier));
    const results = await Promise.all(Array.from({ length: 4 }, () => refresh(w.oc, first.refresh_token)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeLessThanOrEqual(1);
    for (const r of ok) expect(await walletStatus(w, ((await r.json()) as Tokens).access_token)).toBe(401);
  });

  it('a refresh may narrow the scopes: wallet.read only cannot pay', async () => {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    const first = await tokensOf(await exchange(w.oc, code, verifier));
    const narrow = await tokensOf(await refresh(w.oc, first.refresh_token, { scope: 'wallet.read' }));
    expect(narrow.scope).toBe('wallet.read');
    const asPayer = payerClient(s, w.merchant.apiKey, narrow.access_token);
    expect((await asPayer.GET('/v1/wallet')).response.status).toBe(200);
    expect((await asPayer.POST('/v1/payments', { body: { amount: 100, currency: 'USD', paymentMethod: { type: 'wallet' } } })).response.status).toBe(403);
    await oauthError(await refresh(w.oc, narrow.refresh_token, { scope: 'wallet.read wallet.pay' }), 400, 'invalid_scope');
  });
});

describe('revokeOAuthToken', () => {
  async function granted() {
    const w = await world();
    const { code, verifier } = await codeFor(w);
    return { ...w, tokens: await tokensOf(await exchange(w.oc, code, verifier)) };
  }
  const revoke = (oc: OAuthClientInfo, token: string, extra: Record<string, string> = {}) =>
    postForm(s, '/v1/oauth/revoke', { token, client_id: oc.clientId, client_secret: oc.clientSecret, ...extra });

  it('200: a revoked access token is 401 at once; the refresh token still works', async () => {
    const w = await granted();
    const r = await revoke(w.oc, w.tokens.access_token, { token_type_hint: 'access_token' });
    expect(r.status).toBe(200);
    expect(await walletStatus(w, w.tokens.access_token)).toBe(401);
    const fresh = await tokensOf(await refresh(w.oc, w.tokens.refresh_token));
    expect(await walletStatus(w, fresh.access_token)).toBe(200);
  });

  it('200: revoking the refresh token ends the grant (its access tokens too)', async () => {
    const w = await granted();
    expect((await revoke(w.oc, w.tokens.refresh_token)).status).toBe(200);
    expect(await walletStatus(w, w.tokens.access_token)).toBe(401);
    await oauthError(await refresh(w.oc, w.tokens.refresh_token), 400, 'invalid_grant');
  });

  it("200 and no change for an unknown token or another client's; 401 invalid_client; 400 without token", async () => {
    const w = await granted();
    const other = await oauthApplication(w.client);
    expect((await revoke(other, w.tokens.access_token)).status).toBe(200);
    expect(await walletStatus(w, w.tokens.access_token)).toBe(200);
    expect((await revoke(w.oc, `oat_test_${'Z'.repeat(36)}`)).status).toBe(200);
    await oauthError(await revoke(w.oc, w.tokens.access_token, { client_secret: `acs_test_${'y'.repeat(32)}` }), 401, 'invalid_client');
    await oauthError(await postForm(s, '/v1/oauth/revoke', { client_id: w.oc.clientId, client_secret: w.oc.clientSecret }), 400, 'invalid_request');
    expect(await walletStatus(w, w.tokens.access_token)).toBe(200);
  });
});

describe('createClientSecret', () => {
  it('201: an acs_ secret shown once, stored as a hash; 404 for another merchant\'s application', async () => {
    const { client } = await s.newMerchant();
    const app = unwrap(await client.POST('/v1/applications', { body: { name: 'A', redirectUris: ['https://shop.example.com/cb'] } }));
    const r = await client.POST('/v1/applications/{applicationId}/client-secret', { params: { path: { applicationId: app.id } } });
    expect(r.response.status).toBe(201);
    expect(r.data).toMatchObject({ applicationId: app.id, clientId: app.clientId, clientSecret: expect.stringMatching(/^acs_test_[0-9A-Za-z]{32}$/) });
    const other: TillpointClient = (await s.newMerchant()).client;
    expect((await other.POST('/v1/applications/{applicationId}/client-secret', { params: { path: { applicationId: app.id } } })).response.status).toBe(404);
  });
});
