import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { SecretBox } from '../common/crypto';
import { DomainError, ErrorCode } from '../common/domain-error';
import { AppConfig } from '../config/config.schema';
import { InstanceOpsService } from '../instances/instance-ops.service';
import { Caller } from '../instances/instances.service';
import { Instance } from '../instances/model';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { BK_SERVICE_ID, BkpaasCatalog, bkPlanId } from './bkpaas-catalog';
import { developersOf, parseBkParams } from './bkpaas-params';
import { BkpaasRecords } from './bkpaas-records.store';
import { signHs256, verifyHs256 } from './jwt';

export interface BkAnswer {
  status: number;
  body: Record<string, unknown>;
}

const SSO_ISSUER = 'svc-sentry-sso';
const isUuidish = (s: string) => /^[0-9A-Za-z-]{1,64}$/.test(s);

/** The BlueKing remote-service protocol over the shared instance operations. */
@Injectable()
export class BkpaasService {
  private readonly ssoKey: string;

  constructor(
    private readonly config: AppConfig,
    private readonly ops: InstanceOpsService,
    private readonly catalog: BkpaasCatalog,
    private readonly records: BkpaasRecords,
    private readonly upstreams: UpstreamRegistry,
    private readonly box: SecretBox,
  ) {
    // Derived from the shared JWT keys (same on every replica, one-way), so admin_url needs no extra secret.
    const keys = [...config.bkpaas.jwtClients].sort().join('\n') || randomUUID();
    this.ssoKey = createHash('sha256').update(`svc-sentry:bkpaas-sso\n${keys}`).digest('hex');
  }

  /** POST services/{sid}/instances/{iid}/: create and wait; 400 if the id exists. */
  async provisionSync(serviceId: string, instanceId: string, body: Record<string, unknown>, caller: Caller): Promise<BkAnswer> {
    this.checkService(serviceId);
    if (!isUuidish(instanceId)) throw new DomainError(ErrorCode.InvalidInput, 'instance id must be a UUID');
    const existing = await this.ops.byExternalId('bkpaas', instanceId);
    if (existing && existing.desired === 'present') throw new DomainError(ErrorCode.Conflict, `instance ${instanceId} already exists`);
    const spec = await this.spec(instanceId, body);
    const res = await this.ops.provision(spec, caller);
    if (res.outcome !== 'created') throw new DomainError(ErrorCode.Conflict, `instance ${instanceId} already exists`);
    const done = await this.ops.awaitSettled(res.instance.id, res.instance.generation, this.config.bkpaas.syncTimeoutSeconds * 1000);
    if (!done.done || done.failed) return this.failProvision(done.instance, caller, done.failed ? done.instance.error : 'timed out waiting for the upstream');
    return { status: 201, body: this.view(done.instance) };
  }

  /** POST services/{sid}/instances/idem_prov/: keyed by engine_app_name (201 / 200 / 202 / 400 / 500). */
  async idempotentProvision(serviceId: string, body: Record<string, unknown>, caller: Caller): Promise<BkAnswer> {
    this.checkService(serviceId);
    const target = parseBkParams(body.params, this.config.environments, this.config.bkpaas.developerEmailDomain);
    if (!target.engineAppName) throw new DomainError(ErrorCode.InvalidInput, 'params.engine_app_name is required (the idempotency key)');
    const { spec, res } = await this.provisionByEngineApp(target.app, target.module, target.env, target.engineAppName, body, caller);
    // Only the call that created waits; re-POSTs while provisioning answer 202 at once (the caller backs off).
    const wait = res.outcome === 'created' ? this.config.bkpaas.idemWaitSeconds * 1000 : 0;
    const settled = await this.ops.awaitSettled(res.instance.id, res.instance.generation, wait);
    if (settled.failed) return this.failProvision(settled.instance, caller, settled.instance.error);
    if (!settled.done) return { status: 202, body: { uuid: res.instance.externalId, message: 'still provisioning; retry the same request' } };
    if (spec.developers && res.outcome === 'exists') {
      await this.ops.update('bkpaas', res.instance.externalId!, { developers: spec.developers }, caller, 'sync-developers');
    }
    return { status: res.outcome === 'created' ? 201 : 200, body: this.view(settled.instance) };
  }

  /** The engine app's instance id if it has one, else a new one; a concurrent twin that won the race is reused. */
  private async provisionByEngineApp(app: string, module: string, env: string, engineApp: string, body: Record<string, unknown>, caller: Caller) {
    for (let attempt = 0; ; attempt++) {
      const current = await this.ops.byTarget(app, module, env);
      const reuse = current?.desired === 'present' && current.origin === 'bkpaas' && current.externalId && current.parameters?.engine_app_name === engineApp;
      const spec = await this.spec(reuse ? current!.externalId! : randomUUID(), body);
      try {
        return { spec, res: await this.ops.provision(spec, caller) };
      } catch (e) {
        if (attempt > 0 || reuse || !(e instanceof DomainError && e.code === ErrorCode.Conflict)) throw e;
      }
    }
  }

