/**
 * Code samples of every operation, written from the contract alone (`npm run generate`): curl,
 * the typed TypeScript client (`client/`) and Python with `requests`, emitted as `x-codeSamples`
 * into the bundle Redoc renders, and the TypeScript ones also as functions in
 * `generated/code-samples.ts`, so `npm run typecheck` compiles every one against the client and
 * `test/docs/code-samples.test.ts` runs them (and the curl ones) against the reference server.
 *
 * What a sample sends comes from the operation: its path, its required query and header
 * parameters (their `example`) and the optional ones carrying `x-sample-variable`, its first
 * request-body example, its security. Values a reader
 * (or the test) must supply are **placeholders**, environment variables:
 *
 * - `TILLPOINT_BASE_URL`, and the credentials of the operation's security ({@link CREDENTIALS}
 *   for the schemes the generator knows; any other scheme is derived from its definition:
 *   `oauthClient` (OAuth 2 or HTTP bearer) → `Authorization: Bearer $OAUTH_CLIENT`);
 * - one per path parameter, named after it: `{paymentId}` → `PAYMENT_ID`;
 * - a body field whose schema is an identifier schema (`#/components/schemas/<Name>Id`):
 *   `quoteId: quo_…` → `QUOTE_ID`;
 *   and likewise a required query parameter (`?clientId=` whose schema is `ClientId` → `CLIENT_ID`);
 * - a body string that is a credential ({@link BODY_CREDENTIALS}: `sk_test_…` → `TILLPOINT_API_KEY`);
 * - a parameter, or a body property schema, carrying `x-sample-variable: NAME`: `NAME` (for a
 *   value only a running flow can give, e.g. an OAuth authorization code or a one-time code); an
 *   optional parameter so marked is sent too (e.g. the destination whose code a test reads back);
 * - `PAYER_TOKEN` in `X-Payer-Token` where the operation acts for a registered payer
 *   (`x-payer-scopes`), see {@link PAYER_TOKEN_HEADER};
 * - `IDEMPOTENCY_KEY` (curl) where the operation declares `Idempotency-Key` (the TypeScript
 *   client adds one itself, Python sends a fresh UUID);
 * - `TILLPOINT_CLIENT_ID` where it declares `X-Client-Id`.
 *
 * Anything the generator cannot express (a media type, a security scheme it has no credential
 * for, a required parameter without an example) fails generation with the operation's name.
 */
import { deref, type BundledSpec } from './emit.ts';

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** One entry of Redoc's `x-codeSamples`. */
export interface CodeSample {
  lang: 'Shell' | 'TypeScript' | 'Python';
  label: 'curl' | 'TypeScript' | 'Python';
  source: string;
}

/** How a sample authenticates with each security scheme of the contract. */
export const CREDENTIALS: Record<string, { header: string; prefix: string; variable: string }> = {
  apiKey: { header: 'x-api-key', prefix: '', variable: 'TILLPOINT_API_KEY' },
  bearerAuth: { header: 'Authorization', prefix: 'Bearer ', variable: 'TILLPOINT_API_KEY' },
  clientToken: { header: 'Authorization', prefix: 'Bearer ', variable: 'TILLPOINT_CLIENT_TOKEN' },
};

/**
 * The header carrying a registered payer's OAuth access token, next to the merchant's credential,
 * and the placeholder a sample reads it from. An operation acting for a payer declares the scopes
 * the token needs in `x-payer-scopes` and the header as an optional parameter (the server answers
 * its absence with `401` and a challenge rather than a validation error); its samples send it.
 */
export const PAYER_TOKEN_HEADER = 'X-Payer-Token';
export const PAYER_TOKEN_VARIABLE = 'PAYER_TOKEN';

/** One credential header of a sample. */
export interface Credential {
  header: string;
  prefix: string;
  variable: string;
}

