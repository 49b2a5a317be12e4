import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { plainToInstance } from 'class-transformer';
import { register } from 'prom-client';
import { KubernetesTargets } from '../../src/kubernetes/kubernetes-targets.port';
import { KubernetesConfig } from '../../src/kubernetes/kubernetes.config';
import { KubernetesModule, KubernetesReadiness, WebhookLifecycle } from '../../src/kubernetes/kubernetes.module';
import { ArrayEnabledTargetsSource, EnabledTargetsView } from '../../src/kubernetes/webhook/enabled-targets';
import { describeWithKube, KUBE_START_TIMEOUT_MS, KubeCluster, startKubeCluster } from '../harness/kube';
import { deployment, envOf, podsOf, registerWebhook } from './kube-fixtures';

/**
 * The admission webhook registered on a real apiserver: kube-controller-manager's ReplicaSets create the Pods,
 * and the stored Pod spec carries the env references (or not).
 */
describeWithKube('admission webhook on a real apiserver', () => {
  let cluster: KubeCluster;
  let app: INestApplication;
  let targets: KubernetesTargets;
  let view: EnabledTargetsView;
  const source = new ArrayEnabledTargetsSource();
  const stag = { app: 'tnfood', module: 'default', env: 'stag' };
  const ref = { cluster: 'main', namespace: 'tnfood-stag', name: 'svc-sentry-default' };

  beforeAll(async () => {
    cluster = await startKubeCluster({ log: (s) => console.log(s) });
    for (const name of ['tnfood-stag', 'quiet']) {
      expect((await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).status).toBe(201);
    }
    const cert = cluster.issueServingCert('webhook');
    const config = plainToInstance(
      KubernetesConfig,
      {
        kubeconfigs: `main=${cluster.kubeconfigPath}`,
        webhook: { enabled: true, host: '127.0.0.1', port: 0, certFile: cert.certFile, keyFile: cert.keyFile, refreshSeconds: 1 },
      },
      { exposeDefaultValues: true },
    );
    const mod = await Test.createTestingModule({
      imports: [KubernetesModule.forRoot({ config: { useFactory: () => config }, enabledTargets: { useValue: source } })],
    }).compile();
    app = mod.createNestApplication({ logger: ['error', 'warn'] });
    await app.init();
    targets = app.get(KubernetesTargets);
    view = app.get(EnabledTargetsView);
    await registerWebhook(cluster, app.get(WebhookLifecycle).port!);
  }, KUBE_START_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  const enable = async () => {
    await targets.ensureSecret(ref, {
      ...stag,
      data: { SENTRY_DSN: 'https://k@sentry.example/7', SENTRY_ENVIRONMENT: 'stag', SENTRY_TRACES_SAMPLE_RATE: '1' },
    });
    source.targets = [{ ...ref, app: 'tnfood', module: 'default', env: 'stag', secretName: ref.name }];
    await view.refreshNow();
  };

  it('injects secretKeyRef env and SENTRY_RELEASE into Pods the ReplicaSet creates; a container keeps its own SENTRY_DSN', async () => {
    await enable();
    const pods = await podsOf(
      cluster,
      'tnfood-stag',
      await deployment(cluster, 'tnfood-stag', 'web', { app: 'tnfood', module: 'default', version: '1.4.2', ownDsnSidecar: true }),
    );
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) {
      const web = envOf(pod, 'web');
      for (const key of ['SENTRY_DSN', 'SENTRY_ENVIRONMENT', 'SENTRY_TRACES_SAMPLE_RATE']) {
        expect(web[key]).toEqual({ name: key, valueFrom: { secretKeyRef: { name: 'svc-sentry-default', key, optional: true } } });
      }
      expect(web.SENTRY_RELEASE).toEqual({
        name: 'SENTRY_RELEASE',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['app.kubernetes.io/version']" } },
      });
      const sidecar = envOf(pod, 'sidecar');
      expect(sidecar.SENTRY_DSN).toEqual({ name: 'SENTRY_DSN', value: 'https://own@elsewhere/1' });
      expect(sidecar.SENTRY_ENVIRONMENT?.valueFrom).toBeDefined();
    }
    const decisions = await register.getSingleMetricAsString('svc_sentry_webhook_decisions_total');
    expect(decisions).toMatch(/decision="patched",dry_run="false"} [1-9]/);
  });

  it('gives nothing to a Pod of another module or in a namespace where monitoring is off', async () => {
    await enable();
    const api = await podsOf(cluster, 'tnfood-stag', await deployment(cluster, 'tnfood-stag', 'api', { app: 'tnfood', module: 'api' }));
    const quiet = await podsOf(cluster, 'quiet', await deployment(cluster, 'quiet', 'web', { app: 'tnfood', module: 'default' }));
    for (const pod of [...api, ...quiet]) expect(Object.keys(envOf(pod, 'web'))).toEqual([]);
  });

  it('answers dry-run creates with the mutation and stores nothing', async () => {
    await enable();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dry', labels: { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'default' } },
      spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
    };
    const r = await cluster.request('POST', '/api/v1/namespaces/tnfood-stag/pods?dryRun=All', pod);
    expect(r.status).toBe(201);
    expect(Object.keys(envOf(r.body, 'web'))).toEqual(['SENTRY_DSN', 'SENTRY_ENVIRONMENT', 'SENTRY_TRACES_SAMPLE_RATE']);
    expect((await cluster.request('GET', '/api/v1/namespaces/tnfood-stag/pods/dry')).status).toBe(404);
    expect(await register.getSingleMetricAsString('svc_sentry_webhook_decisions_total')).toMatch(/decision="patched",dry_run="true"} 1/);
  });

  it('after disable: Secret gone and new Pods get no references', async () => {
    await enable();
    expect(await targets.removeSecret(ref, stag)).toBe('deleted');
    source.targets = [];
    await view.refreshNow();
    const pods = await podsOf(cluster, 'tnfood-stag', await deployment(cluster, 'tnfood-stag', 'after-off', { app: 'tnfood', module: 'default' }));
    for (const pod of pods) expect(Object.keys(envOf(pod, 'web'))).toEqual([]);
    expect((await cluster.request('GET', '/api/v1/namespaces/tnfood-stag/secrets/svc-sentry-default')).status).toBe(404);
  });

  it('reports each configured cluster for /readyz', async () => {
    expect(await app.get(KubernetesReadiness).check()).toEqual([
      { name: 'cluster:main', up: true, detail: expect.stringContaining(cluster.version) },
      { name: 'webhookView', up: true, detail: expect.stringMatching(/enabled target/) },
    ]);
  });

  it('fails open: with the webhook server stopped, Pods are still created (failurePolicy Ignore)', async () => {
    await enable();
    await app.get(WebhookLifecycle).onModuleDestroy();
    const t0 = Date.now();
    const pods = await podsOf(cluster, 'tnfood-stag', await deployment(cluster, 'tnfood-stag', 'while-down', { app: 'tnfood', module: 'default' }));
    expect(pods.length).toBeGreaterThan(0);
    for (const pod of pods) expect(Object.keys(envOf(pod, 'web'))).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});
