import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequest, describeWithKube, freePort, KUBE_START_TIMEOUT_MS, KubeCluster, startKubeCluster, waitFor } from '../harness/kube';
import { chartDir, ensureHelm, helm, HELM_BUILD_TIMEOUT_MS, HelmResult } from '../harness/helm';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor as waitUntil } from '../support/app';
import { deployment, envOf, podsOf } from '../kubernetes/kube-fixtures';
import { ReconcileWorker } from '../../src/reconcile/reconcile.worker';
import { b64, ciValuesFiles, expectOk, K8sObject, parseManifests, valuesFile } from './chart-helpers';

/**
 * The chart on the real apiserver: server-side dry run of every ci/*.yaml; install, upgrade (webhook CA and certificate
 * kept) and uninstall (everything gone, hook Jobs included); the webhook end to end through the chart's own registration
 * and certificate; and the chart's permissions, exercised with tokens minted for its ServiceAccounts.
 */

const REL = 'sentry';
const NS = 'svc-sentry';
const FULL = `${REL}-svc-sentry`;
const MON = (app: string, module = 'default') => `/api/v1/apps/${app}/modules/${module}/monitoring`;
const MANAGED = { 'app.kubernetes.io/managed-by': 'svc-sentry' };

/** Where each kind lives in the API (for GETs and dry-run creates). */
const RESOURCES: Record<string, [string, string, boolean]> = {
  Secret: ['/api/v1', 'secrets', true],
  ConfigMap: ['/api/v1', 'configmaps', true],
  Service: ['/api/v1', 'services', true],
  ServiceAccount: ['/api/v1', 'serviceaccounts', true],
  Pod: ['/api/v1', 'pods', true],
  Deployment: ['/apis/apps/v1', 'deployments', true],
  StatefulSet: ['/apis/apps/v1', 'statefulsets', true],
  Job: ['/apis/batch/v1', 'jobs', true],
  PodDisruptionBudget: ['/apis/policy/v1', 'poddisruptionbudgets', true],
  NetworkPolicy: ['/apis/networking.k8s.io/v1', 'networkpolicies', true],
  Role: ['/apis/rbac.authorization.k8s.io/v1', 'roles', true],
  RoleBinding: ['/apis/rbac.authorization.k8s.io/v1', 'rolebindings', true],
  ClusterRole: ['/apis/rbac.authorization.k8s.io/v1', 'clusterroles', false],
  ClusterRoleBinding: ['/apis/rbac.authorization.k8s.io/v1', 'clusterrolebindings', false],
  MutatingWebhookConfiguration: ['/apis/admissionregistration.k8s.io/v1', 'mutatingwebhookconfigurations', false],
  ValidatingAdmissionPolicy: ['/apis/admissionregistration.k8s.io/v1', 'validatingadmissionpolicies', false],
  ValidatingAdmissionPolicyBinding: ['/apis/admissionregistration.k8s.io/v1', 'validatingadmissionpolicybindings', false],
  Certificate: ['/apis/cert-manager.io/v1', 'certificates', true],
  Issuer: ['/apis/cert-manager.io/v1', 'issuers', true],
  ServiceMonitor: ['/apis/monitoring.coreos.com/v1', 'servicemonitors', true],
};
function collectionPath(o: K8sObject, ns: string): string {
  const r = RESOURCES[o.kind];
  if (!r) throw new Error(`the test does not know where ${o.kind} lives`);
  return r[2] ? `${r[0]}/namespaces/${o.metadata.namespace ?? ns}/${r[1]}` : `${r[0]}/${r[1]}`;
}
const objectPath = (o: K8sObject, ns: string) => `${collectionPath(o, ns)}/${o.metadata.name}`;

/** The release's objects and hooks as helm recorded them (from `-o json` of install/upgrade/get). */
function releaseObjects(json: string): { manifest: K8sObject[]; hooks: K8sObject[]; notes: string } {
  const rel = JSON.parse(json);
  return {
    manifest: parseManifests(rel.manifest ?? ''),
    hooks: (rel.hooks ?? []).flatMap((h: any) => parseManifests(h.manifest)),
    notes: rel.info?.notes ?? '',
  };
}

