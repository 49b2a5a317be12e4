import { Controller, Get, Logger, Optional, ServiceUnavailableException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { KubernetesReadiness } from '../kubernetes/kubernetes.module';
import { PgBossQueue, RECONCILE_QUEUE } from '../reconcile/pg-boss.queue';
import { UpstreamRegistry } from '../upstreams/upstream-registry';

const UPSTREAM_CACHE_MS = 10_000;

/** /healthz: the process answers. /readyz: database, job queue, each upstream (and cluster), each named. */
@ApiExcludeController()
@Controller()
export class HealthController {
  private upstreamCache = new Map<string, { at: number; result: HealthIndicatorResult }>();
  private readonly log = new Logger('Readiness');
  /** What the last /readyz answered: `ready`, or the names of the checks that were down. */
  private lastReadiness?: string;

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    private readonly queue: PgBossQueue,
    private readonly upstreams: UpstreamRegistry,
    @Optional() private readonly clusters?: KubernetesReadiness,
  ) {}

  @Get('healthz')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('readyz')
  @HealthCheck()
  async ready(): Promise<HealthCheckResult> {
    try {
      const result = await this.readiness();
      this.noteReadiness(result);
      return result;
    } catch (e) {
      if (e instanceof ServiceUnavailableException) this.noteReadiness(e.getResponse() as HealthCheckResult);
      throw e;
    }
  }

  /**
   * Logs readiness when it changes, not per probe (an orchestrator probes every few seconds): `ready` at info,
   * `not ready` as a warning naming what is down (a 503 is the process reporting a dependency, not its own error).
   * A change of what is down counts as a change.
   */
  private noteReadiness(result: HealthCheckResult | undefined): void {
    const down = Object.entries(result?.error ?? result?.details ?? {})
      .filter(([, v]) => v?.status !== 'up')
      .map(([name, v]) => ({ name, message: typeof v?.message === 'string' ? v.message : 'down' }));
    const key = result?.status === 'ok' ? 'ready' : down.map((d) => d.name).join(',') || String(result?.status);
    if (key === this.lastReadiness) return;
    this.lastReadiness = key;
    if (key === 'ready') this.log.log('ready: /readyz answers 200');
    else this.log.warn(`not ready: /readyz answers 503 (${down.map((d) => `${d.name} down: ${d.message}`).join('; ') || result?.status})`);
  }

  private readiness(): Promise<HealthCheckResult> {
    const upstreamNames = this.upstreams.names();
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3000 }),
      () => this.queueCheck(),
      ...(upstreamNames.length
        ? upstreamNames.map((n) => () => this.upstreamCheck(n))
        : [
            () =>
              Promise.resolve(
                this.indicator
                  .check('upstream')
                  .down({ message: 'no upstream configured: set SVC_SENTRY_UPSTREAM_URL, SVC_SENTRY_UPSTREAM_TOKEN and SVC_SENTRY_UPSTREAM_ORG' }),
              ),
          ]),
      () => this.clusterCheck(),
    ]);
  }

  /** One entry per configured cluster, e.g. `cluster:prod-sh`; none when no cluster is configured. */
  private async clusterCheck(): Promise<HealthIndicatorResult> {
    const results = (await this.clusters?.check()) ?? [];
    return Object.assign(
      {},
      ...results.map((r) =>
        r.up
          ? this.indicator.check(r.name).up(r.detail ? { message: r.detail } : undefined)
          : this.indicator.check(r.name).down({ message: r.detail ?? 'down' }),
      ),
    );
  }

  private async queueCheck(): Promise<HealthIndicatorResult> {
    const s = this.indicator.check('jobQueue');
    try {
      return (await this.queue.boss.getQueue(RECONCILE_QUEUE)) ? s.up() : s.down({ message: 'reconcile queue not created yet' });
    } catch (e) {
      return s.down({ message: (e as Error).message });
    }
  }

  private async upstreamCheck(name: string): Promise<HealthIndicatorResult> {
    const cached = this.upstreamCache.get(name);
    if (cached && Date.now() - cached.at < UPSTREAM_CACHE_MS) return cached.result;
    const s = this.indicator.check(`upstream:${name}`);
    let result: HealthIndicatorResult;
    try {
      await this.upstreams.get(name).ping();
      result = s.up();
    } catch (e) {
      result = s.down({ message: (e as Error).message });
    }
    this.upstreamCache.set(name, { at: Date.now(), result });
    return result;
  }
}
