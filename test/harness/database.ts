import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { runMigrations } from '../../src/database/database';

/** A fresh, migrated database on the test PostgreSQL (one per suite, so suites never see each other's rows). */
export async function freshDatabase(prefix = 't'): Promise<{ url: string; drop: () => Promise<void> }> {
  const db = await emptyDatabase(prefix);
  await runMigrations(db.url);
  return db;
}

/** A fresh database with no schema at all on the test PostgreSQL (for tests of migrations and start-up). */
export async function emptyDatabase(prefix = 't'): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.SVC_SENTRY_TEST_DATABASE_URL;
  if (!base) throw new Error('SVC_SENTRY_TEST_DATABASE_URL is not set: run the suites through Jest (globalSetup starts PostgreSQL)');
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new Client(base);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new Client(base);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * Makes the test PostgreSQL refuse new connections to the database at `url` and ends the open ones, as a restart of
 * PostgreSQL does; the function it returns lets the database accept connections again.
 */
export async function refuseConnections(url: string): Promise<() => Promise<void>> {
  const admin = process.env.SVC_SENTRY_TEST_DATABASE_URL;
  if (!admin) throw new Error('SVC_SENTRY_TEST_DATABASE_URL is not set: run the suites through Jest (globalSetup starts PostgreSQL)');
  const name = new URL(url).pathname.slice(1);
  const allow = (on: boolean) => query(admin, `ALTER DATABASE ${name} ALLOW_CONNECTIONS ${on}`).then(() => undefined);
  await allow(false);
  await query(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
  return () => allow(true);
}

/** Runs one query against a database and returns its rows (for assertions on what was written). */
export async function query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client(url);
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}