/** Strings in request examples that are credentials, replaced by a placeholder. */
export const BODY_CREDENTIALS: { pattern: RegExp; variable: string }[] = [
  { pattern: /^sk_(test|live)_/, variable: 'TILLPOINT_API_KEY' },
  { pattern: /^ss_(test|live)_/, variable: 'TILLPOINT_API_SECRET' },
  { pattern: /^ct_(test|live)_/, variable: 'TILLPOINT_CLIENT_TOKEN' },
];

/** A placeholder in a request body: the value of an environment variable. */
class Placeholder {
  constructor(readonly variable: string) {}
}

/** `paymentId` → `PAYMENT_ID`. */
export function placeholderName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** The properties a (possibly composed) object schema may have, each with its raw schema. */
function propertiesOf(doc: BundledSpec, schema: unknown, depth = 0): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (depth > 10) return out;
  const s = deref(doc, schema);
  if (!s || typeof s !== 'object') return out;
  for (const [k, v] of Object.entries((s.properties as Json | undefined) ?? {})) out.set(k, v);
  for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
    for (const branch of (s[key] as unknown[] | undefined) ?? []) {
      for (const [k, v] of propertiesOf(doc, branch, depth + 1)) if (!out.has(k)) out.set(k, v);
    }
  }
  return out;
}

function itemsOf(doc: BundledSpec, schema: unknown): unknown {
  const s = deref(doc, schema);
  return s?.items;
}

/** The placeholder a value of `schema` becomes: `x-sample-variable`, else `<Name>Id` → `NAME_ID`. */
function schemaPlaceholder(doc: BundledSpec, schema: unknown): string | undefined {
  const raw = schema as Json | undefined;
  const declared = raw?.['x-sample-variable'] ?? deref(doc, raw)?.['x-sample-variable'];
  if (typeof declared === 'string') return declared;
  const ref = raw?.$ref;
  const idSchema = typeof ref === 'string' ? /^#\/components\/schemas\/([A-Za-z0-9]+Id)$/.exec(ref) : null;
  return idSchema ? placeholderName(idSchema[1]!) : undefined;
}

/** The example value with identifiers and credentials replaced by placeholders. */
function withPlaceholders(doc: BundledSpec, value: unknown, schema: unknown, variables: Set<string>): unknown {
  if (typeof value === 'string' || typeof value === 'number') {
    const credential = typeof value === 'string' ? BODY_CREDENTIALS.find((c) => c.pattern.test(value)) : undefined;
    const variable = credential?.variable ?? schemaPlaceholder(doc, schema);
    if (variable) {
      variables.add(variable);
      return new Placeholder(variable);
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => withPlaceholders(doc, v, itemsOf(doc, schema), variables));
  if (value && typeof value === 'object') {
    const props = propertiesOf(doc, schema);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlaceholders(doc, v, props.get(k), variables)]));
  }
  return value;
}

/** Everything the samples of one operation are written from. */
export interface SampleRequest {
  operationId: string;
  method: (typeof METHODS)[number];
  path: string;
  pathParams: string[];
  query: [string, string | Placeholder][];
  /** Header name → literal value or placeholder. */
  headers: [string, string | Placeholder][];
  /** Headers of the operation's security requirement (none: a public operation). */
  credentials: Credential[];
  idempotent: boolean;
  clientId: boolean;
  body: { mediaType: 'application/json' | 'application/x-www-form-urlencoded'; value: unknown } | undefined;
  /** The documented success status (lowest 2xx or 3xx). */
  status: number;
  /** The success response has a JSON body. */
  jsonResponse: boolean;
  /** Every placeholder the samples read, sorted. */
  variables: string[];
}

function firstExample(doc: BundledSpec, media: Json): unknown {
  if (media.example !== undefined) return media.example;
  const examples = media.examples as Json | undefined;
  const first = examples ? Object.values(examples)[0] : undefined;
  return first === undefined ? undefined : deref(doc, first).value;
}

