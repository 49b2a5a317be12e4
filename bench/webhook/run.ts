/**
 * bench:webhook — AdmissionReviews at 32 concurrent requests for a fixed time against the svc-sentry admission
 * webhook and against a bare Node HTTPS server that answers a canned review, on the same machine.
 * Each server runs in its own child process; this process is the load generator (keep-alive TLS connections).
 * Prints throughput and p50/p99 for both; the last line is one JSON object.
 *
 *   npm run bench:webhook            (BENCH_SECONDS=10 BENCH_CONCURRENCY=32 by default)
 */
import { ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArrayEnabledTargetsSource, EnabledTarget, EnabledTargetsView } from '../../src/kubernetes/webhook/enabled-targets';
import { WebhookServer } from '../../src/kubernetes/webhook/webhook-server';
import { createCa, issueServingCert } from '../../test/harness/kube/pki';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TARGETS = { throughput_ratio: 0.8, p99_added_ms: 2 };

/** A Pod as a ReplicaSet creates it (two containers, some env, probes, volumes), labelled for an enabled module. */
function review(i: number): string {
  const container = (name: string) => ({
    name, image: `registry.example/tnfood/${name}:1.4.2`, imagePullPolicy: 'IfNotPresent',
    ports: [{ containerPort: 8000, protocol: 'TCP' }],
    env: [{ name: 'PORT', value: '8000' }, { name: 'DJANGO_SETTINGS_MODULE', value: 'settings' }, { name: 'BKPAAS_ENVIRONMENT', value: 'stag' }],
    resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '256Mi' } },
    readinessProbe: { httpGet: { path: '/healthz', port: 8000 }, periodSeconds: 5 },
    volumeMounts: [{ name: 'conf', mountPath: '/app/conf' }],
  });
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' }, requestKind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'tnfood-stag', operation: 'CREATE', userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: {
        apiVersion: 'v1', kind: 'Pod',
        metadata: {
          generateName: 'tnfood-web-5d4f8b7c9-', namespace: 'tnfood-stag',
          labels: { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'default', 'app.kubernetes.io/version': '1.4.2', 'pod-template-hash': '5d4f8b7c9' },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'tnfood-web-5d4f8b7c9', uid: 'x', controller: true }],
        },
        spec: { containers: [container('web'), container('worker')], volumes: [{ name: 'conf', configMap: { name: 'tnfood-conf' } }] },
      },
      oldObject: null, dryRun: false, options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
}

async function serve(kind: string, dir: string): Promise<void> {
  const cert = issueServingCert({ dir, certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'ca.key'), pem: '' }, dir, kind);
  let port: number;
  if (kind === 'webhook') {
    const targets: EnabledTarget[] = [];
    for (let i = 0; i < 10_000; i++) {
      targets.push({ cluster: 'c1', namespace: `app${i}-stag`, app: `app${i}`, module: 'default', env: 'stag', secretName: 'svc-sentry-default' });
    }
    targets.push({ cluster: 'c1', namespace: 'tnfood-stag', app: 'tnfood', module: 'default', env: 'stag', secretName: 'svc-sentry-default' });
    const view = new EnabledTargetsView(new ArrayEnabledTargetsSource(targets));
    await view.refreshNow();
    const server = new WebhookServer({
      host: '127.0.0.1', port: 0, certFile: cert.certFile, keyFile: cert.keyFile, certCheckMs: 0,
      context: { lookup: (n, a, m, c) => view.lookup(n, a, m, c), appLabel: 'svc-sentry.io/app', moduleLabel: 'svc-sentry.io/module', versionLabel: 'app.kubernetes.io/version' },
    });
    await server.start();
    port = server.port;
  } else {
    // The floor: read the body, answer a canned review of the same size as the webhook's.
    const canned = JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '00000000-0000-4000-8000-000000000000', allowed: true, patchType: 'JSONPatch', patch: Buffer.alloc(900, 'a').toString('base64') } });
    const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      req.on('data', () => undefined);
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(canned) }).end(canned));
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  }
  process.send!({ port });
}

interface Result { name: string; requests: number; errors: number; throughput: number; p50: number; p99: number }

async function load(name: string, port: number, caPem: string, path: string): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: caPem });
  const bodies = Array.from({ length: 64 }, (_, i) => review(i));
  const one = (body: string) => new Promise<boolean>((ok) => {
    const r = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => ok(res.statusCode === 200));
    });
    r.on('error', () => ok(false));
    r.end(body);
  });
  const run = async (ms: number, record: boolean, lat: number[], counts: { n: number; err: number }) => {
    const end = Date.now() + ms;
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
      let i = w;
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        const ok = await one(bodies[i++ % bodies.length]);
        if (!record) continue;
        lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
        counts.n++;
        if (!ok) counts.err++;
      }
    }));
  };
  await run(1000, false, [], { n: 0, err: 0 }); // warm-up: TLS handshakes, JIT
  const lat: number[] = [];
  const counts = { n: 0, err: 0 };
  const t0 = Date.now();
  await run(SECONDS * 1000, true, lat, counts);
  const wall = (Date.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  return { name, requests: counts.n, errors: counts.err, throughput: counts.n / wall, p50: q(0.5), p99: q(0.99) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-bench-webhook-'));
  const ca = createCa(dir);
  const children: ChildProcess[] = [];
  const start = (kind: string) => new Promise<number>((ok, fail) => {
    const child = fork(__filename, ['serve', kind, dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, NODE_ENV: 'production' } });
    children.push(child);
    child.once('message', (m: any) => ok(m.port));
    child.once('exit', (code) => fail(new Error(`${kind} server exited with ${code}`)));
  });
  try {
    const results: Result[] = [];
    for (const kind of (process.env.BENCH_ORDER ?? 'bare,webhook').split(',')) {
      const port = await start(kind);
      const r = await load(kind, port, ca.pem, '/mutate-pods');
      children.pop()!.kill();
      results.push(r);
      console.log(`${kind.padEnd(8)} ${r.requests} requests in ${SECONDS}s, ${r.errors} errors: ${r.throughput.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`);
    }
    const [bare, hook] = results;
    const ratio = hook.throughput / bare.throughput;
    const added = hook.p99 - bare.p99;
    const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
    console.log(JSON.stringify({
      bench: 'webhook', throughput_ratio: round(ratio), p99_added_ms: round(added), targets: TARGETS,
      pass: ratio >= TARGETS.throughput_ratio && added <= TARGETS.p99_added_ms && bare.errors + hook.errors === 0,
      concurrency: CONCURRENCY, seconds: SECONDS,
      webhook: { rps: round(hook.throughput, 0), p50_ms: round(hook.p50), p99_ms: round(hook.p99), errors: hook.errors },
      bare: { rps: round(bare.throughput, 0), p50_ms: round(bare.p50), p99_ms: round(bare.p99), errors: bare.errors },
    }));
  } finally {
    for (const c of children) c.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') {
  serve(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
