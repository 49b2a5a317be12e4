import { ModuleRef } from '@nestjs/core';
import { randomBytes } from 'node:crypto';
import { CatalogService } from '../catalog/catalog.service';
import { SecretBox } from '../common/crypto';
import { loadConfig } from '../config/load-config';
import { InstanceOpsService } from '../instances/instance-ops.service';
import { FakeKubernetesTargets } from '../kubernetes/fake-kubernetes-targets';
import { KubernetesTargets } from '../kubernetes/kubernetes-targets.port';
import { UpstreamRegistry } from '../upstreams/upstream-registry';
import { FakeErrorTracker } from '../../test/fakes/fake-error-tracker';
import { InMemoryInstanceStore } from '../../test/fakes/in-memory-instance.store';
import { OSB_PLANS, OSB_SERVICE_ID } from './osb-catalog';
import { OsbInstancesService } from './osb-instances.service';

function setup(k8s: KubernetesTargets | null) {
  const config = loadConfig({ SVC_SENTRY_UPSTREAM_URL: 'https://sentry.example', SVC_SENTRY_UPSTREAM_TOKEN: 't', SVC_SENTRY_UPSTREAM_ORG: 'acme' });
  const store = new InMemoryInstanceStore();
  const catalog = new CatalogService(config);
  const tracker = new FakeErrorTracker();
  const upstreams = new UpstreamRegistry(config, () => tracker);
  const ops = new InstanceOpsService(store, catalog, new SecretBox(randomBytes(32).toString('hex')));
  const moduleRef = {
    get: (token: unknown) => {
      if (token === KubernetesTargets && k8s) return k8s;
      throw new Error('not provided');
    },
  } as unknown as ModuleRef;
  return { store, svc: new OsbInstancesService(config, ops, catalog, upstreams, moduleRef) };
}

const ctx = { minor: 17, username: 'broker', originatingIdentity: null };
const body = (context: Record<string, unknown>) => ({
  service_id: OSB_SERVICE_ID,
  plan_id: OSB_PLANS[1].id,
  organization_guid: 'o',
  space_guid: 's',
  parameters: { app: 'ctxapp' },
  context,
});

describe('OSB context → Kubernetes target', () => {
  it('records namespace and clusterid as the instance target', async () => {
    const { svc, store } = setup(new FakeKubernetesTargets(['east']));
    const res = await svc.provision('ctx-1', body({ platform: 'kubernetes', namespace: 'team-a', clusterid: 'east' }), 'true', ctx);
    expect(res.status).toBe(202);
    expect(store.instances[0].targetRequest).toEqual({ namespace: 'team-a', cluster: 'east' });
  });

  it('refuses a cluster svc-sentry does not know (400) and creates nothing', async () => {
    const { svc, store } = setup(new FakeKubernetesTargets(['east']));
    await expect(svc.provision('ctx-2', body({ namespace: 'team-a', clusterid: 'west' }), 'true', ctx)).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(store.instances).toHaveLength(0);
    expect(store.operations).toHaveLength(0);
  });

  it('without Kubernetes wired, the context is recorded as is', async () => {
    const { svc, store } = setup(null);
    expect((await svc.provision('ctx-3', body({ namespace: 'team-b', clusterid: 'anything' }), 'true', ctx)).status).toBe(202);
    expect(store.instances[0].targetRequest).toEqual({ namespace: 'team-b', cluster: 'anything' });
  });

  it('a context without namespace leaves the target to the namespace template', async () => {
    const { svc, store } = setup(new FakeKubernetesTargets(['east']));
    await svc.provision('ctx-4', body({ platform: 'cloudfoundry' }), 'true', ctx);
    expect(store.instances[0].targetRequest).toBeNull();
  });
});
