import { ReconcileWorker } from '../../src/reconcile/reconcile.worker';
import { describeWithKube, KUBE_START_TIMEOUT_MS, KubeCluster, startKubeCluster } from '../harness/kube';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

const MON = (app: string, module = 'default') => `/api/v1/apps/${app}/modules/${module}/monitoring`;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

/**
 * Issue 14, item 1, the Kubernetes half: a resync cycle repairs a Secret deleted by hand and a Secret edited by hand
 * (one list of svc-sentry's Secrets per cluster), on a real kube-apiserver, and its upstream side reads only lists:
 * no project or key of a ready environment is read one by one.
 */
describeWithKube('resync repairs Secrets deleted or edited by hand; upstream: list calls only', () => {
  let cluster: KubeCluster;
  let standin: SentryStandin;
  let t: TestApp;

  const secret = (ns: string) => cluster.request('GET', `/api/v1/namespaces/${ns}/secrets/svc-sentry-default`);

  beforeAll(async () => {
    cluster = await startKubeCluster();
    for (const name of ['shop-stag', 'shop-prod']) {
      await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
    standin = await startSentryStandin();
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_KUBECONFIG: `main=${cluster.kubeconfigPath}`, SVC_SENTRY_KUBE_TIMEOUT_MS: '5000' }));
  }, KUBE_START_TIMEOUT_MS);

  afterAll(async () => {
    await t?.close();
    await standin?.close();
    await cluster?.stop();
  });

  it('a deleted Secret comes back and an edited one is put right in one cycle', async () => {
    expect((await t.api('PUT', MON('shop'), { enabled: true })).status).toBe(202);
    const status = await waitFor(async () => {
      const s = (await t.api('GET', MON('shop'))).body;
      return s?.environments && Object.values<any>(s.environments).every((e) => e.state === 'ready') ? s : null;
    }, 60_000);
    await waitFor(async () => (await secret('shop-prod')).status === 200 && (await secret('shop-stag')).status === 200, 30_000);

    expect((await cluster.request('DELETE', '/api/v1/namespaces/shop-prod/secrets/svc-sentry-default')).status).toBe(200);
    const edited = await cluster.request(
      'PATCH',
      '/api/v1/namespaces/shop-stag/secrets/svc-sentry-default',
      [{ op: 'replace', path: '/data/SENTRY_DSN', value: b64('https://someone@else.example/1') }],
      'application/json-patch+json',
    );
    expect(edited.status).toBe(200);
    expect(unb64(edited.body.data.SENTRY_DSN)).toBe('https://someone@else.example/1');

    const summary = await t.app.get(ReconcileWorker).resync();
    expect(summary.secrets).toMatchObject({ changed: 2, failed: 0 });
    for (const env of ['stag', 'prod']) {
      const r = await secret(`shop-${env}`);
      expect(r.status).toBe(200);
      expect(unb64(r.body.data.SENTRY_DSN)).toBe(status.environments[env].dsn);
    }
    const calls = standin.requests(summary.startedAt, summary.finishedAt).map((c) => c.route);
    expect(calls.filter((r) => r === 'GET /projects' || r === 'GET /projects/keys/:key' || r.startsWith('POST'))).toEqual([]);
    expect(calls.filter((r) => r === 'GET /organizations/projects')).toHaveLength(1);
  });
});
