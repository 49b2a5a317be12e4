import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createApp } from '../../src/bootstrap';
import { loadConfig } from '../../src/config/load-config';
import { runMigrations } from '../../src/database/database';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { startSentryStandin } from '../../test/harness/sentry-standin';

/**
 * bench:provision — 1,000 module-environments (500 app modules x stag/prod) against the Sentry
 * stand-in at 200 ms latency and a 40 req/s limit. The floor is the MINIMUM number of upstream calls the work
 * needs, divided by 40 per second — one team per app, one project and one key per module-environment, plus the
 * one read the API forces (the organization's region) — so calls svc-sentry wastes make it slower, never raise the
 * floor. Prints wall time, floor, their ratio, calls / minimum_calls, 429s, duplicates; fails (exit 1) when any
 * module-environment is not ready or any project has a duplicate (a second project or a second svc-sentry key).
 */
const MODULES = Number(process.env.BENCH_MODULES ?? 500);
const LATENCY_MS = 200;
const UPSTREAM_RPS = 40;
const ORG = 'bench';

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'svc-sentry-bench-pg-'));
  const pg = await startEmbeddedPostgres({ dataDir, fast: true, database: 'bench' });
  const standin = await startSentryStandin({ orgs: [ORG], latencyMs: LATENCY_MS, requestsPerSecond: UPSTREAM_RPS });
  await runMigrations(pg.url);
  const config = loadConfig({
    DATABASE_URL: pg.url,
    SVC_SENTRY_API_TOKENS: 'bench-token-123',
    SVC_SENTRY_UPSTREAM_URL: standin.url,
    SVC_SENTRY_UPSTREAM_TOKEN: 'test-token',
    SVC_SENTRY_UPSTREAM_ORG: ORG,
    SVC_SENTRY_UPSTREAM_RATE_LIMIT: String(UPSTREAM_RPS),
    SVC_SENTRY_RECONCILE_CONCURRENCY: '32',
    SVC_SENTRY_POLL_INTERVAL: '0.5',
    SVC_SENTRY_RESYNC_INTERVAL: '0',
    SVC_SENTRY_LOG_LEVEL: 'warn',
  });
  const app = await createApp({ config, databaseUrl: pg.url, encryptionKey: randomBytes(32).toString('hex') }, { logger: false });
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const db = new Client(pg.url);
  await db.connect();
  try {
    standin.resetStats();
    const started = Date.now();
    let firstCall = 0;
    const sampler = setInterval(() => {
      if (!firstCall && standin.stats().calls > 0) firstCall = (Date.now() - started) / 1000;
    }, 20);
    const apps = Array.from({ length: MODULES }, (_, i) => `bench${i}`);
    for (let i = 0; i < apps.length; i += 50) {
      await Promise.all(
        apps.slice(i, i + 50).map(async (a) => {
          const res = await fetch(`${base}/api/v1/apps/${a}/modules/default/monitoring`, {
            method: 'PUT',
            headers: { authorization: 'Bearer bench-token-123', 'content-type': 'application/json' },
            body: JSON.stringify({ enabled: true }),
          });
          if (res.status !== 202) throw new Error(`PUT ${a}: ${res.status} ${await res.text()}`);
        }),
      );
    }
    const target = MODULES * 2;
    const putsDone = (Date.now() - started) / 1000;
    let lastLog = 0;
    for (;;) {
      const { rows } = await db.query(
        `SELECT count(*) FILTER (WHERE state = 'ready')::int AS ready, count(*) FILTER (WHERE state = 'failed')::int AS failed FROM instances`,
      );
      if (rows[0].ready + rows[0].failed >= target) break;
      if (Date.now() - lastLog > 10_000) {
        console.log(`  ${rows[0].ready}/${target} ready after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        lastLog = Date.now();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const wall = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const stats = standin.stats();
    // One app per module here: teams = MODULES; projects = keys = module-environments; +1 region lookup.
    const minimum = { region_read: 1, teams: MODULES, projects: target, keys: target };
    const minimumCalls = minimum.region_read + minimum.teams + minimum.projects + minimum.keys;
    const floor = minimumCalls / UPSTREAM_RPS;
    const projects = standin.state.projects(ORG);
    const expected = new Set(apps.flatMap((a) => ['stag', 'prod'].map((e) => `${a}-default-${e}`)));
    // Per project: an extra project (not one of the expected slugs) or more than one svc-sentry key is a duplicate.
    const extraProjects = projects.filter((p) => !expected.has(p.slug)).length;
    let extraKeys = 0;
    for (const p of projects) extraKeys += Math.max(0, standin.state.keys(ORG, p.slug).filter((k) => k.name.startsWith('svc-sentry:')).length - 1);
    const duplicates = extraProjects + extraKeys;
    const failed = (await db.query(`SELECT count(*)::int AS n FROM instances WHERE state <> 'ready'`)).rows[0].n;
    console.log(`module-environments: ${target} (${failed} not ready)`);
    console.log(
      `upstream calls: ${stats.calls} (minimum ${minimumCalls}, ${(stats.calls / minimumCalls).toFixed(3)}x), 429s: ${stats.rateLimited} (${((100 * stats.rateLimited) / stats.calls).toFixed(2)}%)`,
    );
    console.log(
      `wall: ${wall.toFixed(1)} s, floor (minimum calls / ${UPSTREAM_RPS} per s): ${floor.toFixed(1)} s; PUTs done at ${putsDone.toFixed(1)} s, first upstream call at ${firstCall.toFixed(1)} s`,
    );
    console.log(`duplicates: ${duplicates} (${extraProjects} extra projects, ${extraKeys} extra svc-sentry keys)`);
    const ok = failed === 0 && duplicates === 0;
    if (!ok) process.exitCode = 1;
    console.log(
      JSON.stringify({
        bench: 'provision',
        module_environments: target,
        wall_s: +wall.toFixed(2),
        floor_s: +floor.toFixed(2),
        ratio: +(wall / floor).toFixed(3),
        target: 1.15,
        pass: ok && wall / floor <= 1.15,
        upstream_calls: stats.calls,
        minimum_calls: minimumCalls,
        calls_per_minimum: +(stats.calls / minimumCalls).toFixed(3),
        minimum_calls_by_kind: minimum,
        upstream_calls_by_route: stats.byRoute,
        rate_limited_429: stats.rateLimited,
        rate_limited_pct: +((100 * stats.rateLimited) / stats.calls).toFixed(2),
        duplicates,
        extra_projects: extraProjects,
        extra_keys: extraKeys,
        not_ready: failed,
        load_average_1m: +loadavg()[0].toFixed(2),
      }),
    );
  } finally {
    await db.end();
    await app.close();
    await standin.close();
    await pg.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
