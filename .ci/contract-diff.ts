/**
 * `npm run contract:diff -- [<git ref>] [--allow-missing]`: what changed in the bundled contract
 * (`generated/openapi.yaml` of the work tree) since a git ref, classified by api-smart-diff
 * (https://github.com/udamir/api-smart-diff) as breaking, non-breaking, deprecated or annotation.
 *
 * - `<git ref>`: default the last tag (`git describe --tags --abbrev=0`), else `HEAD~1`.
 * - Prints every breaking and non-breaking change (one line each, grouped by where it appears),
 *   and a count of the annotation-only ones (descriptions, examples, code samples).
 * - Exits 1 when a change is breaking, unless `info.version` was bumped accordingly (a new major
 *   version, or a new minor version while the major is 0, as semver allows): then the breaking
 *   changes are printed as acknowledged and it exits 0.
 * - `--allow-missing`: the ref, or its bundle, not existing (the first commit, a shallow clone, a
 *   ref from before the bundle was committed) is not an error: it says so and exits 0. Without
 *   it, that exits 2.
 *
 * Why not `openapi-diff`: it reads only Swagger 2.0 and OpenAPI 3.0 ("Unsupported OpenAPI
 * version: 3.1.0"), and the contract is 3.1.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiCompare } from 'api-smart-diff';
import { parse } from 'yaml';

/** The repository: the working directory (npm run runs scripts from the package root). */
const root = process.cwd();
const BUNDLE = 'generated/openapi.yaml';

const args = process.argv.slice(2).filter((a) => a !== '--');
const allowMissing = args.includes('--allow-missing');
const positional = args.filter((a) => !a.startsWith('--'));
if (positional.length > 1 || args.some((a) => a.startsWith('--') && a !== '--allow-missing')) {
  process.stderr.write('usage: npm run contract:diff -- [<git ref>] [--allow-missing]\n');
  process.exit(2);
}

