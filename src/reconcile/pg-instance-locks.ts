import { Pool, PoolClient } from 'pg';
import { InstanceLocks } from './reconcile-queue';

/**
 * Per-instance mutual exclusion with PostgreSQL session advisory locks: held on a dedicated
 * connection while a pass runs, released by PostgreSQL itself if the worker dies.
 *
 * The connection can die while a pass runs (PostgreSQL restarted, network cut). Then the lock is
 * gone with it and another replica may take it: the pass is told through `signal` (aborted with
 * reason `lock lost`) and must stop before its next step; the caller requeues the instance.
 * The dead client is discarded, never returned to the pool.
 */
export class PgInstanceLocks extends InstanceLocks {
  private readonly pool: Pool;

  constructor(url: string, size: number) {
    super();
    this.pool = new Pool({ connectionString: url, max: size, application_name: 'svc-sentry-locks' });
    // Idle clients that lose their connection: the pool drops them; nothing else to do.
    this.pool.on('error', () => undefined);
  }

  async withLock<T>(instanceId: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T | 'busy'> {
    const client: PoolClient = await this.pool.connect();
    const lease = new AbortController();
    let broken = false;
    // A checked-out client emits `error` on connection loss; unhandled, it would end the process.
    const onError = (e: Error) => {
      broken = true;
      if (!lease.signal.aborted) lease.abort(new LockLost(instanceId, e));
    };
    client.on('error', onError);
    const key = `svc-sentry:instance:${instanceId}`;
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
      if (!rows[0].ok) return 'busy';
      try {
        return await fn(lease.signal);
      } finally {
        if (!broken) {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => {
            broken = true;
          });
        }
      }
    } catch (e) {
      if (broken) throw lease.signal.reason ?? e;
      throw e;
    } finally {
      client.off('error', onError);
      // Released as broken, the client is destroyed (and with it any lock it might still hold).
      client.release(broken || undefined);
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.pool.end();
  }
}

/** The lock's connection died during a pass: another worker may hold the lock now. */
export class LockLost extends Error {
  constructor(
    readonly instanceId: string,
    cause: Error,
  ) {
    super(`lost the lock of instance ${instanceId}: ${cause.message}`, { cause });
    this.name = 'LockLost';
  }
}
