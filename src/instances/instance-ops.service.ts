import { Injectable } from '@nestjs/common';
import { SecretBox } from '../common/crypto';
import { DomainError, ErrorCode } from '../common/domain-error';
import { isDnsLabel, ownedKeyName } from '../common/names';
import { CatalogService } from '../catalog/catalog.service';
import { metrics } from '../metrics/metrics';
import { openDsn } from './sealed-dsn';
import { InstanceStore, ModuleTx } from './instance-store';
import { Caller, normalizeEmails } from './instances.service';
import { Dsn, Instance, Key, Operation, TargetRequest } from './model';
import { sameDesired } from './desired-state';

export type PlatformProtocol = 'bkpaas' | 'osb';

/** A platform's request for one (app, module, env) instance under its own instance id. */
export interface ProvisionSpec {
  origin: PlatformProtocol;
  externalId: string;
  app: string;
  module: string;
  env: string;
  /** Domain plan (catalog name). */
  plan: string;
  /** What the platform sent, as it identifies the request (protocol plan, params, context). */
  parameters: Record<string, unknown>;
  developers?: string[] | null;
  targetRequest?: TargetRequest | null;
  /** OSB: a re-PUT with other parameters is a conflict. BlueKing: only the plan matters. */
  strictParameters: boolean;
}

export type Outcome = 'created' | 'exists' | 'in-progress';

export interface InstanceResult {
  outcome: Outcome;
  instance: Instance;
  operation: Operation | null;
}

export interface BindingResult extends InstanceResult {
  key: Key;
}

export interface UpdateSpec {
  plan?: string;
  parameters?: Record<string, unknown>;
  developers?: string[] | null;
  targetRequest?: TargetRequest | null;
}

export interface Settled {
  instance: Instance;
  /** converged at (or past) the generation asked for */
  done: boolean;
  failed: boolean;
}

const isConverged = (i: Instance, generation: number) =>
  i.generation > generation || (i.observedGeneration >= generation && (i.state === 'ready' || i.state === 'disabled'));
export const bindingKeyName = (bindingId: string) => ownedKeyName(bindingId, 'binding');

/**
 * Instance-level operations shared by the platform protocols (BlueKing remote service, OSB): one
 * (app, module, env) instance under a platform id, its bindings (extra client keys), deprovisioning
 * with tombstones, and waiting for the reconciler. Like InstancesService it only writes desired
 * state, an operation and reconcile jobs in one transaction; the reconciler does the work.
 */
@Injectable()
export class InstanceOpsService {
  constructor(
    private readonly store: InstanceStore,
    private readonly catalog: CatalogService,
    private readonly box: SecretBox,
  ) {}

