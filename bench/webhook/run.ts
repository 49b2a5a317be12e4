/**
 * bench:webhook — AdmissionReviews at 32 concurrent requests for a fixed time against the svc-sentry admission
 * webhook and against a bare Node HTTPS server that answers a canned review, on the same machine.
 * Each server runs in its own child process; this process is the load generator (keep-alive TLS connections),
 * alternating 1 s slices between the two so that other load on the machine affects both alike.
 * An answer counts as a success only when it is the expected one: HTTP 200, an AdmissionReview for the same uid,
 * allowed, and a JSONPatch that adds SENTRY_DSN from the module's Secret to every container. A fail-open answer
 * (200, allowed, no patch) is counted as unpatched, not as a success. The bare server does the same work (reads and
 * parses the review, echoes its uid, answers a patch of the same shape), so both sides' counts are comparable.
 * Prints throughput and p50/p99 for both; the last line is one JSON object with each side's counts.
 *
 *   npm run bench:webhook            (BENCH_SECONDS=10 BENCH_CONCURRENCY=32 by default)
 */
import { ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EnabledTarget, EnabledTargetsSink, EnabledTargetsSource, EnabledTargetsView } from '../../src/kubernetes/webhook/enabled-targets';
import { WebhookServer } from '../../src/kubernetes/webhook/webhook-server';
import { podCreateReview } from '../../test/harness/admission-review';
import { createCa, issueServingCert } from '../../test/harness/kube/pki';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TARGETS = { throughput_ratio: 0.9, p99_added_ms: 2 };
/** Changes a second applied to the webhook's view during the run (the change feed's work). */
const VIEW_CHANGES_PER_S = Number(process.env.BENCH_VIEW_CHANGES_PER_S ?? 50);

/** A Pod as a ReplicaSet creates it (two containers, some env, probes, volumes), labelled for an enabled module. */
function review(i: number): string {
  const container = (name: string) => ({
    name,
    image: `registry.example/tnfood/${name}:1.4.2`,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ containerPort: 8000, protocol: 'TCP' }],
    env: [
      { name: 'PORT', value: '8000' },
      { name: 'DJANGO_SETTINGS_MODULE', value: 'settings' },
      { name: 'BKPAAS_ENVIRONMENT', value: 'stag' },
    ],
    resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '100m', memory: '256Mi' } },
    readinessProbe: { httpGet: { path: '/healthz', port: 8000 }, periodSeconds: 5 },
    volumeMounts: [{ name: 'conf', mountPath: '/app/conf' }],
  });
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'tnfood-web-5d4f8b7c9-',
      namespace: 'tnfood-stag',
      labels: { 'svc-sentry.io/app': 'tnfood', 'svc-sentry.io/module': 'default', 'app.kubernetes.io/version': '1.4.2', 'pod-template-hash': '5d4f8b7c9' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'tnfood-web-5d4f8b7c9', uid: 'x', controller: true }],
    },
    spec: { containers: [container('web'), container('worker')], volumes: [{ name: 'conf', configMap: { name: 'tnfood-conf' } }] },
  };
  return podCreateReview(uidOf(i), 'tnfood-stag', pod, {
    requestKind: { group: '', version: 'v1', kind: 'Pod' },
    userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
    oldObject: null,
    dryRun: false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  });
}

const SECRET = 'svc-sentry-default';
const CONTAINERS = 2;

/** Whether an answer is the expected mutation of review(uid): see the file comment. */
export function isExpectedPatch(status: number, text: string, uid: string): boolean {
  if (status !== 200) return false;
  try {
    const r = JSON.parse(text)?.response;
    if (!r || r.uid !== uid || r.allowed !== true || r.patchType !== 'JSONPatch' || typeof r.patch !== 'string') return false;
    const ops = JSON.parse(Buffer.from(r.patch, 'base64').toString('utf8'));
    if (!Array.isArray(ops)) return false;
    for (let i = 0; i < CONTAINERS; i++) {
      const added = ops
        .filter((o: any) => o?.op === 'add' && (o.path === `/spec/containers/${i}/env` || o.path === `/spec/containers/${i}/env/-`))
        .flatMap((o: any) => (Array.isArray(o.value) ? o.value : [o.value]));
      const dsn = added.find((v: any) => v?.name === 'SENTRY_DSN');
      if (dsn?.valueFrom?.secretKeyRef?.name !== SECRET || dsn.valueFrom.secretKeyRef.key !== 'SENTRY_DSN') return false;
    }
    return true;
  } catch {
    return false;
  }
}

const uidOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

async function serve(kind: string, dir: string): Promise<void> {
  const cert = issueServingCert({ dir, certFile: join(dir, 'ca.crt'), keyFile: join(dir, 'ca.key'), pem: '' }, dir, kind);
  let port: number;
  if (kind === 'webhook') {
    const targets: EnabledTarget[] = [];
    for (let i = 0; i < 10_000; i++) {
      targets.push({ cluster: 'c1', namespace: `app${i}-stag`, app: `app${i}`, module: 'default', env: 'stag', secretName: 'svc-sentry-default' });
    }
    targets.push({ cluster: 'c1', namespace: 'tnfood-stag', app: 'tnfood', module: 'default', env: 'stag', secretName: 'svc-sentry-default' });
    // The view as it runs in production: loaded once, then kept current from a change feed while the load runs.
    const source = new ChangingSource(targets);
    const view = new EnabledTargetsView(source);
    await view.start();
    source.churn(VIEW_CHANGES_PER_S);
    const server = new WebhookServer({
      host: '127.0.0.1',
      port: 0,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
      certCheckMs: 0,
      context: {
        lookup: (n, a, m, c) => view.lookup(n, a, m, c),
        appLabel: 'svc-sentry.io/app',
        moduleLabel: 'svc-sentry.io/module',
        versionLabel: 'app.kubernetes.io/version',
      },
    });
    await server.start();
    port = server.port;
  } else {
    // The floor: read and parse the review, answer the expected patch (precomputed) for its uid.
    const ops = Array.from({ length: CONTAINERS }, (_, c) =>
      ['SENTRY_DSN', 'SENTRY_ENVIRONMENT', 'SENTRY_TRACES_SAMPLE_RATE'].map((key) => ({
        op: 'add',
        path: `/spec/containers/${c}/env/-`,
        value: { name: key, valueFrom: { secretKeyRef: { name: SECRET, key, optional: true } } },
      })),
    ).flat();
    const patch = Buffer.from(JSON.stringify(ops)).toString('base64');
    const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const uid = JSON.parse(Buffer.concat(chunks).toString('utf8')).request.uid;
        const body = JSON.stringify({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid, allowed: true, patchType: 'JSONPatch', patch },
        });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  }
  // CPU time of this server process, so the report has a figure that other load on the machine does not skew, and
  // the event loop's delay (stalls: GC, view updates, anything synchronous) while the load runs.
  let base = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  process.on('message', (m: { cmd?: string }) => {
    if (m?.cmd === 'reset') {
      base = process.cpuUsage();
      loop.reset();
    }
    if (m?.cmd === 'stats') {
      const u = process.cpuUsage(base);
      process.send!({ cpuUs: u.user + u.system, loopP99Ms: loop.percentile(99) / 1e6, loopMaxMs: loop.max / 1e6 });
    }
  });
  process.once('SIGTERM', () => process.exit(0));
  process.send!({ port });
}

interface ServerStats {
  cpuUs: number;
  loopP99Ms: number;
  loopMaxMs: number;
}

function ask(child: ChildProcess, cmd: 'reset' | 'stats'): Promise<ServerStats | undefined> {
  child.send({ cmd });
  if (cmd === 'reset') return Promise.resolve(undefined);
  return new Promise((ok) => child.once('message', (m: ServerStats) => ok(m)));
}