/** Reads what the samples of one operation send. */
export function sampleRequest(doc: BundledSpec, path: string, method: (typeof METHODS)[number], item: Json, op: Json): SampleRequest {
  const id = String(op.operationId);
  const variables = new Set<string>(['TILLPOINT_BASE_URL']);
  const params = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])].map((p) => deref(doc, p));
  const pathParams = params.filter((p) => p.in === 'path').map((p) => String(p.name));
  for (const p of pathParams) variables.add(placeholderName(p));
  const exampleOf = (p: Json): unknown => p.example ?? deref(doc, p.schema)?.example ?? (p.examples ? deref(doc, Object.values(p.examples as Json)[0]).value : undefined);
  const query: [string, string | Placeholder][] = [];
  const headers: [string, string | Placeholder][] = [];
  let idempotent = false;
  let clientId = false;
  const actsForPayer = Array.isArray(op['x-payer-scopes']) && op['x-payer-scopes'].length > 0;
  let payerToken = false;
  for (const p of params) {
    const name = String(p.name);
    if (p.in === 'header' && name.toLowerCase() === 'idempotency-key') {
      idempotent = true;
      continue;
    }
    if (p.in === 'header' && name.toLowerCase() === 'x-client-id') {
      clientId = true;
      variables.add('TILLPOINT_CLIENT_ID');
      headers.push([name, new Placeholder('TILLPOINT_CLIENT_ID')]);
      continue;
    }
    if (p.in === 'header' && name.toLowerCase() === PAYER_TOKEN_HEADER.toLowerCase() && actsForPayer) {
      payerToken = true;
      variables.add(PAYER_TOKEN_VARIABLE);
      headers.push([name, new Placeholder(PAYER_TOKEN_VARIABLE)]);
      continue;
    }
    if (p.in !== 'query' && p.in !== 'header') continue;
    // An optional parameter is sent only when the contract marks the value the sample needs.
    if (!p.required && typeof p['x-sample-variable'] !== 'string') continue;
    const variable = typeof p['x-sample-variable'] === 'string' ? p['x-sample-variable'] : schemaPlaceholder(doc, p.schema);
    if (variable) {
      variables.add(variable);
      (p.in === 'query' ? query : headers).push([name, new Placeholder(variable)]);
      continue;
    }
    const example = exampleOf(p);
    if (example === undefined) throw new Error(`${id}: required ${p.in} parameter ${name} has no example for the code samples`);
    if (p.in === 'query') query.push([name, String(example)]);
    else headers.push([name, String(example)]);
  }
  if (idempotent) variables.add('IDEMPOTENCY_KEY');
  if (actsForPayer && !payerToken) throw new Error(`${id}: declares x-payer-scopes but no ${PAYER_TOKEN_HEADER} header parameter for the payer's token`);

  const security = (op.security as Record<string, string[]>[] | undefined) ?? doc.security ?? [];
  const credentials = credentialsOf(doc, id, security);
  for (const c of credentials) variables.add(c.variable);

  let body: SampleRequest['body'];
  const requestBody = op.requestBody ? deref(doc, op.requestBody) : undefined;
  if (requestBody) {
    const content = (requestBody.content as Json | undefined) ?? {};
    const mediaType = Object.keys(content)[0];
    if (mediaType !== 'application/json' && mediaType !== 'application/x-www-form-urlencoded') {
      throw new Error(`${id}: the code samples cannot send a ${mediaType} body: extend .ci/samples.ts`);
    }
    const media = deref(doc, content[mediaType]);
    const example = firstExample(doc, media);
    if (example === undefined && requestBody.required) throw new Error(`${id}: the request body has no example for the code samples`);
    if (example !== undefined) body = { mediaType, value: withPlaceholders(doc, example, media.schema, variables) };
  }

  const responses = Object.keys((op.responses as Json | undefined) ?? {});
  const success = responses.map(Number).filter((s) => s >= 200 && s < 400).sort((a, b) => a - b)[0];
  if (success === undefined) throw new Error(`${id}: documents no 2xx or 3xx response for the code samples to expect`);
  const successResponse = deref(doc, (op.responses as Json)[String(success)]);
  const jsonResponse = Object.keys((successResponse.content as Json | undefined) ?? {}).some((m) => m.includes('json'));

  return {
    operationId: id,
    method,
    path,
    pathParams,
    query,
    headers,
    credentials,
    idempotent,
    clientId,
    body,
    status: success,
    jsonResponse,
    variables: [...variables].sort(),
  };
}

