/**
 * bench:api — the toggle API under an open-loop load: RATE requests per second of mixed PUT/GET
 * `/api/v1/apps/{app}/modules/{module}/monitoring` for SECONDS, against svc-sentry as `npm start` runs it (a child
 * process `node dist/src/main.js` on its embedded PostgreSQL, logging at info to a file, the Sentry stand-in as its
 * upstream, the reconcile worker in its child process), then the same load against a bare NestJS route answering the same
 * JSON (a child process too). Open loop: requests go out at fixed times whatever the answers do, and each latency is
 * measured from its scheduled send time, so a stall shows up in the tail instead of slowing the load down.
 * PUTs flip `enabled` of a random app module (so each one writes an operation and enqueues reconcile work), GETs
 * read one. Answers other than 200/202 and failed requests are errors.
 * The last line is one JSON object: p50_ms, p99_ms, max_ms, errors, bare_p99_ms, ratio (p99 / bare p99), load average,
 * for each side the share of the machine's CPU that was busy and that the hypervisor stole during its phase, the cores
 * each part used then (cores_by_part: the server, svc-sentry's worker and PostgreSQL, the stand-in, this load generator),
 * and svc-sentry's waits for a pooled PostgreSQL connection during its phase (svc_connection_waits).
 *
 *   npm run bench:api      (BENCH_RATE=200 BENCH_SECONDS=30 BENCH_MODULES=100 BENCH_PUT_SHARE=0.5 by default)
 */
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Put } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ChildProcess, fork, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const RATE = Number(process.env.BENCH_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const MODULES = Number(process.env.BENCH_MODULES ?? 100);
const PUT_SHARE = Number(process.env.BENCH_PUT_SHARE ?? 0.5);
const TARGETS = { p99_ms: 25, errors: 0 };
const TOKEN = 'bench-api-token-0123';
const ORG = 'bench';
const ROOT = resolve(__dirname, '..', '..', '..');

const path = (i: number) => `/api/v1/apps/bench${i}/modules/web/monitoring`;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

interface Answer {
  status: number;
  body: string;
}

function send(agent: Agent, port: number, method: string, p: string, body?: string, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${TOKEN}` };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    const r = request({ host: '127.0.0.1', port, path: p, method, agent, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.on('error', fail);
    r.end(body);
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await check().catch((e: Error) => {
        if (/exited/.test(e.message)) throw e;
        return false;
      })
    )
      return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A deterministic pseudo-random sequence (the same requests for both sides). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Phase {
  requests: number;
  puts: number;
  gets: number;
  errors: number;
  errorSamples: string[];
  lat: number[];
  /** Latencies by the second (from the start of the phase) their request was scheduled in. */
  bySecond: number[][];
  putLat: number[];
  getLat: number[];
  late: number;
}

/** RATE requests/s for `seconds`, each timed from its scheduled send; resolves when every answer is in. */
async function openLoop(port: number, seconds: number, enabled: boolean[]): Promise<Phase> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const next = rng(42);
  const total = Math.round(RATE * seconds);
  const every = 1000 / RATE;
  const phase: Phase = { requests: 0, puts: 0, gets: 0, errors: 0, errorSamples: [], lat: [], bySecond: [], putLat: [], getLat: [], late: 0 };
  const inflight: Promise<void>[] = [];
  const t0 = performance.now() + 20;
  const record = (put: boolean, scheduled: number) => {
    const ms = performance.now() - scheduled;
    phase.lat.push(ms);
    (put ? phase.putLat : phase.getLat).push(ms);
    (phase.bySecond[Math.floor((scheduled - t0) / 1000)] ??= []).push(ms);
  };
  const fire = (scheduled: number) => {
    const m = Math.floor(next() * enabled.length);
    const put = next() < PUT_SHARE;
    let body: string | undefined;
    if (put) {
      enabled[m] = !enabled[m];
      body = JSON.stringify({ enabled: enabled[m] });
      phase.puts++;
    } else phase.gets++;
    phase.requests++;
    inflight.push(
      send(agent, port, put ? 'PUT' : 'GET', path(m), body).then(
        (a) => {
          record(put, scheduled);
          if (a.status !== 200 && a.status !== 202) {
            phase.errors++;
            if (phase.errorSamples.length < 5) phase.errorSamples.push(`${put ? 'PUT' : 'GET'} ${a.status} ${a.body.slice(0, 200)}`);
          }
        },
        (e: Error) => {
          record(put, scheduled);
          phase.errors++;
          if (phase.errorSamples.length < 5) phase.errorSamples.push(`${put ? 'PUT' : 'GET'} ${e.message}`);
        },
      ),
    );
  };
  await new Promise<void>((done) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      // Everything due is sent now; a send more than 1 ms behind schedule is counted (the generator's own lag).
      while (i < total && t0 + i * every <= now) {
        if (now - (t0 + i * every) > 1) phase.late++;
        fire(t0 + i * every);
        i++;
      }
      if (i >= total) return done();
      setTimeout(tick, Math.max(0, t0 + i * every - performance.now()));
    };
    setTimeout(tick, 20);
  });
  await Promise.all(inflight);
  agent.destroy();
  return phase;
}

/** A process's parent, name and CPU time so far (user + system, ms), from /proc (Linux); null when it is not there. */
function procStat(pid: string): { ppid: number; comm: string; ms: number } | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      comm: f.slice(f.indexOf('(') + 1, f.lastIndexOf(')')),
      ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / 100,
    };
  } catch {
    return null;
  }
}

/** The machine's CPU time by kind so far, in clock ticks, from the first line of /proc/stat (Linux); null elsewhere. */
function machineTicks(): { busy: number; steal: number; total: number } | null {
  try {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return null;
  }
}

/**
 * Over a phase, the share of the machine's CPU time that was busy (every process: svc-sentry, PostgreSQL, this load
 * generator) and the share the hypervisor took for other guests (steal): a run on a saturated or noisy machine shows it.
 */
function machineShare(from: ReturnType<typeof machineTicks>) {
  const to = machineTicks();
  if (!from || !to || to.total === from.total) return { busy_pct: NaN, steal_pct: NaN };
  const d = to.total - from.total;
  return { busy_pct: round(((to.busy - from.busy) * 100) / d, 1), steal_pct: round(((to.steal - from.steal) * 100) / d, 1) };
}

/** Every process's parent, name and CPU time so far; empty where /proc is not. */
function processTimes(): Map<number, { ppid: number; comm: string; ms: number }> {
  const out = new Map<number, { ppid: number; comm: string; ms: number }>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    const stat = procStat(pid); // null: it exited meanwhile
    if (stat) out.set(Number(pid), stat);
  }
  return out;
}

/**
 * Over a phase, the cores each part used (CPU seconds per second): the process under load (`server`: svc-sentry's main
 * process, or the bare route's), svc-sentry's other processes (its main process when it is not the server, its reconcile
 * worker, its embedded PostgreSQL), the Sentry stand-in, this load generator, and everything else. On a 2-core machine
 * a sum near 2 says the parts queue for CPU, whatever the code does. Processes that ended during the phase are missed.
 */
function coresByPart(
  from: ReturnType<typeof processTimes>,
  to: ReturnType<typeof processTimes>,
  seconds: number,
  pids: { server?: number; svc?: number; standin?: number },
) {
  const parts: Record<string, number> = { server: 0, svc_main: 0, worker: 0, postgres: 0, standin: 0, load_generator: 0, other: 0 };
  const underSvc = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 16; p = to.get(p)?.ppid ?? 0, hops++) if (p === pids.svc) return true;
    return false;
  };
  const partOf = (pid: number, comm: string): string => {
    if (pid === pids.server) return 'server';
    if (pid === pids.svc) return 'svc_main';
    if (underSvc(pid)) return comm === 'postgres' ? 'postgres' : 'worker';
    if (pid === pids.standin) return 'standin';
    return pid === process.pid ? 'load_generator' : 'other';
  };
  for (const [pid, now] of to) {
    const used = now.ms - (from.get(pid)?.ms ?? 0);
    if (used > 0) parts[partOf(pid, now.comm)] += used;
  }
  return Object.fromEntries(Object.entries(parts).map(([k, ms]) => [k, round(ms / 1000 / seconds, 2)]));
}

const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

function summary(p: Phase) {
  const lat = sorted(p.lat);
  for (const e of p.errorSamples) console.log(`  error: ${e}`);
  const put = sorted(p.putLat);
  const get = sorted(p.getLat);
  return {
    requests: p.requests,
    puts: p.puts,
    gets: p.gets,
    errors: p.errors,
    p50_ms: round(q(lat, 0.5)),
    p99_ms: round(q(lat, 0.99)),
    max_ms: round(lat[lat.length - 1] ?? NaN),
    late_sends: p.late,
    put_p50_ms: round(q(put, 0.5)),
    put_p99_ms: round(q(put, 0.99)),
    get_p50_ms: round(q(get, 0.5)),
    get_p99_ms: round(q(get, 0.99)),
    // Where the tail sits: each second's p99, rounded to the millisecond (a burst shows up as a run of high ones).
    p99_by_second_ms: p.bySecond.map((s) => Math.round(q(sorted(s), 0.99))),
  };
}

interface ConnectionWaits {
  count: number;
  slow: number;
  seconds: number;
}

/**
 * svc-sentry's waits so far for a pooled PostgreSQL connection (toggles, status reads and, in role all, the worker
 * process's statements), from its /metrics (`svc_sentry_db_connection_wait_seconds`): `slow` are those over 25 ms,
 * when every connection of a pool was taken.
 */
async function connectionWaits(port: number): Promise<ConnectionWaits> {
  const agent = new Agent({ keepAlive: false });
  const text = (await send(agent, port, 'GET', '/metrics')).body;
  const at = (series: string) => Number(new RegExp(`^svc_sentry_db_connection_wait_seconds_${series} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const count = at('count');
  return { count, slow: count - at('bucket\\{le="0.025"\\}'), seconds: at('sum') };
}

/**
 * One side's run: the warm-up, then the measured phase with the serving process's CPU per request, the machine's
 * shares, the cores each part used (`others`: svc-sentry's main process and the stand-in, to name theirs), and with
 * `waits` (svc-sentry's side) its connection waits during the phase.
 */
async function measured(
  port: number,
  pid: number | undefined,
  others: { svc?: number; standin?: number },
  enabled: boolean[],
  waits?: () => Promise<ConnectionWaits>,
) {
  await openLoop(port, WARMUP_SECONDS, enabled);
  const machine0 = machineTicks();
  const processes0 = processTimes();
  const t0 = performance.now();
  const waits0 = await waits?.();
  const phase = summary(await openLoop(port, SECONDS, enabled));
  const processes1 = processTimes();
  const seconds = (performance.now() - t0) / 1000;
  const waits1 = await waits?.();
  // The server's CPU time over the phase (NaN where /proc is not).
  const serverMs = (processes1.get(pid!)?.ms ?? NaN) - (processes0.get(pid!)?.ms ?? NaN);
  return {
    phase,
    cpuUs: (serverMs * 1000) / phase.requests,
    machine: machineShare(machine0),
    cores: coresByPart(processes0, processes1, seconds, { server: pid, ...others }),
    waits:
      waits0 && waits1
        ? { count: waits1.count - waits0.count, over_25ms: waits1.slow - waits0.slow, seconds: round(waits1.seconds - waits0.seconds, 2) }
        : undefined,
  };
}

/** The bare side: one NestJS route answering the JSON svc-sentry answered, for GET and PUT (body parsed, like the real one). */
async function bare(): Promise<void> {
  const { get, put, port } = JSON.parse(process.env.BENCH_BARE!) as { get: unknown; put: unknown; port: number };
  @Controller('api/v1/apps/:app/modules/:module/monitoring')
  class BareController {
    @Get()
    read(): unknown {
      return get;
    }

    @Put()
    @HttpCode(202)
    write(@Body() _body: unknown): unknown {
      return put;
    }
  }
  @Module({ controllers: [BareController] })
  class BareModule {}
  const app = await NestFactory.create(BareModule, { logger: false });
  await app.listen(port, '127.0.0.1');
  process.send!({ ready: true });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'svc-sentry-bench-api-'));
  // As root, the embedded PostgreSQL runs as the postgres user, which must reach its data directory.
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  const logFile = join(dir, 'svc-sentry.log');
  try {
    // The Sentry stand-in, in its own process (40 requests/s, as Sentry).
    const standin = spawn(process.execPath, [join(ROOT, 'dist/test/harness/sentry-standin/cli.js'), '--rps', '40', '--orgs', ORG], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(standin);
    const upstream = await new Promise<{ url: string; token: string }>((ok, fail) => {
      let buf = '';
      standin.stdout!.on('data', (c: Buffer) => {
        buf += c.toString();
        if (buf.includes('\n')) ok(JSON.parse(buf.split('\n')[0]));
      });
      standin.once('exit', (code) => fail(new Error(`stand-in exited with ${code}`)));
    });

    // svc-sentry as `npm start` runs it: embedded PostgreSQL under its data directory, info logs (to a file).
    const port = await freePort();
    // e.g. BENCH_SVC_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the svc-sentry side
    const nodeArgs = (process.env.BENCH_SVC_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const log = openSync(logFile, 'a');
    const svc = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/src/main.js')], {
      cwd: dir,
      stdio: ['ignore', log, log],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: '127.0.0.1',
        SVC_SENTRY_DATA_DIR: join(dir, 'data'),
        SVC_SENTRY_API_TOKENS: TOKEN,
        SVC_SENTRY_UPSTREAM_URL: upstream.url,
        SVC_SENTRY_UPSTREAM_TOKEN: upstream.token,
        SVC_SENTRY_UPSTREAM_ORG: ORG,
        NODE_ENV: 'production',
        // BENCH_SVC_ROLE=api measures the HTTP path alone (no reconcile worker process; nothing converges).
        ...(process.env.BENCH_SVC_ROLE ? { SVC_SENTRY_ROLE: process.env.BENCH_SVC_ROLE } : {}),
        // BENCH_SVC_LOG_LEVEL=warn drops the per-request log lines (npm start logs at info).
        ...(process.env.BENCH_SVC_LOG_LEVEL ? { SVC_SENTRY_LOG_LEVEL: process.env.BENCH_SVC_LOG_LEVEL } : {}),
      },
    });
    closeSync(log);
    children.push(svc);
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const started = Date.now();
    try {
      await waitFor(
        'svc-sentry to answer /readyz',
        async () => {
          if (svc.exitCode !== null) throw new Error(`svc-sentry exited with ${svc.exitCode}`);
          return (await send(agent, port, 'GET', '/readyz')).status === 200;
        },
        180_000,
      );
    } catch (e) {
      console.error(readFileSync(logFile, 'utf8').slice(-3000));
      throw e;
    }
    console.log(`svc-sentry up on the embedded PostgreSQL after ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // Every app module exists and converged before the load (a GET of one never seen is a 404).
    const enabled = Array.from({ length: MODULES }, () => true);
    let putSample: unknown;
    for (let i = 0; i < MODULES; i += 10) {
      await Promise.all(
        enabled.slice(i, i + 10).map(async (_, j) => {
          const a = await send(agent, port, 'PUT', path(i + j), JSON.stringify({ enabled: true }));
          if (a.status !== 202 && a.status !== 200) throw new Error(`seeding PUT: ${a.status} ${a.body}`);
          putSample ??= JSON.parse(a.body);
        }),
      );
    }
    if (process.env.BENCH_SVC_ROLE !== 'api')
      await waitFor(
        `${MODULES} app modules ready`,
        async () => {
          const a = await send(agent, port, 'GET', '/api/v1/monitoring?state=ready&limit=1');
          return JSON.parse(a.body).total >= MODULES;
        },
        300_000,
      );
    console.log(`${MODULES} app modules ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const getSample = JSON.parse((await send(agent, port, 'GET', path(0))).body);
    agent.destroy();

    // The bare NestJS route, answering the same JSON.
    const barePort = await freePort();
    const bareChild = fork(__filename, ['bare'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production', BENCH_BARE: JSON.stringify({ get: getSample, put: putSample, port: barePort }) },
    });
    children.push(bareChild);
    await new Promise<void>((ok, fail) => {
      bareChild.once('message', () => ok());
      bareChild.once('exit', (code) => fail(new Error(`bare server exited with ${code}`)));
    });

    // The processes bench:api names in cores_by_part besides the server under load.
    const namedPids = { svc: svc.pid, standin: standin.pid };
    const logBefore = readFileSync(logFile, 'utf8').split('\n').length;
    console.log(`svc-sentry: ${WARMUP_SECONDS} s warm-up, then ${SECONDS} s at ${RATE} requests/s (${Math.round(PUT_SHARE * 100)} % PUT)`);
    const {
      phase: svcPhase,
      cpuUs: svcCpuUs,
      machine: svcMachine,
      cores: svcCores,
      waits,
    } = await measured(port, svc.pid, namedPids, enabled, () => connectionWaits(port));
    const logLines = readFileSync(logFile, 'utf8').split('\n').length - logBefore;
    const loadAfterSvc = loadavg()[0];
    console.log(`bare NestJS route: ${WARMUP_SECONDS} s warm-up, then ${SECONDS} s at ${RATE} requests/s`);
    const bareEnabled = Array.from({ length: MODULES }, () => true);
    const { phase: barePhase, cpuUs: bareCpuUs, machine: bareMachine, cores: bareCores } = await measured(barePort, bareChild.pid, namedPids, bareEnabled);

    for (const [name, s] of [
      ['svc-sentry', svcPhase],
      ['bare', barePhase],
    ] as const) {
      console.log(
        `${name.padEnd(10)} ${s.requests} requests (${s.puts} PUT, ${s.gets} GET): ${s.errors} errors, p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms, max ${s.max_ms} ms` +
          ` (PUT p50/p99 ${s.put_p50_ms}/${s.put_p99_ms} ms, GET ${s.get_p50_ms}/${s.get_p99_ms} ms)` +
          (s.late_sends ? `, ${s.late_sends} sends > 1 ms late` : '') +
          `\n${' '.repeat(11)}p99 by second (ms): ${s.p99_by_second_ms.join(' ')}`,
      );
    }
    const ratio = svcPhase.p99_ms / barePhase.p99_ms;
    console.log(
      JSON.stringify({
        bench: 'api',
        rate_per_s: RATE,
        seconds: SECONDS,
        put_share: PUT_SHARE,
        modules: MODULES,
        requests: svcPhase.requests,
        p50_ms: svcPhase.p50_ms,
        p99_ms: svcPhase.p99_ms,
        max_ms: svcPhase.max_ms,
        errors: svcPhase.errors,
        bare_p50_ms: barePhase.p50_ms,
        bare_p99_ms: barePhase.p99_ms,
        bare_max_ms: barePhase.max_ms,
        bare_errors: barePhase.errors,
        ratio: round(ratio, 2),
        svc_log_lines: logLines,
        // The store's waits for a pooled PostgreSQL connection (the worker's too), and for how long in all: a burst of
        // latency with many waits over 25 ms is the pool running out (every connection held by a slowed transaction).
        svc_connection_waits: waits,
        // Process CPU per request (svc-sentry's main node process, which serves HTTP; not its worker process or PostgreSQL): a figure
        // that other load on the machine does not inflate the way it inflates latencies.
        cpu_us_per_request: { svc: Math.round(svcCpuUs), bare: Math.round(bareCpuUs) },
        machine_busy_pct: { svc: svcMachine.busy_pct, bare: bareMachine.busy_pct },
        machine_steal_pct: { svc: svcMachine.steal_pct, bare: bareMachine.steal_pct },
        // Cores each part used during each phase (server: svc-sentry's main process, or the bare route's).
        cores_by_part: { svc: svcCores, bare: bareCores },
        targets: TARGETS,
        pass: svcPhase.p99_ms <= TARGETS.p99_ms && svcPhase.errors === 0,
        load_average_1m: round(loadavg()[0]),
        load_average_1m_after_svc_phase: round(loadAfterSvc),
      }),
    );
  } finally {
    for (const c of children.reverse()) {
      if (c.exitCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (c.exitCode === null) c.kill('SIGKILL');
    }
    if (process.env.BENCH_KEEP) console.log(`kept ${dir} (svc-sentry.log, data)`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'bare') {
  bare().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
