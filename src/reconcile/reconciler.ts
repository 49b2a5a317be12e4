import { SecretBox } from '../common/crypto';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ownedKeyName, projectSlug, teamSlug } from '../common/names';
import { CatalogService } from '../catalog/catalog.service';
import { Plan } from '../catalog/plan';
import { InstanceStore } from '../instances/instance-store';
import { ConditionSet } from '../instances/conditions';
import { CONDITION_TYPES, ConditionType, Dsn, Instance } from '../instances/model';
import { KubernetesTargets } from '../kubernetes/kubernetes-targets.port';
import { ErrorTracker, UpstreamKey } from '../upstreams/error-tracker.port';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { OperationSettler } from './operation-settler';
import { LockLost } from './pg-instance-locks';
import { InstanceLocks } from './reconcile-queue';
import { desiredSecret } from './secret-data';
import { MembersOutcome, TeamMemberSync } from './team-members';
import { openDsn, sealDsn } from '../instances/sealed-dsn';

export type ReconcileOutcome = 'ready' | 'disabled' | 'failed' | 'retry' | 'busy' | 'gone';

/**
 * What one reconcile returns, in controller-runtime's shape: the worker that called it owns what
 * happens next (retries with backoff, requeues); the reconciler never sleeps or retries itself.
 * - `done`: the observed state matches the desired state (or the instance is gone).
 * - `requeue`: come back after `afterSeconds` (the lock is held elsewhere or was lost, or the
 *   desired state kept changing during the pass, or team members could not be synced after the DSN
 *   was delivered); not a failure and never a silent completion.
 * - `error`: the pass failed. A retryable error is recorded as "will retry"; the worker retries it
 *   with backoff and calls `giveUp` when the budget is spent. A terminal error is recorded as failed.
 */
export type ReconcileResult =
  | { kind: 'done'; state: 'ready' | 'disabled' | 'gone' }
  | { kind: 'requeue'; afterSeconds: number; reason: 'busy' | 'lock lost' | 'changed' | 'members' }
  | { kind: 'error'; error: DomainError; generation: number };

export interface Attempt {
  retryCount: number;
  retryLimit: number;
}

export interface ReconcileLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** How often a pass starts over within one lock hold when the desired state changed meanwhile. */
const PASSES_PER_LOCK = 3;
/** The step of a pass a condition reports on, in order. */
const STEPS: ConditionType[] = ['ProjectReady', 'KeyReady', 'SecretReady', 'MembersSynced'];

/**
 * Makes the world match one instance's desired state. Level-triggered: it reads what exists and
 * does only what is missing, so a crash, a retry or a second worker at any point is harmless.
 * Each pass is recorded (state, error, observed generation).
 */
export class Reconciler {
  constructor(
    private readonly store: InstanceStore,
    private readonly upstreams: UpstreamRegistry,
    private readonly catalog: CatalogService,
    private readonly box: SecretBox,
    private readonly locks: InstanceLocks,
    private readonly targets: KubernetesTargets | null,
    private readonly settler: OperationSettler,
    private readonly log: ReconcileLog,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.members = new TeamMemberSync(store, upstreams, catalog, log, now);
  }

  private readonly members: TeamMemberSync;

  /** One reconcile of one instance under its lock (see ReconcileResult). */
  async run(instanceId: string): Promise<ReconcileResult> {
    let result: ReconcileResult | 'busy';
    try {
      result = await this.locks.withLock(instanceId, async (signal) => {
        for (let pass = 0; pass < PASSES_PER_LOCK; pass++) {
          const inst = await this.store.getInstance(instanceId);
          if (!inst) return { kind: 'done', state: 'gone' } as const;
          const outcome = await this.pass(inst, signal);
          if (outcome.kind === 'error') return outcome;
          await this.settler.settle(instanceId);
          const after = await this.store.getInstance(instanceId);
          if (!after) return { kind: 'done', state: 'gone' } as const;
          // A change of desired state while the pass ran gets another pass right away.
          if (after.generation === inst.generation) return outcome;
        }
        return { kind: 'requeue', afterSeconds: 0, reason: 'changed' } as const;
      });
    } catch (e) {
      if (e instanceof LockLost) {
        this.log.warn({ instance: instanceId }, `${e.message}; the instance is requeued`);
        return { kind: 'requeue', afterSeconds: 1, reason: 'lock lost' };
      }
      throw e;
    }
    return result === 'busy' ? { kind: 'requeue', afterSeconds: 1, reason: 'busy' } : result;
  }

