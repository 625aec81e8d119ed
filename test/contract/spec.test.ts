/**
 * Spec-wide checks of the bundled contract (`generated/openapi.yaml`): every operation is
 * documented well enough for an integrator to use it from the docs alone (operationId, summary,
 * description, error responses, examples), every example is valid against its schema, and the
 * reference server has exactly one handler per operation.
 *
 * No server is started: these read the contract and the handler map only.
 */
import { describe, expect, it } from 'vitest';
import { handlers } from '../../server/app.ts';
import {
  describeErrors,
  deref,
  examplesOf,
  loadSpec,
  operationsOf,
  schemaValidator,
  type JsonSchema,
  type SpecOperation,
} from './openapi.ts';

const doc = loadSpec();
const operations = operationsOf(doc);
const validator = schemaValidator(doc);
const label = (op: SpecOperation) => op.operationId ?? `${op.method.toUpperCase()} ${op.path}`;

/** `[label, message]` for every operation failing `check` (an empty list means all pass). */
function failures(check: (op: SpecOperation) => string[]): string[] {
  return operations.flatMap((op) => check(op).map((m) => `${label(op)}: ${m}`));
}

describe('the bundled contract', () => {
  it('is OpenAPI 3.1 and has operations', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(operations.length).toBeGreaterThan(0);
  });

  it('gives every operation a unique operationId, a summary and a description', () => {
    expect(
      failures((op) => [
        ...(op.operationId && /^[a-z][A-Za-z0-9]*$/.test(op.operationId) ? [] : ['operationId missing or not camelCase']),
        ...(op.raw.summary?.trim() ? [] : ['no summary']),
        ...(op.raw.description?.trim() ? [] : ['no description']),
      ]),
    ).toEqual([]);
    const ids = operations.map((op) => op.operationId);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it('documents at least one 4xx response for every operation', () => {
    expect(failures((op) => (Object.keys(op.responses).some((s) => /^4\d\d$/.test(s)) ? [] : ['no 4xx response']))).toEqual([]);
  });

  it('documents the protocol errors the server can answer on every operation', () => {
    // What the reference server does on any route (server/app.ts, server/http/rate-limit.ts):
    // unknown query parameters are 400, secured routes answer 401, bodies of another media
    // type are 415, idempotent creates answer 409/422 on key conflicts, every route is rate-limited.
    expect(
      failures((op) => {
        const has = (status: string) => status in op.responses;
        const idempotent = op.parameters.some((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
        // The OAuth endpoints (x-endpoint) answer bad input as RFC 6749 says: 400 invalid_request
        // for another media type (no 415), and the metadata document takes no input at all.
        if (op.raw['x-endpoint']) return [...(has('429') ? [] : ['429 not documented']), ...(op.requestBody && !has('400') ? ['takes a body but 400 not documented'] : [])];
        return [
          ...(has('400') ? [] : ['400 not documented (unknown query parameters are rejected with 400)']),
          ...(op.isPublic || has('401') ? [] : ['secured but 401 not documented']),
          ...(!op.requestBody || has('415') ? [] : ['takes a body but 415 not documented']),
          ...(!idempotent || (has('409') && has('422')) ? [] : ['accepts Idempotency-Key but 409/422 not documented']),
          ...(has('429') ? [] : ['429 not documented']),
          ...(op.parameters.some((p) => p.in === 'path') && !has('404') ? ['has a path parameter but 404 not documented'] : []),
        ];
      }),
    ).toEqual([]);
  });

  it('has examples for every request body', () => {
    expect(
      failures((op) =>
        Object.entries(op.requestBody?.content ?? {}).flatMap(([type, media]) =>
          examplesOf(doc, media).length > 0 ? [] : [`request body ${type} has no example`],
        ),
      ),
    ).toEqual([]);
  });

  it('has examples for every response that has a body', () => {
    expect(
      failures((op) =>
        Object.entries(op.responses).flatMap(([status, response]) =>
          Object.entries(response.content ?? {}).flatMap(([type, media]) =>
            examplesOf(doc, media).length > 0 ? [] : [`response ${status} ${type} has no example`],
          ),
        ),
      ),
    ).toEqual([]);
  });

  it('has examples that validate against their schemas (requests, responses, parameters)', () => {
    const problems = failures((op) => {
      const out: string[] = [];
      const check = (where: string, schema: JsonSchema | undefined, examples: { name: string; value: unknown }[]) => {
        if (!schema) {
          if (examples.length > 0) out.push(`${where} has examples but no schema`);
          return;
        }
        for (const ex of examples) {
          const errors = validator.errors(schema, ex.value);
          if (errors.length > 0) out.push(`${where} example "${ex.name}": ${describeErrors(errors)}`);
        }
      };
      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) check(`request ${type}`, media.schema, examplesOf(doc, media));
      for (const [status, response] of Object.entries(op.responses)) {
        for (const [type, media] of Object.entries(response.content ?? {})) check(`response ${status} ${type}`, media.schema, examplesOf(doc, media));
        for (const [name, header] of Object.entries(response.headers ?? {})) {
          const h = deref<{ schema?: JsonSchema; example?: unknown }>(doc, header);
          const schema = h.schema ? deref<JsonSchema>(doc, h.schema) : undefined;
          const values = [...(h.example !== undefined ? [h.example] : []), ...(schema?.example !== undefined ? [schema.example] : [])];
          check(`response ${status} header ${name}`, h.schema, values.map((value) => ({ name: 'example', value })));
        }
      }
      for (const p of op.parameters) check(`${p.in} parameter ${p.name}`, p.schema, examplesOf(doc, p));
      return out;
    });
    expect(problems).toEqual([]);
  });

  it('has component schema examples that validate against their own schema', () => {
    const problems: string[] = [];
    const walk = (schema: unknown, pointer: string) => {
      if (!schema || typeof schema !== 'object') return;
      if (Array.isArray(schema)) return schema.forEach((s, i) => walk(s, `${pointer}/${i}`));
      const s = schema as JsonSchema;
      if (s.example !== undefined) {
        const errors = validator.errorsAt(pointer, s.example);
        if (errors.length > 0) problems.push(`${pointer} example: ${describeErrors(errors)}`);
      }
      for (const key of ['properties', '$defs', 'patternProperties'] as const) {
        const children = s[key];
        if (children && typeof children === 'object') {
          for (const [name, child] of Object.entries(children)) walk(child, `${pointer}/${key}/${name}`);
        }
      }
      for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'] as const) walk(s[key], `${pointer}/${key}`);
      for (const key of ['allOf', 'anyOf', 'oneOf'] as const) walk(s[key], `${pointer}/${key}`);
    };
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) walk(schema, `/components/schemas/${name}`);
    expect(problems).toEqual([]);
  });

  it('fails validation for an example that breaks its schema (the check can fail)', () => {
    // Guards the two checks above against a validator that accepts everything.
    expect(validator.errorsAt('/components/schemas/Problem', { title: 'x' }).length).toBeGreaterThan(0);
    expect(validator.errorsAt('/components/schemas/CheckoutSession', { id: 'cs_short' }).length).toBeGreaterThan(0);
    expect(validator.errors({ type: 'string', format: 'date-time' }, 'yesterday').length).toBeGreaterThan(0);
  });
});

describe('the reference server', () => {
  it('has a handler for exactly the operationIds of the contract', () => {
    // x-endpoint operations are served by their family's endpoints router, not by a JSON handler.
    const specIds = operations.filter((op) => !op.raw['x-endpoint']).map((op) => op.operationId).sort();
    const handlerIds = Object.keys(handlers).sort();
    expect(handlerIds).toEqual(specIds);
    for (const id of handlerIds) expect(typeof (handlers as Record<string, unknown>)[id], id).toBe('function');
  });
});
