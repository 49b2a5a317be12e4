import { Client } from 'pg';
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
});
