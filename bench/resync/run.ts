/**
 * bench:resync — 10,000 managed Secrets re-applied by svc-sentry's resync sweep (KubernetesTargets.ensureSecrets)
 * vs `kubectl apply --server-side` of the same objects, on the same test apiserver (harness: kine + kube-apiserver).
 * The svc-sentry side runs in its own process so its peak RSS is its own. Last line: one JSON object.
 *
 *   npm run bench:resync        (BENCH_SECRETS=10000 BENCH_NAMESPACES=100 BENCH_DRIFT=0.01 by default)
 */
import 'reflect-metadata';
import { execFile, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { KubeKubernetesTargets } from '../../src/kubernetes/kube-kubernetes-targets';
import { SecretBatchItem } from '../../src/kubernetes/kubernetes-targets.port';
import { KubernetesConfig } from '../../src/kubernetes/kubernetes.config';
import { mapPool } from '../../src/kubernetes/map-pool';
import { secretApplyBody } from '../../src/kubernetes/secret-manifest';
import { binPath, ensureKubeBinaries } from '../../test/harness/kube/binaries';
import { startKubeCluster } from '../../test/harness/kube/cluster';

const N = Number(process.env.BENCH_SECRETS ?? 10_000);
const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 100);
const DRIFT = Number(process.env.BENCH_DRIFT ?? 0.01);
const TARGETS = { speedup: 5, peak_rss_mb: 300 };

function items(): SecretBatchItem[] {
  return Array.from({ length: N }, (_, i) => {
    const id = { app: `app${i % NAMESPACES}`, module: `m${Math.floor(i / NAMESPACES)}`, env: 'stag' };
    return {
      ref: { cluster: 'bench', namespace: `bench-${i % NAMESPACES}`, name: `svc-sentry-${id.module}` },
      desired: { ...id, data: { SENTRY_DSN: `https://key${i}@sentry.example/${i}`, SENTRY_ENVIRONMENT: 'stag', SENTRY_TRACES_SAMPLE_RATE: '0.1' } },
    };
  });
}

const targetsFor = (kubeconfig: string) =>
  new KubeKubernetesTargets(plainToInstance(KubernetesConfig, { kubeconfigs: `bench=${kubeconfig}`, requestTimeoutMs: 60_000 }, { exposeDefaultValues: true }));

/** Child: one resync sweep over all items; reports time, outcomes and peak RSS. */
async function sweep(kubeconfig: string): Promise<void> {
  const t = targetsFor(kubeconfig);
  const all = items();
  const t0 = process.hrtime.bigint();
  const results = await t.ensureSecrets(all, { concurrency: 16 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const outcomes: Record<string, number> = {};
  for (const r of results) {
    const k = r.error ? `error:${r.error.code}` : r.outcome;
    outcomes[k] = (outcomes[k] ?? 0) + 1;
  }
  process.send!({ seconds, outcomes, maxRssMb: process.resourceUsage().maxRSS / 1024 });
}

function runSweep(kubeconfig: string): Promise<{ seconds: number; outcomes: Record<string, number>; maxRssMb: number }> {
  return new Promise((ok, fail) => {
    const child = fork(__filename, ['sweep', kubeconfig], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('message', (m: any) => {
      ok(m);
      child.kill();
    });
    child.once('exit', (code) => fail(new Error(`sweep exited with ${code}`)));
  });
}

function kubectlApply(kubeconfig: string, file: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((ok, fail) => {
    execFile(
      binPath('kubectl'),
      ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--field-manager=svc-sentry', '-f', file],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, _out, stderr) => (err ? fail(new Error(`kubectl failed: ${stderr.slice(-2000)}`)) : ok(Number(process.hrtime.bigint() - t0) / 1e9)),
    );
  });
}

async function main(): Promise<void> {
  await ensureKubeBinaries(undefined, (s) => console.log(s), ['kubectl']);
  const cluster = await startKubeCluster({ controllerManager: false, log: (s) => console.log(s) });
  try {
    await mapPool(
      Array.from({ length: NAMESPACES }, (_, i) => `bench-${i}`),
      8,
      async (name) => {
        const r = await cluster.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
        if (r.status !== 201) throw new Error(`namespace ${name}: ${r.status}`);
      },
    );
    const all = items();
    const seedStart = Date.now();
    const seeded = await targetsFor(cluster.kubeconfigPath).ensureSecrets(all, { concurrency: 16 });
    const failed = seeded.filter((r) => r.error);
    if (failed.length) throw new Error(`seeding failed for ${failed.length}: ${failed[0].error!.message}`);
    console.log(`seeded ${N} Secrets in ${NAMESPACES} namespaces in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

    // The same objects for kubectl, as one List.
    const file = join(cluster.dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: all.map((i) => secretApplyBody(i.ref, i.desired)) }));

    const steady = await runSweep(cluster.kubeconfigPath);
    console.log(
      `svc-sentry resync, nothing drifted: ${steady.seconds.toFixed(2)} s ${JSON.stringify(steady.outcomes)}, peak RSS ${steady.maxRssMb.toFixed(0)} MB`,
    );
    const kubectlS = await kubectlApply(cluster.kubeconfigPath, file);
    console.log(`kubectl apply --server-side of the same ${N} objects: ${kubectlS.toFixed(2)} s`);

    // Drift: some Secrets edited by someone else, some deleted; the sweep must repair exactly those.
    const drifted = Math.round(N * DRIFT);
    await mapPool(
      Array.from({ length: drifted }, (_, k) => all[Math.floor((k * N) / Math.max(1, drifted))]),
      8,
      async (it, k) => {
        const path = `/api/v1/namespaces/${it.ref.namespace}/secrets/${it.ref.name}`;
        if (k % 2) await cluster.request('DELETE', path);
        else await cluster.request('PATCH', path, { data: { SENTRY_DSN: Buffer.from('edited').toString('base64') } }, 'application/merge-patch+json');
      },
    );
    const repair = await runSweep(cluster.kubeconfigPath);
    console.log(
      `svc-sentry resync with ${drifted} drifted: ${repair.seconds.toFixed(2)} s ${JSON.stringify(repair.outcomes)}, peak RSS ${repair.maxRssMb.toFixed(0)} MB`,
    );

    const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    const speedup = kubectlS / steady.seconds;
    const peak = Math.max(steady.maxRssMb, repair.maxRssMb);
    console.log(
      JSON.stringify({
        bench: 'resync',
        secrets: N,
        namespaces: NAMESPACES,
        speedup: round(speedup),
        peak_rss_mb: round(peak, 0),
        targets: TARGETS,
        pass: speedup >= TARGETS.speedup && peak <= TARGETS.peak_rss_mb,
        svc_sentry_s: round(steady.seconds, 3),
        kubectl_s: round(kubectlS, 3),
        drift: { secrets: drifted, svc_sentry_s: round(repair.seconds, 3), outcomes: repair.outcomes },
      }),
    );
  } finally {
    await cluster.stop();
  }
}

if (process.argv[2] === 'sweep') {
  sweep(process.argv[3]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
