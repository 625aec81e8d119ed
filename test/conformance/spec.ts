/**
 * The contract as the conformance suite reads it: the bundled OpenAPI 3.1 document (and nothing
 * else about the API), turned into operations whose roles, prerequisites and protocol features
 * are derived from their schemas by generic rules:
 *
 * - an operation's *resource* is the `pattern` of the `id` of its success response body;
 * - a path parameter whose schema `pattern` equals a resource pattern is satisfied by the
 *   operation that creates that resource (or, failing that, by a list whose items carry it);
 * - an operation declaring an `Idempotency-Key` header parameter is idempotent;
 * - a `GET` whose success body has an array of objects with ids, a cursor-like response property
 *   and `cursor`/`limit` query parameters is a paginated list;
 * - a public creating operation whose response carries a property named like an API-key
 *   security scheme issues credentials (a sandbox merchant);
 * - the response headers documented on every response of every operation are universal;
 * - an HTTP bearer scheme whose security requirements name scopes (or that is named like a
 *   client token) is the *client-token* scheme: an operation listing it may be called by a client
 *   token holding the scopes of that requirement, every other secured operation refuses client
 *   tokens; a secured creating operation with an array-of-strings `scopes`-like body property
 *   and a `token`-like string in its response issues client tokens.
 *
 * Schemas are validated with ajv (JSON Schema 2020-12) directly on the bundle, with failures
 * located by a JSON pointer into the spec (`#/components/schemas/Payment/properties/amount/type`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { parse } from 'yaml';
import { HTTP_METHODS, type HttpMethod, type JsonSchema, type OpenApiDocument, type ParameterObject } from '../contract/openapi.ts';

export type { HttpMethod, JsonSchema, OpenApiDocument } from '../contract/openapi.ts';

/** Default location of the bundled contract, relative to the repository root. */
export const DEFAULT_SPEC_PATH = resolve(import.meta.dirname, '../../generated/openapi.yaml');

// ---------------------------------------------------------------------------------------------
// JSON pointers
// ---------------------------------------------------------------------------------------------

