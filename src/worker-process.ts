import { ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { register } from 'prom-client';
import type { Logger } from 'pino';
import { metrics } from './metrics/metrics';
import { MetricsJson, OtherProcessMetrics } from './metrics/process-metrics';

/** Set in the environment of the worker process that role `all` starts (its value: the parent's pid). */
export const WORKER_OF_ENV = 'SVC_SENTRY_WORKER_OF';

/** The worker process's niceness (0 is normal; 10 gets about a tenth of the CPU of a normal process when both want it). */
const WORKER_NICE = 10;

type Message = { type: 'metrics'; id: number; metrics: MetricsJson };

/** Restart delays: the first, doubling up to the cap; and how long a stop waits for the running passes before a kill. */
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

export interface WorkerProcessOptions {
  /** The main module to run (this process's own). */
  main: string;
  /** What the worker's environment adds to this process's: role worker, the database, the key, no webhook. */
  env: Record<string, string>;
  log: Logger;
}

/**
 * Role `all`: the reconcile worker runs in a child process of its own (role worker, no HTTP), so its passes never hold
 * the event loop that serves the API and the webhook (bench:api: at 200 requests/s a worker in the same process put
 * the toggle API's p99 at 0.4–1.6 s). This process supervises it: a worker that exits is started again with backoff,
 * /metrics adds its metrics, and a stop waits for its running passes before the database goes away.
 */
export class WorkerProcess extends OtherProcessMetrics {
  private child?: ChildProcess;
  private stopping = false;
  private delay = RESTART_FIRST_MS;
  private restartTimer?: NodeJS.Timeout;
  private nextId = 0;
  private readonly pending = new Map<number, (m: MetricsJson) => void>();

  constructor(private readonly opts: WorkerProcessOptions) {
    super();
  }

  start(): void {
    const child = fork(this.opts.main, [], { env: { ...process.env, ...this.opts.env, [WORKER_OF_ENV]: String(process.pid) }, stdio: 'inherit' });
    this.child = child;
    // Background work: when the CPU is short, the process serving requests goes first (nice 10 is a tenth the weight).
    if (child.pid) {
      try {
        setPriority(child.pid, WORKER_NICE);
      } catch (e) {
        this.opts.log.debug(`could not lower the worker process's priority: ${(e as Error).message}`);
      }
    }
    const started = Date.now();
    child.on('message', (m: Message) => {
      if (m?.type === 'metrics') {
        this.pending.get(m.id)?.(m.metrics);
        this.pending.delete(m.id);
      }
    });
    child.on('error', (e) => this.opts.log.error(`reconcile worker process: ${e.message}`));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      for (const answer of this.pending.values()) answer([]);
      this.pending.clear();
      if (this.stopping) return;
      // A worker that ran a minute before it exited starts again at the first delay.
      if (Date.now() - started > 60_000) this.delay = RESTART_FIRST_MS;
      this.opts.log.error(`reconcile worker process exited (${signal ?? `code ${code}`}); starting it again in ${Math.round(this.delay / 1000)} s`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        metrics.workerProcessRestarts.inc();
        this.start();
      }, this.delay);
      this.delay = Math.min(RESTART_MAX_MS, this.delay * 2);
    });
  }

  /** The worker's metrics as prom-client JSON (none when it does not run or does not answer within 2 s). */
  metrics(): Promise<MetricsJson> {
    const child = this.child;
    if (!child?.connected) return Promise.resolve([]);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve([]);
      }, 2000);
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      child.send({ type: 'metrics', id }, (e) => {
        if (!e) return;
        clearTimeout(timer);
        this.pending.delete(id);
        resolve([]);
      });
    });
  }

  /** Asks the worker to stop (it finishes its running passes) and waits for it to exit; kills it after the timeout. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      this.opts.log.warn('reconcile worker process did not stop in time: killing it');
      child.kill('SIGKILL');
      await exited;
    }
  }
}

/** In the worker process: answers the parent's metrics requests, and stops when the parent is gone. */
export function serveParent(stop: () => void): void {
  process.on('message', (m: { type?: string; id?: number }) => {
    if (m?.type !== 'metrics') return;
    void register.getMetricsAsJSON().then((metrics) => process.send?.({ type: 'metrics', id: m.id, metrics }));
  });
  // The parent exited without stopping this process (killed): nothing supervises it, and its database may be gone.
  process.once('disconnect', stop);
}