/**
 * The credential headers of an operation: its first security requirement made only of schemes
 * in {@link CREDENTIALS} with one scheme, else its first requirement; an unknown scheme is
 * derived from its `securitySchemes` entry (an apiKey header, or a bearer token named after it).
 * @throws Error when a scheme is not defined or two schemes would send the same header.
 */
function credentialsOf(doc: BundledSpec, id: string, security: Record<string, string[]>[]): Credential[] {
  if (security.length === 0) return [];
  const requirement = security.find((r) => Object.keys(r).length === 1 && Object.keys(r).every((s) => CREDENTIALS[s])) ?? security[0]!;
  const schemes = (doc.components as { securitySchemes?: Record<string, Json> } | undefined)?.securitySchemes ?? {};
  const out: Credential[] = [];
  for (const name of Object.keys(requirement)) {
    let credential = CREDENTIALS[name];
    if (!credential) {
      const scheme = schemes[name];
      if (!scheme) throw new Error(`${id}: security scheme ${name} is not defined`);
      if (scheme.type === 'apiKey' && scheme.in === 'header') credential = { header: String(scheme.name), prefix: '', variable: placeholderName(name) };
      else if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') credential = { header: 'Authorization', prefix: 'Basic ', variable: placeholderName(`${name}Credentials`) };
      else if (scheme.type === 'http' || scheme.type === 'oauth2' || scheme.type === 'openIdConnect') credential = { header: 'Authorization', prefix: 'Bearer ', variable: placeholderName(name) };
      else throw new Error(`${id}: no sample credential for security scheme ${name} (${String(scheme.type)}): add it to CREDENTIALS in .ci/samples.ts`);
    }
    const header = credential.header;
    if (out.some((c) => c.header.toLowerCase() === header.toLowerCase())) {
      throw new Error(`${id}: its security requirement sends ${header} twice (${Object.keys(requirement).join(' + ')}): add an entry to CREDENTIALS in .ci/samples.ts`);
    }
    out.push(credential);
  }
  return out;
}

/** Every operation of `paths` with its sample request, in the contract's order. */
export function sampleRequests(doc: BundledSpec): SampleRequest[] {
  const out: SampleRequest[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = deref(doc, rawItem);
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (op) out.push(sampleRequest(doc, path, method, item, op));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// curl

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** JSON text of a body where placeholders are `"$VAR"` spliced out of the single quotes. */
function curlJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (v instanceof Placeholder) {
        marks.push(v.variable);
        return `\uE000${marks.length - 1}\uE001`;
      }
      return v;
    },
    2,
  );
  // Close the quote, splice in a double-quoted variable, reopen: '{"apiKey":"'"$TILLPOINT_API_KEY"'"}'
  return shellQuote(text.replace(/\n/g, '\n  ')).replace(/\uE000(\d+)\uE001/g, (_m, i: string) => `'"$${marks[Number(i)]}"'`);
}

