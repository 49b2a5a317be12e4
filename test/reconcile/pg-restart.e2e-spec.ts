import { randomBytes } from 'node:crypto';
import { ChildProcess } from 'node:child_process';
import { runMigrations } from '../../src/database/database';
import { freePort } from '../../src/database/embedded-postgres';
import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { API_TOKEN, upstreamEnv, waitFor } from '../support/app';
import { startWorkerProcess, stopProcess } from '../support/worker-process';
import { DedicatedPostgres, startDedicatedPostgres } from './support/dedicated-postgres';

const ORG = 'acme';
const APPS = 50;

/**
 * PostgreSQL restarted (pg_ctl -m fast, then -m immediate) while 50 toggles are being reconciled by two
 * replica processes: no replica exits, every toggle converges, nothing is created twice upstream.
 */
describe.each(['fast', 'immediate'] as const)('reconcile: PostgreSQL restart (%s) with toggles in flight', (mode) => {
  let pg: DedicatedPostgres;
  let standin: SentryStandin;
  const replicas: Array<ChildProcess & { output: () => string; port: number }> = [];

  beforeAll(async () => {
    pg = await startDedicatedPostgres();
    await runMigrations(pg.url);
    standin = await startSentryStandin({ orgs: [ORG], latencyMs: 80 });
    const encryptionKey = randomBytes(32).toString('hex');
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = await startWorkerProcess({
        ...upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_CONCURRENCY: '4', SVC_SENTRY_JOB_EXPIRE_SECONDS: '30' }),
        SVC_SENTRY_ROLE: 'all',
        SVC_SENTRY_LOG_LEVEL: 'warn',
        SVC_SENTRY_ENCRYPTION_KEY: encryptionKey,
        DATABASE_URL: pg.url,
        PORT: String(port),
      });
      replicas.push(Object.assign(child, { port }));
    }
    for (const r of replicas) {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${r.port}/healthz`).catch(() => null))?.ok, 60_000).catch((e) => {
        throw new Error(`${e}\n${r.output()}`);
      });
    }
  }, 180_000);

  afterAll(async () => {
    for (const r of replicas) await stopProcess(r);
    await standin?.close();
    await pg?.destroy();
  });

  // Fails at once (with the replica's output) when a replica has exited, instead of waiting for a timeout.
  const alive = () => {
    for (const r of replicas)
      if (r.exitCode !== null || r.signalCode) throw new Error(`a replica exited (${r.exitCode ?? r.signalCode}):\n${r.output().slice(-15000)}`);
  };
  const ready = async () => (await query(pg.url, `SELECT count(*)::int AS n FROM instances WHERE state = 'ready'`))[0].n as number;
  const until = (check: () => Promise<unknown>, timeoutMs: number, everyMs: number) =>
    waitFor(
      async () => {
        if (replicas.some((r) => r.exitCode !== null || r.signalCode)) return 'exited';
        return check();
      },
      timeoutMs,
      everyMs,
    ).then(alive);

  it(`all ${APPS} toggles converge with no duplicate and no replica exit`, async () => {
    const apps = Array.from({ length: APPS }, (_, i) => `pgr${i}`);
    const answers = await Promise.all(
      apps.map((a, i) =>
        fetch(`http://127.0.0.1:${replicas[i % 2].port}/api/v1/apps/${a}/modules/default/monitoring`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ enabled: true }),
        }).then((r) => r.status),
      ),
    );
    expect(answers.every((s) => s === 202)).toBe(true);
    await until(async () => (await ready()) >= 10, 120_000, 50);
    const readyBefore = await ready();
    expect(readyBefore).toBeLessThan(APPS * 2);
    const t0 = Date.now();
    await pg.restart(mode);
    const restartMs = Date.now() - t0;
    let firstProgress = 0;
    await until(async () => (firstProgress = (await ready().catch(() => 0)) > readyBefore ? Date.now() : 0), 180_000, 100);
    await until(async () => (await ready()) === APPS * 2, 240_000, 250).catch(async (e) => {
      const rows = await query(pg.url, `SELECT state, error, count(*)::int AS n FROM instances GROUP BY 1, 2`);
      throw new Error(`${e}\n${JSON.stringify(rows)}\n${replicas.map((r) => r.output().slice(-3000)).join('\n----\n')}`);
    });
    const convergedMs = Date.now() - t0;
    console.log(
      JSON.stringify({
        suite: `pg-restart-${mode}`,
        toggles: APPS,
        readyAtRestart: readyBefore,
        restartMs,
        recoveryMs: firstProgress - t0,
        allConvergedMs: convergedMs,
      }),
    );
    for (const r of replicas) {
      expect({ exitCode: r.exitCode, signal: r.signalCode }).toEqual({ exitCode: null, signal: null });
      expect(r.output()).not.toMatch(/Unhandled 'error' event|UnhandledPromiseRejection/);
    }
    // Passes requeued when their lock was lost (a create may have been in flight) have all run.
    await until(
      async () =>
        (await query(pg.url, `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'svc-sentry-reconcile' AND state IN ('created', 'retry', 'active')`))[0]
          .n === 0,
      120_000,
      250,
    );
    const projects = standin.state.projects(ORG);
    expect(projects).toHaveLength(APPS * 2);
    expect(new Set(projects.map((p) => p.slug)).size).toBe(APPS * 2);
    for (const p of projects) expect(standin.state.keys(ORG, p.slug).filter((k) => k.name.startsWith('svc-sentry:'))).toHaveLength(1);
    const keyRows = await query(pg.url, `SELECT count(*)::int AS n FROM keys WHERE state = 'active'`);
    expect(keyRows[0].n).toBe(APPS * 2);
  }, 600_000);
});
