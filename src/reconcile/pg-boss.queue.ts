import { Client, escapeLiteral } from 'pg';
import PgBoss from 'pg-boss';
import { ReconcileConfig } from '../config/config.schema';
import { LOCKS } from '../database/database';
import { ReconcileQueue, SqlExecutor } from './reconcile-queue';

export const RECONCILE_QUEUE = 'svc-sentry-reconcile';
/**
 * The repairs resync finds: a queue of their own, worked by their own (fewer) slots. A priority alone would not do:
 * a slot holding a repair that waits for the resync lane cannot be taken back, so with every slot on repairs a
 * user's job would wait for one to finish.
 */
export const REPAIR_QUEUE = 'svc-sentry-reconcile-resync';
export const RESYNC_QUEUE = 'svc-sentry-resync';

export interface ReconcileJob {
  instanceId: string;
}

/**
 * pg-boss priorities of reconcile jobs (its fetch takes the highest first): what users asked for (toggles, platform
 * requests, their retries and requeues) before what resync found. A user's job for an instance whose resync job is
 * still waiting promotes that job instead (the queue keeps one waiting job per instance).
 */
export const PRIORITY = { interactive: 10, resync: 0 } as const;

/**
 * Promotes the waiting jobs of instances ($1) in the user's queue to the user's priority, due now. It names the waiting
 * job as pg-boss's unique index of a `short` queue's waiting jobs does (name, `COALESCE(singleton_key, '')`), so it reads
 * only those jobs: matched by key alone, it read every waiting job of the queue, a cost per toggle that grew with the
 * backlog. The queue's name and the priority are written into the text, not passed: pgboss.job is partitioned by queue
 * name, and a statement prepared with the name as a parameter was planned again on every toggle.
 */
export const PROMOTE_WAITING_SQL = `UPDATE pgboss.job SET priority = ${PRIORITY.interactive}, start_after = LEAST(start_after, now())
  WHERE name = ${escapeLiteral(RECONCILE_QUEUE)} AND state = 'created' AND policy = 'short' AND COALESCE(singleton_key, '') = ANY($1::text[])
    AND (priority < ${PRIORITY.interactive} OR start_after > now())`;

/**
 * The durable job queue on PostgreSQL (pg-boss). The reconcile queue uses the `short` policy keyed
 * by instance id: at most one job waits per instance, however many requests arrive.
 */
