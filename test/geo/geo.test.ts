/**
 * The geo family: public ISO 3166-2 subdivisions from the `iso-3166` package. A few known values
 * are pinned so that a data update that breaks them is seen.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { asResult, expectProblem } from '../support/problems.ts';
import { startTestServer } from '../support/server.ts';
import { useTestServer } from '../support/use-test-server.ts';

const servers = useTestServer();

describe('listSubdivisions', () => {
  it('200 without any credential: the US states, ordered by code, US-CA is California', async () => {
    const r = await servers.server.anonymous().GET('/v1/geo/subdivisions', { params: { query: { country: 'US' } } });
    expect(r.response.status).toBe(200);
    expect(r.data).toMatchObject({ country: 'US', countryName: 'United States of America' });
    const codes = r.data!.data.map((s) => s.code);
    expect(codes).toEqual([...codes].sort());
    expect(r.data!.data).toContainEqual({ code: 'US-CA', name: 'California', parent: 'US' });
    expect(codes).toContain('US-DC');
    expect(codes.length).toBeGreaterThanOrEqual(50);
  });

  it('nested subdivisions name their parent subdivision (ES: Alicante is in the Valencian Community)', async () => {
    const r = await servers.server.anonymous().GET('/v1/geo/subdivisions', { params: { query: { country: 'ES' } } });
    expect(r.response.status).toBe(200);
    expect(r.data!.data).toContainEqual({ code: 'ES-A', name: 'Alicante', parent: 'ES-VC' });
    expect(r.data!.data.find((s) => s.code === 'ES-VC')).toMatchObject({ parent: 'ES' });
  });

  it('400 naming country for an unknown, malformed or missing code', async () => {
    for (const query of ['?country=ZZ', '?country=us', '?country=USA', '']) {
      const problem = expectProblem(await asResult(await servers.server.raw(`/v1/geo/subdivisions${query}`)), 400, 'invalid_request');
      expect(problem.errors?.[0]).toMatchObject({ parameter: 'country' });
    }
  });

  it('429 per IP beyond the public limit, with Retry-After', async () => {
    const limited = await startTestServer({ rateLimitPublic: 3 });
    onTestFinished(() => limited.close());
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await limited.raw('/v1/geo/subdivisions?country=FR');
      statuses.push(r.status);
      if (r.status === 429) expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
