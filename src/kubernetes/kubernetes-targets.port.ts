import type { DomainError } from '../common/domain-error';

/**
 * Port to the clusters where apps run. The reconciler uses it to converge the per-environment
 * Secret `svc-sentry-<module>`; the domain sees no client-node types.
 */
export interface TargetRequest {
  cluster?: string;
  namespace?: string;
}

export interface SecretRef {
  cluster: string;
  namespace: string;
  name: string;
}

export interface InstanceIdentity {
  app: string;
  module: string;
  env: string;
}

export interface DesiredSecret extends InstanceIdentity {
  data: Record<string, string>;
}

export type SecretOutcome = 'created' | 'updated' | 'unchanged';

export interface SecretBatchItem {
  ref: SecretRef;
  desired: DesiredSecret;
}

/** Per item: the outcome, or the DomainError ensureSecret would have thrown for it. */
export type SecretBatchResult = { ref: SecretRef; outcome: SecretOutcome; error?: undefined } | { ref: SecretRef; outcome?: undefined; error: DomainError };

export interface RolloutResult {
  /** Names of the Deployments whose pod template was stamped (and so restart). */
  restarted: string[];
}

export abstract class KubernetesTargets {
  /** False when no cluster is configured: the Secret step is skipped and reported as such. */
  abstract configured(): boolean;

  /**
   * Where (app, module, env) lives: from the request, else the namespace template in config.
   * Returns null when no cluster is configured for it. Throws DomainError(InvalidInput) for an unknown cluster.
   */
  abstract resolve(id: InstanceIdentity, requested?: TargetRequest): SecretRef | null;

  /** Reads, then server-side applies when different. Throws DomainError(NotOwned) for a same-named unmanaged Secret. */
  abstract ensureSecret(ref: SecretRef, desired: DesiredSecret): Promise<SecretOutcome>;

  /** Deletes the Secret only when svc-sentry owns it. */
  abstract removeSecret(ref: SecretRef, id: InstanceIdentity): Promise<'deleted' | 'absent'>;

  /** Whether config asks for a rollout after each Secret change (`kubernetes.rollout`, off by default); a plan may override. */
  abstract rolloutByDefault(): boolean;

  /**
   * Restarts the Deployments labelled with the app module in ref's namespace (pod-template annotation carrying the
   * Secret's resourceVersion), so a changed Secret takes effect without a deploy. Idempotent per Secret version.
   */
  abstract rollout(ref: SecretRef, id: InstanceIdentity): Promise<RolloutResult>;

  /**
   * ensureSecret for many at once (the resync sweep): one paginated LIST of the Secrets svc-sentry manages per
   * cluster, compared in memory; only missing or drifted ones are read and applied (bounded concurrency).
   * Never throws for one item; results are in input order.
   */
  abstract ensureSecrets(items: SecretBatchItem[], opts?: { concurrency?: number }): Promise<SecretBatchResult[]>;
}