describeWithKube('Helm chart on the real apiserver', () => {
  let cluster: KubeCluster;
  let home: string;
  let standin: SentryStandin | undefined;
  let app: TestApp | undefined;
  let webhookPort: number;
  let installValues: string;
  let installed: ReturnType<typeof releaseObjects>;
  const timings: Record<string, number> = {};

  const kube = (method: string, path: string, body?: unknown, contentType?: string) => cluster.request(method, path, body, contentType);
  const run = (args: string[], timeoutMs = 240_000): Promise<HelmResult> => helm(args, { home, kubeconfig: cluster.kubeconfigPath, timeoutMs });
  const namespace = (name: string, labels: Record<string, string> = {}) =>
    kube('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

  /** No kubelet runs here: a hook Job never finishes by itself, so the test marks it complete (as the Job controller would). */
  const completeJob = async (ns: string, name: string) => {
    let uid = '';
    await waitFor(
      async () => {
        const r = await kube('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
        uid = r.body?.metadata?.uid ?? '';
        return r.status === 200;
      },
      120_000,
      () => `hook Job ${ns}/${name} never appeared`,
      250,
    );
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const cond = (type: string) => ({
      type,
      status: 'True',
      lastProbeTime: now,
      lastTransitionTime: now,
      reason: 'CompletionsReached',
      message: 'marked complete by the test',
    });
    const r = await kube(
      'PATCH',
      `/apis/batch/v1/namespaces/${ns}/jobs/${name}/status`,
      {
        metadata: { uid },
        status: {
          startTime: now,
          completionTime: now,
          succeeded: 1,
          active: 0,
          ready: 0,
          terminating: 0,
          conditions: [cond('SuccessCriteriaMet'), cond('Complete')],
        },
      },
      'application/merge-patch+json',
    );
    if (r.status !== 200) throw new Error(`marking Job ${ns}/${name} complete failed: ${r.status} ${JSON.stringify(r.body)}`);
  };

  /** helm install/upgrade while completing its migration hook Job; returns what helm recorded. */
  const helmWithHook = async (args: string[], ns: string, job: string) => {
    const started = Date.now();
    const [res] = await Promise.all([run([...args, '-o', 'json', '--timeout', '3m']), completeJob(ns, job)]);
    timings[args[0]] = Date.now() - started;
    return releaseObjects(expectOk(res, `helm ${args[0]}`));
  };

  const saToken = async (ns: string, sa: string) => {
    const r = await kube('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    });
    if (r.status !== 201) throw new Error(`TokenRequest for ${ns}/${sa} failed: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.status.token as string;
  };
  /** A kubeconfig that authenticates with a ServiceAccount token. */
  const saKubeconfig = (dir: string, token: string) => {
    const file = join(dir, 'kubeconfig');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: sa',
        `clusters: [{name: c, cluster: {server: "${cluster.server}", certificate-authority-data: ${Buffer.from(cluster.caPem).toString('base64')}}}]`,
        `users: [{name: sa, user: {token: "${token}"}}]`,
        'contexts: [{name: sa, context: {cluster: c, user: sa}}]',
        '',
      ].join('\n'),
    );
    return file;
  };
  const as = (token: string) => (method: string, path: string, body?: unknown, contentType?: string) =>
    apiRequest(cluster.server, cluster.caPem, token, method, path, body, contentType);
  const secretBody = (name: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, labels },
    stringData: { SENTRY_DSN: 'https://k@example/1' },
  });

  beforeAll(async () => {
    await ensureHelm();
    home = mkdtempSync(join(tmpdir(), 'svc-sentry-chart-cluster-'));
    cluster = await startKubeCluster();
    for (const ns of [NS, 'dry', 'shop-stag', 'shop-prod', 'apps-a', 'apps-b', 'apps-c', 'scoped-system', 'bkapp-demo-stag', 'bkapp-demo-prod'])
      await namespace(ns);
    // Stand-ins for cert-manager's and the Prometheus Operator's CRDs, so those values can be dry-run (neither is installable offline).
    for (const [group, kind, plural] of [
      ['cert-manager.io', 'Certificate', 'certificates'],
      ['cert-manager.io', 'Issuer', 'issuers'],
      ['monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors'],
    ]) {
      const r = await kube('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `${plural}.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
          versions: [
            { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
          ],
        },
      });
      if (r.status !== 201) throw new Error(`stand-in CRD ${plural}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    await waitFor(
      async () =>
        (await kube('GET', '/apis/cert-manager.io/v1/namespaces/dry/certificates')).status === 200 &&
        (await kube('GET', '/apis/monitoring.coreos.com/v1/namespaces/dry/servicemonitors')).status === 200,
      30_000,
      () => 'stand-in CRDs never served',
    );
    webhookPort = await freePort();
    installValues = valuesFile(home, {
      database: { url: 'postgres://svc_sentry:secret@db.example.com:5432/svc_sentry' },
      upstream: { url: 'https://sentry.example.com', org: 'acme', token: 'sntryi_chart_test' },
      api: { tokens: ['chart-test-token-0123'] },
      webhook: { url: `https://127.0.0.1:${webhookPort}/mutate-pods` },
    });
  }, KUBE_START_TIMEOUT_MS + HELM_BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await standin?.close();
    await cluster?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
    console.log(`chart on the apiserver: ${JSON.stringify(timings)} ms`);
  });

  it.each(['(defaults)', ...ciValuesFiles()])('helm install --dry-run=server, then a server-side dry-run create of every manifest: %s', async (file) => {
    const rel = `dry-${file.replace(/[^a-z0-9]+/g, '').slice(0, 20) || 'defaults'}`;
    const args = ['install', rel, chartDir(), '-n', 'dry', '--dry-run=server', '-o', 'json'];
    if (file !== '(defaults)') args.push('-f', join(chartDir(), 'ci', file));
    const { manifest, hooks, notes } = releaseObjects(expectOk(await run(args), 'helm install --dry-run=server'));
    expect(manifest.length).toBeGreaterThan(5);
    if (file === '(defaults)') {
      // NOTES: how to reach it, and everything still unconfigured.
      expect(notes).toMatch(/port-forward svc\/dry-defaults-svc-sentry 8080:8080/);
      expect(notes).toMatch(/Still to configure:[\s\S]*database:[\s\S]*upstream:[\s\S]*REST API:[\s\S]*BlueKing[\s\S]*Open Service Broker/);
    }
    for (const o of [...hooks, ...manifest]) {
      const r = await kube('POST', `${collectionPath(o, 'dry')}?dryRun=All&fieldValidation=Strict`, o);
      expect([`${o.kind}/${o.metadata.name}`, r.status, r.status === 201 ? '' : JSON.stringify(r.body)]).toEqual([`${o.kind}/${o.metadata.name}`, 201, '']);
    }
  });

  it('helm install creates every object; the migration hook Job runs first and, once complete, is removed with its Secret', async () => {
    installed = await helmWithHook(['install', REL, chartDir(), '-n', NS, '-f', installValues], NS, `${FULL}-migrate`);
    expect(installed.notes).not.toMatch(/database:|upstream:|REST API:/);
    expect(installed.notes).toMatch(/BlueKing remote service: set bkpaas\.jwtClients/);
    expect(installed.notes).toMatch(new RegExp(`called at https://127\\.0\\.0\\.1:${webhookPort}/mutate-pods`));
    const kinds = new Set(installed.manifest.map((o) => o.kind));
    for (const k of [
      'Deployment',
      'Service',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
      'MutatingWebhookConfiguration',
      'ConfigMap',
      'Secret',
      'PodDisruptionBudget',
    ]) {
      expect([k, kinds.has(k)]).toEqual([k, true]);
    }
    for (const o of installed.manifest)
      expect([`${o.kind}/${o.metadata.name}`, (await kube('GET', objectPath(o, NS))).status]).toEqual([`${o.kind}/${o.metadata.name}`, 200]);
    expect(installed.hooks.map((h) => `${h.kind}/${h.metadata.name}`).sort()).toEqual([
      `Job/${FULL}-migrate`,
      `Pod/${FULL}-test-readyz`,
      `Secret/${FULL}-migrate`,
    ]);
    expect((await kube('GET', `/apis/batch/v1/namespaces/${NS}/jobs/${FULL}-migrate`)).status).toBe(404);
    expect((await kube('GET', `/api/v1/namespaces/${NS}/secrets/${FULL}-migrate`)).status).toBe(404);
    // kube-controller-manager made the ReplicaSet; the Deployment's Pods exist (no kubelet runs them).
    await waitFor(
      async () => ((await kube('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app.kubernetes.io%2Finstance%3D${REL}`)).body?.items ?? []).length >= 2,
      60_000,
      () => 'the Deployment never got its Pods',
    );
  });

  it('helm upgrade with the same values keeps the webhook CA and certificate, and the encryption key', async () => {
    const tlsBefore = (await kube('GET', `/api/v1/namespaces/${NS}/secrets/${FULL}-webhook-tls`)).body.data;
    const caBundleBefore = (await kube('GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${FULL}`)).body.webhooks[0].clientConfig
      .caBundle;
    const keyBefore = (await kube('GET', `/api/v1/namespaces/${NS}/secrets/${FULL}-secrets`)).body.data['encryption-key'];
    expect(b64(caBundleBefore)).toBe(b64(tlsBefore['ca.crt']));
    await helmWithHook(['upgrade', REL, chartDir(), '-n', NS, '-f', installValues], NS, `${FULL}-migrate`);
    const tlsAfter = (await kube('GET', `/api/v1/namespaces/${NS}/secrets/${FULL}-webhook-tls`)).body.data;
    expect(tlsAfter).toEqual(tlsBefore);
    expect((await kube('GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${FULL}`)).body.webhooks[0].clientConfig.caBundle).toBe(
      caBundleBefore,
    );
    expect((await kube('GET', `/api/v1/namespaces/${NS}/secrets/${FULL}-secrets`)).body.data['encryption-key']).toBe(keyBefore);
    const history = JSON.parse(expectOk(await run(['history', REL, '-n', NS, '-o', 'json']), 'helm history'));
    expect(history.map((h: any) => h.status)).toEqual(['superseded', 'deployed']);
  });

  it("svc-sentry with a token of the chart's ServiceAccount and the chart's webhook certificate: toggle → Secrets → Pods carry the references → off", async () => {
    const token = await saToken(NS, FULL);
    const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-chart-app-'));
    const kubeconfig = saKubeconfig(dir, token);
    const tls = (await kube('GET', `/api/v1/namespaces/${NS}/secrets/${FULL}-webhook-tls`)).body.data;
    writeFileSync(join(dir, 'tls.crt'), b64(tls['tls.crt']));
    writeFileSync(join(dir, 'tls.key'), b64(tls['tls.key']), { mode: 0o600 });
    standin = await startSentryStandin();
    app = await startTestApp(
      upstreamEnv(standin.url, {
        SVC_SENTRY_KUBECONFIG: `main=${kubeconfig}`,
        SVC_SENTRY_WEBHOOK_ENABLED: 'true',
        SVC_SENTRY_WEBHOOK_HOST: '127.0.0.1',
        WEBHOOK_PORT: String(webhookPort),
        SVC_SENTRY_WEBHOOK_CERT_FILE: join(dir, 'tls.crt'),
        SVC_SENTRY_WEBHOOK_KEY_FILE: join(dir, 'tls.key'),
        SVC_SENTRY_WEBHOOK_REFRESH_SECONDS: '1',
        SVC_SENTRY_RESYNC_INTERVAL: '0',
      }),
    );
    expect((await app.api('PUT', MON('shop'), { enabled: true, targets: { stag: { namespace: 'shop-stag' }, prod: { namespace: 'shop-prod' } } })).status).toBe(
      202,
    );
    const ready = await waitUntil(async () => {
      const s = (await app!.api('GET', MON('shop'))).body;
      return s?.environments && Object.values<any>(s.environments).every((e) => e.state === 'ready') ? s : null;
    }, 90_000);
    for (const env of ['stag', 'prod']) {
      const s = await kube('GET', `/api/v1/namespaces/shop-${env}/secrets/svc-sentry-default`);
      expect(s.status).toBe(200);
      expect(b64(s.body.data.SENTRY_DSN)).toBe(ready.environments[env].dsn);
    }
    // /readyz names the cluster reachable with the chart's token.
    const readyz = await fetch(`${app.url}/readyz`);
    expect([readyz.status, await readyz.text()]).toEqual([200, expect.stringMatching(/cluster:main/)]);
    // The apiserver calls the webhook at webhook.url with the chart's caBundle: wait until a dry-run Pod comes back mutated.
    const podLabels = { 'svc-sentry.io/app': 'shop', 'svc-sentry.io/module': 'default' };
    await waitUntil(async () => {
      const r = await kube('POST', '/api/v1/namespaces/shop-stag/pods?dryRun=All', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'probe-', labels: podLabels },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      });
      return r.body?.spec?.containers?.[0]?.env?.some((e: any) => e.name === 'SENTRY_DSN');
    }, 60_000);
    const pods = await podsOf(cluster, 'shop-stag', await deployment(cluster, 'shop-stag', 'web', { app: 'shop', module: 'default', version: '1.0.0' }));
    for (const pod of pods) {
      const env = envOf(pod, 'web');
      expect(env.SENTRY_DSN.valueFrom.secretKeyRef).toEqual({ name: 'svc-sentry-default', key: 'SENTRY_DSN', optional: true });
      expect(env.SENTRY_ENVIRONMENT.valueFrom.secretKeyRef.key).toBe('SENTRY_ENVIRONMENT');
      expect(env.SENTRY_RELEASE.valueFrom.fieldRef.fieldPath).toBe("metadata.labels['app.kubernetes.io/version']");
    }
    // A Pod in the release namespace is never sent to the webhook (namespaceSelector).
    const own = await kube('POST', `/api/v1/namespaces/${NS}/pods?dryRun=All`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'probe-', labels: podLabels },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    expect(own.body.spec.containers[0].env).toBeUndefined();

    await app.api('PUT', MON('shop'), { enabled: false });
    await waitUntil(async () => Object.values<any>((await app!.api('GET', MON('shop'))).body.environments).every((e) => e.state === 'disabled'), 90_000);
    expect((await kube('GET', '/api/v1/namespaces/shop-stag/secrets/svc-sentry-default')).status).toBe(404);
    expect((await kube('GET', '/api/v1/namespaces/shop-prod/secrets/svc-sentry-default')).status).toBe(404);
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('with that token, the policy refuses every write to a Secret without svc-sentry’s label, and any Secret write in system namespaces', async () => {
    const sa = as(await saToken(NS, FULL));
    const policyDenied = (r: { status: number; body: any }, what: RegExp) => {
      expect([r.status, r.body?.reason]).toEqual([403, 'Forbidden']);
      expect(r.body.message).toMatch(/ValidatingAdmissionPolicy/);
      expect(r.body.message).toMatch(what);
    };
    // create without the label
    policyDenied(await sa('POST', '/api/v1/namespaces/shop-stag/secrets', secretBody('plain')), /only write Secrets labelled/);
    // a foreign Secret: neither taken over (adding the label), changed, nor deleted
    expect((await kube('POST', '/api/v1/namespaces/shop-stag/secrets', secretBody('foreign'))).status).toBe(201);
    const merge = 'application/merge-patch+json';
    policyDenied(await sa('PATCH', '/api/v1/namespaces/shop-stag/secrets/foreign', { metadata: { labels: MANAGED } }, merge), /not labelled/);
    policyDenied(await sa('PATCH', '/api/v1/namespaces/shop-stag/secrets/foreign', { stringData: { SENTRY_DSN: 'https://x@evil/1' } }, merge), /labelled/);
    policyDenied(await sa('DELETE', '/api/v1/namespaces/shop-stag/secrets/foreign'), /not labelled/);
    const foreign = (await kube('GET', '/api/v1/namespaces/shop-stag/secrets/foreign')).body;
    expect([foreign.metadata.labels, b64(foreign.data.SENTRY_DSN)]).toEqual([undefined, 'https://k@example/1']);
    // server-side apply of a foreign Secret (the way svc-sentry writes) is refused too
    policyDenied(
      await sa(
        'PATCH',
        '/api/v1/namespaces/shop-stag/secrets/foreign?fieldManager=svc-sentry&force=true',
        JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'foreign', labels: MANAGED }, stringData: { SENTRY_DSN: 'x' } }),
        'application/apply-patch+yaml',
      ),
      /not labelled/,
    );
    // system namespaces and the release namespace: not even with the label
    for (const ns of ['kube-system', 'kube-public', NS]) {
      policyDenied(await sa('POST', `/api/v1/namespaces/${ns}/secrets`, secretBody('labelled', MANAGED)), new RegExp(`namespace ${ns}`));
    }
    // its own Secrets: create, change, delete work; dropping the label does not
    expect((await sa('POST', '/api/v1/namespaces/shop-stag/secrets', secretBody('mine', MANAGED))).status).toBe(201);
    expect((await sa('PATCH', '/api/v1/namespaces/shop-stag/secrets/mine', { stringData: { SENTRY_DSN: 'https://y@example/2' } }, merge)).status).toBe(200);
    policyDenied(
      await sa('PATCH', '/api/v1/namespaces/shop-stag/secrets/mine', { metadata: { labels: { 'app.kubernetes.io/managed-by': null } } }, merge),
      /only write/,
    );
    expect((await sa('DELETE', '/api/v1/namespaces/shop-stag/secrets/mine')).status).toBe(200);
  });

  it('with that token, nothing but Secrets can be touched (rollout off: no Deployments either)', async () => {
    const sa = as(await saToken(NS, FULL));
    const rbacDenied = async (method: string, path: string, body?: unknown, contentType?: string) => {
      const r = await sa(method, path, body, contentType);
      expect([method, path, r.status, r.body?.reason]).toEqual([method, path, 403, 'Forbidden']);
      expect(r.body.message).toMatch(/cannot/);
    };
    await rbacDenied('POST', '/api/v1/namespaces/shop-stag/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    await rbacDenied('GET', '/apis/apps/v1/namespaces/shop-stag/deployments');
    await rbacDenied('PATCH', '/apis/apps/v1/namespaces/shop-stag/deployments/web', { metadata: { annotations: { a: 'b' } } }, 'application/merge-patch+json');
    await rbacDenied('POST', '/api/v1/namespaces/shop-stag/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x' },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    });
    await rbacDenied('GET', '/api/v1/namespaces/shop-stag/pods');
    await rbacDenied('GET', '/api/v1/namespaces');
    await rbacDenied('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
    await rbacDenied('PUT', '/api/v1/namespaces/shop-stag/secrets/foreign', secretBody('foreign', MANAGED));
    await rbacDenied('DELETE', '/api/v1/namespaces/shop-stag/secrets');
    await rbacDenied('GET', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations');
    await rbacDenied('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${FULL}-secrets`);
    await rbacDenied('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles');
    // What it does get, by design (the resync sweep lists Secrets everywhere in the default mode):
    expect((await sa('GET', '/api/v1/secrets?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dsvc-sentry')).status).toBe(200);
    expect((await sa('GET', '/api/v1/namespaces/shop-stag/secrets/foreign')).status).toBe(200);
  });

  it('rbac.namespaces: Secrets only through Roles there; a Secret elsewhere can be neither read nor listed; rollout adds Deployments; svc-sentry works there', async () => {
    const values = valuesFile(home, {
      rbac: { namespaces: ['apps-a', 'apps-c'] },
      config: { rollout: true },
      webhook: { enabled: false },
      migration: { enabled: false },
    });
    const res = releaseObjects(
      expectOk(await run(['install', 'scoped', chartDir(), '-n', 'scoped-system', '-f', values, '-o', 'json']), 'helm install scoped'),
    );
    expect(res.manifest.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toEqual([]);
    expect(res.manifest.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace)).toEqual(['apps-a', 'apps-c']);
    expect((await kube('POST', '/api/v1/namespaces/apps-b/secrets', secretBody('elsewhere', MANAGED))).status).toBe(201);
    const sa = as(await saToken('scoped-system', 'scoped-svc-sentry'));
    expect((await sa('GET', '/api/v1/namespaces/apps-a/secrets')).status).toBe(200);
    expect((await sa('POST', '/api/v1/namespaces/apps-a/secrets', secretBody('mine', MANAGED))).status).toBe(201);
    expect((await sa('GET', '/apis/apps/v1/namespaces/apps-a/deployments')).status).toBe(200);
    for (const path of [
      '/api/v1/namespaces/apps-b/secrets/elsewhere',
      '/api/v1/namespaces/apps-b/secrets',
      '/api/v1/secrets',
      '/apis/apps/v1/namespaces/apps-b/deployments',
    ]) {
      const r = await sa('GET', path);
      expect([path, r.status, r.body?.reason]).toEqual([path, 403, 'Forbidden']);
    }
    expect((await sa('DELETE', '/api/v1/namespaces/apps-a/secrets/mine')).status).toBe(200);

    // svc-sentry itself works in this mode: the resync sweep cannot list Secrets cluster-wide, so it reads each one.
    const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-chart-scoped-'));
    const kubeconfig = saKubeconfig(dir, await saToken('scoped-system', 'scoped-svc-sentry'));
    standin ??= await startSentryStandin();
    const scoped = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_KUBECONFIG: `main=${kubeconfig}`, SVC_SENTRY_RESYNC_INTERVAL: '0' }));
    try {
      await scoped.api('PUT', MON('inv'), { enabled: true, targets: { stag: { namespace: 'apps-a' }, prod: { namespace: 'apps-c' } } });
      await waitUntil(async () => Object.values<any>((await scoped.api('GET', MON('inv'))).body.environments).every((e) => e.state === 'ready'), 90_000);
      expect((await kube('DELETE', '/api/v1/namespaces/apps-a/secrets/svc-sentry-default')).status).toBe(200);
      await scoped.app.get(ReconcileWorker).resync();
      await waitUntil(async () => (await kube('GET', '/api/v1/namespaces/apps-a/secrets/svc-sentry-default')).status === 200, 60_000);
      await scoped.api('PUT', MON('inv'), { enabled: false });
      await waitUntil(async () => Object.values<any>((await scoped.api('GET', MON('inv'))).body.environments).every((e) => e.state === 'disabled'), 90_000);
      expect((await kube('GET', '/api/v1/namespaces/apps-c/secrets/svc-sentry-default')).status).toBe(404);
    } finally {
      await scoped.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expectOk(await run(['uninstall', 'scoped', '-n', 'scoped-system', '--wait']), 'helm uninstall scoped');
    expect((await kube('GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/apps-a/roles/scoped-svc-sentry')).status).toBe(404);
  }, 300_000);

  it('helm test runs a Pod that calls /readyz (the test marks it Succeeded: no kubelet here)', async () => {
    const pod = `${FULL}-test-readyz`;
    const marker = (async () => {
      await waitFor(
        async () => (await kube('GET', `/api/v1/namespaces/${NS}/pods/${pod}`)).status === 200,
        60_000,
        () => 'the test Pod never appeared',
      );
      const p = (await kube('GET', `/api/v1/namespaces/${NS}/pods/${pod}`)).body;
      expect(p.spec.containers[0].command.join(' ')).toBe(`wget -q -O- http://${FULL}.${NS}.svc:8080/readyz`);
      const r = await kube('PATCH', `/api/v1/namespaces/${NS}/pods/${pod}/status`, { status: { phase: 'Succeeded' } }, 'application/merge-patch+json');
      if (r.status !== 200) throw new Error(`marking the test Pod Succeeded failed: ${r.status} ${JSON.stringify(r.body)}`);
    })();
    const [res] = await Promise.all([run(['test', REL, '-n', NS, '--timeout', '2m']), marker]);
    expect(expectOk(res, 'helm test')).toMatch(new RegExp(`TEST SUITE:\\s+${pod}[\\s\\S]*Phase:\\s+Succeeded`));
    // hook-succeeded: the test Pod is removed afterwards
    await waitFor(
      async () => (await kube('GET', `/api/v1/namespaces/${NS}/pods/${pod}`)).status === 404,
      30_000,
      () => 'the test Pod was not removed',
    );
  });

  it('helm uninstall removes everything it created, hook Jobs included', async () => {
    await app?.close();
    app = undefined;
    const started = Date.now();
    expectOk(await run(['uninstall', REL, '-n', NS, '--wait']), 'helm uninstall');
    timings.uninstall = Date.now() - started;
    for (const o of [...installed.manifest, ...installed.hooks]) {
      await waitFor(
        async () => (await kube('GET', objectPath(o, NS))).status === 404,
        60_000,
        () => `${o.kind}/${o.metadata.name} still exists after uninstall`,
      );
    }
    const sel = `labelSelector=app.kubernetes.io%2Finstance%3D${REL}`;
    for (const path of [
      `/apis/batch/v1/namespaces/${NS}/jobs?${sel}`,
      `/api/v1/namespaces/${NS}/secrets?${sel}`,
      `/api/v1/namespaces/${NS}/configmaps?${sel}`,
    ]) {
      expect([path, (await kube('GET', path)).body.items]).toEqual([path, []]);
    }
    expect((await kube('GET', `/api/v1/namespaces/${NS}/secrets`)).body.items.map((s: any) => s.metadata.name)).toEqual([]);
  });
});
