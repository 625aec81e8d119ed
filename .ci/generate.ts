/**
 * Produces everything in `generated/` from the hand-written contract in `openapi/`:
 *
 * - `generated/openapi.yaml` — the single-file bundle (Redocly), input of the validator, the mock
 *   and the docs;
 * - `generated/schema.d.ts` — TypeScript types (openapi-typescript) used by server and client;
 * - `generated/docs.html` — self-contained Redoc page served at `/docs`.
 *
 * `--check` regenerates into a temporary folder and exits 1 when `generated/` differs, so CI
 * fails when someone edits `openapi/` without regenerating (or edits `generated/` by hand).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
  process.stdout.write(`generated/ written: openapi.yaml, schema.d.ts, docs.html\n`);
}
