import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from '../instances/entities';

/**
 * How long a statement waits for a pooled connection, or for a new one to open. Under a load the machine cannot carry
 * (bench:api at 200 requests/s on 2 cores), waiting without a bound let requests queue for 10 s and more, and time out
 * at the client with nothing said; past this wait the store answers DatabaseUnavailable (REST 503).
 */
export const POOL_WAIT_MS = 5_000;

export function dataSourceOptions(url: string, poolSize = 20, poolWaitMs = POOL_WAIT_MS): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'svc_sentry_migrations',
    synchronize: false,
    migrationsRun: false,
    // Pipelined connections: a statement goes out at once, without waiting for the answer to the one before, so a
    // module transaction sends what does not depend on an answer together (bench:api: 11 round trips per toggle to 3).
    extra: { max: poolSize, application_name: 'svc-sentry', pipeline: true, connectionTimeoutMillis: poolWaitMs },
  };
}

/** Fixed advisory-lock ids: schema migrations, and other singleton work. */
export const LOCKS = { migrations: 727_001 } as const;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so several replicas starting
 * together migrate once and the others wait, then find nothing to do.
 */
export async function runMigrations(url: string, log: (msg: string) => void = () => undefined): Promise<string[]> {
  const ds = new DataSource({ ...dataSourceOptions(url, 2), migrationsTransactionMode: 'each' });
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [LOCKS.migrations]);
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      for (const m of ran) log(`applied migration ${m.name}`);
      return ran.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [LOCKS.migrations]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}