/** Escapes one JSON Pointer segment (RFC 6901). */
export function escapeSegment(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Splits a JSON Pointer (`/a/b~1c`) into unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** Joins segments into a JSON Pointer. */
export function joinPointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${escapeSegment(String(s))}`).join('');
}

/** The value at `pointer` inside `root`, or `undefined`. */
export function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const segment of pointerSegments(pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** `#/components/schemas/X` → `/components/schemas/X`. */
function refToPointer(ref: string): string {
  if (!ref.startsWith('#')) throw new Error(`Only local references are supported, got ${ref}`);
  return decodeURIComponent(ref.slice(1));
}

/** A node of the document and where it is. */
export interface Located<T> {
  value: T;
  /** JSON Pointer of `value` in the document (after following references). */
  pointer: string;
}

/** Follows `$ref`s from `value` (found at `pointer`) to a non-reference node. */
export function locate<T>(doc: OpenApiDocument, value: unknown, pointer: string): Located<T> {
  let current = value;
  let where = pointer;
  for (let hops = 0; hops < 32; hops++) {
    const ref = (current as { $ref?: unknown } | null)?.$ref;
    if (typeof ref !== 'string') return { value: current as T, pointer: where };
    where = refToPointer(ref);
    current = valueAt(doc, where);
    if (current === undefined) throw new Error(`Unresolvable reference ${ref}`);
  }
  throw new Error(`Reference cycle at ${pointer}`);
}

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

/** JSON types a value may have, `integer` included. */
export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'object' | 'array';

/** A schema with references followed and `allOf` members merged (properties, required, type). */
export function resolveSchema(doc: OpenApiDocument, schema: unknown): JsonSchema {
  const s = locate<JsonSchema>(doc, schema, '').value ?? {};
  if (!Array.isArray(s.allOf)) return s;
  const merged: JsonSchema = { ...s };
  delete merged.allOf;
  const properties: Record<string, unknown> = { ...((s.properties as Record<string, unknown>) ?? {}) };
  const required = new Set<string>((s.required as string[]) ?? []);
  for (const member of s.allOf as unknown[]) {
    const m = resolveSchema(doc, member);
    Object.assign(properties, (m.properties as Record<string, unknown>) ?? {});
    for (const r of (m.required as string[]) ?? []) required.add(r);
    if (m.type && !merged.type) merged.type = m.type;
    if (m.additionalProperties !== undefined && merged.additionalProperties === undefined) merged.additionalProperties = m.additionalProperties;
  }
  merged.properties = properties;
  merged.required = [...required];
  return merged;
}

/** The JSON types a schema admits, or `undefined` when it does not constrain the type. */
export function typesOf(doc: OpenApiDocument, schema: unknown): Set<JsonType> | undefined {
  const s = resolveSchema(doc, schema);
  if (typeof s.type === 'string') return new Set([s.type as JsonType]);
  if (Array.isArray(s.type)) return new Set(s.type as JsonType[]);
  const values = Array.isArray(s.enum) ? (s.enum as unknown[]) : 'const' in s ? [s.const] : undefined;
  if (values) return new Set(values.map(jsonTypeOf));
  const branches = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (Array.isArray(branches)) {
    const out = new Set<JsonType>();
    for (const b of branches) {
      const t = typesOf(doc, b);
      if (!t) return undefined;
      for (const x of t) out.add(x);
    }
    return out;
  }
  if (s.properties) return new Set(['object']);
  if (s.items) return new Set(['array']);
  return undefined;
}

/** The JSON type of a value (`integer` for whole numbers). */
export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

/** The `pattern` constraining the `id` property of an object schema, if any. */
function idPatternOf(doc: OpenApiDocument, schema: unknown): string | undefined {
  const s = resolveSchema(doc, schema);
  const branches = (s.oneOf ?? s.anyOf) as unknown[] | undefined;
  if (Array.isArray(branches) && !s.properties) {
    // A union of object kinds (e.g. events) has a resource id when every kind has the same one.
    const patterns = branches.map((b) => idPatternOf(doc, b));
    return patterns.length > 0 && patterns.every((p) => p !== undefined && p === patterns[0]) ? patterns[0] : undefined;
  }
  const id = (s.properties as Record<string, unknown> | undefined)?.id;
  if (!id) return undefined;
  const pattern = resolveSchema(doc, id).pattern;
  return typeof pattern === 'string' ? pattern : undefined;
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/** A media type of a request or response, with its schema location and examples. */
export interface MediaSpec {
  type: string;
  schemaPointer: string | undefined;
  schema: JsonSchema | undefined;
  examples: { name: string; value: unknown }[];
}

/** A documented response header. */
export interface HeaderSpec {
  name: string;
  required: boolean;
  schemaPointer: string | undefined;
  schema: JsonSchema | undefined;
}

/** A documented response of an operation. */
export interface ResponseSpec {
  /** `201`, `4XX` or `default`. */
  status: string;
  pointer: string;
  headers: HeaderSpec[];
  content: MediaSpec[];
}

/** A parameter with the location of its schema. */
export interface ParamSpec extends ParameterObject {
  schemaPointer: string | undefined;
  /** The parameter's schema, references followed. */
  resolved: JsonSchema;
  /** Examples of the parameter (its own, else its schema's). */
  exampleValues: unknown[];
}

/** How a list operation pages. */
export interface ListShape {
  /** Property of the body holding the page's items. */
  dataProperty: string;
  /** Pattern of the items' `id`. */
  itemIdPattern: string | undefined;
  cursorParam: string | undefined;
  limitParam: string | undefined;
  /** Largest page size allowed by the limit parameter's schema. */
  limitMax: number | undefined;
  nextCursorProperty: string | undefined;
  hasMoreProperty: string | undefined;
}

/**
 * What an operation does, derived from its method, path and response:
 * `create` makes an object with an id, `read` and `list` only read, `action` changes an object
 * named in the path, `account` changes the caller's account (secured, no object: e.g. key
 * rotation), `other` is anything else (e.g. a public credential exchange).
 */
export type OperationRole = 'create' | 'read' | 'list' | 'action' | 'account' | 'other';

/** One operation of the contract, with everything the checks derive from it. */
export interface Operation {
  /** `operationId`, or `METHOD path` when the spec gives none. */
  id: string;
  method: HttpMethod;
  path: string;
  pointer: string;
  tags: string[];
  /** Effective security requirements (operation's own, else the document's). */
  security: Record<string, string[]>[];
  /** No credentials needed (`security: []` or an empty alternative). */
  isPublic: boolean;
  parameters: ParamSpec[];
  body: { required: boolean; media: MediaSpec[]; json: MediaSpec | undefined } | undefined;
  responses: ResponseSpec[];
  /** Explicit status codes documented (`201`, `400`…), in document order. */
  statuses: string[];
  /** The name of the declared `Idempotency-Key` header parameter, when there is one. */
  idempotencyHeader: string | undefined;
  /** Pattern of the `id` in the success response body (the resource it returns). */
  resourcePattern: string | undefined;
  /**
   * Identifiers the client chooses (a store's `slug`, a product's `sku`): top-level properties
   * of the request body that the success response echoes, whose `pattern` is that of a path
   * parameter of the contract. The suite makes them unique per request and addresses the
   * created object by them.
   */
  keyProperties: { name: string; pattern: string }[];
  /** The success response's JSON media (first documented 2xx with a JSON body). */
  success: { status: string; media: MediaSpec } | undefined;
  list: ListShape | undefined;
  role: OperationRole;
  /** Public operation that issues credentials (e.g. a sandbox merchant). */
  issuesCredentials: boolean;
  /**
   * The scopes a client token needs to call the operation, one list per security requirement
   * that names the client-token scheme (any one list suffices, every scope of it is needed);
   * `undefined` when the operation does not accept client tokens (or the contract declares no
   * such scheme).
   */
  clientTokenScopes: string[][] | undefined;
  /**
   * Requests to send first, as the same merchant, so that this operation can succeed
   * (`x-prerequisites`: e.g. a card payment that funds the balance a payout draws on); `example`
   * names one of that operation's request examples (default its first).
   */
  prerequisites: { operationId: string; example: string | undefined }[];
  /**
   * `x-endpoint: true`: an operation in formats of its own (OAuth, RFC 6749: form-encoded
   * requests, `{"error": …}` errors, an HTML page) rather than JSON and problem details.
   */
  endpoint: boolean;
  /** `x-payer-scopes`: the operation acts for a registered payer, whose OAuth access token it needs (with these scopes). */
  payerScopes: string[] | undefined;
}

/** Reads an operation's `x-prerequisites`: a list of `{ operationId, example? }`; anything else is ignored. */
function prerequisitesOf(value: unknown): Operation['prerequisites'] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v) => {
    const entry = v as { operationId?: unknown; example?: unknown } | null;
    return entry && typeof entry.operationId === 'string' ? [{ operationId: entry.operationId, example: typeof entry.example === 'string' ? entry.example : undefined }] : [];
  });
}

