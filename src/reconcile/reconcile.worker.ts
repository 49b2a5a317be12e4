import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import PgBoss from 'pg-boss';
import { AppConfig } from '../config/config.schema';
import { InstanceStore } from '../instances/instance-store';
import { metrics } from '../metrics/metrics';
import { PgBossQueue, RECONCILE_QUEUE, ReconcileJob, RESYNC_QUEUE } from './pg-boss.queue';
import { Reconciler } from './reconciler';
import { SecretSweep } from './secret-sweep';

/**
 * The worker role: takes reconcile jobs (`concurrency` at a time, one per instance), and requests
 * a resync of every instance at start-up and then every `resyncIntervalSeconds` to repair drift.
 */
@Injectable()
export class ReconcileWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: AppConfig,
    private readonly queue: PgBossQueue,
    private readonly reconciler: Reconciler,
    private readonly store: InstanceStore,
    private readonly secrets: SecretSweep,
    private readonly log: PinoLogger,
  ) {
    log.setContext('reconcile');
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.start();
    if (this.config.role === 'api') return;
    const cfg = this.config.reconcile;
    const options = { batchSize: 1, pollingIntervalSeconds: cfg.pollingIntervalSeconds, includeMetadata: true as const };
    for (let i = 0; i < cfg.concurrency; i++) {
      await this.queue.boss.work<ReconcileJob>(RECONCILE_QUEUE, options, ([job]) => this.handle(job));
    }
    await this.queue.boss.work(RESYNC_QUEUE, { batchSize: 1, pollingIntervalSeconds: cfg.pollingIntervalSeconds }, () => this.resync());
    // Start-up resync: picks up whatever a killed worker left unfinished.
    await this.resync();
    if (cfg.resyncIntervalSeconds > 0) {
      this.timer = setInterval(() => {
        this.queue.requestResync(cfg.resyncIntervalSeconds).catch((e) => this.log.warn({ err: e }, 'could not request resync'));
      }, cfg.resyncIntervalSeconds * 1000);
      this.timer.unref();
    }
    this.log.info({ concurrency: cfg.concurrency }, 'reconcile worker started');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.queue.stop();
  }

  private async handle(job: PgBoss.JobWithMetadata<ReconcileJob>): Promise<void> {
    const end = metrics.reconcileSeconds.startTimer();
    const outcome = await this.reconciler.reconcile(job.data.instanceId, { retryCount: job.retryCount, retryLimit: job.retryLimit });
    end({ outcome });
    metrics.reconciles.inc({ outcome });
    // Throwing hands the job back to pg-boss, which retries it with exponential backoff.
    if (outcome === 'retry') throw new Error('reconcile incomplete; retrying');
  }

  /**
   * Sweeps the Secrets of ready environments (no upstream needed), then enqueues every instance that
   * is not settled as disabled for a full reconcile; the queue keeps one waiting job per instance.
   */
  async resync(): Promise<number> {
    try {
      const sweep = await this.secrets.run();
      if (sweep.changed || sweep.failed.length) this.log.info(sweep, 'secret sweep repaired drift');
    } catch (e) {
      this.log.warn({ err: e }, 'secret sweep failed; the per-instance reconciles still run');
    }
    const ids = await this.store.listInstanceIdsForResync();
    for (let i = 0; i < ids.length; i += 500) await this.queue.enqueue(ids.slice(i, i + 500));
    if (ids.length) this.log.debug({ instances: ids.length }, 'resync enqueued instances');
    return ids.length;
  }
}
