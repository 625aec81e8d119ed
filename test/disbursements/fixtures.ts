/**
 * Fixtures of the disbursements tests: the documented payout test instruments (read from the
 * generated tables, not restated), request helpers that send `X-Client-Id`, and funding by card.
 */
import { expect } from 'vitest';
import type { TillpointClient } from '../../client/index.ts';
import type { components } from '../../generated/schema.d.ts';
import { TEST_PAYOUT_BANK_ACCOUNTS, TEST_PAYOUT_PHONE_NUMBERS } from '../../generated/test-instruments.ts';
import { cardPayment } from '../support/server.ts';

export type Quote = components['schemas']['DisbursementQuote'];
export type Disbursement = components['schemas']['Disbursement'];
export type EscrowDisbursement = components['schemas']['EscrowDisbursement'];
export type QuoteRequest = components['schemas']['CreateDisbursementQuoteRequest'];
export type Destination = components['schemas']['PayoutDestination'];

/** The first documented payout test instrument with `outcome`. */
function instrument(table: Record<string, string>, outcome: 'succeed' | 'fail'): string {
  const found = Object.entries(table).find(([, o]) => o === outcome)?.[0];
  if (!found) throw new Error(`no payout test instrument ${outcome}s`);
  return found;
}

/** Destinations the sandbox pays (`paid`) or fails (`failed`). */
export const DESTINATIONS = {
  mobileMoneyPaid: { type: 'mobile_money', provider: 'mtn', phoneNumber: instrument(TEST_PAYOUT_PHONE_NUMBERS, 'succeed') },
  mobileMoneyFailed: { type: 'mobile_money', provider: 'mtn', phoneNumber: instrument(TEST_PAYOUT_PHONE_NUMBERS, 'fail') },
  bankPaid: { type: 'bank_account', accountNumber: instrument(TEST_PAYOUT_BANK_ACCOUNTS, 'succeed'), bankCode: 'SBICUGKX', accountHolderName: 'Okello Farm Supplies Ltd' },
  bankFailed: { type: 'bank_account', accountNumber: instrument(TEST_PAYOUT_BANK_ACCOUNTS, 'fail'), bankCode: 'SBICUGKX', accountHolderName: 'Closed Account Ltd' },
} as const satisfies Record<string, Destination>;

/** `params` with the merchant's `X-Client-Id` (and more parameters). */
export function withClient<P extends object = object>(clientId: string, more?: P) {
  const header = (more as { header?: Record<string, string> } | undefined)?.header ?? {};
  return { ...(more ?? {}), header: { ...header, 'X-Client-Id': clientId } } as P & { header: { 'X-Client-Id': string } };
}

/** Raises the merchant's available USD balance by `amount` minor units with a succeeding card payment. */
export async function fund(client: TillpointClient, amount: number, currency = 'USD'): Promise<void> {
  const r = await client.POST('/v1/payments', { body: cardPayment(amount, currency) });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
}

/** The merchant's available balance in `currency` (0 when absent). */
export async function available(client: TillpointClient, currency = 'USD'): Promise<number> {
  const r = await client.GET('/v1/balance');
  expect(r.response.status).toBe(200);
  return r.data!.available.find((m) => m.currency === currency)?.amount ?? 0;
}

/** Creates a quote and asserts the 201. */
export async function quote(client: TillpointClient, clientId: string, body: QuoteRequest): Promise<Quote> {
  const r = await client.POST('/v1/disbursements/quotes', { params: withClient(clientId), body });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  return r.data!;
}

/** Quotes then pays; asserts the 201s. */
export async function disburse(client: TillpointClient, clientId: string, body: QuoteRequest): Promise<Disbursement> {
  const q = await quote(client, clientId, body);
  const r = await client.POST('/v1/disbursements', { params: withClient(clientId), body: { quoteId: q.id } });
  expect(r.response.status, JSON.stringify(r.error)).toBe(201);
  return r.data!;
}

/** Retrieves a disbursement (due payouts processed first), asserting the 200. */
export async function getDisbursement(client: TillpointClient, clientId: string, disbursementId: string): Promise<Disbursement> {
  const r = await client.GET('/v1/disbursements/{disbursementId}', { params: withClient(clientId, { path: { disbursementId } }) });
  expect(r.response.status, JSON.stringify(r.error)).toBe(200);
  return r.data!;
}
