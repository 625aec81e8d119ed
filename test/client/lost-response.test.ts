/**
 * A lost response, against the real reference server: the request reaches the server and takes
 * effect, then the connection drops before the answer arrives. The client may send it again only
 * when the contract makes that safe (the operation declares `Idempotency-Key`, per the generated
 * operation index); otherwise it must surface the error and leave the decision to the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTillpointClient, unwrap, type FetchLike } from '../../client/index.ts';
import { cardPayment, startTestServer, type TestServer } from '../support/server.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s?.close());

/**
 * A `fetch` that forwards every request to the test server and, for the first `lose` requests to
 * `path`, reads the server's full answer (so the operation completed) and then throws the
 * `TypeError` a dropped connection gives. Records what reached the server.
 */
function losingFetch(path: string, lose: number) {
  const reached: { method: string; path: string; idempotencyKey: string | null; status: number; replayed: string | null }[] = [];
  let lost = 0;
  const fetch: FetchLike = async (request) => {
    const response = await globalThis.fetch(request);
    await response.clone().arrayBuffer();
    const target = new URL(request.url).pathname;
    reached.push({
      method: request.method,
      path: target,
      idempotencyKey: request.headers.get('idempotency-key'),
      status: response.status,
      replayed: response.headers.get('idempotent-replayed'),
    });
    if (target === path && lost < lose) {
      lost++;
      throw new TypeError('fetch failed: connection reset after the request was sent');
    }
    return response;
  };
  return { fetch, reached };
}

const noWait = { sleep: async () => {}, random: () => 0 };

describe('a lost response', () => {
  it('to rotateApiKey is not retried: the key rotated once and the error reaches the caller', async () => {
    const { merchant } = await s.newMerchant('Lost rotation');
    const api = losingFetch('/v1/api-keys/rotate', 1);
    const tillpoint = createTillpointClient({ baseUrl: s.url, apiKey: merchant.apiKey, fetch: api.fetch, retry: noWait });

    await expect(tillpoint.POST('/v1/api-keys/rotate', { body: {} })).rejects.toThrow(TypeError);

    const rotations = api.reached.filter((r) => r.path === '/v1/api-keys/rotate');
    expect(rotations).toHaveLength(1);
    expect(rotations[0]).toMatchObject({ method: 'POST', status: 201, idempotencyKey: null });
    // It really happened: the old key was retired at once (no grace period).
    const old = await s.raw('/v1/balance', { headers: { 'x-api-key': merchant.apiKey } });
    expect(old.status).toBe(401);
  });

  it('to createPayment is retried with the same Idempotency-Key, replayed, and charges once', async () => {
    const { merchant, client: direct } = await s.newMerchant('Lost payment');
    const api = losingFetch('/v1/payments', 1);
    const tillpoint = createTillpointClient({ baseUrl: s.url, apiKey: merchant.apiKey, fetch: api.fetch, retry: noWait });

    const payment = unwrap(await tillpoint.POST('/v1/payments', { body: cardPayment(2500, 'USD') }));
    expect(payment.status).toBe('succeeded');

    const attempts = api.reached.filter((r) => r.method === 'POST' && r.path === '/v1/payments');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.idempotencyKey).toBeTruthy();
    expect(attempts[1]!.idempotencyKey).toBe(attempts[0]!.idempotencyKey);
    expect(attempts.map((a) => [a.status, a.replayed])).toEqual([
      [201, null],
      [201, 'true'],
    ]);

    const list = unwrap(await direct.GET('/v1/payments'));
    expect(list.data.map((p) => p.id)).toEqual([payment.id]);
  });
});
