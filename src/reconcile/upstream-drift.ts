import { SecretBox } from '../common/crypto';
import { DomainError } from '../common/domain-error';
import { CatalogService } from '../catalog/catalog.service';
import { UpstreamConfig } from '../config/config.schema';
import { DriftCandidate, InstanceStore } from '../instances/instance-store';
import { openDsn } from '../instances/sealed-dsn';
import { ErrorTracker } from '../upstreams/error-tracker.port';
import { inBackgroundLane } from '../upstreams/rate-limiter';
import { UpstreamRegistry } from '../upstreams/upstream-registry';

/** Share of a cycle's budget the bulk pass plans to use: the rest is slack for its repairs and for slow answers. */
const PLANNED_FRACTION = 0.8;
/** Key lists read at once (each still waits for its slot in the resync lane). */
const KEY_CHECKS_IN_FLIGHT = 8;
/** Projects per list page, by upstream kind (Sentry and GlitchTip: 100; Bugsink: 250). */
const PAGE_SIZE: Record<string, number> = { sentry: 100, glitchtip: 100, bugsink: 250 };

export interface DriftOptions {
  /** Part of each upstream's rate limit resync may use (SVC_SENTRY_RESYNC_UPSTREAM_SHARE). */
  share: number;
  /** The resync interval the cycle must fit in (seconds). */
  periodSeconds: number;
  /** Enqueues instances for a full reconcile (at resync priority). */
  enqueue: (ids: string[]) => Promise<void>;
  signal?: AbortSignal;
}

/** What one cycle found on one upstream (also the log fields). */
export interface UpstreamDriftSummary {
  upstream: string;
  /** Ready, converged instances on this upstream. */
  ready: number;
  projectsListed: number;
  listCalls: number;
  /** Instances whose project is gone or has another id upstream: enqueued for a full reconcile. */
  projectDrift: number;
  /** Upstream calls this cycle may use: rate × share × interval × 0.8. */
  budget: number;
  /** Key lists read this cycle (least recently verified first) and how many of them showed drift. */
  keyChecks: number;
  keyDrift: number;
  /** A key deleted upstream is found within this many cycles: ceil(ready / key checks per cycle). */
  keyCheckCycles: number | null;
  error?: string;
}

/**
 * Resync's upstream half, in bulk: per upstream, one paginated list of the organization's projects is compared with
 * the recorded project (slug and id) of every ready instance; an instance whose project is gone or different is
 * enqueued for a full reconcile, which recreates it. No API lists an organization's keys, so the keys of a slice of
 * ready instances are verified with one key list per project, least recently verified first, as many as the
 * budget allows; each verification is recorded. Every call runs in the rate limiter's background lane: at most
 * `share` of the upstream's rate, and only when no user-initiated call is waiting.
 */
export class UpstreamDrift {
  constructor(
    private readonly store: InstanceStore,
    private readonly upstreams: UpstreamRegistry,
    private readonly upstreamConfigs: UpstreamConfig[],
    private readonly catalog: CatalogService,
    private readonly box: SecretBox,
  ) {}

  /** Projects each upstream listed last cycle (sizes the next cycle's list pages). */
  private readonly listed = new Map<string, number>();

  async run(o: DriftOptions): Promise<UpstreamDriftSummary[]> {
    const byUpstream = new Map<string, DriftCandidate[]>();
    for (const c of await this.store.listDriftCandidates()) {
      const name = c.upstream ?? this.catalog.find(c.plan)?.upstream ?? null;
      if (!name) continue;
      const list = byUpstream.get(name);
      if (list) list.push(c);
      else byUpstream.set(name, [c]);
    }
    // Upstreams have separate rate limits: checked side by side.
    return Promise.all([...byUpstream].map(([name, candidates]) => inBackgroundLane(o.share, () => this.checkUpstream(name, candidates, o))));
  }

