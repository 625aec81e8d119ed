/**
 * In-process cache of verified credentials, so that a request does not pay a database look-up
 * (and, for access tokens, a signature check) for a credential verified moments ago.
 *
 * Bounds (documented in the README): an entry is trusted for at most `ttlMs` of real time
 * (`CREDENTIAL_CACHE_MS`, default 5 s) and never past the credential's own expiry on the server
 * clock. Rotating a key or revoking a client token in this process drops its entries at once; another process or instance
 * stops accepting a rotated-out key within `ttlMs`. At most `maxEntries` credentials are kept
 * (oldest dropped first). Keys are SHA-256 digests: no raw credential is kept.
 */
import { createHash } from 'node:crypto';
import type { AuthContext } from './context.ts';

/** The cache of one process. */
export interface CredentialCache {
  /** The caller a credential was verified as, if cached, still fresh and unexpired at `now`. */
  get(credential: string, now: Date): AuthContext | undefined;
  /**
   * Remembers a verified credential valid until `validUntil` (server clock; null = no expiry).
   * `verifiedSince` is the real time (ms) the verification began: an entry whose credential was
   * invalidated after that moment is not stored (its database read may predate the rotation).
   */
  set(credential: string, auth: AuthContext, validUntil: Date | null, verifiedSince: number): void;
  /** The real clock (ms) of this cache, read before a verification starts. */
  clock(): number;
  /**
   * Forgets every credential verified as this `credentialId` (see AuthContext): an API key and its
   * access tokens on rotation, a client token on revocation.
   */
  invalidateKey(credentialId: string): void;
}

interface Entry {
  auth: AuthContext;
  /** Server-clock expiry of the credential, ms since epoch. */
  validUntil: number;
  /** Real time after which the entry must be verified again, ms since epoch. */
  staleAt: number;
}

/**
 * A cache trusting entries for `ttlMs` milliseconds of real time; `ttlMs` 0 caches nothing.
 * @param realNow the real clock (tests pass their own).
 */
export function createCredentialCache(ttlMs: number, maxEntries = 10_000, realNow: () => number = Date.now): CredentialCache {
  const entries = new Map<string, Entry>();
  /** When each API key was last invalidated (real ms), so a slower verification cannot refill it. */
  const invalidated = new Map<string, number>();
  const digest = (credential: string) => createHash('sha256').update(credential).digest('base64url');
  return {
    get(credential, now) {
      if (ttlMs <= 0) return undefined;
      const key = digest(credential);
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.staleAt <= realNow() || entry.validUntil <= now.getTime()) {
        entries.delete(key);
        return undefined;
      }
      return entry.auth;
    },
    clock: realNow,
    set(credential, auth, validUntil, verifiedSince) {
      if (ttlMs <= 0) return;
      if ((invalidated.get(auth.credentialId) ?? Number.NEGATIVE_INFINITY) >= verifiedSince) return;
      const key = digest(credential);
      if (!entries.has(key) && entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, {
        auth,
        validUntil: validUntil?.getTime() ?? Number.POSITIVE_INFINITY,
        staleAt: realNow() + ttlMs,
      });
    },
    invalidateKey(credentialId) {
      invalidated.set(credentialId, realNow());
      // Forget invalidations older than any verification still in flight could be.
      for (const [id, at] of invalidated) if (at < realNow() - 60_000) invalidated.delete(id);
      for (const [key, entry] of entries) if (entry.auth.credentialId === credentialId) entries.delete(key);
    },
  };
}
