/**
 * Payout destinations against the sandbox rules: only the payout test numbers and accounts of
 * the contract (`x-test-instruments.payouts`, generated) are accepted, and each one chooses
 * whether the payout job pays or fails the recipient. Live mode refuses every destination but
 * a payer wallet: the reference server has no payout rail behind it.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import {
  TEST_PAYOUT_BANK_ACCOUNTS,
  TEST_PAYOUT_PHONE_NUMBERS,
  type PayoutOutcome,
} from '../../generated/test-instruments.ts';
import { ProblemError, invalidField } from '../errors/problem.ts';
import type { StoredDestination } from './schema.ts';

const PHONES: Readonly<Record<string, PayoutOutcome>> = TEST_PAYOUT_PHONE_NUMBERS;
const ACCOUNTS: Readonly<Record<string, PayoutOutcome>> = TEST_PAYOUT_BANK_ACCOUNTS;

/**
 * Checks a mobile-money or bank-account destination (wallets are checked against the payer's
 * wallet by the caller).
 * @param pointer JSON pointer of the destination in the request body (`/recipients/0/destination`).
 * @throws ProblemError 400 `invalid_request` (not E.164, not a sandbox payout test instrument,
 *   anything in live mode) or 402 `test_instrument_in_live_mode`.
 */
export function assertPayable(destination: StoredDestination, pointer: string, mode: 'sandbox' | 'live'): void {
  if (destination.type === 'wallet') return;
  const [field, table, value] =
    destination.type === 'mobile_money' ? ['phoneNumber', PHONES, destination.phoneNumber] : ['accountNumber', ACCOUNTS, destination.accountNumber];
  if (destination.type === 'mobile_money') {
    const phone = parsePhoneNumberFromString(destination.phoneNumber);
    if (!phone || !phone.isValid() || phone.number !== destination.phoneNumber) {
      throw invalidField(`${pointer}/phoneNumber`, 'is not a valid E.164 phone number');
    }
  }
  const known = Object.hasOwn(table, value);
  if (mode === 'live') {
    if (known) {
      throw new ProblemError('test_instrument_in_live_mode', 'Sandbox payout test numbers and accounts are refused in live mode; nothing was quoted.', [
        { pointer: `${pointer}/${field}`, detail: 'is a sandbox test instrument, refused in live mode' },
      ]);
    }
    throw invalidField(`${pointer}/${field}`, 'cannot be paid: this reference server has no payout rail in live mode');
  }
  if (!known) throw invalidField(`${pointer}/${field}`, 'is not a sandbox payout test instrument; use one of the documented numbers or accounts');
}

/** What the payout job does with a stored destination (wallets are paid at once, never here). */
export function payoutOutcome(destination: StoredDestination): PayoutOutcome {
  if (destination.type === 'mobile_money') return PHONES[destination.phoneNumber] ?? 'fail';
  if (destination.type === 'bank_account') return ACCOUNTS[destination.accountNumber] ?? 'fail';
  return 'succeed';
}

/** The clearing account (without prefix) a paid recipient's money goes to. */
export function payoutRail(destination: StoredDestination): string {
  return destination.type === 'mobile_money' ? `mobile_money:${destination.provider}` : destination.type;
}
