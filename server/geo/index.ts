/**
 * The geo family: public ISO 3166 reference data (countries, subdivisions), used by address forms
 * and by the tax family for country checks and region names. Other families reach it only here.
 */
import { defineFamily } from '../http/family.ts';
import { geoHandlers } from './handlers.ts';

export { countryName, findSubdivision, type Subdivision } from './subdivisions.ts';

/** The geo family module. */
export const geo = defineFamily({ tag: 'geo', handlers: geoHandlers });
