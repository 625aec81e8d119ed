/**
 * Sandbox test instruments (documented in the contract's overview). The sandbox accepts only
 * these: any other card number or phone number is rejected, so no real payment data is handled.
 */

/** What a test instrument does when charged. */
export type TestOutcome = 'succeed' | 'decline' | 'insufficient_funds' | 'three_d_secure' | 'fail' | 'delayed';

/** Test card numbers and their outcome. */
export const TEST_CARDS: Readonly<Record<string, TestOutcome>> = {
  '4242424242424242': 'succeed',
  '4000000000000002': 'decline',
  '4000000000009995': 'insufficient_funds',
  '4000002760003184': 'three_d_secure',
};

/** Mobile-money test numbers (E.164) and their outcome. */
export const TEST_PHONE_NUMBERS: Readonly<Record<string, TestOutcome>> = {
  '+256700000001': 'succeed',
  '+254700000001': 'succeed',
  '+256700000002': 'fail',
  '+254700000002': 'fail',
  '+256700000003': 'delayed',
  '+254700000003': 'delayed',
};

/** Seconds a `delayed` mobile-money payment stays pending before it settles. */
export const DELAYED_SETTLEMENT_SECONDS = 10;

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