/** What the contract says about client tokens (scoped credentials of an application). */
export interface ClientTokenSpec {
  /** Name of the security scheme, e.g. `clientToken`. */
  scheme: string;
  /** Every scope the contract names for it (requirements, and the issuer's enum), sorted. */
  scopes: string[];
  /** The operation issuing client tokens, when the contract has one (e.g. `createClientToken`). */
  issuer: { op: Operation; scopesProperty: string; tokenProperty: string } | undefined;
  /** A token value from the issuer's response examples (its shape: `ct_test_…`). */
  exampleToken: string | undefined;
}

/** A security scheme of the document. */
export interface SecurityScheme {
  name: string;
  type: string;
  in?: string;
  /** Header, query or cookie name of an `apiKey` scheme. */
  paramName?: string;
  scheme?: string;
  /** `bearerFormat` of an http bearer scheme, e.g. `ct_{test|live}_…`. */
  bearerFormat?: string;
}

const isJsonMedia = (type: string) => /^application\/(.+\+)?json$/i.test(type.split(';')[0]!.trim());

function mediaSpecs(doc: OpenApiDocument, content: unknown, pointer: string): MediaSpec[] {
  if (!content || typeof content !== 'object') return [];
  return Object.entries(content as Record<string, { schema?: unknown; example?: unknown; examples?: Record<string, unknown> }>).map(([type, media]) => {
    const mediaPointer = `${pointer}${joinPointer(type)}`;
    const schemaLoc = media.schema !== undefined ? locate<JsonSchema>(doc, media.schema, `${mediaPointer}/schema`) : undefined;
    const examples: { name: string; value: unknown }[] = [];
    if (media.example !== undefined) examples.push({ name: 'example', value: media.example });
    for (const [name, ex] of Object.entries(media.examples ?? {})) {
      examples.push({ name, value: locate<{ value?: unknown }>(doc, ex, `${mediaPointer}/examples${joinPointer(name)}`).value.value });
    }
    return {
      type: type.toLowerCase(),
      schemaPointer: schemaLoc?.pointer,
      schema: schemaLoc?.value,
      examples,
    };
  });
}

function paramSpec(doc: OpenApiDocument, raw: unknown, pointer: string): ParamSpec {
  const { value: p, pointer: where } = locate<ParameterObject & { examples?: Record<string, unknown> }>(doc, raw, pointer);
  const schemaLoc = p.schema !== undefined ? locate<JsonSchema>(doc, p.schema, `${where}/schema`) : undefined;
  const resolved = p.schema !== undefined ? resolveSchema(doc, p.schema) : {};
  const exampleValues: unknown[] = [];
  if (p.example !== undefined) exampleValues.push(p.example);
  for (const [name, ex] of Object.entries(p.examples ?? {})) {
    exampleValues.push(locate<{ value?: unknown }>(doc, ex, `${where}/examples${joinPointer(name)}`).value.value);
  }
  if (resolved.example !== undefined) exampleValues.push(resolved.example);
  if (Array.isArray(resolved.examples)) exampleValues.push(...resolved.examples);
  return { ...p, schemaPointer: schemaLoc?.pointer, resolved, exampleValues };
}