  async provision(spec: ProvisionSpec, caller: Caller): Promise<InstanceResult> {
    for (const [what, v] of [
      ['app', spec.app],
      ['module', spec.module],
      ['environment', spec.env],
    ] as const) {
      if (!isDnsLabel(v))
        throw new DomainError(ErrorCode.InvalidInput, `${what} "${v}" is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters).`);
    }
    const plan = this.catalog.get(spec.plan);
    if (!plan.environments.includes(spec.env)) {
      throw new DomainError(ErrorCode.InvalidInput, `plan "${plan.name}" has no environment "${spec.env}" (it has ${plan.environments.join(', ')})`);
    }
    const developers = spec.developers == null ? null : normalizeEmails(spec.developers);
    const result = await this.store.withModuleLock(spec.app, spec.module, async (tx) => {
      const byId = await tx.findByExternalId(spec.origin, spec.externalId);
      const existing = await tx.instances();
      const row = existing.find((i) => i.env === spec.env);
      if (byId && byId.desired === 'present') {
        const sameTarget = byId.app === spec.app && byId.module === spec.module && byId.env === spec.env;
        if (sameTarget && byId.plan !== spec.plan) {
          throw new DomainError(ErrorCode.PlanConflict, `instance ${spec.externalId} exists with plan "${byId.plan}", not "${spec.plan}"`);
        }
        if (!sameTarget || (spec.strictParameters && !sameDesired(byId.parameters, spec.parameters))) {
          throw new DomainError(ErrorCode.Conflict, `instance ${spec.externalId} already exists with other attributes`);
        }
        return {
          outcome: isConverged(byId, byId.generation) && byId.state === 'ready' ? ('exists' as const) : ('in-progress' as const),
          instance: byId,
          operation: null,
        };
      }
      if (row && row.desired === 'present' && row.externalId && !(row.origin === spec.origin && row.externalId === spec.externalId)) {
        throw new DomainError(
          ErrorCode.Conflict,
          `app "${spec.app}" module "${spec.module}" environment "${spec.env}" is already provisioned under another ${row.origin} instance`,
        );
      }
      // A tombstone of this id elsewhere gives its id up (the id is reused for a new instance).
      if (byId && byId.id !== row?.id) await tx.saveInstance({ ...byId, externalId: null });
      const instance = await tx.saveInstance({
        ...(row ?? { observedGeneration: 0, generation: 0 }),
        app: spec.app,
        module: spec.module,
        env: spec.env,
        plan: spec.plan,
        upstream: row?.desired === 'present' ? row.upstream : (plan.upstream ?? null),
        origin: spec.origin,
        externalId: spec.externalId,
        parameters: spec.parameters,
        desired: 'present',
        state: row?.desired === 'present' && row.state === 'ready' ? 'ready' : 'pending',
        generation: (row?.generation ?? 0) + 1,
        developers: developers ?? (row?.desired === 'present' ? row.developers : null),
        targetRequest: spec.targetRequest ?? (row?.desired === 'present' ? row.targetRequest : null),
        error: null,
      });
      const attachment = await tx.attachment();
      if (attachment && !attachment.enabled) await tx.saveAttachment({ ...attachment, enabled: true });
      const operation = await this.record(tx, 'provision', instance, caller, {
        externalId: spec.externalId,
        plan: spec.plan,
        env: spec.env,
        parameters: spec.parameters,
      });
      await tx.enqueue([instance.id]);
      return { outcome: 'created' as const, instance, operation };
    });
    if (result.outcome === 'created') metrics.toggles.inc({ protocol: caller.protocol, enabled: 'true' });
    return result.operation ? result : { ...result, operation: await this.store.latestOperationFor(result.instance.id) };
  }

  /** Marks the instance absent (its keys are revoked by the reconciler); the row stays as a tombstone. */
  async deprovision(origin: PlatformProtocol, externalId: string, caller: Caller): Promise<InstanceResult> {
    const found = await this.findLive(origin, externalId, true);
    return this.store.withModuleLock(found.app, found.module, async (tx) => {
      const inst = (await tx.instances()).find((i) => i.id === found.id);
      if (!inst || inst.externalId !== externalId) throw this.gone(externalId);
      if (inst.desired === 'absent') {
        if (isConverged(inst, inst.generation)) throw this.gone(externalId);
        return { outcome: 'in-progress' as const, instance: inst, operation: await tx.latestOperation(inst.id) };
      }
      const instance = await tx.saveInstance({ ...inst, desired: 'absent', state: 'deprovisioning', generation: inst.generation + 1, error: null });
      const operation = await this.record(tx, 'deprovision', instance, caller, { externalId });
      await tx.enqueue([instance.id]);
      metrics.toggles.inc({ protocol: caller.protocol, enabled: 'false' });
      return { outcome: 'created' as const, instance, operation };
    });
  }

