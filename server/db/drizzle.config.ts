import { defineConfig } from 'drizzle-kit';

/**
 * drizzle-kit configuration: `npm run db:generate` writes SQL migrations (offline) from the
 * tables of every family and shared mechanism, each in its folder's `schema.ts`
 * (`server/db/schema.ts` only re-exports them).
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./server/*/schema.ts', '!./server/db/schema.ts'],
  out: './server/db/migrations',
});