  private async checkUpstream(name: string, candidates: DriftCandidate[], o: DriftOptions): Promise<UpstreamDriftSummary> {
    const cfg = this.upstreamConfigs.find((u) => u.name === name);
    const budget = Math.floor((cfg?.rateLimitPerSecond ?? 20) * o.share * o.periodSeconds * PLANNED_FRACTION);
    const summary: UpstreamDriftSummary = {
      upstream: name,
      ready: candidates.length,
      projectsListed: 0,
      listCalls: 0,
      projectDrift: 0,
      budget,
      keyChecks: 0,
      keyDrift: 0,
      keyCheckCycles: null,
    };
    let tracker: ErrorTracker;
    try {
      tracker = this.upstreams.get(name);
    } catch (e) {
      summary.error = (e as Error).message;
      return summary;
    }
    // The list's pages come first in the budget (estimated from the last cycle's list, or from the ready count).
    const pageSize = PAGE_SIZE[cfg?.kind ?? 'sentry'] ?? 100;
    const estimatedPages = Math.max(1, Math.ceil(Math.max(candidates.length, this.listed.get(name) ?? 0) / pageSize));
    const slice = Math.max(0, budget - estimatedPages);
    summary.keyCheckCycles = candidates.length === 0 ? 0 : slice > 0 ? Math.ceil(candidates.length / slice) : null;
    const due = [...candidates].sort((a, b) => (a.keysCheckedAt?.getTime() ?? 0) - (b.keysCheckedAt?.getTime() ?? 0) || (a.id < b.id ? -1 : 1)).slice(0, slice);
    // The list walks its pages one after another (each waits for the last one's cursor), so its pages go first in the
    // lane and the key checks fill the slots in between: the cycle takes its budget's time, not list + keys.
    const listing = inBackgroundLane(o.share, () => tracker.listProjects(o.signal), { first: true }).then(
      (projects) => this.compareProjects(name, projects, candidates, o, summary, pageSize),
      // Upstream down or refusing: nothing is concluded about any project this cycle.
      (e: Error) => void (summary.error = `listing projects failed: ${e.message}`),
    );
    // Bugsink reads a project's one key through its id, which the list supplies: there, keys after the list.
    if (tracker.capabilities.multipleKeys) await Promise.all([listing, this.checkKeys(tracker, due, o, summary)]);
    else await listing.then(() => (summary.error ? undefined : this.checkKeys(tracker, due, o, summary)));
    return summary;
  }

  /** Enqueues every candidate whose recorded project is not in the list (or has another id there). */
  private async compareProjects(
    name: string,
    projects: Array<{ slug: string; id: string }>,
    candidates: DriftCandidate[],
    o: DriftOptions,
    summary: UpstreamDriftSummary,
    pageSize: number,
  ): Promise<void> {
    this.listed.set(name, projects.length);
    summary.projectsListed = projects.length;
    summary.listCalls = Math.max(1, Math.ceil(projects.length / pageSize));
    const ids = new Map(projects.map((p) => [p.slug, p.id]));
    const gone = candidates.filter((c) => !c.projectSlug || ids.get(c.projectSlug) !== c.projectId).map((c) => c.id);
    summary.projectDrift = gone.length;
    await o.enqueue(gone);
  }

  /** Key lists of the due instances, a few in flight; verified ones recorded, drifted ones enqueued. */
  private async checkKeys(tracker: ErrorTracker, due: DriftCandidate[], o: DriftOptions, summary: UpstreamDriftSummary): Promise<void> {
    let next = 0;
    let stop: string | undefined;
    const verified: string[] = [];
    const drifted: string[] = [];
    const flush = async () => {
      summary.keyDrift += drifted.length;
      await this.store.markKeysChecked(verified.splice(0), new Date());
      await o.enqueue(drifted.splice(0));
    };
    const worker = async () => {
      while (!stop && !o.signal?.aborted && next < due.length) {
        const c = due[next++];
        summary.keyChecks++;
        try {
          if (await this.keysMatch(tracker, c)) verified.push(c.id);
          else drifted.push(c.id);
        } catch (e) {
          // Unavailable or rate limited: stop for this cycle. Refused (e.g. the project vanished since the list): drift.
          if (e instanceof DomainError && !e.retryable) drifted.push(c.id);
          else stop = (e as Error).message;
        }
        if (verified.length + drifted.length >= 100) await flush();
      }
    };
    await Promise.all(Array.from({ length: Math.min(KEY_CHECKS_IN_FLIGHT, due.length) }, worker));
    await flush();
    if (stop) summary.error = `key checks stopped: ${stop}`;
  }

  /** Every key svc-sentry holds for the instance is live upstream with the DSN recorded. */
  private async keysMatch(tracker: ErrorTracker, c: DriftCandidate): Promise<boolean> {
    const rows = (await this.store.listKeys(c.id)).filter((k) => k.desired === 'present' && k.state === 'active');
    if (!rows.some((k) => k.purpose === 'primary' && k.upstreamKeyId)) return false;
    const live = new Map((await tracker.listKeys(c.projectSlug!)).map((k) => [normalizeKeyId(k.id), k]));
    return rows.every((row) => {
      const key = row.upstreamKeyId ? live.get(normalizeKeyId(row.upstreamKeyId)) : undefined;
      if (!key) return false;
      const recorded = openDsn(this.box, row.dsnSealed);
      return !recorded || recorded.public === key.dsn.public;
    });
  }
}

const normalizeKeyId = (id: string) => id.replace(/-/g, '').toLowerCase();
