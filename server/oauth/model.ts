/**
 * The storage model of @node-oauth/oauth2-server, on our PostgreSQL tables. The library runs the
 * grant logic (client authentication, code exchange with PKCE verification, redirect URI check,
 * refresh-token rotation, scope narrowing); the model stores and finds, on the real clock
 * (`deps.realNow`), and adds what RFC 9700 asks of the storage:
 *
 * - codes are single use: spending one is an atomic update, so two concurrent exchanges cannot
 *   both succeed; a spent code presented again revokes the grant issued for it (RFC 6749 §4.1.2);
 * - refresh tokens rotate: each is spent by its refresh (atomically); a spent one presented again
 *   revokes the whole grant (RFC 9700 §4.14.2);
 * - codes and tokens are stored as SHA-256 hashes only; PKCE challenges are S256 only (checked
 *   before a code is made, see `authorization.ts`).
 */
import type { AuthorizationCode, AuthorizationCodeModel, Client, RefreshToken, RefreshTokenModel, Token, User } from '@node-oauth/oauth2-server';
import { oauthClient } from '../applications/index.ts';
import type { AppDeps } from '../deps.ts';
import { newId } from '../ids.ts';
import * as repo from './repository.ts';
import { generateAuthorizationCode, generateToken, hashToken } from './tokens.ts';

/** Seconds an authorization code is valid. */
export const CODE_LIFETIME_SECONDS = 60;
/** Seconds an access token is valid. */
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
/** Seconds a refresh token is valid. */
export const REFRESH_TOKEN_LIFETIME_SECONDS = 30 * 86_400;
/** The scopes a payer can grant. */
export const PAYER_SCOPES = ['wallet.read', 'wallet.pay'] as const;

/** The library's client: our application, with its merchant. */
export interface ModelClient extends Client {
  id: string;
  merchantId: string;
  clientId: string;
  name: string;
}

/** The library's user: the payer, and on a refresh the grant being refreshed. */
export interface ModelUser extends User {
  id: string;
  grantId?: string;
}

