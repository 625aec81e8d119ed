/**
 * The payer behind a request (notes/ports.md §3): set on the handler context (`ctx.payer`) when
 * the request carries a registered payer's OAuth access token in `X-Payer-Token` next to the
 * merchant's credential, and the token verified for that merchant.
 */
import type { components } from '../../generated/schema.d.ts';
import { ProblemError } from '../errors/problem.ts';

type PayerScope = components['schemas']['PayerScope'];

/** A registered payer acting through an OAuth access token of one of the merchant's applications. */
export interface PayerContext {
  /** The payer (`usr_…`). */
  userId: string;
  /** The application the payer granted (`app_…`), the OAuth client. */
  applicationId: string;
  /** What the payer granted (`wallet.read`, `wallet.pay`). */
  scopes: readonly string[];
}

/** The challenge of a 401 about the payer token (RFC 6750 §3), distinct from the merchant credential's realm. */
export const PAYER_CHALLENGE = 'Bearer realm="tillpoint-payer"';

/**
 * The payer of a request that needs one, with `scope`.
 * @param ctx the handler context (its `payer`).
 * @param scope the payer scope the operation needs (`wallet.read`, `wallet.pay`).
 * @throws ProblemError 401 `unauthenticated` without a payer token (`X-Payer-Token`); 403
 *   `insufficient_scope` (with `requiredScopes`) when the token lacks `scope`. Both carry their
 *   `WWW-Authenticate` challenge (realm `tillpoint-payer`) and are never stored as idempotent responses.
 */
export function requirePayer(ctx: { payer: PayerContext | null }, scope: string): PayerContext {
  const payer = ctx.payer;
  if (!payer) {
    throw new ProblemError('unauthenticated', 'This operation acts for a registered payer: send their OAuth access token in X-Payer-Token.', undefined, {}, PAYER_CHALLENGE);
  }
  if (!payer.scopes.includes(scope)) {
    throw new ProblemError(
      'insufficient_scope',
      `The payer's access token lacks the scope this operation needs: ${scope}.`,
      undefined,
      { requiredScopes: [scope as PayerScope] },
      `${PAYER_CHALLENGE}, error="insufficient_scope", scope="${scope}"`,
    );
  }
  return payer;
}
