import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import PgBoss from 'pg-boss';
import { CatalogService } from '../catalog/catalog.service';
import { SecretBox } from '../common/crypto';
import { AppConfig } from '../config/config.schema';
import { InstanceStore } from '../instances/instance-store';
import { metrics } from '../metrics/metrics';
import { inBackgroundLane } from '../upstreams/rate-limiter';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { JobLoop } from './job-loop';
import { PgBossQueue, PRIORITY, RECONCILE_QUEUE, ReconcileJob, REPAIR_QUEUE, RESYNC_QUEUE } from './pg-boss.queue';
import { Reconciler } from './reconciler';
import { SecretSweep } from './secret-sweep';
import { UpstreamDrift, UpstreamDriftSummary } from './upstream-drift';

/** What one resync cycle did (returned, and logged at info). */
export interface ResyncSummary {
  /** Epoch ms. */
  startedAt: number;
  finishedAt: number;
  secrets: { checked: number; changed: number; failed: number } | null;
  /** Instances not settled, enqueued for a full reconcile as before. */
  unsettled: number;
  upstreams: UpstreamDriftSummary[];
}

/** The interval a cycle is sized for when resync runs only at start-up. */
const DEFAULT_PERIOD_SECONDS = 300;

/**
 * The worker role: takes reconcile jobs (`concurrency` at a time, one per instance, users' jobs first), and requests
 * a resync at start-up and then every `resyncIntervalSeconds` to repair drift (see resync()).
 */