/** Builds the model for `deps`. */
export function createModel(deps: AppDeps): AuthorizationCodeModel & RefreshTokenModel {
  const db = deps.db;
  const mode = deps.config.mode === 'live' ? 'live' : 'test';
  const now = () => deps.realNow();

  return {
    /**
     * The application with this client id, if it has a client secret. `clientSecret` is `null`
     * when the authorization endpoint asks (no client authentication there), a string (or
     * `undefined`, refused) at the token endpoint.
     */
    async getClient(clientId: string, clientSecret: string | null | undefined) {
      const client = await oauthClient(db, clientId, clientSecret === null ? undefined : (clientSecret ?? '\u0000'));
      if (!client || !client.hasSecret) return false;
      const modelClient: ModelClient = {
        id: client.applicationId,
        merchantId: client.merchantId,
        clientId: client.clientId,
        name: client.name,
        redirectUris: [...client.redirectUris],
        grants: ['authorization_code', 'refresh_token'],
        accessTokenLifetime: ACCESS_TOKEN_LIFETIME_SECONDS,
        refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_SECONDS,
      };
      return modelClient;
    },

    async validateScope(_user: User, _client: Client, scope?: string[]) {
      if (!scope || scope.length === 0) return false;
      const unique = [...new Set(scope)];
      return unique.every((s) => (PAYER_SCOPES as readonly string[]).includes(s)) ? unique : false;
    },

    generateAuthorizationCode: async () => generateAuthorizationCode(),
    generateAccessToken: async () => generateToken('oat', mode),
    generateRefreshToken: async () => generateToken('ort', mode),

    async saveAuthorizationCode(code, client, user) {
      const c = client as ModelClient;
      const at = now();
      if (code.codeChallengeMethod !== 'S256' || !code.codeChallenge) throw new Error('An authorization code without an S256 PKCE challenge was about to be made');
      const row = await repo.insertCode(db, {
        codeHash: hashToken(code.authorizationCode),
        merchantId: c.merchantId,
        applicationId: c.id,
        userId: (user as ModelUser).id,
        scopes: code.scope ?? [],
        redirectUri: code.redirectUri,
        codeChallenge: code.codeChallenge,
        codeChallengeMethod: 'S256',
        expiresAt: new Date(at.getTime() + CODE_LIFETIME_SECONDS * 1000),
        createdAt: at,
      });
      return { ...code, expiresAt: row.expiresAt, client, user };
    },

    async getAuthorizationCode(authorizationCode: string) {
      const row = await repo.findCode(db, hashToken(authorizationCode));
      if (!row) return false;
      if (row.usedAt) {
        // A spent code again: whoever has it is not (only) the client; end what it was exchanged for.
        if (row.grantId) await repo.revokeGrant(db, row.grantId, now());
        return false;
      }
      if (row.expiresAt.getTime() <= now().getTime()) return false;
      const code: AuthorizationCode = {
        authorizationCode,
        expiresAt: row.expiresAt,
        redirectUri: row.redirectUri,
        scope: row.scopes,
        codeChallenge: row.codeChallenge,
        codeChallengeMethod: row.codeChallengeMethod,
        client: { id: row.applicationId, grants: [] },
        user: { id: row.userId } satisfies ModelUser,
      };
      return code;
    },

    /** Spends the code (single use); the library then checks PKCE and the redirect URI, so a failed check spends it too. */
    async revokeAuthorizationCode(code: AuthorizationCode) {
      return repo.spendCode(db, hashToken(code.authorizationCode), now());
    },

    async saveToken(token: Token, client: Client, user: User) {
      const c = client as ModelClient;
      const u = user as ModelUser;
      const at = now();
      const scopes = token.scope ?? [];
      const accessTokenExpiresAt = new Date(at.getTime() + ACCESS_TOKEN_LIFETIME_SECONDS * 1000);
      const refreshTokenExpiresAt = new Date(at.getTime() + REFRESH_TOKEN_LIFETIME_SECONDS * 1000);
      const grantId = await db.transaction(async (tx) => {
        let id = u.grantId;
        if (!id) {
          // A code exchange: the grant begins here, and the code remembers it (for reuse detection).
          id = (await repo.insertGrant(tx, { id: newId('grt'), merchantId: c.merchantId, applicationId: c.id, userId: u.id, scopes, createdAt: at })).id;
          if (token.authorizationCode) await repo.setCodeGrant(tx, hashToken(token.authorizationCode), id);
        }
        await repo.insertTokens(tx, [
          { tokenHash: hashToken(token.accessToken), kind: 'access', scopes, grantId: id, expiresAt: accessTokenExpiresAt, createdAt: at },
          ...(token.refreshToken ? [{ tokenHash: hashToken(token.refreshToken), kind: 'refresh' as const, scopes, grantId: id, expiresAt: refreshTokenExpiresAt, createdAt: at }] : []),
        ]);
        return id;
      });
      return { ...token, accessTokenExpiresAt, refreshTokenExpiresAt, scope: scopes, client, user: { ...u, grantId } };
    },

    async getAccessToken(accessToken: string) {
      const found = await repo.findLiveAccessToken(db, hashToken(accessToken), now());
      if (!found) return false;
      return { accessToken, scope: found.scopes, client: { id: found.grant.applicationId, grants: [] }, user: { id: found.grant.userId } };
    },

    async getRefreshToken(refreshToken: string) {
      const row = await repo.findToken(db, hashToken(refreshToken));
      if (!row || row.kind !== 'refresh') return false;
      if (row.usedAt) {
        // Refresh-token reuse (RFC 9700 §4.14.2): the legitimate client rotated it already; revoke everything.
        await repo.revokeGrant(db, row.grantId, now());
        return false;
      }
      const grant = await repo.findGrant(db, row.grantId);
      if (row.revokedAt || !grant || grant.revokedAt || row.expiresAt.getTime() <= now().getTime()) return false;
      const token: RefreshToken = {
        refreshToken,
        refreshTokenExpiresAt: row.expiresAt,
        scope: row.scopes,
        client: { id: grant.applicationId, grants: [] },
        user: { id: grant.userId, grantId: grant.id } satisfies ModelUser,
      };
      return token;
    },

    /** Spends the refresh token (rotation). Losing a race to another use of it is reuse too: the grant ends. */
    async revokeToken(token: RefreshToken | Token) {
      if (!token.refreshToken) return false;
      const spent = await repo.rotateRefreshToken(db, hashToken(token.refreshToken), now());
      if (!spent) {
        const grantId = (token.user as ModelUser).grantId;
        if (grantId) await repo.revokeGrant(db, grantId, now());
      }
      return spent;
    },
  };
}
