import { Plan } from '../catalog/plan';
import { Dsn, Instance } from '../instances/model';
import { DesiredSecret } from '../kubernetes/kubernetes-targets.port';

/** What the Secret of an environment holds: the DSN in the plan's format, the environment and its sample rate. */
export function desiredSecret(inst: Pick<Instance, 'app' | 'module' | 'env'>, plan: Plan, dsn: Dsn): DesiredSecret {
  return {
    app: inst.app,
    module: inst.module,
    env: inst.env,
    data: {
      SENTRY_DSN: plan.dsnFormat === 'legacy' ? dsn.secret : dsn.public,
      SENTRY_ENVIRONMENT: inst.env,
      SENTRY_TRACES_SAMPLE_RATE: String(plan.tracesSampleRate[inst.env] ?? 0),
    },
  };
}