  /**
   * The retry budget of a retryable error is spent: records the environment as failed with the reason,
   * unless the desired state changed since (then the newer generation gets its own passes).
   */
  async giveUp(instanceId: string, result: Extract<ReconcileResult, { kind: 'error' }>, attempts: number): Promise<'failed' | 'busy' | 'superseded'> {
    const outcome = await this.locks.withLock(instanceId, async () => {
      const inst = await this.store.getInstance(instanceId);
      if (!inst || inst.generation !== result.generation) return 'superseded' as const;
      const reason = `gave up after ${attempts} attempts: ${result.error.message}`;
      this.log.warn({ instance: instanceId, code: result.error.code }, `reconcile failed: ${reason}`);
      // The failing step's condition says it too (it said "will retry").
      const conds = new ConditionSet(inst.conditions, inst.generation, this.now);
      const failing = CONDITION_TYPES.map((t) => conds.get(t)).find((c) => c.status === 'False');
      if (failing) conds.set(failing.type, 'False', failing.reason, reason);
      await this.store.updateInstance(instanceId, {
        state: 'failed',
        error: reason,
        reconciledAt: this.now(),
        ...(conds.changed && inst.desired === 'present' ? { conditions: conds.take() } : {}),
      });
      await this.settler.settle(instanceId);
      return 'failed' as const;
    });
    return outcome;
  }

  /**
   * For in-process drivers (unit specs, tools): one run with the worker's decisions applied for the
   * given attempt, summarised as one word.
   */
  async reconcile(instanceId: string, attempt: Attempt): Promise<ReconcileOutcome> {
    const r = await this.run(instanceId);
    if (r.kind === 'done') return r.state;
    if (r.kind === 'requeue') return r.reason === 'changed' ? 'retry' : r.reason === 'members' ? 'ready' : 'busy';
    if (!r.error.retryable) return 'failed';
    if (attempt.retryCount < attempt.retryLimit) return 'retry';
    const given = await this.giveUp(instanceId, r, attempt.retryCount + 1);
    return given === 'failed' ? 'failed' : 'retry';
  }

  private async pass(inst: Instance, signal?: AbortSignal): Promise<ReconcileResult> {
    const generation = inst.generation;
    const alive = () => {
      if (signal?.aborted) throw signal.reason;
    };
    const conds = new ConditionSet(inst.conditions, generation, this.now);
    const step = { current: STEPS[0] };
    try {
      if (inst.desired === 'present') {
        const members = await this.converge(inst, alive, conds, step);
        alive();
        const error = members.ok ? null : members.error;
        await this.store.updateInstance(inst.id, { state: 'ready', error, observedGeneration: generation, reconciledAt: this.now(), conditions: conds.take() });
        return members.ok ? { kind: 'done', state: 'ready' } : { kind: 'requeue', afterSeconds: members.retryInSeconds, reason: 'members' };
      }
      // A note (not an error) when the project is kept because the upstream cannot delete it.
      const note = await this.teardown(inst, alive);
      alive();
      // A disabled environment has nothing to report on: its conditions are cleared (`state` says disabled).
      await this.store.updateInstance(inst.id, { state: 'disabled', error: note, observedGeneration: generation, reconciledAt: this.now(), conditions: [] });
      return { kind: 'done', state: 'disabled' };
    } catch (e) {
      // The lock went away with its connection: stop here; another pass (maybe elsewhere) takes over.
      if (signal?.aborted) throw signal.reason;
      const err = e instanceof DomainError ? e : new DomainError(ErrorCode.Internal, (e as Error)?.message ?? String(e), undefined, true);
      const failed: Partial<Instance> = {};
      if (inst.desired === 'present') {
        conds.set(step.current, 'False', err.code, err.retryable ? `${err.message} (will retry)` : err.message);
        for (const later of STEPS.slice(STEPS.indexOf(step.current) + 1)) conds.waiting(later, step.current);
        failed.conditions = conds.take();
      }
      if (err.retryable) {
        this.log.warn({ instance: inst.id, code: err.code }, `reconcile will retry: ${err.message}`);
        await this.store.updateInstance(inst.id, { ...failed, error: `${err.message} (will retry)` });
      } else {
        this.log.warn({ instance: inst.id, code: err.code }, `reconcile failed: ${err.message}`);
        await this.store.updateInstance(inst.id, { ...failed, state: 'failed', error: err.message, reconciledAt: this.now() });
      }
      return { kind: 'error', error: err, generation };
    }
  }

