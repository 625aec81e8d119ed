/**
 * The scope matrix, derived from the contract: every secured operation of
 * `generated/operations.ts` (its `scopes` are those of its `clientToken` requirement) is called
 * with six client tokens of one merchant:
 *
 * | token | operation lists `clientToken: [s]` | operation needs the secret API key (`scopes: []`) |
 * |---|---|---|
 * | no matching scope | every other scope of the vocabulary → 403 | one scope → 403 |
 * | a wrong scope | one other scope → 403 | another single scope → 403 |
 * | the right scope | `[s]` → neither 401 nor 403 | every scope of the vocabulary → 403 |
 * | `*` | → neither 401 nor 403 | → 403 |
 * | revoked | → 401 `invalid_token` | → 401 `invalid_token` |
 * | expired | → 401 `invalid_token` | → 401 `invalid_token` |
 *
 * Each 403 is `insufficient_scope` with `requiredScopes` equal to the operation's scopes and
 * `WWW-Authenticate: Bearer realm="tillpoint", error="insufficient_scope", scope="<scopes>"`.
 * "Neither 401 nor 403" is checked strictly: the status equals the one the merchant's secret API
 * key gets for the same request. Matrix size: 6 × the number of secured operations (printed in
 * the describe's name; 29 × 6 = 174 when this was written). Requests are built from the spec (path ids and bodies from its
 * examples), as in auth.security.test.ts.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { unwrap } from '../../client/index.ts';
import { OPERATIONS } from '../../generated/operations.ts';
import { createApplication, createToken, type Scope } from '../applications/fixtures.ts';
import { fillPath, loadSpec, operationsOf, requestExample, type SpecOperation } from '../contract/openapi.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { createPayer, mintPayerToken } from '../oauth/fixtures.ts';

const { server: s, clock } = useTestServer();
const doc = loadSpec();
const vocabulary = ((doc.components?.schemas?.Scope as { enum: string[] }).enum).filter((x) => x !== '*') as Scope[];
const secured = operationsOf(doc)
  .filter((op) => !op.isPublic)
  .map((op) => ({ op, scopes: [...OPERATIONS[op.operationId as keyof typeof OPERATIONS].scopes] as Scope[] }));

type Column = 'no matching scope' | 'a wrong scope' | 'the right scope' | '*' | 'revoked' | 'expired';
const COLUMNS: Column[] = ['no matching scope', 'a wrong scope', 'the right scope', '*', 'revoked', 'expired'];

/** Tokens by their scopes (joined with a space), created once. */
const tokens = new Map<string, string>();
let revoked: string;
let expired: string;
let mint: (scopes: Scope[]) => Promise<string>;
let apiKey: string;
let payerToken: string;

async function tokenWith(scopes: Scope[]): Promise<string> {
  const key = [...scopes].sort().join(' ');
  let token = tokens.get(key);
  if (!token) tokens.set(key, (token = await mint(scopes)));
  return token;
}

/** The token of a column for an operation needing `scopes` (empty: the secret API key). */
async function tokenFor(column: Column, scopes: Scope[]): Promise<string> {
  const needed = scopes[0];
  const others = vocabulary.filter((x) => !scopes.includes(x));
  switch (column) {
    case 'no matching scope':
      return tokenWith(needed ? others : [vocabulary[0]!]);
    case 'a wrong scope':
      return tokenWith([needed ? sibling(needed, others) : vocabulary[1]!]);
    case 'the right scope':
      return tokenWith(needed ? scopes : vocabulary);
    case '*':
      return tokenWith(['*']);
    case 'revoked':
      return revoked;
    case 'expired':
      return expired;
  }
}

/** Another scope, preferably of the same resource (payments.read for payments.create). */
function sibling(scope: string, others: Scope[]): Scope {
  const resource = scope.split('.')[0];
  return others.find((x) => x.split('.')[0] === resource) ?? others[0]!;
}

