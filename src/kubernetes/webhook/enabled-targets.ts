import { Logger } from '@nestjs/common';
import { enabledViewRefreshes } from '../kubernetes.metrics';

/** One environment with monitoring enabled and its Secret in place: what the webhook injects for. */
export interface EnabledTarget {
  cluster: string;
  namespace: string;
  app: string;
  module: string;
  env: string;
  secretName: string;
}

/** Port: where the enabled targets come from (the lead implements it over the instances table). */
export abstract class EnabledTargetsSource {
  abstract list(): Promise<EnabledTarget[]>;
}

/** EnabledTargetsSource over a fixed or mutable array (tests, bench, single-tenant setups). */
export class ArrayEnabledTargetsSource extends EnabledTargetsSource {
  constructor(public targets: EnabledTarget[] = []) {
    super();
  }

  async list(): Promise<EnabledTarget[]> {
    return this.targets.map((t) => ({ ...t }));
  }
}

const key = (namespace: string, app: string, module: string) => `${namespace}\u0000${app}\u0000${module}`;

/**
 * The in-memory view admission decides from: (namespace, app, module) → target. Refreshed periodically from the
 * source and on demand (refreshNow after a Secret change). A failed refresh keeps the last good view.
 * Lookups are synchronous map reads; admission never waits for the database.
 */
export class EnabledTargetsView {
  private readonly log = new Logger('EnabledTargetsView');
  private byCluster = new Map<string, Map<string, EnabledTarget>>();
  private any = new Map<string, EnabledTarget>();
  private timer?: NodeJS.Timeout;
  private inflight?: Promise<void>;
  private again = false;
  loadedAt?: Date;
  size = 0;

  constructor(
    private readonly source: EnabledTargetsSource,
    private readonly intervalMs = 10_000,
  ) {}

  /** Target for a Pod in namespace labelled app/module; cluster narrows it when the webhook URL names one. */
  lookup(namespace: string, app: string, module: string, cluster?: string): EnabledTarget | undefined {
    const k = key(namespace, app, module);
    return cluster ? this.byCluster.get(cluster)?.get(k) : this.any.get(k);
  }

  /** Reloads now; concurrent callers share one load, and a call during a load triggers one more afterwards. */
  refreshNow(): Promise<void> {
    if (this.inflight) {
      this.again = true;
      return this.inflight;
    }
    this.inflight = (async () => {
      try {
        do {
          this.again = false;
          await this.load();
        } while (this.again);
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.refreshNow(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load(): Promise<void> {
    let list: EnabledTarget[];
    try {
      list = await this.source.list();
    } catch (e) {
      enabledViewRefreshes.inc({ outcome: 'error' });
      this.log.warn(`refresh of enabled targets failed, keeping the last view (${this.size} entries): ${(e as Error).message}`);
      return;
    }
    const byCluster = new Map<string, Map<string, EnabledTarget>>();
    const any = new Map<string, EnabledTarget>();
    for (const t of list) {
      const k = key(t.namespace, t.app, t.module);
      if (!byCluster.has(t.cluster)) byCluster.set(t.cluster, new Map());
      byCluster.get(t.cluster)!.set(k, t);
      any.set(k, t);
    }
    this.byCluster = byCluster;
    this.any = any;
    this.size = list.length;
    this.loadedAt = new Date();
    enabledViewRefreshes.inc({ outcome: 'ok' });
  }
}
