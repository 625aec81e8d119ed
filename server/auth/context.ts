/** The authenticated caller of a request (`req.auth`), as credentials verify to. */
export interface AuthContext {
  merchantId: string;
  merchantName: string;
  /** Which kind of credential: a secret API key, an access token of one, or a client token. */
  via: 'api_key' | 'access_token' | 'client_token';
  /**
   * The credential's identity for rate limits and cache invalidation: the API key's id (an access
   * token shares its key's), or the client token's id (`ctk_…`).
   */
  credentialId: string;
  /** The API key the credential is (or was issued for); rotation retires this key. `null` for a client token. */
  apiKeyId: string | null;
  /** The client token's application (`app_…`); `null` for a secret API key or its access token. */
  applicationId: string | null;
  /** What the credential may do: `['*']` for a secret API key and its access tokens, a client token's scopes. */
  scopes: readonly string[];
}

/** Whether `auth` has every one of `required` (a `*` scope has all). */
export function hasScopes(auth: Pick<AuthContext, 'scopes'>, required: readonly string[]): boolean {
  return auth.scopes.includes('*') || required.every((scope) => auth.scopes.includes(scope));
}
