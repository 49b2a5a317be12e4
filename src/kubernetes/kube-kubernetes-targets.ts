import { Logger } from '@nestjs/common';
import { DomainError, ErrorCode, isDomainError } from '../common/domain-error';
import { K8s, k8s } from './client-node';
import { ClusterClients, ClusterRegistry } from './cluster-registry';
import { statusOf, toDomainError, withTimeout } from './kube-errors';
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
import { KubernetesConfig, labelKeys } from './kubernetes.config';
import { rollouts, secretWrites } from './kubernetes.metrics';
import { renderNamespace } from './namespace-template';
import { mapPool } from './map-pool';
import {
  FIELD_MANAGER,
  LiveSecret,
  MANAGED_BY,
  notOwnedMessage,
  ownership,
  ROLLOUT_ANNOTATION,
  secretApplyBody,
  secretNameFor,
  secretUpToDate,
} from './secret-manifest';

/** KubernetesTargets over real apiservers with @kubernetes/client-node (server-side apply, field manager svc-sentry). */
export class KubeKubernetesTargets extends KubernetesTargets {
  private readonly log = new Logger('KubernetesTargets');

  constructor(
    private readonly config: KubernetesConfig,
    private readonly registry: ClusterRegistry = new ClusterRegistry(config),
  ) {
    super();
  }

  configured(): boolean {
    return this.registry.names().length > 0;
  }

