/** The authenticated caller of a request (`req.auth`), as credentials verify to. */
export interface AuthContext {
  merchantId: string;
  merchantName: string;
  /** The API key the credential is (or was issued for); rotation retires this key. */
  apiKeyId: string;
  via: 'api_key' | 'access_token';
}

