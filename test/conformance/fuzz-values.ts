/**
 * Values for the fuzzer (../fuzz.ts), derived from one schema at a time: invalid values (wrong
 * type, out of range, breaking a pattern, format or enum, too long or short) and valid edge values
 * (range limits, maximal lengths, enum values, random pattern matches, hostile text, edge dates),
 * as fast-check arbitraries; plus the tampering of opaque tokens the target issued (cursors).
 */
import fc from 'fast-check';
import type { InputLocation, MutationKind } from './fuzz.ts';
import { joinPointer, pointerSegments, resolveSchema, typesOf, type ConformanceSpec, type JsonSchema, type JsonType } from './spec.ts';

/** Marker: remove the property instead of setting it. */
export const REMOVE = Symbol('remove');

const KNOWN_FORMATS = new Set(['email', 'uri', 'date-time', 'date', 'time', 'uuid', 'ipv4', 'ipv6', 'hostname', 'uri-reference', 'idn-email', 'duration']);

/** Near misses per format, mixed with random strings. */
const FORMAT_MISSES: Record<string, string[]> = {
  email: ['amara.example.com', 'amara@', '@example.com', 'a b@example.com', 'amara@@example.com'],
  'idn-email': ['amara.example.com', 'amara@'],
  uri: ['shop.example.com/path', 'http//example.com', '://example.com', 'not a uri'],
  'uri-reference': ['http://exa mple.com', '\\\\server'],
  'date-time': ['2026-13-01T00:00:00Z', '2026-11-21', '2026-11-21 10:15:30', 'yesterday', '2026-11-31T10:00:00Z', '2026-11-21T25:00:00Z'],
  date: ['2026-13-01', '21/11/2026', '2026-11-31'],
  time: ['25:00:00Z', '10:15'],
  uuid: ['5f0c2a9e-1d7b-4c8e-9a3f', 'not-a-uuid', '5f0c2a9e1d7b4c8e9a3f6b2d8e4f1a70z'],
  ipv4: ['256.1.1.1', '1.2.3'],
  ipv6: ['::g', '1:2:3'],
  hostname: ['-bad-.example', 'a..b'],
  duration: ['P', '1 day'],
};

/** A deep copy of a JSON value. */
export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/** Sets (or removes) the value at a JSON Pointer of a JSON document; the parent must exist. */
export function setAt(root: unknown, pointer: string, value: unknown): unknown {
  if (pointer === '') return value === REMOVE ? undefined : value;
  const segments = pointerSegments(pointer);
  const copy = clone(root);
  let node = copy as Record<string, unknown> | unknown[];
  for (const s of segments.slice(0, -1)) node = (node as Record<string, unknown>)[s] as Record<string, unknown>;
  const last = segments[segments.length - 1]!;
  if (value === REMOVE) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete (node as Record<string, unknown>)[last];
  } else (node as Record<string, unknown>)[last] = value;
  return copy;
}

/** The schema `pattern` as a JavaScript RegExp (`u` flag), or `undefined` when it does not compile. */
export function safeRegExp(pattern: unknown): RegExp | undefined {
  if (typeof pattern !== 'string') return undefined;
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

/** Values by JSON type, for wrong-type mutations in a JSON body. */
export const JSON_OF_TYPE: Record<'string' | 'integer' | 'float' | 'boolean' | 'null' | 'object' | 'array', fc.Arbitrary<unknown>> = {
  string: fc.string({ maxLength: 16 }),
  integer: fc.integer({ min: -1_000_000, max: 1_000_000 }),
  float: fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)),
  boolean: fc.boolean(),
  null: fc.constant(null),
  object: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 2 }),
  array: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 3 }),
};

/** Values for one place: the kind of mutation, how many distinct values, and their arbitrary. */
export interface ValueSite {
  kind: MutationKind;
  capacity: number;
  arb: fc.Arbitrary<unknown>;
}

/**
 * Invalid values for one schema. In `json` mode they are JSON values (body fields); in
 * `string` mode they are the strings sent in a query, path or header parameter.
 */
