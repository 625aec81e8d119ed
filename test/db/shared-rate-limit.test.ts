/**
 * Rate limits hold across instances (issue 8): two servers on one PostgreSQL database share one
 * budget per API key, so together they refuse the 101st request of a credential in a minute,
 * whichever of them it reaches. Access tokens of the key draw from the same budget.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../server/boot.ts';
import { merchantOn, sharedStore, startOn, type SharedStore } from '../webhooks/fixtures.ts';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function twoInstances(limit: number): Promise<[RunningServer, RunningServer]> {
  const store: SharedStore = await sharedStore();
  cleanup.push(store.drop);
  const servers = await Promise.all([startOn(store, { rateLimitAuthenticated: limit }), startOn(store, { rateLimitAuthenticated: limit })]);
  cleanup.push(async () => void (await Promise.all(servers.map((s) => s.close()))));
  return servers as [RunningServer, RunningServer];
}

describe('rate limits shared through PostgreSQL', () => {
  it('two instances on one database together refuse the 101st request of a key in a minute', async () => {
    const [a, b] = await twoInstances(100);
    const { apiKey } = await merchantOn(a);
    const statuses: number[] = [];
    const remaining: string[] = [];
    for (let i = 0; i < 101; i++) {
      const target = i % 2 === 0 ? a : b;
      const r = await fetch(`${target.url}/v1/balance`, { headers: { 'x-api-key': apiKey } });
      statuses.push(r.status);
      remaining.push(r.headers.get('x-ratelimit-remaining') ?? '');
      await r.arrayBuffer();
    }
    expect(statuses.slice(0, 100).every((s) => s === 200)).toBe(true);
    expect(statuses[100]).toBe(429);
    // One counter: the remaining budget falls by one per request whichever instance answers.
    expect(remaining.slice(0, 4)).toEqual(['99', '98', '97', '96']);
    const again = await fetch(`${a.url}/v1/balance`, { headers: { 'x-api-key': apiKey } });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another merchant's key has its own budget on both instances.
    const other = await merchantOn(b);
    expect((await fetch(`${a.url}/v1/balance`, { headers: { 'x-api-key': other.apiKey } })).status).toBe(200);
  });

  it('random or respelled credentials do not buy fresh budgets: failed authentications count per IP', async () => {
    const store: SharedStore = await sharedStore();
    cleanup.push(store.drop);
    const server = await startOn(store, { rateLimitPublic: 5 });
    cleanup.push(() => server.close());
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await fetch(`${server.url}/v1/balance`, { headers: { 'x-api-key': `sk_test_${String(i).padStart(32, 'x')}` } });
      statuses.push(r.status);
      await r.arrayBuffer();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
  });
});
