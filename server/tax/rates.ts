/**
 * Consumption-tax rates from the maintained `sales-tax` package's offline data
 * (`res/sales_tax_rates.json`; its online VAT-number check is never used). The package stores
 * rates as JSON numbers; each is turned into the exact decimal string it was written as (the
 * shortest round-trip form) and sums are done on scaled integers, never on binary floats.
 *
 * Source: getTaxRates.
 */
import { createRequire } from 'node:module';
import { ProblemError } from '../errors/problem.ts';
import { countryName, findSubdivision } from '../geo/index.ts';
import type { components } from '../../generated/schema.d.ts';

type TaxRates = components['schemas']['TaxRates'];
type TaxType = components['schemas']['TaxRate']['type'];

interface RawRate {
  type: TaxType;
  rate: number;
  currency?: string;
  states?: Record<string, RawRate>;
}

const require = createRequire(import.meta.url);
const DATA = require('sales-tax/res/sales_tax_rates.json') as Record<string, RawRate>;
const VERSION = (require('sales-tax/package.json') as { version: string }).version;

/** Digits after the decimal point kept in rate arithmetic (rates have at most 5 today). */
const SCALE = 8;

/**
 * A rate number from the data as the exact decimal string it was written as (`0.0825` →
 * `"0.0825"`): `String()` gives the shortest representation that reads back as the same number.
 * @throws Error when the number has more than {@link SCALE} decimals or an exponent (bad data).
 */
export function decimalOf(rate: number): string {
  const text = String(rate);
  if (!/^-?\d+(\.\d{1,8})?$/.test(text)) throw new Error(`Tax rate ${text} is not a decimal with at most ${SCALE} places`);
  return text;
}

/** Exact sum of two decimal strings (as scaled integers), in the shortest decimal form. */
export function addDecimals(a: string, b: string): string {
  const scaled = (d: string) => {
    const negative = d.startsWith('-');
    const [whole, fraction = ''] = d.replace('-', '').split('.');
    const value = BigInt(whole! + fraction.padEnd(SCALE, '0'));
    return negative ? -value : value;
  };
  const sum = scaled(a) + scaled(b);
  const negative = sum < 0n;
  const digits = (negative ? -sum : sum).toString().padStart(SCALE + 1, '0');
  const whole = digits.slice(0, -SCALE);
  const fraction = digits.slice(-SCALE).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * The national and regional rates of a country.
 * @throws ProblemError 400 `invalid_request` (parameter `country`) for a code that is not an
 *   assigned ISO 3166-1 country; 404 `not_found` for a country the data does not cover.
 */
export function taxRatesOf(country: string): TaxRates {
  countryName(country);
  const entry = DATA[country];
  if (!entry) throw new ProblemError('not_found', `The tax data has no rates for ${country}.`);
  const national = decimalOf(entry.rate);
  const regions = Object.entries(entry.states ?? {})
    .map(([state, raw]) => {
      const region = `${country}-${state}`;
      const rate = decimalOf(raw.rate);
      return { region, name: findSubdivision(region)?.name ?? null, type: raw.type, rate, combinedRate: addDecimals(national, rate) };
    })
    .sort((a, b) => (a.region < b.region ? -1 : 1));
  return { country, currency: entry.currency!, national: { type: entry.type, rate: national }, regions, source: `sales-tax ${VERSION}` };
}