  /** Plan, parameters, developers or target of a live instance; a no-op when nothing changes. */
  async update(
    origin: PlatformProtocol,
    externalId: string,
    patch: UpdateSpec,
    caller: Caller,
    kind = 'update',
  ): Promise<InstanceResult & { changed: boolean }> {
    const found = await this.findLive(origin, externalId);
    if (patch.plan !== undefined) this.catalog.get(patch.plan);
    const developers = patch.developers == null ? patch.developers : normalizeEmails(patch.developers);
    return this.store.withModuleLock(found.app, found.module, async (tx) => {
      const inst = (await tx.instances()).find((i) => i.id === found.id);
      if (!inst || inst.desired !== 'present' || inst.externalId !== externalId) throw this.gone(externalId);
      const next = {
        plan: patch.plan ?? inst.plan,
        parameters: patch.parameters ?? inst.parameters,
        developers: developers !== undefined ? developers : inst.developers,
        targetRequest: patch.targetRequest !== undefined ? patch.targetRequest : inst.targetRequest,
      };
      const converge = next.plan !== inst.plan || !sameDesired(next.developers, inst.developers) || !sameDesired(next.targetRequest, inst.targetRequest);
      if (!converge && sameDesired(next.parameters, inst.parameters)) return { outcome: 'exists' as const, changed: false, instance: inst, operation: null };
      const instance = await tx.saveInstance({
        ...inst,
        ...next,
        ...(converge ? { generation: inst.generation + 1, state: inst.state === 'ready' ? 'ready' : 'pending', error: null } : {}),
      });
      const operation = await this.record(tx, kind, instance, caller, { externalId, ...patch }, converge ? undefined : 'succeeded');
      if (converge) await tx.enqueue([instance.id]);
      return { outcome: 'created' as const, changed: true, instance, operation };
    });
  }

  /** A binding: one more client key of the instance, named after the binding id. */
  async bind(
    origin: PlatformProtocol,
    externalId: string,
    bindingId: string,
    parameters: Record<string, unknown>,
    caller: Caller,
    predecessor?: string,
  ): Promise<BindingResult> {
    const found = await this.findLive(origin, externalId);
    return this.store.withModuleLock(found.app, found.module, async (tx) => {
      const inst = (await tx.instances()).find((i) => i.id === found.id);
      if (!inst || inst.desired !== 'present' || inst.externalId !== externalId) throw this.gone(externalId);
      const keys = await tx.keys(inst.id);
      const row = keys.find((k) => k.name === bindingKeyName(bindingId));
      if (row && row.desired === 'present') {
        if (!sameDesired(row.parameters, parameters)) throw new DomainError(ErrorCode.Conflict, `binding ${bindingId} already exists with other parameters`);
        const operation = await tx.latestOperation(inst.id, bindingId);
        return { outcome: row.state === 'active' ? ('exists' as const) : ('in-progress' as const), key: row, instance: inst, operation };
      }
      if (predecessor !== undefined) {
        const pred = keys.find((k) => k.purpose === 'binding' && k.bindingId === predecessor && k.desired === 'present');
        if (!pred) throw new DomainError(ErrorCode.InvalidInput, `predecessor_binding_id "${predecessor}" is not a binding of this instance`);
      }
      // The intent row comes first; the reconciler creates the key upstream under this name.
      const key = await tx.saveKey({
        ...(row ?? {}),
        instanceId: inst.id,
        name: bindingKeyName(bindingId),
        purpose: 'binding',
        bindingId,
        desired: 'present',
        state: 'pending',
        upstreamKeyId: null,
        dsnSealed: null,
        parameters,
      });
      const instance = await tx.saveInstance({ ...inst, generation: inst.generation + 1 });
      const operation = await this.record(tx, 'bind', instance, caller, { externalId, bindingId, predecessorBindingId: predecessor ?? null });
      await tx.enqueue([inst.id]);
      return { outcome: 'created' as const, key, instance, operation };
    });
  }

  async unbind(origin: PlatformProtocol, externalId: string, bindingId: string, caller: Caller): Promise<BindingResult> {
    const found = await this.findLive(origin, externalId, true);
    return this.store.withModuleLock(found.app, found.module, async (tx) => {
      const inst = (await tx.instances()).find((i) => i.id === found.id);
      const row = inst ? (await tx.keys(inst.id)).find((k) => k.name === bindingKeyName(bindingId)) : undefined;
      if (!inst || !row) throw new DomainError(ErrorCode.NotFound, `binding ${bindingId} does not exist`, { gone: true });
      if (row.desired === 'absent') {
        if (row.state === 'deleted') throw new DomainError(ErrorCode.NotFound, `binding ${bindingId} was deleted`, { gone: true });
        return { outcome: 'in-progress' as const, key: row, instance: inst, operation: await tx.latestOperation(inst.id, bindingId) };
      }
      const key = await tx.saveKey({ ...row, desired: 'absent' });
      const instance = inst.desired === 'present' ? await tx.saveInstance({ ...inst, generation: inst.generation + 1 }) : inst;
      const operation = await this.record(tx, 'unbind', instance, caller, { externalId, bindingId });
      await tx.enqueue([inst.id]);
      return { outcome: 'created' as const, key, instance, operation };
    });
  }