/**
 * An incremental source like the database's (PgEnabledTargets): rows by id, a change feed that names changed ids,
 * and `churn(n)` changing n rows a second (one module disabled, another enabled) while the bench runs.
 */
class ChangingSource extends EnabledTargetsSource {
  private readonly rows = new Map<string, EnabledTarget>();
  private readonly all: EnabledTarget[];
  private sink?: EnabledTargetsSink;

  constructor(targets: EnabledTarget[]) {
    super();
    this.all = targets.map((t, i) => ({ ...t, id: `i${i}` }));
    for (const t of this.all) this.rows.set(t.id!, t);
  }

  async list(): Promise<EnabledTarget[]> {
    return [...this.rows.values()];
  }

  override async read(ids: string[]): Promise<EnabledTarget[]> {
    return ids.flatMap((id) => (this.rows.has(id) ? [{ ...this.rows.get(id)! }] : []));
  }

  override async watch(sink: EnabledTargetsSink): Promise<void> {
    this.sink = sink;
    sink.reset();
  }

  churn(perSecond: number): void {
    if (perSecond <= 0) return;
    let n = 0;
    setInterval(() => {
      const ids: string[] = [];
      for (let k = 0; k < Math.max(1, Math.round(perSecond / 10)); k++) {
        // Never the module the load's reviews are for (the last target).
        const t = this.all[n++ % (this.all.length - 1)];
        if (this.rows.has(t.id!)) this.rows.delete(t.id!);
        else this.rows.set(t.id!, t);
        ids.push(t.id!);
      }
      this.sink?.changed(ids);
    }, 100).unref();
  }
}

interface Result {
  name: string;
  requests: number;
  /** Answers carrying the expected patch: the successes. */
  patched: number;
  /** HTTP 200 without the expected patch (e.g. fail-open "allowed" with no patch). */
  unpatched: number;
  /** No HTTP 200 (other status, reset, refused). */
  errors: number;
  throughput: number;
  p50: number;
  p99: number;
}

/** A keep-alive load generator against one server: CONCURRENCY workers, each sending one review after another. */
class Load {
  private readonly agent: Agent;
  private readonly bodies = Array.from({ length: 64 }, (_, i) => review(i));
  readonly lat: number[] = [];
  requests = 0;
  patched = 0;
  unpatched = 0;
  errors = 0;
  wallMs = 0;