  private planOf(inst: Instance): Plan {
    const plan = this.catalog.find(inst.plan);
    if (!plan) throw new DomainError(ErrorCode.PlanNotFound, `plan "${inst.plan}" is no longer in the catalog; re-enable monitoring with an existing plan`);
    return plan;
  }

  private trackerOf(inst: Instance, plan: Plan): ErrorTracker {
    return this.upstreams.get(inst.upstream ?? plan.upstream);
  }

  /**
   * Delivers project, key and Secret; then syncs team members, whose failure is returned, never thrown. Each step's
   * condition is written as soon as the step is done; `step.current` names the step running (for a failure's condition).
   */
  private async converge(inst: Instance, alive: () => void, conds: ConditionSet, step: { current: ConditionType }): Promise<MembersOutcome> {
    const flush = async () => {
      if (conds.changed) await this.store.updateInstance(inst.id, { conditions: conds.take() });
    };
    const plan = this.planOf(inst);
    const tracker = this.trackerOf(inst, plan);
    if (inst.state !== 'ready' && inst.state !== 'provisioning') await this.store.updateInstance(inst.id, { state: 'provisioning' });
    const team = teamSlug(inst.app);
    const slug = inst.projectSlug ?? projectSlug(inst.app, inst.module, inst.env);
    alive();
    const project = await this.ensureProject(inst, tracker, plan, team, slug);
    conds.set('ProjectReady', 'True', project.reason, project.message);
    await flush();
    alive();
    step.current = 'KeyReady';
    const dsn = await this.ensureKey(inst, tracker, plan, slug);
    alive();
    await this.store.updateInstance(inst.id, { dsnSealed: sealDsn(this.box, dsn) });
    await this.ensureBindings(inst, tracker, plan, slug);
    conds.set('KeyReady', 'True', 'Active', `svc-sentry's client key of project "${slug}" is active and its DSN delivered`);
    await flush();
    alive();
    step.current = 'SecretReady';
    const secret = await this.ensureSecret(inst, plan, dsn);
    conds.set('SecretReady', 'True', secret.reason, secret.message);
    await flush();
    alive();
    step.current = 'MembersSynced';
    return this.members.sync(inst, tracker, plan, team, project.teamReady, conds);
  }

  /** Project: verify the recorded one, else create it; on "already exists" adopt it only when provably ours. */
  private async ensureProject(
    inst: Instance,
    tracker: ErrorTracker,
    plan: Plan,
    team: string,
    slug: string,
  ): Promise<{ teamReady: boolean; reason: string; message: string }> {
    if (inst.projectSlug && (await tracker.getProject(slug))) return { teamReady: false, reason: 'Exists', message: `project "${slug}" exists upstream` };
    await tracker.ensureTeam(team);
    const created = await tracker.createProject({ team, slug, platform: plan.platform, defaultRules: plan.defaultAlertRule });
    if (created) {
      await this.store.updateInstance(inst.id, { teamSlug: team, projectSlug: created.slug, projectId: created.id, projectOwned: true });
      this.log.info({ instance: inst.id, project: created.slug }, 'created upstream project');
      return { teamReady: true, reason: 'Created', message: `project "${created.slug}" created in team "${team}"` };
    }
    const existing = await tracker.getProject(slug);
    if (!existing) throw new DomainError(ErrorCode.UpstreamUnavailable, `project "${slug}" reported as existing but cannot be read yet`, undefined, true);
    const recorded = inst.projectSlug === existing.slug && inst.projectId === existing.id;
    const ourNamingInOurTeam = existing.slug === projectSlug(inst.app, inst.module, inst.env) && existing.teamSlugs.includes(team);
    if (!recorded && !ourNamingInOurTeam) {
      throw new DomainError(
        ErrorCode.NotOwned,
        `project "${slug}" already exists upstream but does not belong to team "${team}", so svc-sentry will not adopt it. ` +
          `Add the project to team "${team}" to let svc-sentry adopt it, or rename or delete it upstream, then re-enable monitoring.`,
      );
    }
    await this.store.updateInstance(inst.id, { teamSlug: team, projectSlug: existing.slug, projectId: existing.id, projectOwned: true });
    this.log.info({ instance: inst.id, project: existing.slug }, 'adopted existing upstream project (ours by naming and team)');
    return recorded
      ? { teamReady: true, reason: 'Exists', message: `project "${existing.slug}" exists upstream` }
      : { teamReady: true, reason: 'Adopted', message: `project "${existing.slug}" existed in team "${team}" with svc-sentry's naming and was adopted` };
  }

