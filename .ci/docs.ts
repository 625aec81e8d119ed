/**
 * The parts of `generated/` that serve integrators reading or importing the docs, all written
 * from the bundled contract:
 *
 * - navigation: the tags' `x-displayName` and the root `x-tagGroups`, from `openapi/navigation.yaml`;
 * - the overview's Errors table, from the `ProblemCode` schema (`x-problem-codes` and its description);
 * - `generated/llms.txt`, an index of the docs for language models (https://llmstxt.org);
 * - `generated/postman-collection.json`, converted with Postman's own `openapi-to-postmanv2`.
 *
 * Each function throws an `Error` naming what in the contract is inconsistent.
 */
import { createHash } from 'node:crypto';
import Converter from 'openapi-to-postmanv2';
import type { BundledSpec } from './emit.ts';

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** `openapi/navigation.yaml`: groups of tags, each tag with its display name. */
export interface Navigation {
  groups: { name: string; tags: Record<string, string> }[];
}

/** Tag names of the contract: its `tags` and those its operations and webhooks use. */
function contractTags(doc: BundledSpec & { tags?: { name: string }[]; webhooks?: Record<string, Json> }): string[] {
  const names = new Set((doc.tags ?? []).map((t) => t.name));
  for (const items of [doc.paths ?? {}, doc.webhooks ?? {}]) {
    for (const item of Object.values(items)) {
      for (const method of METHODS) for (const tag of (((item as Json)[method] as Json | undefined)?.tags as string[] | undefined) ?? []) names.add(tag);
    }
  }
  return [...names];
}

/**
 * The display name of each present tag and the tag groups without absent tags (a group left
 * empty is dropped).
 * @throws Error when a tag of the contract is in no group of the navigation.
 */
export function navigationFor(doc: BundledSpec, navigation: Navigation): { displayNames: Map<string, string>; tagGroups: { name: string; tags: string[] }[] } {
  const present = contractTags(doc as never);
  const listed = new Map(navigation.groups.flatMap((g) => Object.entries(g.tags)));
  const missing = present.filter((t) => !listed.has(t));
  if (missing.length > 0) {
    throw new Error(`openapi/navigation.yaml: tag(s) ${missing.join(', ')} in no group (Redoc would hide them): add each under a group with its display name`);
  }
  const tagGroups = navigation.groups.map((g) => ({ name: g.name, tags: Object.keys(g.tags).filter((t) => present.includes(t)) })).filter((g) => g.tags.length > 0);
  return { displayNames: new Map([...listed].filter(([t]) => present.includes(t))), tagGroups };
}

/** Marker line in the overview replaced by {@link errorsTable}. */
export const ERRORS_MARKER = /^( *)<!-- x-problem-codes:.*-->$/m;

/**
 * The Markdown table of every problem `code`: status, title (`x-problem-codes`) and meaning (the
 * row of the `ProblemCode` description table).
 */
export function errorsTable(doc: BundledSpec): string[] {
  const schema = doc.components?.schemas?.ProblemCode;
  if (!schema) throw new Error('components.schemas.ProblemCode is missing from the bundle');
  const table = schema['x-problem-codes'] as Record<string, { status: number; title: string }>;
  const description = String(schema.description ?? '');
  const rows = (schema.enum as string[]).map((code) => {
    const { status, title } = table[code]!;
    const row = new RegExp(`^\\| \`${code}\` \\| ${status} \\| (.*) \\|$`, 'm').exec(description);
    if (!row) throw new Error(`ProblemCode ${code}: the description table must list it with status ${status} and its meaning`);
    return { code, status, title, meaning: row[1]! };
  });
  rows.sort((a, b) => a.status - b.status);
  return ['| status | `code` | title | meaning |', '|---|---|---|---|', ...rows.map((r) => `| ${r.status} | \`${r.code}\` | ${r.title} | ${r.meaning} |`)];
}

const firstSentence = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(flat);
  return (m ? m[1]! : flat).slice(0, 300);
};

/**
 * `generated/llms.txt`: the title, the summary, links to the full docs, the bundle and the
 * Postman collection, then every operation by tag group, each linking to its section of `/docs`.
 */
