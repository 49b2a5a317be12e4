import { randomBytes } from 'node:crypto';
import { CatalogService } from '../../src/catalog/catalog.service';
import { SecretBox } from '../../src/common/crypto';
import { loadConfig } from '../../src/config/load-config';
import { InstancesService } from '../../src/instances/instances.service';
import { KubernetesTargets } from '../../src/kubernetes/kubernetes-targets.port';
import { OperationSettler } from '../../src/reconcile/operation-settler';
import { InstanceLocks } from '../../src/reconcile/reconcile-queue';
import { ReconcileLog, Reconciler } from '../../src/reconcile/reconciler';
import { UpstreamRegistry } from '../../src/upstreams/upstream-registry';
import { FakeErrorTracker } from './fake-error-tracker';
import { InMemoryInstanceStore } from './in-memory-instance.store';

/** Locks that are always free (one process, one test). */
export class NoLocks extends InstanceLocks {
  async withLock<T>(_id: string, fn: () => Promise<T>) {
    return fn();
  }
}

export interface ReconcileFixtureOptions {
  /** Extra configuration (env-style) beside the fake upstream. */
  env?: Record<string, string>;
  locks?: InstanceLocks;
  log?: ReconcileLog;
  targets?: KubernetesTargets | null;
  /** The reconciler's clock (default: the real one). */
  now?: () => Date;
}

/** The reconciler and the REST instances service wired to in-memory fakes, for unit specs of the domain. */
export function reconcileFixture(o: ReconcileFixtureOptions = {}) {
  const config = loadConfig({ SVC_SENTRY_UPSTREAM_URL: 'https://sentry.example', SVC_SENTRY_UPSTREAM_TOKEN: 't', SVC_SENTRY_UPSTREAM_ORG: 'acme', ...o.env });
  const tracker = new FakeErrorTracker();
  const store = new InMemoryInstanceStore();
  const catalog = new CatalogService(config);
  const upstreams = new UpstreamRegistry(config, () => tracker);
  const box = new SecretBox(randomBytes(32).toString('hex'));
  const log = o.log ?? { info: () => undefined, warn: () => undefined };
  const reconciler = new Reconciler(store, upstreams, catalog, box, o.locks ?? new NoLocks(), o.targets ?? null, new OperationSettler(store), log, o.now);
  const service = new InstancesService(store, catalog, upstreams, box);
  const caller = { protocol: 'rest' as const, actor: 'test' };
  /** Reconciles every enqueued instance once, as attempt `retryCount`. */
  const drain = async (retryCount = 0) => Promise.all(store.enqueued.splice(0).map((id) => reconciler.reconcile(id, { retryCount, retryLimit: 3 })));
  return { config, tracker, store, catalog, upstreams, box, log, reconciler, service, caller, drain };
}