function urlPath(r: SampleRequest, style: 'shell' | 'python'): string {
  let p = r.path;
  for (const name of r.pathParams) {
    const v = placeholderName(name);
    p = p.replace(`{${name}}`, style === 'shell' ? `$${v}` : `{os.environ['${v}']}`);
  }
  // A placeholder's value may hold reserved characters (an email's `@`): curl encodes it with
  // --url-query (curlSample), so only literal values are written into the URL here.
  const q = r.query
    .filter(([, v]) => !(v instanceof Placeholder))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`)
    .join('&');
  return q && style === 'shell' ? `${p}?${q}` : p;
}

/** The curl sample: one command, credentials and ids read from the shell's environment. */
export function curlSample(r: SampleRequest): string {
  const lines = [`curl -sS${r.method === 'get' ? '' : ` -X ${r.method.toUpperCase()}`} "$TILLPOINT_BASE_URL${urlPath(r, 'shell')}"`];
  // --url-query (curl 7.87 or later) percent-encodes the value of a query placeholder.
  for (const [k, v] of r.query) if (v instanceof Placeholder) lines.push(`--url-query "${encodeURIComponent(k)}=$${v.variable}"`);
  for (const c of r.credentials) lines.push(`-H "${c.header}: ${c.prefix}$${c.variable}"`);
  for (const [k, v] of r.headers) lines.push(v instanceof Placeholder ? `-H "${k}: $${v.variable}"` : `-H ${shellQuote(`${k}: ${v}`)}`);
  if (r.idempotent) lines.push(`-H "Idempotency-Key: $IDEMPOTENCY_KEY"`);
  if (r.body?.mediaType === 'application/json') {
    lines.push(`-H 'Content-Type: application/json'`);
    lines.push(`-d ${curlJson(r.body.value)}`);
  } else if (r.body) {
    for (const [k, v] of Object.entries(r.body.value as Json)) {
      lines.push(v instanceof Placeholder ? `--data-urlencode "${k}=$${v.variable}"` : `--data-urlencode ${shellQuote(`${k}=${String(v)}`)}`);
    }
  }
  return lines.join(' \\\n  ');
}

// ---------------------------------------------------------------------------------------------
// TypeScript

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A TypeScript expression of a JSON value, indented, placeholders as `process.env.X!`. */
function tsLiteral(value: unknown, indent: string, env: (v: string) => string): string {
  if (value instanceof Placeholder) return env(value.variable);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + tsLiteral(v, inner, env)).join(',\n')},\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${IDENT.test(k) ? k : JSON.stringify(k)}: ${tsLiteral(v, inner, env)}`).join(',\n')},\n${indent}}`;
  }
  return typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : JSON.stringify(value);
}

/** `createRefund` → `refund`, `listPayments` → `payments`, `advanceSandboxClock` → `sandboxClock`. */
function resultName(operationId: string): string {
  const rest = operationId.replace(/^(create|get|list|update|delete|revoke|rotate|expire|advance|redeliver|request|release|cancel|fund|open|confirm|retrieve)(?=[A-Z])/, '');
  const name = rest.charAt(0).toLowerCase() + rest.slice(1);
  return IDENT.test(name) && !['delete', 'new', 'function', 'default'].includes(name) ? name : 'result';
}

/**
 * The body of the TypeScript sample (after its imports): creates the client and calls the
 * operation. `env` writes a placeholder's expression.
 */
function typeScriptBody(r: SampleRequest, env: (v: string) => string): string[] {
  const lines: string[] = [];
  const client = clientKind(r);
  if (client === 'apiKey') lines.push(`const tillpoint = createTillpointClient({ baseUrl: ${env('TILLPOINT_BASE_URL')}, apiKey: ${env('TILLPOINT_API_KEY')} });`);
  else if (client === 'clientToken') lines.push(`const tillpoint = createTillpointClient({ baseUrl: ${env('TILLPOINT_BASE_URL')}, clientToken: ${env('TILLPOINT_CLIENT_TOKEN')} });`);
  else lines.push(`const tillpoint = createClient<paths>({ baseUrl: ${env('TILLPOINT_BASE_URL')} });`);
  // Credentials the Tillpoint client does not send itself go in the request's headers, and so
  // does the Idempotency-Key it would have added.
  const explicit: string[] = client === 'plain' ? r.credentials.map((c) => `'${c.header}': ${c.prefix ? `'${c.prefix}' + ` : ''}${env(c.variable)}`) : [];
  if (r.body?.mediaType === 'application/x-www-form-urlencoded') explicit.push(`'Content-Type': 'application/x-www-form-urlencoded'`);
  const headerParams = r.headers.map(([k, v]) => `'${k}': ${v instanceof Placeholder ? env(v.variable) : tsLiteral(v, '', env)}`);
  if (client === 'plain' && r.idempotent) headerParams.push(`'Idempotency-Key': crypto.randomUUID()`);
  const init: string[] = [];
  const params: string[] = [];
  if (r.pathParams.length > 0) params.push(`path: { ${r.pathParams.map((p) => `${p}: ${env(placeholderName(p))}`).join(', ')} }`);
  if (r.query.length > 0) params.push(`query: { ${r.query.map(([k, v]) => `${IDENT.test(k) ? k : JSON.stringify(k)}: ${tsLiteral(v, '', env)}`).join(', ')} }`);
  if (headerParams.length > 0) params.push(`header: { ${headerParams.join(', ')} }`);
  if (params.length > 0) init.push(`params: { ${params.join(', ')} }`);
  if (r.body) init.push(`body: ${tsLiteral(r.body.value, '    ', env)}`);
  if (r.body?.mediaType === 'application/x-www-form-urlencoded') init.push(`bodySerializer: (body) => new URLSearchParams(body as Record<string, string>)`);
  if (explicit.length > 0) init.push(`headers: { ${explicit.join(', ')} }`);
  if (!r.jsonResponse && r.status < 300) init.push(`parseAs: 'text'`);
  if (r.status >= 300) init.push(`redirect: 'manual'`);
  const call = `tillpoint.${r.method.toUpperCase()}('${r.path}'${init.length ? `, {\n${init.map((l) => `    ${l},`).join('\n')}\n  }` : ''})`;
  if (r.status >= 300) {
    lines.push(`const { response } = await ${call.replace(/\n/g, '\n')};`);
    lines.push(`console.log(response.status, response.headers.get('location'));`);
    return lines;
  }
  const name = resultName(r.operationId);
  lines.push(`const ${name} = unwrap(\n  await ${call},\n);`);
  lines.push(`console.log(${name});`);
  return lines;
}

/**
 * Which client a TypeScript sample uses: the Tillpoint client with the secret API key or a client
 * token when that is the operation's one credential, else plain openapi-fetch typed with the
 * contract (public operations, and credentials sent as explicit headers).
 */
function clientKind(r: SampleRequest): 'apiKey' | 'clientToken' | 'plain' {
  const only = r.credentials.length === 1 ? r.credentials[0]!.variable : undefined;
  return only === 'TILLPOINT_API_KEY' ? 'apiKey' : only === 'TILLPOINT_CLIENT_TOKEN' ? 'clientToken' : 'plain';
}

const tsImports = (r: SampleRequest, from: string) =>
  clientKind(r) !== 'plain'
    ? [`import { createTillpointClient, unwrap } from '${from}';`]
    : [`import createClient from 'openapi-fetch';`, `import { unwrap, type paths } from '${from}';`];

/** The TypeScript sample as the docs show it (imports from `./client/index.ts`). */
export function typeScriptSample(r: SampleRequest): string {
  return [...tsImports(r, './client/index.ts'), '', ...typeScriptBody(r, (v) => `process.env.${v}!`)].join('\n');
}

/**
 * `generated/code-samples.ts`: each operation's TypeScript sample as an async function, so that
 * the typecheck compiles it against the client and the docs test runs it.
 */
export function emitTypeScriptSamples(requests: SampleRequest[], header: string): string {
  const fns = requests.map((r) => {
    const body = typeScriptBody(r, (v) => `env.${v}!`)
      .map((l) => l.replace(/^console\.log\((.*)\);$/, 'return $1;').replace(/^console\.log\((response\.status), .*\);$/, 'return $1;'))
      .map((l) => `    ${l.replace(/\n/g, '\n    ')}`);
    return `  /** \`${r.method.toUpperCase()} ${r.path}\`: reads ${r.variables.map((v) => `\`${v}\``).join(', ')}. */\n  ${r.operationId}: async (env: SampleEnv) => {\n${body.join('\n')}\n  },`;
  });
  const variables = [...new Set(requests.flatMap((r) => r.variables))].sort();
  return `${header}
