import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import PgBoss from 'pg-boss';
import { AppConfig } from '../config/config.schema';
import { InstanceStore } from '../instances/instance-store';
import { metrics } from '../metrics/metrics';
import { JobLoop } from './job-loop';
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
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loops of different job payloads
  private loops: JobLoop<any>[] = [];

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
    const options = {
      pollingIntervalSeconds: cfg.pollingIntervalSeconds,
      onError: (e: Error, what: string) => this.log.warn({ code: (e as { code?: string }).code }, `job queue: ${what} failed: ${e.message}`),
    };
    this.loops = [
      new JobLoop<ReconcileJob>(this.queue.boss, RECONCILE_QUEUE, options, (job) => this.handle(job)),
      new JobLoop<object>(this.queue.boss, RESYNC_QUEUE, options, async () => void (await this.resync())),
    ];
    this.loops[0].start(cfg.concurrency);
    this.loops[1].start(1);
    // Start-up resync: picks up whatever a killed worker left unfinished.
    await this.resync();
    if (cfg.resyncIntervalSeconds > 0) {
      this.timer = setInterval(() => {
        this.queue.requestResync(cfg.resyncIntervalSeconds).catch((e) => this.log.warn(`could not request resync: ${(e as Error).message}`));
      }, cfg.resyncIntervalSeconds * 1000);
      this.timer.unref();
    }
    this.log.info({ concurrency: cfg.concurrency }, 'reconcile worker started');
  }

  /** Stops taking jobs, lets the running passes finish (and their jobs be settled), then closes the queue. */
  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const running = this.loops.reduce((n, l) => n + l.running, 0);
    if (running) this.log.info({ running }, 'shutting down: finishing the running reconcile passes');
    await Promise.all(this.loops.map((l) => l.stop()));
    await this.queue.stop();
  }

  /**
   * One job: one reconcile. The worker owns what follows: a requeue becomes a new delayed job (the
   * queue keeps at most one waiting per instance, so a job already waiting covers it); a retryable
   * error is thrown back to pg-boss, which retries with exponential backoff; when the budget is
   * spent the environment is recorded as failed with the reason.
   */
  private async handle(job: PgBoss.JobWithMetadata<ReconcileJob>): Promise<void> {
    const id = job.data.instanceId;
    const end = metrics.reconcileSeconds.startTimer();
    const result = await this.reconciler.run(id);
    const outcome =
      result.kind === 'done' ? result.state : result.kind === 'requeue' ? `requeue:${result.reason}` : result.error.retryable ? 'retry' : 'failed';
    end({ outcome });
    metrics.reconciles.inc({ outcome });
    if (result.kind === 'requeue') {
      await this.queue.requeue(id, result.afterSeconds);
      return;
    }
    if (result.kind !== 'error' || !result.error.retryable) return;
    if (job.retryCount < job.retryLimit) throw new Error(`reconcile incomplete (${result.error.code}); retrying`);
    const given = await this.reconciler.giveUp(id, result, job.retryCount + 1);
    // Changed meanwhile, or another worker is on it: a fresh job, with a fresh budget.
    if (given !== 'failed') await this.queue.requeue(id, 1);
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
      this.log.warn(`secret sweep failed; the per-instance reconciles still run: ${(e as Error).message}`);
    }
    const ids = await this.store.listInstanceIdsForResync();
    for (let i = 0; i < ids.length; i += 500) await this.queue.enqueue(ids.slice(i, i + 500));
    if (ids.length) this.log.debug({ instances: ids.length }, 'resync enqueued instances');
    return ids.length;
  }
}