function send(op: SpecOperation, token: string, header: 'authorization' | 'x-api-key' = 'authorization'): Promise<Response> {
  const body = requestExample(doc, op);
  // An operation acting for a registered payer (x-payer-scopes) also gets the payer's token.
  const payer: Record<string, string> = op.raw['x-payer-scopes'] ? { 'x-payer-token': payerToken } : {};
  // The same example again within 60 s would meet requestOtp's resend cooldown (429) instead of
  // what the API key got: every request of the matrix comes a minute after the previous one.
  clock.advanceSeconds(61);
  return s.raw(fillPath(doc, op), {
    method: op.method.toUpperCase(),
    headers: { [header]: header === 'authorization' ? `Bearer ${token}` : token, ...payer, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
}

beforeAll(async () => {
  const { client, merchant } = await s.newMerchant('Scope matrix');
  apiKey = merchant.apiKey;
  const app = await createApplication(client, 'Matrix');
  mint = async (scopes) => (await createToken(client, app.id, scopes)).token;
  const payer = await createPayer(client);
  // The matrix moves the clock a minute per request: a token that outlives it.
  payerToken = (await mintPayerToken(s, merchant.merchantId, app.id, payer.id, ['wallet.read', 'wallet.pay'], 30 * 86_400)).token;
  const toRevoke = await createToken(client, app.id, ['*']);
  unwrap(await client.DELETE('/v1/applications/{applicationId}/tokens/{tokenId}', { params: { path: { applicationId: app.id, tokenId: toRevoke.id } } }));
  revoked = toRevoke.token;
  expired = (await createToken(client, app.id, ['*'], { expiresIn: 300 })).token;
  clock.advanceSeconds(301);
});

describe(`the scope matrix: ${secured.length} secured operations × ${COLUMNS.length} client tokens = ${secured.length * COLUMNS.length} cases`, () => {
  it('covers every secured operation, and every scope of the vocabulary is some operation’s', () => {
    expect(secured.length).toBeGreaterThan(20);
    const used = new Set(secured.flatMap((x) => x.scopes));
    expect([...vocabulary].filter((x) => !used.has(x))).toEqual([]);
    // Key management never accepts a client token.
    for (const x of secured.filter(({ op }) => op.raw.tags?.includes('applications') || op.operationId === 'rotateApiKey')) expect(x.scopes).toEqual([]);
  });

  it.each(secured.map((x) => [x.op.operationId!, x.scopes.join(' ') || '(secret API key only)', x] as const))('%s [%s]', async (_id, _scopes, { op, scopes }) => {
    const failures: string[] = [];
    // What the secret API key gets for the same request (only for operations a token may call: the
    // key-only ones include rotateApiKey).
    const keyStatus = scopes.length > 0 ? (await send(op, apiKey, 'x-api-key')).status : undefined;
    for (const column of COLUMNS) {
      const response = await send(op, await tokenFor(column, scopes));
      const text = await response.text();
      const body = (() => {
        try {
          return JSON.parse(text) as { code?: string; requiredScopes?: string[] };
        } catch {
          return {};
        }
      })();
      const challenge = response.headers.get('www-authenticate');
      const allowed = scopes.length > 0 && (column === 'the right scope' || column === '*');
      const ok =
        column === 'revoked' || column === 'expired'
          ? response.status === 401 && body.code === 'unauthenticated' && challenge === 'Bearer realm="tillpoint", error="invalid_token"'
          : allowed
            ? response.status !== 401 && response.status !== 403 && response.status < 500 && response.status === keyStatus
            : response.status === 403 &&
              body.code === 'insufficient_scope' &&
              JSON.stringify(body.requiredScopes) === JSON.stringify(scopes) &&
              challenge === `Bearer realm="tillpoint", error="insufficient_scope", scope="${scopes.join(' ')}"`;
      if (!ok) failures.push(`${column}: ${response.status}${allowed ? ` (API key: ${keyStatus})` : ''} ${challenge ?? '(no WWW-Authenticate)'} ${text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });
});
