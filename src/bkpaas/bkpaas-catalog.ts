import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/domain-error';
import { stableUuid } from '../common/stable-uuid';
import { CatalogService } from '../catalog/catalog.service';
import { Plan } from '../catalog/plan';
import { BkpaasRecords } from './bkpaas-records.store';

/** The one service svc-sentry offers: named `sentry`, so the credential `dsn` becomes SENTRY_DSN. */
export const BK_SERVICE_NAME = 'sentry';
export const BK_SERVICE_ID = stableUuid('bkpaas:service:sentry');
export const bkPlanId = (plan: string) => stableUuid(`bkpaas:plan:${plan}`);

const SERVICE_FIELDS = [
  'display_name',
  'logo',
  'category',
  'description',
  'long_description',
  'instance_tutorial',
  'available_languages',
  'is_active',
  'is_visible',
  'config',
] as const;
const PLAN_FIELDS = ['description', 'is_active', 'properties', 'specifications', 'config', 'tenant_id'] as const;

/** JSON Schema of a plan's `config` (SDK 2.0.3 `plan_schema`): what an admin may set per plan. */
export const PLAN_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    dsn_format: { type: 'string', enum: ['modern', 'legacy'], description: 'legacy = public:secret DSN (raven < 6.7)' },
  },
  additionalProperties: true,
};

export interface BkPlanView {
  uuid: string;
  name: string;
  description: string;
  is_active: boolean;
  properties: Record<string, unknown>;
  /** An object: BlueKing's collector merges it as a dict; a JSON string breaks every later load of the service. */
  config: Record<string, unknown>;
  specifications: Record<string, unknown>;
  tenant_id: string;
  service_id: string;
}

const pick = (body: Record<string, unknown>, fields: readonly string[]) =>
  Object.fromEntries(fields.filter((f) => body[f] !== undefined).map((f) => [f, body[f]]));

/** BlueKing's view of the catalog: plans come from svc-sentry's catalog; admins may upsert their metadata. */
@Injectable()
export class BkpaasCatalog {
  constructor(
    private readonly catalog: CatalogService,
    private readonly records: BkpaasRecords,
  ) {}

  async services(): Promise<Record<string, unknown>[]> {
    return [await this.service()];
  }

  async service(): Promise<Record<string, unknown>> {
    const base = {
      uuid: BK_SERVICE_ID,
      name: BK_SERVICE_NAME,
      display_name: 'Sentry',
      logo: '',
      category: 2,
      description: 'Error monitoring: a Sentry project per module and environment, SENTRY_DSN injected on deploy.',
      long_description: 'svc-sentry creates the team, the project and a client key, and delivers SENTRY_DSN.',
      instance_tutorial: 'Read `SENTRY_DSN` from the environment and pass it to `sentry_sdk.init(dsn=...)`.',
      available_languages: 'python,nodejs,go,java,php',
      is_active: true,
      is_visible: true,
      config: { prefer_async_delete: true, prefer_idempotent_provision: true },
    };
    const override = (await this.records.get('service', BK_SERVICE_ID)) ?? {};
    return { ...base, ...override, plans: await this.plans(), plan_schema: PLAN_SCHEMA };
  }

  async plans(): Promise<BkPlanView[]> {
    const overrides = new Map((await this.records.list<Record<string, unknown>>('plan')).map((r) => [r.id, r.data]));
    return this.catalog.list().map((p) => {
      const override = { ...(overrides.get(bkPlanId(p.name)) ?? {}) };
      // Rows written before config was kept as an object hold the JSON string BlueKing sent.
      if (typeof override.config === 'string') override.config = JSON.parse(override.config) as Record<string, unknown>;
      return { ...this.basePlan(p), ...override } as BkPlanView;
    });
  }

  /** The domain plan behind a BlueKing plan id; inactive or unknown plans are refused. */
  async resolvePlan(planId: unknown): Promise<Plan> {
    const plans = await this.plans();
    const found = plans.find((p) => p.uuid === planId || p.name === planId);
    if (!found) throw new DomainError(ErrorCode.InvalidInput, `plan_id "${String(planId)}" is not a plan of service ${BK_SERVICE_NAME}`);
    if (!found.is_active) throw new DomainError(ErrorCode.InvalidInput, `plan "${found.name}" is not active`);
    return this.catalog.get(found.name);
  }

