import { Logger } from '@nestjs/common';
import { enabledViewChanges, enabledViewRefreshes, enabledViewReloads, enabledViewSize, enabledViewStale } from '../kubernetes.metrics';

/** One environment with monitoring enabled and its Secret in place: what the webhook injects for. */
export interface EnabledTarget {
  /** The instance's id, when the source has one (a change feed names instances by id). */
  id?: string;
  cluster: string;
  namespace: string;
  app: string;
  module: string;
  env: string;
  secretName: string;
}

/** What an incremental source tells the view. */
export interface EnabledTargetsSink {
  /** The feed is (re)connected and listening: changes may have been missed before, so the view reloads in full. */
  reset(): void;
  /** These instances changed (appeared, moved, went away): the view re-reads just them. */
  changed(ids: string[]): void;
  /** The feed lost its connection: the view is stale until the next reset. */
  lost(reason: string): void;
}

/** Port: where the enabled targets come from (the instances table in the app; an array in tests and benches). */
export abstract class EnabledTargetsSource {
  /** Every enabled target (the full reload). */
  abstract list(): Promise<EnabledTarget[]>;
  /** Incremental sources: the current targets of these instance ids; an id missing from the answer is not enabled (any more). */
  read?(ids: string[]): Promise<EnabledTarget[]>;
  /** Incremental sources: start the change feed; it calls sink.reset() once listening, and again after each reconnect. */
  watch?(sink: EnabledTargetsSink): Promise<void>;
  /** Stops the change feed. */
  unwatch?(): Promise<void>;
}

/** EnabledTargetsSource over a fixed or mutable array (tests, bench, single-tenant setups); polled, no change feed. */
export class ArrayEnabledTargetsSource extends EnabledTargetsSource {
  constructor(public targets: EnabledTarget[] = []) {
    super();
  }

  async list(): Promise<EnabledTarget[]> {
    return this.targets.map((t) => ({ ...t }));
  }
}

const key = (namespace: string, app: string, module: string) => `${namespace}\u0000${app}\u0000${module}`;
const idOf = (t: EnabledTarget) => t.id ?? `${t.cluster}\u0000${t.namespace}\u0000${t.app}\u0000${t.module}\u0000${t.env}`;

/** key → the targets answering it (almost always one; two environments may share a namespace). */
class Index {
  private readonly m = new Map<string, EnabledTarget[]>();

  get(k: string): EnabledTarget | undefined {
    return this.m.get(k)?.[0];
  }

  add(k: string, t: EnabledTarget): void {
    const list = this.m.get(k);
    if (list) list.push(t);
    else this.m.set(k, [t]);
  }

  remove(k: string, id: string): void {
    const list = this.m.get(k);
    if (!list) return;
    const rest = list.filter((t) => idOf(t) !== id);
    if (rest.length) this.m.set(k, rest);
    else this.m.delete(k);
  }
}

/** The view's indexes: by instance id (for changes), by cluster and across clusters (for lookups). */
class Maps {
  readonly byId = new Map<string, { k: string; t: EnabledTarget }>();
  readonly byCluster = new Map<string, Index>();
  readonly any = new Index();

  put(t: EnabledTarget): void {
    const id = idOf(t);
    this.remove(id);
    const k = key(t.namespace, t.app, t.module);
    this.byId.set(id, { k, t });
    let c = this.byCluster.get(t.cluster);
    if (!c) this.byCluster.set(t.cluster, (c = new Index()));
    c.add(k, t);
    this.any.add(k, t);
  }

  remove(id: string): void {
    const was = this.byId.get(id);
    if (!was) return;
    this.byId.delete(id);
    this.byCluster.get(was.t.cluster)?.remove(was.k, id);
    this.any.remove(was.k, id);
  }
}

/** Rows indexed per turn of the event loop during a full load (a load of 100,000 must not stall admission). */
const LOAD_SLICE = 2000;

export interface EnabledTargetsViewOptions {
  /** Polling interval for a source without a change feed (ms). */
  intervalMs?: number;
  /** Retry delays after a failed load or read (ms): first, and the cap it doubles up to. */
  retryMs?: number;
  retryMaxMs?: number;
  /** Ids read per query when applying changes. */
  batch?: number;
}

/**
 * The in-memory view admission decides from: (namespace, app, module) → target. Lookups are synchronous map reads;
 * admission never waits for the database.
 *
 * With an incremental source (one that has `watch`), the view loads in full when the feed is listening (at start and
 * after each reconnect) and otherwise applies only the instances the feed names, re-reading those rows; it is `stale`
 * while the feed is down, and keeps answering from the last view. A source without a feed is polled (`intervalMs`).
 * A failed load or read keeps the last good view and is retried with backoff.
 */
export class EnabledTargetsView {
  private readonly log = new Logger('EnabledTargetsView');
  private maps = new Maps();
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private retryDelay: number;
  private running?: Promise<void>;
  private reloadWanted = false;
  private pending = new Set<string>();
  private watching = false;
  private staleSince?: Date;
  private staleReason?: string;
  private readonly intervalMs: number;
  private readonly retryMs: number;
  private readonly retryMaxMs: number;
  private readonly batch: number;
  /** Full loads done (start, reconnects, polls, refreshNow). */
  reloads = 0;
  /** Changes applied from the feed (ids re-read). */
  applied = 0;
  loadedAt?: Date;

