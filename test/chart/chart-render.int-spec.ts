import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { KUBE_VERSION } from '../harness/kube';
import { loadConfig } from '../../src/config/load-config';
import { chartDir, describeWithHelm, ensureHelm, helm, HELM_BUILD_TIMEOUT_MS } from '../harness/helm';
import { b64, ciValuesFiles, expectOk, find, K8sObject, one, sans, template, tmpHome, valuesFile } from './chart-helpers';

/**
 * The chart without a cluster: helm lint and helm template for the defaults and every ci/*.yaml, what each renders,
 * the schema refusing bad values, and the README's parameter table in sync with the @param comments.
 */
describeWithHelm('Helm chart: lint, template, schema, README', () => {
  const home = tmpHome('chart-render');
  const ci = (f: string) => join(chartDir(), 'ci', f);
  const env = (d: K8sObject, name: string) => d.spec.template.spec.containers[0].env.find((e: any) => e.name === name);
  const container = (d: K8sObject) => d.spec.template.spec.containers[0];

  beforeAll(async () => {
    await ensureHelm();
  }, HELM_BUILD_TIMEOUT_MS);
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('helm reports the version it was built as', async () => {
    const r = await helm(['version', '--short'], { home });
    expect(expectOk(r, 'helm version')).toMatch(/^v3\.22\.0/);
  });

  it.each(['(defaults)', ...ciValuesFiles()])('helm lint --strict passes: %s', async (file) => {
    const args = ['lint', '--strict', chartDir(), '--kube-version', KUBE_VERSION];
    if (file !== '(defaults)') args.push('-f', ci(file));
    const r = await helm(args, { home });
    expect(r.stderr + r.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(r.code).toBe(0);
  });

  it.each(ciValuesFiles())('helm template renders well-formed, namespaced, labelled objects: %s', async (file) => {
    const objs = await template(home, [ci(file)]);
    expect(objs.length).toBeGreaterThan(5);
    const cluster = new Set([
      'ClusterRole',
      'ClusterRoleBinding',
      'MutatingWebhookConfiguration',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ]);
    for (const o of objs) {
      expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      if (!cluster.has(o.kind) && o.kind !== 'Role' && o.kind !== 'RoleBinding') expect(o.metadata.namespace).toBe('svc-sentry');
      expect(o.metadata.labels?.['app.kubernetes.io/instance']).toBe('sentry');
    }
    const names = objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  it('defaults: 2 replicas of role all, hardened Pod, probes, PDB, spread; webhook and policy as the issue asks', async () => {
    const objs = await template(home);
    const d = one(objs, 'Deployment', 'sentry-svc-sentry');
    expect(d.spec.replicas).toBe(2);
    expect(env(d, 'SVC_SENTRY_ROLE').value).toBe('all');
    expect(container(d).image).toBe(`svc-sentry:${parseYaml(readFileSync(join(chartDir(), 'Chart.yaml'), 'utf8')).appVersion}`);
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(d).securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container(d).livenessProbe.httpGet.path).toBe('/healthz');
    expect(container(d).readinessProbe.httpGet.path).toBe('/readyz');
    expect(container(d).volumeMounts.map((m: any) => m.mountPath)).toContain('/tmp');
    expect(pod.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    expect(one(objs, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    // No database configured: no migration Job (it could only fail), and NOTES say what is missing.
    expect(find(objs, 'Job')).toHaveLength(0);

    const hook = one(objs, 'MutatingWebhookConfiguration').webhooks[0];
    expect(hook).toMatchObject({ failurePolicy: 'Ignore', sideEffects: 'None', reinvocationPolicy: 'IfNeeded', admissionReviewVersions: ['v1'] });
    expect(hook.timeoutSeconds).toBeLessThanOrEqual(5);
    expect(hook.rules).toEqual([{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }]);
    expect(hook.namespaceSelector.matchExpressions[0]).toEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'NotIn',
      values: ['kube-system', 'kube-public', 'kube-node-lease', 'svc-sentry'],
    });
    expect(hook.objectSelector.matchExpressions[0]).toEqual({ key: 'svc-sentry.io/inject', operator: 'NotIn', values: ['false'] });
    expect(hook.clientConfig.service).toEqual({ name: 'sentry-svc-sentry-webhook', namespace: 'svc-sentry', path: '/mutate-pods', port: 443 });

    // RBAC: Secrets get/list/create/patch/delete cluster-wide, nothing else (no Deployments without rollout).
    expect(one(objs, 'ClusterRole').rules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'patch', 'delete'] }]);
    expect(find(objs, 'Role')).toHaveLength(0);
    const vap = one(objs, 'ValidatingAdmissionPolicy');
    expect(vap.spec.matchConditions[0].expression).toBe("request.userInfo.username == 'system:serviceaccount:svc-sentry:sentry-svc-sentry'");
    expect(vap.spec.validations.every((v: any) => v.reason === 'Forbidden')).toBe(true);
    expect(one(objs, 'ValidatingAdmissionPolicyBinding').spec).toEqual({ policyName: vap.metadata.name, validationActions: ['Deny'] });
  });

  it('the generated CA signs a serving certificate for the Service names; webhook.url puts its host in the SANs (an IP as IP SAN)', async () => {
    const check = async (url: string | undefined, expected: string[]) => {
      const objs = await template(home, url ? [{ webhook: { url } }] : []);
      const tls = one(objs, 'Secret', 'sentry-svc-sentry-webhook-tls');
      const [ca, crt] = [b64(tls.data['ca.crt']), b64(tls.data['tls.crt'])];
      expect(new X509Certificate(crt).verify(new X509Certificate(ca).publicKey)).toBe(true);
      expect(new X509Certificate(crt).checkPrivateKey(createPrivateKey(b64(tls.data['tls.key'])))).toBe(true);
      expect(sans(crt)).toEqual(expect.arrayContaining(['DNS:sentry-svc-sentry-webhook.svc-sentry.svc', ...expected]));
      const hook = one(objs, 'MutatingWebhookConfiguration').webhooks[0];
      expect(b64(hook.clientConfig.caBundle)).toBe(ca);
      return hook;
    };
    await check(undefined, []);
    expect((await check('https://127.0.0.1:9443/mutate-pods', ['IP Address:127.0.0.1'])).clientConfig).toMatchObject({
      url: 'https://127.0.0.1:9443/mutate-pods',
    });
    await check('https://webhook.dev.example:8443/mutate-pods', ['DNS:webhook.dev.example']);
  });

  it('cert-manager TLS: an Issuer and a Certificate, the CA injected by annotation, no chart-made key', async () => {
    const objs = await template(home, [ci('cert-manager-values.yaml')]);
    const cert = one(objs, 'Certificate');
    expect(cert.spec.secretName).toBe('sentry-svc-sentry-webhook-tls');
    expect(cert.spec.dnsNames).toContain('sentry-svc-sentry-webhook.svc-sentry.svc');
    expect(cert.spec.issuerRef).toEqual({ name: 'sentry-svc-sentry-selfsigned', kind: 'Issuer', group: 'cert-manager.io' });
    expect(one(objs, 'Issuer').spec).toEqual({ selfSigned: {} });
    const mwc = one(objs, 'MutatingWebhookConfiguration');
    expect(mwc.metadata.annotations).toEqual({ 'cert-manager.io/inject-ca-from': 'svc-sentry/sentry-svc-sentry-webhook' });
    expect(mwc.webhooks[0].clientConfig.caBundle).toBeUndefined();
    expect(find(objs, 'Secret', 'sentry-svc-sentry-webhook-tls')).toHaveLength(0);
    const own = await template(home, [
      ci('cert-manager-values.yaml'),
      { webhook: { tls: { certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } } } } },
    ]);
    expect(find(own, 'Issuer')).toHaveLength(0);
    expect(one(own, 'Certificate').spec.issuerRef).toEqual({ name: 'corp-ca', kind: 'ClusterIssuer' });
  });

  it('existing secrets: every credential is referenced from them; the chart Secret holds none of them', async () => {
    const objs = await template(home, [ci('existing-secrets-values.yaml')]);
    const d = one(objs, 'Deployment');
    for (const [name, key] of [
      ['DATABASE_URL', 'database-url'],
      ['SVC_SENTRY_ENCRYPTION_KEY', 'encryption-key'],
      ['SVC_SENTRY_UPSTREAM_TOKEN', 'upstream-token'],
      ['SVC_SENTRY_API_TOKENS', 'api-tokens'],
      ['SVC_SENTRY_BKPAAS_JWT_CLIENTS', 'bkpaas-jwt-clients'],
      ['SVC_SENTRY_OSB_PASSWORD', 'osb-password'],
    ]) {
      expect([name, env(d, name)?.valueFrom?.secretKeyRef]).toEqual([name, { name: 'svc-sentry-platform', key }]);
    }
    expect(one(objs, 'Secret', 'sentry-svc-sentry-secrets').data ?? {}).toEqual({});
    expect(find(objs, 'Secret', 'sentry-svc-sentry-webhook-tls')).toHaveLength(0);
    expect(d.spec.template.spec.volumes.find((v: any) => v.name === 'webhook-tls').secret.secretName).toBe('svc-sentry-webhook-tls');
    expect(one(objs, 'MutatingWebhookConfiguration').webhooks[0].clientConfig.caBundle).toBe('LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==');
    // The migration Job reads the existing Secret directly, so no hook Secret is made.
    expect(one(objs, 'Job').spec.template.spec.containers[0].env).toEqual([
      { name: 'SVC_SENTRY_ROLE', value: 'migrate' },
      { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'svc-sentry-platform', key: 'database-url' } } },
    ]);
    expect(find(objs, 'Secret', 'sentry-svc-sentry-migrate')).toHaveLength(0);
  });

  it('split: api and worker Deployments (the worker serves no webhook), Services select api, a PDB each', async () => {
    const objs = await template(home, [ci('split-values.yaml')]);
    const api = one(objs, 'Deployment', 'sentry-svc-sentry-api');
    const worker = one(objs, 'Deployment', 'sentry-svc-sentry-worker');
    expect([api.spec.replicas, worker.spec.replicas]).toEqual([2, 3]);
    expect([env(api, 'SVC_SENTRY_ROLE').value, env(worker, 'SVC_SENTRY_ROLE').value]).toEqual(['api', 'worker']);
    expect([env(api, 'SVC_SENTRY_WEBHOOK_ENABLED').value, env(worker, 'SVC_SENTRY_WEBHOOK_ENABLED').value]).toEqual(['true', 'false']);
    for (const s of find(objs, 'Service')) expect(s.spec.selector['app.kubernetes.io/component']).toBe('api');
    expect(
      find(objs, 'PodDisruptionBudget')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['sentry-svc-sentry-api', 'sentry-svc-sentry-worker']);
  });

  it('migration Job: pre-install/pre-upgrade hook running the migrate role; its URL from a hook Secret made just before it', async () => {
    const objs = await template(home, [ci('split-values.yaml')]);
    const job = one(objs, 'Job', 'sentry-svc-sentry-migrate');
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const c = job.spec.template.spec.containers[0];
    expect(c.env[0]).toEqual({ name: 'SVC_SENTRY_ROLE', value: 'migrate' });
    expect(c.env[1].valueFrom.secretKeyRef).toEqual({ name: 'sentry-svc-sentry-migrate', key: 'database-url' });
    const hs = one(objs, 'Secret', 'sentry-svc-sentry-migrate');
    expect(Number(hs.metadata.annotations!['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations!['helm.sh/hook-weight']));
    expect(b64(hs.data['database-url'])).toBe('postgres://svc_sentry:secret@db.example.com:5432/svc_sentry');
  });

  it('3 replicas with rollout: PDB, Deployments list/patch granted, NetworkPolicy, ServiceMonitor', async () => {
    const objs = await template(home, [ci('replicas-3-values.yaml')]);
    expect(one(objs, 'Deployment').spec.replicas).toBe(3);
    expect(one(objs, 'PodDisruptionBudget')).toBeDefined();
    expect(one(objs, 'ClusterRole').rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'patch', 'delete'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'patch'] },
    ]);
    expect(parseYaml(one(objs, 'ConfigMap').data['config.yaml']).kubernetes.rollout).toBe(true);
    expect(one(objs, 'NetworkPolicy').spec.ingress.map((i: any) => i.ports[0].port)).toEqual(['http', 'webhook']);
    const sm = one(objs, 'ServiceMonitor');
    expect([sm.metadata.labels!.release, sm.spec.endpoints]).toEqual(['prometheus', [{ port: 'http', path: '/metrics', interval: '30s' }]]);
    const one1 = await template(home, [{ replicaCount: 1 }]);
    expect(find(one1, 'PodDisruptionBudget')).toHaveLength(0);
  });

  it('bkpaas preset: BlueKing label keys and namespace template; Roles only in the listed namespaces; evaluation PostgreSQL', async () => {
    const objs = await template(home, [ci('bkpaas-values.yaml')]);
    const cfg = parseYaml(one(objs, 'ConfigMap').data['config.yaml']);
    expect(cfg.kubernetes).toMatchObject({ namespaceTemplate: 'bkapp-{app}-{env}', labelPreset: 'bkpaas', inCluster: true });
    expect(cfg.bkpaas).toEqual({ developerEmailDomain: 'example.com' });
    expect(find(objs, 'ClusterRole')).toHaveLength(0);
    expect(find(objs, 'Role').map((r) => r.metadata.namespace)).toEqual(['bkapp-demo-stag', 'bkapp-demo-prod']);
    expect(find(objs, 'RoleBinding').map((r) => r.metadata.namespace)).toEqual(['bkapp-demo-stag', 'bkapp-demo-prod']);
    expect(one(objs, 'StatefulSet').spec.template.spec.containers[0].image).toMatch(/^postgres:/);
    const secret = one(objs, 'Secret', 'sentry-svc-sentry-secrets');
    expect(b64(secret.data['database-url'])).toBe(
      `postgres://svc_sentry:${b64(secret.data['postgres-password'])}@sentry-svc-sentry-postgresql:5432/svc_sentry`,
    );
    // PostgreSQL is a release object, so the first migration runs after install.
    expect(one(objs, 'Job').metadata.annotations!['helm.sh/hook']).toBe('post-install,pre-upgrade');
  });

  it('image: registry, tag and digest', async () => {
    const img = async (image: Record<string, unknown>) => container(one(await template(home, [{ image }]), 'Deployment')).image;
    expect(await img({ registry: 'registry.example.com/platform', tag: '1.2.3' })).toBe('registry.example.com/platform/svc-sentry:1.2.3');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(await img({ repository: 'team/svc-sentry', digest })).toBe(`team/svc-sentry@${digest}`);
  });

  it.each(ciValuesFiles())("svc-sentry's own config loader accepts what each Deployment gets (ConfigMap file + env): %s", async (file) => {
    const objs = await template(home, [ci(file)]);
    const configFile = join(home, `config-${file}`);
    writeFileSync(configFile, one(objs, 'ConfigMap').data['config.yaml']);
    // What the Secrets would hold, by key.
    const secretValues: Record<string, string> = {
      'database-url': 'postgres://svc_sentry:secret@db.example.com:5432/svc_sentry',
      'encryption-key': 'ab'.repeat(32),
      'upstream-token': 'sntryi_example',
      'api-tokens': 'token-0123456789',
      'bkpaas-jwt-clients': 'bk_paas3:a-long-shared-key',
      'osb-password': 'password-0123',
    };
    for (const d of find(objs, 'Deployment')) {
      const env: Record<string, string> = {};
      for (const e of container(d).env) {
        env[e.name] = e.value ?? secretValues[e.valueFrom.secretKeyRef.key];
        expect([e.name, env[e.name]]).not.toEqual([e.name, undefined]);
      }
      expect(env.SVC_SENTRY_CONFIG).toBe('/etc/svc-sentry/config/config.yaml');
      const config = loadConfig({ ...env, SVC_SENTRY_CONFIG: configFile });
      expect(config.role).toBe(env.SVC_SENTRY_ROLE);
      expect(config.kubernetes).toMatchObject({ inCluster: true, defaultCluster: 'in-cluster' });
      expect(config.kubernetes.namespaceTemplate).toBe(file.startsWith('bkpaas') ? 'bkapp-{app}-{env}' : '{app}-{env}');
    }
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['unknown top-level key', { replicas: 3 }, /additional properties 'replicas' not allowed|replicas.*not allowed/i],
    ['unknown key in webhook', { webhook: { failurPolicy: 'Ignore' } }, /webhook[\s\S]*'failurPolicy'/],
    ['unknown key in rbac', { rbac: { clusterWide: true } }, /rbac[\s\S]*'clusterWide'/],
    ['unknown key in image', { image: { name: 'x' } }, /image[\s\S]*'name'/],
    ['unknown key in database', { database: { host: 'db' } }, /database[\s\S]*'host'/],
    ['replicaCount as a string', { replicaCount: 'two' }, /replicaCount[\s\S]*(integer|number)/],
    ['webhook.enabled as a string', { webhook: { enabled: 'yes' } }, /webhook[\s\S]*enabled[\s\S]*boolean/],
    ['webhook timeout above 5 s', { webhook: { timeoutSeconds: 10 } }, /timeoutSeconds[\s\S]*(maximum|<=|5)/],
    ['failurePolicy not Ignore/Fail', { webhook: { failurePolicy: 'Sometimes' } }, /failurePolicy[\s\S]*(Ignore|enum|one of)/],
    ['rbac.namespaces not a list', { rbac: { namespaces: 'apps' } }, /namespaces[\s\S]*array/],
    ['encryption key not 64 hex', { encryptionKey: { value: 'short' } }, /encryptionKey[\s\S]*value/],
    ['unknown preset', { preset: 'openshift' }, /preset/],
    ['api tokens shorter than 8', { api: { tokens: ['abc'] } }, /api[\s\S]*tokens/],
  ];
  it.each(bad)('values.schema.json refuses %s with a message naming it', async (_what, values, message) => {
    const r = await helm(['template', 'sentry', chartDir(), '--kube-version', KUBE_VERSION, '-f', valuesFile(home, values)], { home });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(r.stderr).toMatch(message);
  });

  it("the chart README's parameter table is what readme-generator makes from the @param comments", () => {
    const copy = join(home, 'README.md');
    copyFileSync(join(chartDir(), 'README.md'), copy);
    execFileSync(process.execPath, [require.resolve('@bitnami/readme-generator-for-helm/bin/index.js'), '-v', join(chartDir(), 'values.yaml'), '-r', copy], {
      stdio: 'pipe',
    });
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(join(chartDir(), 'README.md'), 'utf8'));
    expect(readFileSync(copy, 'utf8')).toMatch(/\| `webhook\.url` /);
  });
});
