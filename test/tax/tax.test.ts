/**
 * The tax family: public rates from the `sales-tax` package as exact decimal strings. Known
 * values are pinned (GB 20 % VAT, Canadian GST plus provincial taxes, US state rates, the Spanish
 * territories that replace VAT) so that a data update that breaks them is seen.
 */
import { describe, expect, it } from 'vitest';
import { addDecimals, decimalOf } from '../../server/tax/rates.ts';
import { asResult, expectProblem } from '../support/problems.ts';
import { useTestServer } from '../support/use-test-server.ts';

const servers = useTestServer();

async function rates(country: string) {
  const r = await servers.server.anonymous().GET('/v1/tax/rates', { params: { query: { country } } });
  expect(r.response.status).toBe(200);
  return r.data!;
}

describe('getTaxRates', () => {
  it("GB: 20 % VAT, as the exact string '0.2', no regions, no credential needed", async () => {
    const gb = await rates('GB');
    expect(gb).toMatchObject({ country: 'GB', currency: 'GBP', national: { type: 'vat', rate: '0.2' }, regions: [] });
    expect(gb.source).toMatch(/^sales-tax \d+\.\d+\.\d+$/);
  });

  it('CA: GST 5 % nationally, British Columbia adds 7 % PST, combined exactly 0.12', async () => {
    const ca = await rates('CA');
    expect(ca.national).toEqual({ type: 'gst', rate: '0.05' });
    expect(ca.regions).toContainEqual({ region: 'CA-BC', name: 'British Columbia', type: 'pst', rate: '0.07', combinedRate: '0.12' });
  });

  it('US: no national rate, California 8.25 % by state; every combined rate is national + regional exactly', async () => {
    const us = await rates('US');
    expect(us.national).toEqual({ type: 'none', rate: '0' });
    expect(us.regions).toContainEqual(expect.objectContaining({ region: 'US-CA', name: 'California', rate: '0.0825', combinedRate: '0.0825' }));
    for (const r of us.regions) expect(r.combinedRate).toBe(addDecimals(us.national.rate, r.rate));
  });

  it('ES: Ceuta removes the national VAT (combined 0), every rate a plain decimal string', async () => {
    const es = await rates('ES');
    expect(es.national).toEqual({ type: 'vat', rate: '0.21' });
    expect(es.regions).toContainEqual(expect.objectContaining({ region: 'ES-CE', rate: '-0.21', combinedRate: '0' }));
    for (const r of [es.national, ...es.regions]) expect(r.rate).toMatch(/^-?\d+(\.\d+)?$/);
  });

  it('400 naming country for an unknown or malformed code; 404 for a country the data does not cover', async () => {
    for (const query of ['?country=ZZ', '?country=gb', '']) {
      const problem = expectProblem(await asResult(await servers.server.raw(`/v1/tax/rates${query}`)), 400, 'invalid_request');
      expect(problem.errors?.[0]).toMatchObject({ parameter: 'country' });
    }
    expectProblem(await asResult(await servers.server.raw('/v1/tax/rates?country=AQ')), 404, 'not_found');
  });
});

describe('exact decimal arithmetic', () => {
  it('keeps the digits the data was written with and adds without binary rounding', () => {
    expect(decimalOf(0.0825)).toBe('0.0825');
    expect(decimalOf(0.09975)).toBe('0.09975');
    expect(addDecimals('0.05', '0.09975')).toBe('0.14975');
    expect(addDecimals('0.1', '0.2')).toBe('0.3'); // 0.1 + 0.2 is 0.30000000000000004 in floats
    expect(addDecimals('0.21', '-0.21')).toBe('0');
    expect(addDecimals('0.07', '-0.14')).toBe('-0.07');
  });
});