  /** GET instances/{iid}/[?to_be_deleted=true]. */
  async get(instanceId: string, toBeDeleted: boolean): Promise<Record<string, unknown>> {
    const inst = await this.ops.byExternalId('bkpaas', instanceId);
    if (inst && !toBeDeleted && inst.desired === 'present') return this.view(inst);
    if (inst && toBeDeleted && inst.desired === 'absent' && !this.ops.isConverged(inst)) return this.view(inst);
    if (!toBeDeleted) {
      const cs = await this.records.get<{ sealed: string; plan: null; created: string }>('client-side', instanceId);
      if (cs)
        return { uuid: instanceId, service: BK_SERVICE_ID, plan: null, created: cs.created, ...JSON.parse(this.box.open(cs.sealed)), to_be_deleted: false };
    }
    throw new DomainError(ErrorCode.InstanceNotFound, `instance ${instanceId} does not exist${toBeDeleted ? ' (or was recycled)' : ''}`);
  }

  /** GET services/{sid}/instances/?name=: the one instance of that engine app (or project slug), as BlueKing's client expects; else 404. */
  async findByName(serviceId: string, name: string): Promise<Record<string, unknown>> {
    this.checkService(serviceId);
    const ids = await this.records.instanceIdsNamed(name);
    for (const id of ids.reverse()) {
      const inst = await this.ops.byExternalId('bkpaas', id);
      if (inst && inst.desired === 'present') return this.view(inst);
    }
    throw new DomainError(ErrorCode.InstanceNotFound, `no instance is named "${name}"`);
  }

  /** PUT instances/{iid}/config/: the owning app (`paas_app_info`), and optionally a new developer list. */
  async putConfig(instanceId: string, body: Record<string, unknown>, caller: Caller): Promise<Record<string, unknown>> {
    const info = body.paas_app_info;
    if (!info || typeof info !== 'object' || Array.isArray(info)) throw new DomainError(ErrorCode.InvalidInput, '"paas_app_info" must be an object');
    const inst = await this.ops.byExternalId('bkpaas', instanceId);
    if (!inst || inst.desired !== 'present') {
      // BlueKing pushes the owning app right after registering a client-side instance too.
      const cs = await this.records.get<{ sealed: string; plan: null; created: string }>('client-side', instanceId);
      if (!cs) throw new DomainError(ErrorCode.InstanceNotFound, `instance ${instanceId} does not exist`);
      const data = JSON.parse(this.box.open(cs.sealed)) as { credentials: unknown; config: Record<string, unknown> };
      await this.records.put('client-side', instanceId, {
        ...cs,
        sealed: this.box.seal(JSON.stringify({ ...data, config: { ...data.config, paas_app_info: info } })),
      });
      return this.get(instanceId, false);
    }
    const problems: string[] = [];
    const raw = body.app_developers ?? (info as Record<string, unknown>).app_developers;
    const developers = developersOf(raw, this.config.bkpaas.developerEmailDomain, problems);
    if (problems.length) throw new DomainError(ErrorCode.InvalidInput, problems.join('; '));
    const res = await this.ops.update(
      'bkpaas',
      instanceId,
      { parameters: { ...(inst.parameters ?? {}), paas_app_info: info }, ...(developers ? { developers } : {}) },
      caller,
      'config',
    );
    return this.view(res.instance);
  }

  /** DELETE instances/{iid}/: deprovision and wait. */
  async deleteSync(instanceId: string, caller: Caller): Promise<void> {
    const res = await this.ops.deprovision('bkpaas', instanceId, caller);
    const done = await this.ops.awaitSettled(res.instance.id, res.instance.generation, this.config.bkpaas.syncTimeoutSeconds * 1000);
    if (!done.done || done.failed) {
      throw new DomainError(
        ErrorCode.UpstreamUnavailable,
        `deleting instance ${instanceId} did not finish: ${done.instance.error ?? 'timed out'}; it stays marked for deletion and is retried`,
      );
    }
  }

  /** DELETE instances/{iid}/async_delete: mark; the reconciler (the recycle sweeper) revokes our key. */
  async deleteAsync(instanceId: string, caller: Caller): Promise<void> {
    await this.ops.deprovision('bkpaas', instanceId, caller);
  }

