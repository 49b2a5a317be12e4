import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { SecretBox } from '../common/crypto';
import { DomainError, ErrorCode } from '../common/domain-error';
import { isDnsLabel } from '../common/names';
import { CatalogService } from '../catalog/catalog.service';
import { metrics } from '../metrics/metrics';
import { openDsn } from './sealed-dsn';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { InstanceStore, Page } from './instance-store';
import { Attachment, Condition, Instance, InstanceState, Operation, Protocol, SecretLocation, TargetRequest } from './model';
import { sameDesired } from './desired-state';

export interface ToggleRequest {
  app: string;
  module: string;
  enabled: boolean;
  plan?: string;
  developers?: string[];
  targets?: Record<string, TargetRequest>;
}

/** Who asked: recorded on every operation (the audit trail). */
export interface Caller {
  protocol: Protocol;
  actor: string;
  originatingIdentity?: Record<string, unknown> | null;
}

export interface EnvironmentStatus {
  state: InstanceState;
  project: { slug: string; id: string | null; adminUrl: string | null } | null;
  dsn: string | null;
  error?: string;
  secret?: SecretLocation | null;
  /** Generation of the desired state, and the one the last completed pass converged. */
  generation: number;
  observedGeneration: number;
  /** ProjectReady, KeyReady, SecretReady, MembersSynced (empty until the first pass, and once disabled). */
  conditions: Condition[];
}

export interface MonitoringStatus {
  app: string;
  module: string;
  enabled: boolean;
  plan: string;
  environments: Record<string, EnvironmentStatus>;
}

export interface ToggleResult {
  changed: boolean;
  operationId: string | null;
  status: MonitoringStatus;
}

/**
 * The entry point every protocol shares: it validates a request, writes desired state and an
 * operation in one transaction with the reconcile jobs, and answers at once. It never calls upstream.
 */
@Injectable()
export class InstancesService {
  constructor(
    private readonly store: InstanceStore,
    private readonly catalog: CatalogService,
    private readonly upstreams: UpstreamRegistry,
    private readonly box: SecretBox,
  ) {}

  async setMonitoring(req: ToggleRequest, caller: Caller): Promise<ToggleResult> {
    this.validate(req);
    const result = await this.store.withModuleLock(req.app, req.module, async (tx): Promise<ToggleResult> => {
      // Statements that do not wait on each other's answers are issued together: a store may send them in one round trip.
      const [current, existing] = await Promise.all([tx.attachment(), tx.instances()]);
      const planName = req.plan ?? current?.plan ?? 'default';
      const plan = this.catalog.get(planName);
      const developers = req.developers !== undefined ? normalizeEmails(req.developers) : (current?.developers ?? null);
      const targets = req.targets !== undefined ? req.targets : (current?.targets ?? null);
      for (const env of Object.keys(targets ?? {})) {
        if (!plan.environments.includes(env)) {
          throw new DomainError(
            ErrorCode.InvalidInput,
            `targets.${env}: plan "${plan.name}" has no environment "${env}" (it has ${plan.environments.join(', ')})`,
          );
        }
      }
      const unchanged =
        current &&
        current.enabled === req.enabled &&
        current.plan === planName &&
        sameDesired(current.developers, developers) &&
        sameDesired(current.targets, targets) &&
        (!req.enabled || plan.environments.every((env) => existing.some((i) => i.env === env && i.desired === 'present')));
      // Nothing to disable only when no instance is wanted: BlueKing and OSB create instances without a toggle.
      if (unchanged || (!current && !req.enabled && !existing.some((i) => i.desired === 'present'))) {
        if (!current && existing.length === 0) throw this.neverSetUp(req.app, req.module);
        return { changed: false, operationId: (await tx.lastOperation())?.id ?? null, status: this.describe(req.app, req.module, current, existing) };
      }

      const wishes: Array<Partial<Instance> & Pick<Instance, 'id' | 'app' | 'module' | 'env' | 'generation'>> = [];
      const envs = new Set([...plan.environments, ...existing.map((i) => i.env)]);
      for (const env of envs) {
        const inst = existing.find((i) => i.env === env);
        const desired = req.enabled && plan.environments.includes(env) ? 'present' : 'absent';
        const target = targets?.[env] ?? null;
        const sameWish =
          inst && inst.desired === desired && inst.plan === planName && sameDesired(inst.developers, developers) && sameDesired(inst.targetRequest, target);
        if (sameWish || (!inst && desired === 'absent')) continue;
        wishes.push({
          // A new environment's id is chosen here, so the operation and the jobs can name it before it is written.
          ...(inst ?? { id: randomUUID(), origin: caller.protocol, observedGeneration: 0, generation: 0, externalId: null, parameters: null }),
          app: req.app,
          module: req.module,
          env,
          plan: planName,
          upstream: inst?.upstream ?? plan.upstream ?? null,
          desired,
          state: desired === 'present' ? (inst?.state === 'ready' ? 'ready' : 'pending') : 'deprovisioning',
          generation: (inst?.generation ?? 0) + 1,
          developers,
          targetRequest: target,
          error: null,
        });
      }
      const written = Promise.all([
        tx.saveAttachment({
          ...(current ?? {}),
          app: req.app,
          module: req.module,
          enabled: req.enabled,
          plan: planName,
          developers,
          targets,
        }),
        tx.createOperation({
          kind: req.enabled ? 'enable' : 'disable',
          app: req.app,
          module: req.module,
          protocol: caller.protocol,
          actor: caller.actor,
          originatingIdentity: caller.originatingIdentity ?? null,
          request: { enabled: req.enabled, plan: req.plan ?? null, developers: req.developers ?? null, targets: req.targets ?? null },
          instances: Object.fromEntries(wishes.map((i) => [i.id, i.generation])),
          state: wishes.length ? 'in progress' : 'succeeded',
          description: null,
        }),
        Promise.all(wishes.map((w) => tx.saveInstance(w))),
        tx.enqueue(wishes.map((i) => i.id)),
      ]);
      // Nothing but the answer follows: COMMIT goes out with these statements.
      tx.lastStatementsIssued();
      const [attachment, op, touched] = await written;
      // The answer comes from the rows this transaction read and wrote: no read after the commit.
      const after = [...existing.filter((i) => !touched.some((t) => t.env === i.env)), ...touched].sort((x, y) => (x.env < y.env ? -1 : 1));
      return { changed: true, operationId: op.id, status: this.describe(req.app, req.module, attachment, after) };
    });
    metrics.toggles.inc({ protocol: caller.protocol, enabled: String(req.enabled) });
    return result;
  }