export function valueSites(spec: ConformanceSpec, schema: JsonSchema, mode: 'json' | 'string', location: InputLocation): ValueSite[] {
  setFormatChecker((format, value) => spec.validator.isValidInline({ type: 'string', format }, value));
  const s = resolveSchema(spec.doc, schema);
  const out: ValueSite[] = [];
  const types = typesOf(spec.doc, s);
  const charset = location === 'header' ? 'grapheme-ascii' : mode === 'json' ? 'grapheme' : 'grapheme-ascii';
  /** A string acceptable in this location (headers: no surrounding whitespace; path: a real segment). */
  const fits = (v: string): boolean => {
    if (location === 'header') return v === v.trim() && !/[\r\n\0]/.test(v);
    if (location === 'path') return v !== '' && v !== '.' && v !== '..';
    if (location === 'query') return v !== '';
    return true;
  };
  const str = (constraints: { minLength?: number; maxLength?: number } = {}) => fc.string({ unit: charset, maxLength: 24, ...constraints }).filter(fits);

  if (types) {
    const allowed = (t: JsonType) => types.has(t) || (t === 'integer' && types.has('number'));
    if (mode === 'json') {
      const wrong: fc.Arbitrary<unknown>[] = [];
      if (!allowed('string')) wrong.push(JSON_OF_TYPE.string);
      if (!allowed('integer')) wrong.push(JSON_OF_TYPE.integer);
      if (!types.has('number')) wrong.push(JSON_OF_TYPE.float);
      if (!allowed('boolean')) wrong.push(JSON_OF_TYPE.boolean);
      if (!allowed('null')) wrong.push(JSON_OF_TYPE.null);
      if (!allowed('object')) wrong.push(JSON_OF_TYPE.object);
      if (!allowed('array')) wrong.push(JSON_OF_TYPE.array);
      if (wrong.length > 0) out.push({ kind: 'wrong-type', capacity: Infinity, arb: fc.oneof(...wrong) });
    } else if (!types.has('string') && (types.has('integer') || types.has('number') || types.has('boolean'))) {
      const numeric = /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/;
      const arbs: fc.Arbitrary<string>[] = [str({ minLength: 1 }).filter((v) => !numeric.test(v) && v !== 'true' && v !== 'false')];
      if (types.has('integer') && !types.has('number')) arbs.push(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)).map(String));
      out.push({ kind: 'wrong-type', capacity: Infinity, arb: fc.oneof(...arbs) });
    }
  }
  const numeric = types && (types.has('integer') || types.has('number'));
  if (numeric) {
    const toValue = (n: number): unknown => (mode === 'json' ? n : String(n));
    const lower = typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : typeof s.minimum === 'number' ? s.minimum - 1 : undefined;
    const upper = typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : typeof s.maximum === 'number' ? s.maximum + 1 : undefined;
    const below = lower !== undefined ? fc.nat({ max: 1_000_000 }).map((n) => toValue(Math.ceil(lower) - n)) : undefined;
    const above = upper !== undefined ? fc.nat({ max: 1_000_000 }).map((n) => toValue(Math.floor(upper) + n)) : undefined;
    const range = [below, above].filter((a): a is fc.Arbitrary<unknown> => a !== undefined);
    if (range.length > 0) out.push({ kind: 'out-of-range', capacity: Infinity, arb: fc.oneof(...range) });
  }
  const stringy = !types || types.has('string');
  if (stringy) {
    const re = safeRegExp(s.pattern);
    if (re) {
      // Random printable text cannot break a pattern that only forbids control characters, so
      // JSON strings also get one mixed in; a pattern nothing here breaks gets no site (a filter
      // that never passes would spin forever).
      const candidates = mode === 'json' ? fc.oneof(str(), fc.tuple(str(), fc.constantFrom('\u0001', '\u001b', '\u007f'), str()).map(([a, c, b]) => a + c + b)) : str();
      if (fc.sample(candidates, { numRuns: 200, seed: 1 }).some((v) => !re.test(v))) {
        out.push({ kind: 'bad-pattern', capacity: Infinity, arb: candidates.filter((v) => !re.test(v)) });
      }
    }
    if (typeof s.format === 'string' && KNOWN_FORMATS.has(s.format)) {
      const valid = (v: string) => spec.validator.isValidInline({ type: 'string', format: s.format }, v);
      const misses = (FORMAT_MISSES[s.format] ?? []).filter((v) => fits(v) && !valid(v));
      const arbs: fc.Arbitrary<string>[] = [str({ minLength: 1 }).filter((v) => !valid(v))];
      if (misses.length > 0) arbs.push(fc.constantFrom(...misses));
      out.push({ kind: 'bad-format', capacity: Infinity, arb: fc.oneof(...arbs) });
    }
    if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string' || v === null)) {
      const values = new Set(s.enum);
      out.push({ kind: 'bad-enum', capacity: Infinity, arb: str({ minLength: 1 }).filter((v) => !values.has(v)) });
    }
    if ('const' in s && typeof s.const === 'string') out.push({ kind: 'bad-enum', capacity: Infinity, arb: str({ minLength: 1 }).filter((v) => v !== s.const) });
    if (typeof s.maxLength === 'number') {
      const max = s.maxLength;
      const filler = fillerFor(s, re);
      out.push({ kind: 'too-long', capacity: 64, arb: fc.integer({ min: max + 1, max: max + 64 }).map((n) => filler(n)) });
    }
    if (typeof s.minLength === 'number' && s.minLength > 0 && (s.minLength > 1 || location === 'body' || location === 'header')) {
      const min = s.minLength;
      out.push({ kind: 'too-short', capacity: 1, arb: fc.constant(fillerFor(s, re)(min - 1)) });
    }
  } else if (mode === 'json' && Array.isArray(s.enum) && s.enum.length > 0) {
    const values = new Set(s.enum as unknown[]);
    if (s.enum.every((v) => typeof v === 'number')) out.push({ kind: 'bad-enum', capacity: Infinity, arb: fc.integer().filter((v) => !values.has(v)) });
  }
  const edges = boundaryValues(s, types, mode, fits);
  if (edges) out.push({ kind: 'boundary', ...edges });
  return out;
}

