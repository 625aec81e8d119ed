/**
 * The authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3) as the consent page checks it, and
 * the signed, short-lived state the page carries between its steps (sign-in, code, consent), so
 * that the server keeps no session: HMAC-SHA256 under a key derived from the server secret.
 *
 * Source: authorizeOAuth.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { OAuthClient } from '../applications/index.ts';
import { PAYER_SCOPES } from './model.ts';

/** Seconds a consent page's state stays valid (each step renews it). */
export const PAGE_STATE_SECONDS = 600;

/** A checked authorization request. */
export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  /** The client's `state`, returned unchanged (may be absent). */
  state?: string;
  codeChallenge: string;
}

/** Why a request cannot go on, and how to say so. */
export type AuthorizationRefusal =
  /** An error page, never a redirect: the client or its redirect URI is not trustworthy. */
  | { kind: 'page'; message: string }
  /** Back to the (registered) redirect URI with an RFC 6749 §4.1.2.1 error. */
  | { kind: 'redirect'; redirectUri: string; state?: string; error: string; description: string };

/** One query parameter given once, or `undefined`; a repeated one is `null` (RFC 6749 §3.1). */
function single(query: Record<string, unknown>, name: string): string | undefined | null {
  const value = query[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
}

/**
 * Checks an authorization request against its client.
 * @param findClient the OAuth client of a client id (with a secret), or `undefined`.
 * @returns the request, or the refusal: an unknown client or an unregistered redirect URI is an
 *   error page; everything else goes back to the redirect URI (missing or `plain` PKCE, an
 *   unsupported `response_type`, unknown scopes, a repeated or malformed parameter).
 */
export async function checkAuthorizationRequest(
  query: Record<string, unknown>,
  findClient: (clientId: string) => Promise<OAuthClient | undefined>,
): Promise<{ request: AuthorizationRequest; client: OAuthClient } | AuthorizationRefusal> {
  const clientId = single(query, 'client_id');
  if (!clientId || !/^[0-9a-z]{32}$/.test(clientId)) return { kind: 'page', message: 'The application that sent you here is not known (client_id).' };
  const client = await findClient(clientId);
  if (!client || !client.hasSecret) return { kind: 'page', message: 'The application that sent you here is not known (client_id).' };
  const redirectUri = single(query, 'redirect_uri');
  // Exact string match against the registered URIs (RFC 9700 §4.1.3): no prefix, no normalisation.
  if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
    return { kind: 'page', message: 'The address this application asked to return to (redirect_uri) is not one it registered, so you are not sent there.' };
  }
  const state = single(query, 'state');
  const back = (error: string, description: string): AuthorizationRefusal => ({ kind: 'redirect', redirectUri, state: typeof state === 'string' ? state : undefined, error, description });
  if (state === null || (state !== undefined && (state.length > 500 || !/^[\x20-\x7E]*$/.test(state)))) return back('invalid_request', 'state must be given once, as at most 500 printable ASCII characters');
  const responseType = single(query, 'response_type');
  if (responseType !== 'code') return back(responseType === undefined ? 'invalid_request' : 'unsupported_response_type', 'response_type must be code');
  const method = single(query, 'code_challenge_method');
  const challenge = single(query, 'code_challenge');
  if (method !== 'S256' || !challenge) return back('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256 (plain is not accepted)');
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) return back('invalid_request', 'code_challenge must be BASE64URL(SHA-256(code_verifier)): 43 characters');
  const scope = single(query, 'scope');
  const scopes = typeof scope === 'string' ? [...new Set(scope.split(' ').filter(Boolean))] : [];
  if (scopes.length === 0 || !scopes.every((s) => (PAYER_SCOPES as readonly string[]).includes(s))) return back('invalid_scope', `scope must be one or more of: ${PAYER_SCOPES.join(', ')}`);
  return { request: { clientId, redirectUri, scopes, ...(state ? { state } : {}), codeChallenge: challenge }, client };
}

/** The page's state: the request, and once signed in, the payer. Expires at `exp` (epoch ms). */
export interface PageState {
  request: AuthorizationRequest;
  /** The email typed at sign-in (lowercased). */
  email?: string;
  /** The payer, once the one-time code verified. */
  userId?: string;
  exp: number;
}

function stateKey(serverSecret: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', serverSecret, new Uint8Array(0), 'tillpoint oauth consent page v1', 32));
}

/** Signs `state` (valid {@link PAGE_STATE_SECONDS} from `now`) for a hidden form field. */
export function signPageState(serverSecret: Uint8Array, state: Omit<PageState, 'exp'>, now: Date): string {
  const payload = Buffer.from(JSON.stringify({ ...state, exp: now.getTime() + PAGE_STATE_SECONDS * 1000 })).toString('base64url');
  const mac = createHmac('sha256', stateKey(serverSecret)).update(payload).digest('base64url');
  return `${payload}.${mac}`;
}

/** The state of a signed field, or `undefined` when it is forged, malformed or expired at `now`. */
export function readPageState(serverSecret: Uint8Array, signed: unknown, now: Date): PageState | undefined {
  if (typeof signed !== 'string' || signed.length > 8000) return undefined;
  const [payload, mac, extra] = signed.split('.');
  if (!payload || !mac || extra !== undefined) return undefined;
  const expected = createHmac('sha256', stateKey(serverSecret)).update(payload).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const state = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PageState;
  return state.exp > now.getTime() ? state : undefined;
}

/** `redirectUri` with `params` added to its query (existing parameters kept). */
export function withParams(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.toString();
}