  async status(app: string, module: string): Promise<MonitoringStatus> {
    this.validateName('app', app);
    this.validateName('module', module);
    const { attachment, instances } = await this.store.findModule(app, module);
    if (!attachment && instances.length === 0) throw this.neverSetUp(app, module);
    return this.describe(app, module, attachment, instances);
  }

  private neverSetUp(app: string, module: string): DomainError {
    return new DomainError(ErrorCode.NotFound, `Monitoring was never set up for app "${app}" module "${module}".`);
  }

  private describe(app: string, module: string, attachment: Attachment | null, instances: Instance[]): MonitoringStatus {
    const environments: Record<string, EnvironmentStatus> = {};
    for (const i of instances) {
      let adminUrl: string | null = null;
      try {
        adminUrl = i.projectSlug ? this.upstreams.get(i.upstream).projectUrl(i.projectSlug) : null;
      } catch {
        adminUrl = null;
      }
      environments[i.env] = {
        state: i.state,
        project: i.projectSlug ? { slug: i.projectSlug, id: i.projectId, adminUrl } : null,
        dsn: i.state === 'ready' ? (openDsn(this.box, i.dsnSealed)?.public ?? null) : null,
        ...(i.error ? { error: i.error } : {}),
        secret: i.secret,
        generation: i.generation,
        observedGeneration: i.observedGeneration,
        conditions: i.conditions ?? [],
      };
    }
    return {
      app,
      module,
      enabled: attachment?.enabled ?? instances.some((i) => i.desired === 'present'),
      plan: attachment?.plan ?? instances[0]?.plan,
      environments,
    };
  }

  async operation(id: string): Promise<Operation> {
    const op = /^[0-9a-f-]{36}$/i.test(id) ? await this.store.getOperation(id) : null;
    if (!op) throw new DomainError(ErrorCode.OperationNotFound, `No operation with id "${id}".`);
    return op;
  }

  async audit(app: string, offset: number, limit: number): Promise<Page<Operation>> {
    this.validateName('app', app);
    return this.store.listOperations(app, offset, limit);
  }

  private validate(req: ToggleRequest): void {
    this.validateName('app', req.app);
    this.validateName('module', req.module);
    if (typeof req.enabled !== 'boolean') throw new DomainError(ErrorCode.InvalidInput, '"enabled" must be true or false.');
  }

  private validateName(what: string, value: string): void {
    if (!isDnsLabel(value)) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `${what} "${value}" is not a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters, starting and ending with a letter or digit).`,
      );
    }
  }
}

export function normalizeEmails(list: string[]): string[] {
  const out = [...new Set(list.map((e) => e.trim().toLowerCase()))].sort();
  for (const e of out) {
    if (!/^[^\s@]+@[^\s@]+$/.test(e)) throw new DomainError(ErrorCode.InvalidInput, `developers: "${e}" is not an e-mail address.`);
  }
  return out;
}
