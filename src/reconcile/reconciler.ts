import { createHash } from 'node:crypto';
import { SecretBox } from '../common/crypto';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ownedKeyName, projectSlug, teamSlug } from '../common/names';
import { CatalogService } from '../catalog/catalog.service';
import { Plan } from '../catalog/plan';
import { InstanceStore } from '../instances/instance-store';
import { Dsn, Instance } from '../instances/model';
import { KubernetesTargets } from '../kubernetes/kubernetes-targets.port';
import { ErrorTracker } from '../upstreams/error-tracker.port';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { OperationSettler } from './operation-settler';
import { InstanceLocks } from './reconcile-queue';
import { desiredSecret } from './secret-data';
import { openDsn, sealDsn } from './sealed-dsn';

export type ReconcileOutcome = 'ready' | 'disabled' | 'failed' | 'retry' | 'busy' | 'gone';

export interface Attempt {
  retryCount: number;
  retryLimit: number;
}

export interface ReconcileLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Makes the world match one instance's desired state. Level-triggered: it reads what exists and
 * does only what is missing, so a crash, a retry or a second worker at any point is harmless.
 * Each pass is recorded (state, error, observed generation); callers retry on `retry`.
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
  ) {}

  async reconcile(instanceId: string, attempt: Attempt): Promise<ReconcileOutcome> {
    const result = await this.locks.withLock(instanceId, async () => {
      let outcome: ReconcileOutcome = 'gone';
      // A change of desired state while a pass runs gets another pass right away.
      for (let pass = 0; pass < 3; pass++) {
        const inst = await this.store.getInstance(instanceId);
        if (!inst) return 'gone' as const;
        outcome = await this.pass(inst, attempt);
        await this.settler.settle(instanceId);
        const after = await this.store.getInstance(instanceId);
        if (outcome === 'retry' || !after || after.generation === inst.generation) break;
      }
      return outcome;
    });
    return result;
  }

  private async pass(inst: Instance, attempt: Attempt): Promise<ReconcileOutcome> {
    const generation = inst.generation;
    try {
      if (inst.desired === 'present') {
        await this.converge(inst);
        await this.store.updateInstance(inst.id, { state: 'ready', error: null, observedGeneration: generation, reconciledAt: new Date() });
        return 'ready';
      }
      await this.teardown(inst);
      await this.store.updateInstance(inst.id, { state: 'disabled', error: null, observedGeneration: generation, reconciledAt: new Date() });
      return 'disabled';
    } catch (e) {
      const err = e instanceof DomainError ? e : new DomainError(ErrorCode.Internal, (e as Error)?.message ?? String(e), undefined, true);
      const lastTry = attempt.retryCount >= attempt.retryLimit;
      if (err.retryable && !lastTry) {
        this.log.warn({ instance: inst.id, code: err.code, attempt: attempt.retryCount }, `reconcile will retry: ${err.message}`);
        await this.store.updateInstance(inst.id, { error: `${err.message} (will retry)` });
        return 'retry';
      }
      const reason = err.retryable ? `gave up after ${attempt.retryCount + 1} attempts: ${err.message}` : err.message;
      this.log.warn({ instance: inst.id, code: err.code }, `reconcile failed: ${reason}`);
      await this.store.updateInstance(inst.id, { state: 'failed', error: reason, reconciledAt: new Date() });
      return 'failed';
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

  private async converge(inst: Instance): Promise<void> {
    const plan = this.planOf(inst);
    const tracker = this.trackerOf(inst, plan);
    if (inst.state !== 'ready' && inst.state !== 'provisioning') await this.store.updateInstance(inst.id, { state: 'provisioning' });
    const team = teamSlug(inst.app);
    const slug = inst.projectSlug ?? projectSlug(inst.app, inst.module, inst.env);
    const teamReady = await this.ensureProject(inst, tracker, plan, team, slug);
    await this.syncMembers(inst, tracker, team, teamReady);
    const dsn = await this.ensureKey(inst, tracker, plan, slug);
    await this.store.updateInstance(inst.id, { dsnSealed: sealDsn(this.box, dsn) });
    await this.ensureBindings(inst, tracker, plan, slug);
    await this.ensureSecret(inst, plan, dsn);
  }

  /** Project: verify the recorded one, else create it; on "already exists" adopt it only when provably ours. */
  private async ensureProject(inst: Instance, tracker: ErrorTracker, plan: Plan, team: string, slug: string): Promise<boolean> {
    if (inst.projectSlug && (await tracker.getProject(slug))) return false;
    await tracker.ensureTeam(team);
    const created = await tracker.createProject({ team, slug, platform: plan.platform, defaultRules: plan.defaultAlertRule });
    if (created) {
      await this.store.updateInstance(inst.id, { teamSlug: team, projectSlug: created.slug, projectId: created.id, projectOwned: true });
      this.log.info({ instance: inst.id, project: created.slug }, 'created upstream project');
      return true;
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
    return true;
  }

  private async syncMembers(inst: Instance, tracker: ErrorTracker, team: string, teamReady: boolean): Promise<void> {
    if (!inst.developers || !tracker.capabilities.members) return;
    const hash = createHash('sha256')
      .update([...inst.developers].sort().join('\n'))
      .digest('hex')
      .slice(0, 16);
    if (inst.membersSynced === hash) return;
    if (!teamReady) await tracker.ensureTeam(team);
    await tracker.syncTeamMembers(team, inst.developers);
    await this.store.updateInstance(inst.id, { membersSynced: hash });
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
      const live = await tracker.getKey(slug, row.upstreamKeyId);
      if (live) {
        const current = openDsn(this.box, row.dsnSealed);
        if (!current || current.public !== live.dsn.public || current.secret !== live.dsn.secret) {
          await this.store.saveKey({ ...row, dsnSealed: sealDsn(this.box, live.dsn), state: 'active' });
        }
        return live.dsn;
      }
      this.log.warn({ instance: inst.id, key: row.upstreamKeyId }, 'our client key is gone upstream; creating a new one');
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

  private async ensureSecret(inst: Instance, plan: Plan, dsn: Dsn): Promise<void> {
    if (!this.targets?.configured()) return;
    const id = { app: inst.app, module: inst.module, env: inst.env };
    const ref = this.targets.resolve(id, inst.targetRequest ?? undefined);
    if (!ref) return;
    if (inst.secret && (inst.secret.cluster !== ref.cluster || inst.secret.namespace !== ref.namespace || inst.secret.name !== ref.name)) {
      await this.targets.removeSecret(inst.secret, id);
    }
    const outcome = await this.targets.ensureSecret(ref, desiredSecret(inst, plan, dsn));
    if (outcome !== 'unchanged') this.log.info({ instance: inst.id, secret: ref, outcome }, 'secret converged');
    await this.store.updateInstance(inst.id, { secret: ref });
    // Optional rollout restart so running Pods pick up the changed Secret without waiting for a deploy.
    if (outcome !== 'unchanged' && (plan.rollout ?? this.targets.rolloutByDefault())) await this.targets.rollout(ref, id);
  }

  /** Disable: revoke only the keys svc-sentry created, remove our Secret, keep or delete the project per plan. */
  private async teardown(inst: Instance): Promise<void> {
    if (inst.state !== 'disabled') await this.store.updateInstance(inst.id, { state: 'deprovisioning' });
    const plan = this.catalog.find(inst.plan);
    const keys = (await this.store.listKeys(inst.id)).filter((k) => k.state !== 'deleted');
    if (inst.projectSlug && keys.length) {
      const tracker = this.trackerOf(inst, plan ?? this.catalog.get());
      const pending = keys.some((k) => !k.upstreamKeyId);
      const upstreamKeys = pending ? await tracker.listKeys(inst.projectSlug) : [];
      for (const k of keys) {
        const keyId = k.upstreamKeyId ?? upstreamKeys.find((u) => u.name === k.name)?.id;
        if (keyId) await tracker.deleteKey(inst.projectSlug, keyId);
        await this.store.saveKey({ ...k, state: 'deleted', desired: 'absent', dsnSealed: null });
      }
    } else {
      for (const k of keys) await this.store.saveKey({ ...k, state: 'deleted', desired: 'absent', dsnSealed: null });
    }
    if (inst.secret && this.targets?.configured()) {
      await this.targets.removeSecret(inst.secret, { app: inst.app, module: inst.module, env: inst.env });
    }
    const patch: Partial<Instance> = { dsnSealed: null, secret: null };
    if (inst.projectSlug && plan?.deletePolicy === 'delete' && inst.projectOwned) {
      const tracker = this.trackerOf(inst, plan);
      if (tracker.capabilities.projectDelete) {
        await tracker.deleteProject(inst.projectSlug);
        Object.assign(patch, { projectSlug: null, projectId: null, projectOwned: false });
      }
    }
    await this.store.updateInstance(inst.id, patch);
  }
}