  /** POST/PUT services/: only metadata of the one service can change. */
  async upsertService(id: string | undefined, body: Record<string, unknown>): Promise<{ created: boolean; service: Record<string, unknown> }> {
    if (id !== undefined && id !== BK_SERVICE_ID) throw new DomainError(ErrorCode.NotFound, `service ${id} does not exist`);
    if (body.uuid !== undefined && body.uuid !== BK_SERVICE_ID)
      throw new DomainError(ErrorCode.InvalidInput, `svc-sentry offers one service, ${BK_SERVICE_ID}`);
    if (body.name !== undefined && body.name !== BK_SERVICE_NAME)
      throw new DomainError(ErrorCode.InvalidInput, `the service is named "${BK_SERVICE_NAME}"; its name is the env-var prefix and cannot change`);
    const fields = pick(body, SERVICE_FIELDS);
    validateTypes(fields, {
      display_name: 'string',
      logo: 'string',
      description: 'string',
      long_description: 'string',
      instance_tutorial: 'string',
      available_languages: 'string',
      is_active: 'boolean',
      is_visible: 'boolean',
      category: 'number',
      config: 'object',
    });
    const current = (await this.records.get('service', BK_SERVICE_ID)) ?? {};
    await this.records.put('service', BK_SERVICE_ID, { ...current, ...fields });
    return { created: false, service: await this.service() };
  }

  /** POST plans/ and PUT plans/{id}/: a plan must be one of svc-sentry's catalog plans. */
  async upsertPlan(id: string | undefined, body: Record<string, unknown>): Promise<{ created: boolean; plan: BkPlanView }> {
    let plan: Plan | undefined;
    if (id !== undefined) {
      plan = this.catalog.list().find((p) => bkPlanId(p.name) === id);
      if (!plan) throw new DomainError(ErrorCode.NotFound, `plan ${id} does not exist`);
      if (body.name !== undefined && body.name !== plan.name) throw new DomainError(ErrorCode.InvalidInput, 'a plan cannot be renamed');
    } else {
      if (typeof body.name !== 'string') throw new DomainError(ErrorCode.InvalidInput, '"name" is required');
      plan = this.catalog.find(body.name);
      if (!plan)
        throw new DomainError(
          ErrorCode.InvalidInput,
          `"${body.name}" is not a plan of svc-sentry (plans come from its configuration: ${this.catalog
            .list()
            .map((p) => p.name)
            .join(', ')})`,
        );
    }
    const svc = body.service_id ?? body.service;
    if (svc !== undefined && svc !== BK_SERVICE_ID) throw new DomainError(ErrorCode.InvalidInput, `service "${String(svc)}" is not ${BK_SERVICE_ID}`);
    const fields = pick(body, PLAN_FIELDS);
    validateTypes(fields, { description: 'string', is_active: 'boolean', properties: 'object', specifications: 'object', tenant_id: 'string' });
    if (fields.config !== undefined) fields.config = parseConfig(fields.config, plan);
    const uuid = bkPlanId(plan.name);
    const current = (await this.records.get('plan', uuid)) ?? {};
    const created = Object.keys(current).length === 0 && id === undefined;
    await this.records.put('plan', uuid, { ...current, ...fields });
    const view = (await this.plans()).find((p) => p.uuid === uuid)!;
    return { created, plan: view };
  }

  private basePlan(p: Plan): BkPlanView {
    return {
      uuid: bkPlanId(p.name),
      name: p.name,
      description: p.description,
      is_active: true,
      properties: { is_eager: false },
      config: { dsn_format: p.dsnFormat },
      specifications: { dsn_format: p.dsnFormat, environments: p.environments.join(','), delete_policy: p.deletePolicy },
      tenant_id: 'default',
      service_id: BK_SERVICE_ID,
    };
  }
}

/**
 * `config` arrives as a JSON string (BlueKing's upsert requests) or an object, and is kept and answered as an object.
 * The DSN format is the plan's (from svc-sentry's catalog), not editable here.
 */
function parseConfig(raw: unknown, plan: Plan): Record<string, unknown> {
  let v: unknown = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      throw new DomainError(ErrorCode.InvalidInput, '"config" must be a JSON object (sent as a string)');
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new DomainError(ErrorCode.InvalidInput, '"config" must be a JSON object');
  const fmt = (v as Record<string, unknown>).dsn_format;
  if (fmt !== undefined && fmt !== plan.dsnFormat) {
    throw new DomainError(
      ErrorCode.InvalidInput,
      `plan "${plan.name}" delivers the ${plan.dsnFormat} DSN form; use the plan with dsn_format ${String(fmt)} instead`,
    );
  }
  return v as Record<string, unknown>;
}

function validateTypes(fields: Record<string, unknown>, types: Record<string, string>): void {
  const problems = Object.entries(fields)
    .filter(([k, v]) => types[k] && (types[k] === 'object' ? !v || typeof v !== 'object' || Array.isArray(v) : typeof v !== types[k]))
    .map(([k]) => `"${k}" must be a ${types[k]}`);
  if (problems.length) throw new DomainError(ErrorCode.InvalidInput, problems.join('; '));
}
