import { Client } from 'pg';
import { ReconcileWorker } from '../../src/reconcile/reconcile.worker';
import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

/**
 * A change of desired state that lands while a pass holds the instance's lock always gets another
 * pass: the job that finds the lock busy is requeued, not completed without work. With resync off
 * (interval 0) nothing else would ever pick the change up.
 */
describe('reconcile: a change during a running pass', () => {
  let standin: SentryStandin;
  let t: TestApp;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: ['acme'] });
    t = await startTestApp(upstreamEnv(standin.url, { SVC_SENTRY_RESYNC_INTERVAL: '0', SVC_SENTRY_RECONCILE_CONCURRENCY: '2' }));
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  const states = async () => {
    const body = (await t.api('GET', '/api/v1/apps/mid/modules/web/monitoring')).body;
    return Object.values<any>(body.environments).map((e) => e.state);
  };
  const completedJobs = async (ids: string[]) =>
    (
      await query(
        t.databaseUrl,
        `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'svc-sentry-reconcile' AND singleton_key = ANY($1) AND state = 'completed'`,
        [ids],
      )
    )[0].n as number;

  it('converges with resync disabled', async () => {
    expect(t.config.reconcile.resyncIntervalSeconds).toBe(0);
    expect((await t.api('PUT', '/api/v1/apps/mid/modules/web/monitoring', { enabled: true })).status).toBe(202);
    await waitFor(async () => (await states()).every((s) => s === 'ready'));
    const ids = (await query<{ id: string }>(t.databaseUrl, `SELECT id FROM instances WHERE app = 'mid'`)).map((r) => r.id);

    // A pass "runs" elsewhere: this session holds every instance's lock, as a worker does during a pass.
    const holder = new Client(t.databaseUrl);
    await holder.connect();
    try {
      for (const id of ids) {
        const { rows } = await holder.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [`svc-sentry:instance:${id}`]);
        expect(rows[0].ok).toBe(true);
      }
      const before = await completedJobs(ids);
      expect((await t.api('PUT', '/api/v1/apps/mid/modules/web/monitoring', { enabled: false })).status).toBe(202);
      // The change's jobs were taken while the lock was held (they found it busy).
      await waitFor(async () => (await completedJobs(ids)) >= before + ids.length, 60_000);
      expect(await states()).not.toEqual(['disabled', 'disabled']);
    } finally {
      await holder.end();
    }
    // The "pass" is over: the change gets its own pass without any resync.
    await waitFor(async () => (await states()).every((s) => s === 'disabled'), 60_000);
  }, 180_000);

  it('a resync cycle during a running pass adds no second pass of the same instance', async () => {
    // Every upstream call takes 1 s, so the first passes are still running when the cycle lists what is unsettled.
    standin.setFaults({ latencyMs: 1000 });
    try {
      expect((await t.api('PUT', '/api/v1/apps/busy/modules/web/monitoring', { enabled: true })).status).toBe(202);
      const ids = (await query<{ id: string }>(t.databaseUrl, `SELECT id FROM instances WHERE app = 'busy'`)).map((r) => r.id);
      const jobs = (state?: string) =>
        query<{ singleton_key: string }>(
          t.databaseUrl,
          `SELECT singleton_key FROM pgboss.job WHERE name IN ('svc-sentry-reconcile', 'svc-sentry-reconcile-resync') AND singleton_key = ANY($1)` +
            (state ? ` AND state = '${state}'` : ''),
          [ids],
        );
      await waitFor(async () => (await jobs('active')).length === ids.length, 30_000);
      await t.app.get(ReconcileWorker).resync();
      await waitFor(async () => {
        const body = (await t.api('GET', '/api/v1/apps/busy/modules/web/monitoring')).body;
        return Object.values<any>(body.environments).every((e) => e.state === 'ready' && e.conditions.length === 4) && body;
      }, 60_000);
      // One job per instance: the cycle left the running passes alone (before, it queued a second pass of each).
      expect((await jobs()).map((j) => j.singleton_key).sort()).toEqual([...ids].sort());
      const body = (await t.api('GET', '/api/v1/apps/busy/modules/web/monitoring')).body;
      for (const e of Object.values<any>(body.environments)) expect(e.conditions.find((c: any) => c.type === 'ProjectReady').reason).toBe('Created');
    } finally {
      standin.setFaults({});
    }
  }, 120_000);
});
