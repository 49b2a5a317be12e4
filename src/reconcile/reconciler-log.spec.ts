import { randomBytes } from 'node:crypto';
import { CatalogService } from '../catalog/catalog.service';
import { SecretBox } from '../common/crypto';
import { loadConfig } from '../config/load-config';
import { InstancesService } from '../instances/instances.service';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { FakeErrorTracker } from '../../test/fakes/fake-error-tracker';
import { InMemoryInstanceStore } from '../../test/fakes/in-memory-instance.store';
import { OperationSettler } from './operation-settler';
import { InstanceLocks } from './reconcile-queue';
import { Reconciler } from './reconciler';

class NoLocks extends InstanceLocks {
  async withLock<T>(_id: string, fn: () => Promise<T>) {
    return fn();
  }
}

/** Re-provisioning what svc-sentry deprovisioned itself is expected (info); a key removed by someone else is a warning. */
describe('Reconciler logs: a client key svc-sentry deleted itself is not a warning', () => {
  function setup() {
    const config = loadConfig({ SVC_SENTRY_UPSTREAM_URL: 'https://sentry.example', SVC_SENTRY_UPSTREAM_TOKEN: 't', SVC_SENTRY_UPSTREAM_ORG: 'acme' });
    const tracker = new FakeErrorTracker();
    const store = new InMemoryInstanceStore();
    const catalog = new CatalogService(config);
    const upstreams = new UpstreamRegistry(config, () => tracker);
    const box = new SecretBox(randomBytes(32).toString('hex'));
    const log = { info: jest.fn(), warn: jest.fn() };
    const reconciler = new Reconciler(store, upstreams, catalog, box, new NoLocks(), null, new OperationSettler(store), log);
    const service = new InstancesService(store, catalog, upstreams, box);
    const caller = { protocol: 'rest' as const, actor: 'test' };
    const drain = async () => Promise.all(store.enqueued.splice(0).map((id) => reconciler.reconcile(id, { retryCount: 0, retryLimit: 3 })));
    return { service, caller, drain, log, tracker, store };
  }
  const said = (fn: jest.Mock, text: string) => fn.mock.calls.some(([, msg]) => String(msg).includes(text));

  it('enable, disable, enable again: the new key is logged at info, never "gone upstream" as a warning', async () => {
    const { service, caller, drain, log } = setup();
    await service.setMonitoring({ app: 'again', module: 'm', enabled: true }, caller);
    expect(await drain()).toEqual(['ready', 'ready']);
    await service.setMonitoring({ app: 'again', module: 'm', enabled: false }, caller);
    await drain();
    await service.setMonitoring({ app: 'again', module: 'm', enabled: true }, caller);
    expect(await drain()).toEqual(['ready', 'ready']);
    expect(said(log.warn, 'gone upstream')).toBe(false);
  });

  it('a key deleted out of band is still a warning', async () => {
    const { service, caller, drain, log, tracker, store } = setup();
    await service.setMonitoring({ app: 'oob', module: 'm', enabled: true }, caller);
    await drain();
    for (const p of tracker.projects.values()) p.keys = p.keys.filter((k) => !k.name.startsWith('svc-sentry:'));
    store.enqueued.push(...store.instances.map((i) => i.id));
    await drain();
    expect(said(log.warn, 'gone upstream')).toBe(true);
  });
});
