/**
 * The applications family, one `describe` per operationId with every status it documents (500
 * cannot be provoked from outside and is not tested; 429 on a server limited to one request per
 * minute per credential), then what a user of client tokens relies on: the token shown once and
 * stored as a hash only, its checksum, revocation and expiry taking effect at once, `lastUsedAt`,
 * the default application, objects of another merchant (404, untouched), and the `applicationId`
 * that payments and checkout sessions created with a client token carry.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import { clientTokens } from '../../server/applications/schema.ts';
import { createMerchant } from '../../server/auth/service.ts';
import { base62Crc32 } from '../../server/auth/credentials.ts';
import { clientWithUnknownKey } from '../support/clients.ts';
import { claimKeyInFlight, newKey } from '../support/idempotency.ts';
import { asResult, expectInvalidBody, expectInvalidParameter, expectProblem } from '../support/problems.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { createApplication, createToken, merchantWithToken, tokenClient } from './fixtures.ts';

const { server: s, limited, clock } = useTestServer({ rateLimit: 1 });

const UNKNOWN_APP = 'app_000000000000000000000000';
const UNKNOWN_TOKEN = 'ctk_000000000000000000000000';
const appPath = (applicationId: string) => ({ params: { path: { applicationId } } });
const tokenPath = (applicationId: string, tokenId: string) => ({ params: { path: { applicationId, tokenId } } });
const INVALID_TOKEN = 'Bearer realm="tillpoint", error="invalid_token"';

/** A client token of the merchant behind `client` (an application of its own) and the client using it. */
async function tokenOf(client: TillpointClient, scopes: Parameters<typeof createToken>[2] = ['*']) {
  const app = await createApplication(client);
  const created = await createToken(client, app.id, scopes);
  return { app, created, viaToken: tokenClient(s, created.token) };
}

/** Asserts a `401 unauthenticated` with `error="invalid_token"`. */
function expectInvalidToken(r: Parameters<typeof expectProblem>[0]): void {
  expectProblem(r, 401, 'unauthenticated');
  expect(r.response.headers.get('www-authenticate')).toBe(INVALID_TOKEN);
}

/** Asserts the 403 of a client token on an operation that needs the secret API key. */
function expectKeyOnly(r: Parameters<typeof expectProblem>[0]): void {
  const problem = expectProblem(r, 403, 'insufficient_scope');
  expect(problem.requiredScopes).toEqual([]);
  expect(r.response.headers.get('www-authenticate')).toBe('Bearer realm="tillpoint", error="insufficient_scope", scope=""');
}

