import { AppConfig, PlanConfig, UpstreamConfig } from '../config/config.schema';
import { defaultUpstreamName } from '../config/upstream-defaults';
import { CAPABILITIES, KIND_LABEL, TrackerCapabilities } from '../upstreams/capabilities';
import { DEFAULT_PLAN_NAME, Plan } from './plan';

const DEFAULT_RATES: Record<string, number> = { stag: 1.0, prod: 0.01 };

export interface ResolvedCatalog {
  plans: Map<string, Plan>;
  /** Plans that ask for what their upstream cannot do (start-up refuses them). */
  problems: string[];
}

const ALL: TrackerCapabilities = CAPABILITIES.sentry;

function capsOf(config: AppConfig, upstream: string | undefined): { caps: TrackerCapabilities; up?: UpstreamConfig } {
  const up = config.upstreams.find((u) => u.name === upstream);
  return { caps: up ? (CAPABILITIES[up.kind] ?? ALL) : ALL, up };
}

/**
 * The plans svc-sentry offers: the built-in `default` (and `legacy`, where the default upstream can serve a
 * `public:secret` DSN) plus those in config, which may redefine them. Built-in values an upstream cannot honour
 * are turned down quietly (no alert rule on GlitchTip); a value a configured plan asks for
 * explicitly, or inherits from a plan it redefines, is a problem, reported with the upstream's kind.
 */
export function resolvePlans(config: AppConfig): ResolvedCatalog {
  const plans = new Map<string, Plan>();
  const problems: string[] = [];
  const upstream = defaultUpstreamName(config);
  const { caps: defaultCaps } = capsOf(config, upstream);
  const envs = config.environments;
  const builtIn: Plan = {
    name: DEFAULT_PLAN_NAME,
    description: 'Sentry project per environment with the default alert rule; projects kept on disable.',
    upstream,
    environments: envs,
    tracesSampleRate: Object.fromEntries(envs.map((e) => [e, DEFAULT_RATES[e] ?? 0.1])),
    deletePolicy: 'keep',
    dsnFormat: 'modern',
    platform: 'other',
    defaultAlertRule: defaultCaps.alertRules,
  };
  plans.set(builtIn.name, builtIn);
  // The `public:secret` DSN form that raven < 6.7 needs (BlueKing's legacy apps): only where keys have a secret.
  if (defaultCaps.secretDsn) {
    plans.set('legacy', {
      ...builtIn,
      name: 'legacy',
      description: 'Like default, with the legacy public:secret DSN that raven < 6.7 requires.',
      dsnFormat: 'legacy',
    });
  }
  for (const p of config.plans) {
    const base = plans.get(p.name) ?? builtIn;
    const planUpstream = p.upstream ?? upstream;
    const { caps, up } = capsOf(config, planUpstream);
    const environments = p.environments ?? base.environments;
    const plan: Plan = {
      name: p.name,
      description: p.description ?? base.description,
      upstream: planUpstream,
      environments,
      tracesSampleRate: Object.fromEntries(environments.map((e) => [e, p.envs?.[e]?.tracesSampleRate ?? base.tracesSampleRate[e] ?? DEFAULT_RATES[e] ?? 0.1])),
      deletePolicy: p.deletePolicy ?? base.deletePolicy,
      dsnFormat: p.dsnFormat ?? base.dsnFormat,
      platform: p.platform ?? base.platform,
      // The built-ins want the default alert rule wherever the plan's upstream can make one.
      defaultAlertRule: p.defaultAlertRule ?? caps.alertRules,
      keyRateLimit: p.keyRateLimit ? { count: p.keyRateLimit.count, window: p.keyRateLimit.window } : base.keyRateLimit,
      rollout: p.rollout ?? base.rollout,
    };
    if (up) problems.push(...unsupported(plan, p, up, caps));
    plans.set(p.name, plan);
  }
  return { plans, problems };
}

function unsupported(plan: Plan, p: PlanConfig, up: UpstreamConfig, caps: TrackerCapabilities): string[] {
  const who = `upstream "${up.name}" (${KIND_LABEL[up.kind] ?? up.kind})`;
  const out: string[] = [];
  const at = (field: string) => `plans.${p.name}.${field}`;
  if (plan.deletePolicy === 'delete' && !caps.projectDelete) {
    out.push(`${at('deletePolicy')}: "delete" cannot be served by ${who}, which cannot delete projects through its API; use deletePolicy: keep`);
  }
  if (plan.dsnFormat === 'legacy' && !caps.secretDsn) {
    out.push(`${at('dsnFormat')}: "legacy" (public:secret DSN for raven < 6.7) cannot be served by ${who}, whose keys have no secret; use dsnFormat: modern`);
  }
  if (plan.keyRateLimit && !caps.keyRateLimit) {
    out.push(`${at('keyRateLimit')}: per-key rate limits are not enforced by ${who}; remove keyRateLimit from the plan`);
  }
  if (plan.defaultAlertRule && !caps.alertRules) {
    out.push(`${at('defaultAlertRule')}: ${who} creates no alert rule on request; set defaultAlertRule: false`);
  }
  return out;
}
