/**
 * The docs never lie: every curl sample (run by curl in a child process), every TypeScript
 * sample (run in process through the real client, `generated/code-samples.ts`) and every Python
 * sample (run by Debian's python3 with `requests`, PYTHON to use another) of every operation is sent to the reference server with a fresh sandbox merchant's credentials and the
 * ids it needs (test/docs/sample-fixtures.ts), and must get the documented success status.
 *
 * Operations are picked up from the contract: a new one is run without touching this file, and
 * one whose samples need something the fixtures do not provide fails with a message naming the
 * operation and what to add.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPERATIONS, operationForUrl, TillpointError, type OperationId } from '../../client/index.ts';
import { SAMPLE_REQUESTS, TYPESCRIPT_SAMPLES, type SampleEnv } from '../../generated/code-samples.ts';
import { useTestServer } from '../support/use-test-server.ts';
import { OPERATION_FIXTURES, PLACEHOLDERS, type FixtureContext } from './sample-fixtures.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const bundle = parse(readFileSync(join(root, 'generated/openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { operationId?: string; 'x-codeSamples'?: { lang: string; label: string; source: string }[] }>>;
};
const work = mkdtempSync(join(tmpdir(), 'tillpoint-samples-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const { server } = useTestServer();
const operationIds = Object.keys(OPERATIONS) as OperationId[];

function samplesOf(id: OperationId) {
  const { method, path } = OPERATIONS[id];
  return bundle.paths[path]?.[method]?.['x-codeSamples'] ?? [];
}

/** The status the samples of an operation must get. */
const expectedStatus = (id: OperationId) => OPERATION_FIXTURES[id]?.status ?? SAMPLE_REQUESTS[id].status;

/** Fills every placeholder an operation's samples read, for a new sandbox merchant. */
async function placeholdersFor(id: OperationId): Promise<SampleEnv & Record<string, string>> {
  const { merchant, client } = await server.newMerchant(`Samples ${id}`);
  const values = new Map<string, Promise<string>>();
  const own = OPERATION_FIXTURES[id]?.placeholders ?? {};
  const ctx: FixtureContext = {
    server,
    merchant,
    client,
    get(variable) {
      let value = values.get(variable);
      if (!value) {
        const fixture = own[variable] ?? PLACEHOLDERS[variable];
        if (!fixture) {
          throw new Error(
            `${id}: its code samples read the placeholder ${variable}, which test/docs/sample-fixtures.ts does not say how to obtain. ` +
              `Add PLACEHOLDERS.${variable} (e.g. create the object with ctx.client and return its id), or OPERATION_FIXTURES.${id}.placeholders.${variable}.`,
          );
        }
        value = fixture(ctx);
        values.set(variable, value);
      }
      return value;
    },
  };
  const env: Record<string, string> = {};
  for (const variable of SAMPLE_REQUESTS[id].variables) env[variable] = await ctx.get(variable);
  return env;
}

const hint = (id: OperationId) =>
  OPERATION_FIXTURES[id]
    ? ` (OPERATION_FIXTURES.${id}: ${OPERATION_FIXTURES[id].reason})`
    : `. If the contract's first request example cannot succeed on a fresh merchant, mark the value a running flow must give with x-sample-variable in the contract (and add it to PLACEHOLDERS), or add OPERATION_FIXTURES.${id} in test/docs/sample-fixtures.ts (placeholders or another documented status, with the reason); see server/README.md.`;

