import PgBoss from 'pg-boss';
import { ReconcileConfig } from '../config/config.schema';
import { ReconcileQueue, SqlExecutor } from './reconcile-queue';

export const RECONCILE_QUEUE = 'svc-sentry-reconcile';
export const RESYNC_QUEUE = 'svc-sentry-resync';

export interface ReconcileJob {
  instanceId: string;
}

/**
 * The durable job queue on PostgreSQL (pg-boss). The reconcile queue uses the `short` policy keyed
 * by instance id: at most one job waits per instance, however many requests arrive.
 */
export class PgBossQueue extends ReconcileQueue {
  readonly boss: PgBoss;
  private started?: Promise<void>;

  constructor(
    url: string,
    private readonly cfg: ReconcileConfig,
    opts: { supervise: boolean; onError: (e: Error) => void },
  ) {
    super();
    this.boss = new PgBoss({
      connectionString: url,
      schema: 'pgboss',
      application_name: 'svc-sentry-jobs',
      max: Math.max(4, Math.min(cfg.concurrency + 2, 40)),
      supervise: opts.supervise,
      schedule: false,
      maintenanceIntervalSeconds: Math.min(60, Math.max(1, cfg.jobExpireSeconds)),
    });
    this.boss.on('error', opts.onError);
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      await this.boss.start();
      const retry = { retryLimit: this.cfg.retryLimit, retryDelay: this.cfg.retryDelaySeconds, retryBackoff: true, expireInSeconds: this.cfg.jobExpireSeconds };
      for (const name of [RECONCILE_QUEUE, RESYNC_QUEUE]) {
        if (await this.boss.getQueue(name)) await this.boss.updateQueue(name, { name, ...retry });
        else await this.boss.createQueue(name, { name, policy: 'short', ...retry });
      }
    })();
    return this.started;
  }

  async stop(): Promise<void> {
    if (this.started) await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 }).catch(() => undefined);
  }

  async enqueue(instanceIds: string[], db?: SqlExecutor): Promise<void> {
    if (!instanceIds.length) return;
    await this.start();
    await this.boss.insert(
      instanceIds.map((instanceId) => ({ name: RECONCILE_QUEUE, data: { instanceId }, singletonKey: instanceId })),
      db ? { db } : {},
    );
  }

  /** One resync per interval across all replicas (the singleton slot dedups). */
  async requestResync(intervalSeconds: number): Promise<void> {
    await this.start();
    await this.boss.send(RESYNC_QUEUE, {}, { singletonKey: 'resync', singletonSeconds: Math.max(1, intervalSeconds) });
  }
}
