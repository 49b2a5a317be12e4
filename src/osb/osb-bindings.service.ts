import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { InstanceOpsService } from '../instances/instance-ops.service';
import { Instance, Key } from '../instances/model';
import { OsbContext } from './osb-auth';
import { asyncRequired, badRequest, concurrencyError, gone, notFound } from './osb-errors';
import { callerOf, OsbAnswer, OsbInstancesService, planOfInstance } from './osb-instances.service';
import { acceptsIncomplete, asObject, servicePlan, validId } from './osb-request';
import { since } from './version';

/** Asynchronous bindings exist from 2.14: at 2.13 a bind and an unbind are synchronous on every plan. */
export const asyncBinding = (planAsync: boolean, ctx: OsbContext) => planAsync && since(ctx.minor, 'asyncBindings');

/** OSB bindings: one client key each; rotation = a new binding naming its predecessor (both stay valid). */
@Injectable()
export class OsbBindingsService {
  constructor(
    private readonly ops: InstanceOpsService,
    private readonly instances: OsbInstancesService,
  ) {}

  async bind(iid: string, bid: string, raw: unknown, accepts: unknown, ctx: OsbContext): Promise<OsbAnswer> {
    validId(iid, 'instance_id');
    validId(bid, 'binding_id');
    const body = asObject(raw, 'body', true)!;
    servicePlan(body.service_id, body.plan_id);
    const params = asObject(body.parameters, 'parameters') ?? {};
    if (Object.keys(params).length) throw badRequest(`unknown binding parameters: ${Object.keys(params).join(', ')}`);
    const bindResource = asObject(body.bind_resource, 'bind_resource');
    asObject(body.context, 'context');
    // predecessor_binding_id exists from 2.17; below it, it is an unknown field and ignored.
    const predecessor = since(ctx.minor, 'predecessorBinding') ? body.predecessor_binding_id : undefined;
    if (predecessor !== undefined && (typeof predecessor !== 'string' || !predecessor)) throw badRequest('predecessor_binding_id must be a binding id');
    const found = await this.ops.byExternalId('osb', iid);
    if (!found) throw notFound(`instance ${iid} does not exist`);
    // A bind while the instance is being deprovisioned is a concurrent mutation (422), not a missing instance.
    if (found.desired === 'absent') throw this.ops.isConverged(found) ? notFound(`instance ${iid} does not exist`) : concurrencyError();
    const inst = found;
    const plan = planOfInstance(inst);
    const async = asyncBinding(plan.async, ctx);
    if (async && !acceptsIncomplete(accepts)) throw asyncRequired();
    const identity = {
      plan_id: body.plan_id,
      parameters: params,
      bind_resource: bindResource ?? null,
      app_guid: body.app_guid ?? null,
      predecessor_binding_id: predecessor ?? null,
    };
    const existing = (await this.ops.keys(inst.id)).find((k) => k.bindingId === bid && k.desired === 'present');
    // A bind is a mutation of the instance: refused while the instance is not ready or another operation runs.
    if (!existing) {
      if (inst.state !== 'ready' || inst.observedGeneration === 0) throw concurrencyError();
      if ((await this.ops.openOperations(inst.id)).length) throw concurrencyError();
    }
    const res = await this.ops.bind('osb', iid, bid, identity, callerOf(ctx), predecessor as string | undefined).catch((e) => {
      throw e instanceof DomainError && e.code === ErrorCode.InstanceNotFound ? concurrencyError() : e;
    });
    if (res.outcome === 'exists') return { status: 200, body: await this.view(res.instance, bid, ctx, false) };
    const answer = await this.instances.finish(res.instance, res.operation, async, async ? accepts : false, res.outcome === 'created' ? 201 : 200, {});
    if (answer.status === 202) return answer;
    return { status: answer.status, body: await this.view(res.instance, bid, ctx, false) };
  }

  async unbind(iid: string, bid: string, query: Record<string, unknown>, ctx: OsbContext): Promise<OsbAnswer> {
    validId(iid, 'instance_id');
    servicePlan(query.service_id, query.plan_id);
    const inst = await this.ops.byExternalId('osb', iid);
    if (!inst) throw gone(`binding ${bid} does not exist`);
    const plan = planOfInstance(inst);
    const async = asyncBinding(plan.async, ctx);
    if (async && !acceptsIncomplete(query.accepts_incomplete)) throw asyncRequired();
    const open = await this.ops.openOperations(inst.id);
    if (open.some((o) => o.request.bindingId !== bid)) throw concurrencyError();
    const res = await this.ops.unbind('osb', iid, bid, callerOf(ctx)).catch((e) => {
      throw e instanceof DomainError && (e.code === ErrorCode.NotFound || e.code === ErrorCode.InstanceNotFound) ? gone(e.message) : e;
    });
    return this.instances.finish(res.instance, res.operation, async, async ? query.accepts_incomplete : false, 200, {});
  }

  async get(iid: string, bid: string, ctx: OsbContext): Promise<OsbAnswer> {
    const inst = await this.ops.byExternalId('osb', iid);
    if (!inst || inst.desired === 'absent') throw notFound(`binding ${bid} does not exist`);
    return { status: 200, body: await this.view(inst, bid, ctx, true) };
  }

  async lastOperation(iid: string, bid: string, query: Record<string, unknown>, ctx: OsbContext): Promise<OsbAnswer> {
    const inst = await this.ops.byExternalId('osb', iid);
    if (!inst) throw notFound(`binding ${bid} does not exist`);
    const byToken = typeof query.operation === 'string' ? await this.ops.operation(query.operation) : null;
    const op =
      byToken && byToken.request.bindingId === bid && byToken.instances[inst.id] !== undefined ? byToken : await this.ops.latestOperation(inst.id, bid);
    if (!op) throw notFound(`binding ${bid} has no operation`);
    return this.instances.describe(op, ctx);
  }

  /** Bind answers carry credentials (+ endpoints, metadata by version); only GET echoes the parameters. */
  private async view(inst: Instance, bid: string, ctx: OsbContext, forGet: boolean): Promise<Record<string, unknown>> {
    const key = (await this.ops.keys(inst.id)).find((k) => k.bindingId === bid && k.desired === 'present' && k.state === 'active');
    if (!key) throw notFound(`binding ${bid} does not exist or is still being created`);
    const credentials = this.credentials(inst, key);
    const host = new URL(credentials.dsn).host;
    const [hostname, port] = host.split(':');
    const proto = new URL(credentials.dsn).protocol;
    return {
      credentials,
      ...(forGet ? { parameters: (key.parameters?.parameters as Record<string, unknown>) ?? {} } : {}),
      ...(since(ctx.minor, 'endpoints') ? { endpoints: [{ host: hostname, ports: [port ?? (proto === 'http:' ? '80' : '443')], protocol: 'tcp' }] } : {}),
      ...(since(ctx.minor, 'metadata') ? { metadata: {} } : {}),
    };
  }

  private credentials(inst: Instance, key: Key) {
    const dsn = this.ops.dsnOf(inst, key.dsnSealed);
    if (!dsn) throw notFound('binding credentials are not available yet');
    return { dsn, public_key: decodeURIComponent(new URL(dsn).username), project_slug: inst.projectSlug, project_id: inst.projectId, environment: inst.env };
  }
}
