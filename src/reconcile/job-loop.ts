import PgBoss from 'pg-boss';

export interface JobLoopOptions {
  /** How long an idle loop waits before asking for the next job. */
  pollingIntervalSeconds: number;
  /** Database faults while fetching or settling a job (they never end the process). */
  onError: (e: Error, what: string) => void;
}

/**
 * Takes jobs of one queue, one at a time per slot, and settles each (complete, or fail so pg-boss
 * retries it with backoff). Used instead of pg-boss's `work()`, which settles jobs without awaiting
 * (pg-boss 10): a database restart then rejected those calls unhandled and ended the process.
 * Here every settle is awaited; when it fails, the job stays active until it expires and pg-boss
 * retries it, and a repeated pass is harmless (the reconciler is level-triggered).
 *
 * stop() stops taking jobs and waits for the running ones to finish and be settled.
 */
export class JobLoop<T extends object> {
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly boss: PgBoss,
    private readonly queue: string,
    private readonly options: JobLoopOptions,
    private readonly handler: (job: PgBoss.JobWithMetadata<T>) => Promise<void>,
  ) {}

  start(slots: number): void {
    for (let i = 0; i < slots; i++) this.loops.push(this.loop());
  }

  /** Jobs running right now (for logs at shutdown). */
  running = 0;

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakers) wake();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let jobs: PgBoss.JobWithMetadata<T>[] = [];
      try {
        jobs = await this.boss.fetch<T>(this.queue, { batchSize: 1, includeMetadata: true });
      } catch (e) {
        this.options.onError(e as Error, `fetching a ${this.queue} job`);
      }
      const job = jobs[0];
      if (!job) {
        await this.idle();
        continue;
      }
      this.running++;
      try {
        await this.handler(job);
        await this.settle(() => this.boss.complete(this.queue, job.id), 'completing');
      } catch (e) {
        const message = (e as Error)?.message ?? String(e);
        await this.settle(() => this.boss.fail(this.queue, job.id, { message }), 'failing');
      } finally {
        this.running--;
      }
    }
  }

  private async settle(fn: () => Promise<unknown>, what: string): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.options.onError(e as Error, `${what} a ${this.queue} job (it is retried when it expires)`);
    }
  }

  private idle(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollingIntervalSeconds * 1000);
      this.wakers.add(done);
    });
  }
}