import createClient from 'openapi-fetch';
import { createTillpointClient, unwrap, type paths } from '../client/index.ts';

/** The placeholders of the code samples (environment variables in the docs). */
export type SampleEnv = Partial<Record<${variables.map((v) => JSON.stringify(v)).join(' | ')}, string>>;

/**
 * The TypeScript code sample of every operation (as in \`x-codeSamples\`), with
 * \`process.env\` replaced by \`env\`; each resolves with what the sample prints.
 */
export const TYPESCRIPT_SAMPLES = {
${fns.join('\n')}
} as const satisfies Record<string, (env: SampleEnv) => Promise<unknown>>;

/** Placeholders each sample reads, and the status it expects (the documented success). */
export const SAMPLE_REQUESTS = {
${requests.map((r) => `  ${r.operationId}: { status: ${r.status}, variables: ${JSON.stringify(r.variables)} },`).join('\n')}
} as const;
`;
}

// ---------------------------------------------------------------------------------------------
// Python

function pyLiteral(value: unknown, indent: string): string {
  if (value instanceof Placeholder) return `os.environ["${value.variable}"]`;
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const inner = indent + '    ';
    return `[\n${value.map((v) => inner + pyLiteral(v, inner)).join(',\n')},\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Json);
    if (entries.length === 0) return '{}';
    const inner = indent + '    ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pyLiteral(v, inner)}`).join(',\n')},\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The Python sample, with `requests`. */