/** Valid values at the edges of a schema: range limits, maximal lengths, enum values, pattern matches. */
function boundaryValues(s: JsonSchema, types: Set<JsonType> | undefined, mode: 'json' | 'string', fits: (v: string) => boolean): Pick<ValueSite, 'capacity' | 'arb'> | undefined {
  const arbs: fc.Arbitrary<unknown>[] = [];
  let capacity = 0;
  const wrap = (v: unknown) => (mode === 'json' ? v : String(v));
  if (Array.isArray(s.enum) && s.enum.length > 0) {
    const values = s.enum.filter((v) => v !== null && (mode === 'json' || typeof v !== 'object')).map(wrap);
    if (values.length > 0) {
      arbs.push(fc.constantFrom(...values));
      capacity += values.length;
    }
  } else if (types && (types.has('integer') || types.has('number'))) {
    const lo = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? Math.floor(s.exclusiveMinimum) + 1 : undefined;
    const hi = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? Math.ceil(s.exclusiveMaximum) - 1 : undefined;
    const values = [...new Set([lo, hi, lo !== undefined ? lo + 1 : undefined, hi !== undefined ? hi - 1 : undefined])].filter(
      (v): v is number => v !== undefined && (lo === undefined || v >= lo) && (hi === undefined || v <= hi),
    );
    if (values.length > 0) {
      arbs.push(fc.constantFrom(...values.map(wrap)));
      capacity += values.length;
    }
  } else if (!types || types.has('string')) {
    const re = safeRegExp(s.pattern);
    const min = typeof s.minLength === 'number' ? s.minLength : 0;
    const max = typeof s.maxLength === 'number' ? s.maxLength : undefined;
    const fitsLength = (v: string) => [...v].length >= min && (max === undefined || [...v].length <= max);
    if (re) {
      const matching = fc.stringMatching(re).filter((v) => fitsLength(v) && fits(v) && v.length <= 4096);
      arbs.push(matching);
      capacity = Infinity;
    } else if (max !== undefined && !s.format) {
      const longest = fillerFor(s, undefined)(max);
      if (fits(longest)) {
        arbs.push(fc.constant(longest));
        capacity += 1;
      }
    }
    if (typeof s.format === 'string' && FORMAT_EDGES[s.format]) {
      const format = s.format;
      const edges = FORMAT_EDGES[format]!.filter((v) => fitsLength(v) && fits(v) && (!re || re.test(v)) && validFormat(format, v));
      if (edges.length > 0) {
        arbs.push(fc.constantFrom(...edges));
        capacity += edges.length;
      }
    }
    if (mode === 'json' && !s.format) {
      // Text the schema allows but storage layers often choke on.
      const prefix = typeof s.example === 'string' ? s.example : '';
      const hostile = HOSTILE_TEXT.flatMap((h) => [h, prefix + h]).filter((v) => fitsLength(v) && (!re || re.test(v)));
      const unique = [...new Set(hostile)];
      if (unique.length > 0) {
        arbs.push(fc.constantFrom(...unique));
        capacity += unique.length;
      }
    }
  }
  return arbs.length > 0 ? { capacity, arb: arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs) } : undefined;
}