  /**
   * The client key svc-sentry owns. The key row is written before the key is created upstream
   * (an intent), and the key carries a name derived from the instance, so a crash between create
   * and record is repaired by finding the key by that name instead of creating a second one.
   */
  private async ensureKey(inst: Instance, tracker: ErrorTracker, plan: Plan, slug: string): Promise<Dsn> {
    const name = ownedKeyName(inst.id);
    let row = (await this.store.listKeys(inst.id)).find((k) => k.name === name);
    if (row?.upstreamKeyId) {
      const live = await this.liveOwnedKey(tracker, slug, name, row.upstreamKeyId);
      if (live) {
        const current = openDsn(this.box, row.dsnSealed);
        if (!current || current.public !== live.dsn.public || current.secret !== live.dsn.secret) {
          await this.store.saveKey({ ...row, dsnSealed: sealDsn(this.box, live.dsn), state: 'active' });
        }
        return live.dsn;
      }
      // svc-sentry deleted it itself (a deprovision, now provisioned again): expected. Gone otherwise: someone removed it.
      if (row.state === 'deleted')
        this.log.info({ instance: inst.id, key: row.upstreamKeyId }, 'provisioned again after our deprovision; creating a new client key');
      else this.log.warn({ instance: inst.id, key: row.upstreamKeyId }, 'our client key is gone upstream; creating a new one');
      row = await this.store.saveKey({ ...row, upstreamKeyId: null, state: 'pending', dsnSealed: null });
    }
    const wasPending = !!row;
    row ??= await this.store.saveKey({ instanceId: inst.id, name, purpose: 'primary', bindingId: null, desired: 'present', state: 'pending' });
    const found = wasPending ? (await tracker.listKeys(slug)).find((k) => k.name === name) : undefined;
    const key = found ?? (await tracker.createKey(slug, { name, rateLimit: tracker.capabilities.keyRateLimit ? plan.keyRateLimit : undefined }));
    await this.store.saveKey({ ...row, upstreamKeyId: key.id, state: 'active', dsnSealed: sealDsn(this.box, key.dsn) });
    return key.dsn;
  }

  /**
   * The recorded key as it is upstream. Where a project can hold several keys, the project's keys are listed (one call,
   * like a single read) so that any other key carrying this instance's key name is removed: a pass that lost its lock
   * (its database connection died) can still have a create in flight, landing after another pass made the key.
   */
  private async liveOwnedKey(tracker: ErrorTracker, slug: string, name: string, keyId: string): Promise<UpstreamKey | null> {
    if (!tracker.capabilities.multipleKeys) return tracker.getKey(slug, keyId);
    const keys = await tracker.listKeys(slug);
    const live = keys.find((k) => k.id === keyId) ?? null;
    if (live) {
      for (const extra of keys.filter((k) => k.name === name && k.id !== keyId)) {
        await tracker.deleteKey(slug, extra.id);
        this.log.info({ key: extra.id, project: slug }, 'removed a second client key with our name (made by a pass that lost its lock)');
      }
    }
    return live;
  }

  /**
   * Binding keys (OSB bindings): rows are written as intents by the instances service before the key
   * exists upstream; a pending row is first looked up upstream by its name, so a crash between create
   * and record never makes a second key. Rows wished absent are revoked. Rotation is just another row.
   */
  private async ensureBindings(inst: Instance, tracker: ErrorTracker, plan: Plan, slug: string): Promise<void> {
    const rows = (await this.store.listKeys(inst.id)).filter((k) => k.purpose === 'binding' && !(k.desired === 'absent' && k.state === 'deleted'));
    if (!rows.length) return;
    const needsList = rows.some((k) => !k.upstreamKeyId);
    const upstream = needsList ? await tracker.listKeys(slug) : [];
    for (const row of rows) {
      let keyId = row.upstreamKeyId ?? upstream.find((u) => u.name === row.name)?.id ?? null;
      if (row.desired === 'absent') {
        if (keyId) await tracker.deleteKey(slug, keyId);
        await this.store.saveKey({ ...row, state: 'deleted', dsnSealed: null });
        this.log.info({ instance: inst.id, binding: row.bindingId }, 'binding key revoked');
        continue;
      }
      const live = keyId ? await tracker.getKey(slug, keyId) : null;
      if (row.upstreamKeyId && !live) this.log.warn({ instance: inst.id, binding: row.bindingId }, 'binding key is gone upstream; creating a new one');
      const key = live ?? (await tracker.createKey(slug, { name: row.name, rateLimit: tracker.capabilities.keyRateLimit ? plan.keyRateLimit : undefined }));
      keyId = key.id;
      const current = openDsn(this.box, row.dsnSealed);
      if (row.upstreamKeyId !== keyId || row.state !== 'active' || current?.public !== key.dsn.public || current?.secret !== key.dsn.secret) {
        await this.store.saveKey({ ...row, upstreamKeyId: keyId, state: 'active', dsnSealed: sealDsn(this.box, key.dsn) });
      }
    }
  }

