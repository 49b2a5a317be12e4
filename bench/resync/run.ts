/**
 * bench:resync — converging 10,000 managed Secrets: svc-sentry's resync sweep (KubernetesTargets.ensureSecrets)
 * vs `kubectl apply --server-side --force-conflicts` of the full desired set (what a GitOps loop does each cycle), on the same test
 * apiserver (harness: kine + kube-apiserver), in three cases that start from the same cluster state for both sides:
 *   no drift · 1 % drifted (half edited, half deleted) · 100 % missing (every Secret deleted).
 * Both sides go through one TCP relay in front of the apiserver, and each is timed from its first request byte to the
 * last answer byte (kubectl's process start and file parsing before its first request are not counted, nor the
 * sweep's process start). Each side's work is the apiserver's own count (apiserver_request_total, by verb, for
 * secrets and in total) so a reader can see they did the same job. Each case prints its speedup; there is no
 * pass/fail target. The svc-sentry side runs in its own process so its peak RSS is its own. Last line: one JSON object.
 *
 *   npm run bench:resync        (BENCH_SECRETS=10000 BENCH_NAMESPACES=100 BENCH_DRIFT=0.01 by default)
 */
import 'reflect-metadata';
import { execFile, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, Socket } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { KubeKubernetesTargets } from '../../src/kubernetes/kube-kubernetes-targets';
import { SecretBatchItem } from '../../src/kubernetes/kubernetes-targets.port';
import { KubernetesConfig } from '../../src/config/kubernetes.config';
import { mapPool } from '../../src/kubernetes/map-pool';
import { secretApplyBody } from '../../src/kubernetes/secret-manifest';
import { binPath, ensureKubeBinaries } from '../../test/harness/kube/binaries';
import { startKubeCluster } from '../../test/harness/kube/cluster';

const N = Number(process.env.BENCH_SECRETS ?? 10_000);
const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 100);
const DRIFT = Number(process.env.BENCH_DRIFT ?? 0.01);

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

function kubectlApply(kubeconfig: string, file: string): Promise<void> {
  return new Promise((ok, fail) => {
    execFile(
      binPath('kubectl'),
      ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', '--field-manager=svc-sentry', '-f', file],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, _out, stderr) => (err ? fail(new Error(`kubectl failed: ${stderr.slice(-2000)}`)) : ok()),
    );
  });
}

/** A TCP relay to the apiserver that notes the first byte a client sends and the last byte the server answers. */
async function startRelay(target: URL): Promise<{ port: number; reset(): void; window(): number; close(): void }> {
  let first = 0n;
  let last = 0n;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const up = createConnection({ host: target.hostname, port: Number(target.port) });
    sockets.add(client).add(up);
    client.on('data', (d) => {
      if (!first) first = process.hrtime.bigint();
      up.write(d);
    });
    up.on('data', (d) => {
      last = process.hrtime.bigint();
      client.write(d);
    });
    const end = () => {
      client.destroy();
      up.destroy();
      sockets.delete(client);
      sockets.delete(up);
    };
    client.on('close', end).on('error', end);
    up.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    reset: () => {
      first = 0n;
      last = 0n;
    },
    window: () => (first && last > first ? Number(last - first) / 1e9 : NaN),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

type Counts = { total: number; secrets: Record<string, number> };

/** apiserver_request_total from the apiserver's /metrics: all requests, and requests on secrets by verb. */
function parseRequestTotals(text: string): Counts {
  const out: Counts = { total: 0, secrets: {} };
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    out.total += value;
    if (/resource="secrets"/.test(line)) {
      const verb = /verb="([^"]+)"/.exec(line)?.[1] ?? '?';
      out.secrets[verb] = (out.secrets[verb] ?? 0) + value;
    }
  }
  return out;
}

const diff = (a: Counts, b: Counts): Counts => {
  const secrets: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a.secrets), ...Object.keys(b.secrets)])) {
    const d = (b.secrets[k] ?? 0) - (a.secrets[k] ?? 0);
    if (d) secrets[k] = d;
  }
  return { total: b.total - a.total, secrets };
};

