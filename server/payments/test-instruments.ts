/**
 * Sandbox test instruments. The sandbox accepts only these: any other card number or phone number
 * is rejected, so no real payment data is handled. The tables are generated from the contract's
 * `x-test-instruments` (`openapi/test-instruments.yaml`), the one place they are described.
 */
import {
  DELAYED_SETTLEMENT_SECONDS,
  TEST_CARDS as CARDS,
  TEST_OUTCOME_LABELS,
  TEST_PHONE_NUMBERS as PHONE_NUMBERS,
  type TestOutcome,
} from '../../generated/test-instruments.ts';

export { DELAYED_SETTLEMENT_SECONDS, TEST_OUTCOME_LABELS, type TestOutcome };

/** Test card numbers and their outcome (lookup by any string: absent means "not a test card"). */
export const TEST_CARDS: Readonly<Record<string, TestOutcome>> = CARDS;

/** Mobile-money test numbers (E.164) and their outcome (absent means "not a test number"). */
export const TEST_PHONE_NUMBERS: Readonly<Record<string, TestOutcome>> = PHONE_NUMBERS;

/** Luhn checksum of a card number (ISO/IEC 7812-1). */
export function passesLuhn(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return number.length > 0 && sum % 10 === 0;
}

/** Card brand from the number's leading digits (enough for the test cards and common ranges). */
export function cardBrand(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  return 'unknown';
}
