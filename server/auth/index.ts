/**
 * The auth family: access tokens and API key rotation, plus what every other part of the server
 * needs of merchants and credentials (authentication for the validator, merchant lookup for the
 * hosted pages, merchant creation for the sandbox). Other families reach auth only through this file.
 */
import { defineFamily } from '../http/family.ts';
import { authHandlers } from './handlers.ts';

export { authenticateRequest, securityHandlers, verifyCredential, type AuthContext } from './authenticate.ts';
export { authorize } from './authorize.ts';
export { hasScopes } from './context.ts';
export { base62Crc32, digestsEqual, generateClientId, generateClientToken, hashSecret, type KeyMode } from './credentials.ts';
export type { ApplicationsPort, VerifiedClientToken } from './ports.ts';
export { createCredentialCache, type CredentialCache } from './cache.ts';
export { findMerchant, type MerchantRow } from './repository.ts';
export { createMerchant, type CreatedMerchant, type FixedCredentials } from './service.ts';

/** The auth family module. */
export const auth = defineFamily({ tag: 'auth', handlers: authHandlers });
