/**
 * Token revocation (RFC 7009), with client authentication as on the token endpoint (RFC 6749
 * §2.3.1: HTTP Basic with form-urlencoded id and secret, or both in the form, never both ways).
 * A refresh token takes its whole grant with it; an access token goes alone. A token that is
 * unknown, already revoked or another client's is answered like a revoked one (200) and
 * changes nothing.
 *
 * Source: revokeOAuthToken.
 */
import { oauthClient } from '../applications/index.ts';
import { basicCredentials } from './client-auth.ts';
import type { AppDeps } from '../deps.ts';
import * as repo from './repository.ts';
import { hashToken } from './tokens.ts';

/** The outcome: `{}` when done, else the RFC 6749 §5.2 error to answer. */
export type RevocationResult = { error?: undefined } | { error: 'invalid_request' | 'invalid_client'; description: string; status: 400 | 401 };

/** The client id and secret of a request, or why there are none. */
type Refusal = Extract<RevocationResult, { error: string }>;

function clientCredentials(authorization: string | undefined, body: Record<string, unknown>): { id: string; secret: string } | Refusal {
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  const basic = basicCredentials(authorization);
  if (basic !== undefined && inBody) return { error: 'invalid_request', description: 'Authenticate the client one way: HTTP Basic or client_id and client_secret in the form, not both.', status: 400 };
  if (basic === null) return { error: 'invalid_client', description: 'Invalid client: malformed HTTP Basic credentials.', status: 401 };
  if (basic) return basic;
  if (typeof body.client_id === 'string' && typeof body.client_secret === 'string') return { id: body.client_id, secret: body.client_secret };
  return { error: 'invalid_client', description: 'Invalid client: send the client id and secret (HTTP Basic or client_secret_post).', status: 401 };
}

/**
 * revokeOAuthToken.
 * @param authorization the request's `Authorization` header, if any.
 * @param body the parsed form.
 */
export async function revokeClientToken(deps: AppDeps, authorization: string | undefined, body: Record<string, unknown>): Promise<RevocationResult> {
  const credentials = clientCredentials(authorization, body);
  if (!('id' in credentials)) return credentials;
  const client = await oauthClient(deps.db, credentials.id, credentials.secret);
  if (!client || !client.hasSecret) return { error: 'invalid_client', description: 'Invalid client: client is invalid.', status: 401 };
  if (typeof body.token !== 'string' || body.token === '') return { error: 'invalid_request', description: 'Missing parameter: token.', status: 400 };
  if (body.token_type_hint !== undefined && body.token_type_hint !== 'access_token' && body.token_type_hint !== 'refresh_token') {
    return { error: 'invalid_request', description: 'token_type_hint must be access_token or refresh_token.', status: 400 };
  }
  const token = await repo.findToken(deps.db, hashToken(body.token));
  if (!token) return {};
  const grant = await repo.findGrant(deps.db, token.grantId);
  if (!grant || grant.applicationId !== client.applicationId) return {};
  const now = deps.realNow();
  if (token.kind === 'refresh') await repo.revokeGrant(deps.db, grant.id, now);
  else await repo.revokeToken(deps.db, token.tokenHash, now);
  return {};
}
