/**
 * Test helpers over the bundled contract (`generated/openapi.yaml`): its operations with their
 * parameters, request bodies and responses resolved, their examples, and a JSON Schema 2020-12
 * validator (ajv) that resolves `#/components/...` references inside the bundle.
 *
 * Used by the spec-wide checks in this folder and by the shared auth matrix (test/auth), so
 * that those tests are derived from the contract instead of a hand-kept list of routes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { parse } from 'yaml';

/** Absolute path of the bundled contract. */
export const SPEC_PATH = resolve(import.meta.dirname, '../../generated/openapi.yaml');

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** A JSON Schema as it appears in the contract (only what the tests read is typed). */
export type JsonSchema = { $ref?: string; pattern?: string; example?: unknown; examples?: unknown[]; [key: string]: unknown };

/** An `Example Object`. */
export interface ExampleObject {
  summary?: string;
  value?: unknown;
  $ref?: string;
}

/** A `Media Type Object`. */
export interface MediaTypeObject {
  schema?: JsonSchema;
  example?: unknown;
  examples?: Record<string, ExampleObject>;
}

/** A `Parameter Object`, references resolved. */
export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
  example?: unknown;
  examples?: Record<string, ExampleObject>;
}

/** A `Response Object`, references resolved. */
export interface ResponseObject {
  description?: string;
  headers?: Record<string, { schema?: JsonSchema; example?: unknown; $ref?: string }>;
  content?: Record<string, MediaTypeObject>;
}

/** A `Request Body Object`, references resolved. */
export interface RequestBodyObject {
  required?: boolean;
  content: Record<string, MediaTypeObject>;
}

/** An `Operation Object` as found in the bundle (references not yet resolved). */
export interface RawOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: (ParameterObject | { $ref: string })[];
  requestBody?: RequestBodyObject | { $ref: string };
  responses?: Record<string, ResponseObject | { $ref: string }>;
  /** Served in formats of its own (OAuth endpoints), by its family's `endpoints` router. */
  'x-endpoint'?: boolean;
  /** The scopes a registered payer's access token (`X-Payer-Token`) must carry on every call. */
  'x-payer-scopes'?: string[];
}

/** The parts of the OpenAPI document the tests use. */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  security?: Record<string, string[]>[];
  paths: Record<string, Partial<Record<HttpMethod, RawOperation>> & { parameters?: (ParameterObject | { $ref: string })[] }>;
  components?: Record<string, Record<string, unknown>>;
}

/** One operation of the contract with its references resolved. */
export interface SpecOperation {
  method: HttpMethod;
  /** Path template, e.g. `/v1/payments/{paymentId}`. */
  path: string;
  operationId: string | undefined;
  raw: RawOperation;
  /** Effective security requirements: the operation's own, else the document's. */
  security: Record<string, string[]>[];
  /** `true` when the effective security is `[]` (callable without credentials). */
  isPublic: boolean;
  parameters: ParameterObject[];
  requestBody: RequestBodyObject | undefined;
  responses: Record<string, ResponseObject>;
}

/** Reads and parses the bundled contract. */
export function loadSpec(path = SPEC_PATH): OpenApiDocument {
  return parse(readFileSync(path, 'utf8')) as OpenApiDocument;
}

