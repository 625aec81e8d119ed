/**
 * Test fixture for the scope checks, until the contract and the reference server have client
 * tokens (issue 9): the bundled spec with a `clientToken` scheme added the way that work declares
 * it (scopes on a few operations, `403` documented with `requiredScopes`, `createApplication` and
 * `createClientToken`), and a node:http proxy in front of the reference server that enforces it:
 * applications and tokens live in the proxy, a request with a client token is checked against
 * the operation's scopes and forwarded with the owning merchant's API key. Faults can be switched
 * on to show the checks catch them.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_SPEC_PATH } from './spec.ts';

/** The scopes the fixture gives operations (the others do not accept client tokens). */
export const FIXTURE_SCOPES: Record<string, string[]> = {
  createPayment: ['payments.create'],
  listPayments: ['payments.read'],
  getPayment: ['payments.read'],
  getBalance: ['payments.read'],
  createRefund: ['refunds.create'],
  listEvents: ['events.read'],
  getEvent: ['events.read'],
  createCheckoutSession: ['checkout_sessions.create'],
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const universal = {
  'X-Request-Id': { $ref: '#/components/headers/RequestId' },
  'X-RateLimit-Limit': { $ref: '#/components/headers/RateLimitLimit' },
  'X-RateLimit-Remaining': { $ref: '#/components/headers/RateLimitRemaining' },
  'X-RateLimit-Reset': { $ref: '#/components/headers/RateLimitReset' },
};

/**
 * The bundled spec with client tokens: a `clientToken` bearer scheme listed with
 * {@link FIXTURE_SCOPES} as an alternative, `403 Forbidden` on every secured operation, the
 * `requiredScopes` problem member, and (unless `issuer: false`) the applications operations.
 */
export function clientTokenSpec(options: { issuer?: boolean } = {}): Doc {
  const doc = parse(readFileSync(DEFAULT_SPEC_PATH, 'utf8')) as Doc;
  const c = doc.components;
  c.securitySchemes.clientToken = { type: 'http', scheme: 'bearer', bearerFormat: 'ct_test_…', description: 'A client token of an application, with its scopes.' };
  c.schemas.Problem.properties.requiredScopes = { type: 'array', description: 'On a 403 insufficient_scope, the scopes the operation needs.', items: { type: 'string' } };
  c.responses.Forbidden = {
    description: 'The credential is valid but may not call this operation (a client token without the scope, or on key management).',
    headers: { ...universal, 'WWW-Authenticate': { $ref: '#/components/headers/WWWAuthenticate' } },
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  };
  for (const item of Object.values(doc.paths as Record<string, Doc>)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op || (Array.isArray(op.security) && op.security.length === 0)) continue;
      const scopes = FIXTURE_SCOPES[op.operationId as string];
      if (scopes) op.security = [{ apiKey: [] }, { bearerAuth: [] }, { clientToken: scopes }];
      op.responses['403'] = { $ref: '#/components/responses/Forbidden' };
    }
  }
  if (options.issuer === false) return doc;
  const id = (prefix: string) => ({ type: 'string', pattern: `^${prefix}_[A-Za-z0-9]{24}$`, example: `${prefix}_${'A1b2C3d4E5f6G7h8I9j0K1l2'}` });
  c.schemas.Application = {
    type: 'object',
    required: ['id', 'clientId', 'name', 'createdAt'],
    properties: { id: id('app'), clientId: { type: 'string' }, name: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' } },
  };
  c.schemas.ClientToken = {
    type: 'object',
    required: ['id', 'token', 'scopes', 'label', 'createdAt'],
    properties: {
      id: id('ctk'),
      token: { type: 'string', pattern: '^ct_(test|live)_[A-Za-z0-9]{32}$' },
      label: { type: 'string' },
      scopes: { type: 'array', items: { type: 'string' } },
      applicationId: { type: 'string' },
      createdAt: { type: 'string', format: 'date-time' },
    },
  };
  const errors = {
    '400': { $ref: '#/components/responses/BadRequest' },
    '401': { $ref: '#/components/responses/Unauthorized' },
    '403': { $ref: '#/components/responses/Forbidden' },
    '429': { $ref: '#/components/responses/TooManyRequests' },
    '500': { $ref: '#/components/responses/InternalError' },
  };
  const json = (schema: string, example: unknown) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, example } });
  doc.paths['/v1/applications'] = {
    post: {
      operationId: 'createApplication',
      tags: ['applications'],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } }, example: { name: 'POS terminals' } } },
      },
      responses: {
        '201': { description: 'The application.', headers: universal, content: json('Application', { id: 'app_A1b2C3d4E5f6G7h8I9j0K1l2', clientId: 'cli_1', name: 'POS terminals', createdAt: '2026-11-21T10:15:30.000Z' }) },
        ...errors,
      },
    },
  };
  doc.paths['/v1/applications/{applicationId}/tokens'] = {
    post: {
      operationId: 'createClientToken',
      tags: ['applications'],
      parameters: [{ name: 'applicationId', in: 'path', required: true, schema: { type: 'string', pattern: '^app_[A-Za-z0-9]{24}$' } }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['label', 'scopes'],
              additionalProperties: false,
              properties: { label: { type: 'string', minLength: 1 }, scopes: { type: 'array', minItems: 1, items: { type: 'string' } } },
            },
            example: { label: 'till 1', scopes: ['payments.create'] },
          },
        },
      },
      responses: {
        '201': {
          description: 'The token, shown once.',
          headers: universal,
          content: json('ClientToken', { id: 'ctk_A1b2C3d4E5f6G7h8I9j0K1l2', token: 'ct_test_Q8nP2vX5kL9mR3tW7yB1cD4fG6hJ0sZa', label: 'till 1', scopes: ['payments.create'], createdAt: '2026-11-21T10:15:30.000Z' }),
        },
        '404': { $ref: '#/components/responses/NotFound' },
        ...errors,
      },
    },
  };
  return doc;
}

