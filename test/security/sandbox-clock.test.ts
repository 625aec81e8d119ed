/**
 * Issue 13 #8: the sandbox test clock is shared by the whole server until clocks are per
 * merchant, so nothing that protects one merchant may run on it. An anonymous party can create a
 * throwaway sandbox merchant and advance the clock by days; a victim's idempotency window
 * (24 h) and credential lifetimes (a one-hour access token, a rotated key's grace period) must
 * not be shortened by that.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTillpointClient } from '../../client/index.ts';
import { cardPayment } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';

const servers = useTestServer();

/** A throwaway sandbox merchant advances the shared sandbox clock by `seconds`. */
async function attackerAdvances(seconds: number) {
  const { client } = await servers.server.newMerchant('Throwaway');
  for (let left = seconds; left > 0; left -= 2_592_000) {
    const r = await client.POST('/v1/sandbox/clock/advance', { body: { seconds: Math.min(left, 2_592_000) } });
    expect(r.response.status).toBe(200);
  }
}

describe("another merchant's sandbox clock", () => {
  it("does not end a victim's idempotency window: the retry replays, one payment exists", async () => {
    const { client } = await servers.server.newMerchant('Victim');
    const key = randomUUID();
    const first = await client.POST('/v1/payments', { body: cardPayment(4200), params: { header: { 'Idempotency-Key': key } } });
    expect(first.response.status).toBe(201);
    await attackerAdvances(25 * 3600);
    const retry = await client.POST('/v1/payments', { body: cardPayment(4200), params: { header: { 'Idempotency-Key': key } } });
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.data?.id).toBe(first.data?.id);
    const list = await client.GET('/v1/payments', {});
    expect(list.data?.data).toHaveLength(1);
  });

  it("does not expire a victim's one-hour access token or a rotated key's grace period", async () => {
    const { merchant } = await servers.server.newMerchant('Victim 2');
    const anonymous = servers.server.anonymous();
    const token = await anonymous.POST('/v1/auth/token', { body: { apiKey: merchant.apiKey, apiSecret: merchant.apiSecret } });
    expect(token.response.status).toBe(200);
    const old = createTillpointClient({ baseUrl: servers.server.url, apiKey: merchant.apiKey, retry: false });
    const rotated = await old.POST('/v1/api-keys/rotate', { body: { gracePeriodSeconds: 3600 } });
    expect(rotated.response.status).toBe(201);

    await attackerAdvances(2 * 3600);

    const viaToken = await servers.server.raw('/v1/balance', { headers: { authorization: `Bearer ${token.data!.accessToken}` } });
    expect(viaToken.status).toBe(200);
    const viaOldKey = await old.GET('/v1/balance', {});
    expect(viaOldKey.response.status).toBe(200);
  });
});
