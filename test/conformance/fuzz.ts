/**
 * Schema-driven request mutations for the negative checks, generated with fast-check from the
 * request schemas of the contract (never from a hand-written list):
 *
 * - body fields: missing required properties, wrong JSON types, numbers out of range, strings
 *   breaking their `pattern`, `format` or `enum`, strings and arrays too long or too short,
 *   unknown properties where `additionalProperties: false`, too many properties;
 * - query, path and header parameters: the same, as strings; well-formed ids of objects that do
 *   not exist;
 * - the body as a whole: malformed JSON, a media type the operation does not accept, no body
 *   where one is required;
 * - valid edge values (`boundary`): the limits of ranges, lengths and item counts, every enum
 *   value, random strings matching a pattern, hostile text (NUL, lone surrogates, bidi controls,
 *   quotes) where the schema allows any text. The target may accept them, but never with a 5xx
 *   or an undocumented answer;
 * - opaque tokens the target issued (cursors), tampered with: when one decodes to base64url JSON,
 *   its values are replaced by extreme dates, other types, huge or hostile strings.
 *
 * Every mutation changes one thing in a valid request (built from the spec's examples), so the
 * target must reject it naming that one input. Generation is seeded: the same seed and spec give
 * the same cases. The budget of requests is spread over operations and, within one, round-robin
 * over the places that can be mutated.
 */
import fc from 'fast-check';
import type { RequestParts } from './context.ts';
import { clone, describeToken, fillerFor, JSON_OF_TYPE, REMOVE, safeRegExp, setAt, tamperedToken, valueSites } from './fuzz-values.ts';
import { joinPointer, resolveSchema, typesOf, type ConformanceSpec, type JsonSchema, type Operation, type ParamSpec } from './spec.ts';
import { matchingBranch } from './values.ts';

/** What a fuzz case changes. */
export type MutationKind =
  | 'missing-required'
  | 'wrong-type'
  | 'out-of-range'
  | 'bad-pattern'
  | 'bad-format'
  | 'bad-enum'
  | 'unknown-property'
  | 'too-long'
  | 'too-short'
  | 'too-many'
  | 'too-few'
  | 'malformed-json'
  | 'wrong-content-type'
  | 'missing-body'
  | 'unknown-id'
  | 'tampered-token'
  | 'boundary';

/** Where the mutated input is. */
export type InputLocation = 'body' | 'query' | 'path' | 'header';

/** One generated request. */
export interface FuzzCase {
  kind: MutationKind;
  location: InputLocation;
  /** JSON Pointer into the body, or the parameter or header name. */
  target: string;
  /** Body pointers of enclosing `oneOf`/`anyOf` nodes: an error there also names the target. */
  ancestors: string[];
  /** The whole body is at fault (malformed JSON, media type, missing body): no field to name. */
  wholeBody: boolean;
  parts: RequestParts;
  /** The mutated value (for body and parameter mutations). */
  value?: unknown;
  /** Human-readable description, e.g. `body /amount out-of-range: -3`. */
  label: string;
}

/** A place that can be mutated, with the values to put there. */
interface Site {
  kind: MutationKind;
  location: InputLocation;
  target: string;
  ancestors: string[];
  wholeBody: boolean;
  /** The valid request it mutates. */
  base: RequestParts;
  /** How many distinct cases it can produce. */
  capacity: number;
  arb: fc.Arbitrary<unknown>;
  apply(base: RequestParts, value: unknown): RequestParts;
  show(value: unknown): string;
}


function withBody(base: RequestParts, json: unknown): RequestParts {
  const contentType = base.body && 'contentType' in base.body ? base.body.contentType : undefined;
  return { ...base, body: { json, ...(contentType ? { contentType } : {}) } };
}

function baseJson(base: RequestParts): unknown {
  return base.body && 'json' in base.body ? base.body.json : undefined;
}


/** Generates the mutation sites of one operation for a valid `base` request. */
export class SiteBuilder {
  readonly sites: Site[] = [];
  private readonly seen = new Set<string>();
  private current: RequestParts = { pathParams: {}, query: [], headers: {} };

