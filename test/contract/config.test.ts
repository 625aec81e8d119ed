/**
 * The README's configuration table is the one place environment variables are described: every
 * variable the server reads (in `server/config.ts`, the only module reading the environment)
 * must have a row there, and every row must name a variable the server reads.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';

const ROOT = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/**
 * A server file's text without the lines marked `// env-write`: the embedded cluster points
 * `TMPDIR` at a private directory while initdb runs (a write for a library, not configuration).
 */
function serverText(file: string): string {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !line.includes('// env-write'))
    .join('\n');
}

/** Variables read by server code: `env.NAME`, `env['NAME']`, `…FromEnv(env, 'NAME', …)`. */
function variablesRead(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of sources(join(ROOT, 'server'))) {
    const text = serverText(file);
    for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])|FromEnv\(\s*env\s*,\s*['"]([A-Z][A-Z0-9_]+)['"]/g)) {
      const name = m[1] ?? m[2] ?? m[3]!;
      found.set(name, [...(found.get(name) ?? []), file.slice(ROOT.length + 1)]);
    }
  }
  return found;
}

/** Variables with a row in the README's "Configuration" table (first column, back-quoted). */
function variablesDocumented(): Set<string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const table = section.slice(0, section.indexOf('\n## ', 5));
  const names = new Set<string>();
  for (const line of table.split('\n').filter((l) => l.startsWith('| `'))) {
    const first = line.split('|')[1]!;
    for (const m of first.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(m[1]!);
  }
  return names;
}

describe('configuration', () => {
  it('every variable the server reads is in the README table, and every row is read', () => {
    const read = variablesRead();
    const documented = variablesDocumented();
    expect(read.size).toBeGreaterThan(10);
    expect([...read.keys()].filter((v) => !documented.has(v)), 'read but not documented').toEqual([]);
    expect([...documented].filter((v) => !read.has(v)), 'documented but never read').toEqual([]);
  });

  it('only server/config.ts reads the environment', () => {
    const elsewhere = sources(join(ROOT, 'server')).filter(
      (f) => !f.endsWith('server/config.ts') && /process(\.env\b|\[['"]env['"]\])|\{\s*env\s*\}\s*=\s*process/.test(serverText(f).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')),
    );
    expect(elsewhere).toEqual([]);
  });

  it('is frozen, with every default, and rejects invalid values naming the variable', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(config).toMatchObject({ mode: 'sandbox', port: 3000, dataDir: '.data', rateLimitAuthenticated: 100, rateLimitPublic: 300, webConcurrency: 1, databasePoolSize: 10 });
    expect(config.webhooks).toEqual({ timeoutMs: 10_000, leaseMs: 70_000, batchSize: 50, concurrency: 16 });
    expect(config.demo.credentialsFile).toBe('.data/demo-credentials.json');
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ TILLPOINT_MODE: 'prod' })).toThrow(/TILLPOINT_MODE/);
    expect(() => loadConfig({ WEB_CONCURRENCY: '0' })).toThrow(/WEB_CONCURRENCY/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ RATE_LIMIT_AUTHENTICATED: '0', WEB_CONCURRENCY: '2' })).toMatchObject({ rateLimitAuthenticated: 0, webConcurrency: 2 });
  });
});
