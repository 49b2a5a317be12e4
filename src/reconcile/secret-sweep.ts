import { SecretBox } from '../common/crypto';
import { CatalogService } from '../catalog/catalog.service';
import { InstanceStore } from '../instances/instance-store';
import { KubernetesTargets, SecretBatchItem } from '../kubernetes/kubernetes-targets.port';
import { desiredSecret } from './secret-data';
import { openDsn } from '../instances/sealed-dsn';

/**
 * The Kubernetes half of a resync as one sweep: every ready environment's Secret is compared with
 * what it should hold (one list of our Secrets per cluster) and only missing or edited ones are
 * applied. It needs no upstream, so a Secret deleted by hand comes back even while the error tracker
 * is down. Returns the instances whose Secret could not be converged, for a full reconcile.
 */
export class SecretSweep {
  constructor(
    private readonly store: InstanceStore,
    private readonly catalog: CatalogService,
    private readonly box: SecretBox,
    private readonly targets: KubernetesTargets | null,
  ) {}

  async run(): Promise<{ checked: number; changed: number; failed: string[] }> {
    if (!this.targets?.configured()) return { checked: 0, changed: 0, failed: [] };
    const items: Array<SecretBatchItem & { instanceId: string }> = [];
    for (const inst of await this.store.listSecretHolders()) {
      const plan = this.catalog.find(inst.plan);
      const dsn = openDsn(this.box, inst.dsnSealed);
      if (!plan || !dsn || !inst.secret) continue;
      items.push({ instanceId: inst.id, ref: inst.secret, desired: desiredSecret(inst, plan, dsn) });
    }
    const results = await this.targets.ensureSecrets(items);
    const failed = results.flatMap((r, i) => (r.error ? [items[i].instanceId] : []));
    const changed = results.filter((r) => r.outcome && r.outcome !== 'unchanged').length;
    return { checked: items.length, changed, failed };
  }
}