function responseSpec(doc: OpenApiDocument, status: string, raw: unknown, pointer: string): ResponseSpec {
  const { value: r, pointer: where } = locate<{ headers?: Record<string, unknown>; content?: unknown }>(doc, raw, pointer);
  const headers = Object.entries(r.headers ?? {}).map(([name, h]): HeaderSpec => {
    const { value: header, pointer: hp } = locate<{ required?: boolean; schema?: unknown }>(doc, h, `${where}/headers${joinPointer(name)}`);
    const schemaLoc = header.schema !== undefined ? locate<JsonSchema>(doc, header.schema, `${hp}/schema`) : undefined;
    return { name, required: header.required === true, schemaPointer: schemaLoc?.pointer, schema: schemaLoc?.value };
  });
  return { status: status.toUpperCase(), pointer: where, headers, content: mediaSpecs(doc, r.content, `${where}/content`) };
}

function listShape(doc: OpenApiDocument, op: Pick<Operation, 'method' | 'parameters' | 'success'>): ListShape | undefined {
  if (op.method !== 'get' || !op.success?.media.schema) return undefined;
  const body = resolveSchema(doc, op.success.media.schema);
  const props = (body.properties ?? {}) as Record<string, unknown>;
  const arrays = Object.entries(props).filter(([, s]) => typesOf(doc, s)?.has('array'));
  const data = arrays.find(([name]) => name === 'data') ?? (arrays.length === 1 ? arrays[0] : undefined);
  if (!data) return undefined;
  const items = resolveSchema(doc, data[1]).items;
  const query = op.parameters.filter((p) => p.in === 'query');
  const cursorParam = query.find((p) => /cursor/i.test(p.name))?.name;
  const limit = query.find((p) => /^(limit|page_?size|per_?page)$/i.test(p.name));
  const nextCursorProperty = Object.keys(props).find((name) => /cursor/i.test(name));
  const hasMoreProperty = Object.entries(props).find(([name, s]) => /more/i.test(name) && typesOf(doc, s)?.has('boolean'))?.[0];
  if (!cursorParam && !nextCursorProperty) return undefined;
  return {
    dataProperty: data[0],
    itemIdPattern: items ? idPatternOf(doc, items) : undefined,
    cursorParam,
    limitParam: limit?.name,
    limitMax: typeof limit?.resolved.maximum === 'number' ? limit.resolved.maximum : undefined,
    nextCursorProperty,
    hasMoreProperty,
  };
}

/** Lowercase letters and digits only, without a leading `x-` (header names vs property names). */
export function normalizeName(name: string): string {
  return name
    .toLowerCase()
    .replace(/^x-/, '')
    .replace(/[^a-z0-9]/g, '');
}

/** The whole contract as the suite uses it. */
export interface ConformanceSpec {
  /** Absolute path of the spec file. */
  path: string;
  doc: OpenApiDocument;
  operations: Operation[];
  securitySchemes: Record<string, SecurityScheme>;
  /** Lowercased names of the headers documented on every response of every operation. */
  universalHeaders: string[];
  /**
   * The response header marking an idempotent replay and its value, when the spec documents
   * one on the success responses of idempotent operations (e.g. `Idempotent-Replayed: true`).
   */
  replayHeader: { name: string; value: string } | undefined;
  /** Properties of a problem's field errors naming the input: body pointer, parameter, header. */
  fieldErrorKeys: { arrayProperty: string; body?: string; parameter?: string; header?: string } | undefined;
  /** The problem `code` the spec's examples give for an Idempotency-Key reused with another body. */
  idempotencyReusedCode: string | undefined;
  /** The client-token scheme and what goes with it; `undefined` when the contract declares none. */
  clientToken: ClientTokenSpec | undefined;
  validator: SpecValidator;
}

