import { WebhookLifecycle } from '../../src/kubernetes/kubernetes.module';
import { ReconcileWorker } from '../../src/reconcile/reconcile.worker';
import { describeWithKube, KUBE_START_TIMEOUT_MS, KubeCluster, startKubeCluster } from '../harness/kube';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { deployment, envOf, podsOf, registerWebhook, waitForWebhookView } from './kube-fixtures';

const MON = (app: string, module = 'default') => `/api/v1/apps/${app}/modules/${module}/monitoring`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/**
 * REST toggle → reconciler → Secret on a real kube-apiserver → webhook injects the references into the
 * Pods kube-controller-manager creates. Drift, foreign Secrets and an apiserver outage included.
 */
describeWithKube('Kubernetes end to end: toggle → Secret → Pods', () => {
  let cluster: KubeCluster;
  let standin: SentryStandin;
  let t: TestApp;

  const secret = (ns: string, name = 'svc-sentry-default') => cluster.request('GET', `/api/v1/namespaces/${ns}/secrets/${name}`);
  const status = async (app: string, module = 'default') => (await t.api('GET', MON(app, module))).body;
  const allReady = (app: string, module = 'default') =>
    waitFor(async () => {
      const s = await status(app, module);
      return s?.environments && Object.values<any>(s.environments).every((e) => e.state === 'ready') ? s : null;
    }, 60_000);

  beforeAll(async () => {
    cluster = await startKubeCluster();
    for (const name of ['tnfood-stag', 'tnfood-prod', 'other-stag', 'outage-stag', 'outage-prod']) {
      await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    standin = await startSentryStandin();
    const cert = cluster.issueServingCert('webhook');
    t = await startTestApp(
      upstreamEnv(standin.url, {
        SVC_SENTRY_KUBECONFIG: `main=${cluster.kubeconfigPath}`,
        SVC_SENTRY_KUBE_TIMEOUT_MS: '3000',
        SVC_SENTRY_WEBHOOK_ENABLED: 'true',
        SVC_SENTRY_WEBHOOK_HOST: '127.0.0.1',
        WEBHOOK_PORT: '0',
        SVC_SENTRY_WEBHOOK_CERT_FILE: cert.certFile,
        SVC_SENTRY_WEBHOOK_KEY_FILE: cert.keyFile,
        SVC_SENTRY_WEBHOOK_REFRESH_SECONDS: '1',
        SVC_SENTRY_RECONCILE_RETRY_LIMIT: '12',
        SVC_SENTRY_RECONCILE_CONCURRENCY: '8',
      }),
    );
    await registerWebhook(cluster, t.app.get(WebhookLifecycle).port!);
  }, KUBE_START_TIMEOUT_MS);

  afterAll(async () => {
    await t?.close();
    await standin?.close();
    await cluster?.stop();
  });

  it('enable with stag and prod targets: each namespace holds the right Secret; the status names it', async () => {
    const res = await t.api('PUT', MON('tnfood'), {
      enabled: true,
      targets: { stag: { namespace: 'tnfood-stag' }, prod: { namespace: 'tnfood-prod' } },
    });
    expect(res.status).toBe(202);
    const s = await allReady('tnfood');
    for (const [env, rate] of [
      ['stag', '1'],
      ['prod', '0.01'],
    ]) {
      expect(s.environments[env].secret).toEqual({ cluster: 'main', namespace: `tnfood-${env}`, name: 'svc-sentry-default' });
      const secretReady = s.environments[env].conditions.find((c: { type: string }) => c.type === 'SecretReady');
      expect([secretReady.status, secretReady.reason]).toEqual(['True', 'Applied']);
      expect(secretReady.message).toContain(`tnfood-${env}`);
      const r = await secret(`tnfood-${env}`);
      expect(r.status).toBe(200);
      expect(r.body.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'svc-sentry',
        'svc-sentry.io/app': 'tnfood',
        'svc-sentry.io/module': 'default',
        'svc-sentry.io/env': env,
      });
      expect(unb64(r.body.data.SENTRY_DSN)).toBe(s.environments[env].dsn);
      expect(unb64(r.body.data.SENTRY_ENVIRONMENT)).toBe(env);
      expect(unb64(r.body.data.SENTRY_TRACES_SAMPLE_RATE)).toBe(rate);
      expect(r.body.metadata.managedFields.some((f: any) => f.manager === 'svc-sentry')).toBe(true);
    }
  });

  it("the app's Pods get the env references at deploy; another module's Pods get nothing", async () => {
    await waitForWebhookView(cluster, 'tnfood-stag', 'tnfood', 'default', true);
    const pods = await podsOf(cluster, 'tnfood-stag', await deployment(cluster, 'tnfood-stag', 'web', { app: 'tnfood', module: 'default', version: '2.0.1' }));
    const env = envOf(pods[0], 'web');
    expect(env.SENTRY_DSN.valueFrom.secretKeyRef).toEqual({ name: 'svc-sentry-default', key: 'SENTRY_DSN', optional: true });
    expect(env.SENTRY_TRACES_SAMPLE_RATE.valueFrom.secretKeyRef.key).toBe('SENTRY_TRACES_SAMPLE_RATE');
    expect(env.SENTRY_RELEASE.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['app.kubernetes.io/version']");
    const others = await podsOf(cluster, 'tnfood-stag', await deployment(cluster, 'tnfood-stag', 'worker', { app: 'tnfood', module: 'worker' }));
    expect(envOf(others[0], 'web').SENTRY_DSN).toBeUndefined();
  });

  it('a Secret deleted by hand comes back on resync', async () => {
    expect((await cluster.request('DELETE', '/api/v1/namespaces/tnfood-prod/secrets/svc-sentry-default')).status).toBe(200);
    expect((await secret('tnfood-prod')).status).toBe(404);
    await t.app.get(ReconcileWorker).resync();
    const r = await waitFor(async () => ((await secret('tnfood-prod')).status === 200 ? secret('tnfood-prod') : null), 30_000);
    expect(unb64(r.body.data.SENTRY_DSN)).toBe((await status('tnfood')).environments.prod.dsn);
  });

  it('a same-named Secret svc-sentry does not own is never overwritten: the environment fails and says so', async () => {
    await cluster.request('POST', '/api/v1/namespaces/other-stag/secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'svc-sentry-default' },
      data: { SENTRY_DSN: b64('https://mine@elsewhere/1') },
    });
    await t.api('PUT', MON('other'), { enabled: true, targets: { stag: { namespace: 'other-stag' }, prod: { namespace: 'tnfood-prod' } } });
    const s = await waitFor(async () => {
      const st = await status('other');
      return st.environments.stag.state === 'failed' ? st : null;
    }, 60_000);
    expect(s.environments.stag.error).toMatch(/svc-sentry-default/);
    expect(s.environments.stag.error).toMatch(/not (managed|owned)|does not own|not created by svc-sentry/i);
    const stag = Object.fromEntries(
      s.environments.stag.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, `${c.status}/${c.reason}`]),
    );
    expect(stag).toMatchObject({ KeyReady: 'True/Active', SecretReady: 'False/NotOwned' });
    expect(unb64((await secret('other-stag')).body.data.SENTRY_DSN)).toBe('https://mine@elsewhere/1');
  });

  it('disable: Secrets gone and new Pods get no references', async () => {
    await t.api('PUT', MON('tnfood'), { enabled: false });
    await waitFor(async () => Object.values<any>((await status('tnfood')).environments).every((e) => e.state === 'disabled'), 60_000);
    expect((await secret('tnfood-stag')).status).toBe(404);
    expect((await secret('tnfood-prod')).status).toBe(404);
    await waitForWebhookView(cluster, 'tnfood-stag', 'tnfood', 'default', false);
    const pods = await podsOf(cluster, 'tnfood-stag', await deployment(cluster, 'tnfood-stag', 'web2', { app: 'tnfood', module: 'default' }));
    expect(envOf(pods[0], 'web').SENTRY_DSN).toBeUndefined();
  });

  it('team-members endpoint answering 403: the Secret is written all the same (ready, DSN delivered), MembersSynced False; synced once it answers', async () => {
    const DEV = 'dev@example.com';
    standin.state.addOrgMember('acme', DEV);
    standin.setFaults({ routeStatus: { 'GET /teams/members': 403 } });
    type Cond = { type: string; status: string; reason: string };
    const members = (e: { conditions: Cond[] }) => e.conditions.find((c) => c.type === 'MembersSynced');
    try {
      const put = await t.api('PUT', MON('members', 'web'), {
        enabled: true,
        developers: [DEV],
        targets: { stag: { namespace: 'tnfood-stag' }, prod: { namespace: 'tnfood-prod' } },
      });
      expect(put.status).toBe(202);
      const s = await waitFor(async () => {
        const st = await status('members', 'web');
        const envs = Object.values<any>(st?.environments ?? {});
        return envs.length === 2 && envs.every((e) => e.state === 'ready' && members(e)?.status === 'False') ? st : null;
      }, 60_000);
      for (const env of ['stag', 'prod']) {
        const c = Object.fromEntries(s.environments[env].conditions.map((x: Cond) => [x.type, `${x.status}/${x.reason}`]));
        expect(c).toMatchObject({ KeyReady: 'True/Active', SecretReady: 'True/Applied', MembersSynced: 'False/PermissionDenied' });
        const r = await secret(`tnfood-${env}`, 'svc-sentry-web');
        expect(r.status).toBe(200);
        expect(unb64(r.body.data.SENTRY_DSN)).toBe(s.environments[env].dsn);
      }
    } finally {
      standin.setFaults({});
    }
    await waitFor(async () => Object.values<any>((await status('members', 'web')).environments).every((e) => members(e)?.status === 'True'), 60_000);
    expect(standin.state.teamMembers('acme', 'members')).toEqual([DEV]);
  });

  it('50 toggles while the apiserver is down for 30 s all converge once it is back', async () => {
    await cluster.stopApiserver();
    const modules = Array.from({ length: 50 }, (_, i) => `m${i}`);
    const answers = await Promise.all(
      modules.map((m) =>
        t.api('PUT', MON('outage', m), { enabled: true, targets: { stag: { namespace: 'outage-stag' }, prod: { namespace: 'outage-prod' } } }),
      ),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    await new Promise((r) => setTimeout(r, 30_000)); // the outage itself: the apiserver stays down for 30 s
    const during = await Promise.all(modules.map((m) => status('outage', m)));
    expect(during.some((s) => Object.values<any>(s.environments).some((e) => e.state !== 'ready'))).toBe(true);
    // While the apiserver is down: the DSN is made upstream, the Secret step says why it waits.
    const waiting = during
      .flatMap((s) => Object.values<any>(s.environments))
      .filter((e) => e.conditions.some((c: any) => c.type === 'SecretReady' && c.status === 'False'));
    expect(waiting.length).toBeGreaterThan(0);
    for (const e of waiting) {
      const c = Object.fromEntries(e.conditions.map((x: any) => [x.type, `${x.status}/${x.reason}`]));
      expect(c).toMatchObject({ KeyReady: 'True/Active', SecretReady: 'False/ClusterUnavailable' });
      expect(c.ProjectReady).toMatch(/^True\//);
    }
    await cluster.startApiserver();
    await Promise.all(
      modules.map((m) =>
        waitFor(
          async () => {
            const s = await status('outage', m);
            return Object.values<any>(s.environments).every((e) => e.state === 'ready') ? s : null;
          },
          180_000,
          1000,
        ),
      ),
    );
    const list = await cluster.request('GET', '/api/v1/namespaces/outage-stag/secrets?labelSelector=svc-sentry.io%2Fapp%3Doutage');
    expect(list.body.items).toHaveLength(50);
  }, 300_000);
});
