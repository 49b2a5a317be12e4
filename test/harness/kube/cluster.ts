import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, ensureKubeBinaries, KUBE_VERSION } from './binaries';
import { createCa, createServiceAccountKeys, issueServingCert, ServingCert, TestCa } from './pki';
import { freePort, ManagedProcess, waitFor } from './process';

/**
 * A real control plane on 127.0.0.1 for the suites: kine (the etcd API over its pure-Go in-memory backend), kube-apiserver with
 * openssl-made certificates and a static admin token, and kube-controller-manager (so Deployments get ReplicaSets
 * and Pods). Everything lives in a temp dir removed by stop().
 */
export interface KubeCluster {
  version: string;
  dir: string;
  server: string;
  caPem: string;
  ca: TestCa;
  token: string;
  kubeconfigPath: string;
  /** Issues a serving certificate from the cluster CA (e.g. for a webhook server the apiserver must trust). */
  issueServingCert(name: string, hosts?: string[]): ServingCert;
  /** Raw authenticated request to the apiserver as the admin. */
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  /** Stops only kube-apiserver (an outage); data in kine survives. */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again on the same port and waits until it is ready. */
  startApiserver(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Run kube-controller-manager too (default true). */
  controllerManager?: boolean;
  log?: (s: string) => void;
}

export async function startKubeCluster(opts: StartOptions = {}): Promise<KubeCluster> {
  const log = opts.log ?? (() => undefined);
  await ensureKubeBinaries(KUBE_VERSION, log);
  const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-kube-'));
  const started = Date.now();
  const ca = createCa(dir);
  const serving = issueServingCert(ca, dir, 'apiserver', ['127.0.0.1', 'localhost', 'kubernetes.default.svc']);
  const sa = createServiceAccountKeys(dir);
  const token = `admin-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${token},admin,admin-uid,"system:masters"\n`);
  const [kinePort, apiPort] = [await freePort(), await freePort()];
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfigYaml(server, ca.pem, token));

  const kine = new ManagedProcess(
    'kine',
    binPath('kine'),
    [
      '--endpoint=memory://',
      `--listen-address=127.0.0.1:${kinePort}`,
      // Its metrics server would bind :8080 on every interface (and collide with a second cluster): off.
      '--metrics-bind-address=0',
    ],
    join(dir, 'kine.log'),
  );
  const apiserver = new ManagedProcess(
    'kube-apiserver',
    binPath('kube-apiserver'),
    [
      `--etcd-servers=http://127.0.0.1:${kinePort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      '--endpoint-reconciler-type=none',
      `--tls-cert-file=${serving.certFile}`,
      `--tls-private-key-file=${serving.keyFile}`,
      `--client-ca-file=${ca.certFile}`,
      `--cert-dir=${dir}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${sa.pubFile}`,
      `--service-account-signing-key-file=${sa.keyFile}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=RBAC',
      `--token-auth-file=${tokenFile}`,
      '--allow-privileged=true',
      // Pods are created before the controller manager has made each namespace's default ServiceAccount.
      '--disable-admission-plugins=ServiceAccount',
      '--storage-media-type=application/json',
    ],
    join(dir, 'kube-apiserver.log'),
  );
  const kcm = new ManagedProcess(
    'kube-controller-manager',
    binPath('kube-controller-manager'),
    [
      `--kubeconfig=${kubeconfigPath}`,
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      '--leader-elect=false',
      '--service-cluster-ip-range=10.0.0.0/24',
      `--service-account-private-key-file=${sa.keyFile}`,
      `--root-ca-file=${ca.certFile}`,
      '--controllers=deployment-controller,replicaset-controller,namespace-controller,garbage-collector-controller',
      '--concurrent-deployment-syncs=2',
      '--concurrent-replicaset-syncs=2',
    ],
    join(dir, 'kube-controller-manager.log'),
  );

  const req = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
    apiRequest(server, ca.pem, token, method, path, body, contentType);
  const waitReady = () =>
    waitFor(
      async () => (await req('GET', '/readyz')).status === 200,
      90_000,
      () => `kube-apiserver not ready after 90 s; log tail:\n${apiserver.logTail()}\nkine:\n${kine.logTail(1000)}`,
      250,
    );

  const all = [kcm, apiserver, kine];
  const stop = async () => {
    for (const p of all) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    kine.start();
    await waitFor(
      async () => canConnect(kinePort),
      20_000,
      () => `kine did not listen; log:\n${kine.logTail()}`,
      100,
    );
    apiserver.start();
    await waitReady();
    if (opts.controllerManager !== false) {
      kcm.start();
      await waitFor(
        async () => kcm.running,
        2000,
        () => `kube-controller-manager exited:\n${kcm.logTail()}`,
      );
    }
    await waitFor(
      async () => (await req('GET', '/api/v1/namespaces/default')).status === 200,
      30_000,
      () => 'namespace default never appeared',
    );
  } catch (e) {
    await stop();
    throw e;
  }
  log(`kube ${KUBE_VERSION} on ${server} in ${Date.now() - started} ms (dir ${dir})`);
  return {
    version: KUBE_VERSION,
    dir,
    server,
    caPem: ca.pem,
    ca,
    token,
    kubeconfigPath,
    issueServingCert: (name, hosts) => issueServingCert(ca, dir, name, hosts),
    request: req,
    stopApiserver: () => apiserver.stop(),
    startApiserver: async () => {
      apiserver.start();
      await waitReady();
    },
    stop,
  };
}

function kubeconfigYaml(server: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'current-context: test',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: test',
    '  context:',
    '    cluster: test',
    '    user: admin',
    '',
  ].join('\n');
}

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

export function apiRequest(
  server: string,
  caPem: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; body: any }> {
  return new Promise((ok, fail) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const r = request(
      `${server}${path}`,
      {
        method,
        ca: caPem,
        timeout: 15_000,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(payload ? { 'content-type': contentType } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* plain text, e.g. /readyz */
          }
          ok({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    r.on('timeout', () => r.destroy(new Error(`${method} ${path} timed out`)));
    r.on('error', fail);
    if (payload) r.write(payload);
    r.end();
  });
}
