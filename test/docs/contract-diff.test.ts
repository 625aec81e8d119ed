/**
 * `npm run contract:diff` on a throwaway git repository holding the real bundle: it fails on a
 * removed required response field and names it, passes additive changes (a new operation, new
 * enum values), accepts a breaking change announced by `info.version`, and knows when there is
 * nothing to compare against.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const exec = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const original = readFileSync(join(root, 'generated/openapi.yaml'), 'utf8');
let repo: string;

async function git(...args: string[]) {
  await exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repo });
}

/** Writes a changed bundle into the work tree and runs the diff against HEAD. */
async function diffAfter(change: (spec: Record<string, any>) => void, args = ['HEAD']) {
  const spec = parse(original) as Record<string, any>;
  change(spec);
  writeFileSync(join(repo, 'generated/openapi.yaml'), stringify(spec));
  try {
    const { stdout } = await exec(join(root, 'node_modules/.bin/tsx'), [join(root, '.ci/contract-diff.ts'), ...args], { cwd: repo });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'tillpoint-contract-diff-'));
  mkdirSync(join(repo, 'generated'));
  writeFileSync(join(repo, 'generated/openapi.yaml'), original);
  await git('init', '-q');
  await git('add', '.');
  await git('commit', '-qm', 'bundle');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('npm run contract:diff', () => {
  it('fails on a response field that is no longer required, naming it', async () => {
    const { code, out } = await diffAfter((s) => {
      s.components.schemas.Payment.required = s.components.schemas.Payment.required.filter((f: string) => f !== 'currency');
    });
    expect(code).toBe(1);
    expect(out).toMatch(/Breaking changes \(\d+\):\n {2}POST \/v1\/payments\n {4}- \[Removed\] required status from `currency`/);
    expect(out).toContain('GET /v1/payments/{paymentId}');
  });

  it('passes a new operation, new enum values and a new event variant, listing them as non-breaking', async () => {
    // Names no family uses (an existing path or value would not be an addition).
    const { code, out } = await diffAfter((s) => {
      for (const [values, value] of [[s.components.schemas.ProblemCode.enum, 'contract_diff_probe'], [s.components.schemas.EventType.enum, 'contract_diff.probed']] as const) {
        if (values.includes(value)) throw new Error(`the contract already has ${value}: pick another probe name`);
      }
      if (s.paths['/v1/contract-diff-probes']) throw new Error('the contract already has /v1/contract-diff-probes');
      s.components.schemas.ProblemCode.enum.splice(3, 0, 'contract_diff_probe');
      s.components.schemas.EventType.enum.push('contract_diff.probed');
      s.components.schemas.Event.oneOf.push({ type: 'object', required: ['type'], properties: { type: { const: 'contract_diff.probed' } } });
      s.paths['/v1/contract-diff-probes'] = { get: { operationId: 'listContractDiffProbes', tags: ['sandbox'], summary: 'List probes', responses: { '200': { description: 'One page of probes.' } } } };
    });
    expect(code, out).toBe(0);
    expect(out).toContain('[Added] operation GET /v1/contract-diff-probes');
    expect(out).toContain('components.schemas.ProblemCode: enum values added: "contract_diff_probe"');
    expect(out).toContain('components.schemas.EventType: enum values added: "contract_diff.probed"');
    expect(out).toContain('components.schemas.Event: oneOf variants added: {"type":"object"');
    expect(out).toMatch(/^0 breaking/m);
  });

  it('accepts a breaking change announced by a new minor version while at 0.x', async () => {
    const { code, out } = await diffAfter((s) => {
      s.info.version = '0.2.0';
      delete s.paths['/v1/balance'];
    });
    expect(code, out).toBe(0);
    expect(out).toContain('[Removed] operation GET /v1/balance');
    expect(out).toContain('acknowledged by the version bump 0.1.0 → 0.2.0');
  });

  it('says there is nothing to compare against when the ref is missing: exit 0 with --allow-missing, 2 without', async () => {
    const allowed = await diffAfter(() => {}, ['HEAD~1', '--allow-missing']);
    expect(allowed.code).toBe(0);
    expect(allowed.out).toContain('HEAD~1 is not a commit of this clone');
    expect((await diffAfter(() => {}, ['HEAD~1'])).code).toBe(2);
  });
});
