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

/** Texts BlueKing keeps per language (django-modeltranslation: `<field>_zh_cn`, `<field>_en`); the plain field is the default language's. */
const I18N_TEXTS = ['display_name', 'description', 'long_description', 'instance_tutorial'] as const;
const LANGUAGES = ['zh_cn', 'en'] as const;
const I18N_FIELDS = I18N_TEXTS.flatMap((f) => LANGUAGES.map((l) => `${f}_${l}`));
const SERVICE_FIELDS = [...I18N_TEXTS, ...I18N_FIELDS, 'logo', 'category', 'available_languages', 'is_active', 'is_visible', 'config'] as const;
const PLAN_FIELDS = ['description', 'display_name', 'is_active', 'properties', 'specifications', 'config', 'tenant_id'] as const;

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
  /** plans added with POST plans/: the catalog plan they deliver like */
  base_plan?: string;
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
    const i18n = Object.fromEntries(I18N_TEXTS.flatMap((f) => LANGUAGES.map((l) => [`${f}_${l}`, base[f]])));
    const override = (await this.records.get('service', BK_SERVICE_ID)) ?? {};
    const plans = (await this.plans()).map(({ base_plan: _base, ...p }) => p);
    return { ...base, ...i18n, ...override, plans, plan_schema: PLAN_SCHEMA };
  }

  async plans(): Promise<BkPlanView[]> {
    const overrides = new Map((await this.records.list<Record<string, unknown>>('plan')).map((r) => [r.id, r.data]));
    const fromCatalog = this.catalog.list().map((p) => {
      const override = { ...(overrides.get(bkPlanId(p.name)) ?? {}) };
      // Rows written before config was kept as an object hold the JSON string BlueKing sent.
      if (typeof override.config === 'string') override.config = JSON.parse(override.config) as Record<string, unknown>;
      return { ...this.basePlan(p), ...override } as BkPlanView;
    });
    // Plans an admin added with POST plans/: each delivers like the catalog plan it is based on.
    const added = [...overrides.entries()]
      .filter(([, d]) => typeof d.base_plan === 'string' && this.catalog.find(d.base_plan))
      .map(([uuid, d]) => {
        const { base_plan, ...rest } = d;
        return { ...this.basePlan(this.catalog.get(base_plan as string)), ...rest, uuid, base_plan } as BkPlanView;
      });
    return [...fromCatalog, ...added];
  }

  /** The domain plan behind a BlueKing plan id; inactive or unknown plans are refused. */
  async resolvePlan(planId: unknown): Promise<Plan> {
    const plans = await this.plans();
    const found = plans.find((p) => p.uuid === planId || p.name === planId);
    if (!found) throw new DomainError(ErrorCode.InvalidInput, `plan_id "${String(planId)}" is not a plan of service ${BK_SERVICE_NAME}`);
    if (!found.is_active) throw new DomainError(ErrorCode.InvalidInput, `plan "${found.name}" is not active`);
    return this.catalog.get(found.base_plan ?? found.name);
  }

  /** POST/PUT services/: only metadata of the one service can change. */
  async upsertService(id: string | undefined, body: Record<string, unknown>): Promise<{ created: boolean; service: Record<string, unknown> }> {
    if (id !== undefined && id !== BK_SERVICE_ID) throw new DomainError(ErrorCode.NotFound, `service ${id} does not exist`);
    if (body.uuid !== undefined && body.uuid !== BK_SERVICE_ID)
      throw new DomainError(ErrorCode.InvalidInput, `svc-sentry offers one service, ${BK_SERVICE_ID}`);
    if (body.name !== undefined && body.name !== BK_SERVICE_NAME)
      throw new DomainError(ErrorCode.InvalidInput, `the service is named "${BK_SERVICE_NAME}"; its name is the env-var prefix and cannot change`);
    const fields = pick(body, SERVICE_FIELDS);
    // BlueKing's admin sends the per-language texts; the plain field shows the default language (zh_cn).
    for (const f of I18N_TEXTS) if (fields[f] === undefined && fields[`${f}_zh_cn`] !== undefined) fields[f] = fields[`${f}_zh_cn`];
    if (fields.category === undefined && typeof body.category_id === 'number') fields.category = body.category_id;
    validateTypes(fields, {
      ...Object.fromEntries([...I18N_TEXTS, ...I18N_FIELDS].map((f) => [f, 'string'])),
      logo: 'string',
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

  /**
   * POST plans/ and PUT plans/{id}/. A catalog plan's metadata can be edited; POST with a new name adds a
   * plan that delivers like the catalog plan with the same `config.dsn_format` (default: the modern DSN),
   * so BlueKing's admin "add plan" works (its client treats any non-2xx as a failure).
   */
  async upsertPlan(id: string | undefined, body: Record<string, unknown>): Promise<{ created: boolean; plan: BkPlanView }> {
    const svc = body.service_id ?? body.service;
    if (svc !== undefined && svc !== BK_SERVICE_ID) throw new DomainError(ErrorCode.InvalidInput, `service "${String(svc)}" is not ${BK_SERVICE_ID}`);
    const fields = pick(body, PLAN_FIELDS);
    validateTypes(fields, {
      description: 'string',
      display_name: 'string',
      is_active: 'boolean',
      properties: 'object',
      specifications: 'object',
      tenant_id: 'string',
    });
    const all = await this.plans();
    let existing: BkPlanView | undefined;
    if (id !== undefined) {
      existing = all.find((p) => p.uuid === id);
      if (!existing) throw new DomainError(ErrorCode.NotFound, `plan ${id} does not exist`);
      if (body.name !== undefined && body.name !== existing.name) throw new DomainError(ErrorCode.InvalidInput, 'a plan cannot be renamed');
    } else {
      if (typeof body.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(body.name))
        throw new DomainError(ErrorCode.InvalidInput, '"name" is required: 1-64 letters, digits, ".", "_" or "-"');
      existing = all.find((p) => p.name === body.name);
    }
    const base = existing ? this.catalog.get(existing.base_plan ?? existing.name) : this.baseFor(body.config);
    if (fields.config !== undefined) fields.config = parseConfig(fields.config, base);
    const uuid = existing?.uuid ?? (typeof body.uuid === 'string' && /^[0-9a-fA-F-]{36}$/.test(body.uuid) ? body.uuid : bkPlanId(`added:${String(body.name)}`));
    const current = (await this.records.get('plan', uuid)) ?? {};
    const created = id === undefined && Object.keys(current).length === 0;
    await this.records.put('plan', uuid, { ...current, ...fields, ...(existing ? {} : { name: body.name, base_plan: base.name }) });
    const view = (await this.plans()).find((p) => p.uuid === uuid)!;
    return { created, plan: view };
  }

  /** The catalog plan a new BlueKing plan delivers like: the one with the DSN format its config asks for. */
  private baseFor(rawConfig: unknown): Plan {
    let cfg: unknown = rawConfig;
    if (typeof rawConfig === 'string') {
      try {
        cfg = JSON.parse(rawConfig);
      } catch {
        throw new DomainError(ErrorCode.InvalidInput, '"config" must be a JSON object (sent as a string)');
      }
    }
    const fmt = cfg && typeof cfg === 'object' ? (cfg as Record<string, unknown>).dsn_format : undefined;
    const plans = this.catalog.list();
    const match = plans.find((p) => p.dsnFormat === (fmt ?? 'modern'));
    if (!match)
      throw new DomainError(
        ErrorCode.InvalidInput,
        `no catalog plan delivers the DSN format "${String(fmt)}" (${plans.map((p) => `${p.name}: ${p.dsnFormat}`).join(', ')})`,
      );
    return match;
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