async function main(): Promise<void> {
  await ensureKubeBinaries(undefined, (s) => console.log(s), ['kubectl']);
  const cluster = await startKubeCluster({ controllerManager: false, log: (s) => console.log(s) });
  const relay = await startRelay(new URL(cluster.server));
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
    const admin = targetsFor(cluster.kubeconfigPath);
    const seed = async () => {
      const seeded = await admin.ensureSecrets(all, { concurrency: 16 });
      const failed = seeded.filter((r) => r.error);
      if (failed.length) throw new Error(`seeding failed for ${failed.length}: ${failed[0].error!.message}`);
    };
    const seedStart = Date.now();
    await seed();
    console.log(`seeded ${N} Secrets in ${NAMESPACES} namespaces in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

    // Both sides talk to the apiserver through the relay.
    const viaRelay = join(cluster.dir, 'kubeconfig-relay');
    writeFileSync(viaRelay, readFileSync(cluster.kubeconfigPath, 'utf8').split(cluster.server).join(`https://127.0.0.1:${relay.port}`));
    // The same objects for kubectl, as one List: the full desired set.
    const file = join(cluster.dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: all.map((i) => secretApplyBody(i.ref, i.desired)) }));

    const metrics = async () => parseRequestTotals(String((await cluster.request('GET', '/metrics')).body));
    const drifted = Math.round(N * DRIFT);
    const driftSome = () =>
      mapPool(
        Array.from({ length: drifted }, (_, k) => all[Math.floor((k * N) / Math.max(1, drifted))]),
        8,
        async (it, k) => {
          const path = `/api/v1/namespaces/${it.ref.namespace}/secrets/${it.ref.name}`;
          if (k % 2) await cluster.request('DELETE', path);
          else await cluster.request('PATCH', path, { data: { SENTRY_DSN: Buffer.from('edited').toString('base64') } }, 'application/merge-patch+json');
        },
      );
    const deleteAll = () =>
      mapPool(
        Array.from({ length: NAMESPACES }, (_, i) => `bench-${i}`),
        8,
        async (ns) => {
          const r = await cluster.request('DELETE', `/api/v1/namespaces/${ns}/secrets`);
          if (r.status !== 200) throw new Error(`delete secrets in ${ns}: ${r.status}`);
        },
      );
    /** How many of the desired Secrets are missing or differ (one list per namespace): 0 after a side converged. */
    const wrong = async () => {
      const have = new Map<string, string>();
      await mapPool(
        Array.from({ length: NAMESPACES }, (_, i) => `bench-${i}`),
        8,
        async (ns) => {
          const r = await cluster.request('GET', `/api/v1/namespaces/${ns}/secrets`);
          for (const sec of r.body?.items ?? []) have.set(`${ns}/${sec.metadata.name}`, sec.data?.SENTRY_DSN);
        },
      );
      return all.filter((it) => have.get(`${it.ref.namespace}/${it.ref.name}`) !== Buffer.from(it.desired.data.SENTRY_DSN).toString('base64')).length;
    };

    const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    const cases: Array<{ name: string; prepare: () => Promise<unknown>; changed: number }> = [
      { name: 'no drift', prepare: async () => undefined, changed: 0 },
      { name: `${round(DRIFT * 100, 2)} % drifted`, prepare: driftSome, changed: drifted },
      { name: '100 % missing', prepare: deleteAll, changed: N },
    ];
    const results: any[] = [];
    let peak = 0;
    for (const c of cases) {
      const side = async (run: () => Promise<unknown>) => {
        await seed();
        await c.prepare();
        const before = await metrics();
        relay.reset();
        const extra = await run();
        const seconds = relay.window();
        const requests = diff(before, await metrics());
        const left = await wrong();
        return { seconds, requests, left_wrong: left, extra };
      };
      const svc = await side(async () => runSweep(viaRelay));
      const sweep = svc.extra as Awaited<ReturnType<typeof runSweep>>;
      peak = Math.max(peak, sweep.maxRssMb);
      const kubectl = await side(() => kubectlApply(viaRelay, file));
      const speedup = kubectl.seconds / svc.seconds;
      console.log(
        `${c.name.padEnd(14)} svc-sentry ${svc.seconds.toFixed(2)} s (${svc.requests.total} requests, secrets ${JSON.stringify(svc.requests.secrets)}, ` +
          `outcomes ${JSON.stringify(sweep.outcomes)}, ${svc.left_wrong} left wrong, peak RSS ${sweep.maxRssMb.toFixed(0)} MB) | ` +
          `kubectl ${kubectl.seconds.toFixed(2)} s (${kubectl.requests.total} requests, secrets ${JSON.stringify(kubectl.requests.secrets)}, ${kubectl.left_wrong} left wrong) | ` +
          `speedup ${speedup.toFixed(2)}x`,
      );
      results.push({
        case: c.name,
        changed: c.changed,
        speedup: round(speedup),
        svc_sentry: {
          s: round(svc.seconds, 3),
          requests: svc.requests.total,
          secret_requests: svc.requests.secrets,
          outcomes: sweep.outcomes,
          left_wrong: svc.left_wrong,
        },
        kubectl: { s: round(kubectl.seconds, 3), requests: kubectl.requests.total, secret_requests: kubectl.requests.secrets, left_wrong: kubectl.left_wrong },
      });
    }
    console.log(
      JSON.stringify({
        bench: 'resync',
        secrets: N,
        namespaces: NAMESPACES,
        timed: 'first request byte to last answer byte, both sides through the same relay',
        cases: results,
        speedups: Object.fromEntries(results.map((r) => [r.case, r.speedup])),
        peak_rss_mb: round(peak, 0),
        load_average_1m: round(loadavg()[0]),
      }),
    );
  } finally {
    relay.close();
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
