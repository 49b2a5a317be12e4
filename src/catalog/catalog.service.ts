import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.schema';
import { ConfigError } from '../config/load-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DEFAULT_PLAN_NAME, Plan } from './plan';
import { resolvePlans } from './resolve-plans';

/** The plans svc-sentry offers: the built-in `default` plan plus those in config (which may redefine it). */
@Injectable()
export class CatalogService {
  private readonly plans: Map<string, Plan>;

  constructor(config: AppConfig) {
    const { plans, problems } = resolvePlans(config);
    // loadConfig() reports these already; a config built another way is refused here too.
    if (problems.length) throw new ConfigError(problems);
    this.plans = plans;
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
