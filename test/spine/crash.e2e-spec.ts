import { randomBytes } from 'node:crypto';
import { query } from '../harness/database';
import { SentryStandin, startSentryStandin } from '../harness/sentry-standin';
import { startTestApp, TestApp, upstreamEnv, waitFor } from '../support/app';
import { startWorkerProcess, stopProcess } from '../support/worker-process';

const ORG = 'acme';
const APPS = 100;

/** A worker SIGKILLed in the middle of provisioning 100 app modules loses nothing and duplicates nothing. */
describe('spine: crash safety', () => {
  let standin: SentryStandin;
  let api: TestApp;
  const encryptionKey = randomBytes(32).toString('hex');
  const env = () => ({
    ...upstreamEnv(standin.url, { SVC_SENTRY_RECONCILE_CONCURRENCY: '4', SVC_SENTRY_JOB_EXPIRE_SECONDS: '10' }),
    SVC_SENTRY_ENCRYPTION_KEY: encryptionKey,
    DATABASE_URL: api.databaseUrl,
  });
  const ready = async () => (await query(api.databaseUrl, `SELECT count(*)::int AS n FROM instances WHERE state = 'ready'`))[0].n as number;

  beforeAll(async () => {
    standin = await startSentryStandin({ orgs: [ORG], latencyMs: 60 });
    // The API only: jobs are left to the worker processes below.
    api = await startTestApp({ ...upstreamEnv(standin.url), SVC_SENTRY_ROLE: 'api', SVC_SENTRY_ENCRYPTION_KEY: encryptionKey });
  });
  afterAll(async () => {
    await api?.close();
    await standin?.close();
  });

  it('converges after SIGKILL and restart with no duplicate project or key and no lost toggle', async () => {
    const apps = Array.from({ length: APPS }, (_, i) => `crash${i}`);
    for (let i = 0; i < apps.length; i += 20) {
      await Promise.all(apps.slice(i, i + 20).map((a) => api.api('PUT', `/api/v1/apps/${a}/modules/default/monitoring`, { enabled: true })));
    }
    const first = await startWorkerProcess(env());
    await waitFor(async () => (await ready()) >= 30, 120_000, 100).catch((e) => {
      throw new Error(`${e}\n${first.output()}`);
    });
    await stopProcess(first, 'SIGKILL');
    const atKill = await ready();
    expect(atKill).toBeLessThan(APPS * 2);

    const second = await startWorkerProcess(env());
    try {
      await waitFor(async () => (await ready()) === APPS * 2, 180_000, 500);
    } finally {
      await stopProcess(second);
    }
    console.log(JSON.stringify({ suite: 'crash', readyAtKill: atKill, total: APPS * 2 }));
    // No duplicate project: the stand-in refuses a second project with the same slug (409), so a duplicate could
    // only appear under another slug. Upstream holds exactly the expected slugs, and each instance row points at
    // the project (id and slug) that upstream holds, and at the one svc-sentry key there.
    const projects = standin.state.projects(ORG);
    const expected = apps.flatMap((a) => ['prod', 'stag'].map((e) => `${a}-default-${e}`)).sort();
    expect(projects.map((p) => p.slug).sort()).toEqual(expected);
    const rows = await query(
      api.databaseUrl,
      `SELECT i.project_slug, i.project_id, k.upstream_key_id FROM instances i LEFT JOIN keys k ON k.instance_id = i.id AND k.state = 'active'`,
    );
    expect(rows).toHaveLength(APPS * 2);
    const upstream = new Map(projects.map((p) => [p.slug, p]));
    for (const r of rows) {
      const p = upstream.get(r.project_slug);
      const ours = p ? standin.state.keys(ORG, p.slug).filter((k) => k.name.startsWith('svc-sentry:')) : [];
      expect({ slug: r.project_slug, id: r.project_id, keys: ours.map((k) => k.id) }).toEqual({ slug: r.project_slug, id: p?.id, keys: [r.upstream_key_id] });
    }
    const toggles = await query(api.databaseUrl, `SELECT count(*)::int AS n FROM attachments WHERE enabled`);
    expect(toggles[0].n).toBe(APPS);
    const keyRows = await query(api.databaseUrl, `SELECT count(*)::int AS n FROM keys WHERE state = 'active'`);
    expect(keyRows[0].n).toBe(APPS * 2);
  }, 400_000);
});