  private async ensureSecret(inst: Instance, plan: Plan, dsn: Dsn): Promise<{ reason: string; message: string }> {
    if (!this.targets?.configured())
      return { reason: 'NoCluster', message: 'no Kubernetes cluster is configured: the DSN is delivered in this status only, no Secret is written' };
    const id = { app: inst.app, module: inst.module, env: inst.env };
    const ref = this.targets.resolve(id, inst.targetRequest ?? undefined);
    if (!ref) return { reason: 'NotRequested', message: 'no Kubernetes target for this environment: no Secret is written' };
    if (inst.secret && (inst.secret.cluster !== ref.cluster || inst.secret.namespace !== ref.namespace || inst.secret.name !== ref.name)) {
      await this.targets.removeSecret(inst.secret, id);
    }
    const outcome = await this.targets.ensureSecret(ref, desiredSecret(inst, plan, dsn));
    if (outcome !== 'unchanged') this.log.info({ instance: inst.id, secret: ref, outcome }, 'secret converged');
    await this.store.updateInstance(inst.id, { secret: ref });
    // Optional rollout restart so running Pods pick up the changed Secret without waiting for a deploy.
    if (outcome !== 'unchanged' && (plan.rollout ?? this.targets.rolloutByDefault())) await this.targets.rollout(ref, id);
    return { reason: 'Applied', message: `Secret "${ref.name}" in namespace "${ref.namespace}" of cluster "${ref.cluster}" holds SENTRY_DSN` };
  }

  /**
   * Disable: revoke only the keys svc-sentry created, remove our Secret, keep or delete the project per plan.
   * Returns a note for the status when the project is kept because the upstream cannot delete it (Bugsink).
   */
  private async teardown(inst: Instance, alive: () => void): Promise<string | null> {
    if (inst.state !== 'disabled') await this.store.updateInstance(inst.id, { state: 'deprovisioning' });
    const plan = this.catalog.find(inst.plan);
    const keys = (await this.store.listKeys(inst.id)).filter((k) => k.state !== 'deleted');
    if (inst.projectSlug && keys.length) {
      const tracker = this.trackerOf(inst, plan ?? this.catalog.get());
      const pending = keys.some((k) => !k.upstreamKeyId);
      const upstreamKeys = pending ? await tracker.listKeys(inst.projectSlug) : [];
      for (const k of keys) {
        alive();
        const keyId = k.upstreamKeyId ?? upstreamKeys.find((u) => u.name === k.name)?.id;
        if (keyId) await tracker.deleteKey(inst.projectSlug, keyId);
        await this.store.saveKey({ ...k, state: 'deleted', desired: 'absent', dsnSealed: null });
      }
    } else {
      for (const k of keys) await this.store.saveKey({ ...k, state: 'deleted', desired: 'absent', dsnSealed: null });
    }
    alive();
    if (inst.secret && this.targets?.configured()) {
      await this.targets.removeSecret(inst.secret, { app: inst.app, module: inst.module, env: inst.env });
    }
    const patch: Partial<Instance> = { dsnSealed: null, secret: null };
    const note = inst.projectSlug ? this.trackerOf(inst, plan ?? this.catalog.get()).keptProjectNote() : null;
    if (inst.projectSlug && plan?.deletePolicy === 'delete' && inst.projectOwned) {
      const tracker = this.trackerOf(inst, plan);
      if (tracker.capabilities.projectDelete) {
        await tracker.deleteProject(inst.projectSlug);
        Object.assign(patch, { projectSlug: null, projectId: null, projectOwned: false });
      }
    }
    await this.store.updateInstance(inst.id, patch);
    return note;
  }
}
