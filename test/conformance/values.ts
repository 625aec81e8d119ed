/**
 * Values derived from schemas for valid requests: a minimal instance of a schema without
 * examples, the `oneOf`/`anyOf` branch a value belongs to, and header strings as the JSON values
 * their schemas describe.
 */
import fc from 'fast-check';
import { resolveSchema, type ConformanceSpec, type JsonSchema } from './spec.ts';

/** A header value as the JSON value its schema describes (`"42"` → 42 for an integer). */
export function coerceHeader(value: string, schema: JsonSchema | undefined): unknown {
  const type = schema?.type;
  const types = Array.isArray(type) ? type : [type];
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** The `oneOf`/`anyOf` branch a value validates against (or whose properties it has). */
export function matchingBranch(spec: ConformanceSpec, schema: JsonSchema, value: unknown): JsonSchema | undefined {
  const branches = (schema.oneOf ?? schema.anyOf) as unknown[] | undefined;
  if (!Array.isArray(branches)) return undefined;
  for (const b of branches) {
    const loc = b as { $ref?: string };
    if (typeof loc.$ref === 'string' && spec.validator.isValid(loc.$ref.slice(1), value)) return resolveSchema(spec.doc, b);
  }
  const keys = value && typeof value === 'object' ? Object.keys(value) : [];
  let best: JsonSchema | undefined;
  let bestScore = -1;
  for (const b of branches) {
    const r = resolveSchema(spec.doc, b);
    const props = Object.keys((r.properties as object) ?? {});
    const score = keys.filter((k) => props.includes(k)).length;
    if (score > bestScore) {
      best = r;
      bestScore = score;
    }
  }
  return best;
}

/** A value for a schema without examples: its example, default, first enum value, or a minimal instance. */
export function synthesize(spec: ConformanceSpec, schema: unknown, depth = 0): unknown {
  if (schema === undefined || depth > 8) return undefined;
  const s = resolveSchema(spec.doc, schema);
  if (s.example !== undefined) return structuredClone(s.example);
  if (Array.isArray(s.examples) && s.examples.length > 0) return structuredClone(s.examples[0]);
  if (s.default !== undefined) return structuredClone(s.default);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const branches = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) return synthesize(spec, branches[0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, unknown>;
      for (const name of (s.required as string[]) ?? []) out[name] = synthesize(spec, props[name], depth + 1);
      return out;
    }
    case 'array':
      return Array.from({ length: typeof s.minItems === 'number' ? s.minItems : 0 }, () => synthesize(spec, s.items, depth + 1));
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? Math.floor(s.exclusiveMinimum) + 1 : 1;
    case 'boolean':
      return true;
    case 'string': {
      if (s.format === 'date-time') return new Date().toISOString();
      if (s.format === 'email') return 'conformance@example.com';
      if (s.format === 'uri') return 'https://example.com/';
      if (s.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      if (typeof s.pattern === 'string') {
        try {
          return fc.sample(fc.stringMatching(new RegExp(s.pattern, 'u')), { seed: 1, numRuns: 1 })[0];
        } catch {
          return undefined;
        }
      }
      return 'x'.repeat(typeof s.minLength === 'number' ? Math.max(1, s.minLength) : 1);
    }
    default:
      return undefined;
  }
}
