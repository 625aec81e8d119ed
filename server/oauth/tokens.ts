/**
 * The secrets of the authorization server: access tokens `oat_{test|live}_…` and refresh
 * tokens `ort_{test|live}_…` (30 random base62 characters and a 6-character base62 CRC32
 * checksum, checked offline before any database access), authorization codes `oac_…`. Only
 * their SHA-256 hashes are stored.
 */
import { base62Crc32, hashSecret, type KeyMode } from '../auth/index.ts';
import { randomBase62 } from '../ids.ts';

/** Kinds of token prefixes. */
export type TokenKind = 'oat' | 'ort';

/** A new access (`oat`) or refresh (`ort`) token: prefix + 30 random characters + checksum (44 characters). */
export function generateToken(kind: TokenKind, mode: KeyMode): string {
  const body = `${kind}_${mode}_${randomBase62(30)}`;
  return body + base62Crc32(body);
}

/** Whether `value` has the shape of a token of `kind`, whatever its checksum. */
export function hasTokenShape(kind: TokenKind, value: string): boolean {
  return new RegExp(`^${kind}_(test|live)_[0-9A-Za-z]{36}$`).test(value);
}

/** Whether `value` is a well-formed token of `kind` with a matching checksum. */
export function isWellFormedToken(kind: TokenKind, value: string): boolean {
  return hasTokenShape(kind, value) && base62Crc32(value.slice(0, -6)) === value.slice(-6);
}

/** A new authorization code: `oac_` + 40 random base62 characters. */
export function generateAuthorizationCode(): string {
  return `oac_${randomBase62(40)}`;
}

/** SHA-256 (hex) of a token or code: the only form stored. */
export const hashToken = hashSecret;
