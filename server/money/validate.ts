/**
 * Business checks on money input that a JSON schema cannot express: the currency must be a
 * real ISO 4217 currency, and the amount at least that currency's minimum.
 */
import { ProblemError, invalidField } from '../errors/problem.ts';
import { isSupportedCurrency, minimumAmount, formatAmount } from './currency.ts';

/**
 * @param amount minor units
 * @param pointers JSON pointers of the amount and currency fields in the request body
 * @throws ProblemError 400 `invalid_request` (unknown currency) or 422 `amount_too_small`
 */
export function assertChargeable(amount: number, currency: string, pointers = { amount: '/amount', currency: '/currency' }): void {
  if (!isSupportedCurrency(currency)) throw invalidField(pointers.currency, `${currency} is not a supported ISO 4217 currency code`);
  const minimum = minimumAmount(currency);
  if (amount < minimum) {
    throw new ProblemError(
      'amount_too_small',
      `The minimum amount for ${currency} is ${minimum} (${formatAmount(minimum, currency)}).`,
      [{ pointer: pointers.amount, detail: `must be at least ${minimum} for ${currency}` }],
    );
  }
}
