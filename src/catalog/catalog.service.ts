import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.schema';
import { defaultUpstreamName } from '../config/load-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DEFAULT_PLAN_NAME, Plan } from './plan';

const DEFAULT_RATES: Record<string, number> = { stag: 1.0, prod: 0.01 };

/** The plans svc-sentry offers: the built-in `default` plan plus those in config (which may redefine it). */
@Injectable()
export class CatalogService {
  private readonly plans = new Map<string, Plan>();

  constructor(config: AppConfig) {
    const upstream = defaultUpstreamName(config);
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
      defaultAlertRule: true,
    };
    this.plans.set(builtIn.name, builtIn);
    // The `public:secret` DSN form that raven < 6.7 needs (BlueKing's legacy apps).
    this.plans.set('legacy', {
      ...builtIn,
      name: 'legacy',
      description: 'Like default, with the legacy public:secret DSN that raven < 6.7 requires.',
      dsnFormat: 'legacy',
    });
    for (const p of config.plans) {
      const base = this.plans.get(p.name) ?? builtIn;
      const environments = p.environments ?? base.environments;
      this.plans.set(p.name, {
        name: p.name,
        description: p.description ?? base.description,
        upstream: p.upstream ?? upstream,
        environments,
        tracesSampleRate: Object.fromEntries(
          environments.map((e) => [e, p.envs?.[e]?.tracesSampleRate ?? base.tracesSampleRate[e] ?? DEFAULT_RATES[e] ?? 0.1]),
        ),
        deletePolicy: p.deletePolicy ?? base.deletePolicy,
        dsnFormat: p.dsnFormat ?? base.dsnFormat,
        platform: p.platform ?? base.platform,
        defaultAlertRule: p.defaultAlertRule ?? base.defaultAlertRule,
        keyRateLimit: p.keyRateLimit ? { count: p.keyRateLimit.count, window: p.keyRateLimit.window } : base.keyRateLimit,
        rollout: p.rollout ?? base.rollout,
      });
    }
  }

  list(): Plan[] {
    return [...this.plans.values()];
  }

  find(name: string): Plan | undefined {
    return this.plans.get(name);
  }

  get(name: string = DEFAULT_PLAN_NAME): Plan {
    const plan = this.plans.get(name);
    if (!plan) {
      throw new DomainError(ErrorCode.PlanNotFound, `Unknown plan "${name}". Known plans: ${[...this.plans.keys()].join(', ')}.`, { plan: name });
    }
    return plan;
  }
}
