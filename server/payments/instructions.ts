/**
 * What to tell the payer about a payment, by method and status: payer-facing text made at the
 * edge from the payment (the contract's `PaymentInstructions`).
 *
 * Source: getPaymentInstructions.
 */
import type { components } from '../../generated/schema.d.ts';
import type { Links } from '../deps.ts';
import { formatAmount } from '../money/currency.ts';
import type { PaymentRow } from './repository.ts';

type PaymentInstructions = components['schemas']['PaymentInstructions'];

/** Mobile-money providers as payers know them, with the USSD menu of pending approvals. */
const PROVIDERS: Record<string, { name: string; ussd: string | null }> = {
  mtn: { name: 'MTN Mobile Money', ussd: '*165#' },
  airtel: { name: 'Airtel Money', ussd: '*185#' },
  mpesa: { name: 'M-Pesa', ussd: '*334#' },
};

/** The instructions of a payment to `merchantName`'s payer; `links` gives the 3-D Secure page. */
export function toPaymentInstructions(payment: PaymentRow, merchantName: string, links: Links): PaymentInstructions {
  const amount = formatAmount(payment.amount, payment.currency);
  const base = { paymentId: payment.id, paymentMethodType: payment.methodType, status: payment.status };
  if (payment.status === 'requires_action') {
    return {
      ...base,
      title: 'Complete 3-D Secure authentication',
      steps: [
        `Open ${links.authentication(payment.id)} in the payer's browser.`,
        `Confirm the payment of ${amount} to ${merchantName} in the bank's challenge.`,
      ],
      ussdCode: null,
      expiresAt: null,
    };
  }
  if (payment.status === 'pending' && payment.methodType === 'mobile_money') {
    const provider = (payment.methodDetails as { mobileMoney?: { provider?: string } }).mobileMoney?.provider ?? 'mtn';
    const info = PROVIDERS[provider] ?? { name: 'mobile money', ussd: null };
    return {
      ...base,
      title: 'Approve the payment on your phone',
      steps: [
        `Unlock your phone and wait for the ${info.name} prompt.`,
        `Check that the amount is ${amount} and the merchant is ${merchantName}.`,
        `Enter your PIN to approve. No prompt? Dial ${info.ussd ?? 'your provider\'s menu'} and open pending approvals.`,
      ],
      ussdCode: info.ussd,
      expiresAt: payment.settleAt?.toISOString() ?? null,
    };
  }
  if (payment.status === 'failed') {
    return {
      ...base,
      title: 'Payment failed',
      steps: [`${payment.failureMessage ?? 'The payment failed.'} Start a new payment to try again.`],
      ussdCode: null,
      expiresAt: null,
    };
  }
  return { ...base, title: 'Payment complete', steps: [`Nothing left to do: ${amount} was paid to ${merchantName}.`], ussdCode: null, expiresAt: null };
}
