/**
 * Currency rules: which ISO 4217 codes are accepted, their minor-unit exponent (from the
 * maintained `currency-codes` package) and the minimum chargeable amount per currency.
 */
import cc from 'currency-codes';

/** Codes that are not money a customer pays with: precious metals, funds, units, test and "no currency". */
const EXCLUDED = new Set([
  'XAU', 'XAG', 'XPT', 'XPD', 'XTS', 'XXX', 'XDR', 'XSU', 'XUA', 'XBA', 'XBB', 'XBC', 'XBD',
  'BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW',
]);

/** Minimum amounts in minor units, about 0.50 USD each (documented in the API overview). */
const MINIMUMS: Record<string, number> = {
  USD: 50, EUR: 50, CAD: 50, AUD: 50, CHF: 50, GBP: 30, JPY: 50,
  KWD: 200, BHD: 200, OMR: 200, KES: 5000, UGX: 2000, TZS: 150000, RWF: 700,
  NGN: 100000, GHS: 500, ZAR: 1000,
};

/** The ISO 4217 exponent of a supported currency (2 for USD, 0 for JPY, 3 for KWD), or `undefined`. */
export function minorUnitExponent(currency: string): number | undefined {
  if (EXCLUDED.has(currency)) return undefined;
  const entry = cc.code(currency);
  if (!entry || !Number.isInteger(entry.digits)) return undefined;
  return entry.digits;
}

/** Whether `currency` is an accepted ISO 4217 code. */
export function isSupportedCurrency(currency: string): boolean {
  return minorUnitExponent(currency) !== undefined;
}

/**
 * Minimum chargeable amount in minor units: the table above, else half of one major unit
 * (rounded up to a whole minor unit).
 * @throws Error for an unsupported currency.
 */
export function minimumAmount(currency: string): number {
  const exponent = minorUnitExponent(currency);
  if (exponent === undefined) throw new Error(`Unsupported currency ${currency}`);
  return MINIMUMS[currency] ?? Math.max(1, Math.ceil(10 ** exponent / 2));
}

/**
 * Formats minor units for people, e.g. `formatAmount(2500, 'USD', 'en')` → `$25.00`,
 * `(1250, 'KWD')` → `KWD 1.250`, `(5000, 'UGX')` → `UGX 5,000`. Integer arithmetic until the
 * final string: no floating point touches the amount.
 */
export function formatAmount(amount: number, currency: string, locale = 'en-US'): string {
  const exponent = minorUnitExponent(currency) ?? 2;
  const negative = amount < 0;
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const major = digits.slice(0, digits.length - exponent);
  const minor = digits.slice(digits.length - exponent);
  // Intl formats the decimal string exactly (no binary rounding) when given a string.
  const formatter = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  const value = `${negative ? '-' : ''}${major}${exponent > 0 ? `.${minor}` : ''}`;
  return formatter.format(value as unknown as number);
}