export function pythonSample(r: SampleRequest): string {
  const headers: string[] = [];
  for (const c of r.credentials) headers.push(`"${c.header}": ${c.prefix ? `"${c.prefix}" + ` : ''}os.environ["${c.variable}"]`);
  for (const [k, v] of r.headers) headers.push(`${JSON.stringify(k)}: ${v instanceof Placeholder ? `os.environ["${v.variable}"]` : JSON.stringify(v)}`);
  if (r.idempotent) headers.push(`"Idempotency-Key": str(uuid.uuid4())`);
  const args = [`    f"{os.environ['TILLPOINT_BASE_URL']}${urlPath(r, 'python')}"`];
  if (r.query.length) args.push(`    params={${r.query.map(([k, v]) => `${JSON.stringify(k)}: ${v instanceof Placeholder ? `os.environ["${v.variable}"]` : JSON.stringify(v)}`).join(', ')}}`);
  if (headers.length) args.push(`    headers={${headers.join(', ')}}`);
  if (r.body) args.push(`    ${r.body.mediaType === 'application/json' ? 'json' : 'data'}=${pyLiteral(r.body.value, '    ')}`);
  if (r.status >= 300) args.push('    allow_redirects=False');
  args.push('    timeout=30');
  const lines = ['import os', ...(r.idempotent ? ['import uuid'] : []), '', 'import requests', '', `response = requests.${r.method}(`, args.map((a) => `${a},`).join('\n'), ')'];
  if (r.status >= 300) lines.push(`print(response.status_code, response.headers.get("location"))`);
  else {
    lines.push('response.raise_for_status()');
    lines.push(r.jsonResponse ? 'print(response.json())' : 'print(response.text)');
  }
  return lines.join('\n');
}

/** The three samples of one operation, in the order Redoc shows them. */
export function codeSamples(r: SampleRequest): CodeSample[] {
  return [
    { lang: 'Shell', label: 'curl', source: curlSample(r) },
    { lang: 'TypeScript', label: 'TypeScript', source: typeScriptSample(r) },
    { lang: 'Python', label: 'Python', source: pythonSample(r) },
  ];
}