/** Valid values of formats at the edges of what storage layers accept. */
const FORMAT_EDGES: Record<string, string[]> = {
  'date-time': ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '1970-01-01T00:00:00Z', '2026-11-21T10:00:00.123456789+14:00', '2026-11-21T10:00:00-12:00', '2016-12-31T23:59:60Z'],
  date: ['0000-01-01', '9999-12-31', '2024-02-29'],
  email: [`${'a'.repeat(64)}@example.com`, 'a+tag@example.com', '"quoted"@example.com'],
  uri: ['https://example.com/' + 'a'.repeat(2000), 'urn:isbn:0451450523', 'https://[::1]:8080/x?y=1#z'],
};

let formatChecker: ((format: string, value: string) => boolean) | undefined;
/** Whether `value` is valid for `format` (set by {@link setFormatChecker}, else assumed valid). */
function validFormat(format: string, value: string): boolean {
  return formatChecker ? formatChecker(format, value) : true;
}

/** Installs the format checker used to keep only valid edge values (ajv's, from the spec validator). */
export function setFormatChecker(check: (format: string, value: string) => boolean): void {
  formatChecker = check;
}

/** Valid JSON strings that break naive storage or rendering. */
const HOSTILE_TEXT = ['a\u0000b', '\u0000', 'x\ud800y', '\udfff', '\u202eevil\u202c', '\ufeffbom', '👩‍👩‍👧‍👦', `O'Brien "quoted" \\ back`, '<script>alert(1)</script>', ' ', '\r\n', '%00%ff', '\u2028\u2029'];

const EXTREME_VALUES: unknown[] = [
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '0000-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '2026-02-30T00:00:00.000Z',
  '',
  "'",
  'a\u0000b',
  'x'.repeat(600),
  1e308,
  -1,
  0,
  1.5,
  null,
  true,
  {},
  [],
];

/** Decodes a base64url token to JSON, if it is one. */
function decodeToken(token: string): unknown {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) return undefined;
  try {
    const json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    return json && typeof json === 'object' ? json : undefined;
  } catch {
    return undefined;
  }
}

/** The decoded text of a base64url token, shortened, for labels. */
export function describeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  return decoded.length > 100 ? `${decoded.slice(0, 100)}…` : decoded;
}

/** JSON Pointers of the leaves of a JSON value. */
function leaves(value: unknown, pointer = ''): string[] {
  if (value && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    const out = entries.flatMap(([k, v]) => leaves(v, `${pointer}${joinPointer(k)}`));
    return out.length > 0 ? out : [pointer];
  }
  return [pointer];
}

/** Tokens the target issued, tampered with (decoded JSON values replaced, or characters changed). */
export function tamperedToken(issued: string[]): fc.Arbitrary<string> {
  const decoded = issued.map((t) => ({ token: t, json: decodeToken(t) }));
  const structured = decoded.filter((d) => d.json !== undefined);
  const arbs: fc.Arbitrary<string>[] = [];
  if (structured.length > 0) {
    arbs.push(
      fc.constantFrom(...structured).chain((d) =>
        fc.tuple(fc.constantFrom(...leaves(d.json)), fc.oneof(fc.constantFrom(...EXTREME_VALUES), fc.string({ maxLength: 8 }), fc.integer())).map(([leaf, value]) =>
          Buffer.from(JSON.stringify(leaf === '' ? value : setAt(d.json, leaf, value))).toString('base64url'),
        ),
      ),
      fc.constantFrom(...structured).map((d) => Buffer.from(JSON.stringify(Array.isArray(d.json) ? [] : {})).toString('base64url')),
    );
  }
  arbs.push(
    fc.tuple(fc.constantFrom(...issued), fc.nat(), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')).map(([t, at, ch]) => {
      const i = at % t.length;
      return t.slice(0, i) + ch + t.slice(i + 1);
    }),
  );
  return fc.oneof(...arbs).filter((t) => t.length > 0 && !issued.includes(t));
}

/** Builds strings of a given length that still match the schema's pattern when possible. */
export function fillerFor(s: JsonSchema, re: RegExp | undefined): (n: number) => string {
  const seeds = [typeof s.example === 'string' ? s.example : undefined, 'a', 'A', '0', 'https://example.com/'].filter((x): x is string => x !== undefined);
  return (n: number) => {
    for (const seed of seeds) {
      const candidate = (seed + 'a'.repeat(Math.max(0, n))).slice(0, n);
      if (!re || re.test(candidate)) return candidate;
      const zeros = (seed + '0'.repeat(Math.max(0, n))).slice(0, n);
      if (re.test(zeros)) return zeros;
    }
    return 'a'.repeat(n);
  };
}
