import { query } from '../harness/database';

/**
 * Everything svc-sentry owns in the database, as one comparable value: used to show that a
 * rejected (4xx) request changed nothing.
 */
export async function dbSnapshot(url: string): Promise<string> {
  const tables: Record<string, string> = {
    attachments: 'SELECT * FROM attachments ORDER BY id',
    instances: 'SELECT * FROM instances ORDER BY id',
    keys: 'SELECT * FROM keys ORDER BY id',
    operations: 'SELECT * FROM operations ORDER BY id',
    bkpaas_records: 'SELECT * FROM bkpaas_records ORDER BY kind, id',
    jobs: `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'svc-sentry-reconcile'`,
  };
  const out: Record<string, unknown> = {};
  for (const [name, sql] of Object.entries(tables)) out[name] = await query(url, sql);
  return JSON.stringify(out);
}