export class PgBossQueue extends ReconcileQueue {
  readonly boss: PgBoss;
  private started?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly cfg: ReconcileConfig,
    opts: { supervise: boolean; onError: (e: Error) => void },
  ) {
    super();
    this.boss = new PgBoss({
      connectionString: this.url,
      schema: 'pgboss',
      application_name: 'svc-sentry-jobs',
      max: Math.max(4, Math.min(cfg.concurrency + 2, 40)),
      supervise: opts.supervise,
      schedule: false,
      maintenanceIntervalSeconds: Math.min(60, Math.max(1, cfg.jobExpireSeconds)),
    });
    this.boss.on('error', opts.onError);
  }

  /**
   * Starts pg-boss and creates or updates the queues. Replicas starting together on an empty database
   * would race in pg-boss's schema and queue creation (PostgreSQL reports a deadlock), so this runs
   * under the same advisory lock as the schema migrations: one replica creates, the others find.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      const lock = new Client({ connectionString: this.url, application_name: 'svc-sentry-jobs-setup' });
      lock.on('error', () => undefined);
      await lock.connect();
      try {
        await lock.query('SELECT pg_advisory_lock($1)', [LOCKS.migrations]);
        await this.boss.start();
        const retry = {
          retryLimit: this.cfg.retryLimit,
          retryDelay: this.cfg.retryDelaySeconds,
          retryBackoff: true,
          expireInSeconds: this.cfg.jobExpireSeconds,
        };
        // A resync cycle is sized to fit its interval: its job must not expire (and be retried elsewhere) meanwhile.
        const period = this.cfg.resyncIntervalSeconds || 300;
        const resync = { ...retry, expireInSeconds: Math.min(86_000, Math.max(this.cfg.jobExpireSeconds, 2 * period)) };
        const queues = [
          [RECONCILE_QUEUE, retry],
          [REPAIR_QUEUE, retry],
          [RESYNC_QUEUE, resync],
        ] as const;
        // `short`: at most one waiting job per instance. updateQueue is given it too: pg-boss sets a policy it is not
        // given back to `standard`, which every restart did before this line named it.
        for (const [name, options] of queues) {
          const queue = { name, policy: 'short' as const, ...options };
          if (await this.boss.getQueue(name)) await this.boss.updateQueue(name, queue);
          else await this.boss.createQueue(name, queue);
        }
        await this.dropDuplicateWaitingJobs(queues.map(([name]) => name));
      } finally {
        // Ending the session releases the advisory lock too.
        await lock.end().catch(() => undefined);
      }
    })();
    this.started.catch(() => (this.started = undefined));
    return this.started;
  }

  /**
   * Waiting jobs a version that reset the policy to `standard` left: several per instance. One per instance and queue
   * stays (the most urgent: highest priority, earliest due), as `short`; the others are deleted (a pass converges its
   * instance whatever job started it).
   */
  private async dropDuplicateWaitingJobs(names: string[]): Promise<void> {
    const db = this.boss.getDb();
    await db.executeSql(
      `WITH ranked AS (
         SELECT name, id, row_number() OVER (PARTITION BY name, singleton_key ORDER BY priority DESC, start_after, created_on) AS n
         FROM pgboss.job WHERE name = ANY($1::text[]) AND state = 'created' AND policy IS DISTINCT FROM 'short' AND singleton_key IS NOT NULL)
       DELETE FROM pgboss.job j USING ranked r WHERE j.name = r.name AND j.id = r.id
         AND (r.n > 1 OR EXISTS (SELECT 1 FROM pgboss.job s WHERE s.name = j.name AND s.singleton_key = j.singleton_key AND s.state = 'created' AND s.policy = 'short'))`,
      [names],
    );
    await db.executeSql(
      `UPDATE pgboss.job SET policy = 'short' WHERE name = ANY($1::text[]) AND state = 'created' AND policy IS DISTINCT FROM 'short' AND singleton_key IS NOT NULL`,
      [names],
    );
  }

  async stop(): Promise<void> {
    if (this.started) await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 }).catch(() => undefined);
  }

  /** User work: jobs at interactive priority; a job already waiting for one of these instances is promoted and due now. */
  async enqueue(instanceIds: string[], db?: SqlExecutor): Promise<void> {
    if (!instanceIds.length) return;
    await this.start();
    // The insert is skipped for an instance that already has a waiting job (maybe a resync's, or a delayed requeue):
    // that job takes the user's priority and is due at once, in the same transaction. The two statements go out
    // together (either order gives the same jobs).
    await Promise.all([
      this.boss.insert(
        instanceIds.map((instanceId) => ({ name: RECONCILE_QUEUE, data: { instanceId }, singletonKey: instanceId, priority: PRIORITY.interactive })),
        db ? { db } : {},
      ),
      (db ?? this.boss.getDb()).executeSql(PROMOTE_WAITING_SQL, [instanceIds]),
    ]);
  }

  /**
   * The instances without a pass running now (an active job in either reconcile queue). A running pass covers its
   * instance: it requeues itself when it must, and one a killed worker left is retried when its job expires.
   */
  async withoutRunningPass(instanceIds: string[]): Promise<string[]> {
    if (!instanceIds.length) return instanceIds;
    await this.start();
    const { rows } = await this.boss
      .getDb()
      .executeSql(`SELECT DISTINCT singleton_key FROM pgboss.job WHERE name = ANY($1::text[]) AND state = 'active' AND singleton_key = ANY($2::text[])`, [
        [RECONCILE_QUEUE, REPAIR_QUEUE],
        instanceIds,
      ]);
    const running = new Set((rows as Array<{ singleton_key: string }>).map((r) => r.singleton_key));
    return instanceIds.filter((id) => !running.has(id));
  }

  /** What resync found: jobs at resync priority, taken only when no user job waits; one waiting job per instance still. */
  async enqueueResync(instanceIds: string[]): Promise<void> {
    if (!instanceIds.length) return;
    await this.start();
    await this.boss.insert(
      instanceIds.map((instanceId) => ({ name: REPAIR_QUEUE, data: { instanceId }, singletonKey: instanceId, priority: PRIORITY.resync })),
    );
  }

  /**
   * Asks for another reconcile of one instance after `afterSeconds` (a requeue, not a retry: it does not
   * spend the retry budget), at the priority of the job it continues. With a job already waiting for the instance,
   * that one covers it.
   */
  async requeue(instanceId: string, afterSeconds: number, priority: number = PRIORITY.interactive): Promise<void> {
    await this.start();
    const queue = priority < PRIORITY.interactive ? REPAIR_QUEUE : RECONCILE_QUEUE;
    await this.boss.send(queue, { instanceId }, { singletonKey: instanceId, startAfter: Math.max(0, Math.round(afterSeconds)), priority });
  }

  /** One resync per interval across all replicas (the singleton slot dedups). */
  async requestResync(intervalSeconds: number): Promise<void> {
    await this.start();
    await this.boss.send(RESYNC_QUEUE, {}, { singletonKey: 'resync', singletonSeconds: Math.max(1, intervalSeconds) });
  }
}
