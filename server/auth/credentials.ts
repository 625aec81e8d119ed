/**
 * Secret credentials: generation, SHA-256 hashing for storage and constant-time comparison.
 * Raw keys and secrets are returned to the caller once and never stored.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { randomBase62 } from '../ids.ts';

/** Mode part of credential prefixes: `sk_test_…` in the sandbox, `sk_live_…` in production. */
export type KeyMode = 'test' | 'live';

/** A new secret API key, e.g. `sk_test_4eC39HqLyjWDarjtT1zdp7dc9Xb2Mn5Q` (8 + 32 characters). */
export function generateApiKey(mode: KeyMode): string {
  return `sk_${mode}_${randomBase62(32)}`;
}

/** A new API secret, used with the key to obtain access tokens (`ss_test_…`). */
export function generateApiSecret(mode: KeyMode): string {
  return `ss_${mode}_${randomBase62(32)}`;
}

/** A new public client id: 32 lowercase letters and digits. */
export function generateClientId(): string {
  return randomBase62(32, '0123456789abcdefghijklmnopqrstuvwxyz');
}

/** SHA-256 of a secret as 64 lowercase hex characters: the only form stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time (false when lengths differ). */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** The first 12 characters of a key (`sk_test_4eC3`), safe to show and log. */
export function keyPrefix(apiKey: string): string {
  return apiKey.slice(0, 12);
}

/** Whether a string has the shape of one of our API keys (any mode). */
export function looksLikeApiKey(value: string): boolean {
  return /^sk_(test|live)_[0-9A-Za-z]{32}$/.test(value);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** CRC32 (IEEE, as zlib) of `text` as 6 base62 characters, zero-padded (2^32 < 62^6). */
export function base62Crc32(text: string): string {
  let n = crc32(Buffer.from(text, 'utf8'));
  let out = '';
  for (let i = 0; i < 6; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * A new client token: `ct_test_` / `ct_live_`, 30 random base62 characters, then the 6-character
 * base62 CRC32 of everything before it (44 characters), e.g. `ct_test_8Hn2…3kQz`.
 */
export function generateClientToken(mode: KeyMode): string {
  const body = `ct_${mode}_${randomBase62(30)}`;
  return body + base62Crc32(body);
}

/** Whether a credential has the prefix of a client token (well-formed or not). */
export function isClientTokenLike(value: string): boolean {
  return value.startsWith('ct_');
}

/**
 * Whether a string is a well-formed client token with a matching checksum: checked offline,
 * before any database access.
 */
export function looksLikeClientToken(value: string): boolean {
  if (!/^ct_(test|live)_[0-9A-Za-z]{36}$/.test(value)) return false;
  return base62Crc32(value.slice(0, -6)) === value.slice(-6);
}
