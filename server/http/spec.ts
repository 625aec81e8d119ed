/**
 * The contract's operations as the server routes them: a route table built once from the
 * generated operation index (`generated/operations.ts`), so nothing parses YAML at run time and no
 * request scans a list of regular expressions.
 */
import { resolve } from 'node:path';
import { OPERATIONS, type OperationFacts, type OperationId } from '../../generated/operations.ts';
import type { EndpointOperationId, OperationId as HandlerOperationId } from './operations.ts';

/** Absolute path of the bundled spec given to the validator and served at `/openapi.yaml`. */
export const BUNDLED_SPEC_PATH = resolve(import.meta.dirname, '../../generated/openapi.yaml');

/** One operation of the contract, as routing needs it: its generated facts plus its id. */
export interface SpecOperation extends OperationFacts {
  operationId: OperationId;
  /** Express route path, e.g. `/v1/payments/:paymentId`. */
  expressPath: string;
}

/** Every operation of the contract, in the contract's order (built once at import). */
export const operations: readonly SpecOperation[] = Object.entries(OPERATIONS).map(([operationId, facts]) => ({
  ...facts,
  operationId: operationId as OperationId,
  expressPath: facts.path.replace(/\{([^}]+)\}/g, ':$1'),
}));

/** A node of the per-method segment tree of templated paths. */
interface Node {
  /** Children by literal segment. */
  literal: Map<string, Node>;
  /** Child for a `{param}` segment, if any template has one here. */
  param?: Node;
  /** The operation whose template ends here. */
  op?: SpecOperation;
}

const newNode = (): Node => ({ literal: new Map() });

/** Per method: templates without parameters by exact path, and a segment tree for the others. */
const table = new Map<string, { exact: Map<string, SpecOperation>; tree: Node }>();
for (const op of operations) {
  let entry = table.get(op.method);
  if (!entry) table.set(op.method, (entry = { exact: new Map(), tree: newNode() }));
  if (!op.path.includes('{')) {
    entry.exact.set(op.path, op);
    continue;
  }
  let node = entry.tree;
  for (const segment of op.path.split('/').slice(1)) {
    if (/^\{[^}]+\}$/.test(segment)) node = node.param ??= newNode();
    else {
      let next = node.literal.get(segment);
      if (!next) node.literal.set(segment, (next = newNode()));
      node = next;
    }
  }
  node.op = op;
}

/** Walks the tree; a literal segment wins over a parameter, with backtracking. */
function match(node: Node, segments: string[], i: number): SpecOperation | undefined {
  if (i === segments.length) return node.op;
  const segment = segments[i]!;
  const literal = node.literal.get(segment);
  const found = literal && match(literal, segments, i + 1);
  if (found) return found;
  // A path parameter is one non-empty segment (splitting on '/' already excludes '/').
  return segment !== '' && node.param ? match(node.param, segments, i + 1) : undefined;
}

/**
 * The operation serving a request, or `undefined` when the contract has none.
 * @param method HTTP method, any case (`GET`, `post`).
 * @param path request path without query string, e.g. `/v1/payments/pay_123`; one trailing `/`
 *   is ignored, as Express does.
 * Cost: one Map lookup for static paths, one per segment for templated ones.
 */
export function findOperation(method: string, path: string): SpecOperation | undefined {
  const entry = table.get(method.toLowerCase());
  if (!entry) return undefined;
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return entry.exact.get(p) ?? (p.startsWith('/') ? match(entry.tree, p.split('/').slice(1), 0) : undefined);
}

/** The generated index (without its x-endpoint operations) and the handler map (typed from schema.d.ts) name the same operations. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameOperationIds: Same<Exclude<OperationId, EndpointOperationId>, HandlerOperationId> = true;
void sameOperationIds;