describe('createApplication', () => {
  it('201: a new application with a fresh 32-character clientId, not the default', async () => {
    const { client, merchant } = await s.newMerchant();
    const r = await client.POST('/v1/applications', {
      body: { name: 'Web shop', description: 'The storefront', redirectUris: ['https://shop.example.com/oauth/callback', 'http://localhost:8080/cb'] },
    });
    expect(r.response.status).toBe(201);
    expect(r.data).toEqual({
      id: expect.stringMatching(/^app_[0-9A-Za-z]{24}$/),
      clientId: expect.stringMatching(/^[0-9a-z]{32}$/),
      name: 'Web shop',
      description: 'The storefront',
      redirectUris: ['https://shop.example.com/oauth/callback', 'http://localhost:8080/cb'],
      isDefault: false,
      createdAt: expect.any(String),
      updatedAt: r.data!.createdAt,
    });
    expect(r.data!.clientId).not.toBe(merchant.clientId);
    const minimal = unwrap(await client.POST('/v1/applications', { body: { name: 'POS' } }));
    expect(minimal).toMatchObject({ description: null, redirectUris: [], isDefault: false });
  });

  it('201 replayed for the same Idempotency-Key and body; 422 idempotency_key_reused with another body', async () => {
    const { client } = await s.newMerchant();
    const key = newKey();
    const first = unwrap(await client.POST('/v1/applications', { body: { name: 'A' }, headers: { 'Idempotency-Key': key } }));
    const again = await client.POST('/v1/applications', { body: { name: 'A' }, headers: { 'Idempotency-Key': key } });
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first);
    expectProblem(await client.POST('/v1/applications', { body: { name: 'B' }, headers: { 'Idempotency-Key': key } }), 422, 'idempotency_key_reused');
  });

  it('409 idempotency_request_in_progress while the first request with the key runs', async () => {
    const { client, merchant } = await s.newMerchant();
    const key = newKey();
    const body = { name: 'A' };
    await claimKeyInFlight(s.deps.db, { merchantId: merchant.merchantId, key, operationId: 'createApplication', path: '/v1/applications', body, at: s.deps.realNow() });
    expectProblem(await client.POST('/v1/applications', { body, headers: { 'Idempotency-Key': key } }), 409, 'idempotency_request_in_progress');
  });

  it('400 invalid_request for a name over 100 characters, a plain-http or malformed redirect URI, more than 10 URIs', async () => {
    const { client } = await s.newMerchant();
    expectInvalidBody(await client.POST('/v1/applications', { body: { name: 'x'.repeat(101) } }), '/name');
    expectInvalidBody(await client.POST('/v1/applications', { body: { name: 'A', redirectUris: ['http://shop.example.com/cb'] } }), '/redirectUris/0');
    expectInvalidBody(await client.POST('/v1/applications', { body: { name: 'A', redirectUris: ['https://ok.example.com/cb', 'ftp://x.example.com/'] } }), '/redirectUris/1');
    const eleven = Array.from({ length: 11 }, (_, i) => `https://shop.example.com/cb/${i}`);
    expectInvalidBody(await client.POST('/v1/applications', { body: { name: 'A', redirectUris: eleven } }), '/redirectUris');
    expectInvalidBody(await client.POST('/v1/applications', { body: { name: 'A', description: 'd'.repeat(501) } }), '/description');
  });

  it('401 unauthenticated without or with an unknown credential', async () => {
    expectProblem(await s.anonymous().POST('/v1/applications', { body: { name: 'A' } }), 401, 'unauthenticated');
    expectProblem(await clientWithUnknownKey(s).POST('/v1/applications', { body: { name: 'A' } }), 401, 'unauthenticated');
  });

  it('403 insufficient_scope for a client token, even with *', async () => {
    const { client } = await s.newMerchant();
    const { viaToken } = await tokenOf(client, ['*']);
    expectKeyOnly(await viaToken.POST('/v1/applications', { body: { name: 'A' } }));
  });

  it('415 unsupported_media_type for a body that is not JSON', async () => {
    const { merchant } = await s.newMerchant();
    const r = await s.raw('/v1/applications', { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'content-type': 'text/plain' }, body: 'name=A' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });
});

describe('listApplications', () => {
  it('200: newest first, the default application last, one page at a time', async () => {
    const { client, merchant } = await s.newMerchant();
    const a = await createApplication(client, 'A');
    const b = await createApplication(client, 'B');
    const all = unwrap(await client.GET('/v1/applications'));
    expect(all.data.map((x) => x.id)).toEqual([b.id, a.id, expect.any(String)]);
    expect(all.data[2]).toMatchObject({ isDefault: true, clientId: merchant.clientId });
    expect(all).toMatchObject({ hasMore: false, nextCursor: null });
    const page1 = unwrap(await client.GET('/v1/applications', { params: { query: { limit: 2 } } }));
    expect(page1.data.map((x) => x.id)).toEqual([b.id, a.id]);
    expect(page1.hasMore).toBe(true);
    const page2 = unwrap(await client.GET('/v1/applications', { params: { query: { limit: 2, cursor: page1.nextCursor! } } }));
    expect(page2.data.map((x) => x.isDefault)).toEqual([true]);
  });

  it('400 invalid_request for a bad limit or cursor', async () => {
    const { client } = await s.newMerchant();
    expectInvalidParameter(await client.GET('/v1/applications', { params: { query: { limit: 0 } } }), 'limit');
    expectInvalidParameter(await client.GET('/v1/applications', { params: { query: { cursor: 'nope' } } }), 'cursor');
  });

  it('401 without a credential; 403 for a client token', async () => {
    expectProblem(await s.anonymous().GET('/v1/applications'), 401, 'unauthenticated');
    const { client } = await s.newMerchant();
    const { viaToken } = await tokenOf(client);
    expectKeyOnly(await viaToken.GET('/v1/applications'));
  });
});

