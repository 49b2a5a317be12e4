import { Pool } from 'pg';
import { InstanceLocks } from './reconcile-queue';

/**
 * Per-instance mutual exclusion with PostgreSQL session advisory locks: held on a dedicated
 * connection while a pass runs, released by PostgreSQL itself if the worker dies.
 */
export class PgInstanceLocks extends InstanceLocks {
  private readonly pool: Pool;

  constructor(url: string, size: number) {
    super();
    this.pool = new Pool({ connectionString: url, max: size, application_name: 'svc-sentry-locks' });
    this.pool.on('error', () => undefined);
  }

  async withLock<T>(instanceId: string, fn: () => Promise<T>): Promise<T | 'busy'> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`svc-sentry:instance:${instanceId}`]);
      if (!rows[0].ok) return 'busy';
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`svc-sentry:instance:${instanceId}`]).catch(() => {
          broken = true;
        });
      }
    } finally {
      client.release(broken);
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.pool.end();
  }
}
