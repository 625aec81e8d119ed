/**
 * The OAuth endpoints (`x-endpoint` operations of the contract), in their own formats:
 *
 * - `GET /.well-known/oauth-authorization-server` (getOAuthServerMetadata, RFC 8414);
 * - `GET /v1/oauth/authorize` (authorizeOAuth): the hosted consent page, whose forms post to
 *   `/oauth/consent` (sign in by email and one-time code, then approve or deny); the decision
 *   goes through the library's authorize handler, and the redirect carries `iss` (RFC 9207);
 * - `POST /v1/oauth/token` (createOAuthToken): the library's token handler; the response adds
 *   `user_id` and `merchant_id`; errors as RFC 6749 §5.2;
 * - `POST /v1/oauth/revoke` (revokeOAuthToken, RFC 7009).
 */
import OAuth2Server from '@node-oauth/oauth2-server';
import express, { type Response } from 'express';
import { oauthClient, type OAuthClient } from '../applications/index.ts';
import { findMerchant } from '../auth/index.ts';
import type { AppDeps } from '../deps.ts';
import { ProblemError } from '../errors/problem.ts';
import type { EndpointOperationId } from '../http/operations.ts';
import { sendOtp } from '../otp/index.ts';
import { checkAuthorizationRequest, readPageState, signPageState, withParams, type PageState } from './authorization.ts';
import { normaliseBasicHeader } from './client-auth.ts';
import { codePage, consentPage, errorPage, signInPage, type Asker } from './consent-page.ts';
import { ACCESS_TOKEN_LIFETIME_SECONDS, CODE_LIFETIME_SECONDS, PAYER_SCOPES, REFRESH_TOKEN_LIFETIME_SECONDS, createModel, type ModelClient, type ModelUser } from './model.ts';
import * as repo from './repository.ts';
import { revokeClientToken } from './revocation.ts';

/** The operations this router serves (the family's `endpointOperations`). */
export const OAUTH_ENDPOINT_OPERATIONS = ['authorizeOAuth', 'createOAuthToken', 'revokeOAuthToken', 'getOAuthServerMetadata'] as const satisfies readonly EndpointOperationId[];

/** RFC 8414 metadata of the server at `issuer` (its public base URL). */
export function serverMetadata(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/v1/oauth/authorize`,
    token_endpoint: `${issuer}/v1/oauth/token`,
    revocation_endpoint: `${issuer}/v1/oauth/revoke`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: [...PAYER_SCOPES],
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${issuer}/docs`,
  };
}