  constructor(
    private readonly source: EnabledTargetsSource,
    opts: EnabledTargetsViewOptions | number = {},
  ) {
    const o = typeof opts === 'number' ? { intervalMs: opts } : opts;
    this.intervalMs = o.intervalMs ?? 10_000;
    this.retryMs = o.retryMs ?? 250;
    this.retryMaxMs = o.retryMaxMs ?? 10_000;
    this.batch = o.batch ?? 1000;
    this.retryDelay = this.retryMs;
  }

  get size(): number {
    return this.maps.byId.size;
  }

  /** Whether the source has a change feed (then no periodic reload is needed). */
  get incremental(): boolean {
    return typeof this.source.watch === 'function' && typeof this.source.read === 'function';
  }

  /** Undefined while the view is current; otherwise since when and why it may miss changes. */
  get stale(): { since: Date; reason: string } | undefined {
    return this.staleSince ? { since: this.staleSince, reason: this.staleReason ?? 'not loaded' } : undefined;
  }

  /** Target for a Pod in namespace labelled app/module; cluster narrows it when the webhook URL names one. */
  lookup(namespace: string, app: string, module: string, cluster?: string): EnabledTarget | undefined {
    const k = key(namespace, app, module);
    return cluster ? this.maps.byCluster.get(cluster)?.get(k) : this.maps.any.get(k);
  }

  /** Reloads in full now; concurrent callers share the work, and a call during a load gets one more load afterwards. */
  refreshNow(): Promise<void> {
    this.reloadWanted = true;
    return this.pump();
  }

  /**
   * Starts keeping the view current: the change feed when the source has one (its first reset loads the view; this
   * resolves once that load is done or has failed), else a poll every intervalMs.
   */
  async start(): Promise<void> {
    if (this.watching || this.timer) return;
    if (this.incremental) {
      this.watching = true;
      this.markStale('change feed not connected yet');
      await this.source.watch!({
        reset: () => {
          this.reloadWanted = true;
          void this.pump();
        },
        changed: (ids) => {
          for (const id of ids) this.pending.add(id);
          void this.pump();
        },
        lost: (reason) => {
          this.markStale(`change feed lost: ${reason}`);
          this.log.warn(`change feed lost (${reason}); answering from the last view (${this.size} entries) until it reconnects`);
        },
      });
      await this.pump();
      return;
    }
    this.timer = setInterval(() => void this.refreshNow(), this.intervalMs);
    this.timer.unref();
    await this.refreshNow();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = this.retryTimer = undefined;
    if (this.watching) {
      this.watching = false;
      await this.source.unwatch?.();
    }
    await this.running;
  }

  /** One worker at a time: a wanted full load first (it covers every change before it), then the pending ids. */
  private pump(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        while (this.reloadWanted || this.pending.size) {
          if (this.reloadWanted) {
            this.reloadWanted = false;
            // Changes notified before this load are in it (each was committed before its notification).
            const dropped = this.pending;
            this.pending = new Set();
            if (!(await this.load())) {
              for (const id of dropped) this.pending.add(id);
              this.reloadWanted = true;
              return this.retryLater();
            }
            continue;
          }
          const ids = [...this.pending].slice(0, this.batch);
          for (const id of ids) this.pending.delete(id);
          if (!(await this.apply(ids))) {
            for (const id of ids) this.pending.add(id);
            return this.retryLater();
          }
        }
        this.retryDelay = this.retryMs;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private retryLater(): void {
    if (this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryMaxMs, this.retryDelay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.pump();
    }, delay);
    this.retryTimer.unref();
  }

  private markStale(reason: string): void {
    this.staleSince ??= new Date();
    this.staleReason = reason;
    enabledViewStale.set(1);
  }

  private async load(): Promise<boolean> {
    let list: EnabledTarget[];
    try {
      list = await this.source.list();
    } catch (e) {
      enabledViewRefreshes.inc({ outcome: 'error' });
      this.log.warn(`load of enabled targets failed, keeping the last view (${this.size} entries): ${(e as Error).message}`);
      return false;
    }
    // Built aside in slices (lookups answer from the previous view meanwhile), then swapped in at once.
    const next = new Maps();
    for (let i = 0; i < list.length; i += LOAD_SLICE) {
      if (i > 0) await new Promise<void>((r) => setImmediate(r));
      for (const t of list.slice(i, i + LOAD_SLICE)) next.put(t);
    }
    this.maps = next;
    this.reloads++;
    this.loadedAt = new Date();
    enabledViewRefreshes.inc({ outcome: 'ok' });
    enabledViewReloads.inc({ reason: this.reloads === 1 ? 'start' : this.incremental ? 'reconnect' : 'poll' });
    enabledViewSize.set(this.size);
    if (this.staleSince && this.incremental && this.reloads > 1) this.log.log(`change feed back: reloaded ${this.size} enabled target(s)`);
    this.staleSince = this.staleReason = undefined;
    enabledViewStale.set(0);
    return true;
  }

  private async apply(ids: string[]): Promise<boolean> {
    let now: EnabledTarget[];
    try {
      now = await this.source.read!(ids);
    } catch (e) {
      enabledViewChanges.inc({ outcome: 'error' }, ids.length);
      this.log.warn(`re-reading ${ids.length} changed instance(s) failed, retrying: ${(e as Error).message}`);
      return false;
    }
    for (const id of ids) this.maps.remove(id);
    for (const t of now) this.maps.put(t);
    this.applied += ids.length;
    enabledViewChanges.inc({ outcome: 'ok' }, ids.length);
    enabledViewSize.set(this.size);
    return true;
  }
}
