import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Random base-62 string of `length` characters from a CSPRNG (rejection sampling keeps every
 * character equally likely). Used for ids, API keys, secrets and client ids.
 */
export function randomBase62(length: number, alphabet = ALPHABET): string {
  let out = '';
  const limit = 256 - (256 % alphabet.length);
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Object id prefixes in use (DESIGN.md: ids are opaque, prefixed strings). */
export type IdPrefix = 'mer' | 'key' | 'app' | 'ctk' | 'cs' | 'pay' | 're' | 'evt' | 'ltx' | 'we' | 'del' | 'sto' | 'prod' | 'ord' | 'lk' | 'otp' | 'usr' | 'grt' | 'esc' | 'quo' | 'dsb' | 'edb';

/** New opaque id: `<prefix>_` + 24 base-62 characters, e.g. `pay_3kTq9ZmX2bW7nR4vL8cY1dPa`. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(24)}`;
}