@Injectable()
export class ReconcileWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loops of different job payloads
  private loops: JobLoop<any>[] = [];
  private readonly drift: UpstreamDrift;
  /** Cycles run one after another in a process: the last one started (or finished). */
  private lastCycle: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(
    private readonly config: AppConfig,
    private readonly queue: PgBossQueue,
    private readonly reconciler: Reconciler,
    private readonly store: InstanceStore,
    private readonly secrets: SecretSweep,
    private readonly log: PinoLogger,
    upstreams: UpstreamRegistry,
    catalog: CatalogService,
    box: SecretBox,
  ) {
    log.setContext('reconcile');
    this.drift = new UpstreamDrift(store, upstreams, config.upstreams, catalog, box);
  }

  private get periodSeconds(): number {
    return this.config.reconcile.resyncIntervalSeconds || DEFAULT_PERIOD_SECONDS;
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
      new JobLoop<ReconcileJob>(this.queue.boss, REPAIR_QUEUE, options, (job) => this.handle(job)),
      new JobLoop<object>(this.queue.boss, RESYNC_QUEUE, options, async () => void (await this.resync())),
    ];
    this.loops[0].start(cfg.concurrency);
    // Repairs never take more than half the slots of a process, and users' jobs have slots of their own.
    this.loops[1].start(Math.max(1, Math.floor(cfg.concurrency / 2)));
    this.loops[2].start(1);
    // Start-up: whatever a killed worker left unfinished is enqueued at once; the bulk drift check runs as a job.
    await this.enqueueUnsettled();
    await this.queue.requestResync(this.periodSeconds).catch((e) => this.log.warn(`could not request resync: ${(e as Error).message}`));
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
    // A bulk pass in progress stops after its current calls (the next cycle goes on from what it recorded).
    this.stopping.abort();
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
    // A job resync enqueued makes its upstream calls in the background lane (its share, after users' calls).
    const background = (job.priority ?? PRIORITY.interactive) < PRIORITY.interactive;
    const run = () => this.reconciler.run(id);
    const result = background ? await inBackgroundLane(this.config.reconcile.resyncUpstreamShare, run) : await run();
    const outcome =
      result.kind === 'done' ? result.state : result.kind === 'requeue' ? `requeue:${result.reason}` : result.error.retryable ? 'retry' : 'failed';
    end({ outcome });
    metrics.reconciles.inc({ outcome });
    if (result.kind === 'requeue') {
      await this.queue.requeue(id, result.afterSeconds, job.priority);
      return;
    }
    if (result.kind !== 'error' || !result.error.retryable) return;
    if (job.retryCount < job.retryLimit) throw new Error(`reconcile incomplete (${result.error.code}); retrying`);
    const given = await this.reconciler.giveUp(id, result, job.retryCount + 1);
    // Changed meanwhile, or another worker is on it: a fresh job, with a fresh budget.
    if (given !== 'failed') await this.queue.requeue(id, 1, job.priority);
  }

  /**
   * One resync cycle (cycles run one after another in a process; this one starts when the previous one ended):
   * 1. the Kubernetes half: one sweep of the Secrets of ready environments (one list per cluster), repairing any
   *    that are missing or edited; no upstream needed;
   * 2. every instance that is not settled is enqueued for a full reconcile, as before;
   * 3. the upstream half in bulk (UpstreamDrift): per upstream one paginated project list compared with every ready
   *    instance, plus the key lists of a budgeted slice of them, least recently verified first; what differs is
   *    enqueued for a full reconcile at resync priority. Ready and verified instances cost nothing upstream.
   */
  resync(): Promise<ResyncSummary> {
    const cycle = this.lastCycle.catch(() => undefined).then(() => this.cycle());
    this.lastCycle = cycle;
    return cycle;
  }

  private async cycle(): Promise<ResyncSummary> {
    const startedAt = Date.now();
    let secrets: ResyncSummary['secrets'] = null;
    try {
      const sweep = await this.secrets.run();
      secrets = { checked: sweep.checked, changed: sweep.changed, failed: sweep.failed.length };
      if (sweep.changed || sweep.failed.length) this.log.info(sweep, 'secret sweep repaired drift');
      await this.queue.enqueueResync(sweep.failed);
    } catch (e) {
      this.log.warn(`secret sweep failed; the upstream checks still run: ${(e as Error).message}`);
    }
    const unsettled = await this.enqueueUnsettled({ exceptRunning: true });
    let upstreams: UpstreamDriftSummary[] = [];
    try {
      upstreams = await this.drift.run({
        share: this.config.reconcile.resyncUpstreamShare,
        periodSeconds: this.periodSeconds,
        enqueue: (ids) => this.queue.enqueueResync(ids),
        signal: this.stopping.signal,
      });
    } catch (e) {
      this.log.warn(`bulk drift check failed: ${(e as Error).message}`);
    }
    const summary: ResyncSummary = { startedAt, finishedAt: Date.now(), secrets, unsettled, upstreams };
    for (const u of upstreams) {
      this.log.info(
        { ...u, wallSeconds: (summary.finishedAt - startedAt) / 1000 },
        u.keyCheckCycles === null
          ? `resync ${u.upstream}: ${u.projectDrift} projects drifted; no budget left for key checks this cycle`
          : `resync ${u.upstream}: ${u.projectDrift} projects and ${u.keyDrift} of ${u.keyChecks} key sets drifted; a deleted key is found within ${u.keyCheckCycles} cycles`,
      );
    }
    return summary;
  }

  /**
   * Enqueues every instance that is not settled (users' queue); answers how many. A cycle leaves out those with a pass
   * running (a second job would repeat that pass once it ends); at start-up every one goes, since the passes a killed
   * worker left still look active.
   */
  private async enqueueUnsettled(opts: { exceptRunning?: boolean } = {}): Promise<number> {
    const unsettled = await this.store.listUnsettledInstanceIds();
    const ids = opts.exceptRunning ? await this.queue.withoutRunningPass(unsettled) : unsettled;
    // Mostly users' work a stopped worker left unfinished: at their priority, as before.
    for (let i = 0; i < ids.length; i += 500) await this.queue.enqueue(ids.slice(i, i + 500));
    if (ids.length) this.log.debug({ instances: ids.length }, 'resync enqueued instances that are not settled');
    return ids.length;
  }
}
