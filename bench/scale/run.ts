/**
 * bench:scale — 100,000 module-environments on one organisation (issue 14). Seeds the database (multi-row INSERTs of
 * attachments, ready instances with sealed DSNs and Secret locations, key rows) and the Sentry stand-in's state (bulk
 * seed, no HTTP), with the stand-in at 40 requests/s and 50 ms latency in this process. Then runs two svc-sentry
 * replicas as child processes (`node dist/src/main.js`, so each RSS is its own) on the same PostgreSQL: A (role all:
 * API, worker, webhook) and B (role api: API and webhook). A's start-up resync is the cycle measured: wall time (its
 * log line), upstream calls (counted by the stand-in in that window), and a developer's toggle made while it runs;
 * then the same toggle on the idle system, the webhook view's change-apply latency on both replicas (one instance's
 * Secret location changed in the database; each replica's webhook asked with AdmissionReviews until it patches a Pod
 * there), peak RSS (VmHWM) of each replica's process and of role all's worker process, the database size and the load average.
 *
 * Prints one JSON line; exits 1 when a target is missed (naming it): resync ≤ 5,000 upstream calls and within one
 * interval, toggle during resync ≤ idle + 5 s, peak RSS ≤ 500 MB per process, view propagation ≤ 2 s.
 *
 *   npm run bench:scale        (BENCH_MODULE_ENVS=100000 by default)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '../../src/database/database';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { podCreateReview } from '../../test/harness/admission-review';
import { createCa, issueServingCert } from '../../test/harness/kube/pki';
import { startSentryStandin } from '../../test/harness/sentry-standin';
import { seedReadyInstances } from './seed';

const MODULE_ENVS = Number(process.env.BENCH_MODULE_ENVS ?? 100_000);
const INTERVAL_S = Number(process.env.BENCH_RESYNC_INTERVAL ?? 300);
const ORG = 'scale';
const TOKEN = 'bench-token-123456';
const ROOT = join(__dirname, '..', '..', '..');
const TARGETS = { resync_upstream_calls: 5000, toggle_margin_s: 5, peak_rss_mb: 500, view_propagation_s: 2 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

interface Replica {
  name: string;
  child: ChildProcess;
  port: number;
  webhookPort: number;
  lines: any[];
  output: () => string;
}

/** The pids of a process's children (Linux: the fourth field of /proc/<pid>/stat is the parent's pid). */
function childPids(parent: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent && /node/.test(stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
      } catch {
        return false;
      }
    })
    .map(Number);
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-bench-scale-'));
  // Its own temporary directory: PostgreSQL may run as another user, who must reach it.
  const pgDir = mkdtempSync(join(tmpdir(), 'svc-sentry-bench-scale-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, fast: true, database: 'scale' });
  const standin = await startSentryStandin({ orgs: [ORG], requestsPerSecond: 40, latencyMs: 50 });
  const replicas: Replica[] = [];
  let failed = false;
  try {
    await runMigrations(pg.url);
    const encryptionKey = randomBytes(32).toString('hex');
    const seedStart = Date.now();
    const modules = Math.ceil(MODULE_ENVS / 2);
    await seedReadyInstances({
      databaseUrl: pg.url,
      encryptionKey,
      standin,
      org: ORG,
      modules,
      appPrefix: 'app',
      secretOf: (app, module, env) => ({ cluster: 'c1', namespace: `${app}-${env}`, name: `svc-sentry-${module}` }),
    });
    const seedS = (Date.now() - seedStart) / 1000;
    console.log(`seeded ${modules * 2} module-environments in ${round(seedS, 1)} s`);

    const ca = createCa(dir);
    const cert = issueServingCert(ca, dir, 'webhook');
    const start = async (name: string, role: string): Promise<Replica> => {
      const [port, webhookPort] = [await freePort(), await freePort()];
      const child = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_ENV: 'production',
          DATABASE_URL: pg.url,
          PORT: String(port),
          HOST: '127.0.0.1',
          SVC_SENTRY_ROLE: role,
          SVC_SENTRY_ENCRYPTION_KEY: encryptionKey,
          SVC_SENTRY_API_TOKENS: TOKEN,
          SVC_SENTRY_UPSTREAM_URL: standin.url,
          SVC_SENTRY_UPSTREAM_TOKEN: 'test-token',
          SVC_SENTRY_UPSTREAM_ORG: ORG,
          SVC_SENTRY_RESYNC_INTERVAL: String(INTERVAL_S),
          SVC_SENTRY_POLL_INTERVAL: '0.5',
          SVC_SENTRY_WEBHOOK_ENABLED: 'true',
          SVC_SENTRY_WEBHOOK_HOST: '127.0.0.1',
          WEBHOOK_PORT: String(webhookPort),
          SVC_SENTRY_WEBHOOK_CERT_FILE: cert.certFile,
          SVC_SENTRY_WEBHOOK_KEY_FILE: cert.keyFile,
          SVC_SENTRY_LOG_LEVEL: 'info',
        },
      });
      const lines: any[] = [];
      let tail = '';
      let buf = '';
      child.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          tail = (tail + line + '\n').slice(-8000);
          try {
            const j = JSON.parse(line);
            if (typeof j.msg === 'string' && j.msg.startsWith('resync ')) lines.push(j);
          } catch {
            /* not JSON */
          }
        }
      });
      child.stderr!.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-8000)));
      const r: Replica = { name, child, port, webhookPort, lines, output: () => tail };
      replicas.push(r);
      await until(`${name} to answer /healthz`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 120_000, 200);
      return r;
    };
    const bootStart = Date.now();
    const a = await start('A', 'all');
    const b = await start('B', 'api');
    console.log(`replicas up in ${round((Date.now() - bootStart) / 1000, 1)} s`);

    const toggle = async (app: string): Promise<number> => {
      const url = `http://127.0.0.1:${a.port}/api/v1/apps/${app}/modules/default/monitoring`;
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const started = Date.now();
      const res = await fetch(url, { method: 'PUT', headers, body: JSON.stringify({ enabled: true }) });
      if (res.status !== 202) throw new Error(`toggle ${app}: ${res.status} ${await res.text()}`);
      await until(
        `${app} ready`,
        async () => {
          const s = (await (await fetch(url, { headers })).json()) as any;
          return s?.environments && Object.values<any>(s.environments).every((e) => e.state === 'ready');
        },
        120_000,
        100,
      );
      return (Date.now() - started) / 1000;
    };

    // During the start-up resync cycle (it is under way: the stand-in is being asked for project lists).
    await until('the resync cycle to start', async () => standin.requests(bootStart).some((r) => r.route === 'GET /organizations/projects'), 120_000, 200);
    await sleep(10_000);
    if (a.lines.length) throw new Error('the resync cycle ended before the toggle: nothing to measure it against');
    const busyStart = Date.now();
    const toggleDuring = await toggle('scaletoggle-busy');
    const busyEnd = Date.now();
    const cycle = await until('the resync cycle to end', async () => a.lines[0], (INTERVAL_S + 120) * 1000, 500);
    const cycleEnd = cycle.time as number;
    const cycleStart = cycleEnd - cycle.wallSeconds * 1000;
    const toggleIdle = await toggle('scaletoggle-idle');
    // The toggle's own calls are not resync's: its project and key calls name its app; its team create is the one
    // team create made while it ran.
    const togglesCall = (r: { at: number; route: string; path: string }) =>
      r.path.includes('scaletoggle') || (r.route === 'POST /organizations/teams' && r.at >= busyStart && r.at <= busyEnd);
    const calls = standin.requests(cycleStart, cycleEnd).filter((r) => !togglesCall(r));
    const byRoute: Record<string, number> = {};
    for (const c of calls) byRoute[c.route] = (byRoute[c.route] ?? 0) + 1;

    // Webhook view: one instance moves to another namespace; each replica is asked until it patches a Pod there.
    const db = new Client(pg.url);
    await db.connect();
    const [row] = (await db.query(`SELECT id, app, module FROM instances WHERE app = 'app7' AND env = 'stag' LIMIT 1`)).rows;
    const agent = new Agent({ keepAlive: true, ca: ca.pem });
    const moved = 'moved-ns';
    const changedAt = Date.now();
    await db.query(`UPDATE instances SET secret = jsonb_set(secret, '{namespace}', $2::jsonb) WHERE id = $1`, [row.id, JSON.stringify(moved)]);
    const propagation = await Promise.all(
      [a, b].map(async (r) => {
        await until(`replica ${r.name}'s webhook view`, () => patched(agent, r.webhookPort, moved, row.app, row.module), 30_000, 20);
        return (Date.now() - changedAt) / 1000;
      }),
    );
    const dbSizeMb = Number((await db.query(`SELECT pg_database_size(current_database()) AS n`)).rows[0].n) / 1024 / 1024;
    await db.end();
    agent.destroy();

    // Each replica's process, and role all's reconcile worker process (its child) as `<name>-worker`.
    const rss = Object.fromEntries(
      replicas.flatMap((r) => [
        [r.name, round(peakRssMb(r.child.pid!), 1)],
        ...childPids(r.child.pid!).map((pid, i) => [`${r.name}-worker${i ? i + 1 : ''}`, round(peakRssMb(pid), 1)]),
      ]),
    ) as Record<string, number>;
    const result = {
      bench: 'scale',
      module_environments: modules * 2,
      resync_upstream_calls: calls.length,
      resync_calls_by_route: byRoute,
      resync_wall_s: round(cycle.wallSeconds, 1),
      resync_interval_s: INTERVAL_S,
      resync_key_checks: cycle.keyChecks,
      resync_key_check_cycles: cycle.keyCheckCycles,
      resync_project_drift: cycle.projectDrift,
      resync_key_drift: cycle.keyDrift,
      toggle_ready_idle_s: round(toggleIdle),
      toggle_ready_during_resync_s: round(toggleDuring),
      peak_rss_mb: Math.max(...Object.values(rss)),
      peak_rss_mb_by_replica: rss,
      webhook_view_rss_mb_replica_b: rss.B,
      view_propagation_s: round(Math.max(...propagation), 3),
      view_propagation_s_by_replica: { A: round(propagation[0], 3), B: round(propagation[1], 3) },
      db_size_mb: round(dbSizeMb, 1),
      seed_s: round(seedS, 1),
      total_s: round((Date.now() - t0) / 1000, 1),
      load_average_1m: round(loadavg()[0]),
      targets: { ...TARGETS, resync_wall_s: INTERVAL_S },
    };
    const missed: string[] = [];
    if (result.resync_upstream_calls > TARGETS.resync_upstream_calls)
      missed.push(`resync_upstream_calls ${result.resync_upstream_calls} > ${TARGETS.resync_upstream_calls}`);
    if (result.resync_wall_s > INTERVAL_S) missed.push(`resync_wall_s ${result.resync_wall_s} > interval ${INTERVAL_S}`);
    if (toggleDuring > toggleIdle + TARGETS.toggle_margin_s)
      missed.push(`toggle during resync ${round(toggleDuring)} s > idle ${round(toggleIdle)} s + ${TARGETS.toggle_margin_s} s`);
    if (result.peak_rss_mb > TARGETS.peak_rss_mb) missed.push(`peak_rss_mb ${result.peak_rss_mb} > ${TARGETS.peak_rss_mb}`);
    if (result.view_propagation_s > TARGETS.view_propagation_s) missed.push(`view_propagation_s ${result.view_propagation_s} > ${TARGETS.view_propagation_s}`);
    if (result.total_s > 600) missed.push(`whole run ${result.total_s} s > 600 s`);
    for (const m of missed) console.log(`target missed: ${m}`);
    failed = missed.length > 0;
    console.log(JSON.stringify({ ...result, missed }));
  } catch (e) {
    failed = true;
    console.error(`bench:scale failed: ${(e as Error).message}`);
    for (const r of replicas) console.error(`--- replica ${r.name} output (tail) ---\n${r.output()}`);
  } finally {
    await Promise.all(
      replicas.map(
        (r) =>
          new Promise<void>((ok) => {
            if (r.child.exitCode !== null) return ok();
            r.child.once('exit', () => ok());
            r.child.kill('SIGTERM');
            setTimeout(() => r.child.kill('SIGKILL'), 20_000).unref();
          }),
      ),
    );
    await standin.close();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pgDir, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

/** One AdmissionReview for a Pod of (app, module) in `namespace`: true when the answer patches in SENTRY_DSN. */
function patched(agent: Agent, port: number, namespace: string, app: string, module: string): Promise<boolean> {
  const body = podCreateReview('00000000-0000-4000-8000-000000000001', namespace, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'probe-', namespace, labels: { 'svc-sentry.io/app': app, 'svc-sentry.io/module': module } },
    spec: { containers: [{ name: 'web', image: 'registry.example/web:1' }] },
  });
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/mutate-pods', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        try {
          const patch = JSON.parse(text)?.response?.patch;
          ok(typeof patch === 'string' && Buffer.from(patch, 'base64').toString().includes('SENTRY_DSN'));
        } catch (e) {
          fail(e);
        }
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

void main();
