/**
 * The contract's operation index (`generated/operations.ts`, the same one the server routes
 * with), looked up the two ways the client needs: by method and openapi-fetch `schemaPath` in
 * middleware, and by method and concrete URL in `withRetries`, which sees only the `Request`.
 */
import { OPERATIONS, type OperationFacts, type OperationId } from '../generated/operations.ts';

export { OPERATIONS };
export type { OperationFacts, OperationId };

/** One operation of the index with its id. */
export type ClientOperation = OperationFacts & { readonly operationId: OperationId };

const all: readonly ClientOperation[] = Object.entries(OPERATIONS).map(([operationId, facts]) => ({
  ...facts,
  operationId: operationId as OperationId,
}));

const byTemplate = new Map(all.map((op) => [`${op.method} ${op.path}`, op]));

/** Matches a concrete path ending in the template; `{param}` is one non-empty segment without '/'. */
const byUrl = all.map((op) => ({
  op,
  pattern: new RegExp(`(?:^|/)${op.path.slice(1).split('/').map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`),
}));

/**
 * The operation of a method and an OpenAPI path template, e.g. `('POST', '/v1/payments')` →
 * `createPayment`; `undefined` when the contract has none.
 * @param method HTTP method, any case.
 * @param schemaPath the template openapi-fetch hands to middleware as `schemaPath`.
 */
export function operationFor(method: string, schemaPath: string): ClientOperation | undefined {
  return byTemplate.get(`${method.toLowerCase()} ${schemaPath}`);
}

/**
 * The operation a concrete request URL addresses, e.g. `('POST',
 * 'http://localhost:3000/v1/payments/pay_1/refunds')` → `createRefund`. The template is matched
 * against the end of the URL's path, so a base URL with a path prefix still works; a template
 * without parameters wins over one with them.
 */
export function operationForUrl(method: string, url: string): ClientOperation | undefined {
  const m = method.toLowerCase();
  const { pathname } = new URL(url);
  let found: ClientOperation | undefined;
  for (const { op, pattern } of byUrl) {
    if (op.method !== m || !pattern.test(pathname)) continue;
    if (!op.path.includes('{')) return op;
    found ??= op;
  }
  return found;
}
