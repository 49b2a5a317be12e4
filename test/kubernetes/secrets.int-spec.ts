import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { ErrorCode } from '../../src/common/domain-error';
import { ClusterRegistry } from '../../src/kubernetes/cluster-registry';
import { KubeKubernetesTargets } from '../../src/kubernetes/kube-kubernetes-targets';
import { KubernetesConfig } from '../../src/kubernetes/kubernetes.config';
import { describeWithKube, KUBE_START_TIMEOUT_MS, KubeCluster, startKubeCluster, waitFor } from '../harness/kube';

/** The Secret writer against a real kube-apiserver: labels and values, ownership, drift repair, outages, rollout. */
describeWithKube('KubeKubernetesTargets on a real apiserver', () => {
  let cluster: KubeCluster;
  let targets: KubeKubernetesTargets;
  let registry: ClusterRegistry;
  const tnfood = (env: string) => ({ app: 'tnfood', module: 'default', env });
  const desired = (env: string, rate: string) => ({
    ...tnfood(env),
    data: { SENTRY_DSN: `https://pub${env}@sentry.example/4${env.length}`, SENTRY_ENVIRONMENT: env, SENTRY_TRACES_SAMPLE_RATE: rate },
  });
  const getSecret = async (ns: string, name = 'svc-sentry-default') => cluster.request('GET', `/api/v1/namespaces/${ns}/secrets/${name}`);
  const decode = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  const createNamespace = async (name: string) => {
    const r = await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    expect([201, 409]).toContain(r.status);
  };

  beforeAll(async () => {
    cluster = await startKubeCluster({ controllerManager: false, log: (s) => console.log(s) });
    for (const ns of ['tnfood-stag', 'tnfood-prod', 'bkapp-tnfood-stag', 'foreign']) await createNamespace(ns);
    const config = plainToInstance(
      KubernetesConfig,
      {
        // Two named clusters at once (both point at the test apiserver here); the template is BlueKing's.
        kubeconfigs: `main=${cluster.kubeconfigPath},backup=${cluster.kubeconfigPath}`,
        namespaceTemplate: 'bkapp-{app}-{env}',
        requestTimeoutMs: 3000,
      },
      { exposeDefaultValues: true },
    );
    registry = new ClusterRegistry(config);
    targets = new KubeKubernetesTargets(config, registry);
  }, KUBE_START_TIMEOUT_MS);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('resolves targets from the request or the namespace template, and rejects unknown clusters', () => {
    expect(targets.configured()).toBe(true);
    expect(targets.resolve(tnfood('stag'))).toEqual({ cluster: 'main', namespace: 'bkapp-tnfood-stag', name: 'svc-sentry-default' });
    expect(targets.resolve(tnfood('prod'), { cluster: 'backup', namespace: 'tnfood-prod' })).toEqual({
      cluster: 'backup',
      namespace: 'tnfood-prod',
      name: 'svc-sentry-default',
    });
    expect(() => targets.resolve(tnfood('prod'), { cluster: 'nope' })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
    expect(() => targets.resolve(tnfood('prod'), { namespace: 'Not_A_Namespace' })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidInput }));
  });

  it('writes stag and prod Secrets in two namespaces with the right labels and values (server-side apply, svc-sentry)', async () => {
    const stag = targets.resolve(tnfood('stag'), { namespace: 'tnfood-stag' })!;
    const prod = targets.resolve(tnfood('prod'), { cluster: 'backup', namespace: 'tnfood-prod' })!;
    expect(await targets.ensureSecret(stag, desired('stag', '1'))).toBe('created');
    expect(await targets.ensureSecret(prod, desired('prod', '0.01'))).toBe('created');
    for (const [ns, env, rate] of [
      ['tnfood-stag', 'stag', '1'],
      ['tnfood-prod', 'prod', '0.01'],
    ]) {
      const { status, body } = await getSecret(ns);
      expect(status).toBe(200);
      expect(body.type).toBe('Opaque');
      expect(body.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'svc-sentry',
        'svc-sentry.io/app': 'tnfood',
        'svc-sentry.io/module': 'default',
        'svc-sentry.io/env': env,
      });
      expect(decode(body.data)).toEqual(desired(env, rate).data);
      expect(body.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'svc-sentry', operation: 'Apply' })]);
    }
    // Same desired state again: read, compare, no write.
    const before = (await getSecret('tnfood-stag')).body.metadata.resourceVersion;
    expect(await targets.ensureSecret(stag, desired('stag', '1'))).toBe('unchanged');
    expect((await getSecret('tnfood-stag')).body.metadata.resourceVersion).toBe(before);
    // A plan change is applied in place.
    expect(await targets.ensureSecret(stag, desired('stag', '0.5'))).toBe('updated');
    expect(decode((await getSecret('tnfood-stag')).body.data).SENTRY_TRACES_SAMPLE_RATE).toBe('0.5');
  });

  it('restores a Secret deleted or edited by hand on the next ensureSecret (resync)', async () => {
    const ref = targets.resolve(tnfood('stag'))!;
    await targets.ensureSecret(ref, desired('stag', '1'));
    expect((await cluster.request('DELETE', `/api/v1/namespaces/${ref.namespace}/secrets/${ref.name}`)).status).toBe(200);
    expect((await getSecret(ref.namespace)).status).toBe(404);
    expect(await targets.ensureSecret(ref, desired('stag', '1'))).toBe('created');
    expect(decode((await getSecret(ref.namespace)).body.data)).toEqual(desired('stag', '1').data);

    const edit = await cluster.request(
      'PATCH',
      `/api/v1/namespaces/${ref.namespace}/secrets/${ref.name}?fieldManager=kubectl-edit`,
      { data: { SENTRY_DSN: Buffer.from('https://hijacked@evil/1').toString('base64') }, metadata: { labels: { 'svc-sentry.io/env': null } } },
      'application/merge-patch+json',
    );
    expect(edit.status).toBe(200);
    expect(await targets.ensureSecret(ref, desired('stag', '1'))).toBe('updated');
    const fixed = (await getSecret(ref.namespace)).body;
    expect(decode(fixed.data).SENTRY_DSN).toBe(desired('stag', '1').data.SENTRY_DSN);
    expect(fixed.metadata.labels['svc-sentry.io/env']).toBe('stag');
  });

  it('never overwrites or deletes a same-named Secret it does not own (NotOwned, says what to do)', async () => {
    const ref = targets.resolve(tnfood('stag'), { namespace: 'foreign' })!;
    const theirs = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: ref.name, labels: { team: 'payments' } },
      stringData: { SENTRY_DSN: 'https://theirs@x/1' },
    };
    expect((await cluster.request('POST', '/api/v1/namespaces/foreign/secrets', theirs)).status).toBe(201);
    const err = await targets.ensureSecret(ref, desired('stag', '1')).catch((e) => e);
    expect(err).toMatchObject({ code: ErrorCode.NotOwned, retryable: false });
    expect(err.message).toMatch(
      /foreign\/svc-sentry-default.*not created by svc-sentry.*will not overwrite.*kubectl -n foreign delete secret svc-sentry-default/,
    );
    expect(await targets.removeSecret(ref, tnfood('stag'))).toBe('absent');
    const still = (await getSecret('foreign')).body;
    expect(decode(still.data)).toEqual({ SENTRY_DSN: 'https://theirs@x/1' });
    expect(still.metadata.labels).toEqual({ team: 'payments' });
  });

  it('deletes only its own Secret on disable, then reports it absent', async () => {
    const ref = targets.resolve(tnfood('prod'), { namespace: 'tnfood-prod' })!;
    await targets.ensureSecret(ref, desired('prod', '0.01'));
    expect(await targets.removeSecret(ref, tnfood('prod'))).toBe('deleted');
    expect((await getSecret('tnfood-prod')).status).toBe(404);
    expect(await targets.removeSecret(ref, tnfood('prod'))).toBe('absent');
  });

  it('reports a missing namespace as a retryable rejection that names it (the PaaS may create it with the first deploy)', async () => {
    const ref = targets.resolve(tnfood('stag'), { namespace: 'not-yet' })!;
    const err = await targets.ensureSecret(ref, desired('stag', '1')).catch((e) => e);
    expect(err).toMatchObject({ code: ErrorCode.UpstreamRejected, retryable: true, details: expect.objectContaining({ status: 404, namespace: 'not-yet' }) });
    expect(err.message).toMatch(/not-yet.*namespace/i);
  });

  it('rolls out the Deployments labelled with the app module, once per Secret version', async () => {
    const ref = targets.resolve(tnfood('stag'), { namespace: 'tnfood-stag' })!;
    const deployment = (name: string, module: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels: { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': module } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { run: name } },
        template: { metadata: { labels: { run: name } }, spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] } },
      },
    });
    for (const [n, m] of [
      ['web', 'default'],
      ['api', 'api'],
    ]) {
      expect((await cluster.request('POST', '/apis/apps/v1/namespaces/tnfood-stag/deployments', deployment(n, m))).status).toBe(201);
    }
    await targets.ensureSecret(ref, desired('stag', '0.25'));
    expect(await targets.rollout(ref, tnfood('stag'))).toEqual({ restarted: ['web'] });
    const web = (await cluster.request('GET', '/apis/apps/v1/namespaces/tnfood-stag/deployments/web')).body;
    const rv = (await getSecret('tnfood-stag')).body.metadata.resourceVersion;
    expect(web.spec.template.metadata.annotations).toEqual({ 'svc-sentry.io/secret-version': rv });
    const api = (await cluster.request('GET', '/apis/apps/v1/namespaces/tnfood-stag/deployments/api')).body;
    expect(api.spec.template.metadata.annotations).toBeUndefined();
    expect(await targets.rollout(ref, tnfood('stag'))).toEqual({ restarted: [] });
  });

  it('ensureSecrets: one LIST per cluster, reads and applies only what is missing or drifted, errors per item', async () => {
    await createNamespace('batch-a');
    await createNamespace('batch-b');
    const items = Array.from({ length: 120 }, (_, i) => {
      const id = { app: 'bulk', module: `m${i}`, env: i % 2 ? 'prod' : 'stag' };
      const ref = targets.resolve(id, { namespace: i % 2 ? 'batch-b' : 'batch-a' })!;
      return { ref, desired: { ...id, data: { SENTRY_DSN: `https://k${i}@s/1`, SENTRY_ENVIRONMENT: id.env, SENTRY_TRACES_SAMPLE_RATE: '0.1' } } };
    });
    const first = await targets.ensureSecrets(items);
    expect(first.map((r) => r.outcome)).toEqual(items.map(() => 'created'));
    // Drift: one edited, one deleted by hand; one slot taken by a foreign Secret; one namespace missing.
    await cluster.request(
      'PATCH',
      '/api/v1/namespaces/batch-a/secrets/svc-sentry-m0',
      { data: { SENTRY_DSN: Buffer.from('x').toString('base64') } },
      'application/merge-patch+json',
    );
    await cluster.request('DELETE', '/api/v1/namespaces/batch-b/secrets/svc-sentry-m1');
    await cluster.request('POST', '/api/v1/namespaces/batch-a/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'svc-sentry-foreign' } });
    const foreign = {
      ref: { cluster: 'main', namespace: 'batch-a', name: 'svc-sentry-foreign' },
      desired: { app: 'bulk', module: 'foreign', env: 'stag', data: { SENTRY_DSN: 'd' } },
    };
    const missing = {
      ref: { cluster: 'main', namespace: 'batch-none', name: 'svc-sentry-x' },
      desired: { app: 'bulk', module: 'x', env: 'stag', data: { SENTRY_DSN: 'd' } },
    };
    const reads = jest.spyOn(registry.get('main').core, 'readNamespacedSecret');
    const second = await targets.ensureSecrets([...items, foreign, missing]);
    expect(second[0].outcome).toBe('updated');
    expect(second[1].outcome).toBe('created');
    expect(second.slice(2, 120).every((r) => r.outcome === 'unchanged')).toBe(true);
    expect(second[120].error).toMatchObject({ code: ErrorCode.NotOwned });
    expect(second[121].error).toMatchObject({ code: ErrorCode.UpstreamRejected, retryable: true });
    expect(reads).toHaveBeenCalledTimes(4); // only the four that were not up to date in the LIST
    reads.mockRestore();
    expect(decode((await getSecret('batch-a', 'svc-sentry-m0')).body.data).SENTRY_DSN).toBe('https://k0@s/1');

    await cluster.stopApiserver();
    try {
      const down = await targets.ensureSecrets(items.slice(0, 10));
      expect(down.every((r) => r.error?.code === ErrorCode.UpstreamUnavailable && r.error.retryable)).toBe(true);
    } finally {
      await cluster.startApiserver();
    }
  });

  it('reports retryable UpstreamUnavailable while the apiserver is down, and succeeds once it is back', async () => {
    const ref = targets.resolve(tnfood('stag'), { namespace: 'tnfood-stag' })!;
    await cluster.stopApiserver();
    try {
      for (const call of [
        () => targets.ensureSecret(ref, desired('stag', '0.75')),
        () => targets.removeSecret(ref, tnfood('stag')),
        () => targets.rollout(ref, tnfood('stag')),
      ]) {
        await expect(call()).rejects.toMatchObject({ code: ErrorCode.UpstreamUnavailable, retryable: true });
      }
      const health = await targets.health();
      expect(health).toEqual([
        { name: 'cluster:main', up: false, detail: expect.stringMatching(/unreachable|did not answer/) },
        { name: 'cluster:backup', up: false, detail: expect.any(String) },
      ]);
    } finally {
      await cluster.startApiserver();
    }
    await waitFor(
      async () => (await targets.ensureSecret(ref, desired('stag', '0.75'))) !== undefined,
      30_000,
      () => 'never converged',
    );
    expect(decode((await getSecret('tnfood-stag')).body.data).SENTRY_TRACES_SAMPLE_RATE).toBe('0.75');
    expect((await targets.health()).every((h) => h.up && /v1\.\d+\.\d+/.test(h.detail))).toBe(true);
  });
});
