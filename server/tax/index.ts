/** The tax family: public, indicative consumption-tax rates per country for pre-checkout display. */
import { defineFamily } from '../http/family.ts';
import { taxHandlers } from './handlers.ts';

/** The tax family module. */
export const tax = defineFamily({ tag: 'tax', handlers: taxHandlers });
