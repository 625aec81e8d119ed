/**
 * The X-Client-Id rule in isolation. No operation of the contract references the shared
 * `openapi/parameters/XClientId.yaml` yet (escrows and disbursements will), so the rule is tested
 * here on a fake operation entry: the generator's `requiresClientId` (emitOperations on a small
 * document), the pure rule (`clientIdRefusal`) and the `authorize` middleware on a bare Express
 * app with a fake route table. In the server, `authorize` is mounted before
 * express-openapi-validator (server/app.ts), so `400 missing_client_id` wins over the validator's
 * generic 400 for the missing required header. Existing operations keep working without the
 * header: every other test sends none.
 */
import { readFileSync } from 'node:fs';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { emitOperations, type BundledSpec } from '../../.ci/emit.ts';
import { OPERATIONS } from '../../generated/operations.ts';
import { authorize, clientIdRefusal, type OperationAccess } from '../../server/auth/authorize.ts';
import type { AuthContext } from '../../server/auth/context.ts';
import type { AppDeps } from '../../server/deps.ts';

const CLIENT_A = 'a'.repeat(32);
const CLIENT_B = 'b'.repeat(32);
const APPS: Record<string, string> = { [CLIENT_A]: 'app_A', [CLIENT_B]: 'app_B' };
const lookup = async (clientId: string) => APPS[clientId];

const keyAuth: AuthContext = { merchantId: 'mer_1', merchantName: 'M', via: 'api_key', credentialId: 'key_1', apiKeyId: 'key_1', applicationId: null, scopes: ['*'] };
const tokenAuth: AuthContext = { ...keyAuth, via: 'client_token', credentialId: 'ctk_1', apiKeyId: null, applicationId: 'app_A', scopes: ['*'] };
const requiring: OperationAccess = { public: false, scopes: ['payments.create'], requiresClientId: true };

describe('the generator', () => {
  it('marks operations referencing the X-Client-Id header with requiresClientId: true, others false', () => {
    const header = parse(readFileSync('openapi/parameters/XClientId.yaml', 'utf8')) as { name: string; in: string; required: boolean };
    expect(header).toMatchObject({ name: 'X-Client-Id', in: 'header', required: true });
    const responses = { '200': { description: 'ok' } };
    const doc: BundledSpec = {
      components: { schemas: { Scope: { enum: ['*', 'payments.create'] } }, parameters: { XClientId: header } },
      paths: {
        '/v1/escrows': {
          post: { operationId: 'createEscrow', tags: ['escrows'], parameters: [{ $ref: '#/components/parameters/XClientId' }], security: [{ apiKey: [] }, { clientToken: ['payments.create'] }], responses },
          get: { operationId: 'listEscrows', tags: ['escrows'], responses },
        },
      },
    };
    const text = emitOperations(doc);
    expect(text).toMatch(/createEscrow: \{[^}]*scopes: \["payments.create"\], requiresClientId: true[,}]/);
    expect(text).toMatch(/listEscrows: \{[^}]*requiresClientId: false[,}]/);
  });

  it('refuses a clientToken requirement with a scope outside the Scope vocabulary', () => {
    const doc: BundledSpec = {
      components: { schemas: { Scope: { enum: ['*', 'payments.create'] } } },
      paths: { '/v1/x': { get: { operationId: 'x', tags: ['x'], security: [{ clientToken: ['payments.delete'] }], responses: {} } } },
    };
    expect(() => emitOperations(doc)).toThrow(/payments.delete is not in the Scope schema/);
  });

  it('references the header from no operation of the contract yet', () => {
    expect(Object.entries(OPERATIONS).filter(([, op]) => op.requiresClientId)).toEqual([]);
  });
});

describe('clientIdRefusal', () => {
  it('lets operations that do not require the header through, with or without it', async () => {
    expect(await clientIdRefusal({ requiresClientId: false }, undefined, keyAuth, lookup)).toBeUndefined();
    expect(await clientIdRefusal({ requiresClientId: false }, 'garbage', tokenAuth, lookup)).toBeUndefined();
  });

  it('400 missing_client_id without the header (or an empty one), pointing at it', async () => {
    for (const header of [undefined, '', '  ']) {
      expect(await clientIdRefusal(requiring, header, keyAuth, lookup)).toMatchObject({ code: 'missing_client_id', errors: [{ header: 'x-client-id' }] });
    }
  });

  it("403 invalid_client_id for an id that is not one of the caller's applications, malformed or unknown", async () => {
    expect(await clientIdRefusal(requiring, 'c'.repeat(32), keyAuth, lookup)).toMatchObject({ code: 'invalid_client_id' });
    expect(await clientIdRefusal(requiring, 'NOT-A-CLIENT-ID', keyAuth, lookup)).toMatchObject({ code: 'invalid_client_id' });
  });

  it("403 invalid_client_id for a client token whose application is another one; allowed for its own or with a key", async () => {
    expect(await clientIdRefusal(requiring, CLIENT_B, tokenAuth, lookup)).toMatchObject({ code: 'invalid_client_id' });
    expect(await clientIdRefusal(requiring, CLIENT_A, tokenAuth, lookup)).toBeUndefined();
    expect(await clientIdRefusal(requiring, CLIENT_B, keyAuth, lookup)).toBeUndefined();
  });
});

describe('authorize on an operation requiring X-Client-Id', () => {
  /** A bare app: a fake caller, `authorize` with a one-operation route table, then 200. */
  async function call(auth: AuthContext, headers: Record<string, string>) {
    const deps = { ports: { applications: { applicationOfClientId: async (_db: unknown, _m: string, clientId: string) => APPS[clientId] } }, db: {} } as unknown as AppDeps;
    const app = express();
    app.use((req, res, next) => {
      res.locals.requestId = 'req_test';
      req.auth = auth;
      next();
    });
    app.use(authorize(deps, (method, path) => (method === 'POST' && path === '/v1/escrows' ? requiring : undefined)));
    app.use((_req, res) => void res.status(200).json({ ok: true }));
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/v1/escrows`, { method: 'POST', headers });
      return { status: response.status, type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
    } finally {
      server.close();
    }
  }

  it('answers 400 missing_client_id, 403 invalid_client_id, or passes the request on', async () => {
    const missing = await call(keyAuth, {});
    expect(missing).toMatchObject({ status: 400, body: { code: 'missing_client_id', status: 400, requestId: 'req_test', errors: [{ header: 'x-client-id' }] } });
    expect(missing.type).toMatch(/^application\/problem\+json/);
    expect(await call(keyAuth, { 'x-client-id': 'c'.repeat(32) })).toMatchObject({ status: 403, body: { code: 'invalid_client_id' } });
    expect(await call(tokenAuth, { 'x-client-id': CLIENT_B })).toMatchObject({ status: 403, body: { code: 'invalid_client_id' } });
    expect(await call(tokenAuth, { 'x-client-id': CLIENT_A })).toMatchObject({ status: 200 });
    expect(await call(keyAuth, { 'x-client-id': CLIENT_B })).toMatchObject({ status: 200 });
  });

  it('checks the scope first: a client token without it gets 403 insufficient_scope', async () => {
    const narrow = { ...tokenAuth, scopes: ['payments.read'] };
    expect(await call(narrow, {})).toMatchObject({ status: 403, body: { code: 'insufficient_scope', requiredScopes: ['payments.create'] } });
  });
});
