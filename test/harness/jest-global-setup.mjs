// Starts one real PostgreSQL for the whole Jest run (embedded-postgres, or DATABASE_URL when given).
// Runs natively in Node (not through Jest's module system, which cannot load embedded-postgres).
import { createRequire } from 'node:module';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.SVC_SENTRY_TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const compiled = join(root, 'dist', 'src', 'database', 'embedded-postgres.js');
  if (!existsSync(compiled)) throw new Error('dist/ is missing: run `npm run build` first (npm test does it for you)');
  const require = createRequire(import.meta.url);
  const { startEmbeddedPostgres } = require(compiled);
  // Under /tmp so the postgres user can reach it when the tests run as root.
  const dataDir = mkdtempSync(join(tmpdir(), 'svc-sentry-test-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir, fast: true, database: 'postgres_template' });
  globalThis.__SVC_SENTRY_PG__ = { pg, dataDir };
  process.env.SVC_SENTRY_TEST_DATABASE_URL = pg.url;
}