/** The router of the OAuth endpoints. */
export function oauthEndpoints(deps: AppDeps): express.Router {
  const router = express.Router();
  const parseForm = express.urlencoded({ extended: false, limit: '10kb', parameterLimit: 50 });
  // A body that is not a parsable form is an RFC 6749 invalid_request on these endpoints, not a problem document.
  const form: express.RequestHandler = (req, res, next) =>
    parseForm(req, res, (err?: unknown) => (err ? void res.status(400).set({ 'Cache-Control': 'no-store' }).json({ error: 'invalid_request', error_description: 'The body is not a valid application/x-www-form-urlencoded form (at most 10 kB).' }) : next()));
  const model = createModel(deps);
  const server = new OAuth2Server({
    model,
    accessTokenLifetime: ACCESS_TOKEN_LIFETIME_SECONDS,
    refreshTokenLifetime: REFRESH_TOKEN_LIFETIME_SECONDS,
    authorizationCodeLifetime: CODE_LIFETIME_SECONDS,
    allowEmptyState: true,
    alwaysIssueNewRefreshToken: true,
    requireClientAuthentication: { authorization_code: true, refresh_token: true },
  });
  const issuer = () => deps.config.publicBaseUrl;
  const sandbox = deps.config.mode === 'sandbox';
  const findClient = (clientId: string) => oauthClient(deps.db, clientId);

  router.get('/.well-known/oauth-authorization-server', (_req, res) => void res.json(serverMetadata(issuer())));

  router.get('/v1/oauth/authorize', (req, res, next) => {
    (async () => {
      const checked = await checkAuthorizationRequest(req.query as Record<string, unknown>, findClient);
      if ('kind' in checked) {
        if (checked.kind === 'page') return errorPage(res, checked.message);
        return res.redirect(303, withParams(checked.redirectUri, { error: checked.error, error_description: checked.description, state: checked.state, iss: issuer() }));
      }
      const asker = await askerOf(deps, checked.client);
      signInPage(res, asker, signPageState(deps.signingKey, { request: checked.request }, deps.realNow()), sandbox);
    })().catch(next);
  });

  router.post('/oauth/consent', form, (req, res, next) => {
    (async () => {
      const now = deps.realNow();
      const fields = req.body as Record<string, unknown>;
      const page = readPageState(deps.signingKey, fields.state, now);
      if (!page) return errorPage(res, 'This sign-in has expired or is not valid. Start again from the application.');
      const client = await findClient(page.request.clientId);
      if (!client || !client.hasSecret || !client.redirectUris.includes(page.request.redirectUri)) return errorPage(res, 'The application is no longer available.');
      const asker = await askerOf(deps, client);
      const sign = (next: Omit<PageState, 'exp'>) => signPageState(deps.signingKey, next, now);
      const step = fields.step;

      if (step === 'email') {
        const email = typeof fields.email === 'string' ? fields.email.trim().toLowerCase() : '';
        if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) return signInPage(res, asker, sign({ request: page.request }), sandbox, 'Enter the email of your Tillpoint account.', 400);
        const payer = await repo.findPayerByEmail(deps.db, client.merchantId, email);
        let message: string | undefined;
        // The same answer whether or not the email has an account (no account discovery); a code is sent only to a payer.
        if (payer) {
          try {
            await sendOtp(deps.db, { serverSecret: deps.signingKey, mode: deps.config.mode }, client.merchantId, { email }, deps.realNow());
          } catch (err) {
            if (!(err instanceof ProblemError && err.code === 'otp_resend_cooldown')) throw err;
            message = `A code was sent less than a minute ago: use it, or ask for another in ${err.extras.retryAfter ?? 60} seconds.`;
          }
        }
        return codePage(res, asker, sign({ request: page.request, email }), email, sandbox, message);
      }

      if (step === 'code') {
        const email = page.email;
        if (!email) return errorPage(res, 'This sign-in is not valid. Start again from the application.');
        const code = typeof fields.code === 'string' ? fields.code.trim() : '';
        const payer = await repo.findPayerByEmail(deps.db, client.merchantId, email);
        const retry = (message: string, status: number) => codePage(res, asker, sign({ request: page.request, email }), email, sandbox, message, status);
        if (!/^[0-9]{6}$/.test(code)) return retry('Enter the 6-digit code.', 400);
        if (!payer) return retry('That code is not valid.', 422);
        try {
          await deps.ports.otp!.verify(deps.db, { merchantId: client.merchantId, email, code, pointer: '/code' }, deps.realNow());
        } catch (err) {
          if (!(err instanceof ProblemError)) throw err;
          if (err.code === 'otp_attempts_exceeded') return signInPage(res, asker, sign({ request: page.request }), sandbox, 'Too many wrong codes. Ask for a new code.', 429);
          if (err.code === 'otp_expired') return signInPage(res, asker, sign({ request: page.request }), sandbox, 'That code has expired. Ask for a new code.', 422);
          const left = err.extras.attemptsLeft ?? 0;
          return retry(left > 0 ? `That code is not valid. ${left} ${left === 1 ? 'attempt' : 'attempts'} left.` : 'That code is not valid. Ask for a new code.', 422);
        }
        return consentPage(res, asker, sign({ request: page.request, email, userId: payer.id }), payer.name, page.request.scopes);
      }

      if (step === 'decide' && page.userId) {
        const payer = await repo.findPayer(deps.db, page.userId);
        if (!payer || payer.merchantId !== client.merchantId) return errorPage(res, 'This sign-in is not valid. Start again from the application.');
        const { request } = page;
        const oauthRequest = new OAuth2Server.Request({
          method: 'POST',
          headers: {},
          query: {},
          body: {
            client_id: request.clientId,
            redirect_uri: request.redirectUri,
            response_type: 'code',
            scope: request.scopes.join(' '),
            ...(request.state ? { state: request.state } : {}),
            code_challenge: request.codeChallenge,
            code_challenge_method: 'S256',
            allowed: fields.decision === 'allow' ? 'true' : 'false',
          },
        });
        const oauthResponse = new OAuth2Server.Response();
        const user: ModelUser = { id: payer.id };
        try {
          await server.authorize(oauthRequest, oauthResponse, { authenticateHandler: { handle: () => user } });
        } catch (err) {
          // Denials and request errors come back as a redirect with `error` (set on the response); anything else is ours.
          if (!(err instanceof OAuth2Server.OAuthError) || err.name === 'server_error' || !oauthResponse.headers?.location) throw err;
        }
        const location = oauthResponse.headers?.location;
        if (!location) throw new Error('The authorize handler produced no redirect');
        // RFC 9207: the issuer on every authorization response.
        return res.redirect(303, withParams(location, { iss: issuer() }));
      }
      return errorPage(res, 'This sign-in is not valid. Start again from the application.');
    })().catch(next);
  });

  router.post('/v1/oauth/token', form, (req, res, next) => {
    (async () => {
      const headers = { ...(req.headers as Record<string, string>) };
      if (headers.authorization) headers.authorization = normaliseBasicHeader(headers.authorization)!;
      const oauthRequest = new OAuth2Server.Request({ method: req.method, headers, query: {}, body: req.body ?? {} });
      const oauthResponse = new OAuth2Server.Response();
      noStore(res);
      try {
        const token = await server.token(oauthRequest, oauthResponse);
        const client = token.client as ModelClient;
        res.status(200).json({
          access_token: token.accessToken,
          token_type: 'Bearer',
          expires_in: ACCESS_TOKEN_LIFETIME_SECONDS,
          refresh_token: token.refreshToken,
          scope: (token.scope ?? []).join(' '),
          user_id: (token.user as ModelUser).id,
          merchant_id: client.merchantId,
        });
      } catch (err) {
        sendOAuthError(res, err, oauthResponse, deps);
      }
    })().catch(next);
  });

  router.post('/v1/oauth/revoke', form, (req, res, next) => {
    (async () => {
      noStore(res);
      const result = await revokeClientToken(deps, req.get('authorization'), (req.body ?? {}) as Record<string, unknown>);
      if (result.error) {
        if (result.status === 401 && req.get('authorization')) res.set('WWW-Authenticate', 'Basic realm="tillpoint-oauth"');
        return void res.status(result.status).json({ error: result.error, error_description: result.description });
      }
      res.status(200).end();
    })().catch(next);
  });

  return router;
}

function noStore(res: Response): void {
  res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
}

/** An RFC 6749 §5.2 error answer from the library's error (500 `server_error` for anything else, logged). */
function sendOAuthError(res: Response, err: unknown, oauthResponse: OAuth2Server.Response, deps: AppDeps): void {
  if (err instanceof OAuth2Server.OAuthError && err.name !== 'server_error') {
    const challenge = oauthResponse.headers?.['www-authenticate'];
    if (challenge) res.set('WWW-Authenticate', 'Basic realm="tillpoint-oauth"');
    // invalid_client is always 401 (RFC 6749 §5.2 requires it with HTTP Basic, allows it otherwise), as the contract says.
    res.status(err.name === 'invalid_client' ? 401 : err.code).json({ error: err.name, error_description: err.message });
    return;
  }
  deps.log.error({ err }, 'OAuth token endpoint failed');
  res.status(500).json({ error: 'server_error', error_description: 'An unexpected error occurred.' });
}

async function askerOf(deps: AppDeps, client: OAuthClient): Promise<Asker> {
  const merchant = await findMerchant(deps.db, client.merchantId);
  return { applicationName: client.name, merchantName: merchant?.name ?? 'A merchant' };
}