describe('code samples', () => {
  it('every operation has a curl, a TypeScript and a Python sample, and the fixtures name only what exists', () => {
    for (const id of operationIds) {
      expect(samplesOf(id).map((s) => s.label), id).toEqual(['curl', 'TypeScript', 'Python']);
      expect(TYPESCRIPT_SAMPLES, `generated/code-samples.ts lacks ${id}: run npm run generate`).toHaveProperty(id);
    }
    expect(Object.keys(TYPESCRIPT_SAMPLES).sort()).toEqual([...operationIds].sort());
    const stale = Object.keys(OPERATION_FIXTURES).filter((id) => !(id in OPERATIONS));
    expect(stale, 'OPERATION_FIXTURES entries for operations the contract no longer has').toEqual([]);
    const read = new Set(Object.values(SAMPLE_REQUESTS).flatMap((r) => r.variables as readonly string[]));
    const unused = Object.keys(PLACEHOLDERS).filter((v) => !v.startsWith('TILLPOINT_') && !read.has(v));
    expect(unused, 'PLACEHOLDERS no sample reads any more').toEqual([]);
    for (const [id, fixture] of Object.entries(OPERATION_FIXTURES)) {
      if (fixture.status === undefined) continue;
      const { method, path } = OPERATIONS[id as OperationId];
      expect(Object.keys((bundle.paths[path]![method] as { responses: object }).responses), `OPERATION_FIXTURES.${id}.status is not documented`).toContain(String(fixture.status));
    }
  });

  describe.each(operationIds)('%s', (id) => {
    it(`the curl sample gets the documented status`, async () => {
      const source = samplesOf(id).find((s) => s.label === 'curl')!.source;
      const env = await placeholdersFor(id);
      const out = join(work, `${id}.curl.out`);
      const { stdout } = await run('bash', ['-c', `${source} \\\n  -o "$SAMPLE_OUT" -w '%{http_code}'`], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env, SAMPLE_OUT: out },
      });
      const status = Number(stdout.trim());
      if (status !== expectedStatus(id)) {
        let body = '';
        try {
          body = readFileSync(out, 'utf8').slice(0, 600);
        } catch {
          /* no body */
        }
        expect.fail(`${id}: the curl sample got ${status}, the documented status is ${expectedStatus(id)}: ${body}${hint(id)}`);
      }
    });

    it(`the Python sample gets the documented status`, async () => {
      const source = samplesOf(id).find((s) => s.label === 'Python')!.source;
      const env = await placeholdersFor(id);
      // The sample as shown, then one line reporting the status it got (raise_for_status has
      // already thrown, naming the status, when it was not a success).
      const program = `${source}\nimport sys\nsys.stderr.write("\\nSTATUS %d\\n" % response.status_code)\n`;
      let output: string;
      try {
        const { stdout, stderr } = await run(process.env.PYTHON ?? '/usr/bin/python3', ['-c', program], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
        output = stdout + stderr;
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        output = `${e.stdout ?? ''}${e.stderr ?? e.message}`;
      }
      const status = Number(/STATUS (\d{3})/.exec(output)?.[1] ?? /(\d{3}) (?:Client|Server) Error/.exec(output)?.[1] ?? NaN);
      if (status !== expectedStatus(id)) {
        expect.fail(`${id}: the Python sample got ${Number.isNaN(status) ? 'no response' : status}, the documented status is ${expectedStatus(id)}: ${output.slice(-600)}${hint(id)}`);
      }
    });

    it(`the TypeScript sample gets the documented status`, async () => {
      const env = await placeholdersFor(id);
      const { method } = OPERATIONS[id];
      const statuses: number[] = [];
      const realFetch = globalThis.fetch;
      globalThis.fetch = async (input, init) => {
        const response = await realFetch(input, init);
        const request = input instanceof Request ? input : new Request(input, init);
        if (operationForUrl(request.method, request.url)?.operationId === id && request.method.toLowerCase() === method) statuses.push(response.status);
        return response;
      };
      let failure: unknown;
      try {
        await TYPESCRIPT_SAMPLES[id](env);
      } catch (err) {
        failure = err;
      } finally {
        globalThis.fetch = realFetch;
      }
      const status = statuses.at(-1);
      if (status !== expectedStatus(id)) {
        const detail = failure instanceof TillpointError ? failure.message : failure instanceof Error ? failure.message : '';
        expect.fail(`${id}: the TypeScript sample got ${status ?? 'no response'}, the documented status is ${expectedStatus(id)}: ${detail}${hint(id)}`);
      }
      if (status < 400) expect(failure, `${id}: the TypeScript sample threw`).toBeUndefined();
    });
  });
});
