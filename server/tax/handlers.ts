/** Handlers of the tax family: request → look-up → response. */
import type { OperationHandlers } from '../http/operations.ts';
import { taxRatesOf } from './rates.ts';

export const taxHandlers: Pick<OperationHandlers, 'getTaxRates'> = {
  async getTaxRates({ query }) {
    return { status: 200, body: taxRatesOf(query.country) };
  },
};
