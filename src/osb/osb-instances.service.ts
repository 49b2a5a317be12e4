import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../common/domain-error';
import { projectSlug } from '../common/names';
import { AppConfig } from '../config/config.schema';
import { CatalogService } from '../catalog/catalog.service';
import { InstanceOpsService } from '../instances/instance-ops.service';
import { Caller } from '../instances/instances.service';
import { Instance, Operation, TargetRequest } from '../instances/model';
import { KubernetesTargets } from '../kubernetes/kubernetes-targets.port';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { OsbContext } from './osb-auth';
import { MAINTENANCE_VERSION, OSB_SERVICE_ID, osbPlan, OsbPlan, OSB_PLANS } from './osb-catalog';
import { asyncRequired, badRequest, concurrencyError, gone, notFound } from './osb-errors';
import { acceptsIncomplete, asObject, checkMaintenance, instanceTarget, requiredString, servicePlan, targetFromContext, validId } from './osb-request';
import { since } from './version';

/** The operation of a no-op update on an async plan below 2.15: stateless, it has always succeeded. */
const NOOP_UPDATE = 'noop-update-';

export interface OsbAnswer {
  status: number;
  body: Record<string, unknown>;
  retryAfter?: number;
}

export const callerOf = (ctx: OsbContext): Caller => {
  const id = ctx.originatingIdentity;
  const who = id ? (id.user_id ?? id.username) : undefined;
  return { protocol: 'osb', actor: typeof who === 'string' ? `${String(id!.platform)}:${who}` : `osb:${ctx.username}`, originatingIdentity: id };
};

/** The OSB plan an instance was provisioned (or last updated) with. */
export const planOfInstance = (inst: Instance): OsbPlan => osbPlan(inst.parameters?.plan_id) ?? OSB_PLANS[0];

/** OSB service instances over the shared instance operations. */
@Injectable()
export class OsbInstancesService {
  constructor(
    private readonly config: AppConfig,
    private readonly ops: InstanceOpsService,
    private readonly catalog: CatalogService,
    private readonly upstreams: UpstreamRegistry,
    private readonly moduleRef: ModuleRef,
  ) {}

  async provision(iid: string, raw: unknown, accepts: unknown, ctx: OsbContext): Promise<OsbAnswer> {
    validId(iid, 'instance_id');
    const body = asObject(raw, 'body', true)!;
    const plan = servicePlan(body.service_id, body.plan_id);
    const identity = {
      service_id: body.service_id,
      plan_id: plan.id,
      organization_guid: requiredString(body, 'organization_guid'),
      space_guid: requiredString(body, 'space_guid'),
    };
    const params = asObject(body.parameters, 'parameters');
    const context = asObject(body.context, 'context');
    const target = instanceTarget(iid, params, this.catalog.get(plan.domainPlan).environments);
    const targetRequest = targetFromContext(context);
    checkMaintenance(body.maintenance_info, ctx.minor);
    if (plan.async && !acceptsIncomplete(accepts)) throw asyncRequired();
    this.checkTarget(target, targetRequest);
    const res = await this.ops.provision(
      {
        origin: 'osb',
        externalId: iid,
        ...target,
        plan: plan.domainPlan,
        parameters: { ...identity, parameters: params ?? {} },
        targetRequest,
        strictParameters: true,
      },
      callerOf(ctx),
    );
    const base = { dashboard_url: this.dashboardUrl(res.instance), ...(since(ctx.minor, 'metadata') ? { metadata: this.metadata(res.instance) } : {}) };
    if (res.outcome === 'exists') return { status: 200, body: base };
    return this.finish(res.instance, res.operation, plan.async, accepts, res.outcome === 'created' ? 201 : 200, base);
  }

