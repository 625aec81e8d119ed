/** Fixtures of the escrows family's tests: merchants with their X-Client-Id, payers' one-time codes, escrow bodies. */
import { expect } from 'vitest';
import { unwrap, type TillpointClient } from '../../client/index.ts';
import type { components } from '../../generated/schema.d.ts';
import type { TestServer } from '../support/server.ts';

export type Escrow = components['schemas']['Escrow'];
export type CreateEscrowRequest = components['schemas']['CreateEscrowRequest'];

/** Card and mobile-money payment methods of the sandbox test data. */
export const methods = {
  card: (number = '4242424242424242') => ({ type: 'card' as const, card: { number, expMonth: 12, expYear: 2030, cvc: '123' } }),
  mobileMoney: (phoneNumber = '+256700000001') => ({ type: 'mobile_money' as const, provider: 'mtn' as const, phoneNumber }),
};

let seq = 0;
/** A payer email never used before (one-time codes have a resend cooldown per destination). */
export const freshEmail = () => `payer-${Date.now().toString(36)}-${++seq}-${Math.random().toString(36).slice(2, 8)}@example.com`;

/** A merchant of `s`, its client, and the `X-Client-Id` header of its default application. */
export async function escrowMerchant(s: TestServer, name = 'Escrow merchant') {
  const { merchant, client } = await s.newMerchant(name);
  return { merchant, client, header: { 'X-Client-Id': merchant.clientId } };
}
export type EscrowMerchant = Awaited<ReturnType<typeof escrowMerchant>>;

/** Sends a one-time code to `email` (requestOtp) and reads it back from the sandbox. */
export async function otpFor(client: TillpointClient, email: string): Promise<string> {
  unwrap(await client.POST('/v1/otp', { body: { email } }));
  return unwrap(await client.GET('/v1/sandbox/otp', { params: { query: { email } } })).code;
}

/** A valid createEscrow body: mobile money that succeeds, delivery confirmation one day after `now`. */
export function escrowBody(now: Date, overrides: Partial<CreateEscrowRequest> = {}): CreateEscrowRequest {
  return {
    amount: 50000,
    currency: 'UGX',
    paymentMethod: methods.mobileMoney(),
    payer: {},
    terms: { type: 'delivery_confirmation', deadline: new Date(now.getTime() + 86_400_000).toISOString() },
    description: 'Handmade table',
    reference: 'ORD-2201',
    ...overrides,
  };
}

/** Calls createEscrow with a fresh payer email and its one-time code (unless the body has a payer with an otp). */
export async function postEscrow(m: EscrowMerchant, body: CreateEscrowRequest, headers: Record<string, string> = {}) {
  const payer = body.payer.otp !== undefined ? body.payer : { ...body.payer, email: body.payer.email ?? freshEmail() };
  if (payer.otp === undefined) payer.otp = await otpFor(m.client, payer.email!);
  return m.client.POST('/v1/escrows', { body: { ...body, payer }, params: { header: { ...m.header, ...headers } } });
}

/** Creates an escrow and returns it (asserting 201). */
export async function createdEscrow(m: EscrowMerchant, body: CreateEscrowRequest): Promise<Escrow> {
  const r = await postEscrow(m, body);
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  return r.data!;
}

/** The escrow actions of the API, as typed-client calls. */
export const act = {
  get: (m: EscrowMerchant, escrowId: string) => m.client.GET('/v1/escrows/{escrowId}', { params: { path: { escrowId }, header: m.header } }),
  release: (m: EscrowMerchant, escrowId: string, headers: Record<string, string> = {}) =>
    m.client.POST('/v1/escrows/{escrowId}/release', { params: { path: { escrowId }, header: { ...m.header, ...headers } } }),
  cancel: (m: EscrowMerchant, escrowId: string, headers: Record<string, string> = {}) =>
    m.client.POST('/v1/escrows/{escrowId}/cancel', { params: { path: { escrowId }, header: { ...m.header, ...headers } }, body: { reason: 'out_of_stock' } }),
  dispute: (m: EscrowMerchant, escrowId: string, headers: Record<string, string> = {}) =>
    m.client.POST('/v1/escrows/{escrowId}/dispute', { params: { path: { escrowId }, header: { ...m.header, ...headers } }, body: { reason: 'not_delivered', details: 'Never arrived.' } }),
  resolve: (m: EscrowMerchant, escrowId: string, body: components['schemas']['ResolveEscrowDisputeRequest'], headers: Record<string, string> = {}) =>
    m.client.POST('/v1/sandbox/escrows/{escrowId}/resolve', { params: { path: { escrowId }, header: headers }, body }),
};

/** The merchant's available balance in `currency` (0 when none). */
export async function available(client: TillpointClient, currency: string): Promise<number> {
  const balance = unwrap(await client.GET('/v1/balance'));
  return balance.available.find((b) => b.currency === currency)?.amount ?? 0;
}
