import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { readFileSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { ErrorCode } from '../../src/common/domain-error';
import { ClusterRegistry } from '../../src/kubernetes/cluster-registry';
import { KubeKubernetesTargets } from '../../src/kubernetes/kube-kubernetes-targets';
import { KubernetesConfig } from '../../src/kubernetes/kubernetes.config';
import { describeWithKube, freePort, KUBE_START_TIMEOUT_MS, KubeCluster, startKubeCluster, waitFor } from '../harness/kube';

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

  it('reports a missing namespace as a retryable ClusterRejected that names it (the PaaS may create it with the first deploy)', async () => {
    const ref = targets.resolve(tnfood('stag'), { namespace: 'not-yet' })!;
    const err = await targets.ensureSecret(ref, desired('stag', '1')).catch((e) => e);
    expect(err).toMatchObject({ code: ErrorCode.ClusterRejected, retryable: true, details: expect.objectContaining({ status: 404, namespace: 'not-yet' }) });
    expect(err.message).toMatch(/apply Secret svc-sentry-default in namespace not-yet \(cluster "main"\).*Does the namespace exist/);
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
    expect(second[121].error).toMatchObject({ code: ErrorCode.ClusterRejected, retryable: true });
    expect(reads).toHaveBeenCalledTimes(4); // only the four that were not up to date in the LIST
    reads.mockRestore();
    expect(decode((await getSecret('batch-a', 'svc-sentry-m0')).body.data).SENTRY_DSN).toBe('https://k0@s/1');

    await cluster.stopApiserver();
    try {
      const down = await targets.ensureSecrets(items.slice(0, 10));
      expect(down.every((r) => r.error?.code === ErrorCode.ClusterUnavailable && r.error.retryable)).toBe(true);
    } finally {
      await cluster.startApiserver();
    }
  });

  it('reports retryable ClusterUnavailable while the apiserver is down, and succeeds once it is back', async () => {
    const ref = targets.resolve(tnfood('stag'), { namespace: 'tnfood-stag' })!;
    await cluster.stopApiserver();
    try {
      for (const call of [
        () => targets.ensureSecret(ref, desired('stag', '0.75')),
        () => targets.removeSecret(ref, tnfood('stag')),
        () => targets.rollout(ref, tnfood('stag')),
      ]) {
        await expect(call()).rejects.toMatchObject({
          code: ErrorCode.ClusterUnavailable,
          retryable: true,
          message: expect.stringMatching(/^Kubernetes apiserver unreachable: .* in namespace tnfood-stag \(cluster "main"\)/),
        });
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

  /** Targets over one cluster named `name` whose kubeconfig is the test one with `edit` applied (another token or server). */
  const targetsWith = (name: string, edit: (kubeconfig: string) => string, requestTimeoutMs = 3000) => {
    const path = join(cluster.dir, `${name}.kubeconfig`);
    writeFileSync(path, edit(readFileSync(cluster.kubeconfigPath, 'utf8')));
    const config = plainToInstance(KubernetesConfig, { kubeconfigs: `${name}=${path}`, requestTimeoutMs }, { exposeDefaultValues: true });
    return new KubeKubernetesTargets(config, new ClusterRegistry(config));
  };
  const apply = async (path: string, body: unknown) => {
    const r = await cluster.request('POST', path, body);
    expect([201, 409]).toContain(r.status);
  };

  it('RBAC that does not allow the write: a terminal ClusterRejected naming the verb, the Secret, the namespace and the verbs needed', async () => {
    await createNamespace('rbac-limited');
    await apply('/api/v1/namespaces/rbac-limited/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'limited' } });
    // May read Secrets, not write them.
    await apply('/apis/rbac.authorization.k8s.io/v1/namespaces/rbac-limited/roles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'read-secrets' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    });
    await apply('/apis/rbac.authorization.k8s.io/v1/namespaces/rbac-limited/rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'read-secrets' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-secrets' },
      subjects: [{ kind: 'ServiceAccount', name: 'limited', namespace: 'rbac-limited' }],
    });
    const tr = await cluster.request('POST', '/api/v1/namespaces/rbac-limited/serviceaccounts/limited/token', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    expect(tr.status).toBe(201);
    const limited = targetsWith('limited', (kc) => kc.replace(`token: ${cluster.token}`, `token: ${tr.body.status.token}`));
    const ref = limited.resolve(tnfood('stag'), { namespace: 'rbac-limited' })!;
    const err = await limited.ensureSecret(ref, desired('stag', '1')).catch((e) => e);
    expect(err).toMatchObject({
      code: ErrorCode.ClusterRejected,
      retryable: false,
      details: expect.objectContaining({ status: 403, namespace: 'rbac-limited' }),
    });
    expect(err.message).toMatch(/^Kubernetes refused to apply Secret svc-sentry-default in namespace rbac-limited \(cluster "limited"\) \(403\)/);
    expect(err.message).toMatch(/cannot patch resource "secrets".*get, list, create, patch and delete Secrets/);
    expect(err.message).not.toContain(tr.body.status.token);
    // Nothing was written.
    expect((await getSecret('rbac-limited')).status).toBe(404);
  });

  it('an invalid object (422): a terminal ClusterRejected naming the Secret and the namespace', async () => {
    const ref = targets.resolve(tnfood('stag'), { namespace: 'tnfood-stag' })!;
    const bad = { ...tnfood('stag'), data: { 'not a valid key!': 'x' } };
    const err = await targets.ensureSecret({ ...ref, name: 'svc-sentry-invalid' }, bad).catch((e) => e);
    expect(err).toMatchObject({ code: ErrorCode.ClusterRejected, retryable: false, details: expect.objectContaining({ status: 422 }) });
    expect(err.message).toMatch(
      /^Kubernetes refused to apply Secret svc-sentry-invalid in namespace tnfood-stag \(cluster "main"\) \(422\): .*not a valid key/,
    );
  });

  it('an admission policy that denies the Secret: a terminal ClusterRejected with the policy message', async () => {
    await createNamespace('locked');
    await apply('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'secrets-frozen' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['secrets'] }] },
        validations: [{ expression: 'false', message: 'Secrets are frozen in this namespace' }],
      },
    });
    await apply('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: 'secrets-frozen' },
      spec: {
        policyName: 'secrets-frozen',
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'locked' } } },
      },
    });
    // The policy takes effect once the apiserver has loaded it: a dry-run create is refused.
    await waitFor(
      async () =>
        (await cluster.request('POST', '/api/v1/namespaces/locked/secrets?dryRun=All', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'probe' } }))
          .status >= 400,
      30_000,
      () => 'the admission policy never took effect',
    );
    const ref = targets.resolve(tnfood('stag'), { namespace: 'locked' })!;
    const err = await targets.ensureSecret(ref, desired('stag', '1')).catch((e) => e);
    expect(err).toMatchObject({ code: ErrorCode.ClusterRejected, retryable: false, details: expect.objectContaining({ namespace: 'locked' }) });
    expect([403, 422]).toContain(err.details.status);
    expect(err.message).toMatch(
      /^Kubernetes refused to apply Secret svc-sentry-default in namespace locked \(cluster "main"\).*Secrets are frozen in this namespace/,
    );
  });

  it('a failing admission webhook (the apiserver answers 500): a retryable ClusterUnavailable', async () => {
    await createNamespace('webhook-down');
    await apply('/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'down' },
      webhooks: [
        {
          name: 'down.svc-sentry.test',
          clientConfig: { url: `https://127.0.0.1:${await freePort()}/validate`, caBundle: Buffer.from(cluster.caPem).toString('base64') },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['secrets'] }],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'webhook-down' } },
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 2,
        },
      ],
    });
    const ref = targets.resolve(tnfood('stag'), { namespace: 'webhook-down' })!;
    let err: any;
    await waitFor(
      async () => {
        err = await targets.ensureSecret(ref, desired('stag', '1')).catch((e) => e);
        return err?.details?.status === 500;
      },
      30_000,
      () => `the webhook never failed the write: ${err?.code} ${err?.message ?? err}`,
    );
    expect(err).toMatchObject({ code: ErrorCode.ClusterUnavailable, retryable: true });
    expect(err.message).toMatch(
      /^Kubernetes apiserver answered 500 to apply Secret svc-sentry-default in namespace webhook-down \(cluster "main"\): .*webhook.*; will retry$/,
    );
  });

  it('an apiserver that accepts connections and never answers: a retryable ClusterUnavailable after the request timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
    const port = (silent.address() as AddressInfo).port;
    try {
      const hung = targetsWith('hung', (kc) => kc.replace(cluster.server, `https://127.0.0.1:${port}`), 500);
      const ref = hung.resolve(tnfood('stag'), { namespace: 'tnfood-stag' })!;
      const err = await hung.ensureSecret(ref, desired('stag', '1')).catch((e) => e);
      expect(err).toMatchObject({ code: ErrorCode.ClusterUnavailable, retryable: true, details: expect.objectContaining({ reason: 'timeout' }) });
      expect(err.message).toMatch(
        /^Kubernetes apiserver did not answer: get Secret svc-sentry-default in namespace tnfood-stag \(cluster "hung"\) took longer than 500 ms/,
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((ok) => silent.close(ok));
    }
  });
});
