/**
 * The oauth family: registered payers and the OAuth 2.0 authorization server through which they
 * grant a merchant's application access to their wallet (authorization code + PKCE, refresh
 * rotation, revocation, metadata, the hosted consent page). Exports the payer context of a
 * request (`requirePayer`) and what the sandbox and payments need of payers. Other families
 * reach it only through this file.
 */
import { defineFamily } from '../http/family.ts';
import { OAUTH_ENDPOINT_OPERATIONS, oauthEndpoints } from './endpoints.ts';
import { deleteExpiredBefore } from './repository.ts';

export { payerAuthentication, verifyPayerToken } from './authenticate.ts';
export { PAYER_CHALLENGE, requirePayer, type PayerContext } from './context.ts';
export { createPayer, findPayer, type NewPayer } from './payers.ts';
export type { PayerRow } from './repository.ts';

/** The oauth family module. */
export const oauth = defineFamily({
  tag: 'oauth',
  handlers: {},
  endpoints: oauthEndpoints,
  endpointOperations: OAUTH_ENDPOINT_OPERATIONS,
  jobs: [
    {
      // Codes and tokens a day past their expiry: nothing can use them, and a reused one is refused anyway (unknown).
      name: 'oauth.purge',
      intervalMs: 60_000,
      run: (deps) => deleteExpiredBefore(deps.db, new Date(deps.realNow().getTime() - 86_400_000)),
    },
  ],
});