/** Follows a local `$ref` (`#/components/...`) until a non-reference object is reached. */
export function deref<T>(doc: OpenApiDocument, value: T | { $ref: string }): T {
  let current: unknown = value;
  for (let hops = 0; hops < 20; hops++) {
    const ref = (current as { $ref?: unknown } | null)?.$ref;
    if (typeof ref !== 'string') return current as T;
    if (!ref.startsWith('#/')) throw new Error(`Only local references are supported, got ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    if (current === undefined) throw new Error(`Unresolvable reference ${ref}`);
  }
  throw new Error('Reference cycle');
}

/** Every operation of the contract, in document order. */
export function operationsOf(doc: OpenApiDocument): SpecOperation[] {
  const out: SpecOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared = (item.parameters ?? []).map((p) => deref<ParameterObject>(doc, p));
    for (const method of HTTP_METHODS) {
      const raw = item[method];
      if (!raw) continue;
      const own = (raw.parameters ?? []).map((p) => deref<ParameterObject>(doc, p));
      const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const security = raw.security ?? doc.security ?? [];
      out.push({
        method,
        path,
        operationId: raw.operationId,
        raw,
        security,
        isPublic: security.length === 0,
        parameters,
        requestBody: raw.requestBody ? deref<RequestBodyObject>(doc, raw.requestBody) : undefined,
        responses: Object.fromEntries(Object.entries(raw.responses ?? {}).map(([status, r]) => [status, deref<ResponseObject>(doc, r)])),
      });
    }
  }
  return out;
}

/** The examples of a media type or parameter (`example` and every `examples` entry), by name. */
export function examplesOf(doc: OpenApiDocument, holder: { example?: unknown; examples?: Record<string, ExampleObject> }): { name: string; value: unknown }[] {
  const out: { name: string; value: unknown }[] = [];
  if (holder.example !== undefined) out.push({ name: 'example', value: holder.example });
  for (const [name, ex] of Object.entries(holder.examples ?? {})) out.push({ name, value: deref<ExampleObject>(doc, ex).value });
  return out;
}

/** The first JSON request example of an operation, or `undefined` when it has none. */
export function requestExample(doc: OpenApiDocument, op: SpecOperation): unknown {
  const media = op.requestBody?.content['application/json'];
  return media ? examplesOf(doc, media)[0]?.value : undefined;
}

/**
 * A copy of a request body whose identifiers chosen by the client (top-level string properties
 * with the `pattern` of a path parameter of the contract, e.g. a store's `slug`, a product's
 * `sku`) end with `suffix`, so that a request sent again creates a new object instead of a
 * `409`. Properties whose value would then break the pattern are left as they are.
 */
export function withUniqueIdentifiers(doc: OpenApiDocument, op: SpecOperation, body: unknown, suffix: string): unknown {
  const schemaRef = op.requestBody?.content['application/json']?.schema;
  if (!schemaRef || !body || typeof body !== 'object' || Array.isArray(body)) return body;
  const pathPatterns = new Set(
    operationsOf(doc).flatMap((o) => o.parameters.filter((p) => p.in === 'path' && p.schema).map((p) => deref<JsonSchema>(doc, p.schema!).pattern)),
  );
  const properties = (deref<JsonSchema>(doc, schemaRef as JsonSchema).properties ?? {}) as Record<string, JsonSchema>;
  const out = { ...(body as Record<string, unknown>) };
  for (const [name, value] of Object.entries(out)) {
    const pattern = properties[name] ? deref<JsonSchema>(doc, properties[name]).pattern : undefined;
    if (typeof value !== 'string' || !pattern || !pathPatterns.has(pattern)) continue;
    const candidate = `${value}-${suffix}`;
    if (new RegExp(pattern, 'u').test(candidate)) out[name] = candidate;
  }
  return out;
}

/**
 * Fills a path template with the example of each path parameter (each must match its schema's
 * `pattern`, so the id is syntactically valid), or with `overrides[name]`.
 * @throws Error when a path parameter has neither an override nor an example.
 */
export function fillPath(doc: OpenApiDocument, op: SpecOperation, overrides: Record<string, string> = {}): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (overrides[name] !== undefined) return encodeURIComponent(overrides[name]);
    const param = op.parameters.find((p) => p.in === 'path' && p.name === name);
    const schema = param?.schema ? deref<JsonSchema>(doc, param.schema) : undefined;
    const value = param?.example ?? schema?.example;
    if (typeof value !== 'string') throw new Error(`${op.operationId}: path parameter ${name} has no example`);
    if (schema?.pattern && !new RegExp(schema.pattern, 'u').test(value)) {
      throw new Error(`${op.operationId}: example ${value} of ${name} does not match ${schema.pattern}`);
    }
    return encodeURIComponent(value);
  });
}

// ---------------------------------------------------------------------------------------------
// Schema validation
// ---------------------------------------------------------------------------------------------

/**
 * `$id` under which the component schemas are registered with ajv (as `$defs`); references
 * `#/components/schemas/X` are rewritten to `<SPEC_ID>#/$defs/X`.
 */
const SPEC_ID = 'https://tillpoint.test/schemas.json';
const SCHEMAS = '#/components/schemas/';

/** OpenAPI 3.1 keywords that are not JSON Schema vocabulary but may appear in schemas. */
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];

/** The `x-…` specification extensions used inside schemas (OpenAPI 3.1 allows them; they do not validate). */
function extensionKeywords(node: unknown, found = new Set<string>()): string[] {
  if (Array.isArray(node)) for (const v of node) extensionKeywords(v, found);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k.startsWith('x-')) found.add(k);
      else extensionKeywords(v, found);
    }
  }
  return [...found];
}

/** A validator of values against schemas of one contract. */
export interface SchemaValidator {
  /** Validates `value` against `schema` (which may `$ref` the bundle); `[]` when valid. */
  errors(schema: JsonSchema, value: unknown): ErrorObject[];
  /** Validates against a component schema (or a part of one) by JSON pointer, e.g. `/components/schemas/Problem`. */
  errorsAt(pointer: string, value: unknown): ErrorObject[];
}

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats: FormatsPlugin = (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

function toSpecRef(ref: string): string {
  if (!ref.startsWith(SCHEMAS)) throw new Error(`Schemas may only reference component schemas, got ${ref}`);
  return `${SPEC_ID}#/$defs/${ref.slice(SCHEMAS.length)}`;
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? toSpecRef(v) : rewriteRefs(v)]),
    );
  }
  return node;
}

/**
 * Builds an ajv 2020-12 validator (formats in `full` mode, as the server uses them) over the
 * schemas of `doc`. Strict about schema keywords, so a misspelt keyword fails compilation.
 */
export function schemaValidator(doc: OpenApiDocument): SchemaValidator {
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, allowUnionTypes: true });
  ajv.addVocabulary([...OPENAPI_KEYWORDS, ...extensionKeywords(doc.components?.schemas ?? {})]);
  addFormats(ajv, { mode: 'full' });
  ajv.addSchema({ $id: SPEC_ID, $defs: rewriteRefs(doc.components?.schemas ?? {}) } as object);
  const cache = new Map<string, ValidateFunction>();
  const compile = (schema: object): ValidateFunction => {
    const key = JSON.stringify(schema);
    let fn = cache.get(key);
    if (!fn) {
      fn = ajv.compile(schema);
      cache.set(key, fn);
    }
    return fn;
  };
  const run = (fn: ValidateFunction, value: unknown) => (fn(value) ? [] : [...(fn.errors ?? [])]);
  return {
    errors: (schema, value) => run(compile(rewriteRefs(schema) as object), value),
    errorsAt: (pointer, value) => run(compile({ $ref: toSpecRef(`#${pointer}`) }), value),
  };
}

/** One line per ajv error, for assertion messages. */
export function describeErrors(errors: ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('; ');
}