  /** @param spec the contract. @param op the operation. */
  constructor(
    private readonly spec: ConformanceSpec,
    private readonly op: Operation,
  ) {}

  private add(without: Omit<Site, 'base'>): void {
    const site: Site = { ...without, base: this.current };
    const key = `${site.kind} ${site.location} ${site.target}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.sites.push(site);
  }

  /** Adds the sites of the body of `base` (one call per base example) and of the whole body. */
  body(base: RequestParts): void {
    this.current = base;
    const media = this.op.body?.json;
    if (!this.op.body) return;
    const json = baseJson(base);
    if (media?.schema && json !== undefined) this.walk(media.schema, json, true, '', []);
    const text = json === undefined ? '{}' : JSON.stringify(json);
    this.add({
      kind: 'malformed-json',
      location: 'body',
      target: '',
      ancestors: [],
      wholeBody: true,
      capacity: Infinity,
      arb: fc
        .oneof(
          fc.nat({ max: Math.max(1, text.length - 1) }).map((n) => text.slice(0, Math.max(1, n))),
          fc.constantFrom('{', '{"a":1,}', "{'a':1}", '[1,2', '{"a" 1}', 'nul', '{"x":NaN}', '{"a":"\\x"}'),
          fc.string({ minLength: 1, maxLength: 24 }),
          fc.nat({ max: Math.max(1, text.length - 1) }).map((n) => `${text.slice(0, n)}}${text.slice(n)}`),
        )
        .filter((t) => t.trim() !== '' && !parses(t)),
      apply: (b, t) => ({ ...b, body: { text: t as string, contentType: this.op.body?.json?.type ?? 'application/json' } }),
      show: (t) => `malformed JSON ${JSON.stringify(t)}`,
    });
    const documented = new Set(this.op.body.media.map((m) => m.type));
    const others = ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'text/csv', 'application/octet-stream', 'text/html'].filter((t) => !documented.has(t));
    if (others.length > 0) {
      this.add({
        kind: 'wrong-content-type',
        location: 'body',
        target: '',
        ancestors: [],
        wholeBody: true,
        capacity: others.length,
        arb: fc.constantFrom(...others),
        apply: (b, t) => ({ ...b, body: { text: JSON.stringify(baseJson(b) ?? {}), contentType: t as string } }),
        show: (t) => `body sent as ${String(t)}`,
      });
    }
    if (this.op.body.required) {
      this.add({
        kind: 'missing-body',
        location: 'body',
        target: '',
        ancestors: [],
        wholeBody: true,
        capacity: 1,
        arb: fc.constant(null),
        apply: (b) => {
          const { body: _omit, ...rest } = b;
          return rest;
        },
        show: () => 'no body (the body is required)',
      });
    }
  }

  /** Adds the sites of the query, path and header parameters. */
  parameters(base: RequestParts, isResource: (pattern: string) => boolean, tokens: Record<string, string[]> = {}): void {
    this.current = base;
    for (const p of this.op.parameters) {
      if (p.in === 'cookie') continue;
      const location = p.in as InputLocation;
      const apply = (b: RequestParts, v: unknown): RequestParts => {
        const value = String(v);
        if (location === 'path') return { ...b, pathParams: { ...b.pathParams, [p.name]: value } };
        if (location === 'header') return { ...b, headers: { ...b.headers, [p.name]: value } };
        return { ...b, query: [...b.query.filter(([k]) => k !== p.name), [p.name, value]] };
      };
      const pattern = typeof p.resolved.pattern === 'string' ? p.resolved.pattern : undefined;
      const re = safeRegExp(pattern);
      const resource = location === 'path' && pattern !== undefined && re !== undefined && isResource(pattern);
      for (const site of valueSites(this.spec, p.resolved, 'string', location)) {
        if (resource && site.kind === 'boundary') continue; // a random well-formed id: see unknown-id
        this.add({ ...site, location, target: p.name, ancestors: [], wholeBody: false, apply, show: (v) => `${location} ${p.name} ${site.kind}: ${JSON.stringify(v)}` });
      }
      const issued = tokens[p.name] ?? [];
      if (location === 'query' && issued.length > 0) {
        this.add({
          kind: 'tampered-token',
          location,
          target: p.name,
          ancestors: [],
          wholeBody: false,
          capacity: Infinity,
          arb: tamperedToken(issued),
          apply,
          show: (v) => `query ${p.name} tampered token: ${JSON.stringify(v).slice(0, 120)} (${describeToken(String(v))})`,
        });
      }
      if (resource && re) {
        this.add({
          kind: 'unknown-id',
          location,
          target: p.name,
          ancestors: [],
          wholeBody: false,
          capacity: Infinity,
          arb: fc.stringMatching(re).filter((v) => v !== base.pathParams[p.name] && v.length <= 200),
          apply,
          show: (v) => `path ${p.name} well-formed but unknown: ${JSON.stringify(v)}`,
        });
      }
    }
  }

  private walk(schemaIn: unknown, value: unknown, present: boolean, pointer: string, ancestors: string[]): void {
    const s = resolveSchema(this.spec.doc, schemaIn);
    const union = Array.isArray(s.oneOf) || Array.isArray(s.anyOf);
    const scope = union ? [...ancestors, pointer] : ancestors;
    const setHere = (b: RequestParts, v: unknown) => withBody(b, setAt(baseJson(b), pointer, v));
    for (const site of valueSites(this.spec, s, 'json', 'body')) {
      this.add({ ...site, location: 'body', target: pointer, ancestors, wholeBody: false, apply: setHere, show: (v) => `body ${pointer || '(root)'} ${site.kind}: ${show(v)}` });
    }
    if (!present) return;
    const node = union ? (matchingBranch(this.spec, s, value) ?? s) : s;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const obj = value as Record<string, unknown>;
      const props = (node.properties ?? {}) as Record<string, JsonSchema>;
      for (const name of ((node.required as string[]) ?? []).filter((r) => r in obj)) {
        const target = `${pointer}${joinPointer(name)}`;
        this.add({
          kind: 'missing-required',
          location: 'body',
          target,
          ancestors: scope,
          wholeBody: false,
          capacity: 1,
          arb: fc.constant(REMOVE),
          apply: (b) => withBody(b, setAt(baseJson(b), target, REMOVE)),
          show: () => `body ${target} missing-required`,
        });
      }
      if (node.additionalProperties === false) {
        const known = new Set(Object.keys(props));
        this.add({
          kind: 'unknown-property',
          location: 'body',
          target: pointer,
          ancestors: scope,
          wholeBody: false,
          capacity: Infinity,
          arb: fc.tuple(
            fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,15}$/).filter((n) => !known.has(n)),
            fc.oneof(JSON_OF_TYPE.string, JSON_OF_TYPE.integer, JSON_OF_TYPE.boolean),
          ),
          apply: (b, v) => {
            const [name, val] = v as [string, unknown];
            return withBody(b, setAt(baseJson(b), `${pointer}${joinPointer(name)}`, val));
          },
          show: (v) => `body ${pointer || '(root)'} unknown-property: ${JSON.stringify((v as [string])[0])}`,
        });
      } else if (node.additionalProperties && typeof node.additionalProperties === 'object') {
        // Free-form maps (e.g. metadata): the values of a new key, too many keys, too long a key.
        const key = 'conformanceKey';
        const target = `${pointer}${joinPointer(key)}`;
        for (const site of valueSites(this.spec, resolveSchema(this.spec.doc, node.additionalProperties), 'json', 'body')) {
          this.add({
            ...site,
            location: 'body',
            target,
            ancestors: scope,
            wholeBody: false,
            apply: (b, v) => withBody(b, setAt(baseJson(b), target, v)),
            show: (v) => `body ${target} ${site.kind}: ${show(v)}`,
          });
        }
        const sample = firstValue(obj, node.additionalProperties, this.spec);
        if (typeof node.maxProperties === 'number' && node.maxProperties <= 1000) {
          const max = node.maxProperties;
          this.add({
            kind: 'boundary',
            location: 'body',
            target: pointer,
            ancestors: scope,
            wholeBody: false,
            capacity: 1,
            arb: fc.constant(Object.fromEntries(Array.from({ length: max }, (_, i) => [`k${i}`, sample]))),
            apply: (b, v) => withBody(b, setAt(baseJson(b), pointer, v)),
            show: () => `body ${pointer} boundary: ${max} properties (maxProperties)`,
          });
        }
        if (typeof node.maxProperties === 'number') {
          const max = node.maxProperties;
          this.add({
            kind: 'too-many',
            location: 'body',
            target: pointer,
            ancestors: scope,
            wholeBody: false,
            capacity: 1,
            arb: fc.constant(Object.fromEntries(Array.from({ length: max + 1 }, (_, i) => [`k${i}`, sample]))),
            apply: (b, v) => withBody(b, setAt(baseJson(b), pointer, v)),
            show: () => `body ${pointer} too-many: ${max + 1} properties (maxProperties ${max})`,
          });
        }
        const names = node.propertyNames ? resolveSchema(this.spec.doc, node.propertyNames) : undefined;
        if (typeof names?.maxLength === 'number') {
          const long = 'k'.repeat(names.maxLength + 1);
          this.add({
            kind: 'too-long',
            location: 'body',
            target: pointer,
            ancestors: scope,
            wholeBody: false,
            capacity: 1,
            arb: fc.constant({ ...obj, [long]: sample }),
            apply: (b, v) => withBody(b, setAt(baseJson(b), pointer, v)),
            show: () => `body ${pointer} property name of ${long.length} characters (propertyNames maxLength ${names.maxLength})`,
          });
        }
      }
      for (const [name, ps] of Object.entries(props)) {
        this.walk(ps, obj[name], name in obj, `${pointer}${joinPointer(name)}`, scope);
      }
    } else if (Array.isArray(value)) {
      if (typeof node.minItems === 'number' && node.minItems > 0) {
        const min = node.minItems;
        this.add({
          kind: 'too-few',
          location: 'body',
          target: pointer,
          ancestors: scope,
          wholeBody: false,
          capacity: 1,
          arb: fc.constant(value.slice(0, min - 1)),
          apply: (b, v) => withBody(b, setAt(baseJson(b), pointer, v)),
          show: () => `body ${pointer} too-few: ${min - 1} items (minItems ${min})`,
        });
      }
      if (typeof node.maxItems === 'number' && value.length > 0) {
        const max = node.maxItems;
        this.add({
          kind: 'too-many',
          location: 'body',
          target: pointer,
          ancestors: scope,
          wholeBody: false,
          capacity: 1,
          arb: fc.constant(Array.from({ length: max + 1 }, (_, i) => clone(value[i % value.length]))),
          apply: (b, v) => withBody(b, setAt(baseJson(b), pointer, v)),
          show: () => `body ${pointer} too-many: ${max + 1} items (maxItems ${max})`,
        });
      }
      if (typeof node.maxItems === 'number' && value.length > 0 && node.maxItems <= 1000) {
        const max = node.maxItems;
        this.add({
          kind: 'boundary',
          location: 'body',
          target: pointer,
          ancestors: scope,
          wholeBody: false,
          capacity: 1,
          arb: fc.constant(Array.from({ length: max }, (_, i) => clone(value[i % value.length]))),
          apply: (b, v) => withBody(b, setAt(baseJson(b), pointer, v)),
          show: () => `body ${pointer} boundary: ${max} items (maxItems)`,
        });
      }
      if (value.length > 0 && node.items) this.walk(node.items, value[0], true, `${pointer}/0`, scope);
    }
  }
}

function firstValue(obj: Record<string, unknown>, schema: unknown, spec: ConformanceSpec): unknown {
  const existing = Object.values(obj)[0];
  if (existing !== undefined) return existing;
  const types = typesOf(spec.doc, schema);
  return types?.has('string') || !types ? 'x' : types.has('integer') || types.has('number') ? 1 : types.has('boolean') ? true : null;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function show(v: unknown): string {
  if (v === REMOVE) return '(removed)';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 80)}… (${text.length} characters)` : text;
}