describe('getApplication', () => {
  it('200: the application', async () => {
    const { client } = await s.newMerchant();
    const app = await createApplication(client);
    expect(unwrap(await client.GET('/v1/applications/{applicationId}', appPath(app.id)))).toEqual(app);
  });

  it('400 for a malformed id, 404 for an unknown one, 401 without a credential, 403 for a client token', async () => {
    const { client } = await s.newMerchant();
    expectInvalidParameter(await client.GET('/v1/applications/{applicationId}', appPath('nope')), 'applicationId');
    expectProblem(await client.GET('/v1/applications/{applicationId}', appPath(UNKNOWN_APP)), 404, 'not_found');
    expectProblem(await s.anonymous().GET('/v1/applications/{applicationId}', appPath(UNKNOWN_APP)), 401, 'unauthenticated');
    const { app, viaToken } = await tokenOf(client);
    expectKeyOnly(await viaToken.GET('/v1/applications/{applicationId}', appPath(app.id)));
  });
});

describe('updateApplication', () => {
  it('200: changes what is sent, keeps the rest and the clientId', async () => {
    const { client } = await s.newMerchant();
    const app = unwrap(await client.POST('/v1/applications', { body: { name: 'A', description: 'first', redirectUris: ['https://a.example.com/cb'] } }));
    clock.advanceSeconds(5);
    const updated = unwrap(await client.PATCH('/v1/applications/{applicationId}', { ...appPath(app.id), body: { name: 'B', description: null } }));
    expect(updated).toEqual({ ...app, name: 'B', description: null, updatedAt: expect.any(String) });
    expect(updated.updatedAt > app.updatedAt).toBe(true);
    const uris = unwrap(await client.PATCH('/v1/applications/{applicationId}', { ...appPath(app.id), body: { redirectUris: [] } }));
    expect(uris).toMatchObject({ name: 'B', redirectUris: [], clientId: app.clientId });
  });

  it('400 for an empty change or a bad URI, 404 unknown, 401, 403 for a client token, 415', async () => {
    const { client, merchant } = await s.newMerchant();
    const app = await createApplication(client);
    expectInvalidBody(await client.PATCH('/v1/applications/{applicationId}', { ...appPath(app.id), body: {} }), '');
    expectInvalidBody(await client.PATCH('/v1/applications/{applicationId}', { ...appPath(app.id), body: { redirectUris: ['http://x.example.com/'] } }), '/redirectUris/0');
    expectProblem(await client.PATCH('/v1/applications/{applicationId}', { ...appPath(UNKNOWN_APP), body: { name: 'x' } }), 404, 'not_found');
    expectProblem(await s.anonymous().PATCH('/v1/applications/{applicationId}', { ...appPath(app.id), body: { name: 'x' } }), 401, 'unauthenticated');
    const { viaToken } = await tokenOf(client);
    expectKeyOnly(await viaToken.PATCH('/v1/applications/{applicationId}', { ...appPath(app.id), body: { name: 'x' } }));
    const r = await s.raw(`/v1/applications/${app.id}`, { method: 'PATCH', headers: { 'x-api-key': merchant.apiKey, 'content-type': 'text/plain' }, body: 'x' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });
});

describe('createClientToken', () => {
  it('201: the token once (ct_test_, 44 characters, valid checksum), its scopes, expiry and last4', async () => {
    const { client } = await s.newMerchant();
    const app = await createApplication(client);
    const before = clock.ms;
    const r = await client.POST('/v1/applications/{applicationId}/tokens', { ...appPath(app.id), body: { label: 'POS 3', scopes: ['payments.create', 'payments.read'], expiresIn: 3600 } });
    expect(r.response.status).toBe(201);
    const created = r.data!;
    expect(created).toEqual({
      id: expect.stringMatching(/^ctk_[0-9A-Za-z]{24}$/),
      applicationId: app.id,
      label: 'POS 3',
      scopes: ['payments.create', 'payments.read'],
      prefix: 'ct_test_',
      last4: created.token.slice(-4),
      expiresAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
      createdAt: expect.any(String),
      token: expect.stringMatching(/^ct_test_[0-9A-Za-z]{36}$/),
    });
    expect(base62Crc32(created.token.slice(0, -6))).toBe(created.token.slice(-6));
    expect(Date.parse(created.expiresAt!) - before).toBeGreaterThanOrEqual(3600_000);
    expect(Date.parse(created.expiresAt!) - before).toBeLessThan(3610_000);
    const forever = await createToken(client, app.id, ['*']);
    expect(forever).toMatchObject({ expiresAt: null, scopes: ['*'] });
  });

  it('400 for an unknown scope, no scope, more than 32, or expiresIn outside 300..31536000', async () => {
    const { client } = await s.newMerchant();
    const app = await createApplication(client);
    const post = (body: Record<string, unknown>) =>
      client.POST('/v1/applications/{applicationId}/tokens', { ...appPath(app.id), body: body as { label: string; scopes: ['*'] } });
    expectInvalidBody(await post({ label: 'x', scopes: ['payments.delete'] }), '/scopes/0');
    expectInvalidBody(await post({ label: 'x', scopes: [] }), '/scopes');
    expectInvalidBody(await post({ label: 'x', scopes: Array.from({ length: 33 }, () => 'payments.read') }), '/scopes');
    expectInvalidBody(await post({ label: 'x', scopes: ['*'], expiresIn: 299 }), '/expiresIn');
    expectInvalidBody(await post({ label: 'x', scopes: ['*'], expiresIn: 31536001 }), '/expiresIn');
    expectInvalidBody(await post({ label: 'x'.repeat(101), scopes: ['*'] }), '/label');
  });

  it('404 for an unknown application, 401 without a credential, 403 for a client token, 415', async () => {
    const { client, merchant } = await s.newMerchant();
    const body = { label: 'x', scopes: ['*' as const] };
    expectProblem(await client.POST('/v1/applications/{applicationId}/tokens', { ...appPath(UNKNOWN_APP), body }), 404, 'not_found');
    expectProblem(await s.anonymous().POST('/v1/applications/{applicationId}/tokens', { ...appPath(UNKNOWN_APP), body }), 401, 'unauthenticated');
    const { app, viaToken } = await tokenOf(client);
    // A client token cannot mint tokens, not even for its own application.
    expectKeyOnly(await viaToken.POST('/v1/applications/{applicationId}/tokens', { ...appPath(app.id), body }));
    const r = await s.raw(`/v1/applications/${app.id}/tokens`, { method: 'POST', headers: { 'x-api-key': merchant.apiKey, 'content-type': 'text/plain' }, body: 'x' });
    expectProblem(await asResult(r), 415, 'unsupported_media_type');
  });
});

describe('listClientTokens', () => {
  it('200: newest first, revoked ones included, never the token itself', async () => {
    const { client } = await s.newMerchant();
    const app = await createApplication(client);
    const a = await createToken(client, app.id, ['payments.read']);
    const b = await createToken(client, app.id, ['*']);
    unwrap(await client.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(app.id, a.id)));
    const list = unwrap(await client.GET('/v1/applications/{applicationId}/tokens', appPath(app.id)));
    expect(list.data.map((t) => t.id)).toEqual([b.id, a.id]);
    expect(list.data[1]!.revokedAt).not.toBeNull();
    const text = JSON.stringify(list);
    expect(text).not.toContain(a.token);
    expect(text).not.toContain(b.token);
    for (const t of list.data) expect(t).not.toHaveProperty('token');
    const page = unwrap(await client.GET('/v1/applications/{applicationId}/tokens', { params: { path: { applicationId: app.id }, query: { limit: 1 } } }));
    expect(page).toMatchObject({ hasMore: true, data: [{ id: b.id }] });
  });

  it('400 for a bad limit, 404 unknown application, 401, 403 for a client token', async () => {
    const { client } = await s.newMerchant();
    const app = await createApplication(client);
    expectInvalidParameter(await client.GET('/v1/applications/{applicationId}/tokens', { params: { path: { applicationId: app.id }, query: { limit: 101 } } }), 'limit');
    expectProblem(await client.GET('/v1/applications/{applicationId}/tokens', appPath(UNKNOWN_APP)), 404, 'not_found');
    expectProblem(await s.anonymous().GET('/v1/applications/{applicationId}/tokens', appPath(app.id)), 401, 'unauthenticated');
    const { viaToken, app: own } = await tokenOf(client);
    expectKeyOnly(await viaToken.GET('/v1/applications/{applicationId}/tokens', appPath(own.id)));
  });
});

describe('revokeClientToken', () => {
  it('200: the revoked token; refused at once (even just verified and cached); revoking again keeps revokedAt', async () => {
    const { client } = await s.newMerchant();
    const { app, created, viaToken } = await tokenOf(client, ['payments.read']);
    expect((await viaToken.GET('/v1/payments')).response.status).toBe(200);
    const r = await client.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(app.id, created.id));
    expect(r.response.status).toBe(200);
    const { token: _token, ...listed } = created;
    // lastUsedAt is written off the request path: whether it landed yet is not this test's concern.
    expect({ ...r.data, lastUsedAt: null }).toEqual({ ...listed, lastUsedAt: null, revokedAt: expect.any(String) });
    expectInvalidToken(await viaToken.GET('/v1/payments'));
    clock.advanceSeconds(1);
    const again = unwrap(await client.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(app.id, created.id)));
    expect(again.revokedAt).toBe(r.data!.revokedAt);
  });

  it('400 malformed id, 404 unknown token or a token of another application of the merchant, 401, 403', async () => {
    const { client } = await s.newMerchant();
    const { app, created, viaToken } = await tokenOf(client);
    const other = await createApplication(client, 'Other');
    expectInvalidParameter(await client.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(app.id, 'nope')), 'tokenId');
    expectProblem(await client.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(app.id, UNKNOWN_TOKEN)), 404, 'not_found');
    expectProblem(await client.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(other.id, created.id)), 404, 'not_found');
    expectProblem(await s.anonymous().DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(app.id, created.id)), 401, 'unauthenticated');
    // A client token cannot revoke itself either (that needs the secret API key).
    expectKeyOnly(await viaToken.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(app.id, created.id)));
    expect((await viaToken.GET('/v1/payments')).response.status).toBe(200);
  });
});