  async update(iid: string, raw: unknown, accepts: unknown, ctx: OsbContext): Promise<OsbAnswer> {
    validId(iid, 'instance_id');
    const body = asObject(raw, 'body', true)!;
    if (body.plan_id === undefined) servicePlan(body.service_id, OSB_PLANS[0].id);
    const newPlan = body.plan_id === undefined ? undefined : servicePlan(body.service_id, body.plan_id);
    const params = asObject(body.parameters, 'parameters');
    const context = asObject(body.context, 'context');
    asObject(body.previous_values, 'previous_values');
    checkMaintenance(body.maintenance_info, ctx.minor);
    const inst = await this.live(iid);
    const plan = newPlan ?? planOfInstance(inst);
    if (plan.async && !acceptsIncomplete(accepts)) throw asyncRequired();
    if (params) {
      const next = instanceTarget(
        iid,
        { ...((inst.parameters?.parameters as Record<string, unknown>) ?? {}), ...params },
        this.catalog.get(plan.domainPlan).environments,
      );
      if (next.app !== inst.app || next.module !== inst.module || next.env !== inst.env) {
        throw new DomainError(ErrorCode.UnsupportedChange, 'app, module and environment cannot change; provision another instance instead', {
          update_repeatable: false,
        });
      }
    }
    if ((await this.ops.openOperations(inst.id)).length) throw concurrencyError();
    const parameters = {
      ...(inst.parameters ?? {}),
      plan_id: plan.id,
      parameters: { ...((inst.parameters?.parameters as Record<string, unknown>) ?? {}), ...(params ?? {}) },
    };
    const targetRequest = context ? (targetFromContext(context) ?? undefined) : undefined;
    if (targetRequest) this.checkTarget(inst, targetRequest);
    const res = await this.ops.update('osb', iid, { plan: plan.domainPlan, parameters, ...(targetRequest ? { targetRequest } : {}) }, callerOf(ctx));
    const base = since(ctx.minor, 'updateDashboardUrl') ? { dashboard_url: this.dashboardUrl(res.instance) } : {};
    // A no-op: 200 on a sync plan, and from 2.15 on every plan. Below 2.15 an async plan answers 202
    // with a fresh operation (already succeeded), never the previous operation's id.
    if (!res.changed && (!plan.async || since(ctx.minor, 'noopUpdate200'))) return { status: 200, body: base };
    if (!res.changed) return { status: 202, body: { ...base, operation: `${NOOP_UPDATE}${randomUUID()}` } };
    return this.finish(res.instance, res.operation, plan.async, accepts, 200, base);
  }

  async deprovision(iid: string, query: Record<string, unknown>, ctx: OsbContext): Promise<OsbAnswer> {
    validId(iid, 'instance_id');
    servicePlan(query.service_id, query.plan_id);
    const inst = await this.ops.byExternalId('osb', iid);
    if (!inst || (inst.desired === 'absent' && this.ops.isConverged(inst))) throw gone(`instance ${iid} does not exist`);
    const plan = planOfInstance(inst);
    if (plan.async && !acceptsIncomplete(query.accepts_incomplete)) throw asyncRequired();
    const res = await this.ops.deprovision('osb', iid, callerOf(ctx)).catch((e) => {
      throw e instanceof DomainError && e.code === ErrorCode.InstanceNotFound ? gone(e.message) : e;
    });
    return this.finish(res.instance, res.operation, plan.async, query.accepts_incomplete, 200, {});
  }

  async get(iid: string, ctx: OsbContext): Promise<OsbAnswer> {
    const inst = await this.ops.byExternalId('osb', iid);
    const open = inst ? await this.ops.openOperations(inst.id) : [];
    if (!inst || inst.desired === 'absent' || inst.observedGeneration === 0 || open.some((o) => o.kind === 'provision')) {
      throw notFound(`instance ${iid} does not exist or is still being provisioned`);
    }
    if (open.some((o) => o.kind === 'update')) throw concurrencyError();
    const plan = planOfInstance(inst);
    return {
      status: 200,
      body: {
        service_id: OSB_SERVICE_ID,
        plan_id: plan.id,
        dashboard_url: this.dashboardUrl(inst),
        parameters: (inst.parameters?.parameters as Record<string, unknown>) ?? {},
        ...(since(ctx.minor, 'maintenanceInfo') ? { maintenance_info: { version: MAINTENANCE_VERSION } } : {}),
        ...(since(ctx.minor, 'metadata') ? { metadata: this.metadata(inst) } : {}),
      },
    };
  }