  /** Polls the store until the instance converged the generation (or failed), or the timeout passes. */
  async awaitSettled(instanceId: string, generation: number, timeoutMs: number, everyMs = 100): Promise<Settled> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const instance = await this.store.getInstance(instanceId);
      if (!instance) throw new DomainError(ErrorCode.InstanceNotFound, `instance ${instanceId} vanished`);
      if (isConverged(instance, generation)) return { instance, done: true, failed: false };
      if (instance.state === 'failed' && instance.generation === generation) return { instance, done: true, failed: true };
      if (Date.now() >= deadline) return { instance, done: false, failed: false };
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /** The instance under a platform id, tombstones included (null when the id was never seen). */
  byExternalId(origin: PlatformProtocol, externalId: string): Promise<Instance | null> {
    return this.store.findByExternalId(origin, externalId);
  }

  byTarget(app: string, module: string, env: string): Promise<Instance | null> {
    return this.store.findInstances(app, module).then((all) => all.find((i) => i.env === env) ?? null);
  }

  async keys(instanceId: string): Promise<Key[]> {
    return this.store.listKeys(instanceId);
  }

  latestOperation(instanceId: string, bindingId?: string | null): Promise<Operation | null> {
    return this.store.latestOperationFor(instanceId, bindingId);
  }

  /** The latest operation a protocol made for its own instance id (also once that id's environment moved to another id). */
  latestOperationByExternalId(origin: PlatformProtocol, externalId: string): Promise<Operation | null> {
    return this.store.latestOperationByExternalId(origin, externalId);
  }

  async operation(id: string): Promise<Operation | null> {
    return /^[0-9a-f-]{36}$/i.test(id) ? this.store.getOperation(id) : null;
  }

  openOperations(instanceId: string): Promise<Operation[]> {
    return this.store.openOperationsFor(instanceId);
  }

  /** The DSN apps should use: the plan's format (legacy = `public:secret`). */
  dsnOf(instance: Instance, sealed: string | null = instance.dsnSealed): string | null {
    const dsn: Dsn | null = openDsn(this.box, sealed);
    if (!dsn) return null;
    return this.catalog.find(instance.plan)?.dsnFormat === 'legacy' ? dsn.secret : dsn.public;
  }

  isConverged(i: Instance): boolean {
    return isConverged(i, i.generation);
  }

  private async findLive(origin: PlatformProtocol, externalId: string, allowTombstone = false): Promise<Instance> {
    const inst = await this.store.findByExternalId(origin, externalId);
    if (!inst) throw new DomainError(ErrorCode.InstanceNotFound, `instance ${externalId} does not exist`, { gone: false });
    if (inst.desired === 'absent' && !allowTombstone) throw this.gone(externalId);
    return inst;
  }

  private gone(externalId: string): DomainError {
    return new DomainError(ErrorCode.InstanceNotFound, `instance ${externalId} was deprovisioned`, { gone: true });
  }

  private record(tx: ModuleTx, kind: string, inst: Instance, caller: Caller, request: Record<string, unknown>, state?: 'succeeded'): Promise<Operation> {
    return tx.createOperation({
      kind,
      app: inst.app,
      module: inst.module,
      protocol: caller.protocol,
      actor: caller.actor,
      originatingIdentity: caller.originatingIdentity ?? null,
      request,
      instances: { [inst.id]: inst.generation },
      state: state ?? 'in progress',
      description: null,
    });
  }
}