function git(...argv: string[]): string | undefined {
  try {
    return execFileSync('git', argv, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  } catch {
    return undefined;
  }
}

const ref = positional[0] ?? git('describe', '--tags', '--abbrev=0')?.trim() ?? 'HEAD~1';
const missing = (why: string): never => {
  process.stdout.write(`contract:diff: ${why}; nothing to compare against.\n`);
  process.exit(allowMissing ? 0 : 2);
};
const commit = git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`)?.trim();
if (!commit) missing(`${ref} is not a commit of this clone (first commit, or a shallow clone: git fetch --deepen=1)`);
const beforeText = git('show', `${commit}:${BUNDLE}`);
if (beforeText === undefined) missing(`${ref} (${commit!.slice(0, 12)}) has no ${BUNDLE}`);

type Spec = { info?: { version?: string } } & Record<string, unknown>;
const before = parse(beforeText!) as Spec;
const after = parse(readFileSync(join(root, BUNDLE), 'utf8')) as Spec;
const enumAdditions = setAsideEnumAdditions(before, after);
const { diffs } = apiCompare(before, after);

/**
 * The contract's rule for enums (overview, "Errors"): values may be added, in requests (a wider
 * input) and in responses (problem codes, event types, scopes, statuses: clients must accept
 * values they do not know); so may variants of a `oneOf`/`anyOf` (a new event type of `Event`). api-smart-diff calls an addition to a response enum breaking, and
 * compares arrays by index (an insertion reads as replacements), so every enum of `after` that
 * keeps all the values of its counterpart in `before` is compared as `before`'s array and its new
 * values are reported here as non-breaking. A removed value is left to api-smart-diff.
 */
function setAsideEnumAdditions(from: unknown, to: unknown, path: string[] = []): string[] {
  if (!from || !to || typeof from !== 'object' || typeof to !== 'object') return [];
  const found: string[] = [];
  const a = from as Record<string, unknown>;
  const b = to as Record<string, unknown>;
  if (Array.isArray(a.enum) && Array.isArray(b.enum)) {
    const old = a.enum as unknown[];
    const added = (b.enum as unknown[]).filter((v) => !old.some((o) => JSON.stringify(o) === JSON.stringify(v)));
    const kept = old.every((o) => (b.enum as unknown[]).some((v) => JSON.stringify(o) === JSON.stringify(v)));
    if (kept) {
      if (added.length > 0) found.push(`${path.join('.')}: enum values added: ${added.map((v) => JSON.stringify(v)).join(', ')}`);
      b.enum = old;
    }
  }
  // New variants of a union (an event type of `Event`, a payment method): the same rule.
  for (const union of ['oneOf', 'anyOf'] as const) {
    if (!Array.isArray(a[union]) || !Array.isArray(b[union])) continue;
    const old = (a[union] as unknown[]).map((v) => JSON.stringify(v));
    const now = (b[union] as unknown[]).map((v) => JSON.stringify(v));
    if (now.length > old.length && old.every((o) => now.includes(o))) {
      found.push(`${path.join('.')}: ${union} variants added: ${now.filter((v) => !old.includes(v)).map((v) => v.slice(0, 80)).join('; ')}`);
      b[union] = a[union];
    }
  }
  for (const key of Object.keys(b)) {
    if (key !== 'enum' && key in a) found.push(...setAsideEnumAdditions(a[key], b[key], [...path, key]));
  }
  return found;
}

const where = (path: (string | number)[]) => {
  if (path[0] === 'paths') return `${String(path[2] ?? '').toUpperCase()} ${String(path[1])}`.trim();
  if (path[0] === 'webhooks') return `webhook ${String(path[1])}`;
  return path.slice(0, 3).join('.');
};
const short = (v: unknown) => (v === undefined ? '' : JSON.stringify(v).slice(0, 80));
const describe = (d: (typeof diffs)[number]) => {
  const text = (d.description ?? '').replace(/\s+/g, ' ').trim();
  // api-smart-diff's wording is sometimes empty or says "annotation" for a real change: then
  // say what changed from the path and the values.
  const own = `[${d.action}] ${d.path.slice(-2).join('.')}${d.before !== undefined ? ` ${short(d.before)}` : ''}${d.after !== undefined ? ` → ${short(d.after)}` : ''}`;
  const good = text && !/annotation|^in |^\[\w+\]\s+in /i.test(text) && !text.includes('undefined');
  return `${good ? text : own} (${d.path.join('.')})`;
};

const byType = (type: string) => diffs.filter((d) => d.type === type);
const breaking = byType('breaking');
const nonBreaking = byType('non-breaking');
const deprecated = byType('deprecated');
const others = diffs.length - breaking.length - nonBreaking.length - deprecated.length;

function print(title: string, list: typeof diffs) {
  if (list.length === 0) return;
  process.stdout.write(`\n${title} (${list.length}):\n`);
  const groups = new Map<string, string[]>();
  for (const d of list) groups.set(where(d.path), [...(groups.get(where(d.path)) ?? []), describe(d)]);
  for (const [at, lines] of groups) {
    process.stdout.write(`  ${at}\n`);
    for (const line of lines) process.stdout.write(`    - ${line}\n`);
  }
}

process.stdout.write(`contract:diff: ${BUNDLE} at ${ref} (${commit!.slice(0, 12)}, version ${before.info?.version ?? '?'}) → work tree (version ${after.info?.version ?? '?'})\n`);
print('Breaking changes', breaking);
print('Deprecations', deprecated);
print('Non-breaking changes', nonBreaking);
if (enumAdditions.length > 0) process.stdout.write(`\nEnum values and union variants added (non-breaking by the contract's rule) (${enumAdditions.length}):\n${enumAdditions.map((l) => `  - ${l}\n`).join('')}`);
process.stdout.write(`\n${breaking.length} breaking, ${nonBreaking.length + enumAdditions.length} non-breaking, ${deprecated.length} deprecated, ${others} annotation or unclassified (descriptions, examples, code samples).\n`);

/** A version bump that announces breaking changes: a new major, or a new minor while at 0.x. */
function acknowledges(from = '0.0.0', to = '0.0.0'): boolean {
  const [fMajor = 0, fMinor = 0] = from.split('.').map(Number);
  const [tMajor = 0, tMinor = 0] = to.split('.').map(Number);
  return tMajor > fMajor || (tMajor === 0 && fMajor === 0 && tMinor > fMinor);
}

if (breaking.length > 0) {
  if (acknowledges(before.info?.version, after.info?.version)) {
    process.stdout.write(`Breaking changes acknowledged by the version bump ${before.info?.version} → ${after.info?.version}.\n`);
  } else {
    process.stderr.write(
      `contract:diff: ${breaking.length} breaking change(s) since ${ref}. Existing integrations would break: make the change additive, or bump info.version (major; minor while 0.x) to announce it.\n`,
    );
    process.exit(1);
  }
}
