/**
 * Issue #1: an access token is accepted only in its one canonical form. Base64url leaves unused
 * low bits in a segment's last character (a 32-byte HS256 signature is 43 characters carrying
 * 258 bits), and lenient decoders also skip `=` padding, so several strings decode to the same
 * signature. Each of those variants must be refused with 401, like any other unknown token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { verifyAccessToken } from '../../server/auth/jwt.ts';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/server.ts';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let s: TestServer;
let token: string;
beforeAll(async () => {
  s = await startTestServer();
  const { merchant } = await s.newMerchant();
  token = unwrap(await s.anonymous().POST('/v1/auth/token', { body: { apiKey: merchant.apiKey, apiSecret: merchant.apiSecret } })).accessToken;
});
afterAll(async () => s?.close());

/** The same token with its signature's last character changed in its unused low bits. */
function lowBitsVariants(jwt: string): string[] {
  const last = jwt.at(-1)!;
  const value = B64URL.indexOf(last);
  return [1, 2, 3].map((flip) => jwt.slice(0, -1) + B64URL[value ^ flip]!);
}

const status = (t: string) => s.raw('/v1/checkout/sessions', { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);

describe('access tokens in non-canonical base64url', () => {
  it('the canonical token works (control)', async () => {
    expect(await status(token)).toBe(200);
  });

  it('401 when the signature differs only in the unused low bits of its last character', async () => {
    const variants = lowBitsVariants(token);
    // They all decode to the very same signature bytes: only the encoding differs.
    for (const v of variants) expect(Buffer.from(v.split('.')[2]!, 'base64url')).toEqual(Buffer.from(token.split('.')[2]!, 'base64url'));
    for (const v of variants) expect(await status(v), v).toBe(401);
  });

  it('401 when a segment carries = padding', async () => {
    const [h, p, sig] = token.split('.');
    for (const v of [`${h}.${p}.${sig}=`, `${h}.${p}.${sig}==`, `${h}=.${p}.${sig}`, `${h}.${p}=.${sig}`]) expect(await status(v), v).toBe(401);
  });

  it('verifyAccessToken returns null for them', async () => {
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    expect(await verifyAccessToken(key, token, new Date())).not.toBeNull();
    for (const v of [...lowBitsVariants(token), `${token}=`, `${token} `, `.${token}`]) expect(await verifyAccessToken(key, v, new Date()), v).toBeNull();
  });
});