/** A 32-bit seed derived from the run's seed and a label. */
export function deriveSeed(seed: number, label: string): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return h | 0;
}

/**
 * Spreads `budget` requests over sites, round-robin, respecting each site's capacity, and
 * generates the cases with fast-check (seeded per site). Duplicates are dropped.
 */
export function generateCases(op: Operation, sites: Site[] | readonly Site[], budget: number, seed: number): FuzzCase[] {
  // Round-robin over the kinds of mutation first, then over the places of each kind, so that a
  // small budget still tries every kind.
  const kinds = [...new Set(sites.map((s) => s.kind))];
  const byKind = new Map(kinds.map((k) => [k, sites.map((s, i) => [s, i] as const).filter(([s]) => s.kind === k)]));
  const cursor = new Map<MutationKind, number>(kinds.map((k) => [k, 0]));
  const counts = new Array<number>(sites.length).fill(0);
  let left = budget;
  while (left > 0) {
    let progressed = false;
    for (const kind of kinds) {
      if (left === 0) break;
      const members = byKind.get(kind)!;
      for (let tries = 0; tries < members.length; tries++) {
        const at = cursor.get(kind)! % members.length;
        cursor.set(kind, at + 1);
        const [site, i] = members[at]!;
        if (counts[i]! < site.capacity) {
          counts[i]!++;
          left--;
          progressed = true;
          break;
        }
      }
    }
    if (!progressed) break;
  }
  const cases: FuzzCase[] = [];
  const seenBySite = new Map<number, Set<string>>();
  sites.forEach((site, i) => {
    const want = counts[i]!;
    if (want === 0) return;
    const values = fc.sample(site.arb, { seed: deriveSeed(seed, `${op.id} ${site.kind} ${site.location} ${site.target}`), numRuns: Math.ceil(want * 1.5) + 2 });
    const seen = new Set<string>();
    for (const value of values) {
      const key = value === REMOVE ? 'remove' : (JSON.stringify(value) ?? String(value));
      if (seen.has(key)) continue;
      seen.add(key);
      cases.push(toCase(site, value));
      if (seen.size >= want) break;
    }
    seenBySite.set(i, seen);
  });
  // Duplicates left the budget short: top up from the places with unbounded variety.
  const open = sites.map((s, i) => [s, i] as const).filter(([s]) => s.capacity === Infinity);
  for (let round = 1; round <= 6 && cases.length < budget && open.length > 0; round++) {
    const perSite = Math.ceil((budget - cases.length) / open.length);
    for (const [site, i] of open) {
      if (cases.length >= budget) break;
      const seen = seenBySite.get(i) ?? new Set<string>();
      seenBySite.set(i, seen);
      const values = fc.sample(site.arb, { seed: deriveSeed(seed, `${op.id} ${site.kind} ${site.location} ${site.target} #${round}`), numRuns: perSite * 2 + 2 });
      let added = 0;
      for (const value of values) {
        if (added >= perSite || cases.length >= budget) break;
        const key = value === REMOVE ? 'remove' : (JSON.stringify(value) ?? String(value));
        if (seen.has(key)) continue;
        seen.add(key);
        cases.push(toCase(site, value));
        added++;
      }
    }
  }
  return cases;
}

/** A fuzz case: `value` put at the site of its valid request. */
function toCase(site: Site, value: unknown): FuzzCase {
  return {
    kind: site.kind,
    location: site.location,
    target: site.target,
    ancestors: site.ancestors,
    wholeBody: site.wholeBody,
    parts: site.apply(site.base, value),
    ...(value !== REMOVE && !site.wholeBody ? { value } : {}),
    label: site.show(value),
  };
}

/** The capacity of a list of sites (how many distinct cases they can produce at most). */
export function capacityOf(sites: readonly { capacity: number }[]): number {
  return sites.reduce((n, s) => n + s.capacity, 0);
}

/** Whether `param`'s value (as sent, a string) is valid against its schema, coerced as a server would. */
export function parameterValueValid(spec: ConformanceSpec, p: ParamSpec, value: string): boolean {
  const types = typesOf(spec.doc, p.resolved);
  let v: unknown = value;
  if (types && (types.has('integer') || types.has('number')) && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(value)) v = Number(value);
  else if (types?.has('boolean') && (value === 'true' || value === 'false')) v = value === 'true';
  if (p.schemaPointer) return spec.validator.isValid(p.schemaPointer, v);
  return spec.validator.isValidInline(p.resolved as object, v);
}

export type { Site };
