import { DomainError, ErrorCode, isDomainError } from '../common/domain-error';
import {
  DesiredSecret,
  InstanceIdentity,
  KubernetesTargets,
  RolloutResult,
  SecretBatchItem,
  SecretBatchResult,
  SecretOutcome,
  SecretRef,
  TargetRequest,
} from './kubernetes-targets.port';
import { renderNamespace } from './namespace-template';
import { LiveSecret, notOwnedMessage, ownedLabels, ownership, secretApplyBody, secretNameFor, secretUpToDate } from './secret-manifest';

export interface FakeSecret {
  labels: Record<string, string>;
  data: Record<string, string>; // plain values
  resourceVersion: number;
  managedBySvcSentry: boolean;
}

/**
 * In-memory KubernetesTargets for unit tests: the same ownership and idempotency rules as the real adapter
 * (shared via secret-manifest.ts), over a map of clusters → "namespace/name" → Secret. Faults can be injected.
 */
export class FakeKubernetesTargets extends KubernetesTargets {
  readonly secrets = new Map<string, FakeSecret>();
  readonly deployments = new Map<string, { labels: Record<string, string>; annotation?: string }>();
  readonly calls: Array<{ op: string; ref: SecretRef }> = [];
  /** While > 0, each call fails with a retryable ClusterUnavailable and decrements it. */
  failNext = 0;
  /** While true every call fails as if the apiserver were down. */
  down = false;
  private version = 1;

  constructor(
    readonly clusters: string[] = ['default'],
    readonly namespaceTemplate = '{app}-{env}',
    readonly rolloutDefault = false,
    readonly labels = { appLabel: 'svc-sentry.io/app', moduleLabel: 'svc-sentry.io/module' },
  ) {
    super();
  }

  configured(): boolean {
    return this.clusters.length > 0;
  }

  resolve(id: InstanceIdentity, requested?: TargetRequest): SecretRef | null {
    if (!this.configured()) return null;
    const cluster = requested?.cluster ?? this.clusters[0];
    if (!this.clusters.includes(cluster)) throw new DomainError(ErrorCode.InvalidInput, `unknown cluster "${cluster}"`, { cluster });
    return { cluster, namespace: requested?.namespace ?? renderNamespace(this.namespaceTemplate, id), name: secretNameFor(id.module) };
  }

  rolloutByDefault(): boolean {
    return this.rolloutDefault;
  }

  async ensureSecret(ref: SecretRef, desired: DesiredSecret): Promise<SecretOutcome> {
    this.fault('ensureSecret', ref);
    const key = this.key(ref);
    const cur = this.secrets.get(key);
    if (cur) {
      const own = ownership(this.live(cur), desired);
      if (!own.owned) throw new DomainError(ErrorCode.NotOwned, notOwnedMessage(ref, own.reason), { ...ref });
      if (secretUpToDate(this.live(cur), desired)) return 'unchanged';
    }
    const body = secretApplyBody(ref, desired) as { metadata: { labels: Record<string, string> } };
    this.secrets.set(key, {
      labels: { ...(cur?.labels ?? {}), ...body.metadata.labels },
      data: { ...(cur?.data ?? {}), ...desired.data },
      resourceVersion: this.version++,
      managedBySvcSentry: true,
    });
    return cur ? 'updated' : 'created';
  }

  async ensureSecrets(items: SecretBatchItem[]): Promise<SecretBatchResult[]> {
    const out: SecretBatchResult[] = [];
    for (const { ref, desired } of items) {
      try {
        out.push({ ref, outcome: await this.ensureSecret(ref, desired) });
      } catch (e) {
        if (!isDomainError(e)) throw e;
        out.push({ ref, error: e });
      }
    }
    return out;
  }

  async removeSecret(ref: SecretRef, id: InstanceIdentity): Promise<'deleted' | 'absent'> {
    this.fault('removeSecret', ref);
    const key = this.key(ref);
    const cur = this.secrets.get(key);
    if (!cur || !ownership(this.live(cur), id).owned) return 'absent';
    this.secrets.delete(key);
    return 'deleted';
  }

  async rollout(ref: SecretRef, id: InstanceIdentity): Promise<RolloutResult> {
    this.fault('rollout', ref);
    const stamp = String(this.secrets.get(this.key(ref))?.resourceVersion ?? 'absent');
    const restarted: string[] = [];
    for (const [key, d] of this.deployments) {
      const [cluster, namespace, name] = key.split('/');
      if (cluster !== ref.cluster || namespace !== ref.namespace) continue;
      if (d.labels[this.labels.appLabel] !== id.app || d.labels[this.labels.moduleLabel] !== id.module) continue;
      if (d.annotation === stamp) continue;
      d.annotation = stamp;
      restarted.push(name);
    }
    return { restarted };
  }

  /** Test helpers: a Secret svc-sentry did not create, and a Deployment. */
  putForeignSecret(ref: SecretRef, data: Record<string, string> = {}, labels: Record<string, string> = {}): void {
    this.secrets.set(this.key(ref), { labels, data, resourceVersion: this.version++, managedBySvcSentry: false });
  }

  putDeployment(cluster: string, namespace: string, name: string, labels: Record<string, string>): void {
    this.deployments.set(`${cluster}/${namespace}/${name}`, { labels });
  }

  getSecret(ref: SecretRef): FakeSecret | undefined {
    return this.secrets.get(this.key(ref));
  }

  expectedLabels(id: InstanceIdentity): Record<string, string> {
    return ownedLabels(id);
  }

  private key(ref: SecretRef): string {
    return `${ref.cluster}/${ref.namespace}/${ref.name}`;
  }

  private live(s: FakeSecret): LiveSecret {
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.data)) data[k] = Buffer.from(v, 'utf8').toString('base64');
    return {
      labels: s.labels,
      data,
      type: 'Opaque',
      resourceVersion: String(s.resourceVersion),
      managers: s.managedBySvcSentry ? [{ manager: 'svc-sentry', operation: 'Apply' }] : [],
    };
  }

  private fault(op: string, ref: SecretRef): void {
    this.calls.push({ op, ref });
    if (!this.configured()) throw new DomainError(ErrorCode.UpstreamNotConfigured, 'no cluster configured');
    if (!this.clusters.includes(ref.cluster)) throw new DomainError(ErrorCode.InvalidInput, `unknown cluster "${ref.cluster}"`);
    if (this.down || this.failNext > 0) {
      if (this.failNext > 0) this.failNext--;
      throw new DomainError(
        ErrorCode.ClusterUnavailable,
        `Kubernetes apiserver unreachable: ${op} failed (ECONNREFUSED); will retry`,
        { ...ref, reason: 'ECONNREFUSED' },
        true,
      );
    }
  }
}
