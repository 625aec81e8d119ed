/**
 * Produces everything in `generated/` from the hand-written contract in `openapi/`:
 *
 * - `generated/openapi.yaml` — the single-file bundle (Redocly), input of the validator, the mock
 *   and the docs;
 * - `generated/schema.d.ts` — TypeScript types (openapi-typescript) used by server and client;
 * - `generated/docs.html` — self-contained Redoc page served at `/docs`;
 * - `generated/operations.ts`, `generated/problem-codes.ts`, `generated/test-instruments.ts` —
 *   facts the server and the client read from the contract (see `.ci/emit.ts`).
 *
 * `--check` regenerates into a temporary folder and exits 1 when `generated/` differs, so CI
 * fails when someone edits `openapi/` without regenerating (or edits `generated/` by hand).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { SCOPES_MARKER, TEST_INSTRUMENTS_MARKER, emitOperations, scopesTable, emitProblemCodes, emitTestInstruments, testInstrumentsTable, type BundledSpec } from './emit.ts';

const root = resolve(import.meta.dirname, '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const check = process.argv.includes('--check');
const outDir = check ? mkdtempSync(join(tmpdir(), 'tillpoint-generated-')) : join(root, 'generated');
mkdirSync(outDir, { recursive: true });

const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
function run(cmd: string, args: string[]): void {
  try {
    execFileSync(bin(cmd), args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(`${cmd} ${args.join(' ')} failed\n${e.stdout ?? ''}${e.stderr ?? ''}\n`);
    process.exit(1);
  }
}

const bundle = join(outDir, 'openapi.yaml');
run('redocly', ['bundle', 'openapi/openapi.yaml', '--output', bundle]);
let spec = parse(readFileSync(bundle, 'utf8')) as BundledSpec;
try {
  // The overview's table of test instruments is written from `x-test-instruments`, so the docs,
  // the bundle and the server's tables all come from that one place.
  const text = readFileSync(bundle, 'utf8');
  const marker = TEST_INSTRUMENTS_MARKER.exec(text);
  if (!marker) throw new Error('the overview has no x-test-instruments marker line');
  const indent = marker[1] ?? '';
  writeFileSync(bundle, text.replace(TEST_INSTRUMENTS_MARKER, testInstrumentsTable(spec).map((l) => indent + l).join('\n')));
  // Likewise the table of scopes, from the operations' clientToken requirements.
  const withInstruments = readFileSync(bundle, 'utf8');
  const scopesMarker = SCOPES_MARKER.exec(withInstruments);
  if (!scopesMarker) throw new Error('the overview has no x-scopes marker line');
  writeFileSync(bundle, withInstruments.replace(SCOPES_MARKER, scopesTable(spec).map((l) => (scopesMarker[1] ?? '') + l).join('\n')));
  spec = parse(readFileSync(bundle, 'utf8')) as BundledSpec;
  writeFileSync(join(outDir, 'operations.ts'), emitOperations(spec));
  writeFileSync(join(outDir, 'problem-codes.ts'), emitProblemCodes(spec));
  writeFileSync(join(outDir, 'test-instruments.ts'), emitTestInstruments(spec));
} catch (err) {
  process.stderr.write(`The contract is inconsistent: ${(err as Error).message}\n`);
  process.exit(1);
}
run('openapi-typescript', [bundle, '--output', join(outDir, 'schema.d.ts'), '--default-non-nullable', 'false']);
run('redocly', ['build-docs', bundle, '--output', join(outDir, 'docs.html'), '--inlineBundle', '--title', 'Tillpoint API reference']);

if (check) {
  const stale: string[] = [];
  for (const file of readdirSync(outDir)) {
    let committed = '';
    try {
      committed = readFileSync(join(root, 'generated', file), 'utf8');
    } catch {
      /* missing file counts as stale */
    }
    if (committed !== readFileSync(join(outDir, file), 'utf8')) stale.push(`generated/${file}`);
  }
  rmSync(outDir, { recursive: true, force: true });
  if (stale.length > 0) {
    process.stderr.write(`Out of date: ${stale.join(', ')}. Run \`npm run generate\` and commit the result.\n`);
    process.exit(1);
  }
  process.stdout.write('generated/ is in sync with openapi/\n');
} else {
  process.stdout.write(`generated/ written: openapi.yaml, schema.d.ts, docs.html, operations.ts, problem-codes.ts, test-instruments.ts\n`);
}
