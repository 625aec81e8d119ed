/**
 * The Postman collection (`generated/postman-collection.json`) imports into Postman's own
 * collection SDK with every operation of the contract, the `baseUrl` and `apiKey` variables and
 * the right credential per operation, and its requests work against the reference server once
 * those variables are set; `generated/llms.txt` links every operation.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sdk from 'postman-collection';
import { describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../client/index.ts';
import { useTestServer } from '../support/use-test-server.ts';

const root = resolve(import.meta.dirname, '../..');
const collection = new sdk.Collection(JSON.parse(readFileSync(join(root, 'generated/postman-collection.json'), 'utf8')));
const items = new Map<string, sdk.Item>();
collection.forEachItem((item) => {
  const path = item.request.url.getPath(true).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  items.set(`${item.request.method.toLowerCase()} ${path}`, item);
});

const { server } = useTestServer();

describe('Postman collection', () => {
  it('has every operation of the contract, each once, with the credential the contract asks for', () => {
    expect(items.size).toBe(Object.keys(OPERATIONS).length);
    for (const [id, op] of Object.entries(OPERATIONS)) {
      const item = items.get(`${op.method} ${op.path}`);
      expect(item, `${id} (${op.method.toUpperCase()} ${op.path}) is missing from the collection`).toBeDefined();
      expect(item!.getAuth()?.type, `${id}: auth`).toBe(op.public ? 'noauth' : 'apikey');
    }
  });

  it('has the baseUrl and apiKey variables, the key sent as x-api-key', () => {
    expect(collection.variables.get('baseUrl')).toBe('http://localhost:3000');
    expect(collection.variables.has('apiKey')).toBe(true);
    expect(collection.auth?.type).toBe('apikey');
    expect(collection.auth?.parameters().get('key')).toBe('x-api-key');
    expect(collection.auth?.parameters().get('value')).toBe('{{apiKey}}');
  });

  it('sends a working request once baseUrl and apiKey are set', async () => {
    const { merchant } = await server.newMerchant('Postman');
    const item = items.get(`${OPERATIONS.getBalance.method} ${OPERATIONS.getBalance.path}`)!;
    const url = `${server.url}${item.request.url.getPath(true)}`;
    const headers: Record<string, string> = {};
    item.request.headers.each((h) => {
      if (!h.disabled) headers[h.key] = h.value;
    });
    headers[String(collection.auth!.parameters().get('key'))] = String(collection.auth!.parameters().get('value')).replace('{{apiKey}}', merchant.apiKey);
    const response = await fetch(url, { method: item.request.method, headers });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ available: expect.any(Array) });
  });
});

describe('llms.txt', () => {
  const text = readFileSync(join(root, 'generated/llms.txt'), 'utf8');
  it('links every operation to its section of /docs', () => {
    for (const [id, op] of Object.entries(OPERATIONS)) {
      expect(text, id).toContain(`(/docs#/${op.tag}/${id.toLowerCase()}): \`${op.method.toUpperCase()} ${op.path}\``);
    }
    expect(text.startsWith('# Tillpoint API\n\n> ')).toBe(true);
  });
});
