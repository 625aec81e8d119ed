/**
 * Countries and their subdivisions from the maintained `iso-3166` package (ISO 3166-1 and
 * 3166-2, read offline): the source of truth for country codes and subdivision names.
 *
 * Source: listSubdivisions.
 */
import { iso31661, iso31662 } from 'iso-3166';
import { ProblemError } from '../errors/problem.ts';

/** One ISO 3166-2 subdivision: code (`US-CA`), name, and the code it belongs to (`US`, or a parent subdivision). */
export interface Subdivision {
  code: string;
  name: string;
  parent: string;
}

const countries = new Map(iso31661.map((c) => [c.alpha2, c.name]));
const byCountry = new Map<string, Subdivision[]>();
const byCode = new Map<string, Subdivision>();
for (const s of [...iso31662].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))) {
  const country = s.code.slice(0, 2);
  const entry = { code: s.code, name: s.name, parent: s.parent };
  byCode.set(s.code, entry);
  const list = byCountry.get(country) ?? [];
  list.push(entry);
  byCountry.set(country, list);
}

/**
 * The ISO 3166-1 name of an assigned alpha-2 country code.
 * @throws ProblemError 400 `invalid_request` naming the `country` parameter when the code is not an assigned country.
 */
export function countryName(code: string): string {
  const name = countries.get(code);
  if (!name) {
    throw new ProblemError('invalid_request', `Invalid country: ${code} is not an ISO 3166-1 alpha-2 country code.`, [
      { parameter: 'country', detail: 'is not an assigned ISO 3166-1 alpha-2 country code' },
    ]);
  }
  return name;
}

/**
 * Every subdivision of a country, ordered by code (empty for countries without any).
 * @throws ProblemError 400 when `country` is not an assigned ISO 3166-1 code (see {@link countryName}).
 */
export function subdivisionsOf(country: string): { countryName: string; subdivisions: readonly Subdivision[] } {
  return { countryName: countryName(country), subdivisions: byCountry.get(country) ?? [] };
}

/** The subdivision with this ISO 3166-2 code (`US-CA`), if ISO 3166-2 lists it. */
export function findSubdivision(code: string): Subdivision | undefined {
  return byCode.get(code);
}