/** Reads the spec at `path` and derives everything the checks need. */
export function loadConformanceSpec(path = DEFAULT_SPEC_PATH): ConformanceSpec {
  const doc = parse(readFileSync(path, 'utf8')) as OpenApiDocument;
  const securitySchemes: Record<string, SecurityScheme> = {};
  for (const [name, raw] of Object.entries((doc.components?.securitySchemes ?? {}) as Record<string, unknown>)) {
    const s = locate<{ type: string; in?: string; name?: string; scheme?: string; bearerFormat?: string }>(doc, raw, `/components/securitySchemes${joinPointer(name)}`).value;
    securitySchemes[name] = { name, type: s.type, in: s.in, paramName: s.name, scheme: s.scheme?.toLowerCase(), bearerFormat: s.bearerFormat };
  }
  const credentialNames = new Set<string>();
  for (const s of Object.values(securitySchemes)) {
    if (s.type === 'apiKey') {
      credentialNames.add(normalizeName(s.name));
      if (s.paramName) credentialNames.add(normalizeName(s.paramName));
    }
  }

  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const itemPointer = `/paths${joinPointer(path)}`;
    const shared = (item.parameters ?? []).map((p, i) => paramSpec(doc, p, `${itemPointer}/parameters/${i}`));
    for (const method of HTTP_METHODS) {
      const raw = item[method];
      if (!raw) continue;
      const pointer = `${itemPointer}/${method}`;
      const own = (raw.parameters ?? []).map((p, i) => paramSpec(doc, p, `${pointer}/parameters/${i}`));
      const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
      const security = raw.security ?? doc.security ?? [];
      const isPublic = security.length === 0 || security.some((alt) => Object.keys(alt).length === 0);
      let body: Operation['body'];
      if (raw.requestBody) {
        const rb = locate<{ required?: boolean; content?: unknown }>(doc, raw.requestBody, `${pointer}/requestBody`);
        const media = mediaSpecs(doc, rb.value.content, `${rb.pointer}/content`);
        body = { required: rb.value.required === true, media, json: media.find((m) => isJsonMedia(m.type)) };
      }
      const responses = Object.entries(raw.responses ?? {}).map(([status, r]) => responseSpec(doc, status, r, `${pointer}/responses${joinPointer(status)}`));
      const successResponse = responses.find((r) => /^2\d\d$/.test(r.status) && r.content.some((m) => isJsonMedia(m.type)));
      const success = successResponse ? { status: successResponse.status, media: successResponse.content.find((m) => isJsonMedia(m.type))! } : undefined;
      const resourcePattern = success?.media.schema ? idPatternOf(doc, success.media.schema) : undefined;
      const idempotencyHeader = parameters.find((p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key')?.name;
      const op: Operation = {
        id: raw.operationId ?? `${method.toUpperCase()} ${path}`,
        method,
        path,
        pointer,
        tags: raw.tags ?? [],
        security,
        isPublic,
        parameters,
        body,
        responses,
        statuses: responses.map((r) => r.status).filter((s) => /^\d{3}$/.test(s)),
        idempotencyHeader,
        resourcePattern,
        keyProperties: [],
        success,
        list: undefined,
        role: 'other',
        issuesCredentials: false,
        clientTokenScopes: undefined,
        prerequisites: prerequisitesOf((raw as Record<string, unknown>)['x-prerequisites']),
        endpoint: (raw as { 'x-endpoint'?: unknown })['x-endpoint'] === true,
        payerScopes: Array.isArray((raw as { 'x-payer-scopes'?: unknown })['x-payer-scopes']) ? ((raw as { 'x-payer-scopes': string[] })['x-payer-scopes']) : undefined,
      };
      op.list = listShape(doc, op);
      const pathPatterns = parameters.filter((p) => p.in === 'path').map((p) => p.resolved.pattern);
      if (method === 'get') op.role = op.list ? 'list' : 'read';
      else if (resourcePattern && !pathPatterns.includes(resourcePattern)) op.role = 'create';
      else if (pathPatterns.length > 0) op.role = 'action';
      else if (!isPublic) op.role = 'account';
      const successProps = success?.media.schema ? Object.keys((resolveSchema(doc, success.media.schema).properties as object) ?? {}) : [];
      op.issuesCredentials = isPublic && method !== 'get' && successProps.some((p) => credentialNames.has(normalizeName(p)));
      operations.push(op);
    }
  }

  // Client-chosen identifiers: request properties echoed by the response that name path parameters.
  const pathParamPatterns = new Set(operations.flatMap((o) => o.parameters.filter((p) => p.in === 'path').map((p) => p.resolved.pattern)).filter((p): p is string => typeof p === 'string'));
  for (const op of operations.filter((o) => o.role === 'create' && o.body?.json?.schema && o.success?.media.schema)) {
    const requestProps = (resolveSchema(doc, op.body!.json!.schema).properties ?? {}) as Record<string, unknown>;
    const responseProps = (resolveSchema(doc, op.success!.media.schema).properties ?? {}) as Record<string, unknown>;
    for (const [name, schema] of Object.entries(requestProps)) {
      const pattern = resolveSchema(doc, schema).pattern;
      if (typeof pattern !== 'string' || !pathParamPatterns.has(pattern) || pattern === op.resourcePattern) continue;
      if (responseProps[name] !== undefined && resolveSchema(doc, responseProps[name]).pattern === pattern) op.keyProperties.push({ name, pattern });
    }
  }

  // Headers on every documented response of every operation.
  let universal: Set<string> | undefined;
  for (const op of operations) {
    for (const r of op.responses) {
      const names = new Set(r.headers.map((h) => h.name.toLowerCase()));
      universal = universal ? new Set([...universal].filter((n) => names.has(n))) : names;
    }
  }

  // A header documented on the success responses of idempotent operations only, with one value.
  let replayHeader: ConformanceSpec['replayHeader'];
  for (const op of operations.filter((o) => o.idempotencyHeader)) {
    for (const r of op.responses.filter((x) => x.status.startsWith('2'))) {
      for (const h of r.headers) {
        if (universal?.has(h.name.toLowerCase())) continue;
        const values = h.schema ? resolveSchema(doc, h.schema).enum : undefined;
        if (Array.isArray(values) && values.length === 1 && (!replayHeader || /replay/i.test(h.name))) {
          replayHeader = { name: h.name, value: String(values[0]) };
        }
      }
    }
  }

  const clientToken = findClientToken(doc, operations, securitySchemes);
  return {
    path,
    doc,
    operations,
    securitySchemes,
    clientToken,
    universalHeaders: [...(universal ?? [])],
    replayHeader,
    fieldErrorKeys: findFieldErrorKeys(doc, operations),
    idempotencyReusedCode: findIdempotencyReusedCode(operations),
    validator: new SpecValidator(doc),
  };
}

/**
 * The client-token scheme: an HTTP bearer scheme whose requirements name scopes, else one named
 * like a client token. Sets each operation's {@link Operation.clientTokenScopes}.
 */
export function findClientToken(doc: OpenApiDocument, operations: Operation[], schemes: Record<string, SecurityScheme>): ClientTokenSpec | undefined {
  const bearer = Object.values(schemes).filter((s) => s.type === 'http' && s.scheme === 'bearer');
  const scoped = bearer.filter((s) => operations.some((o) => o.security.some((alt) => (alt[s.name] ?? []).length > 0)));
  const named = (list: SecurityScheme[]) => list.find((s) => /clienttoken|apptoken|applicationtoken/.test(normalizeName(s.name)));
  const scheme = named(scoped) ?? scoped[0] ?? named(bearer);
  if (!scheme) return undefined;
  const scopes = new Set<string>();
  for (const op of operations) {
    const alternatives = op.security.filter((alt) => scheme.name in alt).map((alt) => [...new Set(alt[scheme.name] ?? [])].sort());
    op.clientTokenScopes = alternatives.length > 0 ? alternatives : undefined;
    for (const alt of alternatives) for (const x of alt) scopes.add(x);
  }
  let issuer: ClientTokenSpec['issuer'];
  let exampleToken: string | undefined;
  for (const op of operations.filter((o) => o.role === 'create' && !o.isPublic && o.body?.json?.schema && o.success?.media.schema)) {
    const bodyProps = (resolveSchema(doc, op.body!.json!.schema).properties ?? {}) as Record<string, unknown>;
    const scopesProperty = Object.keys(bodyProps).find((name) => /scope/i.test(name) && typesOf(doc, bodyProps[name])?.has('array'));
    const successProps = (resolveSchema(doc, op.success!.media.schema).properties ?? {}) as Record<string, unknown>;
    const tokenProperty = Object.keys(successProps).find((name) => /token/i.test(name) && !/id$/i.test(name) && typesOf(doc, successProps[name])?.has('string'));
    if (!scopesProperty || !tokenProperty) continue;
    issuer = { op, scopesProperty, tokenProperty };
    const items = resolveSchema(doc, resolveSchema(doc, bodyProps[scopesProperty]).items ?? {});
    for (const v of Array.isArray(items.enum) ? (items.enum as unknown[]) : []) if (typeof v === 'string' && v !== '*' && !v.endsWith('.*')) scopes.add(v);
    exampleToken = op.success!.media.examples.map((e) => (e.value as Record<string, unknown> | null)?.[tokenProperty]).find((v): v is string => typeof v === 'string');
    break;
  }
  return { scheme: scheme.name, scopes: [...scopes].sort(), issuer, exampleToken };
}

/** Finds, in the 4xx response schemas, the array of field errors and its locating properties. */
function findFieldErrorKeys(doc: OpenApiDocument, operations: Operation[]): ConformanceSpec['fieldErrorKeys'] {
  for (const op of operations) {
    for (const r of op.responses.filter((x) => x.status.startsWith('4'))) {
      for (const media of r.content) {
        if (!media.schema) continue;
        const props = (resolveSchema(doc, media.schema).properties ?? {}) as Record<string, unknown>;
        for (const [name, s] of Object.entries(props)) {
          const items = resolveSchema(doc, s).items;
          if (!items) continue;
          const itemProps = Object.keys((resolveSchema(doc, items).properties as object) ?? {});
          const body = itemProps.find((p) => /pointer/i.test(p));
          const parameter = itemProps.find((p) => /param/i.test(p));
          const header = itemProps.find((p) => /header/i.test(p));
          if (body || parameter || header) return { arrayProperty: name, body, parameter, header };
        }
      }
    }
  }
  return undefined;
}

/** The `code` of the spec's 422 examples about an idempotency key (e.g. `idempotency_key_reused`). */
function findIdempotencyReusedCode(operations: Operation[]): string | undefined {
  for (const op of operations) {
    for (const r of op.responses.filter((x) => x.status === '422')) {
      for (const media of r.content) {
        for (const ex of media.examples) {
          const code = (ex.value as { code?: unknown } | null)?.code;
          if (typeof code === 'string' && /idempot/i.test(code)) return code;
        }
      }
    }
  }
  return undefined;
}

/** Finds the documented response for a status: exact code, then `4XX`-style range, then `default`. */
export function documentedResponse(op: Operation, status: number): ResponseSpec | undefined {
  const code = String(status);
  return op.responses.find((r) => r.status === code) ?? op.responses.find((r) => r.status === `${code[0]}XX`) ?? op.responses.find((r) => r.status === 'DEFAULT');
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** One reason a value does not match its schema. */
export interface SchemaIssue {
  /** JSON Pointer into the validated value. */
  instancePath: string;
  /** Where the failing keyword is in the spec, as a URI fragment (`#/components/schemas/X/required`). */
  schemaPath: string;
  keyword: string;
  message: string;
  /** The property a `required` or undocumented-property error is about. */
  property?: string;
}

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats: FormatsPlugin = (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

const SPEC_ID = 'https://conformance.tillpoint.test/spec.json';
const STRICT_ID = 'https://conformance.tillpoint.test/spec-strict.json';

/** Keywords under which a schema holds subschemas (for walking). */
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'dependentSchemas'] as const;
const SUBSCHEMA_ONE = ['items', 'additionalProperties', 'unevaluatedProperties', 'propertyNames', 'contains', 'not', 'if', 'then', 'else', 'unevaluatedItems'] as const;
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;

/** Calls `visit` on every schema node reachable from the schema positions of an OpenAPI document. */
function walkSchemas(doc: OpenApiDocument, visit: (schema: Record<string, unknown>, pointer: string, parentKeyword: string | undefined) => void): void {
  const seen = new Set<unknown>();
  const walk = (node: unknown, pointer: string, parentKeyword: string | undefined) => {
    if (!node || typeof node !== 'object' || Array.isArray(node) || seen.has(node)) return;
    seen.add(node);
    const s = node as Record<string, unknown>;
    visit(s, pointer, parentKeyword);
    for (const k of SUBSCHEMA_MAPS) {
      const m = s[k];
      if (m && typeof m === 'object') for (const [name, child] of Object.entries(m)) walk(child, `${pointer}/${k}${joinPointer(name)}`, k);
    }
    for (const k of SUBSCHEMA_ONE) walk(s[k], `${pointer}/${k}`, k);
    for (const k of SUBSCHEMA_LISTS) {
      const list = s[k];
      if (Array.isArray(list)) list.forEach((child, i) => walk(child, `${pointer}/${k}/${i}`, k));
    }
  };
  // Schema positions: component schemas, and every `schema` of parameters, headers and media types.
  const find = (node: unknown, pointer: string) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((child, i) => find(child, `${pointer}/${i}`));
    for (const [key, child] of Object.entries(node)) {
      const p = `${pointer}${joinPointer(key)}`;
      if (key === 'schema') walk(child, p, undefined);
      else if (key !== 'examples' && key !== 'example') find(child, p);
    }
  };
  for (const [name, schema] of Object.entries((doc.components?.schemas ?? {}) as Record<string, unknown>)) walk(schema, `/components/schemas${joinPointer(name)}`, undefined);
  find(doc.paths, '/paths');
  for (const key of ['parameters', 'headers', 'responses', 'requestBodies'] as const) find(doc.components?.[key], `/components/${key}`);
}

/**
 * A copy of the document in which every object schema that lists `properties` and says nothing
 * about other properties gets `unevaluatedProperties: false`, so that validating against it flags
 * undocumented properties. Schemas combined with `allOf` are left open (their siblings add
 * properties).
 */
function strictCopy(doc: OpenApiDocument): OpenApiDocument {
  const copy = structuredClone(doc);
  const inAllOf = new Set<string>();
  walkSchemas(copy, (s, _p, parentKeyword) => {
    if (parentKeyword === 'allOf' && typeof s.$ref === 'string') inAllOf.add(refToPointer(s.$ref));
  });
  walkSchemas(copy, (s, pointer, parentKeyword) => {
    if (parentKeyword === 'allOf' || inAllOf.has(pointer)) return;
    if (!s.properties || 'additionalProperties' in s || 'unevaluatedProperties' in s || 'patternProperties' in s || s.allOf) return;
    s.unevaluatedProperties = false;
  });
  return copy;
}

/**
 * Validates values against schemas of the document by JSON pointer, with ajv (2020-12, formats
 * in `full` mode). References resolve inside the bundle, so a schema is validated exactly as
 * written in the spec. Failures carry the spec location of the failing keyword.
 */
export class SpecValidator {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly locations = new Map<object, string>();

  /** @param doc the OpenAPI document; it is registered with ajv as-is (and a strict copy). */
  constructor(doc: OpenApiDocument) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, verbose: true, validateSchema: false, logger: false, allowUnionTypes: true });
    addFormats(this.ajv, { mode: 'full' });
    const strict = strictCopy(doc);
    this.ajv.addSchema({ ...doc, $id: SPEC_ID } as object);
    this.ajv.addSchema({ ...strict, $id: STRICT_ID } as object);
    for (const d of [doc, strict]) walkSchemas(d, (s, pointer) => this.locations.set(s, pointer));
  }

  private compile(id: string, pointer: string): ValidateFunction {
    const key = `${id}#${pointer}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      const fragment = pointerSegments(pointer)
        .map((s) => encodeURIComponent(escapeSegment(s)))
        .join('/');
      fn = this.ajv.compile({ $ref: `${id}#/${fragment}` });
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private issues(errors: ErrorObject[] | null | undefined): SchemaIssue[] {
    return (errors ?? []).map((e) => {
      const where = e.parentSchema ? this.locations.get(e.parentSchema) : undefined;
      const schemaPath = where !== undefined ? `#${where}/${e.keyword}` : e.schemaPath.replace(SPEC_ID, '').replace(STRICT_ID, '');
      let message = e.message ?? 'is invalid';
      if (e.keyword === 'unevaluatedProperties') message = `has undocumented property "${String((e.params as { unevaluatedProperty?: string }).unevaluatedProperty)}"`;
      if (e.keyword === 'additionalProperties') message = `has undocumented property "${String((e.params as { additionalProperty?: string }).additionalProperty)}"`;
      const p = e.params as { missingProperty?: string; additionalProperty?: string; unevaluatedProperty?: string };
      const property = p.missingProperty ?? p.additionalProperty ?? p.unevaluatedProperty;
      return { instancePath: e.instancePath, schemaPath, keyword: e.keyword, message, ...(property !== undefined ? { property } : {}) };
    });
  }

  /**
   * Validates `value` against the schema at `pointer` (e.g. `/components/schemas/Payment`).
   * With `strict`, a value that is valid but carries properties the schema does not declare
   * yields `unevaluatedProperties` issues.
   */
  validate(pointer: string, value: unknown, options: { strict?: boolean } = {}): SchemaIssue[] {
    const fn = this.compile(SPEC_ID, pointer);
    if (!fn(value)) return this.issues(fn.errors);
    if (!options.strict) return [];
    const strict = this.compile(STRICT_ID, pointer);
    return strict(value) ? [] : this.issues(strict.errors).filter((i) => i.keyword === 'unevaluatedProperties');
  }

  /** Whether `value` is valid against the schema at `pointer`. */
  isValid(pointer: string, value: unknown): boolean {
    return this.compile(SPEC_ID, pointer)(value) === true;
  }

  /** Whether `value` is valid against an inline schema that references nothing. */
  isValidInline(schema: object, value: unknown): boolean {
    const key = `inline:${JSON.stringify(schema)}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.compiled.set(key, fn);
    }
    return fn(value) === true;
  }
}

/** One line describing schema issues, for messages. */
export function describeIssues(issues: SchemaIssue[], max = 5): string {
  const shown = issues.slice(0, max).map((i) => `${i.instancePath || '(root)'} ${i.message} [${i.schemaPath}]`);
  if (issues.length > max) shown.push(`… ${issues.length - max} more`);
  return shown.join('; ');
}
