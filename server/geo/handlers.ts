/** Handlers of the geo family: request → look-up → response. */
import type { OperationHandlers } from '../http/operations.ts';
import { subdivisionsOf } from './subdivisions.ts';

export const geoHandlers: Pick<OperationHandlers, 'listSubdivisions'> = {
  async listSubdivisions({ query }) {
    const { countryName, subdivisions } = subdivisionsOf(query.country);
    return { status: 200, body: { country: query.country, countryName, data: [...subdivisions] } };
  },
};