  resolve(id: InstanceIdentity, requested?: TargetRequest): SecretRef | null {
    if (!this.configured()) return null;
    const cluster = requested?.cluster ?? this.registry.defaultName()!;
    if (!this.registry.has(cluster)) {
      throw new DomainError(ErrorCode.InvalidInput, `unknown cluster "${cluster}"; configured clusters: ${this.registry.names().join(', ')}`, { cluster });
    }
    const namespace = requested?.namespace ?? renderNamespace(this.config.namespaceTemplate, id);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        `namespace "${namespace}" is not a valid Kubernetes namespace name (DNS-1123 label, at most 63 characters)`,
        { namespace },
      );
    }
    return { cluster, namespace, name: secretNameFor(id.module) };
  }

  rolloutByDefault(): boolean {
    return this.config.rollout;
  }

  async ensureSecret(ref: SecretRef, desired: DesiredSecret): Promise<SecretOutcome> {
    const c = this.registry.get(ref.cluster);
    try {
      const live = await this.read(c, ref);
      if (live) {
        const own = ownership(live, desired);
        if (!own.owned) {
          secretWrites.inc({ cluster: ref.cluster, outcome: 'not_owned' });
          throw new DomainError(ErrorCode.NotOwned, notOwnedMessage(ref, own.reason), { ...ref }, false);
        }
        if (secretUpToDate(live, desired)) {
          secretWrites.inc({ cluster: ref.cluster, outcome: 'unchanged' });
          return 'unchanged';
        }
      }
      // Updating: resourceVersion makes the apply conditional on what we just checked (409 → retry and re-check).
      // Creating: no force, so fields someone else set meanwhile conflict (409) instead of being taken over.
      const body = secretApplyBody(ref, desired, live?.resourceVersion);
      await this.call(
        c.core.patchNamespacedSecret(
          {
            name: ref.name,
            namespace: ref.namespace,
            body,
            fieldManager: FIELD_MANAGER,
            force: !!live,
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
        ),
        `apply Secret ${ref.name}`,
        ref,
      );
      const outcome: SecretOutcome = live ? 'updated' : 'created';
      secretWrites.inc({ cluster: ref.cluster, outcome });
      this.log.log(`Secret ${ref.namespace}/${ref.name} ${outcome} in cluster ${ref.cluster}`);
      return outcome;
    } catch (e) {
      const err = toDomainError(e, `apply Secret ${ref.namespace}/${ref.name}`, { ...ref });
      if (err.code !== ErrorCode.NotOwned) secretWrites.inc({ cluster: ref.cluster, outcome: 'error' });
      throw err;
    }
  }

  async ensureSecrets(items: SecretBatchItem[], opts: { concurrency?: number } = {}): Promise<SecretBatchResult[]> {
    const snapshots = new Map<string, Promise<Map<string, LiveSecret> | DomainError | null>>();
    const snapshot = (cluster: string) => {
      if (!snapshots.has(cluster)) snapshots.set(cluster, this.listManaged(cluster));
      return snapshots.get(cluster)!;
    };
    return mapPool(items, opts.concurrency ?? 16, async ({ ref, desired }): Promise<SecretBatchResult> => {
      try {
        const snap = await snapshot(ref.cluster);
        // The cluster is down: every item of it fails the same way, without a request each.
        if (snap instanceof DomainError) return { ref, error: snap };
        const live = snap?.get(`${ref.namespace}/${ref.name}`);
        if (live && ownership(live, desired).owned && secretUpToDate(live, desired)) {
          secretWrites.inc({ cluster: ref.cluster, outcome: 'unchanged' });
          return { ref, outcome: 'unchanged' };
        }
        return { ref, outcome: await this.ensureSecret(ref, desired) };
      } catch (e) {
        return { ref, error: isDomainError(e) ? e : toDomainError(e, `apply Secret ${ref.namespace}/${ref.name}`, { ...ref }) };
      }
    });
  }

  async removeSecret(ref: SecretRef, id: InstanceIdentity): Promise<'deleted' | 'absent'> {
    const c = this.registry.get(ref.cluster);
    try {
      const live = await this.read(c, ref);
      if (!live) {
        secretWrites.inc({ cluster: ref.cluster, outcome: 'absent' });
        return 'absent';
      }
      const own = ownership(live, id);
      if (!own.owned) {
        // Not ours: our Secret is absent; theirs stays untouched.
        this.log.warn(`not deleting Secret ${ref.namespace}/${ref.name} in cluster ${ref.cluster}: it ${own.reason}`);
        secretWrites.inc({ cluster: ref.cluster, outcome: 'not_owned' });
        return 'absent';
      }
      try {
        await this.call(
          c.core.deleteNamespacedSecret({
            name: ref.name,
            namespace: ref.namespace,
            body: { preconditions: { resourceVersion: live.resourceVersion } },
          }),
          `delete Secret ${ref.name}`,
          ref,
        );
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
        secretWrites.inc({ cluster: ref.cluster, outcome: 'absent' });
        return 'absent';
      }
      secretWrites.inc({ cluster: ref.cluster, outcome: 'deleted' });
      this.log.log(`Secret ${ref.namespace}/${ref.name} deleted in cluster ${ref.cluster}`);
      return 'deleted';
    } catch (e) {
      secretWrites.inc({ cluster: ref.cluster, outcome: 'error' });
      throw toDomainError(e, `delete Secret ${ref.namespace}/${ref.name}`, { ...ref });
    }
  }

  /**
   * Restarts the Deployments labelled with the app module in the Secret's namespace by stamping the Secret's
   * resourceVersion into their pod-template annotations. Idempotent: a Deployment already stamped with this
   * version is left alone. Returns the names restarted.
   */
  async rollout(ref: SecretRef, id: InstanceIdentity): Promise<RolloutResult> {
    const c = this.registry.get(ref.cluster);
    const keys = labelKeys(this.config);
    try {
      const live = await this.read(c, ref);
      const stamp = live?.resourceVersion ?? 'absent';
      const list = await this.call(
        c.apps.listNamespacedDeployment({
          namespace: ref.namespace,
          labelSelector: `${keys.appLabel}=${id.app},${keys.moduleLabel}=${id.module}`,
        }),
        'list Deployments',
        ref,
      );
      const restarted: string[] = [];
      for (const d of list.items) {
        const name = d.metadata?.name;
        if (!name || d.spec?.template?.metadata?.annotations?.[ROLLOUT_ANNOTATION] === stamp) continue;
        await this.call(
          c.apps.patchNamespacedDeployment(
            {
              name,
              namespace: ref.namespace,
              fieldManager: FIELD_MANAGER,
              body: { spec: { template: { metadata: { annotations: { [ROLLOUT_ANNOTATION]: stamp } } } } },
            },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
          ),
          `patch Deployment ${name} (rollout restart)`,
          ref,
        );
        restarted.push(name);
        rollouts.inc({ cluster: ref.cluster, outcome: 'restarted' });
      }
      if (restarted.length) this.log.log(`restarted Deployments ${restarted.join(', ')} in ${ref.namespace} (cluster ${ref.cluster})`);
      return { restarted };
    } catch (e) {
      rollouts.inc({ cluster: ref.cluster, outcome: 'error' });
      throw toDomainError(e, `rollout restart of Deployments in namespace ${ref.namespace}`, { ...ref });
    }
  }

  /** Readiness of every configured cluster, for /readyz. */
  health() {
    return this.registry.health();
  }

  /**
   * Every Secret labelled managed-by=svc-sentry in the cluster (paginated LIST). null when listing across namespaces
   * is forbidden (RBAC limited to namespaces): callers then read each Secret. A DomainError when the cluster fails.
   */
  private async listManaged(cluster: string): Promise<Map<string, LiveSecret> | DomainError | null> {
    const out = new Map<string, LiveSecret>();
    const details = { cluster, namespace: '*', name: '*' };
    try {
      const c = this.registry.get(cluster);
      let cont: string | undefined;
      do {
        const page = await this.call(
          c.core.listSecretForAllNamespaces({
            labelSelector: `${MANAGED_BY}=${FIELD_MANAGER}`,
            limit: 500,
            _continue: cont,
          }),
          'list Secrets managed by svc-sentry in all namespaces',
          details,
        );
        for (const s of page.items) out.set(`${s.metadata?.namespace}/${s.metadata?.name}`, toLive(s));
        cont = page.metadata?._continue || undefined;
      } while (cont);
      return out;
    } catch (e) {
      if (statusOf(e) === 403) {
        this.log.warn(`cannot list Secrets across namespaces in cluster ${cluster} (RBAC); resync reads each Secret instead`);
        return null;
      }
      return toDomainError(e, 'list Secrets managed by svc-sentry in all namespaces', details);
    }
  }

  private async read(c: ClusterClients, ref: SecretRef): Promise<LiveSecret | null> {
    let s: K8s.V1Secret;
    try {
      s = await this.call(c.core.readNamespacedSecret({ name: ref.name, namespace: ref.namespace }), `get Secret ${ref.name}`, ref);
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw e;
    }
    return toLive(s);
  }

  /** One apiserver request within the request timeout; a failure becomes a coded error naming this request. */
  private call<T>(p: Promise<T>, what: string, ref: SecretRef): Promise<T> {
    const mapped = p.catch((e: unknown) => {
      throw toDomainError(e, what, { ...ref });
    });
    return withTimeout(mapped, this.config.requestTimeoutMs, what, { ...ref });
  }
}

function toLive(s: K8s.V1Secret): LiveSecret {
  return {
    labels: s.metadata?.labels ?? {},
    data: s.data ?? {},
    type: s.type,
    resourceVersion: s.metadata?.resourceVersion,
    managers: (s.metadata?.managedFields ?? []).map((m) => ({ manager: m.manager, operation: m.operation })),
  };
}