/** Writes a spec to a temporary file (JSON is YAML) and returns its path. */
export function writeSpec(doc: Doc, name: string): string {
  const path = join(tmpdir(), `tillpoint-${name}-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

/** Faults the proxy can inject. */
export interface ScopeFaults {
  /** createPayment: the 403 for a token lacking the scope lists no `requiredScopes` and no `scope=`. */
  noRequiredScopes?: boolean;
  /** getPayment: a token with the scope is refused with 403 anyway. */
  refuseGranted?: boolean;
  /** listWebhookEndpoints (does not list clientToken): a client token is let through. */
  acceptRefused?: boolean;
  /** getBalance: an unknown client token gets a 401 without `error="invalid_token"`. */
  noInvalidToken?: boolean;
  /** Not a fault: createClientToken refuses (400) tokens with more scopes than this… */
  maxScopes?: number;
  /** …and tokens with these scopes. */
  unissuableScopes?: string[];
}

/** The running proxy. */
export interface ScopeProxy {
  url: string;
  faults: ScopeFaults;
  /** Client tokens issued, by value. */
  tokens: Map<string, { scopes: string[]; forward: Record<string, string> }>;
  close(): Promise<void>;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const random = (n: number) => [...randomBytes(n)].map((b) => BASE62[b % 62]).join('');

/** Starts the enforcing proxy in front of `upstream`, routing by the operations of `doc`. */
export async function startScopeProxy(upstream: string, doc: Doc, faults: ScopeFaults = {}): Promise<ScopeProxy> {
  const routes: { opId: string; method: string; re: RegExp; scopes: string[][] | undefined; isPublic: boolean }[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Doc>)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const security = (op.security ?? doc.security) as Record<string, string[]>[];
      const listing = security.filter((alt) => 'clientToken' in alt).map((alt) => alt.clientToken!);
      routes.push({
        opId: op.operationId,
        method: method.toUpperCase(),
        re: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        scopes: listing.length > 0 ? listing : undefined,
        isPublic: security.length === 0,
      });
    }
  }
  const apps = new Map<string, string>(); // application id → owner credential
  const tokens: ScopeProxy['tokens'] = new Map();

  const headers = (extra: Record<string, string> = {}) => ({
    'x-request-id': `req_${random(16)}`,
    'x-ratelimit-limit': '1000000',
    'x-ratelimit-remaining': '999999',
    'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60),
    ...extra,
  });
  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}, type = 'application/json') => {
    const h = headers({ 'content-type': type, ...extra });
    res.writeHead(status, h);
    res.end(JSON.stringify(status >= 400 ? { ...(body as object), requestId: h['x-request-id'] } : body));
  };
  const problem = (res: ServerResponse, status: number, code: string, extra: Record<string, unknown> = {}, h: Record<string, string> = {}) =>
    send(res, status, { type: `https://docs.tillpoint.dev/problems/${code}`, title: code.replace(/_/g, ' '), status, code, ...extra }, h, 'application/problem+json');
  const invalid = (res: ServerResponse, challenge = 'Bearer realm="tillpoint", error="invalid_token"') =>
    problem(res, 401, 'unauthenticated', { detail: 'Unknown, expired or revoked credential.' }, { 'www-authenticate': challenge });
  const refused = (res: ServerResponse) =>
    problem(res, 403, 'insufficient_scope', { detail: 'Client tokens cannot call this operation.' }, { 'www-authenticate': 'Bearer realm="tillpoint", error="insufficient_scope"' });

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer, replace?: Record<string, string>): Promise<void> {
    const h = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<string, string>;
    if (replace) {
      delete h.authorization;
      Object.assign(h, replace);
    }
    const answer = await fetch(`${upstream}${req.url}`, { method: req.method, headers: h, body: body.length > 0 ? new Uint8Array(body) : undefined });
    const text = await answer.text();
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) res.setHeader(name, value);
    });
    res.writeHead(answer.status);
    res.end(text);
  }

  /** The merchant credential of a request to an applications operation, checked upstream; `undefined` when answered. */
  async function merchantOf(req: IncomingMessage, res: ServerResponse): Promise<Record<string, string> | undefined> {
    const cred: Record<string, string> = {};
    if (typeof req.headers['x-api-key'] === 'string') cred['x-api-key'] = req.headers['x-api-key'];
    else if (typeof req.headers.authorization === 'string') cred.authorization = req.headers.authorization;
    const check = await fetch(`${upstream}/v1/balance`, { headers: cred });
    if (check.status === 200) return cred;
    const text = await check.text();
    check.headers.forEach((value, name) => {
      if (!['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name)) res.setHeader(name, value);
    });
    res.writeHead(check.status);
    res.end(text);
    return undefined;
  }

  async function applications(req: IncomingMessage, res: ServerResponse, opId: string, path: string, raw: Buffer): Promise<void> {
    const cred = await merchantOf(req, res);
    if (!cred) return;
    const owner = JSON.stringify(cred);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
    } catch {
      return problem(res, 400, 'malformed_json', { detail: 'The body is not a JSON object.' });
    }
    const bad = (pointer: string) => problem(res, 400, 'invalid_request', { detail: 'Invalid body.', errors: [{ pointer, detail: 'is invalid' }] });
    if (opId === 'createApplication') {
      if (typeof body.name !== 'string' || body.name.length === 0) return bad('/name');
      const id = `app_${random(24)}`;
      apps.set(id, owner);
      return send(res, 201, { id, clientId: random(32), name: body.name, createdAt: new Date().toISOString() });
    }
    const applicationId = path.split('/')[3]!;
    if (apps.get(applicationId) !== owner) return problem(res, 404, 'not_found', { detail: 'No such application.' });
    if (typeof body.label !== 'string' || body.label.length === 0) return bad('/label');
    if (!Array.isArray(body.scopes) || body.scopes.length === 0 || !body.scopes.every((s) => typeof s === 'string')) return bad('/scopes');
    if (body.scopes.length > (faults.maxScopes ?? Infinity) || body.scopes.some((s) => faults.unissuableScopes?.includes(s as string))) return bad('/scopes');
    const token = `ct_test_${random(32)}`;
    tokens.set(token, { scopes: body.scopes as string[], forward: cred });
    return send(res, 201, { id: `ctk_${random(24)}`, token, label: body.label, scopes: body.scopes, applicationId, createdAt: new Date().toISOString() });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = routes.find((r) => r.method === req.method && r.re.test(path));
    const auth = req.headers.authorization;
    const presented = auth?.startsWith('Bearer ct_') ? auth.slice('Bearer '.length) : undefined;
    if (presented !== undefined && route && !route.isPublic) {
      const token = tokens.get(presented);
      if (!token) return invalid(res, faults.noInvalidToken && route.opId === 'getBalance' ? 'Bearer realm="tillpoint"' : undefined);
      if (!route.scopes) {
        if (faults.acceptRefused && route.opId === 'listWebhookEndpoints') return forward(req, res, body, token.forward);
        return refused(res);
      }
      const granted = route.scopes.some((alt) => alt.every((s) => token.scopes.includes(s)));
      if (granted && !(faults.refuseGranted && route.opId === 'getPayment')) return forward(req, res, body, token.forward);
      const needed = route.scopes[0]!;
      if (faults.noRequiredScopes && route.opId === 'createPayment') {
        return problem(res, 403, 'insufficient_scope', { detail: 'Missing scope.' }, { 'www-authenticate': 'Bearer realm="tillpoint", error="insufficient_scope"' });
      }
      return problem(
        res,
        403,
        'insufficient_scope',
        { detail: `This token lacks ${needed.join(', ')}.`, requiredScopes: needed },
        { 'www-authenticate': `Bearer realm="tillpoint", error="insufficient_scope", scope="${needed.join(' ')}"` },
      );
    }
    if (route && (route.opId === 'createApplication' || route.opId === 'createClientToken')) return applications(req, res, route.opId, path, body);
    return forward(req, res, body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(502);
      res.end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    faults,
    tokens,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
