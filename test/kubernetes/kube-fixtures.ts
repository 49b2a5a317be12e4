import { register } from 'prom-client';
import { KubeCluster, waitFor } from '../harness/kube';

/** Fixtures for the webhook suites: register the webhook, make Deployments, read the Pods they produce. */

const decisionsTotal = async () => (await register.getSingleMetric('svc_sentry_webhook_decisions_total')?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;

/**
 * Registers svc-sentry's MutatingWebhookConfiguration the way a test must (url + caBundle instead of a Service),
 * with failurePolicy Ignore, sideEffects None, and kube-system excluded; waits until the apiserver calls it.
 */
export async function registerWebhook(cluster: KubeCluster, port: number, name = 'svc-sentry'): Promise<void> {
  const body = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [
      {
        name: 'pods.svc-sentry.io',
        clientConfig: { url: `https://127.0.0.1:${port}/mutate-pods`, caBundle: Buffer.from(cluster.caPem).toString('base64') },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }],
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 5,
        matchPolicy: 'Equivalent',
        reinvocationPolicy: 'IfNeeded',
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease'] }],
        },
        objectSelector: { matchExpressions: [{ key: 'svc-sentry.io/inject', operator: 'NotIn', values: ['false'] }] },
      },
    ],
  };
  const r = await cluster.request('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', body);
  if (r.status !== 201) throw new Error(`registering the webhook failed: ${r.status} ${JSON.stringify(r.body)}`);
  // The apiserver picks configurations up asynchronously: probe with dry-run Pods until our server sees one.
  const before = await decisionsTotal();
  await waitFor(
    async () => {
      await cluster.request('POST', '/api/v1/namespaces/default/pods?dryRun=All', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'probe-' },
        spec: { containers: [{ name: 'c', image: 'x' }] },
      });
      return (await decisionsTotal()) > before;
    },
    30_000,
    () => 'the apiserver never called the webhook',
    300,
  );
}

export interface DeploymentSpec {
  app: string;
  module: string;
  version?: string;
  ownDsnSidecar?: boolean;
  replicas?: number;
}

/** Creates a Deployment whose pod template carries the app/module labels; returns its name. */
export async function deployment(cluster: KubeCluster, namespace: string, name: string, d: DeploymentSpec): Promise<string> {
  const labels: Record<string, string> = { run: name, 'svc-sentry.io/app': d.app, 'svc-sentry.io/module': d.module };
  if (d.version) labels['app.kubernetes.io/version'] = d.version;
  const containers: unknown[] = [{ name: 'web', image: 'registry.example/web:1' }];
  if (d.ownDsnSidecar) {
    containers.push({ name: 'sidecar', image: 'registry.example/side:1', env: [{ name: 'SENTRY_DSN', value: 'https://own@elsewhere/1' }] });
  }
  const body = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { 'svc-sentry.io/app': d.app, 'svc-sentry.io/module': d.module } },
    spec: { replicas: d.replicas ?? 2, selector: { matchLabels: { run: name } }, template: { metadata: { labels }, spec: { containers } } },
  };
  const r = await cluster.request('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, body);
  if (r.status !== 201) throw new Error(`creating Deployment ${namespace}/${name} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return name;
}

/** Waits until kube-controller-manager has created all Pods of the Deployment; returns them as stored. */
export async function podsOf(cluster: KubeCluster, namespace: string, name: string, replicas = 2): Promise<any[]> {
  let items: any[] = [];
  await waitFor(
    async () => {
      const r = await cluster.request('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=run%3D${name}`);
      items = r.body?.items ?? [];
      return items.length >= replicas;
    },
    60_000,
    () => `Deployment ${namespace}/${name} has ${items.length}/${replicas} Pods after 60 s`,
    250,
  );
  return items;
}

/** The env of one container keyed by variable name. */
export function envOf(pod: any, container: string): Record<string, any> {
  const c = pod.spec.containers.find((x: any) => x.name === container);
  if (!c) throw new Error(`no container ${container} in ${pod.metadata?.name}`);
  return Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e]));
}

/**
 * Waits until the webhook's view of enabled app modules has caught up: a server-side dry-run create of a Pod with the
 * module's labels comes back with (`injected: true`) or without (`false`) the SENTRY_DSN reference. Nothing is stored.
 */
export async function waitForWebhookView(cluster: KubeCluster, namespace: string, app: string, module: string, injected: boolean): Promise<void> {
  let last = 'no answer yet';
  await waitFor(
    async () => {
      const r = await cluster.request('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: 'view-probe-', labels: { 'svc-sentry.io/app': app, 'svc-sentry.io/module': module } },
        spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
      });
      if (r.status !== 201) {
        last = `dry-run Pod create answered ${r.status}`;
        return false;
      }
      const has = envOf(r.body, 'web').SENTRY_DSN !== undefined;
      last = `SENTRY_DSN ${has ? 'injected' : 'not injected'}`;
      return has === injected;
    },
    30_000,
    () => `the webhook's view of ${namespace} ${app}/${module} did not catch up in 30 s (${last})`,
    200,
  );
}
