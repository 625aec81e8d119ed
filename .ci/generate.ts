/**
 * Produces everything in `generated/` from the hand-written contract in `openapi/`:
 *
 * - `generated/openapi.yaml` — the single-file bundle (Redocly), input of the validator, the mock
 *   and the docs;
 * - `generated/schema.d.ts` — TypeScript types (openapi-typescript) used by server and client;
 * - `generated/docs.html` — self-contained Redoc page served at `/docs`;
 * - `generated/operations.ts`, `generated/problem-codes.ts`, `generated/test-instruments.ts` —
 *   facts the server and the client read from the contract (see `.ci/emit.ts`);
 * - `x-codeSamples` (curl, TypeScript, Python) of every operation in the bundle, and the
 *   TypeScript ones as `generated/code-samples.ts` (see `.ci/samples.ts`); the tags' display names
 *   and `x-tagGroups` (`openapi/navigation.yaml`), the overview's Errors table, `generated/llms.txt`
 *   and `generated/postman-collection.json` (see `.ci/docs.ts`).
 *
 * `--check` regenerates into a temporary folder and exits 1 when `generated/` differs, so CI
 * fails when someone edits `openapi/` without regenerating (or edits `generated/` by hand).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseDocument } from 'yaml';
import { ERRORS_MARKER, emitLlmsTxt, emitPostmanCollection, errorsTable, navigationFor, type Navigation } from './docs.ts';
import { codeSamples, emitTypeScriptSamples, sampleRequests } from './samples.ts';
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
  // And the Errors table, from the ProblemCode schema.
  const withScopes = readFileSync(bundle, 'utf8');
  const errorsMarker = ERRORS_MARKER.exec(withScopes);
  if (!errorsMarker) throw new Error('the overview has no x-problem-codes marker line');
  writeFileSync(bundle, withScopes.replace(ERRORS_MARKER, errorsTable(spec).map((l) => (errorsMarker[1] ?? '') + l).join('\n')));
  spec = parse(readFileSync(bundle, 'utf8')) as BundledSpec;
  // Code samples of every operation, navigation (display names, tag groups), written into the
  // bundle Redoc renders; the server's descriptions lose their Markdown (Redoc shows it as text).
  const navigation = parse(readFileSync(join(root, 'openapi/navigation.yaml'), 'utf8')) as Navigation;
  const { displayNames, tagGroups } = navigationFor(spec, navigation);
  const requests = sampleRequests(spec);
  const document = parseDocument(readFileSync(bundle, 'utf8'));
  for (const r of requests) document.setIn(['paths', r.path, r.method, 'x-codeSamples'], codeSamples(r));
  const tags = (spec as { tags?: { name: string }[] }).tags ?? [];
  tags.forEach((tag, i) => {
    const name = displayNames.get(tag.name);
    if (name) document.setIn(['tags', i, 'x-displayName'], name);
  });
  document.set('x-tagGroups', tagGroups);
  ((spec as { servers?: { description?: string }[] }).servers ?? []).forEach((server, i) => {
    if (server.description) document.setIn(['servers', i, 'description'], server.description.replace(/`/g, ''));
  });
  writeFileSync(bundle, document.toString({ lineWidth: 0 }));
  spec = parse(readFileSync(bundle, 'utf8')) as BundledSpec;
  writeFileSync(join(outDir, 'code-samples.ts'), emitTypeScriptSamples(requests, '// Generated by `npm run generate` (.ci/generate.ts, .ci/samples.ts) from generated/openapi.yaml. Do not edit by hand.\n'));
  writeFileSync(join(outDir, 'llms.txt'), emitLlmsTxt(spec, navigation));
  writeFileSync(join(outDir, 'postman-collection.json'), await emitPostmanCollection(spec, readFileSync(bundle, 'utf8')));
  writeFileSync(join(outDir, 'operations.ts'), emitOperations(spec));
  writeFileSync(join(outDir, 'problem-codes.ts'), emitProblemCodes(spec));
  writeFileSync(join(outDir, 'test-instruments.ts'), emitTestInstruments(spec));
} catch (err) {
  process.stderr.write(`The contract is inconsistent: ${(err as Error).message}\n`);
  process.exit(1);
}
run('openapi-typescript', [bundle, '--output', join(outDir, 'schema.d.ts'), '--default-non-nullable', 'false']);
run('redocly', ['build-docs', bundle, '--output', join(outDir, 'docs.html'), '--inlineBundle', '--title', 'Tillpoint API reference']);
// The page must render offline and load nothing from elsewhere: Redoc's attribution badge loads
// its logo from a CDN, so it gets an inline SVG naming Redocly instead (test/browser/docs.browser.test.ts).
{
  const docs = join(outDir, 'docs.html');
  const logo = (width: number) =>
    `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="16" viewBox="0 0 ${width} 16"><text x="0" y="12" font-family="sans-serif" font-size="12" fill="#0044d4">Redocly</text></svg>`)}`;
  const html = readFileSync(docs, 'utf8');
  const offline = html.replace('https://cdn.redoc.ly/redoc/logo-mini-full.svg', logo(48)).replace('https://cdn.redoc.ly/redoc/logo-mini.svg', logo(48));
  if (/https:\/\/cdn\.redoc\.ly\//.test(offline)) throw new Error('docs.html still loads from cdn.redoc.ly: update the replacement in .ci/generate.ts');
  writeFileSync(docs, offline);
}

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
  process.stdout.write(`generated/ written: openapi.yaml, schema.d.ts, docs.html, operations.ts, problem-codes.ts, test-instruments.ts, code-samples.ts, llms.txt, postman-collection.json\n`);
}
