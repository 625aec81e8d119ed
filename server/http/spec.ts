/**
 * The bundled contract (`generated/openapi.yaml`) as the server sees it: the operations it must
 * serve, with their HTTP method, path, security and whether they take an Idempotency-Key.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { OperationId } from './operations.ts';

/** Absolute path of the bundled spec given to the validator and served at `/openapi.yaml`. */
export const BUNDLED_SPEC_PATH = resolve(import.meta.dirname, '../../generated/openapi.yaml');

/** One operation of the contract, as routing needs it. */
export interface SpecOperation {
  operationId: OperationId;
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/v1/payments/{paymentId}`. */
  path: string;
  /** Express route path, e.g. `/v1/payments/:paymentId`. */
  expressPath: string;
  /** Matches a concrete request path. */
  pattern: RegExp;
  /** `security: []`: callable without credentials (rate-limited per IP). */
  isPublic: boolean;
  /** Declares the `Idempotency-Key` header parameter. */
  idempotent: boolean;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface RawOperation {
  operationId: string;
  security?: unknown[];
  parameters?: { name?: string; in?: string; $ref?: string }[];
}

/** Reads the operations of the bundled spec. */
export function loadOperations(specPath = BUNDLED_SPEC_PATH): SpecOperation[] {
  const doc = parse(readFileSync(specPath, 'utf8')) as {
    paths: Record<string, Record<string, RawOperation>>;
    components?: { parameters?: Record<string, { name: string; in: string }> };
  };
  const resolveParam = (p: { name?: string; in?: string; $ref?: string }) =>
    p.$ref ? doc.components?.parameters?.[p.$ref.split('/').pop()!] : p;
  const out: SpecOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      out.push({
        operationId: op.operationId as OperationId,
        method,
        path,
        expressPath: path.replace(/\{([^}]+)\}/g, ':$1'),
        pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
        isPublic: Array.isArray(op.security) && op.security.length === 0,
        idempotent: (op.parameters ?? []).some((p) => {
          const r = resolveParam(p);
          return r?.in === 'header' && r.name?.toLowerCase() === 'idempotency-key';
        }),
      });
    }
  }
  return out;
}