export function emitLlmsTxt(doc: BundledSpec & { info?: Json; tags?: { name: string; description?: string }[] }, navigation: Navigation): string {
  const { displayNames, tagGroups } = navigationFor(doc, navigation);
  const info = doc.info ?? {};
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Json)[method] as Json | undefined;
      if (!op) continue;
      const tag = (op.tags as string[])[0]!;
      const line = `- [${String(op.summary ?? op.operationId)}](/docs#/${tag}/${String(op.operationId).toLowerCase()}): \`${method.toUpperCase()} ${path}\` (\`${String(op.operationId)}\`). ${firstSentence(String(op.description ?? ''))}`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), line]);
    }
  }
  const out = [
    `# ${String(info.title ?? 'API')}`,
    '',
    `> ${String(info.summary ?? '')}`,
    '',
    'Amounts are integers in the currency’s minor unit; errors are RFC 9457 problem details with a stable `code`; every POST that creates something or moves money takes an `Idempotency-Key`. Authenticate with `x-api-key: sk_test_…` (a sandbox merchant: `POST /v1/sandbox/merchants`, no credential needed).',
    '',
    '## Docs',
    '',
    '- [API reference](/docs): every operation with curl, TypeScript and Python samples',
    '- [OpenAPI 3.1 contract](/openapi.yaml): the single source of truth, bundled',
    '- [Postman collection](generated/postman-collection.json): import into Postman; set `baseUrl` and `apiKey`',
    '',
  ];
  for (const group of tagGroups) {
    out.push(`## ${group.name}`, '');
    for (const tag of group.tags) {
      const ops = byTag.get(tag);
      if (!ops) continue;
      out.push(`### ${displayNames.get(tag)} (\`${tag}\`)`, '', ...ops, '');
    }
  }
  return out.join('\n');
}

/** A UUID-shaped, stable identifier of `seed` (Postman wants ids; random ones would drift). */
const stableId = (seed: string) => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/**
 * `generated/postman-collection.json`: the bundle converted by `openapi-to-postmanv2` (one folder
 * per tag), with collection variables `baseUrl` and `apiKey` (sent as `x-api-key`; public
 * operations send no credential), a fresh
 * `{{$guid}}` as every `Idempotency-Key`, and stable ids so the file is reproducible.
 */
export async function emitPostmanCollection(doc: BundledSpec, bundleText: string): Promise<string> {
  const publicOperations = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Json)[method] as Json | undefined;
      if (op && Array.isArray(op.security) && op.security.length === 0) publicOperations.add(`${method} ${path}`);
    }
  }
  const converted = await new Promise<Json>((resolve, reject) => {
    Converter.convert(
      { type: 'string', data: bundleText },
      { folderStrategy: 'Tags', requestParametersResolution: 'Example', exampleParametersResolution: 'Example', parametersResolution: 'Example' },
      (err: Error | null, result: { result: boolean; reason?: string; output?: { data: Json }[] }) => {
        if (err) reject(err);
        else if (!result.result || !result.output?.[0]) reject(new Error(`openapi-to-postmanv2: ${result.reason ?? 'no output'}`));
        else resolve(JSON.parse(JSON.stringify(result.output[0].data)) as Json);
      },
    );
  });
  // Ids seeded by the names and requests on the way down, so adding an operation changes no other id.
  const used = new Set<string>();
  const walk = (node: unknown, seed: string): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, seed);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    const request = n.request as Json | undefined;
    const own = `${seed}/${String(n.name ?? n.key ?? '')}/${JSON.stringify(request?.method ?? '')}${JSON.stringify((request?.url as Json | undefined)?.path ?? '')}${JSON.stringify((n.code as unknown) ?? '')}`;
    if (typeof n.id === 'string') {
      let id = stableId(own);
      for (let i = 2; used.has(id); i++) id = stableId(`${own}#${i}`);
      used.add(id);
      n.id = id;
    }
    if (n.key === 'Idempotency-Key' && typeof n.value === 'string') n.value = '{{$guid}}';
    // Public operations (`security: []`) send no credential; every other request inherits the
    // collection's API key (the converter leaves some null, which Postman reads as "inherit").
    if (request && typeof request.method === 'string') {
      const url = request.url as { path?: string[] } | undefined;
      const path = `/${(url?.path ?? []).map((s) => s.replace(/^:(.+)$/, '{$1}')).join('/')}`;
      request.auth = publicOperations.has(`${request.method.toLowerCase()} ${path}`) ? { type: 'noauth' } : null;
    }
    for (const [k, v] of Object.entries(n)) walk(v, `${own}/${k}`);
  };
  walk(converted, '');
  const info = converted.info as Json;
  info._postman_id = stableId('tillpoint-collection');
  const variables = ((converted.variable as Json[] | undefined) ?? []).filter((v) => v.key !== 'apiKey');
  converted.variable = [
    ...variables.map((v) => (v.key === 'baseUrl' ? { ...v, description: 'Root URL of the API, without /v1 (the reference server: http://localhost:3000)' } : v)),
    { key: 'apiKey', value: 'sk_test_replace_me', type: 'string', description: 'Your secret API key (sk_test_… in the sandbox), sent as x-api-key' },
  ];
  return `${JSON.stringify(converted, null, 2)}\n`;
}