  async registerClientSide(serviceId: string, instanceId: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.checkService(serviceId);
    if (!isUuidish(instanceId)) throw new DomainError(ErrorCode.InvalidInput, 'instance id must be a UUID');
    const { credentials, config } = body;
    for (const [k, v] of Object.entries({ credentials, config })) {
      if (v !== undefined && (!v || typeof v !== 'object' || Array.isArray(v))) throw new DomainError(ErrorCode.InvalidInput, `"${k}" must be an object`);
    }
    if (!credentials) throw new DomainError(ErrorCode.InvalidInput, '"credentials" is required');
    if ((await this.ops.byExternalId('bkpaas', instanceId))?.desired === 'present')
      throw new DomainError(ErrorCode.Conflict, `instance ${instanceId} already exists`);
    // Credentials of client-side instances are someone else's secrets: sealed at rest like our DSNs.
    const created = new Date().toISOString();
    await this.records.put('client-side', instanceId, { sealed: this.box.seal(JSON.stringify({ credentials, config: config ?? {} })), plan: null, created });
    return this.get(instanceId, false);
  }

  async forgetClientSide(instanceId: string): Promise<void> {
    if (!(await this.records.delete('client-side', instanceId)))
      throw new DomainError(ErrorCode.InstanceNotFound, `client-side instance ${instanceId} does not exist`);
  }

  /** GET authenticate/?token=: single sign-on into the instance's admin page (a redirect to the upstream project). */
  async authenticate(token: string | undefined): Promise<string> {
    if (!token) throw new DomainError(ErrorCode.Unauthorized, 'token is required');
    let instanceId: unknown;
    try {
      instanceId = verifyHs256(token, [{ iss: SSO_ISSUER, key: this.ssoKey }]).claims.service_instance_id;
    } catch {
      throw new DomainError(ErrorCode.Unauthorized, 'the token is not valid (expired, or not issued by svc-sentry)');
    }
    const inst = typeof instanceId === 'string' ? await this.ops.byExternalId('bkpaas', instanceId) : null;
    if (!inst || inst.desired !== 'present' || !inst.projectSlug) throw new DomainError(ErrorCode.InstanceNotFound, 'the instance has no project (yet)');
    return this.upstreams.get(inst.upstream).projectUrl(inst.projectSlug);
  }

  view(inst: Instance): Record<string, unknown> {
    const dsn = inst.desired === 'present' && inst.state === 'ready' ? this.ops.dsnOf(inst) : null;
    const p = inst.parameters ?? {};
    return {
      uuid: inst.externalId,
      service: BK_SERVICE_ID,
      plan: bkPlanId(inst.plan),
      created: inst.createdAt.toISOString(),
      updated: inst.updatedAt.toISOString(),
      state: inst.state,
      ...(inst.error ? { error: inst.error } : {}),
      credentials: dsn ? { dsn, environment: inst.env } : {},
      config: {
        __meta__: { should_hidden_fields: ['dsn'], should_remove_fields: [] },
        ...(this.adminUrl(inst) ? { admin_url: this.adminUrl(inst) } : {}),
        app: inst.app,
        module: inst.module,
        environment: inst.env,
        ...(inst.projectSlug ? { project: inst.projectSlug } : {}),
        ...(p.paas_app_info ? { paas_app_info: p.paas_app_info } : {}),
      },
      to_be_deleted: inst.desired === 'absent',
    };
  }

  private adminUrl(inst: Instance): string | null {
    if (!inst.projectSlug) return null;
    if (this.config.publicUrl) {
      const token = signHs256(
        { iss: SSO_ISSUER, service_instance_id: inst.externalId, expires_at: Math.floor(Date.now() / 1000) + this.config.bkpaas.ssoTokenSeconds },
        this.ssoKey,
      );
      return `${this.config.publicUrl.replace(/\/+$/, '')}${this.config.bkpaas.prefix}authenticate/?token=${token}`;
    }
    try {
      return this.upstreams.get(inst.upstream).projectUrl(inst.projectSlug);
    } catch {
      return null;
    }
  }

  private async spec(externalId: string, body: Record<string, unknown>) {
    const target = parseBkParams(body.params, this.config.environments, this.config.bkpaas.developerEmailDomain);
    const plan = await this.catalog.resolvePlan(body.plan_id);
    const parameters = {
      plan_id: bkPlanId(plan.name),
      engine_app_name: target.engineAppName,
      region: target.region,
      application_code: target.code,
      module_name: target.module,
      env_name: target.env,
    };
    return {
      origin: 'bkpaas' as const,
      externalId,
      app: target.app,
      module: target.module,
      env: target.env,
      plan: plan.name,
      parameters,
      developers: target.developers,
      strictParameters: false,
    };
  }

  /** A provider failure leaves nothing behind: the instance is deprovisioned so a retry starts afresh. */
  private async failProvision(inst: Instance, caller: Caller, reason: string | null): Promise<BkAnswer> {
    if (inst.externalId && inst.desired === 'present') await this.ops.deprovision('bkpaas', inst.externalId, caller).catch(() => undefined);
    throw new DomainError(ErrorCode.UpstreamUnavailable, `provisioning failed: ${reason ?? 'unknown error'}; nothing was kept, the request can be retried`);
  }

  private checkService(serviceId: string): void {
    if (serviceId !== BK_SERVICE_ID) throw new DomainError(ErrorCode.NotFound, `service ${serviceId} does not exist`);
  }
}
