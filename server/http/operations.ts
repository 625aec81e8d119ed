/**
 * Operation-driven routing. Every operation in the bundled contract is served by exactly one
 * handler, looked up by `operationId` in a map typed from `generated/schema.d.ts`: a missing
 * handler, or one that returns a body or status the contract does not declare, is a compile
 * error.
 */
import type { Logger } from 'pino';
import type { operations, webhooks } from '../../generated/schema.d.ts';
import type { OPERATIONS } from '../../generated/operations.ts';
import type { Executor } from '../db/index.ts';
import type { AppDeps } from '../deps.ts';
import type { AuthContext } from '../auth/authenticate.ts';
import type { PayerContext } from '../oauth/context.ts';

/** The operations of the contract's top-level `webhooks:` section: requests Tillpoint sends, not serves. */
type WebhookOperation = { [W in keyof webhooks]: NonNullable<webhooks[W]['post']> }[keyof webhooks];

/** The operationIds of `x-endpoint` operations, served by their family's `endpoints` router (see `OperationFacts.endpoint`). */
export type EndpointOperationId = { [K in keyof typeof OPERATIONS]: (typeof OPERATIONS)[K]['endpoint'] extends true ? K : never }[keyof typeof OPERATIONS];

/**
 * Every `operationId` of the contract's `paths` served by a JSON handler (the webhook
 * operations are not served; `x-endpoint` ones are served by their family's `endpoints`).
 */
export type OperationId = Exclude<{ [K in keyof operations]: operations[K] extends WebhookOperation ? never : K }[keyof operations], EndpointOperationId>;

type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type Responses<K extends OperationId> = operations[K]['responses'];
type SuccessStatus<K extends OperationId> = Extract<keyof Responses<K>, 200 | 201 | 202>;
type Params<K extends OperationId, Where extends 'path' | 'query'> = operations[K]['parameters'] extends infer P
  ? P extends Record<Where, infer V>
    ? V extends Record<string, unknown>
      ? V
      : Record<string, never>
    : Record<string, never>
  : never;
type RequestBody<K extends OperationId> = operations[K] extends { requestBody: infer RB }
  ? JsonOf<RB>
  : operations[K] extends { requestBody?: infer RB }
    ? JsonOf<NonNullable<RB>> | undefined
    : undefined;

/** What a handler returns: one of the operation's documented success statuses and its body. */
export type HandlerResult<K extends OperationId> = {
  [S in SuccessStatus<K>]: { status: S; body: JsonOf<Responses<K>[S]> };
}[SuccessStatus<K>];

/** Everything a handler may read about the request, already validated against the contract. */
export interface HandlerContext<K extends OperationId> {
  operationId: K;
  body: RequestBody<K>;
  params: Params<K, 'path'>;
  query: Params<K, 'query'>;
  /** The authenticated merchant; `null` only on public operations (`security: []`). */
  auth: AuthContext | null;
  /**
   * The registered payer whose OAuth access token came in `X-Payer-Token` (verified for this
   * merchant), or `null` without one. Operations that need it call `requirePayer` (oauth).
   */
  payer: PayerContext | null;
  /**
   * Where the operation's queries run, handed to the use cases: the transaction that also stores
   * the idempotent response when the client sent an `Idempotency-Key`, else the pool (`deps.db`).
   */
  db: Executor;
  /** Whether `db` is that transaction. */
  inTransaction: boolean;
  deps: AppDeps;
  /**
   * The authenticated merchant's current time (its sandbox test clock, `deps.now(merchantId)`);
   * the base clock on public operations. What a handler stamps or compares on the merchant's
   * objects uses it; credential lifetimes and idempotency windows use `deps.realNow()`.
   */
  now(): Date;
  requestId: string;
  log: Logger;
}

/** A handler: request → use case → response. Errors are thrown as `ProblemError`. */
export type Handler<K extends OperationId> = (ctx: HandlerContext<K>) => Promise<HandlerResult<K>>;

/** One handler per operation of the contract. */
export type OperationHandlers = { [K in OperationId]: Handler<K> };

/** Returns the authenticated merchant of a secured operation (the validator guarantees it). */
export function requireAuth(ctx: { auth: AuthContext | null }): AuthContext {
  if (!ctx.auth) throw new Error('Secured operation reached its handler without authentication');
  return ctx.auth;
}
