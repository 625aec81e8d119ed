/**
 * Access tokens: HS256 JWTs signed and verified with jose. Claims: `sub` merchant id, `akid` the
 * API key they were issued for (so rotating the key out revokes them), `iss`/`aud` fixed,
 * `exp` one hour after `iat`.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { randomBase62 } from '../ids.ts';

/** Lifetime of an access token in seconds (createAccessToken `expiresIn`). */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
const ISSUER = 'tillpoint';
const AUDIENCE = 'tillpoint-api';

/** Verified claims of an access token. */
export interface AccessTokenClaims {
  merchantId: string;
  apiKeyId: string;
  /** When the token expires (`exp`). */
  expiresAt: Date;
}

/** Signs an access token valid for {@link ACCESS_TOKEN_TTL_SECONDS} from `now`. */
export async function signAccessToken(secret: Uint8Array, claims: Omit<AccessTokenClaims, 'expiresAt'>, now: Date): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT({ akid: claims.apiKeyId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.merchantId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setJti(randomBase62(16))
    .setIssuedAt(iat)
    .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
    .sign(secret);
}

/** One base64url segment without padding: only the alphabet, and never a length of 1 mod 4. */
const BASE64URL_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Whether `token` is three base64url segments each in its one canonical form: unpadded, and
 * equal to the re-encoding of its decoded bytes. Base64url leaves unused low bits in the last
 * character of a segment (a 32-byte signature is 43 characters for 256 bits), and decoders
 * ignore them and `=` padding, so without this check several strings would verify as the same
 * token (issue #1): a token must have exactly one spelling to be a credential.
 * @param token the compact JWS as received after `Bearer `.
 */
export function isCanonicalCompactJws(token: string): boolean {
  const segments = token.split('.');
  if (segments.length !== 3) return false;
  return segments.every((segment) => BASE64URL_SEGMENT.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment);
}

/**
 * Verifies the encoding ({@link isCanonicalCompactJws}), then signature, issuer, audience and
 * expiry (against `now`, no clock tolerance).
 * @param secret the HS256 key (`JWT_SECRET` as bytes).
 * @param token the compact JWS from `Authorization: Bearer`.
 * @returns the claims, or `null` for any non-canonical, invalid, expired or foreign token.
 */
export async function verifyAccessToken(secret: Uint8Array, token: string, now: Date): Promise<AccessTokenClaims | null> {
  if (!isCanonicalCompactJws(token)) return null;
  try {
    const { payload } = await jwtVerify(token, secret, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      currentDate: now,
    });
    if (typeof payload.sub !== 'string' || typeof payload.akid !== 'string' || typeof payload.exp !== 'number') return null;
    return { merchantId: payload.sub, apiKeyId: payload.akid, expiresAt: new Date(payload.exp * 1000) };
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) return null;
    throw err;
  }
}