describe('429 rate_limited on every applications operation', () => {
  type Call = (client: TillpointClient) => Promise<{ response: Response; error?: unknown; data?: unknown }>;
  const body = { label: 'x', scopes: ['*' as const] };
  const calls: [string, Call][] = [
    ['createApplication', (c) => c.POST('/v1/applications', { body: { name: 'A' } })],
    ['listApplications', (c) => c.GET('/v1/applications')],
    ['getApplication', (c) => c.GET('/v1/applications/{applicationId}', appPath(UNKNOWN_APP))],
    ['updateApplication', (c) => c.PATCH('/v1/applications/{applicationId}', { ...appPath(UNKNOWN_APP), body: { name: 'x' } })],
    ['createClientToken', (c) => c.POST('/v1/applications/{applicationId}/tokens', { ...appPath(UNKNOWN_APP), body })],
    ['listClientTokens', (c) => c.GET('/v1/applications/{applicationId}/tokens', appPath(UNKNOWN_APP))],
    ['revokeClientToken', (c) => c.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(UNKNOWN_APP, UNKNOWN_TOKEN))],
  ];
  it.each(calls)('%s', async (_name, call) => {
    const { client } = await limited.newMerchant();
    expect((await call(client)).response.status).not.toBe(429);
    const second = await call(client);
    expectProblem(second, 429, 'rate_limited');
    expect(Number(second.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('client tokens as credentials', () => {
  it('are stored as SHA-256 hashes only: no column of the row holds the token', async () => {
    const { created } = await merchantWithToken(s, ['payments.read']);
    const rows = await s.deps.db.select().from(clientTokens).where(eq(clientTokens.id, created.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(8, 38));
  });

  it('are refused with a bad checksum before any look-up, even when a row with that hash exists', async () => {
    const { created, viaToken } = await merchantWithToken(s, ['payments.read']);
    expect((await viaToken.GET('/v1/payments')).response.status).toBe(200);
    const last = created.token.at(-1)!;
    const forged = created.token.slice(0, -1) + (last === 'A' ? 'B' : 'A');
    // A row whose hash matches the forged token: only the offline checksum can refuse it.
    const [row] = await s.deps.db.select().from(clientTokens).where(eq(clientTokens.id, created.id));
    await s.deps.db.insert(clientTokens).values({ ...row!, id: 'ctk_forgedforgedforgedforged', tokenHash: createHash('sha256').update(forged).digest('hex') });
    expectInvalidToken(await tokenClient(s, forged).GET('/v1/payments'));
    expectInvalidToken(await tokenClient(s, `ct_test_${'a'.repeat(20)}`).GET('/v1/payments'));
  });

  it('are bearer credentials only: in x-api-key a client token is refused with 401 invalid_token', async () => {
    const { token, viaToken } = await merchantWithToken(s, ['payments.read']);
    expect((await viaToken.GET('/v1/payments')).response.status).toBe(200);
    const r = await s.raw('/v1/payments', { headers: { 'x-api-key': token } });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(INVALID_TOKEN);
  });

  it('are refused with 401 invalid_token once expired', async () => {
    const { viaToken } = await merchantWithToken(s, ['payments.read'], { expiresIn: 300 });
    expect((await viaToken.GET('/v1/payments')).response.status).toBe(200);
    clock.advanceSeconds(301);
    expectInvalidToken(await viaToken.GET('/v1/payments'));
  });

  it('set lastUsedAt shortly after a request, at most once a minute', async () => {
    const { client, application, created, viaToken } = await merchantWithToken(s, ['payments.read']);
    const lastUsed = async () =>
      unwrap(await client.GET('/v1/applications/{applicationId}/tokens', appPath(application.id))).data.find((t) => t.id === created.id)!.lastUsedAt;
    const waitFor = async (predicate: (v: string | null) => boolean) => {
      for (let i = 0; i < 50; i++) {
        const v = await lastUsed();
        if (predicate(v)) return v;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('lastUsedAt did not change');
    };
    expect(await lastUsed()).toBeNull();
    await viaToken.GET('/v1/payments');
    const first = await waitFor((v) => v !== null);
    clock.advanceSeconds(30);
    await viaToken.GET('/v1/payments');
    await new Promise((r) => setTimeout(r, 100));
    expect(await lastUsed()).toBe(first);
    clock.advanceSeconds(31);
    await viaToken.GET('/v1/payments');
    const second = await waitFor((v) => v !== first);
    expect(Date.parse(second!) - Date.parse(first!)).toBeGreaterThanOrEqual(60_000);
  });
});

describe('the default application', () => {
  it('exists for every merchant with the clientId createSandboxMerchant returned, and stays the default', async () => {
    const { client, merchant } = await s.newMerchant();
    const apps = unwrap(await client.GET('/v1/applications')).data;
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ isDefault: true, clientId: merchant.clientId, name: 'Default application' });
    const renamed = unwrap(await client.PATCH('/v1/applications/{applicationId}', { ...appPath(apps[0]!.id), body: { name: 'Main' } }));
    expect(renamed).toMatchObject({ isDefault: true, clientId: merchant.clientId });
  });

  it('carries the client id fixed for the demo merchant (the one npm start prints)', async () => {
    const clientId = 'd'.repeat(16) + '0123456789abcdef';
    const created = await createMerchant(s.deps, 'Demo', { clientId });
    expect(created.clientId).toBe(clientId);
    const client = (await import('../../client/index.ts')).createTillpointClient({ baseUrl: s.url, apiKey: created.apiKey, retry: false });
    const [app] = unwrap(await client.GET('/v1/applications')).data;
    expect(app).toMatchObject({ isDefault: true, clientId });
  });
});

describe("another merchant's applications and tokens", () => {
  it('are 404 not_found to merchant A for every operation, and stay untouched', async () => {
    const b = await merchantWithToken(s, ['payments.read']);
    const { client: a } = await s.newMerchant();
    const appB = b.application.id;
    const tokenB = b.created.id;
    expectProblem(await a.GET('/v1/applications/{applicationId}', appPath(appB)), 404, 'not_found');
    expectProblem(await a.PATCH('/v1/applications/{applicationId}', { ...appPath(appB), body: { name: 'hijacked' } }), 404, 'not_found');
    expectProblem(await a.POST('/v1/applications/{applicationId}/tokens', { ...appPath(appB), body: { label: 'x', scopes: ['*'] } }), 404, 'not_found');
    expectProblem(await a.GET('/v1/applications/{applicationId}/tokens', appPath(appB)), 404, 'not_found');
    expectProblem(await a.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(appB, tokenB)), 404, 'not_found');
    const ownApp = await createApplication(a);
    expectProblem(await a.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', tokenPath(ownApp.id, tokenB)), 404, 'not_found');

    expect(unwrap(await b.client.GET('/v1/applications/{applicationId}', appPath(appB))).name).toBe('Web shop');
    const tokens = unwrap(await b.client.GET('/v1/applications/{applicationId}/tokens', appPath(appB))).data;
    expect(tokens.map((t) => [t.id, t.revokedAt])).toEqual([[tokenB, null]]);
    expect((await b.viaToken.GET('/v1/payments')).response.status).toBe(200);
    expect(unwrap(await a.GET('/v1/applications')).data.map((x) => x.id)).not.toContain(appB);
  });

  it("a client token sees only its own merchant's objects", async () => {
    const b = await s.newMerchant();
    const payment = unwrap(await b.client.POST('/v1/payments', { body: cardPayment() }));
    const { viaToken } = await merchantWithToken(s, ['payments.read']);
    expectProblem(await viaToken.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: payment.id } } }), 404, 'not_found');
  });
});

describe('applicationId on what a client token creates', () => {
  it('a payment and a checkout session carry the application, are filterable by it; with an API key it is null', async () => {
    const { client, application, viaToken } = await merchantWithToken(s, ['payments.create', 'checkout_sessions.create']);
    const other = await createApplication(client, 'Other');
    const viaOther = tokenClient(s, (await createToken(client, other.id, ['*'])).token);

    const payment = unwrap(await viaToken.POST('/v1/payments', { body: cardPayment() }));
    expect(payment.applicationId).toBe(application.id);
    const otherPayment = unwrap(await viaOther.POST('/v1/payments', { body: cardPayment() }));
    expect(otherPayment.applicationId).toBe(other.id);
    const keyPayment = unwrap(await client.POST('/v1/payments', { body: cardPayment() }));
    expect(keyPayment.applicationId).toBeNull();

    const sessionBody = { amount: 2500, currency: 'USD', successUrl: 'https://shop.example.com/ok', cancelUrl: 'https://shop.example.com/cart' };
    const session = unwrap(await viaToken.POST('/v1/checkout/sessions', { body: sessionBody }));
    expect(session.applicationId).toBe(application.id);
    const keySession = unwrap(await client.POST('/v1/checkout/sessions', { body: sessionBody }));
    expect(keySession.applicationId).toBeNull();

    const payments = unwrap(await client.GET('/v1/payments', { params: { query: { applicationId: application.id } } }));
    expect(payments.data.map((p) => p.id)).toEqual([payment.id]);
    const all = unwrap(await client.GET('/v1/payments'));
    expect(all.data.map((p) => p.id)).toEqual([keyPayment.id, otherPayment.id, payment.id]);
    const sessions = unwrap(await client.GET('/v1/checkout/sessions', { params: { query: { applicationId: application.id } } }));
    expect(sessions.data.map((x) => x.id)).toEqual([session.id]);
    expect(unwrap(await client.GET('/v1/payments/{paymentId}', { params: { path: { paymentId: payment.id } } })).applicationId).toBe(application.id);

    // The events follow the resources.
    const events = unwrap(await client.GET('/v1/events', { params: { query: { limit: 100 } } })).data;
    const succeeded = events.find((e) => e.type === 'payment.succeeded' && (e.data.object as { id: string }).id === payment.id);
    expect((succeeded!.data.object as { applicationId: string | null }).applicationId).toBe(application.id);
    expectInvalidParameter(await client.GET('/v1/payments', { params: { query: { applicationId: 'nope' } } }), 'applicationId');
  });

  it('an Idempotency-Key of one application does not replay what another created', async () => {
    const { client, viaToken } = await merchantWithToken(s, ['*']);
    const other = await createApplication(client, 'Other');
    const viaOther = tokenClient(s, (await createToken(client, other.id, ['*'])).token);
    const key = newKey();
    const first = unwrap(await viaToken.POST('/v1/payments', { body: cardPayment(), headers: { 'Idempotency-Key': key } }));
    const second = unwrap(await viaOther.POST('/v1/payments', { body: cardPayment(), headers: { 'Idempotency-Key': key } }));
    expect(second.id).not.toBe(first.id);
    expect(second.applicationId).toBe(other.id);
  });
});