  constructor(
    readonly name: string,
    private readonly port: number,
    caPem: string,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: caPem });
  }

  private one(body: string, uid: string): Promise<'patched' | 'unpatched' | 'error'> {
    return new Promise((ok) => {
      const r = request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: '/mutate-pods',
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) return ok('error');
            ok(isExpectedPatch(200, Buffer.concat(chunks).toString('utf8'), uid) ? 'patched' : 'unpatched');
          });
        },
      );
      r.on('error', () => ok('error'));
      r.end(body);
    });
  }

  async run(ms: number, record: boolean): Promise<void> {
    const started = Date.now();
    const end = started + ms;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        let i = w;
        while (Date.now() < end) {
          const t0 = process.hrtime.bigint();
          const n = i++ % this.bodies.length;
          const outcome = await this.one(this.bodies[n], uidOf(n));
          if (!record) continue;
          this.lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
          this.requests++;
          this[outcome === 'error' ? 'errors' : outcome]++;
        }
      }),
    );
    if (record) this.wallMs += Date.now() - started;
  }

  result(): Result {
    this.agent.destroy();
    const lat = [...this.lat].sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
    // Throughput counts successes only: an unpatched or failed answer is not work done.
    return {
      name: this.name,
      requests: this.requests,
      patched: this.patched,
      unpatched: this.unpatched,
      errors: this.errors,
      throughput: this.patched / (this.wallMs / 1000),
      p50: q(0.5),
      p99: q(0.99),
    };
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-bench-webhook-'));
  const ca = createCa(dir);
  const children: ChildProcess[] = [];
  const start = (kind: string) =>
    new Promise<number>((ok, fail) => {
      // BENCH_PROFILE_DIR=/tmp/prof writes a CPU profile of each server process there (--cpu-prof).
      const execArgv = process.env.BENCH_PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`, `--cpu-prof-name=${kind}.cpuprofile`]
        : [];
      const child = fork(__filename, ['serve', kind, dir], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: { ...process.env, NODE_ENV: 'production' },
        execArgv,
      });
      children.push(child);
      child.once('message', (m: any) => ok(m.port));
      child.once('exit', (code) => fail(new Error(`${kind} server exited with ${code}`)));
    });
  try {
    const bare = new Load('bare', await start('bare'), ca.pem);
    const hook = new Load('webhook', await start('webhook'), ca.pem);
    const [bareChild, hookChild] = children;
    // Warm-up (TLS handshakes, JIT), then alternate 1 s slices so background load on the machine hits both alike.
    await bare.run(1000, false);
    await hook.run(1000, false);
    await Promise.all([ask(bareChild, 'reset'), ask(hookChild, 'reset')]);
    for (let s = 0; s < SECONDS; s++) {
      for (const l of s % 2 ? [hook, bare] : [bare, hook]) await l.run(1000, true);
    }
    const [bareStats, hookStats] = [(await ask(bareChild, 'stats'))!, (await ask(hookChild, 'stats'))!];
    const [bareCpu, hookCpu] = [bareStats.cpuUs, hookStats.cpuUs];
    const [b, h] = [bare.result(), hook.result()];
    const cpuPerReq = { bare: bareCpu / Math.max(1, b.requests), webhook: hookCpu / Math.max(1, h.requests) };
    for (const r of [b, h]) {
      console.log(
        `${r.name.padEnd(8)} ${r.requests} requests in ${SECONDS}s (${CONCURRENCY} concurrent): ${r.patched} patched, ${r.unpatched} unpatched, ${r.errors} errors: ` +
          `${r.throughput.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ` +
          `server CPU ${cpuPerReq[r.name as 'bare' | 'webhook'].toFixed(0)} us/request`,
      );
    }
    const ratio = h.throughput / b.throughput;
    const added = h.p99 - b.p99;
    const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
    console.log(
      JSON.stringify({
        bench: 'webhook',
        throughput_ratio: round(ratio),
        p99_added_ms: round(added),
        targets: TARGETS,
        pass: ratio >= TARGETS.throughput_ratio && added <= TARGETS.p99_added_ms && b.errors + h.errors + b.unpatched + h.unpatched === 0,
        concurrency: CONCURRENCY,
        seconds: SECONDS,
        load_average_1m: round(loadavg()[0], 2),
        server_cpu_us_per_request: { webhook: round(cpuPerReq.webhook, 1), bare: round(cpuPerReq.bare, 1) },
        event_loop_delay_ms: {
          webhook: { p99: round(hookStats.loopP99Ms, 2), max: round(hookStats.loopMaxMs, 2) },
          bare: { p99: round(bareStats.loopP99Ms, 2), max: round(bareStats.loopMaxMs, 2) },
        },
        view_changes_per_s: VIEW_CHANGES_PER_S,
        webhook: {
          requests: h.requests,
          patched: h.patched,
          unpatched: h.unpatched,
          errors: h.errors,
          patched_rps: round(h.throughput, 0),
          p50_ms: round(h.p50),
          p99_ms: round(h.p99),
        },
        bare: {
          requests: b.requests,
          patched: b.patched,
          unpatched: b.unpatched,
          errors: b.errors,
          patched_rps: round(b.throughput, 0),
          p50_ms: round(b.p50),
          p99_ms: round(b.p99),
        },
      }),
    );
  } finally {
    // SIGTERM ends a server through its handler (so a CPU profile is written) and not by the signal.
    await Promise.all(children.map((c) => new Promise((done) => (c.exitCode !== null ? done(undefined) : (c.once('exit', done), c.kill('SIGTERM'))))));
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
