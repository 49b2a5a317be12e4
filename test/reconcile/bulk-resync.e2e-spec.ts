import { seedReadyInstances, SeededInstance } from '../../bench/scale/seed';
import { RECONCILE_QUEUE, REPAIR_QUEUE } from '../../src/reconcile/pg-boss.queue';
import { ReconcileWorker } from '../../src/reconcile/reconcile.worker';
import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';

const ORG = 'acme';
const N_MODULES = 75; // 150 ready module-environments

/**
 * Issue 14, item 1: resync finds upstream drift with list calls, not per-instance reads. 150 ready module-environments
 * (seeded in the database and the Sentry stand-in, as provisioning leaves them). Budget: 20 requests/s × share 0.5 =
 * 10/s for resync, × 10 s interval × 0.8 = 80 calls a cycle: 2 pages of the organization's project list (100 a page)
 * and 78 key lists, least recently verified first; so all 150 keys are verified within 2 cycles.
 */
describe('resync in bulk: drift found by list calls and repaired (real PostgreSQL, Sentry stand-in)', () => {
  let standin: SentryStandin;
  let t: TestApp;
  let seeded: SeededInstance[];

  const worker = () => t.app.get(ReconcileWorker);
  const pendingJobs = async () =>
    (
      await query(t.databaseUrl, `SELECT count(*)::int AS n FROM pgboss.job WHERE name = ANY($1) AND state IN ('created', 'retry', 'active')`, [
        [RECONCILE_QUEUE, REPAIR_QUEUE],
      ])
    )[0].n;
  /** One resync cycle and whatever it enqueued; answers the upstream calls of that cycle (route and path). */
  const cycle = async () => {
    const since = Date.now();
    const summary: any = await worker().resync();
    await waitFor(async () => (await pendingJobs()) === 0, 90_000);
    // The cycle's own window when it reports one (periodic cycles run too); else everything since it started.
    return { summary, calls: standin.requests(summary?.startedAt ?? since, summary?.finishedAt ?? Date.now()) };
  };
  const instance = async (id: string) => (await query(t.databaseUrl, `SELECT * FROM instances WHERE id = $1`, [id]))[0];

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG] });
    t = await startTestApp(
      upstreamEnv(standin.url, {
        SVC_SENTRY_UPSTREAM_RATE_LIMIT: '20',
        SVC_SENTRY_RESYNC_UPSTREAM_SHARE: '0.5',
        SVC_SENTRY_RESYNC_INTERVAL: '10',
      }),
    );
    seeded = await seedReadyInstances({ databaseUrl: t.databaseUrl, encryptionKey: t.encryptionKey, standin, org: ORG, modules: N_MODULES, appPrefix: 'bulk' });
  });
  afterAll(async () => {
    await t?.close();
    await standin?.close();
  });

  it('no drift: a cycle costs the project list pages and a budgeted slice of key lists, never a per-instance project or key read', async () => {
    const { calls } = await cycle();
    const routes = calls.map((c) => c.route);
    const count = (r: string) => routes.filter((x) => x === r).length;
    expect(count('GET /projects')).toBe(0);
    expect(count('GET /projects/keys/:key')).toBe(0);
    expect(count('GET /organizations/projects')).toBe(2);
    const keyLists = count('GET /projects/keys');
    expect(keyLists).toBeGreaterThan(0);
    expect(keyLists).toBeLessThanOrEqual(80 - 2);
    // Nothing else: no writes, no team calls (the organization's region is read once per process, maybe in this cycle).
    expect(calls.filter((c) => c.route !== 'GET /organizations')).toHaveLength(2 + keyLists);
    expect(calls.every((c) => c.status === 200)).toBe(true);
  });

  it('keys are verified least recently verified first: every instance within ceil(150 / slice) = 2 cycles', async () => {
    const [{ t0 }] = await query(t.databaseUrl, `SELECT now() AS t0`);
    const first = await cycle();
    expect(first.summary.upstreams[0]).toMatchObject({ upstream: 'default', ready: seeded.length, keyCheckCycles: 2, projectDrift: 0, keyDrift: 0 });
    await cycle();
    // Periodic cycles run too (every 10 s): whatever ran, two cycles since t0 have verified every instance once.
    const stale = await query(
      t.databaseUrl,
      `SELECT i.id FROM instances i LEFT JOIN instance_key_checks c ON c.instance_id = i.id WHERE c.checked_at IS NULL OR c.checked_at < $1`,
      [t0],
    );
    expect(stale).toEqual([]);
  });

  it('a project deleted upstream is found by the list pass and recreated (with a new key and DSN)', async () => {
    const victim = seeded[17];
    standin.state.deleteProjectOutOfBand(ORG, victim.projectSlug);
    const { calls } = await cycle();
    expect(calls.filter((c) => c.route === 'GET /projects' && !c.path.endsWith(`/${victim.projectSlug}/`))).toHaveLength(0);
    const row = await waitFor(async () => {
      const r = await instance(victim.id);
      return r.state === 'ready' && r.project_id !== victim.projectId ? r : null;
    }, 60_000);
    const project = standin.state.projects(ORG).find((p) => p.slug === victim.projectSlug)!;
    expect(row.project_id).toBe(project.id);
    const keys = standin.state.keys(ORG, victim.projectSlug).filter((k) => k.name.startsWith('svc-sentry:'));
    expect(keys).toHaveLength(1);
    const [keyRow] = await query(t.databaseUrl, `SELECT upstream_key_id FROM keys WHERE instance_id = $1 AND purpose = 'primary'`, [victim.id]);
    expect(keyRow.upstream_key_id).toBe(keys[0].id);
  });

  it('a key deleted upstream is found within ceil(N / slice) cycles and replaced', async () => {
    const victim = seeded[101];
    standin.state.deleteKeyOutOfBand(ORG, victim.projectSlug, victim.keyId);
    let replaced: any = null;
    for (let i = 0; i < 3 && !replaced; i++) {
      await cycle();
      const [k] = await query(t.databaseUrl, `SELECT upstream_key_id FROM keys WHERE instance_id = $1 AND purpose = 'primary'`, [victim.id]);
      if (k.upstream_key_id !== victim.keyId) replaced = k;
    }
    expect(replaced).not.toBeNull();
    const live = standin.state.keys(ORG, victim.projectSlug).filter((k) => k.name.startsWith('svc-sentry:'));
    expect(live.map((k) => k.id)).toEqual([replaced.upstream_key_id]);
    expect((await instance(victim.id)).state).toBe('ready');
  });
});
