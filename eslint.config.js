// ESLint flat config: the boundaries between families of the reference server, and little else
// (TypeScript checks the rest). Part of `npm run lint`, with redocly lint and the madge cycle check.
//
// A family is a module listed in server/families.ts (`import { x } from './<family>/index.ts'`),
// so the list below is read from that registry, never kept by hand. Shared mechanisms
// (server/{db,http,errors,ledger,idempotency,money,outbox,clock,...}) are not families.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const root = dirname(fileURLToPath(import.meta.url));
const serverDir = resolve(root, 'server');
const registry = readFileSync(resolve(serverDir, 'families.ts'), 'utf8');
const families = new Set([...registry.matchAll(/from '\.\/([\w-]+)\/index\.ts'/g)].map((m) => m[1]));

/** The family folder a path lies in (`server/<family>/…`), or undefined. */
function familyOf(file) {
  const rel = relative(serverDir, file);
  if (rel.startsWith('..')) return undefined;
  const [first, ...rest] = rel.split(sep);
  return rest.length > 0 && families.has(first) ? first : undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const familyBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: "A family reaches another family only through that family's index.ts" },
    messages: {
      internal: "{{from}} may not import {{target}}: another family's internals. Import from '{{index}}' (export what you need there).",
      barrel: "{{from}} may not import server/db/schema.ts (every family's tables): import your own ./schema.ts, or another family's index.ts.",
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const own = familyOf(file);
    if (!own) return {};
    const check = (node) => {
      const source = node.source;
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = resolve(dirname(file), source.value);
      const rel = relative(serverDir, target).split(sep).join('/');
      if (rel === 'db/schema.ts') {
        context.report({ node: source, messageId: 'barrel', data: { from: `server/${own}` } });
        return;
      }
      const other = familyOf(target);
      if (other && other !== own && rel !== `${other}/index.ts`) {
        const index = relative(dirname(file), resolve(serverDir, other, 'index.ts')).split(sep).join('/');
        context.report({ node: source, messageId: 'internal', data: { from: `server/${own}`, target: `server/${rel}`, index } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default [
  { ignores: ['node_modules/**', 'generated/**', 'reference/**', 'dist/**', 'coverage/**'] },
  {
    files: ['server/**/*.ts'],
    languageOptions: { parser: tseslint.parser, sourceType: 'module', ecmaVersion: 'latest' },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    plugins: { tillpoint: { rules: { 'family-boundaries': familyBoundaries } } },
    rules: {
      'tillpoint/family-boundaries': 'error',
    },
  },
];