  /**
   * last_operation: by the operation token, else (unknown or fixed words like "provision") the latest of
   * the instance. A token of this instance id answers even when the id's app/module/env has since been
   * provisioned under another id (the operation records the id it was made for).
   */
  async lastOperation(iid: string, query: Record<string, unknown>, ctx: OsbContext): Promise<OsbAnswer> {
    const byToken = typeof query.operation === 'string' ? await this.ops.operation(query.operation) : null;
    if (byToken && byToken.protocol === 'osb' && byToken.request.externalId === iid && byToken.request.bindingId === undefined)
      return this.describe(byToken, ctx);
    const inst = await this.ops.byExternalId('osb', iid);
    if (!inst) {
      // The id's app/module/env was provisioned again under another id (or the id never existed): the id's own
      // latest operation answers (e.g. its finished deprovision); another instance's operation token does not.
      const own = byToken ? null : await this.ops.latestOperationByExternalId('osb', iid);
      if (!own) throw notFound(`instance ${iid} does not exist`);
      return this.describe(own, ctx);
    }
    if (typeof query.operation === 'string' && query.operation.startsWith(NOOP_UPDATE))
      return { status: 200, body: { state: 'succeeded', description: 'nothing to change' } };
    const op = byToken && byToken.instances[inst.id] !== undefined ? byToken : await this.ops.latestOperation(inst.id, null);
    if (!op) throw notFound(`instance ${iid} has no operation`);
    return this.describe(op, ctx);
  }

  describe(op: Operation, ctx: OsbContext): OsbAnswer {
    const body: Record<string, unknown> = { state: op.state };
    if (op.description) body.description = op.description;
    else if (op.state === 'in progress') body.description = `${op.kind} in progress`;
    if (op.state === 'failed' && since(ctx.minor, 'usableRepeatable') && (op.kind === 'update' || op.kind === 'deprovision')) {
      body.instance_usable = op.kind === 'update';
      if (op.kind === 'update') body.update_repeatable = true;
    }
    return { status: 200, body, ...(op.state === 'in progress' && since(ctx.minor, 'retryAfter') ? { retryAfter: this.config.osb.retryAfterSeconds } : {}) };
  }

  /**
   * Sync plans wait for the reconciler (201/200, or 500 when it failed); async plans answer 202
   * with the operation. A sync request that runs out of time becomes 202 if the platform allows it.
   */
  async finish(inst: Instance, op: Operation | null, async: boolean, accepts: unknown, okStatus: number, body: Record<string, unknown>): Promise<OsbAnswer> {
    const accepted: OsbAnswer = { status: 202, body: { ...body, ...(op ? { operation: op.id } : {}) } };
    if (async) return accepted;
    const settled = await this.ops.awaitSettled(inst.id, inst.generation, this.config.osb.syncTimeoutSeconds * 1000);
    if (settled.failed) throw new DomainError(ErrorCode.OperationFailed, `the operation failed: ${settled.instance.error ?? 'unknown error'}`);
    if (settled.done) return { status: okStatus, body };
    if (acceptsIncomplete(accepts)) return accepted;
    throw new DomainError(ErrorCode.Timeout, 'the operation did not finish in time; it continues in the background');
  }

  async live(iid: string): Promise<Instance> {
    const inst = await this.ops.byExternalId('osb', iid);
    if (!inst || inst.desired === 'absent') throw notFound(`instance ${iid} does not exist`);
    return inst;
  }

  /** A context naming a cluster svc-sentry does not know is refused up front (400), not left to fail in the reconciler. */
  private checkTarget(id: { app: string; module: string; env: string }, requested: TargetRequest | null): void {
    if (!requested) return;
    let targets: KubernetesTargets | undefined;
    try {
      targets = this.moduleRef.get(KubernetesTargets, { strict: false });
    } catch {
      return; // Kubernetes is not wired: the Secret step is skipped anyway
    }
    if (!targets?.configured()) return;
    try {
      targets.resolve(id, requested);
    } catch (e) {
      if (e instanceof DomainError) throw badRequest(`context: ${e.message}`);
      throw e;
    }
  }

  private dashboardUrl(inst: Instance): string | null {
    try {
      return this.upstreams.get(inst.upstream).projectUrl(inst.projectSlug ?? projectSlug(inst.app, inst.module, inst.env));
    } catch {
      return null;
    }
  }

  private metadata(inst: Instance) {
    return { labels: { app: inst.app, module: inst.module, environment: inst.env }, attributes: {} };
  }
}
