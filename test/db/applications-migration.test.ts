/**
 * Migration 0004_applications on a database that already has merchants: each merchant gets a
 * default application carrying its old `merchants.client_id` (the one createSandboxMerchant
 * returned and npm start printed), then the column goes (the default application is its one
 * source). Migrations 0000–0003 are applied from a copy of the folder whose journal stops there.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { freshPostgresDatabase, type FreshDatabase } from '../support/postgres.ts';

const folder = resolve(import.meta.dirname, '../../server/db/migrations');
let database: FreshDatabase | undefined;
afterAll(async () => database?.drop());

it('gives every existing merchant a default application with its client id, then drops merchants.client_id', async () => {
  database = await freshPostgresDatabase(process.env.TEST_DATABASE_URL!, 'tp_migration', '');
  const before = mkdtempSync(join(tmpdir(), 'tp-migrations-'));
  cpSync(folder, before, { recursive: true });
  const journalPath = join(before, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === '0004_applications');
  expect(at).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));

  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  try {
    await migrate(drizzle(pool), { migrationsFolder: before });
    const clientIds = ['0123456789abcdefghijklmnopqrstuv', 'zyxwvutsrqponmlkjihgfedcba987654'];
    for (const [i, clientId] of clientIds.entries()) {
      await pool.query(`INSERT INTO merchants (id, name, client_id, api_secret_hash) VALUES ($1, $2, $3, 'x')`, [`mer_${i}`, `M${i}`, clientId]);
    }
    await migrate(drizzle(pool), { migrationsFolder: folder });
    const { rows } = await pool.query('SELECT id, merchant_id, client_id, is_default, redirect_uris FROM applications ORDER BY merchant_id');
    expect(rows).toEqual([
      { id: expect.stringMatching(/^app_[0-9a-f]{24}$/), merchant_id: 'mer_0', client_id: clientIds[0], is_default: true, redirect_uris: [] },
      { id: expect.stringMatching(/^app_[0-9a-f]{24}$/), merchant_id: 'mer_1', client_id: clientIds[1], is_default: true, redirect_uris: [] },
    ]);
    const column = await pool.query(`SELECT 1 FROM information_schema.columns WHERE table_name = 'merchants' AND column_name = 'client_id'`);
    expect(column.rowCount).toBe(0);
  } finally {
    await pool.end();
    rmSync(before, { recursive: true, force: true });
  }
});
